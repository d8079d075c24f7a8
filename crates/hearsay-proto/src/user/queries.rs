//! Queries: the ones this node asked and is collecting answers to, and the ones it received
//! and may still answer.
//!
//! A query this node asked knows, from this node's view when it was sent, which members
//! should answer (alive, matching the filter). It ends as soon as each of them has responded
//! or died, or at its timeout, whichever comes first: nobody waits for a timeout when the
//! answers are all in. Until then, every `nudge_every` it nudges the members whose response
//! it lacks, and they send it again (a lost datagram costs one nudge interval, not the
//! query). Both tables are bounded.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::model::{MsgId, Payload, QuerySummary};
use crate::name::Name;

/// Where one expected member stands.
#[derive(Debug, Clone, Copy, Default)]
struct Expected {
    acked: bool,
    responded: bool,
    departed: bool,
    /// Answered though not expected (it joined later, or this node's view missed it).
    extra: bool,
}

/// A query this node asked.
pub(crate) struct Asked {
    started: Instant,
    deadline: Instant,
    nudge_at: Instant,
    nudge_every: Duration,
    expected: HashMap<Name, Expected>,
}

impl Asked {
    /// Every expected member responded or departed.
    fn complete(&self) -> bool {
        self.expected
            .values()
            .all(|e| e.extra || e.responded || e.departed)
    }
}

/// What an answer changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Noted {
    /// New: report it.
    New,
    /// Already had it (or from a member not asked): drop it.
    Duplicate,
    /// No such query (over, or never asked).
    Unknown,
}

/// A received query this node may still answer.
#[derive(Debug, Clone)]
pub(crate) struct Answerable {
    pub reply_to: SocketAddr,
    pub relay_factor: u8,
    pub deadline: Instant,
    pub responded: bool,
    /// The response, kept to send again when nudged (only a small one: a large one went
    /// over a reliable stream).
    pub kept: Option<Payload>,
}

pub(crate) struct Queries {
    asked: BTreeMap<u64, Asked>,
    max_asked: usize,
    answerable: HashMap<MsgId, Answerable>,
    answerable_order: VecDeque<MsgId>,
    max_answerable: usize,
}

impl Queries {
    pub fn new(max_asked: usize, max_answerable: usize) -> Queries {
        Queries {
            asked: BTreeMap::new(),
            max_asked,
            answerable: HashMap::new(),
            answerable_order: VecDeque::new(),
            max_answerable,
        }
    }

    /// Whether another query can be asked.
    pub fn room(&self) -> bool {
        self.asked.len() < self.max_asked
    }

    pub fn ask(
        &mut self,
        seq: u64,
        now: Instant,
        timeout: Duration,
        nudge_every: Duration,
        expected: Vec<Name>,
    ) {
        self.asked.insert(
            seq,
            Asked {
                started: now,
                deadline: now + timeout,
                nudge_at: now + nudge_every,
                nudge_every,
                expected: expected
                    .into_iter()
                    .map(|n| (n, Expected::default()))
                    .collect(),
            },
        );
    }

    /// Records an answer from `from` to query `seq` (`response` false = acknowledgement).
    pub fn note(&mut self, seq: u64, from: &Name, response: bool) -> Noted {
        let Some(q) = self.asked.get_mut(&seq) else {
            return Noted::Unknown;
        };
        let Some(e) = q.expected.get_mut(from) else {
            // Not expected: report it once, counted apart from the expected.
            let e = q.expected.entry(from.clone()).or_default();
            e.extra = true;
            if response {
                e.responded = true;
            } else {
                e.acked = true;
            }
            return Noted::New;
        };
        let seen = if response {
            &mut e.responded
        } else {
            &mut e.acked
        };
        if *seen {
            return Noted::Duplicate;
        }
        *seen = true;
        Noted::New
    }

    /// The member `name` died or left: no query waits for it any more.
    pub fn departed(&mut self, name: &str) {
        for q in self.asked.values_mut() {
            if let Some(e) = q.expected.get_mut(name)
                && !e.responded
            {
                e.departed = true;
            }
        }
    }

    /// Queries that are over at `now`: every expected member responded or departed, or the
    /// timeout passed. Removes them and returns their summaries.
    pub fn finished(&mut self, now: Instant) -> Vec<QuerySummary> {
        let done: Vec<u64> = self
            .asked
            .iter()
            .filter(|(_, q)| now >= q.deadline || q.complete())
            .map(|(&seq, _)| seq)
            .collect();
        done.into_iter()
            .filter_map(|seq| {
                let q = self.asked.remove(&seq)?;
                let complete = q.complete();
                let mut missing: Vec<Name> = q
                    .expected
                    .iter()
                    .filter(|(_, e)| !e.responded && !e.extra)
                    .map(|(n, _)| n.clone())
                    .collect();
                missing.sort();
                let counted =
                    |f: fn(&Expected) -> bool| q.expected.values().filter(|e| f(e)).count() as u32;
                Some(QuerySummary {
                    query: seq,
                    expected: counted(|e| !e.extra),
                    acks: counted(|e| e.acked),
                    responses: counted(|e| e.responded),
                    missing,
                    departed: counted(|e| !e.extra && e.departed && !e.responded),
                    timed_out: !complete,
                    elapsed: now.saturating_duration_since(q.started),
                })
            })
            .collect()
    }

