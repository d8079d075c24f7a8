//! Judging claims about members (see [`crate::update`]): whether news changes the table, what
//! event that is, whether it is passed on; refutation of claims about this node; forgetting
//! dead members when their time is up.

use std::time::Instant;

use super::Engine;
use crate::event::{EventKind, Via};
use crate::member::{Draft, empty_meta, share_if_empty};
use crate::stats::DropReason;
use crate::suspicion::Bounds;
use crate::update::{Spread, Tombstone, Update};
use crate::wire::{Dead, State};

impl Engine {
    /// Checks a claim about a member against the table and applies it if it wins, passing
    /// the news on by gossip.
    pub(super) fn apply(&mut self, now: Instant, u: Update, via: Via) {
        self.apply_with(now, u, via, Spread::Everything);
    }

    /// As [`Engine::apply`]; `spread` says whether a member learned for the first time is
    /// gossiped (see [`Spread`]).
    pub(super) fn apply_with(&mut self, now: Instant, u: Update, via: Via, spread: Spread) {
        if u.name == self.members.local().name {
            self.about_self(now, u);
            return;
        }
        let Some(slot) = self.members.slot(u.name.as_str()) else {
            self.learn(now, u, via, spread);
            return;
        };
        let old = self.members.get(slot);
        let (old_state, old_generation) = (old.state, old.generation);
        if let Err(reason) = u.plausible_against(old.version()) {
            self.stats.refuse(reason);
            return;
        }
        if !u.version().supersedes(old.version()) {
            let same = u.generation == old.generation && u.incarnation == old.incarnation;
            // Another accuser of a suspect we already suspect: an independent confirmation.
            if same
                && u.state == State::Suspect
                && old_state == State::Suspect
                && let Some(accuser) = &u.accuser
                && self
                    .suspicions
                    .confirm(&u.name, u.generation, u.incarnation, accuser)
            {
                self.queue_news(&u.name, Some(accuser.clone()));
            }
            return;
        }
        // Suspicion only applies to members believed live: a tombstone is not "suspected".
        if u.state == State::Suspect && !old_state.is_live() {
            return;
        }
        let kind = match (old_state, u.state) {
            (_, State::Alive) if u.generation != old_generation => EventKind::Up,
            (State::Dead | State::Left, State::Alive) => EventKind::Up,
            (State::Suspect, State::Alive) => EventKind::Recovered,
            (_, State::Alive) => EventKind::Updated,
            (_, State::Suspect) => EventKind::Suspect,
            (_, State::Dead) => EventKind::Down,
            (_, State::Left) => EventKind::Left,
        };
        let restarted = u.generation != old_generation;
        self.members.update(slot, |m| {
            if m.state != u.state || restarted {
                m.since = now;
            }
            m.generation = u.generation;
            m.incarnation = u.incarnation;
            m.state = u.state;
            if let Some(addr) = u.addr {
                m.addr = addr;
            }
            if let Some(meta) = &u.meta {
                m.meta = share_if_empty(meta.clone());
            }
        });
        let mut confirmations = u.confirmations;
        if u.state == State::Suspect {
            if via == Via::Local {
                self.stats.suspicions += 1;
            }
            let mut bounds = Bounds::for_cluster(
                self.members.live(),
                self.config.probe_interval,
                self.config.suspicion_mult.get(),
                self.config.suspicion_max_timeout_mult.get(),
                self.config.lifeguard,
            );
            if u.decided_elsewhere {
                bounds.expected = 0; // no confirmations to wait for: the shortest timeout
            }
            let accuser = u
                .accuser
                .clone()
                .unwrap_or_else(|| self.members.local().name.clone());
            self.suspicions
                .start(&u.name, u.generation, u.incarnation, accuser, now, bounds);
        } else {
            confirmations = confirmations.max(self.suspicions.confirmations(u.name.as_str()));
            self.suspicions.remove(u.name.as_str());
        }
        if !u.state.is_live() || restarted {
            // The state of a member that is gone, or of its previous start, goes with it.
            self.forget_state_of(&u.name);
        }
        if !u.state.is_live() {
            self.tombstones.push(Tombstone {
                expires: now + self.config.dead_retention,
                name: u.name.clone(),
                generation: u.generation,
                incarnation: u.incarnation,
            });
        }
        let cause = self.cause(via, u.accuser.clone(), confirmations);
        self.emit(now, kind, slot, cause);
        self.queue_news(&u.name, u.accuser);
    }

