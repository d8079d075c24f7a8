//! The query string of `POST /v1/query/{name}`, read into plain values before the node sees
//! them: repeatable `node`, `meta` and `state` filters, `timeout`, `relay_factor` and `ack`.
//! Each mistake is a 400 whose one-line message names the parameter and the expected form.
//! (Whether a pattern is a valid regular expression is the node's to say.)

use std::time::Duration;

use super::error::ApiError;
use crate::duration;

/// What the query string asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct QueryRequest {
    /// Only these members (any of them); none given: everyone.
    pub nodes: Vec<String>,
    /// `(key, pattern)`: the member's metadata value for `key` must match `pattern`.
    pub meta: Vec<(String, String)>,
    /// `(key, pattern)`: the member's replicated state value for `key` must match `pattern`.
    pub state: Vec<(String, String)>,
    /// How long to wait for answers; the node's default when not given.
    pub timeout: Option<Duration>,
    /// Extra members each answer is relayed through; the node's default when not given.
    pub relay_factor: Option<u8>,
    /// Whether members acknowledge receipt (`ack=false` turns that off).
    pub want_acks: bool,
}

/// The parameters, listed in every error.
const EXPECTED: &str = "node=NAME, meta=KEY=REGEX, state=KEY=REGEX (each repeatable), timeout=DURATION, relay_factor=K, ack=true|false";

/// The longest a query may run.
const LONGEST_TIMEOUT: Duration = Duration::from_secs(3600);

impl QueryRequest {
    /// Reads the decoded `(name, value)` pairs of a query string.
    pub(crate) fn parse(pairs: &[(String, String)]) -> Result<QueryRequest, ApiError> {
        let mut request = QueryRequest {
            want_acks: true,
            ..QueryRequest::default()
        };
        let (mut timeout, mut relay, mut ack) = (false, false, false);
        for (name, value) in pairs {
            match name.as_str() {
                "node" if value.is_empty() => return Err(bad("node= names no member")),
                "node" => request.nodes.push(value.clone()),
                "meta" => request.meta.push(pattern("meta", value)?),
                "state" => request.state.push(pattern("state", value)?),
                "timeout" => {
                    once("timeout", &mut timeout)?;
                    request.timeout = Some(query_timeout(value)?);
                }
                "relay_factor" => {
                    once("relay_factor", &mut relay)?;
                    let k = value.parse::<u8>().map_err(|_| {
                        bad(format!(
                            "relay_factor='{value}' is not a whole number from 0 to 255"
                        ))
                    })?;
                    request.relay_factor = Some(k);
                }
                "ack" => {
                    once("ack", &mut ack)?;
                    request.want_acks = match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad(format!("ack='{value}' is not true or false"))),
                    };
                }
                other => return Err(bad(format!("unknown parameter '{other}'"))),
            }
        }
        Ok(request)
    }
}

/// A 400 that lists what the endpoint takes.
fn bad(message: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("{message}; /v1/query takes {EXPECTED}"))
}

/// A parameter that may be given once.
fn once(name: &str, seen: &mut bool) -> Result<(), ApiError> {
    if std::mem::replace(seen, true) {
        return Err(bad(format!("{name} is given twice")));
    }
    Ok(())
}

/// `KEY=REGEX` of a `meta` or `state` filter.
fn pattern(param: &str, value: &str) -> Result<(String, String), ApiError> {
    match value.split_once('=') {
        Some((key, regex)) if !key.is_empty() => Ok((key.to_owned(), regex.to_owned())),
        _ => Err(bad(format!(
            "{param}='{value}' is not KEY=REGEX (for example {param}=role=^web$)"
        ))),
    }
}

/// `timeout=`: longer than zero, at most an hour.
fn query_timeout(value: &str) -> Result<Duration, ApiError> {
    let d = duration::parse(value).map_err(|e| bad(format!("timeout: {e}")))?;
    if d.is_zero() || d > LONGEST_TIMEOUT {
        return Err(bad(format!(
            "timeout='{value}' is out of range; give more than zero and at most 1h (for example 5s)"
        )));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &[(&str, &str)]) -> Result<QueryRequest, String> {
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        QueryRequest::parse(&pairs).map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn nothing_asks_everyone_with_acks_and_the_defaults() {
        let r = parse(&[]).unwrap();
        assert_eq!(
            r,
            QueryRequest {
                want_acks: true,
                ..QueryRequest::default()
            }
        );
    }

    #[test]
    fn filters_repeat_and_the_rest_are_read() {
        let r = parse(&[
            ("node", "a"),
            ("node", "b"),
            ("meta", "role=^web$"),
            ("meta", "zone=eu-.*"),
            ("state", "version=1\\.2=x"),
            ("timeout", "1.5s"),
            ("relay_factor", "2"),
            ("ack", "false"),
        ])
        .unwrap();
        assert_eq!(r.nodes, ["a", "b"]);
        assert_eq!(
            r.meta,
            [
                ("role".to_owned(), "^web$".to_owned()),
                ("zone".to_owned(), "eu-.*".to_owned())
            ]
        );
        assert_eq!(r.state, [("version".to_owned(), "1\\.2=x".to_owned())]);
        assert_eq!(r.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(r.relay_factor, Some(2));
        assert!(!r.want_acks);
    }

    #[test]
    fn each_mistake_names_the_parameter() {
        let e = parse(&[("meta", "role")]).unwrap_err();
        assert!(e.contains("meta='role' is not KEY=REGEX"), "{e}");
        let e = parse(&[("state", "=x")]).unwrap_err();
        assert!(e.contains("state='=x' is not KEY=REGEX"), "{e}");
        let e = parse(&[("timeout", "5")]).unwrap_err();
        assert!(e.contains("timeout: '5' is not a duration"), "{e}");
        let e = parse(&[("timeout", "0s")]).unwrap_err();
        assert!(e.contains("timeout='0s' is out of range"), "{e}");
        let e = parse(&[("timeout", "1s"), ("timeout", "2s")]).unwrap_err();
        assert!(e.contains("timeout is given twice"), "{e}");
        let e = parse(&[("relay_factor", "300")]).unwrap_err();
        assert!(e.contains("relay_factor='300'"), "{e}");
        let e = parse(&[("ack", "no")]).unwrap_err();
        assert!(e.contains("ack='no' is not true or false"), "{e}");
        let e = parse(&[("nodes", "a")]).unwrap_err();
        assert!(
            e.contains("unknown parameter 'nodes'") && e.contains("node=NAME"),
            "{e}"
        );
        let e = parse(&[("node", "")]).unwrap_err();
        assert!(e.contains("node= names no member"), "{e}");
    }
}
