//! The rules `cfglint bench` measures: a regex plus what a WAF does with it
//! (id, action, targets, tests), read from a WAF rule YAML file or SecLang
//! `.conf` files.
//!
//! Where it sits: first step of a bench run (and of its baseline, which
//! reads the same files at another revision). Patterns come from the shared
//! parsers: the WAF format is read from `source::yaml`'s spanned tree
//! (never re-parsed by hand); SecLang patterns come from
//! `source::extract`, and this module only reads the metadata of the
//! directive each extracted pattern sits in (variables and actions), which
//! the extractor does not keep.
//!
//! SecLang mapping (documented in docs/bench.md):
//! - action: `deny`, `drop`, `block`, `redirect`, `proxy` → `block`;
//!   `allow` → `allow`; `pass` or no disruptive action → `log` (the rule
//!   runs and scores but does not stop the request by itself). A chained
//!   rule takes the action of its chain's first rule and the id
//!   `ID-chainK`.
//! - variables map to request parts ([`Part`]); `!VAR:name` excludes
//!   members, `VAR:name` and `VAR:/regex/` select them; `&VAR` (a count),
//!   `TX`, `MATCHED_VAR(S)` and response variables have no counterpart in a
//!   request corpus and are listed as unsupported.
//!
//! Guarantees: one bad rule is a [`Problem`] and the other rules load; no
//! panics on any input.

use std::path::Path;

use serde::Serialize;

use super::corpus::{NameMatch, Part, Selector};
use crate::analysis::Attack;
use crate::source::tree::Node;
use crate::source::{self, ExtractOptions, Flags, Flavor, LineIndex, SourceFile, Span};

/// What a WAF does when a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Stop the request.
    Block,
    /// Record the match only (still runs the regex: same cost, same checks).
    Log,
    /// Let the request through, skipping later rules.
    Allow,
}

impl Action {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Block => "block",
            Action::Log => "log",
            Action::Allow => "allow",
        }
    }
}

/// A rule's own examples (`tests.match` / `tests.no_match`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tests {
    /// Inputs the pattern must match.
    pub should_match: Vec<String>,
    /// Inputs the pattern must not match.
    pub should_not_match: Vec<String>,
}

/// One rule to measure.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule id (`id:` in SecLang, `id` in the WAF format; generated
    /// from the key when absent).
    pub id: String,
    /// The file, as shown to the user.
    pub file: String,
    /// 1-based line of the pattern.
    pub line: usize,
    /// Raw span of the pattern in the file.
    pub span: Span,
    /// Key path (`rules[3].pattern`, `SecRule[id=942100]`).
    pub key: String,
    /// The decoded pattern.
    pub pattern: String,
    /// Flags given outside the pattern.
    pub flags: Flags,
    /// The engine that runs it in production.
    pub flavor: Flavor,
    /// True for SecLang `!@rx` (the rule fires when the regex does not
    /// match; the cost is the same).
    pub negated: bool,
    /// What the WAF does on a match.
    pub action: Action,
    /// Targets as written.
    pub targets: Vec<String>,
    /// The request parts the targets select.
    pub selectors: Vec<Selector>,
    /// Targets with no counterpart in a request corpus.
    pub unsupported_targets: Vec<String>,
    /// The rule's own examples.
    pub tests: Tests,
    /// Attack strings for the worst-case probe: from the ReDoS analysis,
    /// and any the rule declares in `tests.attack`.
    pub attacks: Vec<Attack>,
}

/// A problem with one rule or file; the other rules still load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `file` or `file:line`.
    pub place: String,
    /// The rule id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Rules and problems read from some files.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// Problems (unreadable files, rules without a pattern, ...).
    pub problems: Vec<Problem>,
    /// `SecPcreMatchLimit` / `SecPcreMatchLimitRecursion` set in the
    /// SecLang files (the last file's win).
    pub pcre_limits: (Option<u32>, Option<u32>),
    /// Files that could not be read at all (I/O errors), do not parse, or
    /// hold no rules list: each makes the run exit 2.
    pub unreadable: usize,
}

