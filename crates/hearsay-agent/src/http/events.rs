//! `GET /v1/events`: membership events as server-sent events, live.
//!
//! Each event is one SSE message whose `event:` name is the kind (`up`, `suspect`, `down` ...)
//! and whose `data:` is a [`schema::Event`] in JSON. A subscriber that falls more than the
//! node's event buffer behind loses the oldest events; it is then sent a `missed` message
//! ([`schema::Missed`]) before the next event, so it knows to re-read `GET /v1/members`. The
//! stream's opening, keep-alives and end are those of every feed (`feed.rs`).

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, Sse};
use futures_util::stream::Stream;

use super::convert;
use super::feed::{Feed, Named};
use super::shared::Shared;
use crate::schema;

impl Named for schema::Event {
    fn name(&self) -> &str {
        self.kind.as_str()
    }
}

/// `GET /v1/events`.
pub(crate) async fn events(
    State(shared): State<Shared>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribe before answering: every event after the response starts is delivered.
    let node = shared.node.clone();
    // Boxed: an event is large next to a `missed` notice.
    let pick = move |e: hearsay::Event| Some(Box::new(convert::event(&node, &e)));
    let feed = Feed::new(shared.node.events(), shared.stopping.clone(), pick);
    feed.into_sse(format!("hearsay events from {}", shared.node.name()))
}
