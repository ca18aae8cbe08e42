//! Bench output: an aligned table for people (costliest rule first), JSON
//! version 1 with every figure (docs/bench.md), and an SVG plot of the
//! worst-case growth curves of the costliest rules.
//!
//! Where it sits: last; plain functions from a [`Report`] to text. Output
//! is deterministic for the same figures (timings aside): rules are sorted
//! by cost with (file, line, id) breaking ties.

use std::fmt::Write as _;

use plotters::prelude::*;
use serde::Serialize;

use super::{Report, RuleReport};
use crate::finding::Complexity;

/// JSON version 1.
pub fn json(report: &Report) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        version: u32,
        #[serde(flatten)]
        report: &'a Report,
    }
    let mut s = serde_json::to_string_pretty(&Doc { version: 1, report })
        .expect("bench reports serialize: plain data, string keys");
    s.push('\n');
    s
}

/// Rules, costliest first (rules that do not compile lead).
pub fn costliest(rules: &[RuleReport]) -> Vec<&RuleReport> {
    let mut sorted: Vec<&RuleReport> = rules.iter().collect();
    sorted.sort_by(|a, b| {
        let (ka, kb) = (a.cost_key(), b.cost_key());
        // Rules that do not compile first: they are the most urgent.
        b.error
            .is_some()
            .cmp(&a.error.is_some())
            .then(kb[0].total_cmp(&ka[0]))
            .then(kb[1].total_cmp(&ka[1]))
            .then(kb[2].total_cmp(&ka[2]))
            .then(kb[3].total_cmp(&ka[3]))
            .then_with(|| (&a.file, a.line, &a.id).cmp(&(&b.file, b.line, &b.id)))
    });
    sorted
}

/// A number in a short human form: `850`, `12.3`, `0.42`, `7.7e7`.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "∞".to_owned();
    }
    let a = x.abs();
    if a == 0.0 {
        "0".to_owned()
    } else if a >= 1e6 {
        format!("{x:.1e}")
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 0.01 {
        format!("{x:.2}")
    } else {
        format!("{x:.1e}")
    }
}

/// Seconds in a human form: `850 ns`, `1.2 ms`, `1.9 s`, `3.2 h`, `10^42 years`.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() {
        return "forever".to_owned();
    }
    if secs < 1e-6 {
        format!("{} ns", num(secs * 1e9))
    } else if secs < 1e-3 {
        format!("{} µs", num(secs * 1e6))
    } else if secs < 1.0 {
        format!("{} ms", num(secs * 1e3))
    } else if secs < 3600.0 {
        format!("{} s", num(secs))
    } else if secs < 86400.0 * 365.0 {
        format!("{} h", num(secs / 3600.0))
    } else {
        format!("{} years", num(secs / (86400.0 * 365.0)))
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_owned(), |r| format!("{}%", num(r * 100.0)))
}

fn steps_text(log10: f64) -> String {
    if log10 < 15.0 {
        // Whole steps: `1`, not `1.00`.
        let x = 10f64.powf(log10);
        if x < 100.0 { format!("{}", x.round()) } else { num(x) }
    } else {
        format!("10^{}", log10.round())
    }
}

/// "O(n²)" etc. with the fitted exponent.
fn growth(w: &super::worst::WorstCase) -> String {
    match (w.complexity, w.fit) {
        (Complexity::Exponential, Some(f)) => format!("O(2ⁿ) (×{} per byte)", num(f.base)),
        (c, Some(f)) if c != Complexity::Unknown => format!("{} (k={})", c.big_o(w.degree), num(f.exponent)),
        (c, _) => c.big_o(w.degree),
    }
}

/// `1 step`, `2 steps`, `0.50 steps`.
fn steps_word(text: &str) -> &'static str {
    if text == "1" { "step" } else { "steps" }
}

fn at_4kb(w: &super::worst::WorstCase) -> String {
    let n = steps_text(w.steps_at_4kb_log10);
    let steps = format!("{n} {}", steps_word(&n));
    match w.seconds_at_4kb {
        Some(s) if w.steps_at_4kb.is_finite() => format!("{steps} ≈ {}", duration(s)),
        Some(_) => format!("{steps} ≈ forever"),
        None => steps,
    }
}

