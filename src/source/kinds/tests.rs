//! Tests of kind detection and selection over small documents of every
//! format, including Kubernetes wrappers and documents that embed other
//! kinds.

use crate::source::{ExtractOptions, Extraction, Flavor, Kind, PatternSpan, Semantics, SourceFile, extract};

fn run(name: &str, text: &str) -> Extraction {
    let ex = extract(&SourceFile::new(name, text), &ExtractOptions::default());
    assert!(ex.problems.is_empty(), "{name}: {:?}", ex.problems);
    for p in &ex.patterns {
        if p.offsets.is_verbatim() {
            assert_eq!(&text[p.span.range()], p.pattern, "{name} {}", p.key);
        }
    }
    ex
}

fn keys(ex: &Extraction) -> Vec<(String, String, String)> {
    ex.patterns.iter().map(|p| (p.key.clone(), p.kind.to_string(), p.pattern.clone())).collect()
}

fn k(key: &str, kind: &str, pattern: &str) -> (String, String, String) {
    (key.to_owned(), kind.to_owned(), pattern.to_owned())
}

#[test]
fn key_paths_quote_odd_keys() {
    let text = "\"a.b\":\n  \"with space\":\n    - regex: x\n\"q\\\"k\": {regex: y}\n";
    let ex = run("x.yaml", text);
    assert_eq!(
        keys(&ex),
        [k("[\"a.b\"][\"with space\"][0].regex", "generic", "x"), k("[\"q\\\"k\"].regex", "generic", "y")]
    );
}

#[test]
fn multi_document_prefix_and_root_sequence() {
    let ex = run("x.yaml", "- regex: a\n---\nregex: b\n");
    assert_eq!(keys(&ex), [k("doc0[0].regex", "generic", "a"), k("doc1.regex", "generic", "b")]);
    let ex = run("x.yaml", "regex: only\n");
    assert_eq!(ex.patterns[0].key, "regex", "no prefix for a single document");
}

#[test]
fn kubernetes_list_and_configmap() {
    let text = r#"apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: prom}
    data:
      prometheus.yml: |
        scrape_configs:
          - job_name: x
            relabel_configs:
              - regex: "a\\.b"
      README: "regex: not parsed"
"#;
    let ex = run("list.yaml", text);
    assert_eq!(ex.kind, Some(Kind::Prometheus));
    assert_eq!(
        keys(&ex),
        [k("items[0].data[\"prometheus.yml\"].scrape_configs[0].relabel_configs[0].regex", "prometheus", "a\\.b")]
    );
    let p = &ex.patterns[0];
    let bs = p.offsets.to_file_span(PatternSpan::new(1, 2));
    assert_eq!(&text[bs.range()], "\\\\");
}

#[test]
fn secret_data_is_base64_and_skipped() {
    let text = "apiVersion: v1\nkind: Secret\ndata:\n  alertmanager.yaml: cm91dGU6IHt9Cg==\n";
    let ex = run("s.yaml", text);
    assert!(ex.patterns.is_empty());
    assert_eq!(ex.kind, Some(Kind::Generic));
}

#[test]
fn embedded_parse_errors_point_into_the_outer_file() {
    let text = "apiVersion: v1\nkind: Secret\nstringData:\n  alertmanager.yaml: |\n    route: [unclosed\n";
    let ex = extract(&SourceFile::new("s.yaml", text), &ExtractOptions::default());
    assert_eq!(ex.problems.len(), 1, "{:?}", ex.problems);
    let pr = &ex.problems[0];
    assert!(pr.message.contains("stringData"), "{}", pr.message);
    assert!(pr.span.start >= text.find("route").expect("present"), "{:?}", pr.span);
    assert!(pr.span.end <= text.len());
}

#[test]
fn alertmanager_config_crd_matchers() {
    let text = r#"apiVersion: monitoring.coreos.com/v1alpha1
kind: AlertmanagerConfig
spec:
  route:
    matchers:
      - name: severity
        value: warning|critical
        matchType: "=~"
      - name: team
        value: ops
  inhibitRules:
    - sourceMatch:
        - name: alertname
          value: Node.*
          regex: true
"#;
    let ex = run("amc.yaml", text);
    assert_eq!(ex.kind, Some(Kind::Alertmanager));
    assert_eq!(
        keys(&ex),
        [
            k("spec.route.matchers[0].value", "alertmanager", "warning|critical"),
            k("spec.inhibitRules[0].sourceMatch[0].value", "alertmanager", "Node.*"),
        ]
    );
    assert!(ex.patterns.iter().all(|p| p.semantics == Semantics::FullMatch));
}

