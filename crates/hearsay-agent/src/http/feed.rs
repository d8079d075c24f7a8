//! One subscriber's live stream of server-sent events, shared by `GET /v1/events`
//! (membership) and `GET /v1/watch/...` (the stores).
//!
//! Both follow a node's bounded broadcast: a subscriber that falls more than the buffer behind
//! loses the oldest messages, and is then sent a `missed` message ([`schema::Missed`]) before
//! the next one, so it knows to read the list again. The stream opens with a comment (the
//! subscription is live from then on), carries keep-alive comments while quiet, so proxies and
//! clients can tell a quiet stream from a dead connection, and ends when the node stops or the
//! server shuts down.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt as _};
use hearsay::{Events, Lagged, Queries, StoreEvent, StoreEvents, UserEvents};
use serde::Serialize;

use super::shared::Stopping;
use crate::schema;

/// Quiet time after which a keep-alive comment is sent.
pub(crate) const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(10);

/// Where a feed's items come from: the node's [`Events`] or [`StoreEvents`], or a script in
/// tests.
pub(crate) trait Source: Send + 'static {
    /// What the source hands out.
    type Item: Send;
    /// The next item; `None` once there will be no more.
    fn next(&mut self) -> impl Future<Output = Option<Self::Item>> + Send;
    /// Items skipped so far because the subscriber fell behind.
    fn missed(&self) -> u64;
}

impl Source for Events {
    type Item = hearsay::Event;

    fn next(&mut self) -> impl Future<Output = Option<hearsay::Event>> + Send {
        Events::next(self)
    }

    fn missed(&self) -> u64 {
        Events::missed(self)
    }
}

impl Source for StoreEvents {
    type Item = StoreEvent;

    fn next(&mut self) -> impl Future<Output = Option<StoreEvent>> + Send {
        StoreEvents::next(self)
    }

    fn missed(&self) -> u64 {
        StoreEvents::missed(self)
    }
}

/// A stream that tells of lag in band (`Err(Lagged(n))`: user events, queries), as a
/// [`Source`] that counts it instead.
pub(crate) struct Tracked<S> {
    inner: S,
    missed: u64,
}

impl<S> Tracked<S> {
    pub(crate) fn new(inner: S) -> Self {
        Tracked { inner, missed: 0 }
    }
}

impl Source for Tracked<UserEvents> {
    type Item = hearsay::UserEvent;

    async fn next(&mut self) -> Option<hearsay::UserEvent> {
        loop {
            match self.inner.next().await? {
                Ok(e) => return Some(e),
                Err(Lagged(n)) => self.missed += n,
            }
        }
    }

    fn missed(&self) -> u64 {
        self.missed
    }
}

impl Source for Tracked<Queries> {
    type Item = hearsay::Query;

    async fn next(&mut self) -> Option<hearsay::Query> {
        loop {
            match self.inner.next().await? {
                Ok(q) => return Some(q),
                Err(Lagged(n)) => self.missed += n,
            }
        }
    }

    fn missed(&self) -> u64 {
        self.missed
    }
}

/// A message that goes out as a server-sent event: JSON data under an event name.
pub(crate) trait Named: Serialize {
    /// The `event:` name.
    fn name(&self) -> &str;
}

impl<T: Named> Named for Box<T> {
    fn name(&self) -> &str {
        T::name(self)
    }
}

/// What a subscriber is sent, before it is framed as a server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Message<T> {
    /// One item of the stream.
    Item(T),
    /// Items were skipped since the previous notice.
    Missed(schema::Missed),
}

impl<T: Named> Message<T> {
    /// Named by the item (or `missed`), with the JSON as data.
    fn into_sse(self) -> Event {
        let (name, data) = match &self {
            Message::Item(item) => (item.name(), serde_json::to_string(item)),
            Message::Missed(m) => ("missed", serde_json::to_string(m)),
        };
        match data {
            Ok(text) => Event::default().event(name).data(text),
            // Our own plain structs always serialize; say so rather than drop silently.
            Err(e) => Event::default().comment(format!("{name} message not serializable: {e}")),
        }
    }
}

