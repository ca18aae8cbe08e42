//! The manifest's stages as Argo Rollouts canary steps
//! (`spec.strategy.canary.steps`): for each stage `setWeight`, a `pause`
//! for the bake time, and an `analysis` step that runs an
//! `AnalysisTemplate` named `cfglint-gate` with the stage name as its
//! argument (docs/rollout.md shows one that runs `cfglint gate`).
//!
//! Position: an output format of `rollout`; a pure function of the manifest.

use std::fmt::Write as _;

use super::manifest::{Manifest, short};

/// The steps as YAML, ready to paste under `spec.strategy.canary`.
pub fn steps_yaml(m: &Manifest) -> String {
    let mut s = String::new();
    let _ =
        writeln!(s, "# Argo Rollouts canary steps from the cfglint manifest {} -> {}.", short(&m.base), short(&m.head));
    let _ = writeln!(s, "# Paste under spec.strategy.canary; the AnalysisTemplate `cfglint-gate` runs `cfglint gate`.");
    if m.stages.is_empty() {
        let _ = writeln!(s, "# The manifest is {}: no stages.", m.risk);
        s.push_str("steps: []\n");
        return s;
    }
    s.push_str("steps:\n");
    for st in &m.stages {
        let weight = st.traffic_percent.0.ceil().clamp(1.0, 100.0) as u32;
        let _ = writeln!(s, "  # stage {} ({}% of traffic)", st.name, st.traffic_percent.0);
        let _ = writeln!(s, "  - setWeight: {weight}");
        if st.min_bake_seconds > 0 {
            let _ = writeln!(s, "  - pause:\n      duration: {}s", st.min_bake_seconds);
        }
        let _ = writeln!(
            s,
            "  - analysis:\n      templates:\n        - templateName: cfglint-gate\n      args:\n        - name: stage\n          value: \"{}\"",
            st.name
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::manifest::{Percent, Risk, Rollback, SCHEMA, Stage};

    #[test]
    fn steps() {
        let mut m = Manifest {
            schema: SCHEMA.into(),
            base: "a".repeat(40),
            head: "b".repeat(40),
            risk: Risk::Low,
            waves: 1,
            emergency: None,
            inverts: None,
            changes: vec![],
            stages: vec![
                Stage {
                    name: "canary".into(),
                    traffic_percent: Percent(0.5),
                    min_bake_seconds: 600,
                    min_samples: 0,
                    rehearse_rollback: true,
                    max_wait_seconds: None,
                    gates: vec![],
                },
                Stage {
                    name: "full".into(),
                    traffic_percent: Percent(100.0),
                    min_bake_seconds: 0,
                    min_samples: 0,
                    rehearse_rollback: false,
                    max_wait_seconds: None,
                    gates: vec![],
                },
            ],
            rollback: Rollback {
                revision: String::new(),
                command: String::new(),
                forward_revision: String::new(),
                forward_command: String::new(),
                rehearse_in_stage: None,
            },
            prometheus: None,
            run: None,
        };
        let y = steps_yaml(&m);
        assert!(y.contains("  - setWeight: 1\n  - pause:\n      duration: 600s\n"), "{y}");
        assert!(y.contains("value: \"full\""), "{y}");
        assert_eq!(y.matches("setWeight").count(), 2);
        m.stages.clear();
        assert!(steps_yaml(&m).contains("steps: []"));
    }
}
