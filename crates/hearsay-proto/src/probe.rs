//! SWIM failure detection: randomized round-robin probing, indirect probes through k helpers,
//! acks and (Lifeguard) nacks, and the buddy system.
//!
//! Each probe period this node pings the next member of a shuffled round-robin order. No ack
//! within the (health-scaled) probe timeout: it asks `indirect_checks` random members to ping the
//! target for it. Still no ack by the end of the (health-scaled) probe interval: the target is
//! suspected. Helpers that cannot reach the target either answer with a nack; missing nacks
//! point at this node's own health rather than the target's (Lifeguard).
//!
//! Timing of the indirect phase: it lasts at least one probe timeout (the probe ends at
//! `max(probe_interval, 2 * probe_timeout)`), and a helper nacks after [`NACK_AFTER`] of its
//! probe timeout, so that with equal timeouts a helper's nack arrives while the prober still
//! counts them. Were the two equal, every nack would land just after the probe ended, and
//! each failed probe would wrongly count against the prober's own health. When the target is
//! already suspected, the ping carries the suspicion (buddy system) so the target can refute it
//! at once.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use rand::Rng;
use rand::seq::SliceRandom;

use crate::Name;
use crate::engine::Engine;
use crate::event::Via;
use crate::member::Slot;
use crate::update::Update;
use crate::wire::{Ack, IndirectPing, Message, Nack, Ping, State, Suspect};

/// Indirect probes this node runs for others at once; more are refused and counted.
const MAX_RELAYS: usize = 256;
/// Fraction of its own probe timeout a helper waits for the target's ack before it nacks.
/// The rest of the prober's indirect phase is left for the nack's trip back.
pub(crate) const NACK_AFTER: f64 = 0.8;
/// Marks a slot in the probe order whose member was removed.
const REMOVED: Slot = Slot::MAX;

/// The state of this node's own probing.
pub(crate) struct Prober {
    /// Shuffled round-robin order of member slots.
    order: Vec<Slot>,
    /// Next position in `order`.
    pos: usize,
    /// When the next probe starts.
    pub next_probe: Instant,
    /// The probe under way, if any.
    current: Option<Probe>,
    /// Sequence numbers of our pings (probes and relays share them).
    seq: u32,
    /// The last probe that ended with an ack: further acks and nacks for it are the other
    /// helpers' answers arriving after the first one, expected rather than stale.
    answered: u32,
    /// Indirect probes run for others, in deadline order.
    relays: VecDeque<Relay>,
}

/// One probe of one target.
struct Probe {
    target: Name,
    generation: u64,
    addr: SocketAddr,
    seq: u32,
    indirect_at: Instant,
    end: Instant,
    indirect_sent: bool,
    expected_nacks: u32,
    nacks: u32,
    /// Chosen because the target is suspect, to deliver the suspicion (buddy system): its
    /// failure is not another confirmation, or probing suspects often would shrink their
    /// timeouts on its own.
    buddy: bool,
}

/// An indirect probe run on behalf of `requester`.
struct Relay {
    seq: u32,
    requester: SocketAddr,
    their_seq: u32,
    deadline: Instant,
    want_nack: bool,
}

impl Prober {
    pub fn new(first_probe: Instant) -> Prober {
        Prober {
            order: Vec::new(),
            pos: 0,
            next_probe: first_probe,
            answered: 0,
            current: None,
            seq: 0,
            relays: VecDeque::new(),
        }
    }

    /// The earliest probe-related deadline.
    pub fn next_deadline(&self, probing: bool) -> Option<Instant> {
        let mut t = probing.then_some(self.next_probe);
        if let Some(p) = &self.current {
            let phase = if p.indirect_sent {
                p.end
            } else {
                p.indirect_at
            };
            t = Some(t.map_or(phase, |t| t.min(phase)));
        }
        if let Some(r) = self.relays.front() {
            t = Some(t.map_or(r.deadline, |t| t.min(r.deadline)));
        }
        t
    }

    /// A new member joins the round-robin at a random place among those not yet probed.
    pub fn add(&mut self, slot: Slot, rng: &mut impl Rng) {
        self.order.push(slot);
        let last = self.order.len() - 1;
        let at = rng.random_range(self.pos.min(last)..=last);
        self.order.swap(at, last);
    }

