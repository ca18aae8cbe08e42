//! The `cfglint` command.

fn main() {}
