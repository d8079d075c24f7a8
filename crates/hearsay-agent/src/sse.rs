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
use std::future::Future;
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
    let hello = Event::default().comment(format!("hearsay events from {}", shared.node.name()));
    let live = stream::unfold(feed, |mut feed| async move {
        let next = feed.next().await?;
        Some((Ok(next.into_sse()), feed))
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

    pub(crate) async fn wait(&mut self) {
        match &mut self.0 {
            None => std::future::pending().await,
            Some(rx) => {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        }
    }
}

/// Where a feed's events come from: the node's [`Events`], or a script in tests.
trait Source: Send + 'static {
    /// The next event; `None` once there will be no more.
    fn next(&mut self) -> impl Future<Output = Option<hearsay::Event>> + Send;
    /// Events skipped so far because the subscriber fell behind.
    fn missed(&self) -> u64;
}

impl Source for Events {
    fn next(&mut self) -> impl Future<Output = Option<hearsay::Event>> + Send {
        Events::next(self)
    }

    fn missed(&self) -> u64 {
        Events::missed(self)
    }
}

/// What a subscriber is sent, before it is framed as a server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Message {
    /// A membership event (boxed: it is large next to a notice).
    Event(Box<api::Event>),
    /// Events were skipped since the previous notice.
    Missed(api::Missed),
}

impl Message {
    /// Named by the event kind (or `missed`), with the JSON as data.
    fn into_sse(self) -> Event {
        let (name, data) = match &self {
            Message::Event(e) => (e.kind.as_str(), serde_json::to_string(e)),
            Message::Missed(m) => ("missed", serde_json::to_string(m)),
        };
        match data {
            Ok(text) => Event::default().event(name).data(text),
            // Our own plain structs always serialize; say so rather than drop silently.
            Err(e) => Event::default().comment(format!("{name} event not serializable: {e}")),
        }
    }
}

/// One subscriber's position in the node's event stream.
struct Feed<S = Events> {
    node: Node,
    events: S,
    stopping: Stopping,
    /// `events.missed()` as last reported to the subscriber.
    reported_missed: u64,
    /// An event held back while the `missed` notice that precedes it goes out.
    queued: Option<Message>,
}

impl<S: Source> Feed<S> {
    /// The next message for the subscriber; `None` ends the stream.
    async fn next(&mut self) -> Option<Message> {
        if let Some(queued) = self.queued.take() {
            return Some(queued);
        }
        let event = tokio::select! {
            e = self.events.next() => e?,
            () = self.stopping.wait() => return None,
        };
        let message = Message::Event(Box::new(convert::event(&self.node, &event)));
        let missed = self.events.missed();
        if missed > self.reported_missed {
            let notice = api::Missed {
                missed: missed - self.reported_missed,
            };
            self.reported_missed = missed;
            self.queued = Some(message);
            return Some(Message::Missed(notice));
        }
        Some(message)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use hearsay::{Cause, EventKind, Name, NodeConfig, Via};

    use super::*;

    /// Events handed out in order, each with the `missed` total reached when it is handed out.
    struct Script {
        events: VecDeque<(hearsay::Event, u64)>,
        missed: u64,
    }

    impl Source for Script {
        fn next(&mut self) -> impl Future<Output = Option<hearsay::Event>> + Send {
            let next = self.events.pop_front().map(|(event, missed)| {
                self.missed = missed;
                event
            });
            std::future::ready(next)
        }

        fn missed(&self) -> u64 {
            self.missed
        }
    }

    #[tokio::test]
    async fn a_lagging_subscriber_is_told_how_many_it_missed_before_the_next_event() {
        let mut config = NodeConfig::new(Name::new("a").unwrap());
        config.bind = "127.0.0.1:0".parse().unwrap();
        let node = Node::start(config).await.unwrap();
        let local = node.info().await.unwrap().local;
        let up = |name: &str| hearsay::Event {
            at: local.since,
            kind: EventKind::Up,
            member: hearsay::MemberView {
                name: Name::new(name).unwrap(),
                ..local.clone()
            },
            cause: Cause {
                via: Via::Local,
                accuser: None,
                confirmations: 0,
                local_health: 0,
            },
        };
        let script = Script {
            events: [(up("b"), 0), (up("c"), 5), (up("d"), 5), (up("e"), 7)].into(),
            missed: 0,
        };
        let mut feed = Feed {
            node: node.clone(),
            events: script,
            stopping: Stopping::never(),
            reported_missed: 0,
            queued: None,
        };
        let mut seen = Vec::new();
        while let Some(message) = feed.next().await {
            seen.push(match message {
                Message::Event(e) => e.member.name,
                Message::Missed(m) => format!("missed {}", m.missed),
            });
        }
        assert_eq!(seen, ["b", "missed 5", "c", "d", "missed 2", "e"]);
        node.shutdown().await;
    }
}