    /// Gives back the spare capacity a bulk load left (at 10,000 members in each of 10,000
    /// simulated engines, doubling growth wastes a quarter of a gigabyte).
    pub fn shrink(&mut self) {
        self.order.shrink_to_fit();
    }

    /// A member was removed from the table and the one in `moved_from` took its `slot`.
    pub fn removed(&mut self, slot: Slot, moved_from: Slot) {
        for s in &mut self.order {
            if *s == slot {
                *s = REMOVED;
            } else if *s == moved_from {
                *s = slot;
            }
        }
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }
}

impl Engine {
    /// Runs the probe timers due at `now`.
    pub(crate) fn probe_timers(&mut self, now: Instant) {
        self.expire_relays(now);
        let mut end = false;
        if let Some(p) = &self.probe.current {
            end = now >= p.end;
            if !end && !p.indirect_sent && now >= p.indirect_at {
                self.send_indirect_probes();
            }
        }
        if end {
            self.finish_probe(now, false);
        }
        if now >= self.probe.next_probe {
            if self.probing() {
                self.start_probe(now);
            } else {
                self.probe.next_probe = now + self.config.probe_interval;
            }
        }
    }

    /// Whether this node should probe at all (joined or not, it probes whoever it knows).
    pub(crate) fn probing(&self) -> bool {
        !self.left && self.members.len() > 1
    }

    fn start_probe(&mut self, now: Instant) {
        let timeout = self.awareness.scale(self.config.probe_timeout);
        let interval = self
            .awareness
            .scale(self.config.probe_interval)
            .max(timeout * 2);
        self.probe.next_probe = now + interval;
        let Some((slot, buddy)) = self.next_probe_target() else {
            return;
        };
        let m = self.members.get(slot);
        let (target, addr, generation) = (m.name.clone(), m.addr, m.generation);
        let seq = self.probe.next_seq();
        let mut first = vec![Message::Ping(Ping {
            seq,
            target: target.clone(),
        })];
        if self.config.lifeguard && m.state == State::Suspect {
            // Buddy system: tell the suspect directly, so it can refute at once.
            first.push(Message::Suspect(Suspect {
                name: target.clone(),
                generation,
                incarnation: m.incarnation,
                from: self.members.local().name.clone(),
            }));
        }
        self.probe.current = Some(Probe {
            target,
            generation,
            addr,
            seq,
            indirect_at: now + timeout,
            end: now + interval,
            indirect_sent: false,
            expected_nacks: 0,
            nacks: 0,
            buddy,
        });
        self.stats.probes += 1;
        self.send_datagram(addr, &first);
    }

    /// The next member to probe. With Lifeguard, every other probe goes to a member this
    /// node suspects, if any: the ping carries the suspicion (buddy system), so a suspect that
    /// never heard of it (news lost, or raised across a partition since healed) can refute in
    /// time. Otherwise the next live member of the shuffled round-robin.
    /// Returns the slot and whether it was chosen as a suspect.
    fn next_probe_target(&mut self) -> Option<(Slot, bool)> {
        if self.config.lifeguard && self.suspicions.len() > 0 && self.rng.random_ratio(1, 2) {
            let nth = self.rng.random_range(0..self.suspicions.len());
            if let Some(slot) = self
                .suspicions
                .nth_name(nth)
                .and_then(|name| self.members.slot(name.as_str()))
                .filter(|&s| self.members.get(s).state == State::Suspect)
            {
                return Some((slot, true));
            }
        }
        self.next_round_robin_target().map(|slot| (slot, false))
    }

    /// The next live member in the shuffled round-robin; reshuffles after a full pass.
    fn next_round_robin_target(&mut self) -> Option<Slot> {
        for _ in 0..2 {
            while self.probe.pos < self.probe.order.len() {
                let slot = self.probe.order[self.probe.pos];
                self.probe.pos += 1;
                if slot != REMOVED
                    && (slot as usize) < self.members.len()
                    && slot != 0
                    && self.members.get(slot).state.is_live()
                {
                    return Some(slot);
                }
            }
            self.probe.order.clear();
            self.probe.order.extend(1..self.members.len() as Slot);
            self.probe.order.shuffle(&mut self.rng);
            self.probe.pos = 0;
        }
        None
    }

