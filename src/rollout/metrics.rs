//! Observed metrics for `cfglint gate`: the JSON shape of docs/rollout.md, or a
//! Prometheus instant-query result.
//!
//! Position: input to [`super::gate`].
//!
//! documented shape: `{"elapsed_seconds": 1200, "samples": 5000,
//! "metrics": {"error_rate": 0.0004, "p99_latency_ms": 80},
//! "baseline": {"cpu": 0.5}}`. `baseline` (optional) holds the baseline's
//! value of each canary-against-baseline gate's metric. Unknown top-level
//! keys are errors (a typo must not read as "no data"); a metric whose
//! value is `null` has no data (the gate holds).
//!
//! Prometheus: the body of `/api/v1/query` (`{"status": "success", "data":
//! {"resultType": "vector", "result": [...]}}`). Each series is named by
//! its `__name__` label, else its `name` label (give an aggregated series
//! one with `label_replace(EXPR, "name", "error_rate", "", "")`), else by
//! the name given with the file (`--metrics error_rate=FILE`) when the
//! result holds one series or none (an empty result: no data). Series named
//! `elapsed_seconds` and `samples` fill those fields, and a series named
//! `NAME:baseline` ([`BASELINE_SUFFIX`]) is the baseline's value of
//! `NAME`. `NaN` (for example
//! `0/0` with no traffic) is no data; two series with one name is an error
//! (aggregate them in the query).
//!
//! Guarantees: anything else is an error that says what is wrong, never a
//! value read as zero.

use std::collections::BTreeMap;

use serde_json::Value;

/// A Prometheus series (or `--metrics NAME=FILE` name) ending with this is
/// the baseline's value of the metric before it: `cpu:baseline` for `cpu`.
/// `rollout run` logs a baseline query's value under the same name.
pub const BASELINE_SUFFIX: &str = ":baseline";

/// Metrics observed for one stage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// Seconds since the stage started.
    pub elapsed_seconds: Option<f64>,
    /// Requests (or events) observed in the stage.
    pub samples: Option<f64>,
    /// Metric values; `None` means the source had no data.
    pub metrics: BTreeMap<String, Option<f64>>,
    /// The baseline's value of each canary-against-baseline gate's metric,
    /// by the canary metric's name; `None` means no data.
    pub baselines: BTreeMap<String, Option<f64>>,
}

impl Observed {
    /// Add another source's metrics; a name given twice is an error.
    pub fn merge(&mut self, other: Observed) -> Result<(), String> {
        for (field, mine, theirs) in [
            ("elapsed_seconds", &mut self.elapsed_seconds, other.elapsed_seconds),
            ("samples", &mut self.samples, other.samples),
        ] {
            if let Some(v) = theirs {
                if mine.is_some() {
                    return Err(format!("`{field}` is given by more than one metrics source"));
                }
                *mine = Some(v);
            }
        }
        for (k, v) in other.metrics {
            if self.metrics.insert(k.clone(), v).is_some() {
                return Err(format!("metric `{k}` is given by more than one metrics source"));
            }
        }
        for (k, v) in other.baselines {
            if self.baselines.insert(k.clone(), v).is_some() {
                return Err(format!("the baseline of `{k}` is given by more than one metrics source"));
            }
        }
        Ok(())
    }
}

/// Parse one metrics file. `name` names an unnamed Prometheus series.
pub fn parse(text: &str, name: Option<&str>) -> Result<Observed, String> {
    let root = strict_json(text)?;
    let Value::Object(map) = &root else {
        return Err(
            "expected a JSON object (`{\"elapsed_seconds\", \"samples\", \"metrics\"}` or a Prometheus query result)"
                .to_owned(),
        );
    };
    if map.contains_key("status") || map.contains_key("data") {
        prometheus(map, name)
    } else {
        if name.is_some() {
            return Err("a name (`NAME=FILE`) only applies to a Prometheus query result".to_owned());
        }
        design(map)
    }
}

/// Parse JSON, refusing an object that names a key twice: serde_json
/// keeps the last one, so `{"error_rate": 0.5, "error_rate": 0}` would read
/// as a healthy canary.
pub fn strict_json(text: &str) -> Result<Value, String> {
    let Strict(v) = serde_json::from_str(text).map_err(|e| {
        let m = e.to_string();
        if m.starts_with("duplicate key") { format!("malformed JSON: {m}") } else { format!("not valid JSON: {m}") }
    })?;
    Ok(v)
}

/// A JSON value whose objects have distinct keys.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Strict, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Strict, D::Error> {
        serde::Deserialize::deserialize(d)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Strict(Value::Array(out)))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate key `{key}` (a later value would silently replace the first)"
                )));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Strict(Value::Object(out)))
    }
}