/// Read rules from files on disk.
pub fn load_files(paths: &[std::path::PathBuf]) -> Loaded {
    let mut out = Loaded::default();
    for path in paths {
        match source::load(path, source::DEFAULT_MAX_FILE_SIZE) {
            Ok(file) => from_source(&file, &mut out),
            Err(e) => {
                out.unreadable += 1;
                out.problems.push(Problem { place: source::display_path(path), rule: None, message: e.to_string() });
            }
        }
    }
    out
}

/// Read the rules of one file already in memory (a file on disk or a git
/// blob).
pub fn from_source(file: &SourceFile, out: &mut Loaded) {
    let shown = file.display_path();
    match source::detect_format(&file.path, &file.text) {
        Some(source::Format::Yaml) => from_waf_yaml(file, out),
        Some(source::Format::Seclang) => from_seclang(file, out),
        _ => {
            out.unreadable += 1;
            out.problems.push(Problem {
                place: shown,
                rule: None,
                message: "not a WAF rule YAML file (.yaml/.yml) or a SecLang file (.conf with SecRule)".to_owned(),
            });
        }
    }
}

/// The WAF rule format (`rules[]` with `id`, `pattern`, `targets`,
/// `action`, `tests`), read from the shared YAML tree.
fn from_waf_yaml(file: &SourceFile, out: &mut Loaded) {
    let shown = file.display_path();
    let index = LineIndex::new(&file.text);
    let line_of = |offset: usize| index.line_col(&file.text, offset).0;
    let parsed = source::yaml::parse(&file.text, &ExtractOptions::default());
    // A file that does not parse may hide rules: an error for the run
    // (exit 2), not a silent "0 rules measured".
    if !parsed.problems.is_empty() {
        out.unreadable += 1;
    }
    for p in &parsed.problems {
        out.problems.push(Problem {
            place: format!("{shown}:{}", line_of(p.span.start)),
            rule: None,
            message: p.message.clone(),
        });
    }
    let mut found_rules = false;
    for doc in &parsed.documents {
        let Some(rules) = doc.root.get("rules") else { continue };
        found_rules = true;
        for (i, node) in rules.items().iter().enumerate() {
            let place = format!("{shown}:{}", line_of(node.span().start));
            let id = node.get("id").and_then(Node::scalar_text).map(str::to_owned);
            let problem = |message: String| Problem { place: place.clone(), rule: id.clone(), message };
            let Some(pattern) = node.get("pattern").and_then(Node::as_str) else {
                out.problems.push(problem("rule has no string `pattern`".to_owned()));
                continue;
            };
            let action = match node.get("action").and_then(Node::scalar_text) {
                None | Some("block") => Action::Block,
                Some("log") => Action::Log,
                Some("allow") => Action::Allow,
                Some(other) => {
                    out.problems.push(problem(format!(
                        "unknown action `{other}` (expected block, log or allow); measured as block"
                    )));
                    Action::Block
                }
            };
            let targets: Vec<String> = match node.get("targets") {
                Some(Node::Seq(items, _)) => items.iter().filter_map(Node::scalar_text).map(str::to_owned).collect(),
                Some(n) => n.scalar_text().map(|t| vec![t.to_owned()]).unwrap_or_default(),
                None => DEFAULT_TARGETS.iter().map(|t| (*t).to_owned()).collect(),
            };
            let mut selectors = Vec::new();
            let mut unsupported = Vec::new();
            for t in &targets {
                if let Some(sel) = waf_target(t) {
                    selectors.push(sel);
                } else {
                    out.problems.push(problem(format!("unknown target `{t}`; {}", known_targets_hint())));
                    unsupported.push(t.clone());
                }
            }
            let strings = |key: &str| -> Vec<String> {
                node.get("tests")
                    .and_then(|t| t.get(key))
                    .map(|n| n.items().iter().filter_map(Node::scalar_text).map(str::to_owned).collect())
                    .unwrap_or_default()
            };
            let tests = Tests { should_match: strings("match"), should_not_match: strings("no_match") };
            let mut attacks = Vec::new();
            if let Some(a) = node.get("tests").and_then(|t| t.get("attack")) {
                let list: Vec<&Node> = match a {
                    Node::Seq(items, _) => items.iter().collect(),
                    other => vec![other],
                };
                for item in list {
                    match attack_of(item) {
                        Some(attack) => attacks.push(attack),
                        None => out.problems.push(problem(
                            "`tests.attack` needs `pump` (and optional `prefix`, `suffix`) strings".to_owned(),
                        )),
                    }
                }
            }
            out.rules.push(Rule {
                id: id.clone().unwrap_or_else(|| format!("rules[{i}]")),
                file: shown.clone(),
                line: line_of(pattern.span.start),
                span: pattern.span,
                key: format!("rules[{i}].pattern"),
                pattern: pattern.value.clone(),
                flags: Flags::default(),
                flavor: Flavor::Pcre,
                negated: false,
                action,
                targets,
                selectors,
                unsupported_targets: unsupported,
                tests,
                attacks,
            });
        }
    }
    if !found_rules && parsed.problems.is_empty() {
        out.unreadable += 1;
        out.problems.push(Problem { place: shown, rule: None, message: "no `rules:` list in this file".to_owned() });
    }
}