fn before_after(before: f64, after: f64) -> String {
    let change =
        if before.abs() > 1e-12 { format!(" ({:+.0}%)", (after - before) / before * 100.0) } else { String::new() };
    format!("{} → {}{change}", num(before), num(after))
}

/// The table and details for people.
pub fn human(report: &Report, baseline_rev: Option<&str>) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let corpora: Vec<String> = report.corpora.iter().map(|c| format!("{} ({} inputs)", c.path, c.inputs)).collect();
    let _ = writeln!(
        out,
        "cfglint bench: {} {} × {} inputs ({} attack, {} benign, {} unlabelled){}",
        s.rules,
        if s.rules == 1 { "rule" } else { "rules" },
        s.inputs,
        s.attack_inputs,
        s.benign_inputs,
        s.inputs - s.attack_inputs - s.benign_inputs,
        if corpora.is_empty() { String::new() } else { format!(" from {}", corpora.join(", ")) }
    );
    let engine = if s.engine.starts_with("pcre2") {
        format!("{} (interpreter, step-counted)", s.engine)
    } else {
        s.engine.clone()
    };
    let jit = s.jit_engine.as_ref().map_or(String::new(), |j| format!(", {j} (fail-open sizes)"));
    let _ = writeln!(out, "engines: regex-automata (linear), {engine}{jit}");
    out.push('\n');

    let header = [
        "RULE",
        "ACTION",
        "MB/s",
        "µs/KB",
        "MATCHES",
        "BENIGN",
        "ATTACK",
        "STEPS/B p50/p99/max",
        "LIMIT",
        "WORST CASE",
        "AT 4 KB",
        "TESTS",
        "BUDGET",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    let sorted = costliest(&report.rules);
    for r in &sorted {
        let mut row = vec![r.id.clone(), r.action.as_str().to_owned()];
        if let Some(e) = &r.error {
            row.push(format!("error: {e}"));
            rows.push(row);
            continue;
        }
        match &r.linear {
            Some(l) => {
                row.push(format!("{} ±{}%", num(l.mb_per_s), (l.mb_per_s_spread * 50.0).round()));
                row.push(num(l.us_per_kb));
                row.push(format!("{}/{}", l.matches, l.inputs));
            }
            None => row.extend(["–".to_owned(), "–".to_owned(), "–".to_owned()]),
        }
        row.push(pct(r.match_rate.benign));
        row.push(pct(r.match_rate.attack));
        match &r.backtracking {
            Some(b) => {
                let d = b.steps_per_byte;
                row.push(format!("{} / {} / {}", num(d.median), num(d.p99), num(d.max)));
                row.push(format!("{}{}", b.limit_hits, if b.budget_exhausted_after.is_some() { "+" } else { "" }));
            }
            None => row.extend(["–".to_owned(), "–".to_owned()]),
        }
        match &r.worst_case {
            Some(w) => {
                row.push(growth(w));
                row.push(at_4kb(w));
            }
            None => row.extend(["–".to_owned(), "–".to_owned()]),
        }
        let total = r.tests.passed + r.tests.failed;
        row.push(if total == 0 { "–".to_owned() } else { format!("{}/{}", r.tests.passed, total) });
        row.push(if r.budget_exceeded.is_empty() {
            "ok".to_owned()
        } else {
            format!("✗ {}", r.budget_exceeded.join(", "))
        });
        rows.push(row);
    }
    table(&mut out, &header, &rows);

    // Details: the sentence a reviewer needs, failures, notes.
    let mut details = String::new();
    for r in &sorted {
        let mut lines = Vec::new();
        if let Some(w) = &r.worst_case {
            let a = &w.attack;
            let head = if w.measured_at_4kb { "measured" } else { "extrapolated" };
            let engine = if w.engine == "pcre2" { "PCRE2 (steps + bytes scanned)" } else { "the simulator" };
            lines.push(format!(
                "at a 4 KB request this rule takes {} on {engine} ({head}; attack {:?} + {:?} × n + {:?}{})",
                at_4kb(w),
                a.prefix,
                a.pump,
                a.suffix,
                w.budget_hit_at.map_or(String::new(), |b| format!("; probe budget hit at {b} bytes"))
            ));
        }
        if let Some(c) = &r.check
            && c.complexity != Complexity::Linear
        {
            let bench = r.worst_case.as_ref().map_or_else(|| "not probed".to_owned(), |w| w.complexity.big_o(w.degree));
            let replay = match c.pcre2_reproduced {
                Some(true) => "its PCRE2 replay blows up too",
                Some(false) => "its PCRE2 replay stays linear",
                None if !crate::verify::engine::REPLAYS => "not replayed: built without PCRE2",
                None => "not replayed on PCRE2",
            };
            let on = if r.worst_case.as_ref().is_some_and(|w| w.engine != "pcre2") { "the simulator" } else { "PCRE2" };
            lines.push(format!(
                "cfglint check: {} on a plain backtracker (simulator; {replay}); bench on {on}: {bench}",
                c.complexity.big_o(c.degree)
            ));
        }
        if r.fail_open.is_none() && !crate::verify::engine::REPLAYS && r.worst_case.is_some() {
            lines.push(
                "fail-open point not measured: built without PCRE2 (ModSecurity's match limits are PCRE2's)".to_owned(),
            );
        }
        if let Some(f) = &r.fail_open {
            let a = &f.attack;
            lines.push(format!(
                "fails open: a {}-byte attack ({:?} + {:?} × n + {:?}) reaches {} {} on PCRE2's interpreter; {}",
                f.bytes, a.prefix, a.pump, a.suffix, f.limit, f.value, f.consequence
            ));
        }
        if let Some(f) = &r.fail_open_jit {
            let a = &f.attack;
            let same = r.fail_open.as_ref().is_some_and(|i| i.attack == f.attack);
            let attack = if same {
                "the same attack".to_owned()
            } else {
                format!("the attack {:?} + {:?} × n + {:?}", a.prefix, a.pump, a.suffix)
            };
            lines.push(format!(
                "on PCRE2's JIT (what ModSecurity for Apache runs), {attack} fails open at {} bytes ({} {})",
                f.bytes, f.limit, f.value
            ));
        } else if let Some(why) = &r.fail_open_jit_error {
            lines.push(format!("fail-open on PCRE2's JIT not measured: {why}"));
        } else if r.fail_open.is_some() && report.summary.jit_engine.is_some() {
            lines.push("on PCRE2's JIT (what ModSecurity for Apache runs), no probed attack fails open".to_owned());
        }
        for (kind, input) in &r.tests.failures {
            lines.push(format!("test failed: expected {kind} on {input:?}"));
        }
        if let Some(b) = &r.backtracking
            && b.limit_hits > 0
        {
            let origins = &b.limit_hit_inputs;
            lines.push(format!(
                "{} inputs hit the {}-step limit{}",
                b.limit_hits,
                b.step_limit,
                if origins.is_empty() { String::new() } else { format!(" (first: {})", origins.join(", ")) }
            ));
        }
        let (hit, seen) = r.match_rate.expected_counts;
        let (fp, clean) = r.match_rate.unexpected_counts;
        if seen + clean > 0 && (hit < seen || fp > 0) {
            lines.push(format!(
                "corpus tests naming this rule: fires on {hit} of {seen} expected to match, {fp} of {clean} expected not to"
            ));
        }
        for n in &r.notes {
            lines.push(format!("note: {n}"));
        }
        if !lines.is_empty() {
            let _ = writeln!(details, "{} ({}:{})", r.id, r.file, r.line);
            for l in lines {
                let _ = writeln!(details, "  {l}");
            }
        }
    }
    if !details.is_empty() {
        out.push('\n');
        out.push_str(&details);
    }

    if let Some(rev) = baseline_rev {
        out.push('\n');
        let _ = writeln!(out, "against {rev}:");
        let mut any = false;
        for r in &sorted {
            match (r.change, &r.baseline) {
                (Some("added"), _) => {
                    any = true;
                    let _ = writeln!(out, "  {} added", r.id);
                }
                (Some(change), Some(b)) => {
                    let lines = compare_lines(b, r);
                    let flagged = !r.regressions.is_empty();
                    if change == "unchanged" && !flagged {
                        continue;
                    }
                    any = true;
                    let _ = writeln!(out, "  {} {change}{}", r.id, if flagged { " — REGRESSED" } else { "" });
                    if b.pattern != r.pattern {
                        // As written in the rule file, not Rust-escaped.
                        let _ = writeln!(
                            out,
                            "    pattern: {} → {}",
                            crate::report::human::regex_text(&b.pattern),
                            crate::report::human::regex_text(&r.pattern)
                        );
                    }
                    for (figure, text) in lines {
                        let flag = r.regressions.iter().find(|g| g.figure == figure);
                        let mark = match flag {
                            Some(g) if g.timing => "  ⚠ slower (timing, not failing)",
                            Some(_) => "  ⚠ regression",
                            None => "",
                        };
                        let _ = writeln!(out, "    {figure}: {text}{mark}");
                    }
                }
                _ => {}
            }
        }
        for r in &report.removed {
            any = true;
            let _ = writeln!(out, "  {} removed", r.id);
        }
        if !any {
            let _ = writeln!(out, "  no rule changed");
        }
    }

    if !report.problems.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "problems:");
        for p in &report.problems {
            let rule = p.rule.as_deref().map_or(String::new(), |r| format!(" (rule {r})"));
            let _ = writeln!(out, "  {}{rule}: {}", p.place, p.message);
        }
    }
    out.push('\n');
    if report.rules.iter().any(|r| r.fail_open.is_some() || r.fail_open_jit.is_some())
        && let (None, Some(note)) = (&s.jit_engine, &s.jit_note)
    {
        let _ = writeln!(out, "{note}");
    }
    let _ = writeln!(
        out,
        "{} {} measured in {}; {} failing (budget, test, compile error or regression)",
        s.rules,
        if s.rules == 1 { "rule" } else { "rules" },
        duration(s.elapsed_ms as f64 / 1000.0),
        s.failing
    );
    out
}

