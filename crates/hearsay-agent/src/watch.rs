//! `GET /v1/watch/kv?prefix=P` and `GET /v1/watch/state?prefix=P`: changes of the replicated
//! stores under a key prefix, as server-sent events, live.
//!
//! Apart from `/v1/events` (membership), so that a membership monitor is not flooded with a
//! bulk load of the map, and under `/v1/watch/` rather than `/v1/kv/watch`, which would take
//! the key `watch` away from the map. Each change is one message: named `kv` with an
//! [`api::KvChange`], or `state` with an [`api::StateChange`]. A watcher that falls more than
//! the node's buffer (16k changes) behind loses the oldest; it is then sent a `missed`
//! message ([`api::Missed`], counting skipped changes of the whole store, not only under the
//! prefix) before the next change, and should read the list again.
//!
//! As with `/v1/events`, the stream opens with a comment (the subscription is live from
//! then on), carries keep-alive comments while quiet, and ends when the node stops or the
//! server shuts down.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt as _};
use hearsay::{StoreEvent, StoreEvents};
use serde::Deserialize;
use serde::Serialize;

use crate::api::{self, ValueField, stamp_unix_ms};
use crate::error::ApiError;
use crate::http::Shared;
use crate::sse::Stopping;
use crate::store_http;

/// Quiet time after which a keep-alive comment is sent.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(10);

/// `?prefix=` of a watch.
#[derive(Debug, Deserialize)]
pub(crate) struct WatchQuery {
    prefix: Option<String>,
}

/// Which store a watch follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    Kv,
    State,
}

/// `GET /v1/watch/kv`.
pub(crate) async fn kv(
    shared: State<Shared>,
    query: Result<Query<WatchQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    watch(shared, query, Store::Kv)
}

/// `GET /v1/watch/state`.
pub(crate) async fn state(
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
    let Query(query) = query.map_err(|r| store_http::bad_query(r, "prefix=P"))?;
    let prefix = query.prefix.unwrap_or_default();
    // Subscribed before answering: every change after the response starts is delivered.
    let feed = Feed {
        events: shared.node.store_events(),
        store,
        stopping: shared.stopping.clone(),
        reported_missed: 0,
        queued: None,
        prefix: prefix.clone(),
    };
    let what = match store {
        Store::Kv => "map",
        Store::State => "state",
    };
    let hello = Event::default().comment(format!(
        "hearsay {what} changes under '{prefix}' from {}",
        shared.node.name()
    ));
    let live = stream::unfold(feed, |mut feed| async move {
        let next = feed.next().await?;
        Some((Ok(next), feed))
    });
    Ok(Sse::new(stream::iter([Ok(hello)]).chain(live)).keep_alive(
        KeepAlive::new()
            .interval(KEEP_ALIVE_INTERVAL)
            .text("keep-alive"),
    ))
}

/// One watcher's position in the node's store changes.
struct Feed {
    events: StoreEvents,
    store: Store,
    prefix: String,
    stopping: Stopping,
    /// `events.missed()` as last reported to the watcher.
    reported_missed: u64,
    /// A change held back while the `missed` notice that precedes it goes out.
    queued: Option<Event>,
}

impl Feed {
    /// The next message for the watcher; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        if let Some(queued) = self.queued.take() {
            return Some(queued);
        }
        loop {
            let change = tokio::select! {
                e = self.events.next() => e?,
                () = self.stopping.wait() => return None,
            };
            let Some(message) = message(self.store, &self.prefix, &change) else {
                continue;
            };
            let missed = self.events.missed();
            if missed > self.reported_missed {
                let notice = api::Missed {
                    missed: missed - self.reported_missed,
                };
                self.reported_missed = missed;
                self.queued = Some(message);
                return Some(sse_event("missed", &notice));
            }
            return Some(message);
        }
    }
}

/// The message for one change, if it is of the watched store and under the prefix.
fn message(store: Store, prefix: &str, change: &StoreEvent) -> Option<Event> {
    match change {
        StoreEvent::Kv { key, entry, local } if store == Store::Kv && key.starts_with(prefix) => {
            let change = api::KvChange {
                key: key.to_string(),
                value: entry
                    .value
                    .as_deref()
                    .map_or_else(ValueField::none, ValueField::of),
                deleted: entry.value.is_none(),
                stamp: entry.stamp,
                at_unix_ms: stamp_unix_ms(entry.stamp),
                writer: entry.writer.as_str().to_owned(),
                local: *local,
            };
            Some(sse_event("kv", &change))
        }
        StoreEvent::State { owner, key, value }
            if store == Store::State && key.starts_with(prefix) =>
        {
            let change = api::StateChange {
                owner: owner.as_str().to_owned(),
                key: key.to_string(),
                value: value
                    .as_deref()
                    .map_or_else(ValueField::none, ValueField::of),
                deleted: value.is_none(),
            };
            Some(sse_event("state", &change))
        }
        // Tombstone collection and catch-up progress are storage matters, not changes.
        _ => None,
    }
}

fn sse_event(name: &str, data: &impl Serialize) -> Event {
    match serde_json::to_string(data) {
        Ok(text) => Event::default().event(name).data(text),
        // Our own plain structs always serialize; say so rather than drop silently.
        Err(e) => Event::default().comment(format!("{name} change not serializable: {e}")),
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
        assert!(message(Store::Kv, "app/", &kv("app/x", Some(b"1"))).is_some());
        assert!(message(Store::Kv, "app/", &kv("apx", Some(b"1"))).is_none());
        assert!(message(Store::State, "", &kv("app/x", Some(b"1"))).is_none());
        assert!(message(Store::Kv, "", &kv("gone", None)).is_some());
        let state = StoreEvent::State {
            owner: Name::new("a").unwrap(),
            key: "role".into(),
            value: None,
        };
        assert!(message(Store::State, "ro", &state).is_some());
        assert!(message(Store::Kv, "", &state).is_none());
        let collected = StoreEvent::KvCollected {
            keys: vec!["x".into()],
        };
        assert!(message(Store::Kv, "", &collected).is_none());
    }
}