/// `{prefix, pump, suffix}` (extension of the WAF format: a rule may
/// declare the input that makes it slow, so every bench run probes it).
fn attack_of(node: &Node) -> Option<Attack> {
    let text = |k: &str| node.get(k).and_then(Node::scalar_text).map(str::to_owned);
    let pump = text("pump").filter(|p| !p.is_empty())?;
    Some(Attack { prefix: text("prefix").unwrap_or_default(), pump, suffix: text("suffix").unwrap_or_default() })
}

/// Targets of a WAF rule that names none: the whole request.
pub const DEFAULT_TARGETS: [&str; 4] = ["uri", "args", "headers", "body"];

fn known_targets_hint() -> &'static str {
    "known: uri, path, query, args, args_names, headers, header:NAME, header_names, cookies, cookie_names, body, \
     method, request_line, files, or a SecLang variable name"
}

/// A WAF `targets` entry: short names, `header:NAME`, or SecLang variable
/// names in any case.
fn waf_target(t: &str) -> Option<Selector> {
    let lower = t.trim().to_ascii_lowercase();
    let (name, member) = match lower.split_once(':') {
        Some((n, m)) => (n, Some(m)),
        None => (lower.as_str(), None),
    };
    let part = match name {
        "uri" | "url" => Part::Uri,
        "path" => Part::Path,
        "query" | "query_string" => Part::Query,
        "args" | "arg" | "params" => Part::Args,
        "args_names" | "arg_names" => Part::ArgNames,
        "headers" | "header" => Part::Headers,
        "header_names" | "headers_names" => Part::HeaderNames,
        "cookies" | "cookie" => Part::Cookies,
        "cookie_names" | "cookies_names" => Part::CookieNames,
        "body" => Part::Body,
        "method" => Part::Method,
        "request_line" => Part::RequestLine,
        "files" | "file_names" => Part::FileNames,
        "user_agent" | "user-agent" => {
            return Some(Selector {
                part: Part::Headers,
                only: vec![NameMatch::Exact(b"user-agent".to_vec())],
                except: Vec::new(),
            });
        }
        other => return seclang_variable(&other.to_ascii_uppercase(), member).ok().flatten(),
    };
    let only = member.map(|m| vec![NameMatch::Exact(m.as_bytes().to_vec())]).unwrap_or_default();
    Some(Selector { part, only, except: Vec::new() })
}