    /// A member not in the table: only an alive claim with an address can add it.
    fn learn(&mut self, now: Instant, u: Update, via: Via, spread: Spread) {
        let (State::Alive, Some(addr)) = (u.state, u.addr) else {
            return;
        };
        let slot = self.members.insert(Draft {
            name: u.name.clone(),
            addr,
            meta: u.meta.map_or_else(empty_meta, share_if_empty),
            generation: u.generation,
            incarnation: u.incarnation,
            state: State::Alive,
            since: now,
        });
        self.probe.add(slot, &mut self.rng);
        let cause = self.cause(via, None, 0);
        self.emit(now, EventKind::Up, slot, cause);
        if spread == Spread::Everything {
            self.queue_news(&u.name, None);
        }
    }

    /// A claim about this node itself: refute suspicion and death of the current generation.
    fn about_self(&mut self, now: Instant, u: Update) {
        if self.left {
            return;
        }
        let me = self.members.local();
        if let Err(reason) = u.plausible_against(me.version()) {
            self.stats.refuse(reason);
            return;
        }
        if u.generation > me.generation {
            // Another process runs under our name and started later than us.
            self.stats.refuse(DropReason::NameConflict);
            return;
        }
        if u.generation < me.generation {
            // News about an earlier start of ours: make sure our current record spreads.
            if !u.state.is_live() || u.state == State::Suspect {
                let name = me.name.clone();
                self.queue_news(&name, None);
            }
            return;
        }
        let contested = match u.state {
            State::Alive => u.incarnation > me.incarnation,
            _ => u.incarnation >= me.incarnation,
        };
        if !contested {
            return;
        }
        let incarnation = u.incarnation.saturating_add(1);
        self.members.update(0, |m| m.incarnation = incarnation);
        self.awareness.apply(1);
        self.stats.refutations += 1;
        let name = self.members.local().name.clone();
        let cause = self.cause(Via::Local, u.accuser, 0);
        self.emit(now, EventKind::Refuted, 0, cause);
        self.queue_news(&name, None);
    }

    /// Timer [`crate::timer::Timer::Suspicion`]: suspicions that ran out become death
    /// verdicts.
    pub(super) fn suspicion_timer(&mut self, now: Instant) {
        while let Some(e) = self.suspicions.pop_expired(now) {
            let Some(m) = self.members.by_name(e.name.as_str()) else {
                continue;
            };
            if m.state != State::Suspect
                || m.generation != e.generation
                || m.incarnation != e.incarnation
            {
                continue;
            }
            self.stats.deaths_declared += 1;
            let me = self.members.local().name.clone();
            let mut u = Update::dead(Dead {
                name: e.name,
                generation: e.generation,
                incarnation: e.incarnation,
                from: me,
            });
            u.confirmations = e.confirmations;
            self.apply(now, u, Via::Local);
        }
    }

    /// Timer [`crate::timer::Timer::Tombstone`]: forgets dead and left members whose retention
    /// ran out.
    pub(super) fn tombstone_timer(&mut self, now: Instant) {
        while let Some(t) = self.tombstones.pop_expired(now) {
            let Some(slot) = self.members.slot(t.name.as_str()) else {
                continue;
            };
            let m = self.members.get(slot);
            if slot == 0
                || m.state.is_live()
                || m.generation != t.generation
                || m.incarnation != t.incarnation
            {
                continue;
            }
            if m.state == State::Dead {
                self.lost
                    .remember(m.addr, now + self.config.reconnect_timeout);
            }
            let cause = self.cause(Via::Local, None, 0);
            self.emit(now, EventKind::Removed, slot, cause);
            let moved_from = self.members.remove(slot);
            self.probe.removed(slot, moved_from);
            // News about the member seen before it was forgotten would add it back now (its
            // side of a healed partition vouching for it): it must not be skipped as old.
            self.seen.clear();
        }
    }
}
