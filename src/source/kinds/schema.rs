//! JSON Schema and Kubernetes CRD schemas: the `pattern` keyword (a string
//! next to other schema keywords) and the keys of `patternProperties`.
//!
//! JSON Schema patterns are ECMA-262 regexes and unanchored (flavor js,
//! search). A Kubernetes CRD's `openAPIV3Schema` is enforced by the API
//! server with Go's `regexp`, so patterns in a `CustomResourceDefinition` are
//! read as RE2. Values under `default`, `example(s)`, `const` and `enum` are
//! instance data, not schemas, and are skipped.

use super::{Collector, Pick, Seg};
use crate::source::tree::{Node, Scalar};
use crate::source::{Flavor, Kind};

/// Is this document a JSON Schema or an `OpenAPI` description?
pub(super) fn is_json_schema(root: &Node) -> bool {
    if !matches!(root, Node::Map(..)) {
        return false;
    }
    let schema = root.get("$schema").and_then(Node::scalar_text).is_some_and(|s| !s.contains("renovate"));
    let openapi = root.get("openapi").is_some() || root.get("swagger").is_some();
    let object_schema = root.get("type").and_then(Node::scalar_text) == Some("object")
        && matches!(root.get("properties"), Some(Node::Map(..)));
    schema || openapi || object_schema
}

pub(super) fn select<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, flavor: Flavor) {
    let pick = Pick::new(Kind::JsonSchema).flavor(flavor);
    walk(node, path, col, &pick);
}

fn walk<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, pick: &Pick) {
    match node {
        Node::Map(entries, _) => {
            for e in entries {
                let k = e.key.as_str();
                if matches!(k, "default" | "example" | "examples" | "const" | "enum") {
                    continue;
                }
                path.push(Seg::Key(k));
                match (&e.value, k) {
                    (Node::Str(s), "pattern") => col.add(path, s, pick),
                    (Node::Map(props, _), "patternProperties") => {
                        for p in props {
                            path.push(Seg::Key(&p.key));
                            let key = Scalar { value: p.key.clone(), span: p.key_span, offsets: p.key_offsets.clone() };
                            col.add(path, &key, pick);
                            walk(&p.value, path, col, pick);
                            path.pop();
                        }
                    }
                    _ => walk(&e.value, path, col, pick),
                }
                path.pop();
            }
        }
        Node::Seq(items, _) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(item, path, col, pick);
                path.pop();
            }
        }
        _ => {}
    }
}
