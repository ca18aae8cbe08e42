//! uap-core `regexes.yaml`: `*_parsers[].regex`, with `regex_flag` as
//! flags.

use super::{Collector, Pick, Seg, child_text};
use crate::source::tree::Node;
use crate::source::{Flags, Kind};

const UAP_LISTS: [&str; 3] = ["user_agent_parsers", "os_parsers", "device_parsers"];

/// uap-core `regexes.yaml`.
pub(super) fn detect(_file_name: &str, root: &Node) -> bool {
    UAP_LISTS.iter().any(|k| matches!(root.get(k), Some(Node::Seq(..))))
}

pub(super) fn select<'t>(root: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    for list in UAP_LISTS {
        let Some(items) = root.get(list) else { continue };
        path.push(Seg::Key(list));
        for (i, item) in items.items().iter().enumerate() {
            let Some(regex) = item.get("regex") else { continue };
            let flags = child_text(item, "regex_flag").map(Flags::from_letters).unwrap_or_default();
            path.push(Seg::Index(i));
            path.push(Seg::Key("regex"));
            col.add_node(path, regex, &Pick::new(Kind::UapCore).flags(flags));
            path.pop();
            path.pop();
        }
        path.pop();
    }
}
