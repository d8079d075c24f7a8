//! User events: sending, receiving, and the broadcast tree that carries them (or the flood,
//! in [`EventMode::Flood`]). Handles `UserMsg` (kind 19), `IHave` (20), `Graft` (21) and
//! `Prune` (22), and the timers `TreeFlush`, `TreeGraft` and `TreeLinks`.
//!
//! The tree's neighbours come from the peer-sampling seam at the bottom of this file
//! ([`Engine::sample_peers`], [`Engine::peer_of`]): today it samples the full membership;
//! a partial view can supply them instead without touching the tree.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use super::Engine;
use crate::error::CommandError;
use crate::event::EventKind;
use crate::name::Name;
use crate::stats::DropReason;
use crate::user::{Arrival, EventMode, Linked, MsgId, Payload, Seen, UserEvent, UserOutput};
use crate::wire::{
    self, DATAGRAM_HEADER_BYTES, Graft, IHave, MAX_EVENT_NAME_BYTES, MAX_IDS, Message, Prune,
    QueryHeader, UserMsg,
};

/// Most grafted messages answered with datagrams per graft (the rest wait for the next).
const MAX_GRAFT_ANSWERS: usize = 64;

impl Engine {
    /// Sends a user event: every member alive now that stays alive receives it once
    /// ([`UserOutput::Event`]), this node included (at hop 0). Sending the same payload twice
    /// delivers it twice. Returns the event's id.
    pub fn broadcast(
        &mut self,
        now: Instant,
        name: &str,
        payload: impl Into<Payload>,
    ) -> Result<MsgId, CommandError> {
        let payload = payload.into();
        self.check_user_send(name, &payload)?;
        let msg = self.new_user_msg(name, payload, None);
        let id = msg.id.clone();
        self.originate(now, msg);
        Ok(id)
    }

    /// The next user event or query output, if any. Drain it like [`Engine::poll_event`].
    /// When outputs had to be dropped (more than `max_pending_user` waited), the next one
    /// is [`UserOutput::Missed`] with how many.
    pub fn poll_user(&mut self) -> Option<UserOutput> {
        self.user.poll()
    }

    /// Checks a name and payload this node is about to send.
    pub(super) fn check_user_send(&self, name: &str, payload: &[u8]) -> Result<(), CommandError> {
        if self.left {
            return Err(CommandError::Left);
        }
        if name.is_empty()
            || name.len() > MAX_EVENT_NAME_BYTES
            || name.chars().any(char::is_control)
        {
            return Err(CommandError::BadEventName {
                len: name.len(),
                max: MAX_EVENT_NAME_BYTES,
            });
        }
        if payload.len() > self.config.max_event_bytes {
            return Err(CommandError::EventTooLarge {
                len: payload.len(),
                max: self.config.max_event_bytes,
            });
        }
        if self.config.event_mode == EventMode::Flood {
            // Room for the id, the name, the query header and the datagram framing.
            let max = self
                .config
                .max_datagram_bytes
                .saturating_sub(DATAGRAM_HEADER_BYTES + 256 + name.len());
            if payload.len() > max {
                return Err(CommandError::TooLargeToFlood {
                    len: payload.len(),
                    max,
                });
            }
        }
        Ok(())
    }

    pub(super) fn new_user_msg(
        &mut self,
        name: &str,
        payload: Payload,
        query: Option<QueryHeader>,
    ) -> UserMsg {
        let me = self.members.local();
        let id = MsgId {
            origin: me.name.clone(),
            generation: me.generation,
            seq: self.user.next_seq(),
        };
        UserMsg {
            id,
            hops: 0,
            name: name.to_owned(),
            payload,
            query,
        }
    }

    /// Delivers this node's own message locally and starts spreading it.
    pub(super) fn originate(&mut self, now: Instant, msg: UserMsg) {
        self.stats.user_sent += 1;
        self.user_activate(now);
        if self.user.dedupe.mark(&msg.id, now) {
            self.stats.user_origins_evicted += 1;
        }
        let msg = Arc::new(msg);
        self.keep_user_msg(now, &msg);
        self.deliver_user_msg(now, &msg);
        self.spread_user_msg(now, &msg, None);
    }

