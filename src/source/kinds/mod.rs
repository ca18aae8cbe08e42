//! Kind selectors: given a parsed tree (YAML, JSON or TOML), decide what
//! each document is and pick the strings that hold regexes, with stable key
//! paths.
//!
//! Position in the pipeline: after the format parsers (`yaml.rs`, `json.rs`,
//! `toml.rs`), before analysis. Input: [`Parsed`] documents whose string
//! scalars carry raw spans and offset maps. Output: an [`Extraction`].
//!
//! How a document is read:
//! 1. Kubernetes manifests are recognized by `apiVersion` + `kind`
//!    (monitoring CRs, `PrometheusRule`, `AlertmanagerConfig`, CRDs, Traefik
//!    CRs; a `Secret`'s `stringData` or a `ConfigMap`'s `data` holding YAML is
//!    parsed in turn, with offset maps composed so spans land in the outer
//!    file; a `List`'s items are read one by one).
//! 2. Otherwise the kind is detected from the content (and a few well-known
//!    file names), in the order the table of kinds (`table.rs`) gives:
//!    semgrep, gitleaks, the WAF rule format, uap-core, crawler-user-agents,
//!    Renovate, Prometheus rule files, Alertmanager, Prometheus, Traefik,
//!    Fluent Bit, the CRS toolchain, JSON Schema.
//! 3. That kind's selector (named in its row of the table) picks its
//!    regexes; selectors that search a whole document share one walk,
//!    [`walk`], and say only what to pick at each map entry. Prometheus relabel configs,
//!    Alertmanager matchers and `PromQL` rule groups are also picked up inside
//!    documents of any other kind (Helm values files embed them), and a
//!    document of no known kind gets the generic selector (`regex`, `regexp`,
//!    `regexes`, `pattern`, `patterns`, `*_regex`, `*Regex` keys).
//! 4. `[[source]]` entries of cfglint.toml add key paths (and may force a
//!    kind) for files matching their glob.
//!
//! Key paths: map keys joined by `.`, sequence indices as `[N]`, keys that
//! are not simple identifiers written `["key.with.dots"]`, `docN.` in front
//! for streams of more than one YAML document, and a suffix such as
//! `{job=~}` naming a matcher inside a string. They depend only on the
//! path, so they stay stable across unrelated edits.
//!
//! Guarantees: every walk is bounded by the tree depth, which the parsers
//! cap; a pattern is reported once even when YAML aliases make it reachable
//! from several paths (the first path in document order wins).
//!
//! Adding a kind is one file and one row of the table: see `table.rs`.

mod alertmanager;
mod crawler;
mod crs_toolchain;
mod custom;
mod fluentbit;
mod generic;
mod gitleaks;
mod prometheus;
mod quoted;
mod renovate;
mod schema;
mod semgrep;
mod table;
mod traefik;
mod uap;
mod waf;

use std::collections::HashMap;
use std::fmt::Write as _;

use super::offsets::OffsetMap;
use super::span::PatternSpan;
use super::tree::{Entry, Node, Scalar};
use super::{
    CustomSource, ExtractOptions, ExtractedPattern, Extraction, Flags, Flavor, ParseProblem, Parsed, Semantics,
    SourceFile,
};

pub use custom::glob_matches;
pub use table::Kind;
pub(crate) use table::{extension, line_reader, sniff_format};

/// Detect the kind of a parsed tree file and extract its patterns.
pub fn extract_tree(file: &SourceFile, parsed: Parsed, opts: &ExtractOptions) -> Extraction {
    let shown = file.display_path();
    let customs: Vec<&CustomSource> = opts.custom.iter().filter(|c| glob_matches(&c.glob, &shown)).collect();
    let mut col = Collector::new(&file.text);
    let kind = select_documents(file, &parsed, &customs, &mut col, 0);
    let mut problems = parsed.problems;
    problems.append(&mut col.problems);
    let mut patterns = col.patterns;
    patterns.sort_by(|a, b| (a.span.start, a.span.end, &a.key).cmp(&(b.span.start, b.span.end, &b.key)));
    Extraction { kind, patterns, problems }
}

