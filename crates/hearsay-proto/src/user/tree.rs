//! The broadcast tree: this node's tree neighbours, which links push payloads (eager) and
//! which only announce them (lazy), the announcements waiting to go out, and the messages
//! announced but not yet received.
//!
//! Links are symmetric: this node opens `tree_degree` of its own (to random live members, via
//! the peer-sampling seam in `engine/broadcasting.rs`) and accepts links others open to it, up
//! to `tree_max_degree`. Every link starts eager. A duplicate payload over an eager link turns
//! it lazy at both ends (`Prune`); an announcement of a message that then does not arrive in
//! time turns the announcer's link eager again (`Graft`), which repairs the tree.
//!
//! One tree serves every sender. What keeps it stable with many senders is that a link is
//! pruned only by the node that received the duplicate, and only when that node has another
//! eager link left: two nodes pruning different links of one cycle at the same time can then
//! cut a branch off only briefly, and the first missed message grafts it back.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::model::MsgId;
use crate::name::Name;

/// Announcers remembered per missing message.
const MAX_ANNOUNCERS: usize = 4;
/// Announcements waiting per link, at most (a burst beyond it is shed; repair covers it).
const MAX_WAITING_ANNOUNCEMENTS: usize = 4096;

/// One tree link.
#[derive(Debug)]
pub(crate) struct Link {
    pub name: Name,
    pub addr: SocketAddr,
    /// Pushes payloads (else announces them).
    pub eager: bool,
    /// Opened by this node (counts toward `tree_degree`).
    pub chosen: bool,
    /// Announcements waiting to go out on this link.
    ihave: Vec<(MsgId, u32)>,
}

/// A message announced to this node but not received.
#[derive(Debug)]
struct Missing {
    /// Who announced it (the next to graft from first), with the hop count they had it at.
    announcers: Vec<(SocketAddr, u32)>,
    /// When to graft (or graft again from the next announcer).
    due: Instant,
}

pub(crate) struct Tree {
    links: Vec<Link>,
    degree: usize,
    max_degree: usize,
    missing: BTreeMap<MsgId, Missing>,
    max_missing: usize,
    graft_timeout: Duration,
    /// When the waiting announcements go out.
    flush_due: Option<Instant>,
    flush_interval: Duration,
}

/// What happened when a link was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Linked {
    /// It exists (now or already).
    Yes,
    /// No room: the peer should be told to drop it.
    Full,
}

impl Tree {
    pub fn new(
        degree: usize,
        max_degree: usize,
        graft_timeout: Duration,
        flush_interval: Duration,
    ) -> Tree {
        Tree {
            links: Vec::new(),
            degree,
            max_degree: max_degree.max(degree),
            missing: BTreeMap::new(),
            max_missing: 4096,
            graft_timeout,
            flush_due: None,
            flush_interval,
        }
    }

    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// How many more links this node should open.
    pub fn wanted(&self) -> usize {
        let chosen = self.links.iter().filter(|l| l.chosen).count();
        self.degree.saturating_sub(chosen)
    }

    pub fn has(&self, addr: SocketAddr) -> bool {
        self.index(addr).is_some()
    }

    fn index(&self, addr: SocketAddr) -> Option<usize> {
        self.links.iter().position(|l| l.addr == addr)
    }

    /// Opens or accepts a link (eager). A chosen link may exceed `max_degree` by nothing; an
    /// accepted one is refused when full.
    pub fn link(&mut self, name: Name, addr: SocketAddr, chosen: bool) -> Linked {
        if let Some(i) = self.index(addr) {
            let l = &mut self.links[i];
            l.eager = true;
            l.chosen |= chosen;
            return Linked::Yes;
        }
        if self.links.len() >= self.max_degree {
            return Linked::Full;
        }
        self.links.push(Link {
            name,
            addr,
            eager: true,
            chosen,
            ihave: Vec::new(),
        });
        Linked::Yes
    }

    /// Drops the link to `addr`; returns whether there was one.
    pub fn unlink(&mut self, addr: SocketAddr) -> bool {
        let before = self.links.len();
        self.links.retain(|l| l.addr != addr);
        before != self.links.len()
    }

