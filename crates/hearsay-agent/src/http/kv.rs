//! `/v1/kv`: the cluster-wide key/value map (any member writes any key, the last writer
//! wins), read and written through this agent's node.
//!
//! | request | answer |
//! |---|---|
//! | `PUT /v1/kv/{key}[?wait_for=N]`, body = value | 200 [`schema::KvWrite`] once durable here |
//! | `GET /v1/kv/{key}` | 200 raw bytes, `x-hearsay-stamp` and `x-hearsay-writer` headers; 404 |
//! | `DELETE /v1/kv/{key}` | 200 [`schema::KvWrite`] (`deleted: true`), durable like a put |
//! | `GET /v1/kv[?prefix=P]` | 200 `[`[`schema::KvItem`]`]` in key order |
//!
//! A put is answered once the node says the write is durable on this node: with a data
//! directory, after the group commit that holds it has been fsynced; without one, at once.
//! Other members learn it by gossip afterwards. `?wait_for=N` waits until N members (this one
//! included) hold it: the node sends it to N - 1 live members, who confirm; 409 when fewer
//! than N members are alive (nothing written), 504 when the confirmations do not all arrive
//! within the stream timeout (the write is then applied and durable here, and still spreads).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::body::{self, STAMP_HEADER, WRITER_HEADER};
use super::convert;
use super::error::ApiError;
use super::shared::Shared;
use crate::schema::{self, Store};

/// The map's routes; request bodies are limited to `max_value_bytes`.
pub(crate) fn routes(max_value_bytes: usize) -> Router<Shared> {
    body::routes(
        Store::Kv,
        get(list),
        get(read).put(write).delete(delete),
        max_value_bytes,
    )
}

/// `?wait_for=` of a put, kept as text so that a wrong value gets our message.
#[derive(Debug, Deserialize)]
struct PutQuery {
    wait_for: Option<String>,
}

/// `?prefix=` of the list.
#[derive(Debug, Deserialize)]
struct ListQuery {
    prefix: Option<String>,
}

/// `PUT /v1/kv/{key}`: writes the body as the key's value.
async fn write(
    State(shared): State<Shared>,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<PutQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<schema::KvWrite>, ApiError> {
    let key = body::key(key, Store::Kv)?;
    let Query(query) = query.map_err(|r| body::bad_query(r, "wait_for=N"))?;
    let wait_for = check_wait_for(query.wait_for.as_deref())?;
    let value = body::value(body, shared.control.max_value_bytes())?;
    let entry = shared.node.kv_put_replicated(&key, value, wait_for).await?;
    Ok(Json(convert::kv_write(key, &entry)))
}

/// `GET /v1/kv/{key}`: the live value's bytes.
async fn read(
    State(shared): State<Shared>,
    key: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let key = body::key(key, Store::Kv)?;
    let absent = || {
        ApiError::not_found(format!(
            "no key '{key}' in the map; `hearsay kv list` (GET /v1/kv?prefix=) lists the keys"
        ))
    };
    let entry = shared.node.kv_get(&key).await?.ok_or_else(absent)?;
    let value = entry.value.as_deref().ok_or_else(absent)?;
    Ok(body::raw(
        value,
        &[
            (STAMP_HEADER, entry.stamp.to_string()),
            (WRITER_HEADER, entry.writer.as_str().to_owned()),
        ],
    ))
}

/// `DELETE /v1/kv/{key}`: writes a tombstone (even if this node holds no value: another
/// member may).
async fn delete(
    State(shared): State<Shared>,
    key: Result<Path<String>, PathRejection>,
) -> Result<Json<schema::KvWrite>, ApiError> {
    let key = body::key(key, Store::Kv)?;
    let entry = shared.node.kv_delete(&key).await?;
    Ok(Json(convert::kv_write(key, &entry)))
}

/// `GET /v1/kv[?prefix=P]`: live entries under the prefix, in key order.
async fn list(
    State(shared): State<Shared>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<schema::KvItem>>, ApiError> {
    let Query(query) = query.map_err(|r| body::bad_query(r, "prefix=P"))?;
    let prefix = query.prefix.unwrap_or_default();
    let items = shared
        .node
        .kv_list(&prefix)
        .await?
        .into_iter()
        .filter_map(|(key, e)| convert::kv_item(&key, &e))
        .collect();
    Ok(Json(items))
}

/// The members that must hold a put before it is answered (1, this node, when not given).
fn check_wait_for(given: Option<&str>) -> Result<u32, ApiError> {
    let Some(text) = given else { return Ok(1) };
    let n: u32 = text.trim().parse().map_err(|_| {
        ApiError::bad_request(format!(
            "?wait_for={text} is not a number of members; write for example wait_for=2"
        ))
    })?;
    Ok(n.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_for_counts_members_and_refuses_words() {
        assert_eq!(check_wait_for(None).unwrap(), 1);
        assert_eq!(check_wait_for(Some("0")).unwrap(), 1);
        assert_eq!(check_wait_for(Some("3")).unwrap(), 3);
        let e = format!("{:?}", check_wait_for(Some("all")).unwrap_err());
        assert!(e.contains("400") && e.contains("wait_for=all"), "{e}");
    }
}
