//! The membership table: one record per known member, its precedence rules, and the live-set
//! digest kept in step with every change.
//!
//! Records live in a `Vec` (deterministic order, compact) with a name index beside it. This
//! node itself is always record 0. Dead and left members stay as tombstones until collected.

use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use foldhash::quality::FixedState;
use hashbrown::HashTable;

use crate::digest::Digest;
use crate::event::MemberView;
use crate::name::Name;
use rand::Rng;
use rand::seq::IndexedRandom;

use crate::intern::{Record, Sharing};
use crate::wire::{MemberState, Meta, State};

/// Index of a member in the table. Stable until a member is removed (tombstone collection),
/// which moves the last record into the freed slot.
pub(crate) type Slot = u32;

/// One member as this node knows it: a shared, immutable [`Record`] (see [`crate::intern`])
/// plus what this node believes about it. 16 bytes per member per node.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    record: Arc<Record>,
    /// When this node saw the current state begin, in [`TICK`]s since the table's epoch.
    since: u32,
    pub state: State,
}

/// Resolution of [`Member`]'s `since`: 100 ms, so a `u32` spans 13 years.
const TICK: Duration = Duration::from_millis(100);

impl Deref for Member {
    type Target = Record;
    fn deref(&self) -> &Record {
        &self.record
    }
}

/// A member's fields, owned, for inserting and changing records.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub name: Name,
    pub addr: SocketAddr,
    pub meta: Meta,
    pub generation: u64,
    pub incarnation: u32,
    pub state: State,
    pub since: Instant,
}

impl Member {
    /// The version triple that decides which of two records about a member wins.
    pub fn version(&self) -> Version {
        Version {
            generation: self.generation,
            incarnation: self.incarnation,
            state: self.state,
        }
    }

    /// When its state began, in ticks (compare with [`Members::ticks`]).
    pub fn since_ticks(&self) -> u32 {
        self.since
    }

    pub fn to_wire(&self) -> MemberState {
        MemberState {
            name: self.name.clone(),
            addr: self.addr,
            generation: self.generation,
            incarnation: self.incarnation,
            state: self.state,
            meta: self.meta.clone(),
        }
    }
}

/// What a claim about a member asserts, for precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Version {
    pub generation: u64,
    pub incarnation: u32,
    pub state: State,
}

impl Version {
    /// Whether a claim at `self` replaces what is known at `old`.
    ///
    /// A newer generation (a new start of the node) always wins; an older one never does.
    /// Within a generation a higher incarnation wins whatever the states (that is how a live
    /// node refutes suspicion or a false death), and at equal incarnation the graver state wins:
    /// left > dead > suspect > alive.
    pub fn supersedes(self, old: Version) -> bool {
        (self.generation, self.incarnation, self.state)
            > (old.generation, old.incarnation, old.state)
    }
}

/// The one shared empty metadata value: most members carry none, and an `Arc<[u8]>` per
/// member per node adds up in a 10,000-node simulation.
pub(crate) fn empty_meta() -> Meta {
    static EMPTY: OnceLock<Meta> = OnceLock::new();
    EMPTY.get_or_init(|| Arc::from(&[][..])).clone()
}

/// Replaces an empty metadata value by the shared one.
pub(crate) fn share_if_empty(meta: Meta) -> Meta {
    if meta.is_empty() { empty_meta() } else { meta }
}

/// All known members.
pub(crate) struct Members {
    /// Time zero of the members' `since` ticks.
    epoch: Instant,
    list: Vec<Member>,
    /// Name -> slot; stores only the slot (names live in `list`), 4 bytes per entry.
    index: HashTable<Slot>,
    hasher: FixedState,
    digest: Digest,
    alive: usize,
    /// Where records are interned.
    sharing: Sharing,
}