/// Read tree documents that match custom sources only (files whose format
/// cfglint does not know by name).
pub(crate) fn extract_custom(file: &SourceFile, parsed: Parsed, customs: &[&CustomSource]) -> Extraction {
    let mut col = Collector::new(&file.text);
    let multi = parsed.documents.len() > 1;
    for (i, doc) in parsed.documents.iter().enumerate() {
        let mut path = if multi { vec![Seg::Doc(i)] } else { Vec::new() };
        for c in customs {
            custom::select(c, &doc.root, &mut path, &mut col, &Kind::Generic);
        }
    }
    let kind = customs.iter().find_map(|c| c.kind.as_deref()).map(Kind::from_name);
    let mut problems = parsed.problems;
    problems.append(&mut col.problems);
    let mut patterns = col.patterns;
    patterns.sort_by(|a, b| (a.span.start, a.span.end, &a.key).cmp(&(b.span.start, b.span.end, &b.key)));
    Extraction { kind, patterns, problems }
}

/// Select every document of a parse; returns the file's kind (the first
/// specific kind found, else generic; `None` when nothing was parsed).
fn select_documents(
    file: &SourceFile,
    parsed: &Parsed,
    customs: &[&CustomSource],
    col: &mut Collector<'_>,
    nesting: usize,
) -> Option<Kind> {
    let forced =
        customs.iter().filter_map(|c| c.kind.as_deref()).map(Kind::from_name).find(|k| !matches!(k, Kind::Custom(_)));
    let multi = parsed.documents.len() > 1;
    let mut file_kind: Option<Kind> = None;
    for (i, doc) in parsed.documents.iter().enumerate() {
        let mut path = if multi { vec![Seg::Doc(i)] } else { Vec::new() };
        let kind = select_document(file, &doc.root, &mut path, forced.as_ref(), col, nesting);
        for c in customs {
            custom::select(c, &doc.root, &mut path, col, &kind);
        }
        if file_kind.as_ref().is_none_or(|k| *k == Kind::Generic) {
            file_kind = Some(kind);
        }
    }
    file_kind
}

/// Select one document (or one item of a Kubernetes `List`); returns its
/// kind.
fn select_document<'t>(
    file: &SourceFile,
    root: &'t Node,
    path: &mut Vec<Seg<'t>>,
    forced: Option<&Kind>,
    col: &mut Collector<'_>,
    nesting: usize,
) -> Kind {
    if let Some(kind) = forced {
        table::select(kind, root, path, col, KindContext::default());
        return kind.clone();
    }
    if let Some(k8s) = kube_kind(root) {
        match k8s {
            "List" => {
                let mut found = Kind::Generic;
                if let Some(items) = root.get("items") {
                    path.push(Seg::Key("items"));
                    for (i, item) in items.items().iter().enumerate() {
                        path.push(Seg::Index(i));
                        let k = select_document(file, item, path, None, col, nesting);
                        path.pop();
                        if found == Kind::Generic {
                            found = k;
                        }
                    }
                    path.pop();
                }
                return found;
            }
            "Secret" | "ConfigMap" => {
                if let Some(k) = select_embedded(root, path, col, nesting) {
                    return k;
                }
            }
            _ => {}
        }
        let api = root.get("apiVersion").and_then(Node::scalar_text).unwrap_or_default();
        let kind = table::manifest_kind(k8s, api);
        let cx = KindContext { kubernetes_crd: k8s == "CustomResourceDefinition" };
        table::select(&kind, root, path, col, cx);
        return kind;
    }
    let kind = table::detect(file, root);
    table::select(&kind, root, path, col, KindContext::default());
    kind
}

/// Facts about a document that change how its kind's selector reads it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KindContext {
    /// A Kubernetes CRD: the API server checks `pattern` with Go's regexp.
    pub(crate) kubernetes_crd: bool,
}

