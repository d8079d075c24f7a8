//! The application's own messages through the handle: user events ([`Node::broadcast`],
//! [`Node::subscribe`]) and queries ([`Node::query`], [`Node::queries`]). The task's side is
//! `driver/user.rs`; the protocol (dissemination, acknowledgements, relays, deadlines) is the
//! engine's (`hearsay_proto::user`).
//!
//! Every stream here is bounded. A subscriber of events or queries that falls more than the
//! node's buffer behind is told so in the stream itself: its next item is `Err(`[`Lagged`]`(n))`,
//! `n` counting the messages skipped (of every name, not only those under its prefix), and the
//! stream goes on with the oldest message still held. Stopping the node ends every stream.

use std::sync::Arc;

use hearsay_proto::user::{
    IncomingQuery, MsgId, Payload, QueryParams, QueryReply, QuerySummary, UserEvent,
};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::command::{Command, UserCommand};
use crate::error::NodeError;
use crate::node::Node;

/// A subscriber fell behind: this many messages were skipped for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} messages skipped because the subscriber fell behind")]
pub struct Lagged(pub u64);

impl Node {
    /// Sends a user event called `name` to every member, this one included (it is delivered
    /// here at once, with `hops` 0). Names are 1 to 128 bytes of UTF-8; payloads at most
    /// `Config::max_event_bytes` (1 MiB by default).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use hearsay::{Answer, Name, Node, NodeConfig, QueryParams};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let config = |name: &str| {
    /// #     let mut c = NodeConfig::new(Name::new(name).unwrap());
    /// #     c.bind = "127.0.0.1:0".parse().unwrap();
    /// #     c.protocol = hearsay::Config::local();
    /// #     c
    /// # };
    /// let a = Node::start(config("a")).await?;
    /// let b = Node::start(config("b")).await?;
    /// b.join(&[a.advertise_addr()]).await?;
    /// b.joined().await?;
    ///
    /// let mut deploys = b.subscribe("deploy"); // events named deploy...
    /// a.broadcast("deploy", &b"v1.2"[..]).await?;
    /// let event = deploys.next().await.unwrap()?; // Err(Lagged(n)) if b fell behind
    /// assert_eq!(&event.payload[..], b"v1.2");
    ///
    /// let mut asked = b.queries("version");
    /// let mut params = QueryParams::new("version", &b""[..], Duration::from_secs(5));
    /// params.filter.nodes = vec![Name::new("b")?]; // only b
    /// let answers = a.query(params).await?;
    /// asked.next().await.unwrap()?.respond(&b"1.2"[..]).await?; // b answers once
    /// let (replies, summary) = answers.collect().await?; // an ack, the response, the end
    /// assert_eq!((summary.responses, summary.timed_out), (1, false));
    /// assert!(replies.iter().any(|r| r.answer == Answer::Response(b"1.2"[..].into())));
    /// # a.shutdown().await; b.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn broadcast(
        &self,
        name: &str,
        payload: impl Into<Payload>,
    ) -> Result<MsgId, NodeError> {
        let (name, payload) = (name.to_owned(), payload.into());
        Ok(self
            .ask(|reply| {
                Command::User(UserCommand::Broadcast {
                    name,
                    payload,
                    reply,
                })
            })
            .await??)
    }

    /// A live stream of user events whose name starts with `prefix` (`""`: all), from now on.
    pub fn subscribe(&self, prefix: &str) -> UserEvents {
        UserEvents {
            rx: self.user_sender().subscribe(),
            running: self.running(),
            prefix: prefix.to_owned(),
        }
    }

    /// Asks the members `params` selects; the answers arrive on the returned stream as they
    /// come, and the stream ends with the query's summary once every expected member has
    /// answered or the timeout has passed. This node is asked too when it matches.
    pub async fn query(&self, params: QueryParams) -> Result<QueryStream, NodeError> {
        let (replies_tx, replies) = mpsc::channel(QUERY_REPLY_BUFFER);
        let (done_tx, done) = oneshot::channel();
        let give_up = tokio::time::Instant::now() + params.timeout + SUMMARY_GRACE;
        let seq = self
            .ask(|reply| {
                Command::User(UserCommand::Query {
                    params,
                    replies: replies_tx,
                    done: done_tx,
                    reply,
                })
            })
            .await??;
        Ok(QueryStream {
            seq,
            replies,
            done,
            give_up,
            finished: false,
        })
    }

    /// A live stream of the queries this node is asked whose name starts with `prefix`
    /// (`""`: all), from now on; answer each with [`Query::respond`].
    pub fn queries(&self, prefix: &str) -> Queries {
        Queries {
            rx: self.query_sender().subscribe(),
            running: self.running(),
            prefix: prefix.to_owned(),
        }
    }
}

/// Answers waiting for a slow reader of one [`QueryStream`]; further ones are dropped and
/// counted (`TransportStats::query_replies_shed`). Each member answers a query at most twice
/// (an acknowledgement and a response), so only a query of thousands of members whose asker
/// does not read can fill it.
pub(crate) const QUERY_REPLY_BUFFER: usize = 4096;

/// How long after its timeout a [`QueryStream`] still waits for the summary. The engine sends
/// it at the timeout; only a summary lost to an overloaded task ever needs this.
const SUMMARY_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// User events from [`Node::subscribe`].
pub struct UserEvents {
    rx: broadcast::Receiver<UserEvent>,
    running: watch::Receiver<()>,
    prefix: String,
}