/// Map a SecLang collection name (upper case) and optional member to a
/// selector. `Ok(None)` for variables a request corpus cannot provide;
/// `Err` for names that are not variables at all.
fn seclang_variable(name: &str, member: Option<&str>) -> Result<Option<Selector>, ()> {
    let part = match name {
        "ARGS" => Part::Args,
        "ARGS_GET" => Part::ArgsGet,
        "ARGS_POST" => Part::ArgsPost,
        "ARGS_NAMES" => Part::ArgNames,
        "ARGS_GET_NAMES" => Part::ArgsGetNames,
        "ARGS_POST_NAMES" => Part::ArgsPostNames,
        "REQUEST_HEADERS" => Part::Headers,
        "REQUEST_HEADERS_NAMES" => Part::HeaderNames,
        "REQUEST_COOKIES" => Part::Cookies,
        "REQUEST_COOKIES_NAMES" => Part::CookieNames,
        // Approximation: XML:/* (the XML body's text nodes) is the raw body.
        "REQUEST_BODY" | "XML" => Part::Body,
        "REQUEST_URI" | "REQUEST_URI_RAW" => Part::Uri,
        "REQUEST_FILENAME" => Part::Path,
        "REQUEST_BASENAME" => Part::Basename,
        "QUERY_STRING" => Part::Query,
        "REQUEST_METHOD" => Part::Method,
        "REQUEST_PROTOCOL" => Part::Protocol,
        "REQUEST_LINE" => Part::RequestLine,
        "FILES" | "FILES_NAMES" => Part::FileNames,
        "MULTIPART_PART_HEADERS" => Part::PartHeaders,
        _ if name.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !name.is_empty() => return Ok(None),
        _ => return Err(()),
    };
    let is_body = part == Part::Body;
    let mut sel = Selector::all(part);
    if let Some(m) = member.filter(|m| !m.is_empty() && !is_body) {
        sel.only.push(name_match(m));
    }
    Ok(Some(sel))
}

/// `name`, `'name'` or `/regex/` as a member test.
fn name_match(member: &str) -> NameMatch {
    let m = member.trim().trim_matches('\'');
    if let Some(re) = m.strip_prefix('/').and_then(|r| r.strip_suffix('/')) {
        let built = regex_automata::meta::Regex::builder()
            .syntax(regex_automata::util::syntax::Config::new().case_insensitive(true))
            .build(re);
        if let Ok(re) = built {
            return NameMatch::Regex(re);
        }
    }
    NameMatch::Exact(m.as_bytes().to_vec())
}

/// SecLang: every extracted `@rx` pattern with its directive's metadata.
fn from_seclang(file: &SourceFile, out: &mut Loaded) {
    let (m, r) = super::budget::ProductionLimits::scan(&file.text);
    out.pcre_limits = (m.or(out.pcre_limits.0), r.or(out.pcre_limits.1));
    let extraction = source::extract(file, &ExtractOptions::default());
    let shown = file.display_path();
    let index = LineIndex::new(&file.text);
    for p in &extraction.problems {
        out.problems.push(Problem {
            place: format!("{shown}:{}", index.line_col(&file.text, p.span.start).0),
            rule: None,
            message: p.message.clone(),
        });
    }
    let directives = directives(&file.text);
    let metas = chain_metadata(&directives);
    for (k, p) in extraction.patterns.iter().enumerate() {
        // Regex member selectors (`ARGS:/^id/`) choose what a rule reads;
        // they are not the rule's regex.
        if p.key.rsplit('.').next().is_some_and(|last| last.starts_with("target[")) {
            continue;
        }
        let line = index.line_col(&file.text, p.span.start).0;
        let place = format!("{shown}:{line}");
        // The directive holding the pattern's first byte.
        let found = directives.iter().position(|d| d.start <= p.span.start && p.span.start < d.end);
        let Some(meta) = found.and_then(|i| metas[i].as_ref()) else {
            out.problems.push(Problem {
                place,
                rule: p.rule_id.clone(),
                message: "pattern is not inside a SecRule directive; skipped".to_owned(),
            });
            continue;
        };
        let id = meta.id.clone().or_else(|| p.rule_id.clone()).unwrap_or_else(|| format!("{shown}#{k}"));
        let mut selectors: Vec<Selector> = Vec::new();
        let mut unsupported = Vec::new();
        let mut excluded: Vec<(Part, NameMatch)> = Vec::new();
        for var in &meta.variables {
            let (neg, count, rest) = match var.as_bytes().first() {
                Some(b'!') => (true, false, &var[1..]),
                Some(b'&') => (false, true, &var[1..]),
                _ => (false, false, var.as_str()),
            };
            let (name, member) = match rest.split_once(':') {
                Some((n, m)) => (n.to_ascii_uppercase(), Some(m)),
                None => (rest.to_ascii_uppercase(), None),
            };
            if count {
                unsupported.push(var.clone());
                continue;
            }
            match seclang_variable(&name, member) {
                Ok(Some(sel)) if neg => {
                    if let Some(m) = member {
                        excluded.push((sel.part, name_match(m)));
                    }
                }
                Ok(Some(sel)) => selectors.push(sel),
                Ok(None) | Err(()) if neg => {}
                Ok(None) | Err(()) => unsupported.push(var.clone()),
            }
        }
        for (part, m) in excluded {
            for sel in selectors.iter_mut().filter(|s| s.part == part) {
                sel.except.push(m.clone());
            }
        }
        out.rules.push(Rule {
            id,
            file: shown.clone(),
            line,
            span: p.span,
            key: p.key.clone(),
            pattern: p.pattern.clone(),
            flags: p.flags,
            flavor: p.flavor,
            negated: meta.negated,
            action: meta.action,
            targets: meta.variables.clone(),
            selectors,
            unsupported_targets: unsupported,
            tests: Tests::default(),
            attacks: Vec::new(),
        });
    }
}