/// Every figure of two reports as (figure, "before → after").
fn compare_lines(b: &RuleReport, a: &RuleReport) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let (Some(x), Some(y)) = (&b.linear, &a.linear) {
        out.push(("linear.mb_per_s", before_after(x.mb_per_s, y.mb_per_s)));
        out.push(("linear.matches", format!("{} → {}", x.matches, y.matches)));
    }
    if let (Some(x), Some(y)) = (&b.backtracking, &a.backtracking) {
        out.push((
            "backtracking.steps_per_byte.median",
            before_after(x.steps_per_byte.median, y.steps_per_byte.median),
        ));
        out.push(("backtracking.steps_per_byte.p99", before_after(x.steps_per_byte.p99, y.steps_per_byte.p99)));
        out.push(("backtracking.steps_per_byte.max", before_after(x.steps_per_byte.max, y.steps_per_byte.max)));
        out.push(("backtracking.limit_hits", format!("{} → {}", x.limit_hits, y.limit_hits)));
    }
    match (&b.worst_case, &a.worst_case) {
        (Some(x), Some(y)) => {
            out.push(("worst_case.complexity", format!("{} → {}", growth(x), growth(y))));
            out.push(("worst_case.steps_at_4kb", format!("{} → {}", at_4kb(x), at_4kb(y))));
        }
        (None, Some(y)) => out.push(("worst_case.complexity", format!("– → {}", growth(y)))),
        (Some(x), None) => out.push(("worst_case.complexity", format!("{} → –", growth(x)))),
        (None, None) => {}
    }
    out.push(("match_rate.benign", format!("{} → {}", pct(b.match_rate.benign), pct(a.match_rate.benign))));
    out.push(("match_rate.attack", format!("{} → {}", pct(b.match_rate.attack), pct(a.match_rate.attack))));
    out.push(("tests.failed", format!("{} → {}", b.tests.failed, a.tests.failed)));
    out
}

