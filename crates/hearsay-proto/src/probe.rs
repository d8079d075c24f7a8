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

use crate::member::{Members, Slot};
use crate::name::Name;

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
    next_probe: Instant,
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
pub(crate) struct Probe {
    pub target: Target,
    seq: u32,
    indirect_at: Instant,
    end: Instant,
    indirect_sent: bool,
    /// Nacks the helpers were asked for.
    pub expected_nacks: u32,
    /// Nacks received.
    pub nacks: u32,
}

/// An indirect probe run on behalf of `requester`.
pub(crate) struct Relay {
    seq: u32,
    pub requester: SocketAddr,
    pub their_seq: u32,
    deadline: Instant,
    pub want_nack: bool,
}

/// Whether this node probes at all (it does once it knows another member, until it leaves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probing {
    On,
    Off,
}

/// What the current probe needs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Nothing yet (or no probe under way).
    Waiting,
    /// No ack within the probe timeout: ask helpers.
    Indirect,
    /// The probe period is over without an ack.
    End,
}

/// What an ack or a nack answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The probe under way.
    OurProbe,
    /// A relay run for `requester`, now done.
    Relay {
        requester: SocketAddr,
        their_seq: u32,
    },
    /// The last probe that was acked: another helper's answer, expected.
    AfterAck,
    /// Nothing under way: late or forged.
    Stale,
}

/// Who a probe is about.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub name: Name,
    pub generation: u64,
    pub addr: SocketAddr,
    /// Chosen because the target is suspect, to deliver the suspicion (buddy system): its
    /// failure is not another confirmation, or probing suspects often would shrink their
    /// timeouts on its own.
    pub buddy: bool,
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

    /// When the next probe starts, if this node probes at all.
    pub fn next_probe_deadline(&self, probing: Probing) -> Option<Instant> {
        (probing == Probing::On).then_some(self.next_probe)
    }

    /// Whether the next probe is due at `now`.
    pub fn probe_due(&self, now: Instant) -> bool {
        now >= self.next_probe
    }

    /// Sets when the next probe starts.
    pub fn schedule_next_probe(&mut self, at: Instant) {
        self.next_probe = at;
    }

    /// The current probe's next phase change: the indirect phase, then its end.
    pub fn phase_deadline(&self) -> Option<Instant> {
        self.current.as_ref().map(|p| {
            if p.indirect_sent {
                p.end
            } else {
                p.indirect_at
            }
        })
    }

    /// What the current probe needs at `now`.
    pub fn phase_due(&self, now: Instant) -> Phase {
        match &self.current {
            Some(p) if now >= p.end => Phase::End,
            Some(p) if !p.indirect_sent && now >= p.indirect_at => Phase::Indirect,
            _ => Phase::Waiting,
        }
    }

    /// Starts a probe of `target` and returns the sequence number of its ping.
    pub fn start(&mut self, target: Target, indirect_at: Instant, end: Instant) -> u32 {
        let seq = self.next_seq();
        self.current = Some(Probe {
            target,
            seq,
            indirect_at,
            end,
            indirect_sent: false,
            expected_nacks: 0,
            nacks: 0,
        });
        seq
    }

    /// Marks the current probe's indirect phase as begun; returns its target and sequence.
    pub fn begin_indirect(&mut self) -> Option<(Name, SocketAddr, u32)> {
        let p = self.current.as_mut()?;
        p.indirect_sent = true;
        Some((p.target.name.clone(), p.target.addr, p.seq))
    }

    /// How many nacks the current probe's helpers were asked for.
    pub fn expect_nacks(&mut self, n: u32) {
        if let Some(p) = &mut self.current {
            p.expected_nacks = n;
        }
    }

    /// Ends the current probe, acked or not; returns it.
    pub fn finish(&mut self, acked: bool) -> Option<Probe> {
        let p = self.current.take()?;
        if acked {
            self.answered = p.seq;
        }
        Some(p)
    }

    /// The next live member of the shuffled round-robin; reshuffles after a full pass.
    pub fn next_in_order(&mut self, members: &Members, rng: &mut impl Rng) -> Option<Slot> {
        for _ in 0..2 {
            while self.pos < self.order.len() {
                let slot = self.order[self.pos];
                self.pos += 1;
                if slot != REMOVED
                    && (slot as usize) < members.len()
                    && slot != 0
                    && members.get(slot).state.is_live()
                {
                    return Some(slot);
                }
            }
            self.order.clear();
            self.order.extend(1..members.len() as Slot);
            self.order.shuffle(rng);
            self.pos = 0;
        }
        None
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

    /// Starts an indirect probe for `requester`; returns the sequence number of our ping, or
    /// `None` when [`MAX_RELAYS`] are already under way.
    pub fn start_relay(
        &mut self,
        requester: SocketAddr,
        their_seq: u32,
        deadline: Instant,
        want_nack: bool,
    ) -> Option<u32> {
        if self.relays.len() >= MAX_RELAYS {
            return None;
        }
        let seq = self.next_seq();
        self.relays.push_back(Relay {
            seq,
            requester,
            their_seq,
            deadline,
            want_nack,
        });
        Some(seq)
    }

    /// The earliest deadline of the relays under way.
    pub fn relay_deadline(&self) -> Option<Instant> {
        self.relays.front().map(|r| r.deadline)
    }

    /// The next relay whose target did not answer by `now`, removed.
    pub fn pop_expired_relay(&mut self, now: Instant) -> Option<Relay> {
        if self.relays.front().is_some_and(|r| r.deadline <= now) {
            self.relays.pop_front()
        } else {
            None
        }
    }

    /// What an ack with `seq` answers.
    pub fn ack(&mut self, seq: u32) -> Answer {
        if self.current.as_ref().is_some_and(|p| p.seq == seq) {
            return Answer::OurProbe;
        }
        if let Some(i) = self.relays.iter().position(|r| r.seq == seq)
            && let Some(r) = self.relays.remove(i)
        {
            return Answer::Relay {
                requester: r.requester,
                their_seq: r.their_seq,
            };
        }
        if seq == self.answered {
            Answer::AfterAck
        } else {
            Answer::Stale
        }
    }

    /// Counts a nack with `seq`; says what it answers.
    pub fn nack(&mut self, seq: u32) -> Answer {
        match &mut self.current {
            Some(p) if p.seq == seq => {
                p.nacks += 1;
                Answer::OurProbe
            }
            _ if seq == self.answered => Answer::AfterAck,
            _ => Answer::Stale,
        }
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }
}
