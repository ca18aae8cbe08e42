//! JSON Schema and Kubernetes CRD schemas: the `pattern` keyword (a string
//! next to other schema keywords) and the keys of `patternProperties`.
//!
//! JSON Schema patterns are ECMA-262 regexes and unanchored (flavor js,
//! search). A Kubernetes CRD's `openAPIV3Schema` is enforced by the API
//! server with Go's `regexp`, so patterns in a `CustomResourceDefinition` are
//! read as RE2. Values under `default`, `example(s)`, `const` and `enum` are
//! instance data, not schemas, and are skipped.

use super::{Collector, KindContext, Pick, Seg, Step, walk};
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

pub(super) fn select<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, cx: KindContext) {
    // A Kubernetes CRD's schema is enforced by the API server with Go's
    // regexp.
    let flavor = if cx.kubernetes_crd { Flavor::Re2 } else { Flavor::Js };
    walk_schema(node, path, col, &Pick::new(Kind::JsonSchema).flavor(flavor));
}

fn walk_schema<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, pick: &Pick) {
    walk(node, path, col, &mut |_, e, path, col| {
        match (e.key.as_str(), &e.value) {
            ("default" | "example" | "examples" | "const" | "enum", _) => {}
            ("pattern", Node::Str(s)) => col.add(path, s, pick),
            ("patternProperties", Node::Map(props, _)) => {
                for p in props {
                    path.push(Seg::Key(&p.key));
                    let key = Scalar { value: p.key.clone(), span: p.key_span, offsets: p.key_offsets.clone() };
                    col.add(path, &key, pick);
                    walk_schema(&p.value, path, col, pick);
                    path.pop();
                }
            }
            _ => return Step::Descend,
        }
        Step::Done
    });
}
