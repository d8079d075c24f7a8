//! Probing as the engine runs it: the probe cycle's timers and the ping, indirect ping, ack
//! and nack handlers. The protocol is described in [`crate::probe`], whose [`Prober`] keeps
//! the cycle's state.

use std::net::SocketAddr;
use std::time::Instant;

use rand::Rng;

use super::Engine;
use crate::event::Via;
use crate::member::Slot;
use crate::probe::{Answer, NACK_AFTER, Phase, Probing, Target};
use crate::stats::DropReason;
use crate::update::Update;
use crate::wire::{Ack, IndirectPing, Message, Nack, Ping, State, Suspect};

impl Engine {
    /// Whether this node probes at all (joined or not, it probes whoever it knows).
    pub(super) fn probing(&self) -> Probing {
        if !self.left && self.members.len() > 1 {
            Probing::On
        } else {
            Probing::Off
        }
    }

    /// Timer [`crate::timer::Timer::ProbePhase`]: the indirect phase, or the end, of the
    /// probe under way.
    pub(super) fn probe_phase_timer(&mut self, now: Instant) {
        match self.probe.phase_due(now) {
            Phase::Waiting => {}
            Phase::Indirect => self.send_indirect_probes(),
            Phase::End => self.finish_probe(now, false),
        }
    }

    /// Timer [`crate::timer::Timer::Probe`]: the next probe period begins.
    pub(super) fn probe_timer(&mut self, now: Instant) {
        if !self.probe.probe_due(now) {
            return;
        }
        if self.probing() == Probing::On {
            self.start_probe(now);
        } else {
            self.probe
                .schedule_next_probe(now + self.config.probe_interval);
        }
    }

    /// Timer [`crate::timer::Timer::Relay`]: relays whose target did not answer in time;
    /// nack the requester if it asked.
    pub(super) fn relay_timer(&mut self, now: Instant) {
        while let Some(r) = self.probe.pop_expired_relay(now) {
            if r.want_nack {
                self.send_datagram(r.requester, &[Message::Nack(Nack { seq: r.their_seq })]);
            }
        }
    }

    fn start_probe(&mut self, now: Instant) {
        let timeout = self.awareness.scale(self.config.probe_timeout);
        let interval = self
            .awareness
            .scale(self.config.probe_interval)
            .max(timeout * 2);
        self.probe.schedule_next_probe(now + interval);
        let Some((slot, buddy)) = self.next_probe_target() else {
            return;
        };
        let m = self.members.get(slot);
        let target = Target {
            name: m.name.clone(),
            generation: m.generation,
            addr: m.addr,
            buddy,
        };
        let mut suspicion = None;
        if self.config.lifeguard && m.state == State::Suspect {
            // Buddy system: tell the suspect directly, so it can refute at once.
            suspicion = Some(Message::Suspect(Suspect {
                name: m.name.clone(),
                generation: m.generation,
                incarnation: m.incarnation,
                from: self.members.local().name.clone(),
            }));
        }
        let (name, addr) = (target.name.clone(), target.addr);
        let seq = self.probe.start(target, now + timeout, now + interval);
        let mut first = vec![Message::Ping(Ping { seq, target: name })];
        first.extend(suspicion);
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
        self.probe
            .next_in_order(&self.members, &mut self.rng)
            .map(|slot| (slot, false))
    }

    fn send_indirect_probes(&mut self) {
        let Some((target, addr, seq)) = self.probe.begin_indirect() else {
            return;
        };
        let k = self.config.indirect_checks as usize;
        let helpers = self.members.random(&mut self.rng, k, |m| {
            m.state == State::Alive && m.name != target
        });
        let want_nack = self.config.lifeguard;
        self.probe
            .expect_nacks(if want_nack { helpers.len() as u32 } else { 0 });
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
        let Some(p) = self.probe.finish(acked) else {
            return;
        };
        if acked {
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
        if p.target.buddy {
            return;
        }
        // Suspect the target, unless it changed (restarted, refuted, left) meanwhile.
        let Some(m) = self.members.by_name(p.target.name.as_str()) else {
            return;
        };
        if m.generation != p.target.generation || !m.state.is_live() {
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
    pub(super) fn on_ping(&mut self, from: SocketAddr, ping: &Ping) {
        if ping.target != self.members.local().name {
            self.stats.refuse(DropReason::Misdirected);
            return;
        }
        self.send_datagram(from, &[Message::Ack(Ack { seq: ping.seq })]);
    }

    /// Someone asks us to probe a member for them.
    pub(super) fn on_indirect_ping(&mut self, now: Instant, from: SocketAddr, req: &IndirectPing) {
        let deadline = now + self.config.probe_timeout.mul_f64(NACK_AFTER);
        let Some(seq) = self
            .probe
            .start_relay(from, req.seq, deadline, req.want_nack)
        else {
            self.stats.refuse(DropReason::RelayOverflow);
            return;
        };
        let ping = Message::Ping(Ping {
            seq,
            target: req.target.clone(),
        });
        self.send_datagram(req.target_addr, &[ping]);
    }

    /// An ack: for our probe, or for a relay we run for someone else.
    pub(super) fn on_ack(&mut self, now: Instant, ack: Ack) {
        match self.probe.ack(ack.seq) {
            Answer::OurProbe => self.finish_probe(now, true),
            Answer::Relay {
                requester,
                their_seq,
            } => {
                let reply = Message::Ack(Ack { seq: their_seq });
                self.send_datagram(requester, &[reply]);
            }
            Answer::AfterAck => {}
            Answer::Stale => self.stats.refuse(DropReason::LateAck),
        }
    }

    /// A helper could not reach our target either.
    pub(super) fn on_nack(&mut self, nack: Nack) {
        match self.probe.nack(nack.seq) {
            Answer::OurProbe => self.stats.nacks += 1,
            Answer::Relay { .. } | Answer::AfterAck => {}
            Answer::Stale => self.stats.refuse(DropReason::LateNack),
        }
    }
}
