//! `GET /v1/events[?user=true]`: membership events as server-sent events, live; with
//! `user=true` also the user events and queries this node receives (what `hearsay monitor`
//! shows).
//!
//! Each membership event is one SSE message whose `event:` name is the kind (`up`, `suspect`,
//! `down` ...) and whose `data:` is a [`schema::Event`] in JSON; a user event is named `event`
//! ([`schema::UserEvent`]) and a query `query` ([`schema::QueryReceived`]; watching a query
//! does not answer it). A subscriber that falls more than the node's buffers behind loses the
//! oldest messages; it is then sent a `missed` message ([`schema::Missed`]) before the next
//! one, so it knows to re-read `GET /v1/members`. The stream's opening, keep-alives and end
//! are those of every feed (`feed.rs`).

use std::convert::Infallible;
use std::future::Future;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event, Sse};
use futures_util::stream::Stream;
use hearsay::{Events, Node, Queries, UserEvents};
use serde::{Deserialize, Serialize};

use super::body;
use super::convert;
use super::error::ApiError;
use super::feed::{Feed, Named, Source, Tracked};
use super::shared::Shared;
use crate::schema;

impl Named for schema::Event {
    fn name(&self) -> &str {
        self.kind.as_str()
    }
}

/// `?user=` of the stream.
#[derive(Debug, Deserialize)]
pub(crate) struct EventsQuery {
    user: Option<String>,
}

/// One message of the stream.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Message {
    // Boxed: a membership event is large next to the rest.
    Member(Box<schema::Event>),
    User(schema::UserEvent),
    Query(schema::QueryReceived),
}

impl Named for Message {
    fn name(&self) -> &str {
        match self {
            Message::Member(e) => e.name(),
            Message::User(_) => "event",
            Message::Query(_) => "query",
        }
    }
}

/// `GET /v1/events`.
pub(crate) async fn events(
    State(shared): State<Shared>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(query) = query.map_err(|r| body::bad_query(r, "user=true|false"))?;
    let user = match query.user.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "user='{other}' is not true or false; /v1/events takes user=true|false"
            )));
        }
    };
    // Subscribed before answering: every event after the response starts is delivered.
    let source = Everything {
        members: shared.node.events(),
        user: user.then(|| Tracked::new(shared.node.subscribe(""))),
        queries: user.then(|| Tracked::new(shared.node.queries(""))),
    };
    let node = shared.node.clone();
    let pick = move |h: Heard| Some(message(&node, h));
    let feed = Feed::new(source, shared.stopping.clone(), pick);
    Ok(feed.into_sse(format!("hearsay events from {}", shared.node.name())))
}

fn message(node: &Node, heard: Heard) -> Message {
    match heard {
        Heard::Member(e) => Message::Member(Box::new(convert::event(node, &e))),
        Heard::User(e) => Message::User(convert::user_event(node, &e)),
        Heard::Query(q) => Message::Query(convert::query_received(node, q.query())),
    }
}

/// What the node told the stream.
enum Heard {
    Member(hearsay::Event),
    User(hearsay::UserEvent),
    Query(hearsay::Query),
}

/// Membership events, and user events and queries when asked for, as one source.
struct Everything {
    members: Events,
    user: Option<Tracked<UserEvents>>,
    queries: Option<Tracked<Queries>>,
}

impl Source for Everything {
    type Item = Heard;

    fn next(&mut self) -> impl Future<Output = Option<Heard>> + Send {
        let Everything {
            members,
            user,
            queries,
        } = self;
        async move {
            let user = async {
                match user {
                    Some(u) => u.next().await,
                    None => std::future::pending().await,
                }
            };
            let queries = async {
                match queries {
                    Some(q) => q.next().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                e = members.next() => e.map(Heard::Member),
                e = user => e.map(Heard::User),
                q = queries => q.map(Heard::Query),
            }
        }
    }

    fn missed(&self) -> u64 {
        self.members.missed()
            + self.user.as_ref().map_or(0, Source::missed)
            + self.queries.as_ref().map_or(0, Source::missed)
    }
}