    /// Starts the layer (links, repair) on first use.
    pub(super) fn user_activate(&mut self, now: Instant) {
        let interval = self.config.event_repair_interval;
        self.user.activate(now, interval);
    }

    fn keep_user_msg(&mut self, now: Instant, msg: &Arc<UserMsg>) {
        self.stats.user_retention_shed += self.user.retention.keep(now, Arc::clone(msg));
    }

    /// Hands a message to the application: a user event, or a query (see
    /// `engine/querying.rs`).
    fn deliver_user_msg(&mut self, now: Instant, msg: &Arc<UserMsg>) {
        if msg.query.is_some() {
            return self.on_query_delivered(now, msg);
        }
        let out = UserOutput::Event(UserEvent {
            id: msg.id.clone(),
            name: msg.name.clone(),
            payload: Arc::clone(&msg.payload),
            hops: msg.hops,
            at: now,
        });
        if self.user.output(out) {
            self.stats.user_outputs_dropped += 1;
        }
    }

    /// A user message (event or query) from `from`.
    pub(super) fn on_user_msg(
        &mut self,
        now: Instant,
        from: SocketAddr,
        msg: UserMsg,
        how: Arrival,
    ) {
        self.stats.user_payloads_in += 1;
        if msg.payload.len() > self.config.max_event_bytes || msg.name.chars().any(char::is_control)
        {
            return self.stats.refuse(DropReason::BadEvent);
        }
        // Only members send: a message from a name this node does not know as a live member
        // (or from an earlier start of one) is dropped; repair brings it once the origin is
        // known, if it was real.
        match self.members.by_name(msg.id.origin.as_str()) {
            Some(m) if m.state.is_live() && m.generation <= msg.id.generation => {}
            Some(m) if m.generation > msg.id.generation => {
                self.stats.user_stale += 1;
                return;
            }
            _ => return self.stats.refuse(DropReason::UnknownOrigin),
        }
        self.user_activate(now);
        let tree = self.config.event_mode == EventMode::Tree;
        let seen = if msg.id.origin == self.members.local().name {
            Seen::Duplicate
        } else {
            self.user.dedupe.check(&msg.id)
        };
        match seen {
            Seen::Duplicate | Seen::Stale => {
                if seen == Seen::Duplicate {
                    self.stats.user_duplicates += 1;
                } else {
                    self.stats.user_stale += 1;
                }
                if tree && how == Arrival::Pushed && self.user.tree.duplicate_from(from) {
                    self.send_user(from, Message::Prune(Prune { disconnect: false }));
                    self.stats.prunes_sent += 1;
                }
            }
            Seen::New => {
                if self.user.dedupe.mark(&msg.id, now) {
                    self.stats.user_origins_evicted += 1;
                }
                let hops = msg.hops.saturating_add(1);
                self.stats.user_delivered += 1;
                self.stats.user_hops += u64::from(hops);
                if tree && how == Arrival::Pushed {
                    self.accept_link(from);
                }
                if how == Arrival::Pulled && !self.user.tree.is_missing(&msg.id) {
                    self.stats.user_repaired += 1;
                }
                self.user.tree.received(&msg.id);
                let msg = Arc::new(UserMsg { hops, ..msg });
                self.keep_user_msg(now, &msg);
                self.deliver_user_msg(now, &msg);
                self.spread_user_msg(now, &msg, Some(from));
            }
        }
    }

