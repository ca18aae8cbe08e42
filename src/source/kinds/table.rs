//! The table of built-in kinds: one row per kind, and everything that asks
//! "which kind?" or "what does this kind do?" reads it.
//!
//! A row gives the kind's name (used in output and cfglint.toml), the
//! flavor and semantics its patterns default to, whether its patterns are
//! fragments of a larger regex, whether its consumer reads capture groups,
//! and how its files are read:
//!
//! - a [`TreeReader`] for YAML/JSON/TOML documents: the content detector
//!   with its position in the detection order, the Kubernetes `kind:`s that
//!   are this kind, file names that are JSON whatever their extension, and
//!   the selector that picks the regexes (with the shared walk,
//!   [`super::walk`]);
//! - a [`LineReader`] for line formats: the extensions that make a file a
//!   line-format file, the detector with its position in the line-format
//!   order, files it claims when their extension names no format, and the
//!   extractor.
//!
//! The `Kind` enum, [`Kind::BUILTIN`], [`Kind::as_str`], [`Kind::from_name`],
//! the default flavor, format sniffing ([`crate::source::detect_format`]),
//! content detection, the Kubernetes mapping and the dispatch to selectors
//! and line extractors are all generated from or read from this table.
//!
//! # Adding a kind
//!
//! 1. Write its reader in one file: `kinds/NAME.rs` for a tree format (a
//!    detector `fn(file_name, root) -> bool` and a selector that calls
//!    [`super::walk`] with what it picks), or `lines/NAME.rs` for a line
//!    format (a detector `fn(path, text) -> bool` and an extractor), and
//!    declare the module next to its siblings.
//! 2. Add one row to the `kinds!` table below (its doc comment becomes the
//!    enum variant's), with a detection position between those of the kinds
//!    it must come after and before.
//! 3. Describe it in docs/sources.md's table (`tests/contract.rs` fails
//!    until the docs table and this table list the same kinds, in this
//!    order, with the same flavors).
//!
//! Nothing else names the kinds: `only_the_table_names_the_kinds` (in this
//! file's tests) fails when a source file outside this table mentions more
//! than two built-in kinds, which is what a `match` over kinds would do.

use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::{
    Collector, KindContext, Seg, alertmanager, crawler, crs_toolchain, fluentbit, generic, gitleaks, prometheus,
    renovate, schema, semgrep, traefik, uap, waf,
};
use crate::source::lines::{self, seclang};
use crate::source::tree::Node;
use crate::source::{Extraction, Flavor, Format, Semantics, SourceFile};

/// A selector: picks the regexes of one document of its kind.
pub(crate) type Select = for<'t> fn(&'t Node, &mut Vec<Seg<'t>>, &mut Collector<'_>, KindContext);

/// A tree detector: is this document (lower-cased file name, root) of the
/// kind?
pub(crate) type Detect = fn(&str, &Node) -> bool;

/// How documents of a kind are found and read in YAML, JSON and TOML files.
pub(crate) struct TreeReader {
    /// The content detector and its position in the detection order (lower
    /// first; positions are unique). It sees the lower-cased file name and
    /// the document's root. `None`: the kind is never detected from content
    /// (only from a Kubernetes `kind:`, a forced kind, or as the fallback).
    pub(crate) detect: Option<(u16, Detect)>,
    /// Kubernetes manifests of these `kind:`s are this kind ...
    pub(crate) kube_kinds: &'static [&'static str],
    /// ... when their `apiVersion` starts with this.
    pub(crate) kube_api: &'static str,
    /// Lower-cased file names read as JSON whatever their extension.
    pub(crate) json_names: &'static [&'static str],
    /// Picks the regexes.
    pub(crate) select: Select,
}

/// How files of a line format are found and read.
pub(crate) struct LineReader {
    /// Lower-cased extensions that make a file a line-format file (which is
    /// then read by the first line reader, in `order`, that detects it).
    pub(crate) extensions: &'static [&'static str],
    /// Position among the line readers (lower first; unique).
    pub(crate) order: u16,
    /// Does the file (path and text) hold this format?
    pub(crate) detect: fn(&Path, &str) -> bool,
    /// Files this reader takes although their extension names no format.
    pub(crate) claims: Option<fn(&Path, &str) -> bool>,
    /// The [`Format`] such a file is reported as.
    pub(crate) format: Format,
    /// Extracts the patterns.
    pub(crate) extract: fn(&SourceFile) -> Extraction,
}

