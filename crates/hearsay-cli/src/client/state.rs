//! `hearsay state`: the agent's own replicated state (`/v1/state`, `/v1/watch/state`).
//!
//! Each member owns its keys: only it writes them, every member holds a copy, and they go
//! when the member does. `set` writes the agent's own keys; `get --node` and `list --all`
//! read what it holds of the others'.

use std::time::Duration;

use clap::{Args, Subcommand};
use hearsay_agent::schema::{StateChange, StateDelete, StateItem, StateWrite, Store};

use super::Target;
use super::connection::{ClientError, Connection, escape};
use super::sse::{self, WatchArgs};
use super::store::{self, KeyArgs, Output, key_path};
use super::{format, value};

/// `hearsay state ...`.
#[derive(Debug, Subcommand)]
#[command(after_help = "Examples:\n  \
hearsay state set role web\n  \
hearsay state set lease/leader yes --ttl 30s\n  \
hearsay state get role --node beta\n  \
hearsay state list --all\n  \
hearsay members --keys role,zone")]
pub enum StateCommand {
    /// Set one of the agent's own keys (spread to every member).
    Set(SetArgs),
    /// Print a key's value to standard output, as raw bytes: the agent's own, or a member's.
    Get(GetArgs),
    /// Delete one of the agent's own keys.
    Del(KeyArgs),
    /// List keys and a preview of their values: the agent's own, one member's, or everyone's.
    List(ListArgs),
    /// Print changes of any member's keys under a prefix as they happen (Ctrl-C ends).
    Watch(WatchArgs),
}

/// `hearsay state set KEY VALUE [--ttl D]`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The key: 1 to 512 bytes of UTF-8.
    key: String,
    #[arg(help = value::HELP, value_name = "VALUE|@FILE")]
    value: String,
    /// Delete the key this long after this write (30s, 5m, 1.5h, 2d).
    #[arg(long, value_name = "DURATION", value_parser = ttl)]
    ttl: Option<Duration>,
    #[command(flatten)]
    target: Target,
}

/// `hearsay state get KEY [--node NAME]`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The key.
    key: String,
    /// The member that owns the key [default: the agent's own node].
    #[arg(long, value_name = "NAME")]
    node: Option<String>,
    #[command(flatten)]
    target: Target,
}

/// `hearsay state list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only keys that start with this.
    #[arg(long, default_value = "")]
    prefix: String,
    /// One member's keys [default: the agent's own node].
    #[arg(long, value_name = "NAME", conflicts_with = "all")]
    node: Option<String>,
    /// Every member's keys that the agent holds.
    #[arg(long)]
    all: bool,
    /// Print the API's JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: Target,
}

/// Runs one `state` command; the bytes to print on success.
pub fn run(command: StateCommand) -> Result<Vec<u8>, ClientError> {
    match command {
        StateCommand::Set(a) => {
            let mut path = key_path(Store::State, &a.key);
            if let Some(ttl) = a.ttl {
                path.push_str(&format!("?ttl={}ms", ttl.as_millis().max(1)));
            }
            let (w, bytes): (StateWrite, _) = store::put(&a.target, &path, &a.value)?;
            let expiry = match w.ttl_ms {
                Some(ms) => format!(", deleted in {}", format::duration(ms)),
                None => String::new(),
            };
            Ok(format!(
                "{}: {bytes} bytes set on {} (version {}{expiry})\n",
                w.key, w.owner, w.version
            )
            .into_bytes())
        }
        StateCommand::Get(a) => {
            let mut path = key_path(Store::State, &a.key);
            if let Some(node) = &a.node {
                path.push_str(&format!("?node={}", escape(node)));
            }
            Connection::new(&a.target.http_addr).get_bytes(&path)
        }
        StateCommand::Del(a) => {
            let d: StateDelete =
                Connection::new(&a.target.http_addr).delete(&key_path(Store::State, &a.key))?;
            let text = if d.deleted {
                format!("{}: deleted from {}\n", d.key, d.owner)
            } else {
                format!("{}: was not set on {}; nothing changed\n", d.key, d.owner)
            };
            Ok(text.into_bytes())
        }
        StateCommand::List(a) => {
            let mut path = format!("{}?prefix={}", Store::State.path(), escape(&a.prefix));
            if a.all {
                path.push_str("&all=true");
            } else if let Some(node) = &a.node {
                path.push_str(&format!("&node={}", escape(node)));
            }
            store::list(&a.target, &path, Output::from_json_flag(a.json), table)
        }
        StateCommand::Watch(a) => {
            a.run(Store::State, describe)?;
            Ok(Vec::new())
        }
    }
}

/// `--ttl`: the agent's own rules, so that a typo is a usage error before anything is sent.
fn ttl(text: &str) -> Result<Duration, String> {
    hearsay_agent::ttl::parse(text).map_err(|e| e.to_string())
}

fn table(items: &[StateItem]) -> String {
    if items.is_empty() {
        return "no keys\n".to_owned();
    }
    let mut rows = vec![vec![
        "OWNER".to_owned(),
        "KEY".to_owned(),
        "VALUE".to_owned(),
    ]];
    for item in items {
        rows.push(vec![
            item.owner.clone(),
            item.key.clone(),
            value::preview(&item.value),
        ]);
    }
    format::table(&rows)
}

/// One line for one message of the watch.
fn describe(name: &str, data: &str) -> String {
    if let Some(missed) = sse::missed(name, data) {
        return format!(
            "missed  {missed} changes skipped because this watch fell behind; 'hearsay state list --all' shows the current state"
        );
    }
    match serde_json::from_str::<StateChange>(data) {
        Ok(c) if c.deleted => format!("del  {}  {}", c.owner, c.key),
        Ok(c) => format!("set  {}  {} = {}", c.owner, c.key, value::preview(&c.value)),
        Err(_) => format!("{name}  {data}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_as_verb_owner_key_and_value() {
        let set = r#"{"owner":"a","key":"role","value":"web","deleted":false}"#;
        assert_eq!(describe("state", set), "set  a  role = web");
        let del = r#"{"owner":"b","key":"role","deleted":true}"#;
        assert_eq!(describe("state", del), "del  b  role");
    }

    #[test]
    fn a_bad_ttl_is_refused_with_the_expected_form() {
        assert_eq!(ttl("30s"), Ok(Duration::from_secs(30)));
        assert!(ttl("30").unwrap_err().contains("for example 30s"));
    }
}