fn number(v: &Value, what: &str) -> Result<f64, String> {
    match v.as_f64() {
        Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
        Some(x) => Err(format!("`{what}` must be a finite number ≥ 0, not {x}")),
        None => Err(format!("`{what}` must be a number, not {}", kind(v))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn design(map: &serde_json::Map<String, Value>) -> Result<Observed, String> {
    let mut out = Observed::default();
    for (k, v) in map {
        match k.as_str() {
            "elapsed_seconds" => out.elapsed_seconds = Some(number(v, k)?),
            "samples" => out.samples = Some(number(v, k)?),
            "version" => {
                if v.as_u64() != Some(1) {
                    return Err(format!("unsupported metrics version {v} (expected 1)"));
                }
            }
            "metrics" => out.metrics = values(k, v, "metric")?,
            "baseline" => out.baselines = values(k, v, "baseline of")?,
            other => {
                return Err(format!("unknown key `{other}` (expected elapsed_seconds, samples, metrics and baseline)"));
            }
        }
    }
    Ok(out)
}

/// An object of name → number or `null` (no data): `metrics` or
/// `baseline`. `what` names one value in errors.
fn values(key: &str, v: &Value, what: &str) -> Result<BTreeMap<String, Option<f64>>, String> {
    let Value::Object(map) = v else {
        return Err(format!("`{key}` must be an object of name → number, not {}", kind(v)));
    };
    let mut out = BTreeMap::new();
    for (name, value) in map {
        let value = match value {
            Value::Null => None,
            Value::Number(n) => match n.as_f64() {
                Some(x) if x.is_finite() => Some(x),
                _ => return Err(format!("{what} `{name}` is not a finite number")),
            },
            other => {
                return Err(format!("{what} `{name}` must be a number or null, not {}", kind(other)));
            }
        };
        out.insert(name.clone(), value);
    }
    Ok(out)
}

/// A Prometheus sample value: `[timestamp, "value"]`.
fn sample(v: &Value, series: &str) -> Result<Option<f64>, String> {
    let bad = || format!("series `{series}`: expected a value `[timestamp, \"number\"]`, found {v}");
    let Some([_, Value::String(s)]) = v.as_array().map(Vec::as_slice) else { return Err(bad()) };
    let x = match s.to_ascii_lowercase().as_str() {
        "nan" => return Ok(None),
        "+inf" | "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        t => t.parse::<f64>().map_err(|_| bad())?,
    };
    Ok(if x.is_nan() { None } else { Some(x) })
}

fn prometheus(map: &serde_json::Map<String, Value>, hint: Option<&str>) -> Result<Observed, String> {
    match map.get("status").and_then(Value::as_str) {
        Some("success") => {}
        Some("error") => {
            let kind = map.get("errorType").and_then(Value::as_str).unwrap_or("error");
            let msg = map.get("error").and_then(Value::as_str).unwrap_or("no message");
            return Err(format!("the Prometheus query failed ({kind}): {msg}"));
        }
        _ => return Err("a Prometheus result needs `\"status\": \"success\"`".to_owned()),
    }
    let data = map.get("data").and_then(Value::as_object).ok_or("a Prometheus result needs a `data` object")?;
    let result = data.get("result").ok_or("a Prometheus result needs `data.result`")?;
    let mut series: Vec<(String, Option<f64>)> = Vec::new();
    match data.get("resultType").and_then(Value::as_str) {
        Some("vector") => {
            let items = result.as_array().ok_or("`data.result` of a vector must be an array")?;
            if items.is_empty()
                && let Some(h) = hint
            {
                series.push((h.to_owned(), None));
            }
            for item in items {
                let labels = item.get("metric").and_then(Value::as_object);
                let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str).map(str::to_owned);
                let name = match label("__name__").or_else(|| label("name")) {
                    Some(n) => n,
                    None if items.len() == 1 && hint.is_some() => hint.unwrap_or_default().to_owned(),
                    None => {
                        return Err(format!(
                            "a series without a `__name__` or `name` label ({}): name it in the query with \
                             label_replace(EXPR, \"name\", \"error_rate\", \"\", \"\"), or pass one series per file \
                             as --metrics NAME=FILE",
                            item.get("metric").map_or_else(|| "{}".to_owned(), Value::to_string)
                        ));
                    }
                };
                let value = sample(item.get("value").unwrap_or(&Value::Null), &name)?;
                series.push((name, value));
            }
        }
        Some("scalar") => {
            let Some(h) = hint else {
                return Err("a scalar result has no name: pass it as --metrics NAME=FILE".to_owned());
            };
            series.push((h.to_owned(), sample(result, h)?));
        }
        Some("matrix") => {
            return Err("a range-query (matrix) result: gate reads instant queries (/api/v1/query)".to_owned());
        }
        other => return Err(format!("unsupported Prometheus resultType {}", other.unwrap_or("(missing)"))),
    }
    let mut out = Observed::default();
    for (name, value) in series {
        let dup = match name.as_str() {
            "elapsed_seconds" => out.elapsed_seconds.replace(value.unwrap_or(f64::NAN)).is_some(),
            "samples" => out.samples.replace(value.unwrap_or(f64::NAN)).is_some(),
            _ => match name.strip_suffix(BASELINE_SUFFIX) {
                Some(metric) if !metric.is_empty() => out.baselines.insert(metric.to_owned(), value).is_some(),
                _ => out.metrics.insert(name.clone(), value).is_some(),
            },
        };
        if dup {
            return Err(format!("several series are named `{name}`: aggregate them in the query (sum, max, …)"));
        }
    }
    for (field, v) in [("elapsed_seconds", out.elapsed_seconds), ("samples", out.samples)] {
        if v.is_some_and(|x| !x.is_finite() || x < 0.0) {
            return Err(format!("series `{field}` must be a finite number ≥ 0"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_shape() {
        let o =
            parse(r#"{"elapsed_seconds": 1200, "samples": 5000, "metrics": {"error_rate": 0.0004, "x": null}}"#, None)
                .unwrap();
        assert_eq!(o.elapsed_seconds, Some(1200.0));
        assert_eq!(o.metrics.get("error_rate"), Some(&Some(0.0004)));
        assert_eq!(o.metrics.get("x"), Some(&None));
        for (bad, says) in [
            ("[1]", "object"),
            ("{", "JSON"),
            (r#"{"elapsed_seconds": "10"}"#, "number"),
            (r#"{"elapsed_seconds": -1}"#, "≥ 0"),
            (r#"{"metrics": {"a": "1"}}"#, "number or null"),
            (r#"{"metrics": []}"#, "object"),
            (r#"{"elapsed_second": 1}"#, "unknown key"),
            (r#"{"version": 2}"#, "version"),
        ] {
            let e = parse(bad, None).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn prometheus_shapes() {
        let text = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"error_rate","job":"web"},"value":[1700000000.1,"0.0004"]},
            {"metric":{"name":"p99_latency_ms"},"value":[1700000000.1,"NaN"]},
            {"metric":{"__name__":"samples"},"value":[1700000000.1,"5000"]},
            {"metric":{"__name__":"inf"},"value":[1700000000.1,"+Inf"]}]}}"#;
        let o = parse(text, None).unwrap();
        assert_eq!(o.metrics.get("error_rate"), Some(&Some(0.0004)));
        assert_eq!(o.metrics.get("p99_latency_ms"), Some(&None));
        assert_eq!(o.metrics.get("inf"), Some(&Some(f64::INFINITY)));
        assert_eq!(o.samples, Some(5000.0));
        let unnamed =
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.5"]}]}}"#;
        assert!(parse(unnamed, None).unwrap_err().contains("label_replace"));
        assert_eq!(parse(unnamed, Some("error_rate")).unwrap().metrics.get("error_rate"), Some(&Some(0.5)));
        let empty = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert_eq!(parse(empty, Some("error_rate")).unwrap().metrics.get("error_rate"), Some(&None));
        let scalar = r#"{"status":"success","data":{"resultType":"scalar","result":[1,"3"]}}"#;
        assert_eq!(parse(scalar, Some("elapsed_seconds")).unwrap().elapsed_seconds, Some(3.0));
        let dup = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"a"},"value":[1,"1"]},{"metric":{"__name__":"a"},"value":[1,"2"]}]}}"#;
        assert!(parse(dup, None).unwrap_err().contains("aggregate"));
        let failed = r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
        assert!(parse(failed, None).unwrap_err().contains("parse error"));
        let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(parse(matrix, None).unwrap_err().contains("instant"));
        let junk = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"a"},"value":[1,"x"]}]}}"#;
        assert!(parse(junk, None).is_err());
    }

    #[test]
    fn merging() {
        let mut a = parse(r#"{"elapsed_seconds": 1, "samples": 2, "metrics": {"x": 1}}"#, None).unwrap();
        let b = parse(r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"y"},"value":[1,"2"]}]}}"#, None)
            .unwrap();
        a.merge(b).unwrap();
        assert_eq!(a.metrics.len(), 2);
        let c = parse(r#"{"metrics": {"x": 3}}"#, None).unwrap();
        assert!(a.merge(c).unwrap_err().contains("`x`"));
    }
}