/// One subscriber's position in a source; `pick` turns an item into the message sent for it,
/// or `None` for an item this subscriber does not follow.
pub(crate) struct Feed<S, F, T> {
    source: S,
    pick: F,
    stopping: Stopping,
    /// `source.missed()` as last reported to the subscriber.
    reported_missed: u64,
    /// An item held back while the `missed` notice that precedes it goes out.
    queued: Option<T>,
}

impl<S, F, T> Feed<S, F, T>
where
    S: Source,
    F: FnMut(S::Item) -> Option<T> + Send + 'static,
    T: Named + Send + 'static,
{
    /// A feed from `source` (subscribed already), ending when `stopping` resolves.
    pub(crate) fn new(source: S, stopping: Stopping, pick: F) -> Self {
        Feed {
            source,
            pick,
            stopping,
            reported_missed: 0,
            queued: None,
        }
    }

    /// The next message for the subscriber; `None` ends the stream.
    pub(crate) async fn next(&mut self) -> Option<Message<T>> {
        if let Some(queued) = self.queued.take() {
            return Some(Message::Item(queued));
        }
        loop {
            let item = tokio::select! {
                item = self.source.next() => item?,
                () = self.stopping.wait() => return None,
            };
            let Some(item) = (self.pick)(item) else {
                continue;
            };
            let missed = self.source.missed();
            if missed > self.reported_missed {
                let notice = schema::Missed {
                    missed: missed - self.reported_missed,
                };
                self.reported_missed = missed;
                self.queued = Some(item);
                return Some(Message::Missed(notice));
            }
            return Some(Message::Item(item));
        }
    }

    /// The answer: `hello` as the opening comment, then the feed's messages as they come,
    /// with keep-alive comments while it is quiet.
    pub(crate) fn into_sse(
        self,
        hello: String,
    ) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
        let live = stream::unfold(self, |mut feed| async move {
            let next = feed.next().await?;
            Some((Ok(next.into_sse()), feed))
        });
        let opening = Event::default().comment(hello);
        Sse::new(stream::iter([Ok(opening)]).chain(live)).keep_alive(
            KeepAlive::new()
                .interval(KEEP_ALIVE_INTERVAL)
                .text("keep-alive"),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    /// Items handed out in order, each with the `missed` total reached when it is handed out.
    struct Script {
        items: VecDeque<(&'static str, u64)>,
        missed: u64,
    }

    impl Source for Script {
        type Item = &'static str;

        fn next(&mut self) -> impl Future<Output = Option<&'static str>> + Send {
            let next = self.items.pop_front().map(|(item, missed)| {
                self.missed = missed;
                item
            });
            std::future::ready(next)
        }

        fn missed(&self) -> u64 {
            self.missed
        }
    }

    #[derive(Serialize)]
    struct Text(&'static str);

    impl Named for Text {
        fn name(&self) -> &str {
            "text"
        }
    }

    #[tokio::test]
    async fn a_lagging_subscriber_is_told_how_many_it_missed_before_the_next_item() {
        let script = Script {
            items: [("b", 0), ("c", 5), ("skip", 6), ("d", 6), ("e", 8)].into(),
            missed: 0,
        };
        let pick = |item: &'static str| (item != "skip").then_some(Text(item));
        let mut feed = Feed::new(script, Stopping::never(), pick);
        let mut seen = Vec::new();
        while let Some(message) = feed.next().await {
            seen.push(match message {
                Message::Item(Text(t)) => t.to_owned(),
                Message::Missed(m) => format!("missed {}", m.missed),
            });
        }
        assert_eq!(
            seen,
            ["b", "missed 5", "c", "missed 1", "d", "missed 2", "e"]
        );
    }
}
