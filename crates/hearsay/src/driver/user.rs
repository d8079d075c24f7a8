//! The node's task's side of the application's messages: user commands carried out on the
//! engine, and the engine's user outputs routed: events and queries to their subscribers'
//! broadcasts, answers and summaries to the stream of the query they belong to.

use std::sync::Arc;

use hearsay_proto::user::{QueryReply, QuerySummary, UserOutput};
use tokio::sync::{mpsc, oneshot};

use super::Driver;
use crate::clock::now;
use crate::command::UserCommand;
use crate::counters::bump;
use crate::user::Asked;

/// Where the answers to one query of this node go.
pub(crate) struct Asker {
    pub replies: mpsc::Sender<QueryReply>,
    pub done: oneshot::Sender<QuerySummary>,
}

impl Driver {
    /// Carries out a request about user events and queries.
    pub(crate) fn user_command(&mut self, cmd: UserCommand) {
        let at = now();
        match cmd {
            UserCommand::Broadcast {
                name,
                payload,
                reply,
            } => {
                let _ = reply.send(self.engine.broadcast(at, &name, payload));
            }
            UserCommand::Query {
                params,
                replies,
                done,
                reply,
            } => {
                // Askers that gave up (their summary lost to a `Missed`) are forgotten here.
                self.askers.retain(|_, a| !a.done.is_closed());
                let r = self.engine.query(at, params);
                if let Ok(seq) = r {
                    // Before the engine's outputs are drained: this node may answer itself.
                    self.askers.insert(seq, Asker { replies, done });
                }
                let _ = reply.send(r);
            }
            UserCommand::Respond { id, payload, reply } => {
                let _ = reply.send(self.engine.respond(at, &id, payload));
            }
        }
    }

    /// Routes the engine's user outputs.
    pub(crate) fn flush_user(&mut self) {
        while let Some(out) = self.engine.poll_user() {
            match out {
                // No subscribers is fine: nobody here wants it.
                UserOutput::Event(e) => {
                    let _ = self.user_events.send(e);
                }
                UserOutput::Query(query) => {
                    let asked = Arc::new(Asked {
                        query,
                        commands: self.commands_weak.clone(),
                    });
                    let _ = self.queries.send(asked);
                }
                UserOutput::Reply(reply) => {
                    let Some(asker) = self.askers.get(&reply.query) else {
                        continue; // the asker went away; the query runs out by itself
                    };
                    match asker.replies.try_send(reply) {
                        Ok(()) => {}
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            bump(&self.counters.query_replies_shed)
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => {}
                    }
                }
                UserOutput::Done(summary) => {
                    if let Some(asker) = self.askers.remove(&summary.query) {
                        let _ = asker.done.send(summary);
                    }
                }
                // Cannot happen while this task drains after every input (the engine holds
                // `max_pending_user`); counted and logged should it ever.
                UserOutput::Missed(n) => {
                    self.counters
                        .user_outputs_missed
                        .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                    tracing::warn!(
                        missed = n,
                        "user events or query outputs dropped: the node's task fell behind"
                    );
                }
            }
        }
    }
}
