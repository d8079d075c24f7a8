//! `GET /v1/watch/kv?prefix=P` and `GET /v1/watch/state?prefix=P`: changes of the replicated
//! stores under a key prefix, as server-sent events, live.
//!
//! Apart from `/v1/events` (membership), so that a membership monitor is not flooded with a
//! bulk load of the map, and under `/v1/watch/` rather than `/v1/kv/watch`, which would take
//! the key `watch` away from the map. Each change is one message: named `kv` with a
//! [`schema::KvChange`], or `state` with a [`schema::StateChange`]. A watcher that falls more
//! than the node's buffer (16k changes) behind loses the oldest; it is then sent a `missed`
//! message ([`schema::Missed`], counting skipped changes of the whole store, not only under
//! the prefix) before the next change, and should read the list again. The stream's opening,
//! keep-alives and end are those of every feed (`feed.rs`).

use std::convert::Infallible;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use futures_util::stream::Stream;
use hearsay::StoreEvent;
use serde::{Deserialize, Serialize};

use super::body;
use super::convert;
use super::error::ApiError;
use super::feed::{Feed, Named};
use super::shared::Shared;
use crate::schema::{self, Store};

/// The watch routes of both stores.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route(&Store::Kv.watch_path(), get(kv))
        .route(&Store::State.watch_path(), get(state))
}

/// `?prefix=` of a watch.
#[derive(Debug, Deserialize)]
struct WatchQuery {
    prefix: Option<String>,
}

/// One change as a watcher is sent it, named by its store.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Change {
    Kv(schema::KvChange),
    State(schema::StateChange),
}

impl Named for Change {
    fn name(&self) -> &str {
        match self {
            Change::Kv(_) => Store::Kv.as_str(),
            Change::State(_) => Store::State.as_str(),
        }
    }
}

/// `GET /v1/watch/kv`.
async fn kv(
    shared: State<Shared>,
    query: Result<Query<WatchQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    watch(shared, query, Store::Kv)
}

/// `GET /v1/watch/state`.
async fn state(
    shared: State<Shared>,
    query: Result<Query<WatchQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    watch(shared, query, Store::State)
}

fn watch(
    State(shared): State<Shared>,
    query: Result<Query<WatchQuery>, QueryRejection>,
    store: Store,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(query) = query.map_err(|r| body::bad_query(r, "prefix=P"))?;
    let prefix = query.prefix.unwrap_or_default();
    let what = match store {
        Store::Kv => "map",
        Store::State => "state",
    };
    let hello = format!(
        "hearsay {what} changes under '{prefix}' from {}",
        shared.node.name()
    );
    // Subscribed before answering: every change after the response starts is delivered.
    let pick = move |e: StoreEvent| change(store, &prefix, &e);
    let feed = Feed::new(shared.node.store_events(), shared.stopping.clone(), pick);
    Ok(feed.into_sse(hello))
}

/// The message for one change, if it is of the watched store and under the prefix.
fn change(store: Store, prefix: &str, change: &StoreEvent) -> Option<Change> {
    match change {
        StoreEvent::Kv { key, entry, local } if store == Store::Kv && key.starts_with(prefix) => {
            Some(Change::Kv(convert::kv_change(key, entry, *local)))
        }
        StoreEvent::State { owner, key, value }
            if store == Store::State && key.starts_with(prefix) =>
        {
            Some(Change::State(convert::state_change(
                owner,
                key,
                value.as_deref(),
            )))
        }
        // Tombstone collection and catch-up progress are storage matters, not changes.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use hearsay::{KvEntry, Name, Value};

    use super::*;

    fn kv(key: &str, value: Option<&[u8]>) -> StoreEvent {
        StoreEvent::Kv {
            key: key.into(),
            entry: KvEntry {
                stamp: 5 << 16,
                writer: Name::new("w").unwrap(),
                value: value.map(Value::from),
            },
            local: false,
        }
    }

    #[test]
    fn only_changes_of_the_watched_store_under_the_prefix_make_messages() {
        assert!(change(Store::Kv, "app/", &kv("app/x", Some(b"1"))).is_some());
        assert!(change(Store::Kv, "app/", &kv("apx", Some(b"1"))).is_none());
        assert!(change(Store::State, "", &kv("app/x", Some(b"1"))).is_none());
        assert!(change(Store::Kv, "", &kv("gone", None)).is_some());
        let state = StoreEvent::State {
            owner: Name::new("a").unwrap(),
            key: "role".into(),
            value: None,
        };
        assert!(change(Store::State, "ro", &state).is_some());
        assert!(change(Store::Kv, "", &state).is_none());
        let collected = StoreEvent::KvCollected {
            keys: vec!["x".into()],
        };
        assert!(change(Store::Kv, "", &collected).is_none());
    }
}