/// One logical SecLang directive (continuation lines joined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// File offset of its first byte.
    pub start: usize,
    /// File offset just past its last byte.
    pub end: usize,
    /// Its text with `\`-newline continuations removed.
    pub text: String,
}

/// Split SecLang text into logical directives (comments and blank lines
/// dropped).
pub fn directives(text: &str) -> Vec<Directive> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut current: Option<Directive> = None;
    for raw in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let continues = line.ends_with('\\');
        let body = if continues { &line[..line.len() - 1] } else { line };
        if let Some(d) = current.as_mut() {
            d.text.push_str(body);
            d.end = line_start + line.len();
        } else {
            let trimmed = body.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            current = Some(Directive { start: line_start, end: line_start + line.len(), text: body.to_owned() });
        }
        if !continues && let Some(d) = current.take() {
            out.push(d);
        }
    }
    out.extend(current);
    out
}

/// What bench needs from one `SecRule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecRuleMeta {
    /// `id:` (chained rules: the chain's id with `-chainK`).
    pub id: Option<String>,
    /// Variables, split on `|`.
    pub variables: Vec<String>,
    /// The operator text (`@rx …`, `!@rx …`, or an implicit regex).
    pub operator: String,
    /// `!` before the operator.
    pub negated: bool,
    /// The disruptive action (from the chain's first rule).
    pub action: Action,
    /// Transformation names (`t:lowercase`), not applied (see module docs).
    pub transformations: Vec<String>,
    /// The rule starts or continues a chain.
    pub chain: bool,
}

/// Metadata of every directive that is a `SecRule` (others: `None`), with
/// chain ids and actions resolved.
pub fn chain_metadata(directives: &[Directive]) -> Vec<Option<SecRuleMeta>> {
    let mut out = Vec::with_capacity(directives.len());
    let mut head: Option<(Option<String>, Action, usize)> = None;
    for d in directives {
        let Some(mut meta) = parse_secrule(&d.text) else {
            out.push(None);
            continue;
        };
        if let Some((id, action, k)) = head.as_mut() {
            *k += 1;
            meta.id = id.as_ref().map(|id| format!("{id}-chain{k}"));
            meta.action = *action;
        }
        if meta.chain {
            if head.is_none() {
                head = Some((meta.id.clone(), meta.action, 0));
            }
        } else {
            head = None;
        }
        out.push(Some(meta));
    }
    out
}

/// Parse `SecRule VARIABLES "OPERATOR" "ACTIONS"`.
pub fn parse_secrule(text: &str) -> Option<SecRuleMeta> {
    let rest = text.trim_start().strip_prefix("SecRule")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let mut args = Vec::new();
    let mut chars = rest.char_indices().peekable();
    while args.len() < 3 {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(_, first)) = chars.peek() else { break };
        let mut arg = String::new();
        if first == '"' {
            chars.next();
            while let Some((_, c)) = chars.next() {
                match c {
                    '\\' if chars.peek().is_some_and(|&(_, n)| n == '"') => {
                        arg.push('"');
                        chars.next();
                    }
                    '"' => break,
                    c => arg.push(c),
                }
            }
        } else {
            while let Some((_, c)) = chars.next_if(|(_, c)| !c.is_whitespace()) {
                arg.push(c);
            }
        }
        args.push(arg);
    }
    let variables = args.first()?.split('|').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect();
    let operator = args.get(1).cloned().unwrap_or_default();
    let negated = operator.trim_start().starts_with('!');
    let mut meta = SecRuleMeta {
        id: None,
        variables,
        operator,
        negated,
        action: Action::Log,
        transformations: Vec::new(),
        chain: false,
    };
    for action in split_actions(args.get(2).map_or("", String::as_str)) {
        let (name, value) = match action.split_once(':') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('\''))),
            None => (action.trim(), None),
        };
        match (name.to_ascii_lowercase().as_str(), value) {
            ("id", Some(v)) => meta.id = Some(v.to_owned()),
            ("deny" | "drop" | "block" | "redirect" | "proxy", _) => meta.action = Action::Block,
            ("allow", _) => meta.action = Action::Allow,
            ("pass", _) => meta.action = Action::Log,
            ("chain", _) => meta.chain = true,
            ("t", Some(v)) if v != "none" => meta.transformations.push(v.to_owned()),
            _ => {}
        }
    }
    Some(meta)
}