/// One row of the table.
pub(crate) struct KindInfo {
    /// The kebab-case name used in output and in cfglint.toml.
    pub(crate) name: &'static str,
    /// The flavor the kind's patterns default to.
    pub(crate) flavor: Flavor,
    /// How the engine applies the kind's patterns unless the reader knows
    /// better.
    pub(crate) semantics: Semantics,
    /// The patterns are fragments of a larger regex (see
    /// [`Kind::is_fragment`]).
    pub(crate) fragment: bool,
    /// The kind's consumer reads capture groups.
    pub(crate) captures: bool,
    /// Reader of YAML/JSON/TOML documents.
    pub(crate) tree: Option<TreeReader>,
    /// Reader of a line format.
    pub(crate) lines: Option<LineReader>,
}

/// A row with the common defaults: searched, whole patterns, capture
/// groups unused, no reader.
const fn row(name: &'static str, flavor: Flavor) -> KindInfo {
    KindInfo { name, flavor, semantics: Semantics::Search, fragment: false, captures: false, tree: None, lines: None }
}

/// A tree reader found by content only.
const fn tree(position: u16, detect: Detect, select: Select) -> TreeReader {
    TreeReader { detect: Some((position, detect)), kube_kinds: &[], kube_api: "", json_names: &[], select }
}

/// A line reader for files of these extensions.
const fn line(
    extensions: &'static [&'static str],
    order: u16,
    detect: fn(&Path, &str) -> bool,
    extract: fn(&SourceFile) -> Extraction,
) -> LineReader {
    LineReader { extensions, order, detect, claims: None, format: Format::Lines, extract }
}

/// The lower-cased file name of a path.
fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default()
}

/// The lower-cased extension as format sniffing sees it (text after the
/// last dot of the file name, so `.renovaterc` has `renovaterc`).
pub(crate) fn extension(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(_, e)| e)
}

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident => $info:expr; )*) => {
        /// What a file is: which tool reads it, and so where its regexes
        /// are. Built-in kinds are the rows of the table in
        /// `source/kinds/table.rs`.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind {
            $( $(#[$doc])* $variant, )*
            /// A kind declared in cfglint.toml.
            Custom(String),
        }

        impl Kind {
            /// Every built-in kind, in the order of the table.
            pub const BUILTIN: [Kind; [$(stringify!($variant)),*].len()] = [$(Kind::$variant),*];

            /// The kind's row (`None` for custom kinds).
            pub(crate) fn info(&self) -> Option<&'static KindInfo> {
                match self {
                    $( Kind::$variant => {
                        static ROW: KindInfo = $info;
                        Some(&ROW)
                    } )*
                    Kind::Custom(_) => None,
                }
            }
        }
    };
}

