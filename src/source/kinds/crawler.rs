//! crawler-user-agents JSON: a top-level array of `{pattern, instances}`;
//! each `[].pattern` is a regex.

use super::{Collector, Pick, Seg};
use crate::source::Kind;
use crate::source::tree::Node;

/// crawler-user-agents: a top-level array of `{pattern, instances}`.
pub(super) fn detect(_file_name: &str, root: &Node) -> bool {
    let Node::Seq(items, _) = root else { return false };
    let maps: Vec<&Node> = items.iter().filter(|n| matches!(n, Node::Map(..))).collect();
    !maps.is_empty()
        && maps.iter().all(|m| m.get("pattern").is_some())
        && maps.iter().any(|m| m.get("instances").is_some())
}

pub(super) fn select<'t>(root: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    for (i, item) in root.items().iter().enumerate() {
        if let Some(p) = item.get("pattern") {
            path.push(Seg::Index(i));
            path.push(Seg::Key("pattern"));
            col.add_node(path, p, &Pick::new(Kind::CrawlerUserAgents));
            path.pop();
            path.pop();
        }
    }
}