impl UserEvents {
    /// The next event under the prefix, or `Err(Lagged(n))` after `n` were skipped because
    /// this subscriber fell behind; `None` once the node has stopped.
    pub async fn next(&mut self) -> Option<Result<UserEvent, Lagged>> {
        let prefix = self.prefix.as_str();
        next_named(&mut self.rx, &mut self.running, |e| {
            e.name.starts_with(prefix)
        })
        .await
    }
}

/// Queries asked of this node, from [`Node::queries`].
pub struct Queries {
    rx: broadcast::Receiver<Arc<Asked>>,
    running: watch::Receiver<()>,
    prefix: String,
}

impl Queries {
    /// The next query under the prefix, or `Err(Lagged(n))` after `n` were skipped because
    /// this subscriber fell behind; `None` once the node has stopped.
    pub async fn next(&mut self) -> Option<Result<Query, Lagged>> {
        let prefix = self.prefix.as_str();
        let asked = next_named(&mut self.rx, &mut self.running, |q| {
            q.query.name.starts_with(prefix)
        })
        .await?;
        Some(asked.map(|asked| Query { asked }))
    }
}

/// A query as the node's task publishes it to every [`Queries`] subscriber.
pub(crate) struct Asked {
    pub query: IncomingQuery,
    /// Where the response goes; weak, so that a query held by a subscriber does not keep the
    /// node's task alive.
    pub commands: mpsc::WeakSender<Command>,
}

/// One query asked of this node. Answer it with [`Query::respond`], which takes the query, so
/// it cannot be answered twice; dropping it answers nothing (the asker still has this node's
/// acknowledgement, when it asked for one).
pub struct Query {
    asked: Arc<Asked>,
}

impl Query {
    /// The query: its id, name, payload, hops and deadline.
    pub fn query(&self) -> &IncomingQuery {
        &self.asked.query
    }

    /// The query's name.
    pub fn name(&self) -> &str {
        &self.asked.query.name
    }

    /// The query's payload.
    pub fn payload(&self) -> &Payload {
        &self.asked.query.payload
    }

    /// Sends `payload` as this node's response. Fails when the node has stopped, or when the
    /// engine refuses (too large, too late, answered already through another subscriber).
    pub async fn respond(self, payload: impl Into<Payload>) -> Result<(), NodeError> {
        let commands = self.asked.commands.upgrade().ok_or(NodeError::Closed)?;
        let (reply, answer) = oneshot::channel();
        let cmd = Command::User(UserCommand::Respond {
            id: self.asked.query.id.clone(),
            payload: payload.into(),
            reply,
        });
        commands.send(cmd).await.map_err(|_| NodeError::Closed)?;
        Ok(answer.await.map_err(|_| NodeError::Closed)??)
    }
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("query", &self.asked.query)
            .finish()
    }
}

/// One item of a [`QueryStream`].
#[derive(Debug, Clone)]
pub enum QueryItem {
    /// An acknowledgement or a response.
    Reply(QueryReply),
    /// The end: what came back, and who did not answer.
    Done(QuerySummary),
}

/// The answers to one query from [`Node::query`]: [`QueryItem::Reply`]s as they arrive (at most
/// one acknowledgement and one response per member), then exactly one [`QueryItem::Done`].
pub struct QueryStream {
    seq: u64,
    replies: mpsc::Receiver<QueryReply>,
    done: oneshot::Receiver<QuerySummary>,
    give_up: tokio::time::Instant,
    finished: bool,
}

impl QueryStream {
    /// The query's sequence number (its id, with this node as origin).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The next answer, then the summary; `None` after the summary, or without one if the
    /// node stopped first (or, never in practice, its summary was lost and the timeout passed
    /// by five seconds).
    pub async fn next(&mut self) -> Option<QueryItem> {
        if self.finished {
            return None;
        }
        // Replies first: the task sends every reply before the summary.
        let item = tokio::select! {
            biased;
            Some(reply) = self.replies.recv() => return Some(QueryItem::Reply(reply)),
            done = &mut self.done => done.ok().map(QueryItem::Done),
            () = tokio::time::sleep_until(self.give_up) => None,
        };
        self.finished = true;
        item
    }

    /// Waits for the end: every answer, in order of arrival, and the summary.
    pub async fn collect(mut self) -> Result<(Vec<QueryReply>, QuerySummary), NodeError> {
        let mut replies = Vec::new();
        while let Some(item) = self.next().await {
            match item {
                QueryItem::Reply(r) => replies.push(r),
                QueryItem::Done(s) => return Ok((replies, s)),
            }
        }
        Err(NodeError::Closed)
    }
}

/// The next item of `rx` that `wanted` keeps, a lag notice, or `None` once the node stopped.
async fn next_named<T: Clone>(
    rx: &mut broadcast::Receiver<T>,
    running: &mut watch::Receiver<()>,
    wanted: impl Fn(&T) -> bool,
) -> Option<Result<T, Lagged>> {
    loop {
        tokio::select! {
            r = rx.recv() => match r {
                Ok(item) if wanted(&item) => return Some(Ok(item)),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => return Some(Err(Lagged(n))),
                Err(broadcast::error::RecvError::Closed) => return None,
            },
            // Only ever an error: the node's task dropped its end.
            _ = running.changed() => return None,
        }
    }
}
