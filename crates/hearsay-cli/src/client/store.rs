//! What `hearsay kv` and `hearsay state` share: key arguments, request paths, writes of a value
//! given on the command line, and listings printed as a table or as the API's JSON.
//!
//! The two stores differ in who may write (any member vs. the owner only), not in how a
//! client reads and writes them; [`Store`] says which one a request is for.

use clap::Args;
use hearsay_agent::schema::Store;
use serde::de::DeserializeOwned;

use super::Target;
use super::connection::{ClientError, Connection, escape};
use super::value;

/// `hearsay kv get|del KEY`, `hearsay state del KEY`.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The key.
    pub key: String,
    #[command(flatten)]
    pub target: Target,
}

/// The path of `key` in `store`, percent-encoded: `/v1/kv/config%2Fdb`.
pub fn key_path(store: Store, key: &str) -> String {
    format!("{}/{}", store.path(), escape(key))
}

/// `PUT` of the value `arg` stands for (text, `@file`, `@-`) to `path` at `target`; the answer
/// and the number of bytes written.
pub fn put<T: DeserializeOwned>(
    target: &Target,
    path: &str,
    arg: &str,
) -> Result<(T, usize), ClientError> {
    let bytes = value::read(arg)?;
    let answer = Connection::new(&target.http_addr).put_bytes(path, &bytes)?;
    Ok((answer, bytes.len()))
}

/// How a listing is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// A table for people.
    Table,
    /// The API's JSON as it came, for scripts.
    Json,
}

impl Output {
    /// `--json` or not.
    pub fn from_json_flag(json: bool) -> Output {
        if json { Output::Json } else { Output::Table }
    }
}

/// `GET path` at `target`, printed as `output` says: the JSON as the API sent it, or the items
/// through `table`.
pub fn list<T: DeserializeOwned>(
    target: &Target,
    path: &str,
    output: Output,
    table: impl FnOnce(&[T]) -> String,
) -> Result<Vec<u8>, ClientError> {
    let conn = Connection::new(&target.http_addr);
    match output {
        Output::Json => conn.get_text(path).map(|t| format!("{t}\n").into_bytes()),
        Output::Table => Ok(table(&conn.get::<Vec<T>>(path)?).into_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_escaped_under_their_store() {
        assert_eq!(key_path(Store::Kv, "config/db"), "/v1/kv/config%2Fdb");
        assert_eq!(key_path(Store::State, "a b"), "/v1/state/a%20b");
    }
}
