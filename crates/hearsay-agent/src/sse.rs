//! `GET /v1/events`: membership events as server-sent events, live.
//!
//! Each event is one SSE message whose `event:` name is the kind (`up`, `suspect`, `down` ...)
//! and whose `data:` is an [`api::Event`] in JSON. A subscriber that falls more than the
//! node's event buffer behind loses the oldest events; it is then sent a `missed` message
//! ([`api::Missed`]) before the next event, so it knows to re-read `GET /v1/members`.
//!
//! The stream opens with a comment naming the node, so a client knows it is subscribed
//! before anything happens, and carries keep-alive comments while the cluster is quiet, so
//! proxies and clients can tell a quiet stream from a dead connection. It ends when the node
//! stops or the server shuts down.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt as _};
use hearsay::{Events, Node};
use tokio::sync::watch;

use crate::api;
use crate::convert;
use crate::http::Shared;

/// Quiet time after which a keep-alive comment is sent.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(10);

/// `GET /v1/events`.
pub(crate) async fn events(
    State(shared): State<Shared>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribe before answering: every event after the response starts is delivered.
    let feed = Feed {
        events: shared.node.events(),
        node: shared.node.clone(),
        stopping: shared.stopping.clone(),
        reported_missed: 0,
        queued: None,
    };
    let hello = Event::default().comment(format!(
        "hearsay events from {}; one message per membership change",
        shared.node.name()
    ));
    let live = stream::unfold(feed, |mut feed| async move {
        let next = feed.next().await?;
        Some((Ok(next), feed))
    });
    let stream = stream::iter([Ok(hello)]).chain(live);
    Sse::new(stream).keep_alive(
        KeepAlive::new()
            .interval(KEEP_ALIVE_INTERVAL)
            .text("keep-alive"),
    )
}

/// Resolves when the server is shutting down, so that open streams end and the graceful
/// shutdown does not wait on them forever.
#[derive(Debug, Clone)]
pub(crate) struct Stopping(Option<watch::Receiver<bool>>);

impl Stopping {
    /// Never resolves (a router served by someone else's loop).
    pub(crate) fn never() -> Stopping {
        Stopping(None)
    }

    /// Resolves once `stopping` turns true or its sender is gone.
    pub(crate) fn on(stopping: watch::Receiver<bool>) -> Stopping {
        Stopping(Some(stopping))
    }

    async fn wait(&mut self) {
        match &mut self.0 {
            None => std::future::pending().await,
            Some(rx) => {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        }
    }
}

/// One subscriber's position in the node's event stream.
struct Feed {
    node: Node,
    events: Events,
    stopping: Stopping,
    /// `events.missed()` as last reported to the subscriber.
    reported_missed: u64,
    /// An event held back while the `missed` notice that precedes it goes out.
    queued: Option<Event>,
}

impl Feed {
    /// The next message for the subscriber; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        if let Some(queued) = self.queued.take() {
            return Some(queued);
        }
        let event = tokio::select! {
            e = self.events.next() => e?,
            () = self.stopping.wait() => return None,
        };
        let message = message(&convert::event(&self.node, &event));
        let missed = self.events.missed();
        if missed > self.reported_missed {
            let notice = api::Missed {
                missed: missed - self.reported_missed,
            };
            self.reported_missed = missed;
            self.queued = Some(message);
            return Some(json(Event::default().event("missed"), &notice));
        }
        Some(message)
    }
}

/// The SSE message for one membership event.
fn message(event: &api::Event) -> Event {
    json(Event::default().event(event.kind.as_str()), event)
}

fn json(event: Event, data: &impl serde::Serialize) -> Event {
    match serde_json::to_string(data) {
        Ok(text) => event.data(text),
        // Our own plain structs always serialize; say so rather than drop silently.
        Err(e) => Event::default().comment(format!("event not serializable: {e}")),
    }
}
