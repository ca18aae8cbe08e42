//! `cfglint gate`: promote, hold or roll back one stage, with every
//! reason.
//!
//! Position: the top of `rollout`; a pure function of a manifest, a stage
//! name and observed metrics.
//!
//! The decision, in order:
//!
//! 1. **rollback** when any gate with `on_fail = "rollback"` is breached,
//!    even before the bake time is up: a breach at a small traffic share is
//!    the cheapest moment to undo.
//! 2. **hold** when the bake time is not reached, too few samples were
//!    seen, a gate's metric (or, for a baseline gate, the baseline's value)
//!    is missing or has no data, or a gate with `on_fail = "hold"` is
//!    breached.
//! 3. **promote** otherwise.
//!
//! A canary-against-baseline gate (`max_ratio`, with `baseline_query`)
//! holds when `canary <= baseline × max_ratio + slack`: its threshold is
//! that bound, computed here from the observed baseline, for `gate` (the
//! baseline from the metrics file) and `rollout run` (from its
//! `baseline_query`) alike.
//!
//! Every reason is reported, not just the first. Observations missing
//! `elapsed_seconds` or `samples` are an error, not a hold.

use std::fmt::Write as _;

use serde::Serialize;

use super::Error;
use super::manifest::{Gate, Manifest, OnFail, Op, Risk};
use super::metrics::{BASELINE_SUFFIX, Observed};

/// The answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Move to the next stage (or finish).
    Promote,
    /// Stay; look again later.
    Hold,
    /// Undo the change.
    Rollback,
}

impl Decision {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Promote => "promote",
            Decision::Hold => "hold",
            Decision::Rollback => "rollback",
        }
    }
}

/// One gate, checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateCheck {
    /// Metric name.
    pub metric: String,
    /// Comparison.
    pub op: Op,
    /// Threshold.
    pub threshold: f64,
    /// What a breach asks for.
    pub on_fail: OnFail,
    /// The observed value (`null`: missing or no data).
    pub observed: Option<f64>,
    /// Whether the gate holds (`null` when there is no value).
    pub ok: Option<bool>,
    /// For a canary-against-baseline gate: the baseline and the bound's
    /// terms (`threshold` is then `baseline × max_ratio + slack`). Absent
    /// for other gates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineCheck>,
}

/// The baseline side of a canary-against-baseline gate, checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineCheck {
    /// The baseline's value (`null`: missing or no data; the gate holds).
    pub observed: Option<f64>,
    /// The largest canary / baseline ratio allowed.
    pub max_ratio: f64,
    /// The absolute allowance on top of the ratio.
    pub slack: f64,
}

impl BaselineCheck {
    /// The bound the canary must stay at or under, when there is a baseline.
    pub fn bound(&self) -> Option<f64> {
        self.observed.map(|b| b * self.max_ratio + self.slack)
    }

    /// `baseline 0.5 × 1.5 + 0.1`.
    fn describe(&self) -> String {
        let base = self.observed.map_or_else(|| "baseline".to_owned(), |b| format!("baseline {}", num(b)));
        format!("{base} × {} + {}", num(self.max_ratio), num(self.slack))
    }
}

/// The decision for a stage, with everything that led to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Format version of the JSON form.
    pub version: u32,
    /// promote, hold or rollback.
    pub decision: Decision,
    /// The stage decided.
    pub stage: String,
    /// The stage after it (`null` for the last: promote finishes).
    pub next_stage: Option<String>,
    /// The stage's traffic share.
    pub traffic_percent: f64,
    /// Every reason, most serious first.
    pub reasons: Vec<String>,
    /// Each gate, checked.
    pub gates: Vec<GateCheck>,
    /// Seconds in the stage.
    pub elapsed_seconds: f64,
    /// Required seconds.
    pub min_bake_seconds: u64,
    /// Samples seen.
    pub samples: f64,
    /// Required samples.
    pub min_samples: u64,
    /// The manifest's base commit.
    pub base: String,
    /// The manifest's head commit.
    pub head: String,
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// Why a value cannot be what the metric measures, or `None`. Every gate
/// metric (a rate, share, latency or count) is finite and ≥ 0; a gate
/// declared as a share is at most 1.
pub fn out_of_range(name: &str, value: f64, share: bool) -> Option<String> {
    if !value.is_finite() {
        Some(format!("{name} = {value} is not a finite number"))
    } else if value < 0.0 {
        Some(format!("{name} = {} is negative: no rate, share, latency or count can be", num(value)))
    } else if share && value > 1.0 {
        Some(format!("{name} = {} is above 1, and the gate declares it a share", num(value)))
    } else {
        None
    }
}

