//! What one version of a changed file defines and refers to, so that
//! [`super::waves`] can put dependent changes in order.
//!
//! Position: under `waves`; reads file text with the `source` parsers.
//!
//! What cfglint understands:
//!
//! - **Rule ids.** SecLang `id:N` actions define rule `N`; the WAF rule
//!   YAML format (and any YAML/TOML/JSON with `rules[].id`) defines each
//!   rule's id. SecLang `ctl:ruleRemoveById=N`, `ctl:ruleRemoveTargetById=N;…`,
//!   `SecRuleRemoveById N M-K`, `SecRuleUpdateTargetById N` and
//!   `SecRuleUpdateActionById N` refer to ids or id ranges.
//! - **Markers.** `SecMarker NAME` defines, `skipAfter:NAME` refers.
//! - **Series.** A Prometheus recording rule (`groups[].rules[].record`,
//!   also under `spec:` as in a `PrometheusRule` resource) defines the
//!   series it records; every `expr` refers to the metric names it selects,
//!   read with the real PromQL grammar (`promql-parser`): names inside
//!   functions, aggregations, binary operations, subqueries and
//!   `{__name__="x"}` selectors. An expression that does not parse refers
//!   to nothing (Prometheus refuses the file anyway).
//! - **Receivers.** Alertmanager `receivers[].name` defines a receiver;
//!   `route.receiver` and every nested `routes[].receiver` refer to one.
//! - **Loads.** A file that names another file loads it: SecLang/Apache
//!   `Include` / `IncludeOptional`, nginx `include x;` and
//!   `modsecurity_rules_file x;`, Fluent Bit `@INCLUDE x` (globs allowed,
//!   relative to the including file's folder, then to the repository
//!   root); and in YAML/TOML/JSON any string value that is the path of
//!   another changed file (exact paths only, no globs); Prometheus
//!   `rule_files` globs (not strict: a glob that matches nothing loads
//!   nothing, silently). Absolute paths
//!   (`/etc/modsecurity/crs/rules/x.conf`) match the changed file whose
//!   repository path is the longest suffix of them. Approximation: a string
//!   that happens to equal a changed file's path counts as a load; the
//!   worst outcome is an extra ordering edge.
//!
//! Guarantees: no recursion over the document (an explicit stack), no
//! panics on any text; files that are not UTF-8 have no links.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::source::tree::Node;
use crate::source::{self, ExtractOptions, Format};

/// Something a file can define.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Symbol {
    /// A rule id.
    Rule(String),
    /// A SecLang marker.
    Marker(String),
    /// A Prometheus series a recording rule records.
    Series(String),
    /// An Alertmanager receiver.
    Receiver(String),
}

impl Symbol {
    /// In words: `rule 942100`, `marker END-X`.
    pub fn describe(&self) -> String {
        match self {
            Symbol::Rule(id) => format!("rule {id}"),
            Symbol::Marker(m) => format!("marker {m}"),
            Symbol::Series(m) => format!("series {m}"),
            Symbol::Receiver(r) => format!("receiver {r}"),
        }
    }
}

/// A reference to symbols.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// Rule ids in an inclusive numeric range.
    Rules(u64, u64),
    /// A marker.
    Marker(String),
    /// A series (metric name).
    Series(String),
    /// An Alertmanager receiver.
    Receiver(String),
}

impl Target {
    /// The symbol a single-name target names (`None` for an id range).
    pub fn symbol(&self) -> Option<Symbol> {
        match self {
            Target::Rules(a, b) if a == b => Some(Symbol::Rule(a.to_string())),
            Target::Rules(..) => None,
            Target::Marker(m) => Some(Symbol::Marker(m.clone())),
            Target::Series(m) => Some(Symbol::Series(m.clone())),
            Target::Receiver(r) => Some(Symbol::Receiver(r.clone())),
        }
    }
}

/// A reference, with how it is written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    /// What it refers to.
    pub target: Target,
    /// As written: `ctl:ruleRemoveById=942100`.
    pub via: String,
}

/// A file named by another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Load {
    /// The path or glob as written.
    pub target: String,
    /// The directive as written: `Include rules/*.conf`.
    pub via: String,
    /// A directive the loader must resolve (`Include`, `include`): a
    /// missing file breaks the config. Optional includes and string values
    /// are not strict.
    pub strict: bool,
    /// A directive (globs allowed) rather than a string value.
    pub directive: bool,
    /// The 1-based line of the directive, where the format has lines.
    pub line: Option<usize>,
}