kinds! {
    /// The WAF rule YAML format (`rules[].pattern`).
    WafYaml => KindInfo {
        tree: Some(tree(30, waf::detect, |n, p, c, _| waf::select(n, p, c))),
        ..row("waf-yaml", Flavor::Pcre)
    };
    /// ModSecurity / OWASP CRS rules.
    Seclang => KindInfo {
        lines: Some(LineReader {
            format: Format::Seclang,
            ..line(
                &["conf", "config"],
                0,
                |p, t| matches!(extension(&file_name(p)), "conf" | "config") && seclang::looks_like_seclang(t),
                seclang::extract,
            )
        }),
        ..row("seclang", Flavor::Pcre)
    };
    /// OWASP CRS regex-assembly sources (`.ra`).
    // CRS regex-assembly sources become rules that ModSecurity's
    // backtracking PCRE runs (see `lines/regex_assembly.rs`); each fragment
    // is one branch of the assembled alternation that ModSecurity
    // *searches*.
    CrsRegexAssembly => KindInfo {
        fragment: true,
        tree: Some(tree(120, crs_toolchain::detect, |n, p, c, _| crs_toolchain::select(n, p, c))),
        lines: Some(line(
            &["ra"],
            10,
            |p, _| Path::new(&file_name(p)).extension().is_some_and(|e| e == "ra"),
            lines::regex_assembly::extract,
        )),
        ..row("crs-regex-assembly", Flavor::Pcre)
    };
    /// Prometheus server config, and Prometheus Operator monitors.
    Prometheus => KindInfo {
        tree: Some(TreeReader {
            kube_kinds: &["ServiceMonitor", "PodMonitor", "Probe", "ScrapeConfig", "Prometheus", "PrometheusAgent"],
            ..tree(90, |_, root| prometheus::is_prometheus(root), |n, p, c, _| prometheus::select_family(n, p, c))
        }),
        captures: true,
        ..row("prometheus", Flavor::Re2)
    };
    /// Prometheus rule files / `PrometheusRule` (PromQL `=~` matchers).
    PrometheusRules => KindInfo {
        tree: Some(TreeReader {
            kube_kinds: &["PrometheusRule"],
            ..tree(70, |_, root| prometheus::is_rule_file(root), |n, p, c, _| prometheus::select_family(n, p, c))
        }),
        ..row("prometheus-rules", Flavor::Re2)
    };
    /// Alertmanager config.
    Alertmanager => KindInfo {
        tree: Some(TreeReader {
            kube_kinds: &["AlertmanagerConfig", "Alertmanager"],
            ..tree(
                80,
                |_, root| alertmanager::is_alertmanager(root),
                |n, p, c, _| prometheus::select_family(n, p, c),
            )
        }),
        ..row("alertmanager", Flavor::Re2)
    };
    /// gitleaks TOML.
    Gitleaks => KindInfo {
        tree: Some(tree(20, gitleaks::is_gitleaks, |n, p, c, _| gitleaks::select(n, p, c))),
        captures: true,
        ..row("gitleaks", Flavor::Re2)
    };
    /// Semgrep rules.
    Semgrep => KindInfo {
        tree: Some(tree(10, |_, root| semgrep::is_semgrep(root), |n, p, c, _| semgrep::select(n, p, c))),
        ..row("semgrep", Flavor::Python)
    };
    /// Traefik dynamic config.
    Traefik => KindInfo {
        tree: Some(TreeReader {
            kube_kinds: &["IngressRoute", "IngressRouteTCP", "Middleware", "MiddlewareTCP"],
            kube_api: "traefik.",
            ..tree(100, |_, root| traefik::is_traefik(root), |n, p, c, _| traefik::select(n, p, c))
        }),
        captures: true,
        ..row("traefik", Flavor::Re2)
    };
    /// Renovate config.
    Renovate => KindInfo {
        tree: Some(TreeReader {
            json_names: &[".renovaterc"],
            ..tree(60, renovate::is_renovate, |n, p, c, _| renovate::select(n, p, c))
        }),
        captures: true,
        ..row("renovate", Flavor::Js)
    };
    /// uap-core `regexes.yaml`.
    UapCore => KindInfo {
        tree: Some(tree(40, uap::detect, |n, p, c, _| uap::select(n, p, c))),
        captures: true,
        ..row("uap-core", Flavor::Pcre)
    };
    /// crawler-user-agents JSON.
    CrawlerUserAgents => KindInfo {
        tree: Some(tree(50, crawler::detect, |n, p, c, _| crawler::select(n, p, c))),
        ..row("crawler-user-agents", Flavor::Js)
    };
    /// nginx config.
    Nginx => KindInfo {
        lines: Some(LineReader {
            claims: Some(lines::looks_like_nginx_site),
            ..line(
                &["conf"],
                30,
                |p, t| file_name(p) == "nginx.conf" || lines::nginx::looks_like_nginx(t),
                lines::nginx::extract,
            )
        }),
        captures: true,
        ..row("nginx", Flavor::Pcre)
    };
    /// Fluent Bit parsers / config.
    // Fluent Bit runs Onigmo: `^`/`$` are line anchors.
    FluentBit => KindInfo {
        tree: Some(tree(110, |_, root| fluentbit::is_fluent_bit(root), |n, p, c, _| fluentbit::select(n, p, c))),
        lines: Some(line(
            &["conf"],
            20,
            |_, t| lines::fluentbit::looks_like_fluent_bit(t),
            lines::fluentbit::extract,
        )),
        captures: true,
        ..row("fluent-bit", Flavor::Onigmo)
    };
    /// Logstash grok pattern files.
    // Logstash grok runs Joni, a port of Oniguruma: `^`/`$` are line
    // anchors. Definitions such as `DATA .*?` are building blocks referenced
    // by `%{DATA}`.
    Grok => KindInfo {
        fragment: true,
        lines: Some(LineReader {
            claims: Some(lines::grok::looks_like_grok),
            ..line(&[], 40, lines::grok::looks_like_grok, lines::grok::extract)
        }),
        captures: true,
        ..row("grok", Flavor::Onigmo)
    };
    /// Kubernetes CRD / JSON-Schema `pattern:` keys.
    JsonSchema => KindInfo {
        tree: Some(TreeReader {
            kube_kinds: &["CustomResourceDefinition"],
            ..tree(130, |_, root| schema::is_json_schema(root), schema::select)
        }),
        ..row("json-schema", Flavor::Js)
    };
    /// Any YAML/TOML/JSON: keys named `regex`, `regexp`, `pattern`,
    /// `patterns[]`.
    Generic => KindInfo {
        // Never detected: the kind of a document no detector claims.
        tree: Some(TreeReader { detect: None, kube_kinds: &[], kube_api: "", json_names: &[], select: generic_select }),
        ..row("generic", Flavor::Pcre)
    };
}