    /// Passes a delivered message on: to the eager links and announced to the lazy ones, or
    /// into the flood queue.
    pub(super) fn spread_user_msg(
        &mut self,
        now: Instant,
        msg: &Arc<UserMsg>,
        from: Option<SocketAddr>,
    ) {
        match self.config.event_mode {
            EventMode::Flood => {
                let mut framed = Vec::new();
                wire::encode_message(&Message::UserMsg((**msg).clone()), &mut framed);
                if self.user.flood.push(&msg.id, framed.into_boxed_slice()) {
                    self.stats.user_flood_queue_full += 1;
                }
            }
            EventMode::Tree => {
                // Open this node's own links first if they are due (a node that just started
                // using the tree may so far know only the link its sender opened).
                self.tree_links_timer(now);
                let fits = self.fits_datagram(msg);
                let eager: Vec<SocketAddr> = self.user.tree.eager(from).collect();
                for to in eager {
                    let m = if fits {
                        Message::UserMsg((**msg).clone())
                    } else {
                        Message::IHave(IHave {
                            fetch: true,
                            ids: vec![(msg.id.clone(), msg.hops)],
                        })
                    };
                    self.send_user(to, m);
                }
                self.stats.user_announcements_shed +=
                    self.user.tree.announce(now, &msg.id, msg.hops, from);
            }
        }
    }

    fn fits_datagram(&self, msg: &UserMsg) -> bool {
        // The framing of a `UserMsg` adds at most a kind byte and a 5-byte length.
        let body = wire::encoded_len(&Message::UserMsg(UserMsg {
            payload: Payload::from(&[][..]),
            ..msg.clone()
        })) + msg.payload.len()
            + 5;
        DATAGRAM_HEADER_BYTES + body <= self.config.max_datagram_bytes
    }

    /// Sends one user-layer message to `to`: in a datagram when it fits (with queued news),
    /// else over a stream. Counts its bytes as user traffic.
    pub(super) fn send_user(&mut self, to: SocketAddr, msg: Message) {
        let len = wire::encoded_len(&msg);
        self.stats.user_bytes_out += len as u64;
        if DATAGRAM_HEADER_BYTES + len <= self.config.max_datagram_bytes {
            self.send_datagram(to, std::slice::from_ref(&msg));
        } else {
            self.send_stream(to, &msg);
        }
    }

    /// `from` pushed a new message: it is a tree neighbour (if there is room).
    fn accept_link(&mut self, from: SocketAddr) {
        if self.user.tree.has(from) {
            return;
        }
        let Some(name) = self.peer_of(from) else {
            return;
        };
        if self.user.tree.link(name, from, false) == Linked::Full {
            self.send_user(from, Message::Prune(Prune { disconnect: true }));
        }
    }

    /// Announcements of messages this node may lack.
    pub(super) fn on_ihave(&mut self, now: Instant, from: SocketAddr, ihave: IHave) {
        if self.config.event_mode != EventMode::Tree {
            return;
        }
        self.user_activate(now);
        for (id, hops) in ihave.ids {
            if self.user.dedupe.check(&id) != Seen::New || id.origin == self.members.local().name {
                continue;
            }
            if !self.user.tree.missing(now, &id, hops, from, ihave.fetch) {
                self.stats.user_missing_full += 1;
            }
        }
    }

    /// A request for messages (and for an eager link); an empty one asks only for the link.
    pub(super) fn on_graft(&mut self, now: Instant, from: SocketAddr, graft: Graft) {
        self.user_activate(now);
        if !self.user.tree.has(from) {
            let Some(name) = self.peer_of(from) else {
                return self.stats.refuse(DropReason::UnknownPeer);
            };
            if self.user.tree.link(name, from, false) == Linked::Full {
                self.send_user(from, Message::Prune(Prune { disconnect: true }));
            }
        }
        self.user.tree.set_eager(from);
        for id in graft.ids.iter().take(MAX_GRAFT_ANSWERS) {
            let Some(kept) = self.user.retention.get(id) else {
                continue;
            };
            let msg = Message::UserMsg((*kept.msg).clone());
            self.send_user(from, msg);
        }
    }

    pub(super) fn on_prune(&mut self, now: Instant, from: SocketAddr, prune: Prune) {
        if prune.disconnect {
            if self.user.tree.unlink(from) {
                self.user.next_links = Some(now);
            }
        } else {
            self.user.tree.pruned_by(from);
        }
    }