    /// Drops links to the member `name` (it died, left or moved).
    pub fn unlink_member(&mut self, name: &str) -> bool {
        let before = self.links.len();
        self.links.retain(|l| l.name.as_str() != name);
        before != self.links.len()
    }

    /// A duplicate payload arrived over the link to `addr`. Returns true when the link turned
    /// lazy (the caller sends `Prune`).
    pub fn duplicate_from(&mut self, addr: SocketAddr) -> bool {
        let eager_others = self
            .links
            .iter()
            .filter(|l| l.eager && l.addr != addr)
            .count();
        match self.index(addr) {
            Some(i) if self.links[i].eager && eager_others > 0 => {
                self.links[i].eager = false;
                true
            }
            _ => false,
        }
    }

    /// The peer at `addr` asked to be announced to rather than pushed to.
    pub fn pruned_by(&mut self, addr: SocketAddr) {
        if let Some(i) = self.index(addr) {
            self.links[i].eager = false;
        }
    }

    pub fn set_eager(&mut self, addr: SocketAddr) {
        if let Some(i) = self.index(addr) {
            self.links[i].eager = true;
        }
    }

    /// Eager links other than `except`.
    pub fn eager(&self, except: Option<SocketAddr>) -> impl Iterator<Item = SocketAddr> + '_ {
        self.links
            .iter()
            .filter(move |l| l.eager && Some(l.addr) != except)
            .map(|l| l.addr)
    }

    /// Queues an announcement of `id` (delivered at `hops`) on every lazy link but `except`.
    /// Returns how many were shed because a link's queue was full.
    pub fn announce(
        &mut self,
        now: Instant,
        id: &MsgId,
        hops: u32,
        except: Option<SocketAddr>,
    ) -> u64 {
        let mut any = false;
        let mut shed = 0;
        for l in &mut self.links {
            if !l.eager && Some(l.addr) != except {
                if l.ihave.len() >= MAX_WAITING_ANNOUNCEMENTS {
                    shed += 1;
                    continue;
                }
                l.ihave.push((id.clone(), hops));
                any = true;
            }
        }
        if any && self.flush_due.is_none() {
            self.flush_due = Some(now + self.flush_interval);
        }
        shed
    }

    pub fn flush_deadline(&self) -> Option<Instant> {
        self.flush_due
    }

    /// Takes every waiting announcement, per link.
    pub fn take_announcements(&mut self) -> Vec<(SocketAddr, Vec<(MsgId, u32)>)> {
        self.flush_due = None;
        self.links
            .iter_mut()
            .filter(|l| !l.ihave.is_empty())
            .map(|l| (l.addr, std::mem::take(&mut l.ihave)))
            .collect()
    }

    /// Takes the announcements waiting for `addr`, to ride on a datagram going there anyway.
    pub fn take_announcements_for(&mut self, addr: SocketAddr) -> Vec<(MsgId, u32)> {
        match self.index(addr) {
            Some(i) => std::mem::take(&mut self.links[i].ihave),
            None => Vec::new(),
        }
    }

    /// Returns announcements taken for `addr` but not sent, ahead of any queued since.
    pub fn put_back_announcements(&mut self, addr: SocketAddr, mut ids: Vec<(MsgId, u32)>) {
        if ids.is_empty() {
            return;
        }
        if let Some(i) = self.index(addr) {
            ids.append(&mut self.links[i].ihave);
            self.links[i].ihave = ids;
        }
    }

    /// Whether announcements wait for `addr`.
    pub fn announcements_for(&self, addr: SocketAddr) -> bool {
        self.index(addr)
            .is_some_and(|i| !self.links[i].ihave.is_empty())
    }

    /// `from` announced `id`, not received yet: graft after the timeout unless it arrives
    /// (at once when `now_due`). Returns false when the missing list is full.
    pub fn missing(
        &mut self,
        now: Instant,
        id: &MsgId,
        hops: u32,
        from: SocketAddr,
        now_due: bool,
    ) -> bool {
        if let Some(m) = self.missing.get_mut(id) {
            if m.announcers.len() < MAX_ANNOUNCERS && !m.announcers.iter().any(|a| a.0 == from) {
                m.announcers.push((from, hops));
            }
            return true;
        }
        if self.missing.len() >= self.max_missing {
            return false;
        }
        let due = if now_due {
            now
        } else {
            now + self.graft_timeout
        };
        self.missing.insert(
            id.clone(),
            Missing {
                announcers: vec![(from, hops)],
                due,
            },
        );
        true
    }

    /// Whether `id` was announced and is awaited (so a pulled copy answers a graft).
    pub fn is_missing(&self, id: &MsgId) -> bool {
        self.missing.contains_key(id)
    }

    /// The message arrived: stop waiting for it.
    pub fn received(&mut self, id: &MsgId) {
        self.missing.remove(id);
    }

    pub fn graft_deadline(&self) -> Option<Instant> {
        self.missing.values().map(|m| m.due).min()
    }

    /// Messages whose wait is over, each with the announcer to graft from now. Each is given
    /// `retry` before the next announcer is tried; one with no announcer left is given up.
    pub fn due_grafts(&mut self, now: Instant, retry: Duration) -> Vec<(MsgId, SocketAddr)> {
        let mut out = Vec::new();
        self.missing.retain(|id, m| {
            if m.due > now {
                return true;
            }
            if m.announcers.is_empty() {
                return false;
            }
            let (addr, _) = m.announcers.remove(0);
            out.push((id.clone(), addr));
            m.due = now + retry;
            true
        });
        out
    }

    #[cfg(test)]
    pub fn missing_len(&self) -> usize {
        self.missing.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(p: u16) -> SocketAddr {
        ([127, 0, 0, 1], p).into()
    }

    fn name(s: &str) -> Name {
        Name::new(s).unwrap()
    }

    fn id(seq: u64) -> MsgId {
        MsgId {
            origin: name("o"),
            generation: 1,
            seq,
        }
    }

    #[test]
    fn duplicates_prune_but_never_the_last_eager_link() {
        let mut t = Tree::new(2, 3, Duration::from_millis(100), Duration::from_millis(50));
        assert_eq!(t.link(name("a"), addr(1), true), Linked::Yes);
        assert_eq!(t.link(name("b"), addr(2), false), Linked::Yes);
        assert_eq!(t.wanted(), 1);
        assert!(t.duplicate_from(addr(1)));
        assert!(!t.duplicate_from(addr(2)), "the last eager link stays");
        assert_eq!(t.eager(None).collect::<Vec<_>>(), vec![addr(2)]);
        t.link(name("c"), addr(3), false);
        assert_eq!(t.link(name("d"), addr(4), false), Linked::Full);
    }

    #[test]
    fn announcements_batch_per_lazy_link() {
        let now = crate::test_epoch();
        let mut t = Tree::new(2, 3, Duration::from_millis(100), Duration::from_millis(50));
        t.link(name("a"), addr(1), true);
        t.link(name("b"), addr(2), true);
        t.pruned_by(addr(2));
        t.announce(now, &id(1), 1, None);
        t.announce(now, &id(2), 1, Some(addr(2)));
        assert_eq!(t.flush_deadline(), Some(now + Duration::from_millis(50)));
        let out = t.take_announcements();
        assert_eq!(out, vec![(addr(2), vec![(id(1), 1)])]);
        assert_eq!(t.flush_deadline(), None);
    }

    #[test]
    fn missing_messages_graft_from_each_announcer_in_turn() {
        let now = crate::test_epoch();
        let ms = Duration::from_millis;
        let mut t = Tree::new(2, 3, ms(100), ms(50));
        t.missing(now, &id(1), 2, addr(1), false);
        t.missing(now, &id(1), 3, addr(2), false);
        assert!(t.due_grafts(now + ms(99), ms(100)).is_empty());
        assert_eq!(t.due_grafts(now + ms(100), ms(100)), vec![(id(1), addr(1))]);
        assert_eq!(t.due_grafts(now + ms(200), ms(100)), vec![(id(1), addr(2))]);
        assert!(t.due_grafts(now + ms(300), ms(100)).is_empty());
        assert_eq!(t.missing_len(), 0, "given up with no announcer left");
        t.missing(now, &id(2), 1, addr(1), false);
        t.received(&id(2));
        assert_eq!(t.graft_deadline(), None);
    }
}
