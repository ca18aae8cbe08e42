//! The crs-toolchain config (`regex-assembly/toolchain.yaml`): regex
//! fragments under `patterns.*`, which the toolchain splices into the
//! assembled CRS rules.

use super::{Collector, Pick, Seg, sub_scalar};
use crate::source::Kind;
use crate::source::tree::Node;

/// The crs-toolchain config (`regex-assembly/toolchain.yaml`): regex
/// fragments under `patterns`.
pub(super) fn detect(file_name: &str, root: &Node) -> bool {
    let Some(patterns @ Node::Map(..)) = root.get("patterns") else { return false };
    let fragments = patterns.entries().iter().all(|e| matches!(e.value, Node::Map(..) | Node::Str(_)));
    fragments
        && (file_name.starts_with("toolchain.") || patterns.entries().iter().any(|e| e.key.starts_with("anti_evasion")))
}

pub(super) fn select<'t>(root: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    let Some(patterns) = root.get("patterns") else { return };
    path.push(Seg::Key("patterns"));
    fragments(patterns, path, col, 0);
    path.pop();
}

fn fragments<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, depth: usize) {
    match node {
        Node::Map(entries, _) if depth < 4 => {
            for e in entries {
                path.push(Seg::Key(&e.key));
                fragments(&e.value, path, col, depth + 1);
                path.pop();
            }
        }
        Node::Str(s) => {
            // The fragments are block scalars; crs-toolchain splices them in
            // without the block's final line break.
            let end = s.value.trim_end_matches(['\n', '\r']).len();
            col.add(path, &sub_scalar(s, 0..end), &Pick::new(Kind::CrsRegexAssembly));
        }
        _ => {}
    }
}