    /// Timer [`crate::timer::Timer::TreeFlush`]: batched announcements go out.
    pub(super) fn tree_flush_timer(&mut self, now: Instant) {
        if self.user.tree.flush_deadline().is_none_or(|d| d > now) {
            return;
        }
        for (to, ids) in self.user.tree.take_announcements() {
            for chunk in self.ihave_chunks(ids) {
                self.stats.ihaves_sent += chunk.len() as u64;
                self.send_user(
                    to,
                    Message::IHave(IHave {
                        fetch: false,
                        ids: chunk,
                    }),
                );
            }
        }
    }

    /// Splits announcements into groups that each fit a datagram.
    fn ihave_chunks(&self, ids: Vec<(MsgId, u32)>) -> Vec<Vec<(MsgId, u32)>> {
        let room = self.config.max_datagram_bytes - DATAGRAM_HEADER_BYTES - 8;
        let mut out = Vec::new();
        let mut chunk = Vec::new();
        let mut used = 0;
        for (id, hops) in ids {
            let len = wire::ihave_entry_len(&id, hops);
            if !chunk.is_empty() && (used + len > room || chunk.len() == MAX_IDS) {
                out.push(std::mem::take(&mut chunk));
                used = 0;
            }
            used += len;
            chunk.push((id, hops));
        }
        if !chunk.is_empty() {
            out.push(chunk);
        }
        out
    }

    /// Adds the announcements waiting for `to` that fit in `room` bytes to a datagram
    /// going there anyway.
    pub(super) fn piggyback_ihaves(&mut self, to: SocketAddr, buf: &mut Vec<u8>, max: usize) {
        if !self.user.tree.announcements_for(to) {
            return;
        }
        let mut ids = self.user.tree.take_announcements_for(to);
        let mut room = max.saturating_sub(buf.len() + 8);
        let mut take = 0;
        for (id, hops) in &ids {
            let len = wire::ihave_entry_len(id, *hops);
            if len > room || take == MAX_IDS {
                break;
            }
            room -= len;
            take += 1;
        }
        let rest = ids.split_off(take);
        if !ids.is_empty() {
            self.stats.ihaves_sent += ids.len() as u64;
            let msg = Message::IHave(IHave { fetch: false, ids });
            let before = buf.len();
            wire::encode_message(&msg, buf);
            self.stats.user_bytes_out += (buf.len() - before) as u64;
        }
        self.user.tree.put_back_announcements(to, rest);
    }

    /// Timer [`crate::timer::Timer::TreeGraft`]: announced messages that did not arrive in
    /// time are asked for, and the announcer's link becomes eager.
    pub(super) fn tree_graft_timer(&mut self, now: Instant) {
        if self.user.tree.graft_deadline().is_none_or(|d| d > now) {
            return;
        }
        let retry = self.config.graft_timeout * 4;
        let mut by_peer: Vec<(SocketAddr, Vec<MsgId>)> = Vec::new();
        for (id, addr) in self.user.tree.due_grafts(now, retry) {
            match by_peer.iter_mut().find(|(a, _)| *a == addr) {
                Some((_, ids)) => ids.push(id),
                None => by_peer.push((addr, vec![id])),
            }
        }
        for (to, ids) in by_peer {
            self.user.tree.set_eager(to);
            self.stats.grafts_sent += 1;
            for chunk in ids.chunks(MAX_GRAFT_ANSWERS) {
                self.send_user(
                    to,
                    Message::Graft(Graft {
                        ids: chunk.to_vec(),
                    }),
                );
            }
        }
    }

