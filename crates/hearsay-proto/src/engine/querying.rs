//! Queries: asking (`query`), being asked (a delivered `UserMsg` with a query header),
//! answering (`respond`) and collecting answers (`QueryAnswer`, kind 23, possibly through
//! relays), and the `QueryDeadline` timer. Queries travel like user events (see
//! `engine/broadcasting.rs`); answers go straight to the origin.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Engine;
use crate::error::CommandError;
use crate::name::Name;
use crate::stats::DropReason;
use crate::user::{
    Answer, AnswerError, Answerable, IncomingQuery, MsgId, Noted, Payload, QueryParams, QueryReply,
    UserOutput,
};
use crate::wire::{Message, QueryAnswer, QueryHeader, QueryNudge, UserMsg};

/// Longest query timeout.
const MAX_QUERY_TIMEOUT: Duration = Duration::from_secs(3600);

impl Engine {
    /// Asks the members that match `params.filter` (this node included, when it matches)
    /// a question. Their acknowledgements and responses come back as
    /// [`UserOutput::Reply`], then one [`UserOutput::Done`]: as soon as every matching live
    /// member has responded, or at the timeout. Returns the query's sequence number, which
    /// the replies and the summary carry.
    pub fn query(&mut self, now: Instant, params: QueryParams) -> Result<u64, CommandError> {
        self.check_user_send(&params.name, &params.payload)?;
        if params.timeout.is_zero() || params.timeout > MAX_QUERY_TIMEOUT {
            return Err(CommandError::BadTimeout);
        }
        let filter = params.filter.compile()?;
        if !self.user.queries.room() {
            return Err(CommandError::TooManyQueries(
                self.config.max_pending_queries,
            ));
        }
        let store = &self.store.states;
        let expected: Vec<Name> = self
            .members
            .iter()
            .filter(|m| m.state.is_live())
            .filter(|m| {
                filter.matches(&m.name, &m.meta, |k| {
                    store
                        .owner(m.name.as_str())
                        .and_then(|o| o.entries.get(k))
                        .and_then(|e| e.value.as_deref())
                })
            })
            .map(|m| m.name.clone())
            .collect();
        let header = QueryHeader {
            reply_to: self.members.local().addr,
            timeout_ms: params.timeout.as_millis() as u32,
            relay_factor: params.relay_factor,
            want_ack: params.want_acks,
            filter: params.filter,
        };
        let msg = self.new_user_msg(&params.name, params.payload, Some(header));
        let seq = msg.id.seq;
        let nudge_every = (params.timeout / 8).max(self.config.graft_timeout * 2);
        self.user
            .queries
            .ask(seq, now, params.timeout, nudge_every, expected);
        self.originate(now, msg);
        self.finish_queries(now);
        Ok(seq)
    }

    /// Answers the query `query` (from an [`IncomingQuery`]) with `payload`. Once per query,
    /// before its deadline.
    pub fn respond(
        &mut self,
        now: Instant,
        query: &MsgId,
        payload: impl Into<Payload>,
    ) -> Result<(), CommandError> {
        let payload = payload.into();
        if payload.len() > self.config.max_event_bytes {
            return Err(CommandError::EventTooLarge {
                len: payload.len(),
                max: self.config.max_event_bytes,
            });
        }
        let a = self.user.queries.answer(query, now).map_err(|e| match e {
            AnswerError::Unknown => CommandError::UnknownQuery,
            AnswerError::Expired => CommandError::QueryExpired,
            AnswerError::Answered => CommandError::AlreadyAnswered,
        })?;
        self.send_answer(now, query, Some(payload), a);
        Ok(())
    }

    /// A query was delivered here: the application gets it if this node matches.
    pub(super) fn on_query_delivered(&mut self, now: Instant, msg: &Arc<UserMsg>) {
        let Some(q) = &msg.query else { return };
        let filter = match q.filter.compile() {
            Ok(f) => f,
            Err(_) => return self.stats.refuse(DropReason::BadFilter),
        };
        let me = self.members.local();
        let store = &self.store.states;
        let matches = filter.matches(&me.name, &me.meta, |k| {
            store
                .owner(me.name.as_str())
                .and_then(|o| o.entries.get(k))
                .and_then(|e| e.value.as_deref())
        });
        if !matches {
            return;
        }
        let deadline = now + Duration::from_millis(u64::from(q.timeout_ms));
        let answerable = Answerable {
            reply_to: q.reply_to,
            relay_factor: q.relay_factor,
            deadline,
            responded: false,
            kept: None,
        };
        self.user.queries.expire(now);
        self.user
            .queries
            .received(msg.id.clone(), answerable.clone());
        let out = UserOutput::Query(IncomingQuery {
            id: msg.id.clone(),
            name: msg.name.clone(),
            payload: Arc::clone(&msg.payload),
            hops: msg.hops,
            deadline,
        });
        if self.user.output(out) {
            self.stats.user_outputs_dropped += 1;
        }
        if q.want_ack {
            self.send_answer(now, &msg.id, None, answerable);
        }
    }