/// The `kind:` of a Kubernetes manifest (a map with string `apiVersion` and
/// `kind`).
fn kube_kind(root: &Node) -> Option<&str> {
    let api = root.get("apiVersion")?.scalar_text()?;
    let kind = root.get("kind")?.scalar_text()?;
    (!api.is_empty() && !kind.is_empty()).then_some(kind)
}

/// A `Secret`'s `stringData` or a `ConfigMap`'s `data` entries that hold
/// YAML (or JSON) config: parse and select them, composing offset maps.
/// Returns the embedded kind found, if any.
fn select_embedded<'t>(
    root: &'t Node,
    path: &mut Vec<Seg<'t>>,
    col: &mut Collector<'_>,
    nesting: usize,
) -> Option<Kind> {
    // Base64 `data` of a Secret is skipped: it is not text.
    let fields: &[&str] = if kube_kind(root) == Some("Secret") { &["stringData"] } else { &["data"] };
    let mut found: Option<Kind> = None;
    if nesting >= 2 {
        return None;
    }
    for field in fields {
        let Some(Node::Map(entries, _)) = root.get(field) else { continue };
        for e in entries {
            let name = e.key.to_ascii_lowercase();
            let is_config = [".yaml", ".yml", ".json", ".rules"].iter().any(|ext| name.ends_with(ext));
            let Some(inner) = e.value.as_str().filter(|_| is_config) else { continue };
            path.push(Seg::Key(field));
            path.push(Seg::Key(&e.key));
            let prefix = render_path(path);
            path.pop();
            path.pop();
            let inner_file = SourceFile::new(e.key.clone(), inner.value.clone());
            let parsed = super::yaml::parse(&inner.value, &ExtractOptions::default());
            let mut sub = Collector::new(&inner.value);
            let kind = select_documents(&inner_file, &parsed, &[], &mut sub, nesting + 1);
            col.embed(sub, &parsed.problems, inner, &prefix);
            if let Some(k) = kind
                && found.as_ref().is_none_or(|f| *f == Kind::Generic)
            {
                found = Some(k);
            }
        }
    }
    found
}

/// One step of a key path.
#[derive(Debug, Clone)]
pub(crate) enum Seg<'t> {
    /// Document `N` of a multi-document stream.
    Doc(usize),
    /// A map key.
    Key(&'t str),
    /// A sequence index.
    Index(usize),
    /// Text appended as is (a matcher suffix such as `{job=~}`, or the
    /// rendered path of an enclosing document).
    Raw(String),
}

/// A key that can be written bare in a path.
fn is_simple_key(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '$' | '@' | '/' | '+'))
}

/// Render a key path: `a.b[2].c`, `["x.y"].z`, `doc1.a`.
pub(crate) fn render_path(segs: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Doc(n) => {
                let _ = write!(out, "doc{n}");
            }
            Seg::Key(k) if is_simple_key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Key(k) => {
                out.push_str("[\"");
                for c in k.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        c => out.push(c),
                    }
                }
                out.push_str("\"]");
            }
            Seg::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
            Seg::Raw(s) => out.push_str(s),
        }
    }
    out
}

/// What a selector did with one map entry it was shown by [`walk`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The entry is dealt with (picked, or skipped on purpose): do not walk
    /// into its value.
    Done,
    /// Walk on into the entry's value.
    Descend,
}

/// The one tree walk the selectors share. Visits `node` depth-first in
/// document order, keeping `path` at the current position: each map entry
/// is shown to `on_entry` (with the map that holds it, and `path` ending in
/// its key), which picks what it wants and says whether to walk into the
/// value; sequence items are walked with `[i]` appended.
///
/// Bounded: the recursion is as deep as the tree, which the parsers cap
/// (`ExtractOptions::max_depth`), and every node is visited once per path
/// that reaches it. A scalar that YAML aliases make reachable from several
/// paths is still picked once: [`Collector`] keeps the first pick of a raw
/// span, so the first path in document order wins.
pub(crate) fn walk<'t, F>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, on_entry: &mut F)
where
    F: FnMut(&'t Node, &'t Entry, &mut Vec<Seg<'t>>, &mut Collector<'_>) -> Step,
{
    match node {
        Node::Map(entries, _) => {
            for e in entries {
                path.push(Seg::Key(&e.key));
                if on_entry(node, e, path, col) == Step::Descend {
                    walk(&e.value, path, col, on_entry);
                }
                path.pop();
            }
        }
        Node::Seq(items, _) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(item, path, col, on_entry);
                path.pop();
            }
        }
        Node::Str(_) | Node::Other(..) => {}
    }
}

