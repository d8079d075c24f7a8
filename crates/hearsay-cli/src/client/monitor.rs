//! `hearsay monitor`: membership events, user events and queries received, from
//! `GET /v1/events?user=true`, one line each, as they happen.
//!
//! Ctrl-C ends the command; so does the agent stopping, which is reported as an error because
//! the watch ended without being asked to (see `sse.rs`).

use std::io::Write;

use hearsay_agent::schema::{Event, QueryReceived, UserEvent};

use super::connection::{ClientError, Connection};
use super::format;
use super::sse;
use super::value;

/// Streams events to `out` until the agent closes the stream (an error) or the process is
/// interrupted. With `json`, each message's data is printed as it came: one JSON object per
/// line.
pub fn run(conn: &Connection, json: bool, out: &mut impl Write) -> Result<(), ClientError> {
    sse::follow(conn, "/v1/events?user=true", json, out, describe)
}

/// One line for one message.
fn describe(name: &str, data: &str) -> String {
    if let Some(missed) = sse::missed(name, data) {
        return format!(
            "{:<12}  missed     {missed} events skipped because this monitor fell behind; 'hearsay members' shows the current view",
            ""
        );
    }
    match name {
        "event" => {
            if let Ok(e) = serde_json::from_str::<UserEvent>(data) {
                return format!(
                    "{}  {:<9}  {}  from {}  hops {}  {}",
                    format::clock(e.at_unix_ms),
                    "event",
                    e.name,
                    e.origin,
                    e.hops,
                    value::preview(&e.value)
                );
            }
        }
        "query" => {
            if let Ok(q) = serde_json::from_str::<QueryReceived>(data) {
                return format!(
                    "{}  {:<9}  {}  from {}  hops {}  {}",
                    format::clock(q.at_unix_ms),
                    "query",
                    q.name,
                    q.origin,
                    q.hops,
                    value::preview(&q.value)
                );
            }
        }
        _ => {}
    }
    match serde_json::from_str::<Event>(data) {
        Ok(e) => format!(
            "{}  {:<9}  {}  {}  {} inc {}  {}",
            format::clock(e.at_unix_ms),
            e.kind.as_str(),
            e.member.name,
            e.member.address,
            e.member.state,
            e.member.incarnation,
            format::cause(e.kind, &e.cause)
        ),
        // A kind this CLI does not know yet: show it rather than hide it.
        Err(_) => format!("{:<12}  {name:<9}  {data}", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reads_as_time_kind_member_and_cause() {
        let data = r#"{"kind":"suspect","at_unix_ms":1709251198007,
            "member":{"name":"b","address":"127.0.0.1:7000","state":"suspect","incarnation":2,
                      "generation":1,"meta":{},"since_unix_ms":1709251198007},
            "cause":{"via":"local","accuser":"a","confirmations":0,"local_health":0}}"#;
        assert_eq!(
            describe("suspect", data),
            "23:59:58.007  suspect    b  127.0.0.1:7000  suspect inc 2  accused by a, decided here"
        );
        let event = describe(
            "event",
            r#"{"name":"deploy","origin":"a","generation":1,"seq":3,"hops":2,
                "at_unix_ms":1709251198007,"value":"v1.2"}"#,
        );
        assert_eq!(
            event,
            "23:59:58.007  event      deploy  from a  hops 2  v1.2"
        );
        let query = describe(
            "query",
            r#"{"name":"load","origin":"b","generation":1,"seq":4,"hops":0,"at_unix_ms":1709251198007,
                "deadline_unix_ms":1709251198007,"value_base64":"/wA="}"#,
        );
        assert_eq!(
            query,
            "23:59:58.007  query      load  from b  hops 0  (2 bytes, not text)"
        );
        let missed = describe("missed", r#"{"missed":7}"#);
        assert!(missed.contains("missed     7 events"), "{missed}");
    }
}