    /// The next deadline or nudge.
    pub fn deadline(&self) -> Option<Instant> {
        self.asked
            .values()
            .map(|q| q.deadline.min(q.nudge_at))
            .min()
    }

    /// Queries due for a nudge at `now`, each with the expected members that have not
    /// responded (and did not depart).
    pub fn due_nudges(&mut self, now: Instant) -> Vec<(u64, Vec<Name>)> {
        let mut out = Vec::new();
        for (&seq, q) in &mut self.asked {
            if q.nudge_at > now || q.deadline <= now {
                continue;
            }
            q.nudge_at = now + q.nudge_every;
            let silent: Vec<Name> = q
                .expected
                .iter()
                .filter(|(_, e)| !e.responded && !e.departed && !e.extra)
                .map(|(n, _)| n.clone())
                .collect();
            if !silent.is_empty() {
                out.push((seq, silent));
            }
        }
        out
    }

    /// The received query `id`'s kept response, to send again when its origin nudges.
    pub fn kept(&self, id: &MsgId, now: Instant) -> Option<(SocketAddr, Payload)> {
        let a = self.answerable.get(id)?;
        if now > a.deadline {
            return None;
        }
        Some((a.reply_to, a.kept.clone()?))
    }

    /// Keeps the response to `id` for nudges.
    pub fn keep_response(&mut self, id: &MsgId, response: Payload) {
        if let Some(a) = self.answerable.get_mut(id) {
            a.kept = Some(response);
        }
    }

    /// Remembers a received query, so that the application can answer it until `deadline`.
    pub fn received(&mut self, id: MsgId, answerable: Answerable) {
        if self.answerable.len() >= self.max_answerable
            && let Some(old) = self.answerable_order.pop_front()
        {
            self.answerable.remove(&old);
        }
        self.answerable_order.push_back(id.clone());
        self.answerable.insert(id, answerable);
    }

    /// The received query `id`, if it can still be answered at `now`; marks it answered.
    pub fn answer(&mut self, id: &MsgId, now: Instant) -> Result<Answerable, AnswerError> {
        let a = self.answerable.get_mut(id).ok_or(AnswerError::Unknown)?;
        if now > a.deadline {
            return Err(AnswerError::Expired);
        }
        if a.responded {
            return Err(AnswerError::Answered);
        }
        a.responded = true;
        Ok(a.clone())
    }

    /// Forgets received queries whose deadline passed.
    pub fn expire(&mut self, now: Instant) {
        while let Some(id) = self.answerable_order.front() {
            match self.answerable.get(id) {
                Some(a) if a.deadline >= now => break,
                _ => {
                    if let Some(id) = self.answerable_order.pop_front() {
                        self.answerable.remove(&id);
                    }
                }
            }
        }
    }
}

/// Why a received query cannot be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnswerError {
    Unknown,
    Expired,
    Answered,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::new(s).unwrap()
    }

    #[test]
    fn done_as_soon_as_every_live_expected_member_responded() {
        let t0 = crate::test_epoch();
        let mut q = Queries::new(4, 4);
        q.ask(
            1,
            t0,
            Duration::from_secs(10),
            Duration::from_secs(1),
            vec![name("a"), name("b"), name("c")],
        );
        assert_eq!(q.note(1, &name("a"), false), Noted::New);
        assert_eq!(q.note(1, &name("a"), true), Noted::New);
        assert_eq!(q.note(1, &name("a"), true), Noted::Duplicate);
        assert_eq!(q.note(1, &name("b"), true), Noted::New);
        assert!(q.finished(t0).is_empty());
        assert_eq!(
            q.deadline(),
            Some(t0 + Duration::from_secs(1)),
            "a nudge is due first"
        );
        assert_eq!(
            q.due_nudges(t0 + Duration::from_secs(1)),
            vec![(1, vec![name("c")])],
            "only the silent one is nudged"
        );
        q.departed("c");
        let done = q.finished(t0 + Duration::from_millis(5));
        assert_eq!(done.len(), 1);
        let s = &done[0];
        assert!(!s.timed_out);
        assert_eq!((s.expected, s.acks, s.responses, s.departed), (3, 1, 2, 1));
        assert_eq!(s.missing, vec![name("c")]);
        assert_eq!(q.note(1, &name("c"), true), Noted::Unknown);
    }

    #[test]
    fn the_timeout_ends_a_query_with_the_silent_named() {
        let t0 = crate::test_epoch();
        let mut q = Queries::new(4, 4);
        q.ask(
            7,
            t0,
            Duration::from_secs(1),
            Duration::from_secs(2),
            vec![name("a"), name("b")],
        );
        q.note(7, &name("a"), true);
        assert_eq!(q.deadline(), Some(t0 + Duration::from_secs(1)));
        let s = q.finished(t0 + Duration::from_secs(1)).remove(0);
        assert!(s.timed_out);
        assert_eq!(s.missing, vec![name("b")]);
    }
}
