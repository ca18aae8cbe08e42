//! Benchmarks of cfglint's hot paths. Run with `cargo bench`.

fn main() {
    divan::main();
}