/// The generic reader, also used for kinds with no tree reader of their own
/// (a line kind or a custom kind forced on a tree file): Prometheus-family
/// blocks anywhere, then regex-named keys.
fn generic_select<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, _cx: KindContext) {
    prometheus::select_family(node, path, col);
    generic::select(node, path, col);
}

/// Every built-in kind with its row, in table order.
fn rows() -> impl Iterator<Item = (&'static Kind, &'static KindInfo)> {
    static ALL: [Kind; Kind::BUILTIN.len()] = Kind::BUILTIN;
    ALL.iter().map(|k| (k, k.info().expect("a built-in kind has a row")))
}

/// Tree detectors in detection order.
static TREE_DETECTORS: LazyLock<Vec<(u16, &'static Kind, Detect)>> = LazyLock::new(|| {
    let mut v: Vec<_> =
        rows().filter_map(|(k, i)| i.tree.as_ref().and_then(|t| t.detect).map(|(pos, f)| (pos, k, f))).collect();
    v.sort_by_key(|(pos, ..)| *pos);
    v
});

/// Line readers in their order.
static LINE_READERS: LazyLock<Vec<(&'static Kind, &'static LineReader)>> = LazyLock::new(|| {
    let mut v: Vec<_> = rows().filter_map(|(k, i)| i.lines.as_ref().map(|l| (k, l))).collect();
    v.sort_by_key(|(_, l)| l.order);
    v
});

impl Kind {
    /// The kebab-case name used in output and in cfglint.toml.
    pub fn as_str(&self) -> &str {
        match self {
            Kind::Custom(name) => name,
            builtin => builtin.info().map_or("", |i| i.name),
        }
    }

    /// Parse a kind name; unknown names are custom kinds.
    pub fn from_name(name: &str) -> Kind {
        rows().find(|(_, i)| i.name == name).map_or_else(|| Kind::Custom(name.to_owned()), |(k, _)| k.clone())
    }

    /// True when the kind's patterns are fragments of a larger regex (CRS
    /// regex-assembly lines and toolchain fragments are assembled into one
    /// alternation; grok definitions such as `DATA .*?` are building blocks
    /// referenced by `%{DATA}`), so whole-pattern checks such as "matches
    /// everything" or "leading `.*`" do not apply to them on their own.
    pub fn is_fragment(&self) -> bool {
        self.info().is_some_and(|i| i.fragment)
    }

    /// True when the kind's consumer reads capture groups (so a rewrite
    /// must keep them, not only the language). Custom kinds are assumed to.
    pub fn reads_captures(&self) -> bool {
        self.info().is_none_or(|i| i.captures)
    }

    /// How the engine applies a kind's patterns unless the extractor knows
    /// better: search for every built-in kind. A CRS regex-assembly
    /// fragment is one branch of the assembled alternation that
    /// ModSecurity *searches*, so the retry at every start position applies
    /// to each branch (an anchoring prefix such as `##!^ ^` is part of the
    /// pattern the extractor reports, see `lines/regex_assembly.rs`).
    pub fn default_semantics(&self) -> Semantics {
        self.info().map_or(Semantics::Search, |i| i.semantics)
    }

    /// The flavor a kind's patterns default to (PCRE for custom kinds).
    pub fn default_flavor(&self) -> Flavor {
        self.info().map_or(Flavor::Pcre, |i| i.flavor)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Kind::from_name(&s))
    }
}

/// The format of a file whose extension is not a tree format's, from the
/// line readers and the file names kinds claim; `None` when no kind reads
/// it.
pub(crate) fn sniff_format(path: &Path, text: &str) -> Option<Format> {
    let name = file_name(path);
    let ext = extension(&name);
    if LINE_READERS.iter().any(|(_, l)| l.extensions.contains(&ext)) {
        return Some(line_reader(path, text).map_or(Format::Lines, |(_, l)| l.format));
    }
    if rows().any(|(_, i)| i.tree.as_ref().is_some_and(|t| t.json_names.contains(&name.as_str()))) {
        return Some(Format::Json);
    }
    LINE_READERS.iter().any(|(_, l)| l.claims.is_some_and(|c| c(path, text))).then_some(Format::Lines)
}

/// The first line reader (in order) that detects the file.
pub(crate) fn line_reader(path: &Path, text: &str) -> Option<(&'static Kind, &'static LineReader)> {
    LINE_READERS.iter().find(|(_, l)| (l.detect)(path, text)).copied()
}

