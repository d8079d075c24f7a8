//! Server-sent events as the agent streams them (`/v1/events`, `/v1/watch/...`): `event:` and
//! `data:` lines, a blank line ending each message, and `:` comments (the agent's greeting and
//! its keep-alives), assembled into messages line by line, and followed until the agent ends
//! the stream or the reader goes away.

use std::io::Write;

use clap::Args;
use hearsay_agent::schema::{Missed, Store};

use super::Target;
use super::connection::{ClientError, Connection, escape};

/// `hearsay kv watch` and `hearsay state watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Only keys that start with this.
    #[arg(long, default_value = "")]
    prefix: String,
    /// Print each change as one line of JSON, as the API sends it.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: Target,
}

impl WatchArgs {
    /// Follows `store`'s changes (`/v1/watch/{store}`) on standard output until the agent
    /// ends the stream.
    pub fn run(
        &self,
        store: Store,
        describe: impl Fn(&str, &str) -> String,
    ) -> Result<(), ClientError> {
        let conn = Connection::new(&self.target.http_addr);
        let path = format!("{}?prefix={}", store.watch_path(), escape(&self.prefix));
        follow(
            &conn,
            &path,
            self.json,
            &mut std::io::stdout().lock(),
            describe,
        )
    }
}

/// Follows the stream at `path`, writing one line to `out` per message: its data as it came
/// with `json` (one JSON object per line), else `describe(name, data)`. The agent's greeting
/// goes to stderr, so that stdout holds only changes. Ends quietly when `out` closes
/// (`| head`), and with an error when the agent ends the stream, which it does only when it
/// stops or leaves.
pub fn follow(
    conn: &Connection,
    path: &str,
    json: bool,
    out: &mut impl Write,
    describe: impl Fn(&str, &str) -> String,
) -> Result<(), ClientError> {
    let mut parser = Parser::default();
    for line in conn.lines(path)? {
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
        if writeln!(out, "{text}").and_then(|()| out.flush()).is_err() {
            return Ok(());
        }
    }
    Err(ClientError::Broken {
        addr: conn.addr().to_owned(),
        what: "the event stream ended; the agent stopped or left".into(),
    })
}

/// The count of a `missed` message (messages skipped because the reader fell behind), or
/// `None` for any other message.
pub fn missed(name: &str, data: &str) -> Option<u64> {
    if name != "missed" {
        return None;
    }
    serde_json::from_str::<Missed>(data).ok().map(|m| m.missed)
}

/// A complete server-sent message.
#[derive(Debug, PartialEq, Eq)]
pub enum Message {
    /// A `:` line.
    Comment(String),
    /// An event: its name (`message` when none was given) and its data lines joined.
    Data { name: String, data: String },
}

/// Assembles server-sent messages from lines.
#[derive(Debug, Default)]
pub struct Parser {
    name: Option<String>,
    data: Vec<String>,
    /// Comments seen so far; the first is the agent's greeting.
    comments: usize,
}

impl Parser {
    /// Feeds one line; a message when it completes one.
    pub fn line(&mut self, line: &str) -> Option<Message> {
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
}