impl Members {
    /// A table holding only this node, alive.
    pub fn new(local: Draft, hash_seed: u64, capacity: usize, sharing: Sharing) -> Members {
        let mut members = Members {
            sharing,
            epoch: local.since,
            list: Vec::with_capacity(capacity),
            index: HashTable::with_capacity(capacity),
            hasher: FixedState::with_seed(hash_seed),
            digest: Digest::default(),
            alive: 0,
        };
        members.insert(local);
        members
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Members alive or suspect, this node included.
    pub fn live(&self) -> usize {
        self.digest.live() as usize
    }

    /// Members alive (not suspect), this node included.
    pub fn alive(&self) -> usize {
        self.alive
    }

    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    pub fn slot(&self, name: &str) -> Option<Slot> {
        let list = &self.list;
        self.index
            .find(self.hasher.hash_one(name), |&s| {
                list[s as usize].name.as_str() == name
            })
            .copied()
    }

    pub fn get(&self, slot: Slot) -> &Member {
        &self.list[slot as usize]
    }

    pub fn by_name(&self, name: &str) -> Option<&Member> {
        self.slot(name).map(|s| self.get(s))
    }

    pub fn local(&self) -> &Member {
        &self.list[0]
    }

    pub fn iter(&self) -> impl Iterator<Item = &Member> {
        self.list.iter()
    }

    /// Up to `k` distinct random members other than this node that satisfy `accept`: the
    /// peer choice behind probes, gossip, syncs and store pushes.
    pub fn random(
        &self,
        rng: &mut impl Rng,
        k: usize,
        accept: impl Fn(&Member) -> bool,
    ) -> Vec<Slot> {
        let n = self.len();
        if n <= 1 || k == 0 {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(k);
        if n > 4 * k + 16 {
            // Large table: sample, with a bounded number of tries.
            for _ in 0..(8 * k + 32) {
                let slot = rng.random_range(1..n) as Slot;
                if !out.contains(&slot) && accept(self.get(slot)) {
                    out.push(slot);
                    if out.len() == k {
                        return out;
                    }
                }
            }
        }
        let candidates: Vec<Slot> = (1..n as Slot)
            .filter(|s| !out.contains(s) && accept(self.get(*s)))
            .collect();
        let missing = k - out.len();
        out.extend(candidates.choose_multiple(rng, missing).copied());
        out
    }

    /// Interns `records` in one go (a bulk load); see [`Members::insert_shared`].
    pub fn intern_all(&self, records: impl IntoIterator<Item = Record>) -> Vec<Arc<Record>> {
        self.sharing.intern_all(records)
    }

    /// Adds a member not yet known; returns its slot.
    pub fn insert(&mut self, draft: Draft) -> Slot {
        let member = self.build(draft);
        self.push(member)
    }

    /// Adds a member not yet known from an already shared record; returns its slot.
    pub fn insert_shared(&mut self, record: Arc<Record>, state: State, since: Instant) -> Slot {
        let member = Member {
            record,
            since: self.ticks(since),
            state,
        };
        self.push(member)
    }

    fn push(&mut self, member: Member) -> Slot {
        debug_assert!(self.slot(member.name.as_str()).is_none());
        let slot = self.list.len() as Slot;
        account(&mut self.digest, &mut self.alive, &member, true);
        let (list, hasher) = (&self.list, &self.hasher);
        let hash = hasher.hash_one(member.name.as_str());
        self.index.insert_unique(hash, slot, |&s| {
            hasher.hash_one(list[s as usize].name.as_str())
        });
        self.list.push(member);
        slot
    }

    /// Changes a member through `change`, keeping the digest and counters right. A new
    /// shared record is taken only when the version, address or metadata changed.
    pub fn update(&mut self, slot: Slot, change: impl FnOnce(&mut Draft)) {
        let mut draft = self.draft(slot);
        change(&mut draft);
        let old = &self.list[slot as usize];
        let same = draft.addr == old.addr
            && draft.generation == old.generation
            && draft.incarnation == old.incarnation
            && Arc::ptr_eq(&draft.meta, &old.meta);
        let member = if same {
            Member {
                record: old.record.clone(),
                since: self.ticks(draft.since),
                state: draft.state,
            }
        } else {
            self.build(draft)
        };
        account(
            &mut self.digest,
            &mut self.alive,
            &self.list[slot as usize],
            false,
        );
        account(&mut self.digest, &mut self.alive, &member, true);
        self.list[slot as usize] = member;
    }

    /// A member's fields, owned.
    fn draft(&self, slot: Slot) -> Draft {
        let m = &self.list[slot as usize];
        Draft {
            name: m.name.clone(),
            addr: m.addr,
            meta: m.meta.clone(),
            generation: m.generation,
            incarnation: m.incarnation,
            state: m.state,
            since: self.since(m),
        }
    }

    fn build(&self, d: Draft) -> Member {
        let record = self.sharing.intern(Record {
            name: d.name,
            addr: d.addr,
            meta: share_if_empty(d.meta),
            generation: d.generation,
            incarnation: d.incarnation,
        });
        Member {
            record,
            since: self.ticks(d.since),
            state: d.state,
        }
    }

    /// `at` in ticks since the epoch (saturating).
    pub fn ticks(&self, at: Instant) -> u32 {
        let t = at.saturating_duration_since(self.epoch).as_millis() / TICK.as_millis();
        u32::try_from(t).unwrap_or(u32::MAX)
    }

    /// When this node saw `m`'s current state begin (to the tick).
    pub fn since(&self, m: &Member) -> Instant {
        self.epoch + TICK * m.since
    }

    /// `m` as the public snapshot type.
    pub fn view(&self, m: &Member) -> MemberView {
        MemberView {
            name: m.name.clone(),
            addr: m.addr,
            generation: m.generation,
            incarnation: m.incarnation,
            state: m.state,
            meta: m.meta.clone(),
            since: self.since(m),
        }
    }

    /// Forgets a member. The last record moves into `slot`; returns that record's old slot
    /// (equal to `slot` when the removed one was last).
    pub fn remove(&mut self, slot: Slot) -> Slot {
        assert!(slot != 0, "the local node is never removed");
        let last = (self.list.len() - 1) as Slot;
        let hash = self.hasher.hash_one(self.list[slot as usize].name.as_str());
        if let Ok(entry) = self.index.find_entry(hash, |&s| s == slot) {
            entry.remove();
        }
        if slot != last {
            let hash = self.hasher.hash_one(self.list[last as usize].name.as_str());
            if let Some(s) = self.index.find_mut(hash, |&s| s == last) {
                *s = slot;
            }
        }
        let member = self.list.swap_remove(slot as usize);
        account(&mut self.digest, &mut self.alive, &member, false);
        last
    }
}

/// Adds or removes one record's share of the digest and the alive count.
fn account(digest: &mut Digest, alive: &mut usize, m: &Member, adding: bool) {
    if m.state.is_live() {
        digest.toggle(m.name.as_str(), m.generation, m.incarnation, adding);
    }
    if m.state == State::Alive {
        if adding {
            *alive += 1;
        } else {
            *alive -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, state: State, now: Instant) -> Draft {
        Draft {
            name: Name::new(name).unwrap(),
            addr: "127.0.0.1:1".parse().unwrap(),
            meta: Meta::from(&[][..]),
            generation: 1,
            incarnation: 0,
            state,
            since: now,
        }
    }

    #[test]
    fn precedence_prefers_generation_then_incarnation_then_gravity() {
        let v = |generation, incarnation, state| Version {
            generation,
            incarnation,
            state,
        };
        assert!(v(2, 0, State::Alive).supersedes(v(1, 9, State::Dead)));
        assert!(!v(1, 9, State::Alive).supersedes(v(2, 0, State::Alive)));
        assert!(v(1, 3, State::Alive).supersedes(v(1, 2, State::Dead)));
        assert!(v(1, 2, State::Suspect).supersedes(v(1, 2, State::Alive)));
        assert!(!v(1, 2, State::Alive).supersedes(v(1, 2, State::Suspect)));
        assert!(!v(1, 2, State::Alive).supersedes(v(1, 2, State::Alive)));
    }

    #[test]
    fn digest_and_counters_follow_updates_and_removals() {
        let now = crate::test_epoch();
        let mut t = Members::new(member("a", State::Alive, now), 7, 4, Sharing::per_engine());
        let b = t.insert(member("b", State::Alive, now));
        t.insert(member("c", State::Alive, now));
        assert_eq!((t.live(), t.alive()), (3, 3));
        t.update(b, |m| m.state = State::Suspect);
        assert_eq!((t.live(), t.alive()), (3, 2));
        t.update(b, |m| m.state = State::Dead);
        assert_eq!((t.live(), t.alive()), (2, 2));
        let moved = t.remove(b);
        assert_eq!(moved, 2);
        assert_eq!(t.slot("c"), Some(1));
        assert_eq!(t.slot("b"), None);
        let mut expect = Digest::default();
        expect.toggle("a", 1, 0, true);
        expect.toggle("c", 1, 0, true);
        assert_eq!(t.digest().root(), expect.root());
    }
}