/// The kind of a document that is not a Kubernetes manifest, by content
/// (and a few well-known file names); generic when no detector claims it.
pub(crate) fn detect(file: &SourceFile, root: &Node) -> Kind {
    let name = file_name(&file.path);
    TREE_DETECTORS.iter().find(|(_, _, f)| f(&name, root)).map_or(Kind::Generic, |(_, k, _)| (*k).clone())
}

/// The kind of a Kubernetes manifest of `kind: k8s` (generic when no row
/// names it).
pub(crate) fn manifest_kind(k8s: &str, api: &str) -> Kind {
    rows()
        .find(|(_, i)| i.tree.as_ref().is_some_and(|t| t.kube_kinds.contains(&k8s) && api.starts_with(t.kube_api)))
        .map_or(Kind::Generic, |(k, _)| k.clone())
}

/// Run `kind`'s selector on a document; kinds with no tree reader read as
/// generic.
pub(crate) fn select<'t>(
    kind: &Kind,
    root: &'t Node,
    path: &mut Vec<Seg<'t>>,
    col: &mut Collector<'_>,
    cx: KindContext,
) {
    let select = kind.info().and_then(|i| i.tree.as_ref()).map_or(generic_select as Select, |t| t.select);
    select(root, path, col, cx);
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn names_and_positions_are_unique() {
        let names: BTreeSet<_> = rows().map(|(_, i)| i.name).collect();
        assert_eq!(names.len(), Kind::BUILTIN.len());
        let tree: BTreeSet<_> = TREE_DETECTORS.iter().map(|(p, ..)| *p).collect();
        assert_eq!(tree.len(), TREE_DETECTORS.len(), "two tree detectors share a position");
        let line: BTreeSet<_> = LINE_READERS.iter().map(|(_, l)| l.order).collect();
        assert_eq!(line.len(), LINE_READERS.len(), "two line readers share a position");
        for k in Kind::BUILTIN {
            assert_eq!(Kind::from_name(k.as_str()), k);
        }
        assert_eq!(Kind::from_name("mine"), Kind::Custom("mine".to_owned()));
    }

    #[test]
    fn detection_order_is_the_documented_one() {
        let order: Vec<&str> = TREE_DETECTORS.iter().map(|(_, k, _)| k.as_str()).collect();
        assert_eq!(
            order,
            [
                "semgrep",
                "gitleaks",
                "waf-yaml",
                "uap-core",
                "crawler-user-agents",
                "renovate",
                "prometheus-rules",
                "alertmanager",
                "prometheus",
                "traefik",
                "fluent-bit",
                "crs-regex-assembly",
                "json-schema",
            ]
        );
        let order: Vec<&str> = LINE_READERS.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(order, ["seclang", "crs-regex-assembly", "fluent-bit", "nginx", "grok"]);
    }

    /// Adding a kind is one file and one row: no source file but this one
    /// names more than two built-in kinds outside its tests (a `match`, an
    /// `if` chain or a list over kinds would, and would need a new arm for
    /// every new kind). Readers name the kinds they pick for (at most two,
    /// the Prometheus family's file).
    #[test]
    fn only_the_table_names_the_kinds() {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
        let files = ignore::Walk::new(&src)
            .map(|e| e.expect("a readable source tree").into_path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"));
        let mut offenders = BTreeMap::new();
        for file in files {
            let rel = file.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
            if rel == "source/kinds/table.rs" || rel.ends_with("/tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("read");
            let named = named_kinds(text.split("#[cfg(test)]").next().unwrap_or_default());
            if named.len() > 2 {
                offenders.insert(rel, named);
            }
        }
        assert!(offenders.is_empty(), "files that list kinds outside the table: {offenders:?}");
    }

    /// The built-in kinds `code` names as `Kind::Variant`.
    fn named_kinds(code: &str) -> BTreeSet<String> {
        let is_ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        Kind::BUILTIN
            .iter()
            .map(|k| format!("{k:?}"))
            .filter(|v| {
                code.match_indices(&format!("Kind::{v}")).any(|(i, m)| !is_ident(code[i + m.len()..].chars().next()))
            })
            .collect()
    }

    #[test]
    fn the_check_sees_a_dispatch() {
        let code = "match k { Kind::Nginx => 1, Kind::Grok => 2, Kind::PrometheusRules => 3 }";
        let want = ["Grok", "Nginx", "PrometheusRules"].map(str::to_owned);
        assert_eq!(
            named_kinds(code),
            BTreeSet::from(want),
            "`Kind::Prometheus` is not named by `Kind::PrometheusRules`"
        );
    }
}