/// Everything one version of a file defines and refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// Symbols defined.
    pub defines: BTreeSet<Symbol>,
    /// Numeric rule ids defined, for range look-ups.
    pub numeric: BTreeMap<u64, String>,
    /// References to symbols.
    pub refs: Vec<Reference>,
    /// Files loaded.
    pub loads: Vec<Load>,
    /// Each rule's action (`block`, `log`, `deny`, `pass`, …), by id.
    pub actions: BTreeMap<String, String>,
}

impl Links {
    fn define_rule(&mut self, id: &str) {
        if let Ok(n) = id.parse::<u64>() {
            self.numeric.insert(n, id.to_owned());
        }
        self.defines.insert(Symbol::Rule(id.to_owned()));
    }

    /// The symbols defined here that a reference names.
    pub fn matching(&self, target: &Target) -> Vec<Symbol> {
        match target {
            Target::Rules(a, b) => self.numeric.range(*a..=*b).map(|(_, id)| Symbol::Rule(id.clone())).collect(),
            Target::Marker(_) | Target::Series(_) | Target::Receiver(_) => {
                target.symbol().filter(|s| self.defines.contains(s)).into_iter().collect()
            }
        }
    }

    /// Does this version refer to the symbol?
    pub fn refers_to(&self, symbol: &Symbol) -> bool {
        self.refs.iter().any(|r| match (&r.target, symbol) {
            (Target::Rules(a, b), Symbol::Rule(id)) => id.parse::<u64>().is_ok_and(|n| (*a..=*b).contains(&n)),
            (Target::Marker(m), Symbol::Marker(n))
            | (Target::Series(m), Symbol::Series(n))
            | (Target::Receiver(m), Symbol::Receiver(n)) => m == n,
            _ => false,
        })
    }
}

/// True for an action that blocks traffic (WAF YAML `block`; SecLang
/// `deny`, `drop`, `block`).
pub fn is_blocking(action: &str) -> bool {
    matches!(action, "block" | "deny" | "drop")
}

/// Read the links of one version of a file.
pub fn of(path: &str, bytes: &[u8], opts: &ExtractOptions) -> Links {
    let Ok(text) = std::str::from_utf8(bytes) else { return Links::default() };
    match source::detect_format(Path::new(path), text) {
        Some(Format::Yaml) => tree_links(&source::yaml::parse(text, opts)),
        Some(Format::Json) => tree_links(&source::json::parse(Path::new(path), text, opts)),
        Some(Format::Toml) => tree_links(&source::toml::parse(text, opts)),
        Some(Format::Seclang | Format::Lines) | None => line_links(text),
    }
}

/// SecLang directives (which also covers Apache `Include` and nginx
/// `include`), plus the other load directives cfglint knows.
fn line_links(text: &str) -> Links {
    let mut out = Links::default();
    let sec = source::lines::seclang::links(text);
    for (id, _) in &sec.rule_ids {
        out.define_rule(id);
    }
    for (m, _) in &sec.markers {
        out.defines.insert(Symbol::Marker(m.clone()));
    }
    for r in &sec.id_refs {
        let written = &text[r.span.range()];
        let via =
            if r.via.starts_with("ctl:") { format!("{}={written}", r.via) } else { format!("{} {written}", r.via) };
        out.refs.push(Reference { target: Target::Rules(r.first, r.last), via });
    }
    for (m, _) in &sec.marker_refs {
        out.refs.push(Reference { target: Target::Marker(m.clone()), via: format!("skipAfter:{m}") });
    }
    for (id, action) in &sec.disruptive {
        out.actions.insert(id.clone(), action.clone());
    }
    for (p, span) in &sec.includes {
        let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
        let word = text[line_start..span.start].split_whitespace().next().unwrap_or("Include");
        let target = p.trim_end_matches(';').to_owned();
        out.loads.push(Load {
            via: format!("{word} {target}"),
            strict: !word.eq_ignore_ascii_case("IncludeOptional"),
            directive: true,
            target,
            line: Some(memchr::memchr_iter(b'\n', &text.as_bytes()[..line_start]).count() + 1),
        });
    }
    // Directives that `seclang::links` does not read.
    for (n, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else { continue };
        let directive = first.to_ascii_lowercase();
        if !matches!(directive.as_str(), "modsecurity_rules_file" | "@include") {
            continue;
        }
        let Some(arg) = words.next() else { continue };
        let target = arg.trim_end_matches(';').trim_matches(['"', '\'']).to_owned();
        if !target.is_empty() {
            out.loads.push(Load {
                via: format!("{first} {target}"),
                target,
                strict: true,
                directive: true,
                line: Some(n + 1),
            });
        }
    }
    out.refs.sort();
    out.refs.dedup();
    out.loads.sort();
    out.loads.dedup();
    out
}