    /// Timer [`crate::timer::Timer::TreeLinks`]: drops links to members no longer live and
    /// opens new ones up to `tree_degree`.
    pub(super) fn tree_links_timer(&mut self, now: Instant) {
        if self.user.next_links.is_none_or(|d| d > now) {
            return;
        }
        if self.config.event_mode != EventMode::Tree {
            self.user.next_links = None;
            return;
        }
        let gone: Vec<SocketAddr> = self
            .user
            .tree
            .links()
            .iter()
            .filter(|l| !self.is_live_at(&l.name, l.addr))
            .map(|l| l.addr)
            .collect();
        for addr in gone {
            self.user.tree.unlink(addr);
        }
        let wanted = self.user.tree.wanted();
        if wanted > 0 {
            for (name, addr) in self.sample_peers(wanted) {
                if self.user.tree.link(name, addr, true) == Linked::Yes {
                    self.send_user(addr, Message::Graft(Graft { ids: Vec::new() }));
                }
            }
        }
        // While links are missing (too few members yet), look again every probe interval;
        // once complete, only a member going or coming (`user_member_changed`) or a refused
        // link (`on_prune`) schedules this again.
        self.user.next_links =
            (self.user.tree.wanted() > 0).then_some(now + self.config.probe_interval);
    }

    /// A member went down or left: its tree links are replaced at once. A member came up while this node lacks links: open them now rather than at the next
    /// `TreeLinks` round (the first message after a cluster forms would otherwise wait for
    /// repair).
    pub(super) fn user_member_changed(&mut self, now: Instant, name: &Name, kind: EventKind) {
        if kind == EventKind::Up && self.user.tree.wanted() > 0 {
            self.user.next_links = Some(now);
            return;
        }
        if !matches!(kind, EventKind::Down | EventKind::Left | EventKind::Removed) {
            return;
        }
        self.user.queries.departed(name.as_str());
        if self.user.tree.unlink_member(name.as_str()) {
            self.user.next_links = Some(now);
        }
    }

    // ---- the peer-sampling seam ---------------------------------------------------------

    /// Up to `k` random live members that are not tree neighbours yet.
    fn sample_peers(&mut self, k: usize) -> Vec<(Name, SocketAddr)> {
        let tree = &self.user.tree;
        let slots = self.members.random(&mut self.user.rng, k, |m| {
            m.state.is_live() && !tree.has(m.addr)
        });
        slots
            .into_iter()
            .map(|s| {
                let m = self.members.get(s);
                (m.name.clone(), m.addr)
            })
            .collect()
    }

    /// The live member at `addr`, if any (a scan: called only for links not known yet).
    fn peer_of(&self, addr: SocketAddr) -> Option<Name> {
        self.members
            .iter()
            .skip(1)
            .find(|m| m.addr == addr && m.state.is_live())
            .map(|m| m.name.clone())
    }

    /// Whether `name` is a live member at `addr`.
    fn is_live_at(&self, name: &Name, addr: SocketAddr) -> bool {
        self.members
            .by_name(name.as_str())
            .is_some_and(|m| m.addr == addr && m.state.is_live())
    }

    /// Flood mode's share of a gossip round: the whole flood queue to `gossip_fanout` random
    /// live members (picked with the layer's own randomness).
    pub(super) fn flood_round(&mut self) {
        if self.user.flood.is_empty() {
            return;
        }
        let fanout = self.config.gossip_fanout as usize;
        let targets = self
            .members
            .random(&mut self.user.rng, fanout, |m| m.state.is_live());
        let limit = self.config.retransmit_limit(self.members.live());
        let mut header = Vec::new();
        wire::start_datagram(&mut header);
        for slot in targets {
            let to = self.members.get(slot).addr;
            let max = self.config.max_datagram_bytes;
            for datagram in self.user.flood.pack_all(limit, &header, max) {
                self.stats.user_bytes_out += (datagram.len() - header.len()) as u64;
                self.push_datagram(to, datagram);
            }
            if self.user.flood.is_empty() {
                break;
            }
        }
    }

    /// Whether user-layer news (flooded messages) waits for a gossip round.
    pub(super) fn user_news_waiting(&self) -> bool {
        !self.user.flood.is_empty()
    }
}
