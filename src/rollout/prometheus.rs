//! A small client for Prometheus's HTTP API (`/api/v1/query`), for
//! `cfglint rollout run`.
//!
//! Position: below [`super::run`]; it turns one PromQL query into one
//! value with the time of the data behind it.
//!
//! Guarantees: a query answers one series or none (none, or `NaN`: no
//! data); several series are an error (aggregate them in the query). The
//! sample time is the newest raw sample behind the value when Prometheus
//! can tell (`timestamp(QUERY)`, exact for a query that selects series
//! directly, such as a recording rule), else the evaluation time. Every
//! request has a timeout and a size cap; nothing is read as zero.

use std::time::Duration;

use serde_json::Value;

use super::metrics::strict_json;

/// The largest response read.
const MAX_BODY: u64 = 4 << 20;

/// One value and when it was measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The value (`None`: no series, or `NaN`).
    pub value: Option<f64>,
    /// Unix seconds of the data behind the value (`None` with no value).
    pub time: Option<f64>,
}

/// A Prometheus server.
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client for the server at `url` (`http://host:port`, optionally
    /// with a path prefix). Each request gives up after `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Result<Client, String> {
        if !url.starts_with("http://") {
            return Err(format!(
                "Prometheus URL `{url}`: only http:// is supported (put a TLS-terminating proxy on loopback)"
            ));
        }
        let config = ureq::Agent::config_builder().timeout_global(Some(timeout)).http_status_as_error(false).build();
        Ok(Client { base: url.trim_end_matches('/').to_owned(), agent: config.into() })
    }

    /// Evaluate `query` at unix time `at`, with the sample time.
    pub fn sample(&self, query: &str, at: f64) -> Result<Sample, String> {
        let Some((eval_time, value)) = self.instant(query, at)? else {
            return Ok(Sample { value: None, time: None });
        };
        let Some(value) = value else { return Ok(Sample { value: None, time: None }) };
        // The newest raw sample behind the value, when PromQL can tell;
        // an aggregation answers its evaluation time, a scalar cannot be
        // asked (both fall back to the evaluation time).
        let time = match self.instant(&format!("max(timestamp({query}))"), at) {
            Ok(Some((_, Some(t)))) => t.min(eval_time),
            _ => eval_time,
        };
        Ok(Sample { value: Some(value), time: Some(time) })
    }

    /// One instant query: `(evaluation time, value)` of its single series,
    /// `None` when it has none.
    fn instant(&self, query: &str, at: f64) -> Result<Option<(f64, Option<f64>)>, String> {
        let url = format!("{}/api/v1/query", self.base);
        let mut resp = self
            .agent
            .get(&url)
            .query("query", query)
            .query("time", format!("{at:.3}"))
            .call()
            .map_err(|e| format!("{url}: {e}"))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| format!("{url}: reading the answer: {e}"))?;
        let root = strict_json(&body).map_err(|e| format!("{url}: HTTP {status}: {e}"))?;
        parse(&root).map_err(|e| format!("query `{query}`: {e}"))
    }
}

/// `[timestamp, "value"]`: `NaN` is no data.
fn value(v: &Value) -> Result<(f64, Option<f64>), String> {
    let bad = || format!("expected a value `[timestamp, \"number\"]`, found {v}");
    let Some([Value::Number(t), Value::String(s)]) = v.as_array().map(Vec::as_slice) else { return Err(bad()) };
    let t = t.as_f64().ok_or_else(bad)?;
    let x = match s.to_ascii_lowercase().as_str() {
        "nan" => return Ok((t, None)),
        "+inf" | "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        s => s.parse::<f64>().map_err(|_| bad())?,
    };
    Ok((t, if x.is_nan() { None } else { Some(x) }))
}

fn parse(root: &Value) -> Result<Option<(f64, Option<f64>)>, String> {
    match root.get("status").and_then(Value::as_str) {
        Some("success") => {}
        Some("error") => {
            let kind = root.get("errorType").and_then(Value::as_str).unwrap_or("error");
            let msg = root.get("error").and_then(Value::as_str).unwrap_or("no message");
            return Err(format!("Prometheus answered {kind}: {msg}"));
        }
        _ => return Err("not a Prometheus API answer (no `\"status\": \"success\"`)".to_owned()),
    }
    let data = root.get("data").ok_or("the answer has no `data`")?;
    let result = data.get("result").ok_or("the answer has no `data.result`")?;
    match data.get("resultType").and_then(Value::as_str) {
        Some("vector") => {
            let items = result.as_array().ok_or("`data.result` of a vector must be an array")?;
            match items.as_slice() {
                [] => Ok(None),
                [one] => value(one.get("value").unwrap_or(&Value::Null)).map(Some),
                many => Err(format!("{} series answered: aggregate them in the query (sum, max, …)", many.len())),
            }
        }
        Some("scalar") => value(result).map(Some),
        other => Err(format!("a {} result: write an instant query for one number", other.unwrap_or("missing"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        let p = |s: &str| parse(&strict_json(s).unwrap());
        assert_eq!(p(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#), Ok(None));
        assert_eq!(
            p(r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[5.5,"0.25"]}]}}"#),
            Ok(Some((5.5, Some(0.25))))
        );
        assert_eq!(
            p(r#"{"status":"success","data":{"resultType":"scalar","result":[7,"NaN"]}}"#),
            Ok(Some((7.0, None)))
        );
        let inf = p(r#"{"status":"success","data":{"resultType":"scalar","result":[7,"-Inf"]}}"#).unwrap();
        assert_eq!(inf, Some((7.0, Some(f64::NEG_INFINITY))));
        let two = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}}"#;
        assert!(p(two).unwrap_err().contains("aggregate"));
        assert!(p(r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#).unwrap_err().contains("parse"));
        assert!(Client::new("https://x", Duration::from_secs(1)).is_err());
    }
}
