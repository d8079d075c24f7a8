//! `hearsay monitor`: membership events from `GET /v1/events`, one line each, as they happen.
//!
//! The stream is server-sent events: `event:` and `data:` lines, a blank line ending each
//! message, and `:` comments (the agent's greeting and its keep-alives). Ctrl-C ends the
//! command; so does the agent stopping, which is reported as an error because the watch
//! ended without being asked to.

use std::io::Write;

use hearsay_agent::api::{Event, Missed};

use super::connection::{ClientError, Connection};
use super::format;

/// Streams events to `out` until the agent closes the stream (an error) or the process is
/// interrupted. With `json`, each message's data is printed as it came: one JSON object per
/// line.
pub fn run(conn: &Connection, json: bool, out: &mut impl Write) -> Result<(), ClientError> {
    let mut parser = Parser::default();
    for line in conn.lines("/v1/events")? {
        let Some(message) = parser.line(&line?) else {
            continue;
        };
        let text = match message {
            Message::Comment(c) if parser.comments == 1 => {
                eprintln!("{} at {} (Ctrl-C ends)", c.trim(), conn.addr());
                continue;
            }
            Message::Comment(_) => continue,
            Message::Data { data, .. } if json => data,
            Message::Data { name, data } => describe(&name, &data),
        };
        // A closed stdout (`hearsay monitor | head`) ends the watch quietly.
        if writeln!(out, "{text}").and_then(|()| out.flush()).is_err() {
            return Ok(());
        }
    }
    Err(ClientError::Broken {
        addr: conn.addr().to_owned(),
        what: "the event stream ended; the agent stopped or left".into(),
    })
}

/// One line for one message.
fn describe(name: &str, data: &str) -> String {
    if name == "missed"
        && let Ok(m) = serde_json::from_str::<Missed>(data)
    {
        return format!(
            "{:<12}  missed     {} events skipped because this monitor fell behind; 'hearsay members' shows the current view",
            "", m.missed
        );
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

/// A complete server-sent message.
#[derive(Debug, PartialEq, Eq)]
enum Message {
    /// A `:` line.
    Comment(String),
    /// An event: its name (`message` when none was given) and its data lines joined.
    Data { name: String, data: String },
}

/// Assembles server-sent messages from lines.
#[derive(Debug, Default)]
struct Parser {
    name: Option<String>,
    data: Vec<String>,
    /// Comments seen so far; the first is the agent's greeting.
    comments: usize,
}

impl Parser {
    /// Feeds one line; a message when it completes one.
    fn line(&mut self, line: &str) -> Option<Message> {
        if line.is_empty() {
            let name = self.name.take().unwrap_or_else(|| "message".to_owned());
            if self.data.is_empty() {
                return None;
            }
            let data = std::mem::take(&mut self.data).join("\n");
            return Some(Message::Data { name, data });
        }
        if let Some(comment) = line.strip_prefix(':') {
            self.comments += 1;
            return Some(Message::Comment(comment.to_owned()));
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.name = Some(value.to_owned()),
            "data" => self.data.push(value.to_owned()),
            _ => {} // id, retry: nothing to do for a one-shot watcher
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parser_assembles_events_and_passes_comments() {
        let mut p = Parser::default();
        assert_eq!(
            p.line(": hello"),
            Some(Message::Comment(" hello".to_owned()))
        );
        assert_eq!(p.line(""), None);
        assert_eq!(p.line("event: up"), None);
        assert_eq!(p.line("data: {\"a\":"), None);
        assert_eq!(p.line("data:1}"), None);
        assert_eq!(
            p.line(""),
            Some(Message::Data {
                name: "up".into(),
                data: "{\"a\":\n1}".into()
            })
        );
        assert_eq!(p.line("data: x"), None);
        assert_eq!(
            p.line(""),
            Some(Message::Data {
                name: "message".into(),
                data: "x".into()
            })
        );
    }

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
        let missed = describe("missed", r#"{"missed":7}"#);
        assert!(missed.contains("missed     7 events"), "{missed}");
    }
}
