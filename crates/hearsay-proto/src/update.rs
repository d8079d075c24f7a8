//! Judging claims about members: whether news from gossip, a state transfer or this node's own
//! probing changes the table, what event that is, and whether it is passed on. Claims about
//! this node itself are refuted here; dead members are forgotten here when their time is up.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use crate::member::Version;
use crate::name::Name;
use crate::stats::DropReason;
use crate::wire::{Alive, Dead, MemberState, Meta, State};

/// How far above the known incarnation of a member a claim may go. Honest news is at most a
/// few refutations or updates ahead of what a node knows; this leaves room for thousands.
pub(crate) const MAX_INCARNATION_STEP: u32 = 1 << 10;

/// A dead or left member waiting to be forgotten.
pub(crate) struct Tombstone {
    pub expires: Instant,
    pub name: Name,
    pub generation: u64,
    pub incarnation: u32,
}

/// Dead and left members in order of collection time.
#[derive(Default)]
pub(crate) struct Tombstones {
    queue: VecDeque<Tombstone>,
}

impl Tombstones {
    pub fn push(&mut self, t: Tombstone) {
        self.queue.push_back(t);
    }

    /// When the oldest is due.
    pub fn deadline(&self) -> Option<Instant> {
        self.queue.front().map(|t| t.expires)
    }

    /// The oldest, if due at `now`, removed.
    pub fn pop_expired(&mut self, now: Instant) -> Option<Tombstone> {
        if self.queue.front().is_some_and(|t| t.expires <= now) {
            self.queue.pop_front()
        } else {
            None
        }
    }
}

/// Whether a claim that wins is passed on by gossip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spread {
    /// Every change, members learned for the first time included.
    Everything,
    /// Changes to known members only: in a join wave, state transfers bring thousands of
    /// members that anti-entropy spreads by itself, and gossiping them all would swamp the
    /// queue. A change to a known member (a death, a refutation, an update) is always
    /// gossiped, whatever its source, so that its subject hears of it and can refute.
    ChangesOnly,
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

    /// Whether this claim is believable against `known`, this node's record of the member
    /// (`Err` says why not). A member's incarnation grows by one per refutation or update, and
    /// only the member raises it; a claim far above the known one (an incarnation of
    /// `u32::MAX`, say) would pin the member where its refutations can no longer win. A
    /// suspicion or death of a start of the member never seen alive (a newer generation than
    /// the known live one) would silence the member, which cannot answer for a start it is not.
    /// One message must never take a live member out: such claims are refused.
    pub fn plausible_against(&self, known: Version) -> Result<(), DropReason> {
        if self.generation > known.generation && self.state != State::Alive && known.state.is_live()
        {
            return Err(DropReason::ImplausibleGeneration);
        }
        if self.generation == known.generation
            && self.incarnation > known.incarnation.saturating_add(MAX_INCARNATION_STEP)
        {
            return Err(DropReason::ImplausibleIncarnation);
        }
        Ok(())
    }

    pub(crate) fn version(&self) -> Version {
        Version {
            generation: self.generation,
            incarnation: self.incarnation,
            state: self.state,
        }
    }
}