    fn send_indirect_probes(&mut self) {
        let Some(p) = &mut self.probe.current else {
            return;
        };
        p.indirect_sent = true;
        let (target, addr, seq) = (p.target.clone(), p.addr, p.seq);
        let k = self.config.indirect_checks as usize;
        let helpers = self.random_members(k, |m| m.state == State::Alive && m.name != target);
        let want_nack = self.config.lifeguard;
        if let Some(p) = &mut self.probe.current {
            p.expected_nacks = if want_nack { helpers.len() as u32 } else { 0 };
        }
        let msg = Message::IndirectPing(IndirectPing {
            seq,
            target,
            target_addr: addr,
            want_nack,
        });
        for slot in helpers {
            let helper = self.members.get(slot).addr;
            self.stats.indirect_probes += 1;
            self.send_datagram(helper, std::slice::from_ref(&msg));
        }
    }

    /// Ends the current probe. Lifeguard: success lowers the health score; failure raises it by
    /// the nacks that did not come (or by one without helpers).
    fn finish_probe(&mut self, now: Instant, acked: bool) {
        let Some(p) = self.probe.current.take() else {
            return;
        };
        if acked {
            self.probe.answered = p.seq;
            self.stats.acks += 1;
            self.awareness.apply(-1);
            return;
        }
        self.stats.probe_failures += 1;
        let delta = if p.expected_nacks > 0 {
            p.expected_nacks.saturating_sub(p.nacks) as i32
        } else {
            1
        };
        self.awareness.apply(delta);
        if p.buddy {
            return;
        }
        // Suspect the target, unless it changed (restarted, refuted, left) meanwhile.
        let Some(m) = self.members.by_name(p.target.as_str()) else {
            return;
        };
        if m.generation != p.generation || !m.state.is_live() {
            return;
        }
        let update = Update::suspect(
            m.name.clone(),
            m.generation,
            m.incarnation,
            self.members.local().name.clone(),
        );
        self.apply(now, update, Via::Local);
    }

    /// Someone pings us: answer if we are the one meant.
    pub(crate) fn on_ping(&mut self, from: SocketAddr, ping: &Ping) {
        if ping.target != self.members.local().name {
            self.stats.drop_input("misdirected");
            return;
        }
        self.send_datagram(from, &[Message::Ack(Ack { seq: ping.seq })]);
    }

    /// Someone asks us to probe a member for them.
    pub(crate) fn on_indirect_ping(&mut self, now: Instant, from: SocketAddr, req: &IndirectPing) {
        if self.probe.relays.len() >= MAX_RELAYS {
            self.stats.drop_input("relay_overflow");
            return;
        }
        let seq = self.probe.next_seq();
        self.probe.relays.push_back(Relay {
            seq,
            requester: from,
            their_seq: req.seq,
            deadline: now + self.config.probe_timeout.mul_f64(NACK_AFTER),
            want_nack: req.want_nack,
        });
        let ping = Message::Ping(Ping {
            seq,
            target: req.target.clone(),
        });
        self.send_datagram(req.target_addr, &[ping]);
    }

    /// An ack: for our probe, or for a relay we run for someone else.
    pub(crate) fn on_ack(&mut self, now: Instant, ack: Ack) {
        if self
            .probe
            .current
            .as_ref()
            .is_some_and(|p| p.seq == ack.seq)
        {
            self.finish_probe(now, true);
            return;
        }
        if let Some(i) = self.probe.relays.iter().position(|r| r.seq == ack.seq) {
            if let Some(r) = self.probe.relays.remove(i) {
                let reply = Message::Ack(Ack { seq: r.their_seq });
                self.send_datagram(r.requester, &[reply]);
            }
            return;
        }
        if ack.seq != self.probe.answered {
            self.stats.drop_input("late_ack");
        }
    }

    /// A helper could not reach our target either.
    pub(crate) fn on_nack(&mut self, nack: Nack) {
        match &mut self.probe.current {
            Some(p) if p.seq == nack.seq => {
                p.nacks += 1;
                self.stats.nacks += 1;
            }
            _ if nack.seq == self.probe.answered => {} // another helper, after the ack
            _ => self.stats.drop_input("late_nack"),
        }
    }

    /// Relays whose target did not answer in time: nack the requester if it asked.
    fn expire_relays(&mut self, now: Instant) {
        while self.probe.relays.front().is_some_and(|r| r.deadline <= now) {
            let Some(r) = self.probe.relays.pop_front() else {
                break;
            };
            if r.want_nack {
                self.send_datagram(r.requester, &[Message::Nack(Nack { seq: r.their_seq })]);
            }
        }
    }
}