/// Call `f` on a string node, or on each string of a sequence (with `[i]`
/// appended to `path`); other nodes are ignored.
pub(crate) fn each_str<'t>(
    node: &'t Node,
    path: &mut Vec<Seg<'t>>,
    col: &mut Collector<'_>,
    f: &mut dyn FnMut(&mut Collector<'_>, &[Seg<'t>], &Scalar),
) {
    match node {
        Node::Str(s) => f(col, path, s),
        Node::Seq(items, _) => {
            for (i, item) in items.iter().enumerate() {
                if let Node::Str(s) = item {
                    path.push(Seg::Index(i));
                    f(col, path, s);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

/// How a selected string is read.
#[derive(Debug, Clone)]
pub(crate) struct Pick {
    kind: Kind,
    semantics: Semantics,
    flags: Flags,
    flavor: Option<Flavor>,
    rule_id: Option<String>,
}

impl Pick {
    /// A pick of `kind` with its default flavor and semantics.
    pub(crate) fn new(kind: Kind) -> Self {
        Pick { semantics: kind.default_semantics(), kind, flags: Flags::default(), flavor: None, rule_id: None }
    }

    pub(crate) fn semantics(mut self, s: Semantics) -> Self {
        self.semantics = s;
        self
    }

    pub(crate) fn flags(mut self, f: Flags) -> Self {
        self.flags = f;
        self
    }

    pub(crate) fn flavor(mut self, f: Flavor) -> Self {
        self.flavor = Some(f);
        self
    }

    pub(crate) fn rule_id(mut self, id: Option<String>) -> Self {
        self.rule_id = id;
        self
    }
}

/// Collects picked patterns for one file, once per raw span.
pub(crate) struct Collector<'f> {
    /// The text the tree's spans point into (for reading `Other` scalars).
    text: &'f str,
    patterns: Vec<ExtractedPattern>,
    /// Index in `patterns` by (span start, span end, pattern).
    seen: HashMap<(usize, usize, String), usize>,
    problems: Vec<ParseProblem>,
}

impl<'f> Collector<'f> {
    fn new(text: &'f str) -> Self {
        Collector { text, patterns: Vec::new(), seen: HashMap::new(), problems: Vec::new() }
    }

    /// True when this raw span was already picked.
    pub(crate) fn is_taken(&self, s: &Scalar) -> bool {
        self.seen.contains_key(&(s.span.start, s.span.end, s.value.clone()))
    }

    /// Pick a scalar.
    pub(crate) fn add(&mut self, path: &[Seg<'_>], s: &Scalar, pick: &Pick) {
        self.insert(path, s, pick, false);
    }

    /// Pick a scalar, replacing an earlier pick of the same span (custom
    /// sources override built-in picks).
    pub(crate) fn add_override(&mut self, path: &[Seg<'_>], s: &Scalar, pick: &Pick) {
        self.insert(path, s, pick, true);
    }

    fn insert(&mut self, path: &[Seg<'_>], s: &Scalar, pick: &Pick, replace: bool) {
        let key = (s.span.start, s.span.end, s.value.clone());
        let p = ExtractedPattern {
            pattern: s.value.clone(),
            span: s.offsets.raw_span(),
            offsets: s.offsets.clone(),
            key: render_path(path),
            kind: pick.kind.clone(),
            flavor: pick.flavor.unwrap_or_else(|| pick.kind.default_flavor()),
            semantics: pick.semantics,
            flags: pick.flags,
            rule_id: pick.rule_id.clone(),
        };
        match self.seen.get(&key) {
            Some(&i) if replace => self.patterns[i] = p,
            Some(_) => {}
            None => {
                self.seen.insert(key, self.patterns.len());
                self.patterns.push(p);
            }
        }
    }

    /// Pick a string node (or a non-null plain scalar such as `regex: 1`).
    pub(crate) fn add_node(&mut self, path: &[Seg<'_>], node: &Node, pick: &Pick) -> bool {
        match self.text_scalar(node) {
            Some(s) => {
                self.add(path, &s, pick);
                true
            }
            None => false,
        }
    }

    /// Pick a string, or every string of a sequence (paths get `[i]`).
    pub(crate) fn add_string_or_list<'t>(&mut self, path: &mut Vec<Seg<'t>>, node: &'t Node, pick: &Pick) {
        if let Node::Seq(items, _) = node {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                self.add_node(path, item, pick);
                path.pop();
            }
        } else {
            self.add_node(path, node, pick);
        }
    }

    /// The scalar of a string node, or of a plain non-null scalar whose raw
    /// text is its value.
    pub(crate) fn text_scalar(&self, node: &Node) -> Option<Scalar> {
        match node {
            Node::Str(s) => Some(s.clone()),
            Node::Other(t, span) => {
                let null = matches!(t.as_str(), "" | "~" | "null" | "Null" | "NULL");
                (!null && self.text.get(span.range()) == Some(t.as_str())).then(|| Scalar {
                    value: t.clone(),
                    span: *span,
                    offsets: OffsetMap::verbatim(span.start, span.len()),
                })
            }
            _ => None,
        }
    }

    /// Merge the picks of a document embedded in the string `outer` (a
    /// Secret's `stringData` value): compose offset maps so spans land in
    /// this file, and prefix keys with `prefix`.
    fn embed(&mut self, inner: Collector<'_>, problems: &[ParseProblem], outer: &Scalar, prefix: &str) {
        for p in inner.patterns {
            let offsets = outer.offsets.compose(&p.offsets);
            let scalar = Scalar { value: p.pattern, span: offsets.raw_span(), offsets };
            let key = if p.key.is_empty() || p.key.starts_with('[') {
                format!("{prefix}{}", p.key)
            } else {
                format!("{prefix}.{}", p.key)
            };
            let pick = Pick {
                kind: p.kind,
                semantics: p.semantics,
                flags: p.flags,
                flavor: Some(p.flavor),
                rule_id: p.rule_id,
            };
            self.add(&[Seg::Raw(key)], &scalar, &pick);
        }
        for pr in problems.iter().chain(&inner.problems) {
            let span = outer.offsets.to_file_span(PatternSpan::new(pr.span.start, pr.span.end));
            self.problems.push(ParseProblem { message: format!("in embedded config {prefix}: {}", pr.message), span });
        }
    }
}

/// The part `range` of a scalar's decoded value, as a scalar of its own
/// (its map composed so it still points into the file).
pub(crate) fn sub_scalar(s: &Scalar, range: std::ops::Range<usize>) -> Scalar {
    let inner = OffsetMap::verbatim(range.start, range.len());
    let offsets = s.offsets.compose(&inner);
    Scalar { value: s.value[range].to_owned(), span: offsets.raw_span(), offsets }
}

/// A string decoded from inside a scalar's value (a `PromQL` string in an
/// `expr`): `inner` maps the decoded string to offsets in `s.value`.
pub(crate) fn nested_scalar(s: &Scalar, value: String, inner: &OffsetMap) -> Scalar {
    let offsets = s.offsets.compose(inner);
    Scalar { value, span: offsets.raw_span(), offsets }
}

/// The text of a scalar child, for ids and flags.
pub(crate) fn child_text<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.get(key).and_then(Node::scalar_text)
}

/// A suffix naming the `n`-th (0-based) occurrence of `label` within a
/// string: `{job=~}`, then `{job=~}#2`.
pub(crate) fn occurrence_suffix(seen: &mut HashMap<String, usize>, label: String) -> String {
    let n = seen.entry(label.clone()).or_insert(0);
    *n += 1;
    if *n == 1 { label } else { format!("{label}#{n}") }
}

#[cfg(test)]
mod tests;