#[test]
fn helm_values_embed_prometheus_family() {
    // A values file of no specific kind: relabelings, Alertmanager matchers
    // and rule groups are still found; other `regex` keys are generic.
    let text = r#"prometheus:
  serviceMonitor:
    relabelings:
      - regex: (.+)
alertmanager:
  config:
    route:
      routes:
        - matchers: ['namespace=~"kube-.*"']
additionalPrometheusRules:
  - name: extra
    groups:
      - name: g
        rules:
          - alert: A
            expr: up{job=~"node|kubelet"} == 0
logs:
  drop_regex: ^DEBUG
  matchers: [not a matcher]
"#;
    let ex = run("values.yaml", text);
    assert_eq!(ex.kind, Some(Kind::Generic));
    assert_eq!(
        keys(&ex),
        [
            k("prometheus.serviceMonitor.relabelings[0].regex", "prometheus", "(.+)"),
            k("alertmanager.config.route.routes[0].matchers[0]{namespace=~}", "alertmanager", "kube-.*"),
            k("additionalPrometheusRules[0].groups[0].rules[0].expr{job=~}", "prometheus-rules", "node|kubelet"),
            k("logs.drop_regex", "generic", "^DEBUG"),
        ]
    );
}

#[test]
fn traefik_ingressroute() {
    let text = "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nspec:\n  routes:\n    - match: HostRegexp(`^.+\\.example\\.com$`)\n      kind: Rule\n";
    let ex = run("ir.yaml", text);
    assert_eq!(ex.kind, Some(Kind::Traefik));
    assert_eq!(keys(&ex), [k("spec.routes[0].match{HostRegexp}", "traefik", "^.+\\.example\\.com$")]);
}

#[test]
fn semgrep_experimental_syntax_and_waf_discrimination() {
    let text = r#"rules:
  - id: r1
    languages: [python]
    message: m
    severity: ERROR
    match:
      all:
        - regex: "eval\\("
      where:
        - metavariable: $X
          regex: ^danger
"#;
    let ex = run("s.yaml", text);
    assert_eq!(ex.kind, Some(Kind::Semgrep));
    let got: Vec<_> = ex.patterns.iter().map(|p| (p.pattern.as_str(), p.flavor, p.semantics)).collect();
    assert_eq!(
        got,
        [("eval\\(", Flavor::Pcre, Semantics::Search), ("^danger", Flavor::Python, Semantics::AnchoredStart)]
    );
    // The WAF format also has rules[].pattern, but with targets/action.
    let ex = run("w.yaml", "rules:\n  - id: 7\n    pattern: a+b\n    action: block\n");
    assert_eq!(ex.kind, Some(Kind::WafYaml));
    assert_eq!(ex.patterns[0].rule_id.as_deref(), Some("7"));
}

#[test]
fn gitleaks_detected_by_content_in_yaml_or_toml() {
    let ex = run("custom.toml", "[[rules]]\nid = \"x\"\nregex = '''a{3}'''\nkeywords = [\"aaa\"]\n");
    assert_eq!(ex.kind, Some(Kind::Gitleaks));
    assert_eq!(ex.patterns.len(), 1);
    let ex = run("leaks.toml", "[[allowlists]]\npaths = ['''^vendor/''']\n");
    assert_eq!(ex.kind, Some(Kind::Gitleaks));
    assert_eq!(ex.patterns[0].key, "allowlists[0].paths[0]");
}