/// YAML/TOML/JSON: `rules[].id` / `rules[].action`, and string values that
/// may name files.
fn tree_links(parsed: &source::Parsed) -> Links {
    let mut out = Links::default();
    for doc in &parsed.documents {
        for rule in doc.root.get("rules").map(Node::items).unwrap_or_default() {
            let Some(id) = rule.get("id").and_then(Node::scalar_text) else { continue };
            out.define_rule(id);
            if let Some(action) = rule.get("action").and_then(Node::scalar_text) {
                out.actions.insert(id.to_owned(), action.to_ascii_lowercase());
            }
        }
        prometheus_rules(&doc.root, &mut out);
        if let Some(spec) = doc.root.get("spec") {
            prometheus_rules(spec, &mut out);
        }
        alertmanager(&doc.root, &mut out);
        for glob in doc.root.get("rule_files").map(Node::items).unwrap_or_default() {
            if let Some(g) = glob.scalar_text().map(str::trim).filter(|g| !g.is_empty()) {
                out.loads.push(Load {
                    target: g.to_owned(),
                    via: format!("rule_files: {g}"),
                    strict: false,
                    directive: true,
                    line: None,
                });
            }
        }
        let mut stack = vec![&doc.root];
        while let Some(node) = stack.pop() {
            match node {
                Node::Map(entries, _) => stack.extend(entries.iter().map(|e| &e.value)),
                Node::Seq(items, _) => stack.extend(items.iter()),
                Node::Str(s) => {
                    let v = s.value.trim();
                    if looks_like_path(v) {
                        out.loads.push(Load {
                            target: v.to_owned(),
                            via: format!("the value \"{v}\""),
                            strict: false,
                            directive: false,
                            line: None,
                        });
                    }
                }
                Node::Other(..) => {}
            }
        }
    }
    // A `rule_files` glob is a directive, not also a plain string value.
    let directives: BTreeSet<String> = out.loads.iter().filter(|l| l.directive).map(|l| l.target.clone()).collect();
    out.loads.retain(|l| l.directive || !directives.contains(&l.target));
    out.loads.sort();
    out.loads.dedup();
    out.refs.sort();
    out.refs.dedup();
    out
}

/// Longest PromQL expression parsed; a real one is a few hundred bytes.
const MAX_EXPR_BYTES: usize = 64 * 1024;

/// Prometheus rule groups under `root` (`groups[].rules[]`): `record`
/// defines a series, `expr` refers to the series it selects.
fn prometheus_rules(root: &Node, out: &mut Links) {
    for group in root.get("groups").map(Node::items).unwrap_or_default() {
        for rule in group.get("rules").map(Node::items).unwrap_or_default() {
            let record = rule.get("record").and_then(Node::scalar_text).map(str::trim);
            let alert = rule.get("alert").and_then(Node::scalar_text).map(str::trim);
            if record.is_none() && alert.is_none() {
                continue;
            }
            if let Some(r) = record.filter(|r| !r.is_empty()) {
                out.defines.insert(Symbol::Series(r.to_owned()));
            }
            let Some(expr) = rule.get("expr").and_then(Node::scalar_text) else { continue };
            let via = match record {
                Some(r) => format!("expr of record {r}"),
                None => format!("expr of alert {}", alert.unwrap_or_default()),
            };
            for name in series_in(expr) {
                out.refs.push(Reference { via: via.clone(), target: Target::Series(name) });
            }
        }
    }
}