/// Write rows as an aligned table (two spaces between columns).
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        // A row with an error message spans the rest of the line.
        if row.len() < header.len() {
            continue;
        }
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            let pad = widths.get(i).copied().unwrap_or(0).saturating_sub(cell.chars().count());
            text.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(out, &mut header.iter().copied());
    for row in rows {
        line(out, &mut row.iter().map(String::as_str));
    }
}

/// An SVG plot (log-log) of steps against input bytes for the `top`
/// costliest rules that have worst-case points.
pub fn svg(report: &Report, top: usize) -> Result<String, String> {
    let rules: Vec<&RuleReport> = costliest(&report.rules)
        .into_iter()
        .filter(|r| r.worst_case.as_ref().is_some_and(|w| w.points.iter().any(|p| p.1 >= 1.0)))
        .take(top)
        .collect();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (900, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let pts = |r: &RuleReport| -> Vec<(f64, f64)> {
            r.worst_case
                .as_ref()
                .map(|w| w.points.iter().filter(|p| p.1 >= 1.0).map(|&(l, s)| (l.max(1) as f64, s)).collect())
                .unwrap_or_default()
        };
        let all: Vec<(f64, f64)> = rules.iter().flat_map(|r| pts(r)).collect();
        let (x_max, y_max) = all.iter().fold((16.0f64, 16.0f64), |(x, y), p| (x.max(p.0), y.max(p.1)));
        let x_min = all.iter().map(|p| p.0).fold(x_max, f64::min).max(1.0);
        let y_min = all.iter().map(|p| p.1).fold(y_max, f64::min).max(1.0);
        let mut chart = ChartBuilder::on(&root)
            .caption("Worst-case growth: PCRE2 steps vs attack input size", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d((x_min..x_max * 1.1).log_scale(), (y_min..y_max * 2.0).log_scale())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("input bytes")
            .y_desc("steps")
            .y_label_formatter(&|y| num(*y))
            .x_label_formatter(&|x| num(*x))
            .draw()
            .map_err(|e| e.to_string())?;
        for (i, r) in rules.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            // Two files may reuse an id: then say which file.
            let shared = rules.iter().filter(|o| o.id == r.id).count() > 1;
            let name = if shared { format!("{} ({})", r.id, r.file) } else { r.id.clone() };
            let label = match &r.worst_case {
                Some(w) => format!("{name} {}", growth(w)),
                None => name,
            };
            chart
                .draw_series(LineSeries::new(pts(r), color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        }
        if !rules.is_empty() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_durations() {
        assert_eq!(num(850.24), "850");
        assert_eq!(num(12.34), "12.3");
        assert_eq!(num(0.421), "0.42");
        assert_eq!(num(7.7e7), "7.7e7");
        assert_eq!(duration(1.9), "1.90 s");
        assert_eq!(duration(0.0012), "1.20 ms");
        assert_eq!(duration(f64::INFINITY), "forever");
        assert_eq!(steps_text(1234.0), "10^1234");
        assert_eq!(steps_text(0.0), "1");
        assert_eq!(steps_word(&steps_text(0.0)), "step");
        assert_eq!(steps_word(&steps_text(1.0)), "steps");
    }

    #[test]
    fn costliest_order_ignores_timings() {
        let corpus = crate::bench::Corpus::default();
        let settings = crate::bench::Settings::default();
        let mut a = crate::bench::measure(&crate::bench::tests::rule("a", "x"), &corpus, &settings);
        let mut b = crate::bench::measure(&crate::bench::tests::rule("b", "y"), &corpus, &settings);
        a.line = 2;
        b.line = 1;
        let ids = |rs: &[RuleReport]| costliest(rs).iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&[a.clone(), b.clone()]), ["b", "a"], "ties break on the place in the file");
        let mut bad = a.clone();
        bad.id = "bad".into();
        bad.error = Some("does not compile".into());
        assert_eq!(ids(&[a, b, bad]), ["bad", "b", "a"]);
    }

    #[test]
    fn tables_align() {
        let mut out = String::new();
        table(&mut out, &["A", "BB"], &[vec!["xyz".into(), "1".into()], vec!["q".into(), "22".into()]]);
        assert_eq!(out, "A    BB\nxyz  1\nq    22\n");
    }
}
