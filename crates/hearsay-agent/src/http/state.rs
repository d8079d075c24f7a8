//! `/v1/state`: this node's own replicated state (keys only this node writes, which every
//! member holds a copy of), and reads of any member's.
//!
//! | request | answer |
//! |---|---|
//! | `PUT /v1/state/{key}[?ttl=30s]`, body = value | 200 [`schema::StateWrite`] |
//! | `GET /v1/state/{key}[?node=NAME]` | 200 raw bytes (`x-hearsay-writer`: the owner); 404 |
//! | `DELETE /v1/state/{key}` | 200 [`schema::StateDelete`] (`deleted: false` if it was not set) |
//! | `GET /v1/state[?prefix=P][&node=NAME \| &all=true]` | 200 `[`[`schema::StateItem`]`]` |
//!
//! The list answers this node's keys by default, one member's with `node=NAME`, and every
//! member's that this node holds with `all=true`: one flat shape, each item naming its owner,
//! so `jq` can group it any way. With a time to live, the key is deleted that long after the
//! write (a later write without one keeps it for good).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::body::{self, WRITER_HEADER};
use super::error::ApiError;
use super::shared::Shared;
use crate::schema::{self, Store, ValueField};
use crate::ttl;

/// The state's routes; request bodies are limited to `max_value_bytes`.
pub(crate) fn routes(max_value_bytes: usize) -> Router<Shared> {
    body::routes(
        Store::State,
        get(list),
        get(read).put(write).delete(delete),
        max_value_bytes,
    )
}

/// `?ttl=` of a write, kept as text so that a wrong value gets our message.
#[derive(Debug, Deserialize)]
struct SetQuery {
    ttl: Option<String>,
}

/// `?node=` of a read.
#[derive(Debug, Deserialize)]
struct ReadQuery {
    node: Option<String>,
}

/// The list's parameters.
#[derive(Debug, Deserialize)]
struct ListQuery {
    prefix: Option<String>,
    node: Option<String>,
    all: Option<bool>,
}

/// `PUT /v1/state/{key}[?ttl=]`: sets one of this node's keys.
async fn write(
    State(shared): State<Shared>,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<SetQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<schema::StateWrite>, ApiError> {
    let key = body::key(key, Store::State)?;
    let Query(query) = query.map_err(|r| body::bad_query(r, "ttl=DURATION"))?;
    let ttl = match query.ttl.as_deref() {
        None => None,
        Some(text) => {
            Some(ttl::parse(text).map_err(|e| ApiError::bad_request(format!("?ttl=: {e}")))?)
        }
    };
    let value = body::value(body, shared.control.max_value_bytes())?;
    let version = shared.node.state_set(&key, value, ttl).await?;
    Ok(Json(schema::StateWrite {
        owner: shared.node.name().to_owned(),
        key,
        version,
        ttl_ms: ttl.map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
    }))
}

/// `GET /v1/state/{key}[?node=NAME]`: the value's bytes, of this node or of `NAME`.
async fn read(
    State(shared): State<Shared>,
    key: Result<Path<String>, PathRejection>,
    query: Result<Query<ReadQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let key = body::key(key, Store::State)?;
    let Query(query) = query.map_err(|r| body::bad_query(r, "node=NAME"))?;
    let me = shared.node.name().to_owned();
    let owner = query.node.filter(|n| !n.is_empty()).unwrap_or(me.clone());
    let found = shared
        .node
        .state()
        .await?
        .into_iter()
        .find(|o| o.owner.as_str() == owner)
        .and_then(|o| o.keys.into_iter().find(|(k, _)| **k == *key));
    match found {
        Some((_, value)) => Ok(body::raw(&value, &[(WRITER_HEADER, owner)])),
        None if owner == me => Err(ApiError::not_found(format!(
            "this node ({me}) has no key '{key}'; `hearsay state list` shows its keys"
        ))),
        None => Err(ApiError::not_found(format!(
            "no key '{key}' from member '{owner}' on this node; `hearsay state list --all` shows every member's keys"
        ))),
    }
}

/// `DELETE /v1/state/{key}`: deletes one of this node's keys.
async fn delete(
    State(shared): State<Shared>,
    key: Result<Path<String>, PathRejection>,
) -> Result<Json<schema::StateDelete>, ApiError> {
    let key = body::key(key, Store::State)?;
    let deleted = shared.node.state_delete(&key).await?;
    Ok(Json(schema::StateDelete {
        owner: shared.node.name().to_owned(),
        key,
        deleted,
    }))
}

/// Whose keys a listing shows.
enum Owners {
    /// One member's (this node's unless `node=NAME` says otherwise).
    One(String),
    /// Every member's that this node holds (`all=true`).
    All,
}

/// `GET /v1/state[?prefix=P][&node=NAME|&all=true]`: keys under the prefix, by owner, then
/// key.
async fn list(
    State(shared): State<Shared>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<schema::StateItem>>, ApiError> {
    let Query(query) =
        query.map_err(|r| body::bad_query(r, "prefix=P, and node=NAME or all=true"))?;
    let owners = match (
        query.all.unwrap_or(false),
        query.node.filter(|n| !n.is_empty()),
    ) {
        (true, Some(_)) => {
            return Err(ApiError::bad_request(
                "give node=NAME (one member's keys) or all=true (every member's), not both",
            ));
        }
        (true, None) => Owners::All,
        (false, Some(node)) => Owners::One(node),
        (false, None) => Owners::One(shared.node.name().to_owned()),
    };
    let prefix = query.prefix.unwrap_or_default();
    let items = shared
        .node
        .state()
        .await?
        .into_iter()
        .filter(|o| match &owners {
            Owners::All => true,
            Owners::One(name) => o.owner.as_str() == name,
        })
        .flat_map(|o| {
            let owner = o.owner.as_str().to_owned();
            o.keys.into_iter().map(move |(k, v)| (owner.clone(), k, v))
        })
        .filter(|(_, k, _)| k.starts_with(prefix.as_str()))
        .map(|(owner, key, value)| schema::StateItem {
            owner,
            key: key.to_string(),
            value: ValueField::of(&value),
        })
        .collect();
    Ok(Json(items))
}