/// Split an action list on commas outside single quotes.
fn split_actions(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '\'' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter().map(str::trim).filter(|a| !a.is_empty()).collect()
}

/// Read rules from text (for a git blob at a baseline revision).
pub fn from_text(path: &Path, text: String, out: &mut Loaded) {
    from_source(&SourceFile::new(path, text), out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrule_metadata() {
        let m = parse_secrule(
            r#"SecRule ARGS|!ARGS:foo|REQUEST_HEADERS:User-Agent "@rx a\"b" "id:1,phase:2,deny,t:none,t:lowercase,msg:'a, b',chain""#,
        )
        .unwrap();
        assert_eq!(m.id.as_deref(), Some("1"));
        assert_eq!(m.variables, ["ARGS", "!ARGS:foo", "REQUEST_HEADERS:User-Agent"]);
        assert_eq!(m.operator, "@rx a\"b");
        assert_eq!(m.action, Action::Block);
        assert_eq!(m.transformations, ["lowercase"]);
        assert!(m.chain && !m.negated);
        let m = parse_secrule(r#"SecRule REQUEST_URI "!@rx ^/ok" "id:2,pass""#).unwrap();
        assert!(m.negated);
        assert_eq!(m.action, Action::Log);
        assert!(parse_secrule("SecRuleEngine On").is_none());
    }

    #[test]
    fn directives_join_continuations_and_resolve_chains() {
        let text = "# c\nSecRule ARGS \"@rx a\" \\\n    \"id:10,block,chain\"\n  SecRule MATCHED_VAR \"@rx b\" \\\n  \"t:none\"\n\nSecAction \"id:11\"\n";
        let ds = directives(text);
        assert_eq!(ds.len(), 3);
        assert_eq!(&text[ds[0].start..ds[0].end], "SecRule ARGS \"@rx a\" \\\n    \"id:10,block,chain\"");
        let metas = chain_metadata(&ds);
        let m1 = metas[1].as_ref().unwrap();
        assert_eq!(m1.id.as_deref(), Some("10-chain1"));
        assert_eq!(m1.action, Action::Block);
        assert!(metas[2].is_none());
    }

    #[test]
    fn variables_map_to_parts() {
        let sel = seclang_variable("REQUEST_HEADERS", Some("User-Agent")).unwrap().unwrap();
        assert_eq!(sel.part, Part::Headers);
        assert_eq!(sel.only.len(), 1);
        assert!(seclang_variable("TX", Some("x")).unwrap().is_none());
        assert!(seclang_variable("XML", Some("/*")).unwrap().unwrap().only.is_empty());
        assert!(seclang_variable("ar gs", None).is_err());
        assert_eq!(waf_target("args").unwrap().part, Part::Args);
        assert_eq!(waf_target("header:X-Forwarded-For").unwrap().only.len(), 1);
        assert_eq!(waf_target("REQUEST_COOKIES").unwrap().part, Part::Cookies);
        assert!(waf_target("bogus target").is_none());
    }

    #[test]
    fn action_lists_respect_quotes() {
        assert_eq!(
            split_actions("id:1, msg:'a,b', setvar:'tx.x=1',pass"),
            ["id:1", "msg:'a,b'", "setvar:'tx.x=1'", "pass"]
        );
    }
}