    /// Sends an acknowledgement (`response` None) or response to the origin, directly and
    /// through `relay_factor` random members.
    fn send_answer(
        &mut self,
        now: Instant,
        query: &MsgId,
        response: Option<Payload>,
        to: Answerable,
    ) {
        let me = self.members.local().name.clone();
        let answer = QueryAnswer {
            query: query.clone(),
            responder: me.clone(),
            response,
            relay_to: None,
            relayed: false,
        };
        if query.origin == me {
            return self.note_answer(now, answer);
        }
        if let Some(p) = &answer.response {
            let small = crate::wire::encoded_len(&Message::QueryAnswer(answer.clone()))
                + crate::wire::DATAGRAM_HEADER_BYTES
                <= self.config.max_datagram_bytes;
            if small {
                self.user.queries.keep_response(query, Arc::clone(p));
            }
        }
        let origin = query.origin.clone();
        let relays = self
            .members
            .random(&mut self.user.rng, usize::from(to.relay_factor), |m| {
                m.state.is_live() && m.name != origin
            });
        let relays: Vec<SocketAddr> = relays.iter().map(|&s| self.members.get(s).addr).collect();
        for relay in relays {
            let via = QueryAnswer {
                relay_to: Some(to.reply_to),
                ..answer.clone()
            };
            self.send_user(relay, Message::QueryAnswer(via));
        }
        self.send_user(to.reply_to, Message::QueryAnswer(answer));
    }

    /// An answer arrived: for a query of this node's, or to relay to its origin.
    pub(super) fn on_query_answer(&mut self, now: Instant, from: SocketAddr, answer: QueryAnswer) {
        if let Some(origin) = answer.relay_to {
            // Relay only between live members: never a reflector for strangers.
            let known = |addr: SocketAddr| {
                self.members
                    .iter()
                    .any(|m| m.addr == addr && m.state.is_live())
            };
            if !known(from) || !known(origin) {
                return self.stats.refuse(DropReason::UnknownPeer);
            }
            self.stats.query_answers_relayed += 1;
            let fwd = QueryAnswer {
                relay_to: None,
                relayed: true,
                ..answer
            };
            return self.send_user(origin, Message::QueryAnswer(fwd));
        }
        self.note_answer(now, answer);
    }

    fn note_answer(&mut self, now: Instant, answer: QueryAnswer) {
        let me = self.members.local();
        if answer.query.origin != me.name || answer.query.generation != me.generation {
            return self.stats.user_stale += 1;
        }
        // Answers come from members only: a forged responder name is not counted.
        if !self
            .members
            .by_name(answer.responder.as_str())
            .is_some_and(|m| m.state.is_live())
        {
            return self.stats.refuse(DropReason::UnknownOrigin);
        }
        let seq = answer.query.seq;
        let response = answer.response.is_some();
        match self.user.queries.note(seq, &answer.responder, response) {
            Noted::New => {
                self.stats.query_answers_in += 1;
                let out = UserOutput::Reply(QueryReply {
                    query: seq,
                    from: answer.responder,
                    answer: match answer.response {
                        Some(p) => Answer::Response(p),
                        None => Answer::Ack,
                    },
                    relayed: answer.relayed,
                });
                if self.user.output(out) {
                    self.stats.user_outputs_dropped += 1;
                }
                self.finish_queries(now);
            }
            Noted::Duplicate | Noted::Unknown => {}
        }
    }

    /// Reports the queries that are over.
    pub(super) fn finish_queries(&mut self, now: Instant) {
        for summary in self.user.queries.finished(now) {
            if self.user.output(UserOutput::Done(summary)) {
                self.stats.user_outputs_dropped += 1;
            }
        }
    }

    /// Timer [`crate::timer::Timer::QueryDeadline`]: queries whose timeout passed end; the
    /// silent members of the others are nudged.
    pub(super) fn query_deadline_timer(&mut self, now: Instant) {
        if self.user.queries.deadline().is_none_or(|d| d > now) {
            return;
        }
        self.finish_queries(now);
        let me = self.members.local();
        let (origin, generation) = (me.name.clone(), me.generation);
        for (seq, silent) in self.user.queries.due_nudges(now) {
            let query = MsgId {
                origin: origin.clone(),
                generation,
                seq,
            };
            for name in silent {
                let Some(m) = self.members.by_name(name.as_str()) else {
                    continue;
                };
                if !m.state.is_live() || name == origin {
                    continue;
                }
                let to = m.addr;
                self.stats.query_nudges += 1;
                let nudge = QueryNudge {
                    query: query.clone(),
                };
                self.send_user(to, Message::QueryNudge(nudge));
            }
        }
    }

    /// The origin lacks this node's response: send the kept one again, to the query's reply
    /// address (whoever sent the nudge).
    pub(super) fn on_query_nudge(&mut self, now: Instant, nudge: QueryNudge) {
        let Some((reply_to, response)) = self.user.queries.kept(&nudge.query, now) else {
            return;
        };
        let answer = QueryAnswer {
            query: nudge.query,
            responder: self.members.local().name.clone(),
            response: Some(response),
            relay_to: None,
            relayed: false,
        };
        self.send_user(reply_to, Message::QueryAnswer(answer));
    }
}
