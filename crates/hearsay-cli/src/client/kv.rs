//! `hearsay kv`: the cluster-wide key/value map through an agent (`/v1/kv`, `/v1/watch/kv`).
//!
//! Any member writes any key and the last writer wins. `put` returns once the write is
//! durable on the agent's node; the others learn it by gossip within moments.

use clap::{Args, Subcommand};
use hearsay_agent::schema::{KvChange, KvItem, KvWrite, Store};

use super::Target;
use super::connection::{ClientError, Connection, escape};
use super::sse::{self, WatchArgs};
use super::store::{self, KeyArgs, Output, key_path};
use super::{format, value};

/// `hearsay kv ...`.
#[derive(Debug, Subcommand)]
#[command(after_help = "Examples:\n  \
hearsay kv put config/db postgres://10.0.0.5/app\n  \
hearsay kv put certs/web @web.pem\n  \
hearsay kv put --wait-for 3 config/flag on\n  \
hearsay kv get config/db\n  \
hearsay kv list --prefix config/\n  \
hearsay kv watch --prefix config/")]
pub enum KvCommand {
    /// Write a key; returns once the write is durable on the agent's node.
    Put(PutArgs),
    /// Print a key's value to standard output, as raw bytes.
    Get(KeyArgs),
    /// Delete a key (the delete spreads like a write and wins over older ones).
    Del(KeyArgs),
    /// List keys and a preview of their values, in key order.
    List(ListArgs),
    /// Print changes of keys under a prefix as they happen, one line each (Ctrl-C ends).
    Watch(WatchArgs),
}

/// `hearsay kv put KEY VALUE`.
#[derive(Debug, Args)]
pub struct PutArgs {
    /// The key: 1 to 512 bytes of UTF-8; `/` is fine (config/db).
    key: String,
    #[arg(help = value::HELP, value_name = "VALUE|@FILE")]
    value: String,
    /// Return only once this many members (the agent's node included) hold the write.
    #[arg(long, value_name = "N", default_value_t = 1)]
    wait_for: u32,
    #[command(flatten)]
    target: Target,
}

/// `hearsay kv list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only keys that start with this.
    #[arg(long, default_value = "")]
    prefix: String,
    /// Print the API's JSON instead of a table (values that are not UTF-8 as `value_base64`).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: Target,
}

/// Runs one `kv` command; the bytes to print on success.
pub fn run(command: KvCommand) -> Result<Vec<u8>, ClientError> {
    match command {
        KvCommand::Put(a) => {
            let mut path = key_path(Store::Kv, &a.key);
            if a.wait_for > 1 {
                path.push_str(&format!("?wait_for={}", a.wait_for));
            }
            let (w, bytes): (KvWrite, _) = store::put(&a.target, &path, &a.value)?;
            Ok(format!(
                "{}: {bytes} bytes written by {} (stamp {})\n",
                w.key, w.writer, w.stamp
            )
            .into_bytes())
        }
        KvCommand::Get(a) => {
            Connection::new(&a.target.http_addr).get_bytes(&key_path(Store::Kv, &a.key))
        }
        KvCommand::Del(a) => {
            let w: KvWrite =
                Connection::new(&a.target.http_addr).delete(&key_path(Store::Kv, &a.key))?;
            Ok(format!("{}: deleted by {} (stamp {})\n", w.key, w.writer, w.stamp).into_bytes())
        }
        KvCommand::List(a) => {
            let path = format!("{}?prefix={}", Store::Kv.path(), escape(&a.prefix));
            let output = Output::from_json_flag(a.json);
            store::list(&a.target, &path, output, |items: &[KvItem]| {
                table(items, &a.prefix, hearsay::unix_millis())
            })
        }
        KvCommand::Watch(a) => {
            a.run(Store::Kv, describe)?;
            Ok(Vec::new())
        }
    }
}

/// The key table: a header and one row per key.
fn table(items: &[KvItem], prefix: &str, now_ms: u64) -> String {
    if items.is_empty() {
        return if prefix.is_empty() {
            "the map is empty\n".to_owned()
        } else {
            format!("no keys start with '{prefix}'\n")
        };
    }
    let mut rows = vec![vec![
        "KEY".to_owned(),
        "VALUE".to_owned(),
        "WRITER".to_owned(),
        "WRITTEN".to_owned(),
    ]];
    for item in items {
        rows.push(vec![
            item.key.clone(),
            value::preview(&item.value),
            item.writer.clone(),
            format::ago(now_ms, item.at_unix_ms),
        ]);
    }
    format::table(&rows)
}

/// One line for one message of the watch.
fn describe(name: &str, data: &str) -> String {
    if let Some(missed) = sse::missed(name, data) {
        return format!(
            "{:<12}  missed  {missed} changes skipped because this watch fell behind; 'hearsay kv list' shows the current map",
            ""
        );
    }
    match serde_json::from_str::<KvChange>(data) {
        Ok(c) if c.deleted => format!(
            "{}  del     {}  by {}",
            format::clock(c.at_unix_ms),
            c.key,
            c.writer
        ),
        Ok(c) => format!(
            "{}  put     {} = {}  by {}",
            format::clock(c.at_unix_ms),
            c.key,
            value::preview(&c.value),
            c.writer
        ),
        // A change this CLI does not know yet: show it rather than hide it.
        Err(_) => format!("{:<12}  {name:<6}  {data}", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_as_time_verb_key_value_and_writer() {
        let put = r#"{"key":"config/db","value":"pg://x","deleted":false,
            "stamp":0,"at_unix_ms":1709251198007,"writer":"a","local":true}"#;
        assert_eq!(
            describe("kv", put),
            "23:59:58.007  put     config/db = pg://x  by a"
        );
        let del = r#"{"key":"config/db","deleted":true,
            "stamp":0,"at_unix_ms":1709251198007,"writer":"b","local":false}"#;
        assert_eq!(describe("kv", del), "23:59:58.007  del     config/db  by b");
        assert!(describe("missed", r#"{"missed":4}"#).contains("missed  4 changes"));
    }

    #[test]
    fn an_empty_listing_says_what_was_asked() {
        assert_eq!(table(&[], "", 0), "the map is empty\n");
        assert_eq!(table(&[], "app/", 0), "no keys start with 'app/'\n");
    }
}