/// The metric names a PromQL expression selects, sorted; none when it does
/// not parse.
pub fn series_in(expr: &str) -> BTreeSet<String> {
    use promql_parser::label::{MatchOp, Matcher};
    use promql_parser::parser::{self, Expr, VectorSelector};

    let mut names = BTreeSet::new();
    if expr.len() > MAX_EXPR_BYTES {
        return names;
    }
    let Ok(ast) = parser::parse(expr) else { return names };
    let mut selector = |vs: &VectorSelector| {
        if let Some(n) = &vs.name {
            names.insert(n.clone());
        }
        let equal_name =
            |m: &Matcher| (m.name == "__name__" && matches!(m.op, MatchOp::Equal)).then(|| m.value.clone());
        names.extend(vs.matchers.matchers.iter().filter_map(equal_name));
        names.extend(vs.matchers.or_matchers.iter().flatten().filter_map(equal_name));
    };
    let mut stack = vec![&ast];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Aggregate(a) => {
                stack.push(&a.expr);
                stack.extend(a.param.as_deref());
            }
            Expr::Unary(u) => stack.push(&u.expr),
            Expr::Binary(b) => stack.extend([&*b.lhs, &*b.rhs]),
            Expr::Paren(p) => stack.push(&p.expr),
            Expr::Subquery(s) => stack.push(&s.expr),
            Expr::VectorSelector(vs) => selector(vs),
            Expr::MatrixSelector(ms) => selector(&ms.vs),
            Expr::Call(c) => stack.extend(c.args.args.iter().map(|a| &**a)),
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
        }
    }
    names
}

/// Alertmanager: `receivers[].name` defines, `route.receiver` and nested
/// `routes[].receiver` refer.
fn alertmanager(root: &Node, out: &mut Links) {
    // Receivers may live in a file of their own (a config assembled from
    // parts), so they are read without a `route` beside them.
    for r in root.get("receivers").map(Node::items).unwrap_or_default() {
        if let Some(name) = r.get("name").and_then(Node::scalar_text).map(str::trim).filter(|n| !n.is_empty()) {
            out.defines.insert(Symbol::Receiver(name.to_owned()));
        }
    }
    let Some(route) = root.get("route").filter(|r| matches!(r, Node::Map(..))) else { return };
    let mut stack = vec![(route, "route".to_owned())];
    while let Some((node, place)) = stack.pop() {
        if let Some(name) = node.get("receiver").and_then(Node::scalar_text).map(str::trim).filter(|n| !n.is_empty()) {
            out.refs.push(Reference {
                via: format!("{place}.receiver: {name}"),
                target: Target::Receiver(name.to_owned()),
            });
        }
        for (i, child) in node.get("routes").map(Node::items).unwrap_or_default().iter().enumerate() {
            stack.push((child, format!("{place}.routes[{i}]")));
        }
    }
}

