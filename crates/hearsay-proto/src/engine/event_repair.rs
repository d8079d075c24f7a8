//! Repair of user messages: a node that holds recent messages periodically sends a random
//! member its summary of what it delivered (`EventSummary`, kind 24, a stream); each side
//! pushes the other what it lacks from its retention window, over streams, as `UserMsg`s
//! that the receiver delivers and passes down its tree. Only messages received after the
//! asker started are pushed: a node that joins or restarts gets no history. Timer
//! `EventRepair`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Engine;
use crate::name::Name;
use crate::user::lacks;
use crate::wire::{EventSummary, Message, OriginSummary};

/// Messages younger than this many graft timeouts are not pushed by repair.
const SETTLE_GRAFTS: u32 = 4;

impl Engine {
    /// Timer [`crate::timer::Timer::EventRepair`].
    pub(super) fn event_repair_timer(&mut self, now: Instant) {
        if !self.user.is_active() || now < self.user.next_repair {
            return;
        }
        self.user.next_repair = now + self.config.event_repair_interval;
        // Origins silent for twice the retention can no longer be repaired or grafted: their
        // delivery windows go.
        if let Some(cutoff) = now.checked_sub(self.config.event_retention * 2) {
            self.user.dedupe.forget_before(cutoff);
        }
        self.user.retention.expire(now);
        if self.user.retention.is_empty() {
            return;
        }
        let Some(&slot) = self
            .members
            .random(&mut self.user.rng, 1, |m| m.state.is_live())
            .first()
        else {
            return;
        };
        let to = self.members.get(slot).addr;
        self.stats.event_repairs += 1;
        let summary = self.event_summary(now, true);
        self.send_stream_user(to, Message::EventSummary(summary));
    }

    fn event_summary(&self, now: Instant, reply: bool) -> EventSummary {
        let since = now
            .checked_sub(self.user.retention.max_age())
            .unwrap_or(self.user.started);
        EventSummary {
            reply,
            age_ms: now.saturating_duration_since(self.user.started).as_millis() as u64,
            origins: self.user.dedupe.summaries(since),
        }
    }

    /// A peer's summary: push what it lacks, and answer with ours when asked.
    pub(super) fn on_event_summary(
        &mut self,
        now: Instant,
        from: SocketAddr,
        summary: EventSummary,
    ) {
        self.user_activate(now);
        self.user.retention.expire(now);
        let by_origin: HashMap<&Name, &OriginSummary> =
            summary.origins.iter().map(|o| (&o.origin, o)).collect();
        let since = now
            .checked_sub(Duration::from_millis(summary.age_ms))
            .unwrap_or(self.user.started);
        // Messages still on their way down the tree are left to it: only those this node has
        // held for a while are pushed.
        let settled = now
            .checked_sub(self.config.graft_timeout * SETTLE_GRAFTS)
            .unwrap_or(self.user.started);
        let lacking: Vec<Arc<_>> = self
            .user
            .retention
            .received_between(since, settled)
            .filter(|k| lacks(by_origin.get(&k.msg.id.origin).copied(), &k.msg.id))
            .map(|k| Arc::clone(&k.msg))
            .collect();
        for msg in lacking {
            self.send_stream_user(from, Message::UserMsg((*msg).clone()));
        }
        if summary.reply {
            let ours = self.event_summary(now, false);
            self.send_stream_user(from, Message::EventSummary(ours));
        }
    }

    /// Sends a user-layer message over a stream, counted as user traffic.
    fn send_stream_user(&mut self, to: SocketAddr, msg: Message) {
        self.stats.user_bytes_out += crate::wire::encoded_len(&msg) as u64;
        self.send_stream(to, &msg);
    }
}
