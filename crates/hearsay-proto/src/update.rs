//! Judging claims about members: whether news from gossip, a state transfer or this node's own
//! probing changes the table, what event that is, and whether it is passed on. Claims about
//! this node itself are refuted here; dead members are forgotten here when their time is up.

use std::net::SocketAddr;
use std::time::Instant;

use crate::Name;
use crate::engine::Engine;
use crate::event::{EventKind, Via};
use crate::member::{Draft, Version, empty_meta, share_if_empty};
use crate::suspicion::Bounds;
use crate::wire::{Alive, Dead, MemberState, Meta, State};

/// A dead or left member waiting to be forgotten.
pub(crate) struct Tombstone {
    pub expires: Instant,
    pub name: Name,
    pub generation: u64,
    pub incarnation: u32,
}

/// A claim about a member, from any source, before it is checked against the table.
#[derive(Debug, Clone)]
pub(crate) struct Update {
    pub name: Name,
    pub generation: u64,
    pub incarnation: u32,
    pub state: State,
    pub addr: Option<SocketAddr>,
    pub meta: Option<Meta>,
    /// Who suspected or declared it dead.
    pub accuser: Option<Name>,
    /// Confirmations behind a death verdict reached here.
    pub confirmations: u32,
    /// A suspicion standing in for a death verdict reached elsewhere (learned by state
    /// transfer): it runs the shortest suspicion timeout, long enough for a live member to
    /// hear of it and refute, without waiting for confirmations nobody will send.
    pub decided_elsewhere: bool,
}

impl Update {
    pub fn alive(a: Alive) -> Update {
        Update {
            name: a.name,
            generation: a.generation,
            incarnation: a.incarnation,
            state: State::Alive,
            addr: Some(a.addr),
            meta: Some(a.meta),
            accuser: None,
            confirmations: 0,
            decided_elsewhere: false,
        }
    }

    pub fn suspect(name: Name, generation: u64, incarnation: u32, from: Name) -> Update {
        Update {
            name,
            generation,
            incarnation,
            state: State::Suspect,
            addr: None,
            meta: None,
            accuser: Some(from),
            confirmations: 0,
            decided_elsewhere: false,
        }
    }

    pub fn dead(d: Dead) -> Update {
        let state = if d.is_leave() {
            State::Left
        } else {
            State::Dead
        };
        Update {
            name: d.name,
            generation: d.generation,
            incarnation: d.incarnation,
            state,
            addr: None,
            meta: None,
            accuser: Some(d.from),
            confirmations: 0,
            decided_elsewhere: false,
        }
    }

    /// From a state transfer; a suspect entry counts as alive (see `Engine::merge`).
    pub fn from_state(m: MemberState) -> Update {
        let state = if m.state == State::Suspect {
            State::Alive
        } else {
            m.state
        };
        let accuser = (m.state == State::Left).then(|| m.name.clone());
        Update {
            name: m.name,
            generation: m.generation,
            incarnation: m.incarnation,
            state,
            addr: Some(m.addr),
            meta: Some(m.meta),
            accuser,
            confirmations: 0,
            decided_elsewhere: false,
        }
    }

    pub(crate) fn version(&self) -> Version {
        Version {
            generation: self.generation,
            incarnation: self.incarnation,
            state: self.state,
        }
    }
}

impl Engine {
    /// Checks a claim about a member against the table and applies it if it wins, passing
    /// the news on by gossip.
    pub(crate) fn apply(&mut self, now: Instant, u: Update, via: Via) {
        self.apply_with(now, u, via, true);
    }

    /// As [`Engine::apply`]; `spread_new` says whether a member learned for the first time is
    /// gossiped. State transfers pass false: in a join wave they bring thousands of members that
    /// anti-entropy spreads by itself, and gossiping them all would swamp the queue. A change to
    /// a known member (a death, a refutation, an update) is always gossiped, whatever its
    /// source, so that its subject hears of it and can refute.
    pub(crate) fn apply_with(&mut self, now: Instant, u: Update, via: Via, spread_new: bool) {
        if u.name == self.members.local().name {
            self.about_self(now, u);
            return;
        }
        let Some(slot) = self.members.slot(u.name.as_str()) else {
            self.learn(now, u, via, spread_new);
            return;
        };
        let old = self.members.get(slot);
        let (old_state, old_generation) = (old.state, old.generation);
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
                self.broadcast(&u.name, Some(accuser.clone()));
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
            self.tombstones.push_back(Tombstone {
                expires: now + self.config.dead_retention,
                name: u.name.clone(),
                generation: u.generation,
                incarnation: u.incarnation,
            });
        }
        let cause = self.cause(via, u.accuser.clone(), confirmations);
        self.emit(now, kind, slot, cause);
        self.broadcast(&u.name, u.accuser);
    }

    /// A member not in the table: only an alive claim with an address can add it.
    fn learn(&mut self, now: Instant, u: Update, via: Via, spread: bool) {
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
        if spread {
            self.broadcast(&u.name, None);
        }
    }

    /// A claim about this node itself: refute suspicion and death of the current generation.
    fn about_self(&mut self, now: Instant, u: Update) {
        if self.left {
            return;
        }
        let me = self.members.local();
        if u.generation > me.generation {
            // Another process runs under our name and started later than us.
            self.stats.drop_input("name_conflict");
            return;
        }
        if u.generation < me.generation {
            // News about an earlier start of ours: make sure our current record spreads.
            if !u.state.is_live() || u.state == State::Suspect {
                let name = me.name.clone();
                self.broadcast(&name, None);
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
        self.broadcast(&name, None);
    }

    /// Forgets dead and left members whose retention ran out.
    pub(crate) fn collect_tombstones(&mut self, now: Instant) {
        while self.tombstones.front().is_some_and(|t| t.expires <= now) {
            let Some(t) = self.tombstones.pop_front() else {
                break;
            };
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