/// Every bad value among what `stage`'s decision reads.
pub fn bad_data(stage: &super::manifest::Stage, observed: &Observed) -> Vec<String> {
    let mut out = Vec::new();
    for (name, v) in [("elapsed_seconds", observed.elapsed_seconds), ("samples", observed.samples)] {
        if let Some(why) = v.and_then(|v| out_of_range(name, v, false)) {
            out.push(why);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut seen_baselines = std::collections::BTreeSet::new();
    for g in &stage.gates {
        let share = stage.gates.iter().any(|x| x.metric == g.metric && x.share);
        if let Some(Some(v)) = observed.metrics.get(&g.metric)
            && seen.insert(g.metric.as_str())
            && let Some(why) = out_of_range(&g.metric, *v, share)
        {
            out.push(why);
        }
        if g.max_ratio.is_some()
            && let Some(Some(v)) = observed.baselines.get(&g.metric)
            && seen_baselines.insert(g.metric.as_str())
            && let Some(why) = out_of_range(&format!("{}{BASELINE_SUFFIX}", g.metric), *v, share)
        {
            out.push(why);
        }
    }
    out
}

/// `gate` as it is decided this time: a baseline gate's operator is `<=`
/// and its threshold the bound from the observed baseline (kept as
/// written when there is no baseline: the gate then has no value).
fn effective(gate: &Gate, observed: &Observed) -> (Gate, Option<BaselineCheck>) {
    let mut g = gate.clone();
    let Some(max_ratio) = gate.max_ratio else { return (g, None) };
    let check = BaselineCheck {
        observed: observed.baselines.get(&gate.metric).copied().flatten(),
        max_ratio,
        slack: gate.slack.unwrap_or(0.0),
    };
    g.op = Op::Le;
    if let Some(bound) = check.bound() {
        g.threshold = bound;
    }
    (g, Some(check))
}

/// Decide one stage. Bad data (see [`bad_data`]) is an error, never a
/// decision.
pub fn decide(manifest: &Manifest, stage_name: &str, observed: &Observed) -> Result<Verdict, Error> {
    if manifest.risk == Risk::Blocked || manifest.stages.is_empty() {
        let blocked: Vec<String> =
            manifest.changes.iter().filter(|c| c.risk == Risk::Blocked).map(|c| c.path.clone()).collect();
        return Err(Error::Blocked { paths: blocked.join(", ") });
    }
    let Some(pos) = manifest.stages.iter().position(|s| s.name == stage_name) else {
        return Err(Error::UnknownStage {
            stage: stage_name.to_owned(),
            known: manifest.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
        });
    };
    let stage = &manifest.stages[pos];
    let missing: Vec<&str> = [("elapsed_seconds", observed.elapsed_seconds), ("samples", observed.samples)]
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| *k)
        .collect();
    if !missing.is_empty() {
        return Err(Error::PartialMetrics { missing: missing.join(" and ") });
    }
    let bad = bad_data(stage, observed);
    if !bad.is_empty() {
        return Err(Error::BadData { message: bad.join("; ") });
    }
    let elapsed = observed.elapsed_seconds.unwrap_or_default();
    let samples = observed.samples.unwrap_or_default();

    let mut rollback = Vec::new();
    let mut hold = Vec::new();
    let mut fine = Vec::new();
    let mut gates = Vec::new();
    for written in &stage.gates {
        let (g, baseline) = effective(written, observed);
        let value = observed.metrics.get(&g.metric);
        let observed_value = value.copied().flatten();
        let bound = baseline.as_ref().map_or(Some(g.threshold), BaselineCheck::bound);
        let ok = observed_value.zip(bound).map(|(v, t)| g.op.holds(v, t));
        // The gate as the reasons name it: `cpu <= 0.85 (baseline 0.5 × 1.5 + 0.1; …)`.
        let terms = baseline.as_ref().map(|b| format!("{}; ", b.describe())).unwrap_or_default();
        let shown = match &baseline {
            Some(b) if b.observed.is_none() => format!("{} {} {}", g.metric, g.op, b.describe()),
            _ => g.to_string(),
        };
        match (value, &baseline) {
            (None, _) => hold.push(format!("metric `{}` is missing (gate {shown})", g.metric)),
            (Some(None), _) => hold.push(format!("metric `{}` has no data (gate {shown})", g.metric)),
            (_, Some(b)) if b.observed.is_none() => {
                let why = if observed.baselines.contains_key(&g.metric) { "has no data" } else { "is missing" };
                hold.push(format!(
                    "the baseline of `{}` {why} (`{}{BASELINE_SUFFIX}`; gate {shown})",
                    g.metric, g.metric
                ));
            }
            (Some(Some(v)), _) if ok == Some(false) => {
                let text = format!("{} = {} breaks {g} ({terms}on_fail = {})", g.metric, num(*v), g.on_fail.as_str());
                match g.on_fail {
                    OnFail::Rollback => rollback.push(text),
                    OnFail::Hold => hold.push(text),
                }
            }
            (Some(Some(v)), _) => fine.push(format!("{} = {} meets {g}{}", g.metric, num(*v), {
                baseline.as_ref().map(|b| format!(" ({})", b.describe())).unwrap_or_default()
            })),
        }
        gates.push(GateCheck {
            metric: g.metric.clone(),
            op: g.op,
            threshold: g.threshold,
            on_fail: g.on_fail,
            observed: observed_value,
            ok,
            baseline,
        });
    }
    let bake = stage.min_bake_seconds as f64;
    if elapsed < bake {
        hold.insert(
            0,
            format!(
                "baked {}s of the {}s minimum ({}s to go)",
                num(elapsed),
                stage.min_bake_seconds,
                num((bake - elapsed).ceil())
            ),
        );
    } else {
        fine.push(format!("baked {}s (minimum {}s)", num(elapsed), stage.min_bake_seconds));
    }
    let min_samples = stage.min_samples as f64;
    if samples < min_samples {
        hold.insert(
            usize::from(elapsed < bake),
            format!("{} samples of the {} minimum", num(samples), stage.min_samples),
        );
    } else {
        fine.push(format!("{} samples (minimum {})", num(samples), stage.min_samples));
    }
    let decision = if !rollback.is_empty() {
        Decision::Rollback
    } else if !hold.is_empty() {
        Decision::Hold
    } else {
        Decision::Promote
    };
    let mut reasons = rollback;
    reasons.extend(hold);
    if decision == Decision::Promote {
        reasons = fine;
    }
    Ok(Verdict {
        version: 1,
        decision,
        stage: stage.name.clone(),
        next_stage: manifest.stages.get(pos + 1).map(|s| s.name.clone()),
        traffic_percent: stage.traffic_percent.0,
        reasons,
        gates,
        elapsed_seconds: elapsed,
        min_bake_seconds: stage.min_bake_seconds,
        samples,
        min_samples: stage.min_samples,
        base: manifest.base.clone(),
        head: manifest.head.clone(),
    })
}

impl Verdict {
    /// The JSON form (version 1), one object and a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a verdict serializes: plain data");
        s.push('\n');
        s
    }

    /// The human form.
    pub fn to_human(&self) -> String {
        let mut s = String::new();
        let what = match (self.decision, &self.next_stage) {
            (Decision::Promote, Some(next)) => format!("PROMOTE to stage `{next}`"),
            (Decision::Promote, None) => "PROMOTE: the rollout is complete".to_owned(),
            (Decision::Hold, _) => "HOLD: stay at this stage and look again later".to_owned(),
            (Decision::Rollback, _) => "ROLL BACK now".to_owned(),
        };
        let _ = writeln!(s, "cfglint gate: stage `{}` ({}% of traffic): {what}", self.stage, num(self.traffic_percent));
        for r in &self.reasons {
            let _ = writeln!(s, "  - {r}");
        }
        if !self.gates.is_empty() {
            let _ = writeln!(s, "gates:");
            for g in &self.gates {
                let mark = match g.ok {
                    Some(true) => "ok  ",
                    Some(false) => "FAIL",
                    None => "??  ",
                };
                let seen = g.observed.map_or_else(|| "no value".to_owned(), num);
                let bound = match &g.baseline {
                    None => num(g.threshold),
                    Some(b) if b.observed.is_none() => b.describe(),
                    Some(b) => format!("{} ({})", num(g.threshold), b.describe()),
                };
                let _ = writeln!(
                    s,
                    "  {mark} {} {} {bound}  (observed {seen}; on fail: {})",
                    g.metric,
                    g.op,
                    g.on_fail.as_str()
                );
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::manifest::{Gate, Percent, Rollback, SCHEMA, Stage};

    fn manifest() -> Manifest {
        let gates = vec![
            Gate::new("error_rate", Op::Le, 0.001, OnFail::Rollback),
            Gate::new("p99_latency_ms", Op::Le, 500.0, OnFail::Hold),
        ];
        let stage = |name: &str, p: f64| Stage {
            name: name.into(),
            traffic_percent: Percent(p),
            min_bake_seconds: 900,
            min_samples: 1000,
            rehearse_rollback: false,
            max_wait_seconds: None,
            gates: gates.clone(),
        };
        Manifest {
            schema: SCHEMA.into(),
            base: "b".into(),
            head: "h".into(),
            risk: Risk::High,
            waves: 1,
            emergency: None,
            inverts: None,
            changes: vec![],
            stages: vec![stage("canary", 1.0), stage("full", 100.0)],
            rollback: Rollback {
                revision: "b".into(),
                command: "c".into(),
                forward_revision: "h".into(),
                forward_command: "f".into(),
                rehearse_in_stage: None,
            },
            prometheus: None,
            run: None,
        }
    }

    fn observed(elapsed: f64, samples: f64, metrics: &[(&str, Option<f64>)]) -> Observed {
        Observed {
            elapsed_seconds: Some(elapsed),
            samples: Some(samples),
            metrics: metrics.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            baselines: std::collections::BTreeMap::new(),
        }
    }

    #[test]
    fn every_branch() {
        let m = manifest();
        let good = [("error_rate", Some(0.0004)), ("p99_latency_ms", Some(80.0))];
        let v = decide(&m, "canary", &observed(1200.0, 5000.0, &good)).unwrap();
        assert_eq!((v.decision, v.next_stage.as_deref()), (Decision::Promote, Some("full")));
        assert!(v.gates.iter().all(|g| g.ok == Some(true)));
        assert_eq!(decide(&m, "full", &observed(1200.0, 5000.0, &good)).unwrap().next_stage, None);

        let v = decide(&m, "canary", &observed(600.0, 5000.0, &good)).unwrap();
        assert_eq!(v.decision, Decision::Hold);
        assert_eq!(v.reasons, ["baked 600s of the 900s minimum (300s to go)"]);
        let v = decide(&m, "canary", &observed(1200.0, 10.0, &good)).unwrap();
        assert_eq!(v.reasons, ["10 samples of the 1000 minimum"]);
        let v = decide(&m, "canary", &observed(1200.0, 5000.0, &[("error_rate", Some(0.0))])).unwrap();
        assert_eq!(v.decision, Decision::Hold);
        assert!(v.reasons[0].contains("`p99_latency_ms` is missing"), "{:?}", v.reasons);
        let v = decide(&m, "canary", &observed(1200.0, 5000.0, &[("error_rate", Some(0.0)), ("p99_latency_ms", None)]))
            .unwrap();
        assert!(v.reasons[0].contains("no data"), "{:?}", v.reasons);
        let v = decide(
            &m,
            "canary",
            &observed(1200.0, 5000.0, &[("error_rate", Some(0.0)), ("p99_latency_ms", Some(900.0))]),
        )
        .unwrap();
        assert_eq!(v.decision, Decision::Hold);
        assert_eq!(v.reasons, ["p99_latency_ms = 900 breaks p99_latency_ms <= 500 (on_fail = hold)"]);

        // Rollback beats hold, and every reason is kept.
        let v = decide(&m, "canary", &observed(10.0, 3.0, &[("error_rate", Some(0.5))])).unwrap();
        assert_eq!(v.decision, Decision::Rollback);
        assert_eq!(v.reasons.len(), 4, "{:?}", v.reasons);
        assert!(v.reasons[0].contains("error_rate = 0.5 breaks"));
        assert!(v.to_human().contains("ROLL BACK"));
        let json: serde_json::Value = serde_json::from_str(&v.to_json()).unwrap();
        assert_eq!(json["decision"], "rollback");
        assert_eq!(json["gates"][0]["ok"], false);
        assert_eq!(json["gates"][1]["observed"], serde_json::Value::Null);
    }

    #[test]
    fn bad_requests() {
        let m = manifest();
        assert!(
            matches!(decide(&m, "nope", &observed(1.0, 1.0, &[])), Err(Error::UnknownStage { known, .. }) if known == "canary, full")
        );
        let partial = Observed { elapsed_seconds: Some(1.0), ..Observed::default() };
        assert!(
            matches!(decide(&m, "canary", &partial), Err(Error::PartialMetrics { missing }) if missing == "samples")
        );
        let mut blocked = manifest();
        blocked.risk = Risk::Blocked;
        blocked.stages.clear();
        assert!(matches!(decide(&blocked, "canary", &observed(1.0, 1.0, &[])), Err(Error::Blocked { .. })));
    }
}