/// gitleaks has been Go (RE2) in every config format it has had: v1/v2
/// `[[regexes]]` and `[whitelist]`, v3–v7 `[[rules]]` without `id`
/// (`description`, `regex`, `tags`, `file`, `[[rules.whitelist]]`,
/// `[rules.allowlist]`), and v8's `id`. Each old shape is recognized by its
/// content under any file name, in TOML, YAML or JSON.
#[test]
fn gitleaks_old_formats_are_re2() {
    let cases: [(&str, &str, &[&str]); 6] = [
        (
            "v1.toml",
            "title = \"gitleaks config\"\n[[regexes]]\ndescription = \"AWS\"\nregex = '''AKIA[0-9A-Z]{16}'''\n\
             [whitelist]\nfiles = ['''(.*?)(jpg|gif)$''']\nregexes = ['''AKIAIO''']\n",
            &["regexes[0].regex", "whitelist.files[0]", "whitelist.regexes[0]"],
        ),
        (
            "v4.toml",
            "[[rules]]\ndescription = \"AWS Key\"\nregex = '''AKIA[0-9A-Z]{16}'''\ntags = [\"key\", \"AWS\"]\n\
             [[rules.whitelist]]\nregex = '''AKIAEXAMPLE'''\ndescription = \"example\"\n",
            &["rules[0].regex", "rules[0].whitelist[0].regex"],
        ),
        (
            "v7.toml",
            "[[rules]]\ndescription = \"Env\"\nfile = '''\\.env$'''\npath = '''^config/'''\ntags = [\"env\"]\n\
             [rules.allowlist]\nregexes = ['''dummy''']\n[allowlist]\npaths = ['''^vendor/''']\n",
            &["allowlist.paths[0]", "rules[0].file", "rules[0].path", "rules[0].allowlist.regexes[0]"],
        ),
        (
            "leaks.yaml",
            "rules:\n  - description: AWS\n    regex: AKIA[0-9A-Z]{16}\n    tags: [key]\n",
            &["rules[0].regex"],
        ),
        (
            "leaks.json",
            "{\"rules\": [{\"id\": \"aws\", \"regex\": \"AKIA[0-9A-Z]{16}\", \"keywords\": [\"akia\"]}]}",
            &["rules[0].regex"],
        ),
        (
            "old-whitelist.toml",
            "[whitelist]\ndescription = \"global\"\nregexes = ['''EXAMPLE''']\ncommits = [\"abc\"]\n",
            &["whitelist.regexes[0]"],
        ),
    ];
    for (name, text, want) in cases {
        let ex = run(name, text);
        assert_eq!(ex.kind, Some(Kind::Gitleaks), "{name}: {:?}", keys(&ex));
        let got: Vec<&str> = ex.patterns.iter().map(|p| p.key.as_str()).collect();
        for w in want {
            assert!(got.contains(w), "{name}: {w} not in {got:?}");
        }
        assert_eq!(got.len(), want.len(), "{name}: {got:?}");
        assert!(ex.patterns.iter().all(|p| p.flavor == Flavor::Re2), "{name}");
    }
    // A plain list of rules with a description and a regex is not enough.
    let ex = run("other.yaml", "rules:\n  - description: d\n    regex: a+\n");
    assert_ne!(ex.kind, Some(Kind::Gitleaks));
}

#[test]
fn renovate_by_schema_in_plain_json_name() {
    let text = r#"{"$schema": "https://docs.renovatebot.com/renovate-schema.json", "packageRules": [{"matchDepNames": ["/^foo/"], "matchPackagePatterns": ["^bar"]}]}"#;
    let ex = run("default.json", text);
    assert_eq!(ex.kind, Some(Kind::Renovate));
    assert_eq!(
        keys(&ex),
        [
            k("packageRules[0].matchDepNames[0]", "renovate", "^foo"),
            k("packageRules[0].matchPackagePatterns[0]", "renovate", "^bar"),
        ]
    );
}

#[test]
fn openapi_patterns_are_js() {
    let text =
        "openapi: 3.0.0\ncomponents:\n  schemas:\n    Id:\n      type: string\n      pattern: '^[A-Z]{3}\\d+$'\n";
    let ex = run("api.yaml", text);
    assert_eq!(ex.kind, Some(Kind::JsonSchema));
    assert_eq!(ex.patterns[0].flavor, Flavor::Js);
}

#[test]
fn non_string_scalars_and_nulls() {
    let ex = run("x.yaml", "relabel_configs:\n  - regex: 1\n  - regex: ~\n  - regex:\n");
    assert_eq!(keys(&ex), [k("relabel_configs[0].regex", "prometheus", "1")]);
}

#[test]
fn flavor_override_applies() {
    let opts = ExtractOptions { flavor: Some(Flavor::Rust), ..ExtractOptions::default() };
    let ex = extract(&SourceFile::new("x.yaml", "regex: a+\n"), &opts);
    assert_eq!(ex.patterns[0].flavor, Flavor::Rust);
}

#[test]
fn probe_relabeling_configs() {
    let text = "apiVersion: monitoring.coreos.com/v1\nkind: Probe\nspec:\n  targets:\n    staticConfig:\n      static: [a]\n      relabelingConfigs:\n        - regex: ^(.*)$\n";
    let ex = run("probe.yaml", text);
    assert_eq!(ex.kind, Some(Kind::Prometheus));
    assert_eq!(keys(&ex), [k("spec.targets.staticConfig.relabelingConfigs[0].regex", "prometheus", "^(.*)$")]);
}