fn looks_like_path(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 1024
        && (v.contains('/') || v.contains('.'))
        && !v.contains("://")
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Changed files by path, for resolving loads on one side of the change.
#[derive(Debug, Default)]
pub struct PathIndex {
    by_path: BTreeMap<String, Vec<usize>>,
}

impl PathIndex {
    /// Index `(path, node)` pairs.
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a str, usize)>) -> PathIndex {
        let mut by_path: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (p, i) in entries {
            by_path.entry(p.to_owned()).or_default().push(i);
        }
        PathIndex { by_path }
    }

    /// The nodes a load from the file at `from` names (never `from`'s own
    /// path).
    pub fn resolve(&self, from: &str, load: &Load) -> Vec<usize> {
        let raw = load.target.trim().trim_matches(['"', '\'']).trim_end_matches(';');
        if raw.is_empty() || !(looks_like_path(raw) || load.directive) {
            return Vec::new();
        }
        let is_glob = load.directive && raw.contains(['*', '?', '[']);
        let mut out = Vec::new();
        if let Some(abs) = raw.strip_prefix('/') {
            let comps: Vec<&str> = abs.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
            if is_glob {
                for (p, nodes) in &self.by_path {
                    let k = p.split('/').count();
                    if p != from && comps.len() >= k && glob(&comps[comps.len() - k..].join("/"), p) {
                        out.extend(nodes);
                    }
                }
            } else {
                // The longest suffix that is a changed path.
                for start in 0..comps.len() {
                    let suffix = comps[start..].join("/");
                    if let Some(nodes) = self.by_path.get(&suffix) {
                        if suffix != from {
                            out.extend(nodes);
                        }
                        break;
                    }
                }
            }
        } else {
            let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
            for base in [dir, ""] {
                let Some(candidate) = normalize(base, raw) else { continue };
                if is_glob {
                    for (p, nodes) in &self.by_path {
                        if p != from && glob(&candidate, p) {
                            out.extend(nodes);
                        }
                    }
                } else if candidate != from
                    && let Some(nodes) = self.by_path.get(&candidate)
                {
                    out.extend(nodes);
                }
                if !out.is_empty() || base.is_empty() {
                    break;
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Is this path a changed file on this side?
    pub fn contains(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }
}

/// A glob anchored at the repository root.
fn glob(pattern: &str, path: &str) -> bool {
    super::policy::glob_matches(&format!("/{pattern}"), path)
}

/// `dir` joined with `rel`, `.` and `..` resolved; `None` when it leaves
/// the repository.
fn normalize(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(path: &str, text: &str) -> Links {
        of(path, text.as_bytes(), &ExtractOptions::default())
    }

    #[test]
    fn seclang_and_nginx_links() {
        let l = links(
            "crs/exclusions.conf",
            "SecRule REQUEST_URI \"@beginsWith /admin\" \"id:1000,phase:1,pass,nolog,ctl:ruleRemoveById=942100\"\nSecRuleRemoveById 920100-920199\nInclude rules/*.conf\nmodsecurity_rules_file /etc/nginx/modsec/main.conf;\n",
        );
        assert!(l.defines.contains(&Symbol::Rule("1000".into())));
        let vias: Vec<&str> = l.refs.iter().map(|r| r.via.as_str()).collect();
        assert_eq!(vias, ["SecRuleRemoveById 920100-920199", "ctl:ruleRemoveById=942100"]);
        let loads: Vec<(&str, bool)> = l.loads.iter().map(|l| (l.target.as_str(), l.strict)).collect();
        assert_eq!(loads, [("/etc/nginx/modsec/main.conf", true), ("rules/*.conf", true)]);
        assert_eq!(l.actions.get("1000").map(String::as_str), Some("pass"));
        let nginx = links("nginx.conf", "http {\n  include conf.d/*.conf;\n  IncludeOptional x.conf\n}\n");
        let loads: Vec<(&str, bool)> = nginx.loads.iter().map(|l| (l.target.as_str(), l.strict)).collect();
        assert_eq!(loads, [("conf.d/*.conf", true), ("x.conf", false)]);
    }

    #[test]
    fn waf_yaml_links() {
        let l = links(
            "waf/rules.yaml",
            "rules:\n  - id: 100001\n    pattern: 'a+'\n    action: block\n  - id: abc\n    pattern: b\n    action: LOG\nextra: [waf/other.yaml, 'not a path', '1']\n",
        );
        assert!(l.defines.contains(&Symbol::Rule("100001".into())));
        assert!(l.defines.contains(&Symbol::Rule("abc".into())));
        assert_eq!(l.numeric.len(), 1);
        assert_eq!(l.actions.get("abc").map(String::as_str), Some("log"));
        assert_eq!(l.loads.iter().map(|l| l.target.as_str()).collect::<Vec<_>>(), ["waf/other.yaml"]);
        assert_eq!(l.matching(&Target::Rules(100_000, 100_002)), [Symbol::Rule("100001".into())]);
        assert!(links("x.yaml", "\u{0}\u{1}").defines.is_empty());
        assert_eq!(of("x.conf", &[0xff, 0xfe], &ExtractOptions::default()), Links::default());
    }

    #[test]
    fn promql_series_through_the_real_grammar() {
        let names = |e: &str| series_in(e).into_iter().collect::<Vec<_>>();
        assert_eq!(
            names(
                "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / on(job) group_left sum by (job) (rate(http_requests_total[5m])) > 0.05"
            ),
            ["http_requests_total"]
        );
        assert_eq!(
            names(
                "max_over_time(job:errors:rate5m[1h:5m]) + ignoring(x) absent(up) and on() topk(3, {__name__=\"a:b\"} offset 5m)"
            ),
            ["a:b", "job:errors:rate5m", "up"]
        );
        assert_eq!(names("histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))"), ["x_bucket"]);
        assert_eq!(names("{__name__=~\"job:.*\"}"), Vec::<String>::new(), "a regex names no one series");
        assert!(names("sum(rate(x[5m]").is_empty(), "does not parse");
        assert!(names("1 + 2").is_empty());
    }

    #[test]
    fn prometheus_rules_alertmanager_and_rule_files() {
        let l = links(
            "rules/app.yaml",
            "groups:\n  - name: app\n    rules:\n      - record: job:errors:rate5m\n        expr: sum by (job) (rate(errors_total[5m]))\n      - alert: HighErrors\n        expr: job:errors:rate5m > 1\n        for: 5m\n",
        );
        assert!(l.defines.contains(&Symbol::Series("job:errors:rate5m".into())));
        let refs: Vec<(&str, &Target)> = l.refs.iter().map(|r| (r.via.as_str(), &r.target)).collect();
        assert_eq!(
            refs,
            [
                ("expr of record job:errors:rate5m", &Target::Series("errors_total".into())),
                ("expr of alert HighErrors", &Target::Series("job:errors:rate5m".into())),
            ]
        );
        let crd = links(
            "k8s/rules.yaml",
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n  groups:\n    - name: a\n      rules:\n        - record: a:b\n          expr: up\n",
        );
        assert!(crd.defines.contains(&Symbol::Series("a:b".into())));
        let am = links(
            "alertmanager.yml",
            "route:\n  receiver: default\n  routes:\n    - matchers: ['team=\"a\"']\n      receiver: team-a\n      routes:\n        - receiver: team-a-pager\nreceivers:\n  - name: default\n  - name: team-a\n",
        );
        assert_eq!(
            am.defines.iter().collect::<Vec<_>>(),
            [&Symbol::Receiver("default".into()), &Symbol::Receiver("team-a".into())]
        );
        let vias: Vec<&str> = am.refs.iter().map(|r| r.via.as_str()).collect();
        assert_eq!(
            vias,
            [
                "route.receiver: default",
                "route.routes[0].receiver: team-a",
                "route.routes[0].routes[0].receiver: team-a-pager"
            ]
        );
        let prom = links("prometheus.yml", "global: {}\nrule_files:\n  - rules/*.yaml\n  - extra.yml\n");
        let loads: Vec<(&str, &str, bool, bool)> =
            prom.loads.iter().map(|l| (l.target.as_str(), l.via.as_str(), l.strict, l.directive)).collect();
        assert_eq!(
            loads,
            [
                ("extra.yml", "rule_files: extra.yml", false, true),
                ("rules/*.yaml", "rule_files: rules/*.yaml", false, true)
            ]
        );
    }

    #[test]
    fn resolving_loads() {
        let idx =
            PathIndex::new([("crs/rules/a.conf", 0), ("crs/rules/b.conf", 1), ("crs/main.conf", 2), ("x.yaml", 3)]);
        let load = |t: &str, directive: bool| Load {
            target: t.into(),
            via: String::new(),
            strict: true,
            directive,
            line: None,
        };
        assert_eq!(idx.resolve("crs/main.conf", &load("rules/*.conf", true)), [0, 1]);
        assert_eq!(idx.resolve("crs/main.conf", &load("./rules/a.conf", true)), [0]);
        assert_eq!(idx.resolve("crs/main.conf", &load("crs/rules/b.conf", true)), [1], "root-relative fallback");
        assert_eq!(idx.resolve("other/main.conf", &load("/etc/modsecurity/crs/rules/*.conf", true)), [0, 1]);
        assert_eq!(idx.resolve("other/main.conf", &load("/etc/modsecurity/crs/main.conf", true)), [2]);
        assert!(idx.resolve("crs/main.conf", &load("../../x.yaml", true)).is_empty(), "leaves the repository");
        assert_eq!(idx.resolve("crs/main.conf", &load("../x.yaml", false)), [3]);
        assert!(idx.resolve("crs/main.conf", &load("rules/*.conf", false)).is_empty(), "no globs in values");
        assert!(idx.resolve("crs/main.conf", &load("*.conf", true)).is_empty(), "relative to crs/ only");
        assert!(idx.resolve("x.yaml", &load("x.yaml", false)).is_empty(), "never itself");
    }
}
