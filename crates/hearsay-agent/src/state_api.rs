//! `/v1/state`: this node's own replicated state (keys only this node writes, which every
//! member holds a copy of), and reads of any member's.
//!
//! | request | answer |
//! |---|---|
//! | `PUT /v1/state/{key}[?ttl=30s]`, body = value | 200 [`api::StateWrite`] |
//! | `GET /v1/state/{key}[?node=NAME]` | 200 raw bytes (`x-hearsay-writer`: the owner); 404 |
//! | `DELETE /v1/state/{key}` | 200 [`api::StateDelete`] (`deleted: false` if it was not set) |
//! | `GET /v1/state[?prefix=P][&node=NAME \| &all=true]` | 200 `[`[`api::StateItem`]`]` |
//!
//! The list answers this node's keys by default, one member's with `node=NAME`, and every
//! member's that this node holds with `all=true`: one flat shape, each item naming its owner,
//! so `jq` can group it any way. With a time to live, the key is deleted that long after the
//! write (a later write without one keeps it for good).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::response::Response;
use axum::routing::{any, get};
use axum::{Json, Router};
use serde::Deserialize;

use crate::api::{self, ValueField};
use crate::error::ApiError;
use crate::http::Shared;
use crate::store_http::{self, WRITER_HEADER};
use crate::ttl;

/// The state's routes; request bodies are limited to `max_value_bytes`.
pub(crate) fn routes(max_value_bytes: usize) -> Router<Shared> {
    Router::new()
        .route("/v1/state", get(list))
        .route("/v1/state/", any(store_http::empty_key))
        .route("/v1/state/{*key}", get(read).put(write).delete(delete))
        .layer(DefaultBodyLimit::max(max_value_bytes))
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
) -> Result<Json<api::StateWrite>, ApiError> {
    let key = store_http::key(key, "state")?;
    let Query(query) = query.map_err(|r| store_http::bad_query(r, "ttl=DURATION"))?;
    let ttl = match query.ttl.as_deref() {
        None => None,
        Some(text) => {
            Some(ttl::parse(text).map_err(|e| ApiError::bad_request(format!("?ttl=: {e}")))?)
        }
    };
    let value = store_http::value(body, shared.control.max_value_bytes())?;
    let version = shared.node.state_set(&key, value, ttl).await?;
    Ok(Json(api::StateWrite {
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
    let key = store_http::key(key, "state")?;
    let Query(query) = query.map_err(|r| store_http::bad_query(r, "node=NAME"))?;
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
        Some((_, value)) => Ok(store_http::raw(&value, &[(WRITER_HEADER, owner)])),
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
) -> Result<Json<api::StateDelete>, ApiError> {
    let key = store_http::key(key, "state")?;
    let deleted = shared.node.state_delete(&key).await?;
    Ok(Json(api::StateDelete {
        owner: shared.node.name().to_owned(),
        key,
        deleted,
    }))
}

/// `GET /v1/state[?prefix=P][&node=NAME|&all=true]`: keys under the prefix, by owner, then
/// key.
async fn list(
    State(shared): State<Shared>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<api::StateItem>>, ApiError> {
    let Query(query) =
        query.map_err(|r| store_http::bad_query(r, "prefix=P, and node=NAME or all=true"))?;
    let all = query.all.unwrap_or(false);
    let node = query.node.filter(|n| !n.is_empty());
    if all && node.is_some() {
        return Err(ApiError::bad_request(
            "give node=NAME (one member's keys) or all=true (every member's), not both",
        ));
    }
    let owner = node.unwrap_or_else(|| shared.node.name().to_owned());
    let prefix = query.prefix.unwrap_or_default();
    let items = shared
        .node
        .state()
        .await?
        .into_iter()
        .filter(|o| all || o.owner.as_str() == owner)
        .flat_map(|o| {
            let owner = o.owner.as_str().to_owned();
            o.keys.into_iter().map(move |(k, v)| (owner.clone(), k, v))
        })
        .filter(|(_, k, _)| k.starts_with(prefix.as_str()))
        .map(|(owner, key, value)| api::StateItem {
            owner,
            key: key.to_string(),
            value: ValueField::of(&value),
        })
        .collect();
    Ok(Json(items))
}
