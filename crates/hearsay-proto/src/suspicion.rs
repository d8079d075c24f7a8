//! Suspicion timers, with Lifeguard's dynamic timeout.
//!
//! A suspicion starts at the maximum timeout and shrinks toward the minimum as independent
//! confirmations (suspect messages from distinct other members) arrive:
//! `timeout = max(min, max - (max - min) * ln(c + 1) / ln(k + 1))` for `c` of the `k` expected
//! confirmations. A lone, possibly slow accuser thus waits long, while a member that many
//! find unreachable is declared dead quickly. With Lifeguard off, the timeout is fixed at the
//! minimum and confirmations change nothing.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use foldhash::fast::FixedState;

use crate::name::Name;

/// One running suspicion.
#[derive(Debug, Clone)]
struct Suspicion {
    generation: u64,
    incarnation: u32,
    start: Instant,
    deadline: Instant,
    min: Duration,
    max: Duration,
    /// Confirmations needed to reach the minimum timeout.
    expected: u32,
    /// Who accused first (not counted as a confirmation).
    accuser: Name,
    /// Distinct confirming accusers, at most `expected`.
    confirmers: Vec<Name>,
}

/// The timeout bounds of a suspicion, fixed when it starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub min: Duration,
    pub max: Duration,
    pub expected: u32,
}

impl Bounds {
    /// Bounds for a cluster of `n` live members (memberlist's formula for the minimum:
    /// `mult * max(1, log10(n)) * probe_interval`).
    pub fn for_cluster(
        n: usize,
        probe_interval: Duration,
        mult: u32,
        max_mult: u32,
        lifeguard: bool,
    ) -> Bounds {
        let scale = (n.max(1) as f64).log10().max(1.0);
        let min = probe_interval.mul_f64(f64::from(mult) * scale);
        if !lifeguard {
            return Bounds {
                min,
                max: min,
                expected: 0,
            };
        }
        let mut expected = mult.saturating_sub(2);
        if n.saturating_sub(2) < expected as usize {
            expected = 0;
        }
        Bounds {
            min,
            max: min * max_mult,
            expected,
        }
    }
}

/// All running suspicions, with their deadlines in order.
pub(crate) struct Suspicions {
    by_name: HashMap<Name, Suspicion, FixedState>,
    deadlines: BTreeSet<(Instant, Name)>,
}

impl Suspicions {
    pub fn new(hash_seed: u64) -> Suspicions {
        Suspicions {
            by_name: HashMap::with_hasher(FixedState::with_seed(hash_seed)),
            deadlines: BTreeSet::new(),
        }
    }

    /// Starts (or restarts, for a newer incarnation) suspecting `name`.
    pub fn start(
        &mut self,
        name: &Name,
        generation: u64,
        incarnation: u32,
        accuser: Name,
        now: Instant,
        bounds: Bounds,
    ) {
        self.remove(name.as_str());
        let first = if bounds.expected == 0 {
            bounds.min
        } else {
            bounds.max
        };
        let s = Suspicion {
            generation,
            incarnation,
            start: now,
            deadline: now + first,
            min: bounds.min,
            max: bounds.max,
            expected: bounds.expected,
            accuser,
            confirmers: Vec::new(),
        };
        self.deadlines.insert((s.deadline, name.clone()));
        self.by_name.insert(name.clone(), s);
    }

    /// Records `accuser` as confirming the suspicion of `name` at this generation and
    /// incarnation. Returns true when it is a new, independent confirmation (the timeout may
    /// have shrunk; the news is worth passing on).
    pub fn confirm(
        &mut self,
        name: &Name,
        generation: u64,
        incarnation: u32,
        accuser: &Name,
    ) -> bool {
        let Some(s) = self.by_name.get_mut(name.as_str()) else {
            return false;
        };
        if s.generation != generation
            || s.incarnation != incarnation
            || s.confirmers.len() as u32 >= s.expected
            || *accuser == s.accuser
            || s.confirmers.contains(accuser)
        {
            return false;
        }
        s.confirmers.push(accuser.clone());
        let c = s.confirmers.len() as f64;
        let k = f64::from(s.expected);
        let shrink = (c + 1.0).ln() / (k + 1.0).ln();
        let span = s.max.saturating_sub(s.min);
        let timeout = s.max.saturating_sub(span.mul_f64(shrink)).max(s.min);
        let deadline = s.start + timeout;
        if deadline != s.deadline {
            self.deadlines.remove(&(s.deadline, name.clone()));
            s.deadline = deadline;
            self.deadlines.insert((deadline, name.clone()));
        }
        true
    }

    /// Stops suspecting `name` (it refuted, changed, or was declared dead).
    pub fn remove(&mut self, name: &str) {
        if let Some((key, s)) = self.by_name.remove_entry(name) {
            self.deadlines.remove(&(s.deadline, key));
        }
    }

    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(t, _)| *t)
    }

    /// Removes and returns the first suspicion due at `now`: its name, first accuser and
    /// number of confirmations.
    pub fn pop_expired(&mut self, now: Instant) -> Option<Expired> {
        let (deadline, _) = self.deadlines.first()?;
        if *deadline > now {
            return None;
        }
        let (_, name) = self.deadlines.pop_first()?;
        let s = self.by_name.remove(name.as_str())?;
        Some(Expired {
            name,
            generation: s.generation,
            incarnation: s.incarnation,
            accuser: s.accuser,
            confirmations: s.confirmers.len() as u32,
        })
    }

    /// Confirmations so far for `name`'s suspicion (0 if not suspected).
    pub fn confirmations(&self, name: &str) -> u32 {
        self.by_name
            .get(name)
            .map_or(0, |s| s.confirmers.len() as u32)
    }

    /// The `n`-th suspected member, in deadline order.
    pub fn nth_name(&self, n: usize) -> Option<&Name> {
        self.deadlines.iter().nth(n).map(|(_, name)| name)
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }
}

/// A suspicion whose time ran out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expired {
    pub name: Name,
    pub generation: u64,
    pub incarnation: u32,
    pub accuser: Name,
    pub confirmations: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::new(s).unwrap()
    }

    #[test]
    fn bounds_follow_the_memberlist_formula() {
        let b = Bounds::for_cluster(1000, Duration::from_secs(1), 4, 6, true);
        assert_eq!(b.min, Duration::from_secs(12));
        assert_eq!(b.max, Duration::from_secs(72));
        assert_eq!(b.expected, 2);
        let b = Bounds::for_cluster(3, Duration::from_secs(1), 4, 6, true);
        assert_eq!((b.min, b.expected), (Duration::from_secs(4), 0));
        let b = Bounds::for_cluster(1000, Duration::from_secs(1), 4, 6, false);
        assert_eq!(b.max, b.min);
    }

    #[test]
    fn independent_confirmations_shrink_the_timeout_to_the_minimum() {
        let t0 = crate::test_epoch();
        let b = Bounds::for_cluster(100, Duration::from_secs(1), 4, 6, true);
        let mut s = Suspicions::new(1);
        let x = name("x");
        s.start(&x, 1, 0, name("a"), t0, b);
        assert_eq!(s.next_deadline(), Some(t0 + b.max));
        assert!(
            !s.confirm(&x, 1, 0, &name("a")),
            "the first accuser is not a confirmation"
        );
        assert!(s.confirm(&x, 1, 0, &name("b")));
        let after_one = s.next_deadline().unwrap();
        assert!(after_one < t0 + b.max && after_one > t0 + b.min);
        assert!(
            !s.confirm(&x, 1, 0, &name("b")),
            "the same confirmer counts once"
        );
        assert!(
            !s.confirm(&x, 1, 1, &name("c")),
            "another incarnation is not confirmed"
        );
        assert!(s.confirm(&x, 1, 0, &name("c")));
        assert_eq!(s.next_deadline(), Some(t0 + b.min));
        assert!(
            !s.confirm(&x, 1, 0, &name("d")),
            "confirmations beyond k are ignored"
        );
        assert_eq!(s.pop_expired(t0 + b.min - Duration::from_millis(1)), None);
        let e = s.pop_expired(t0 + b.min).unwrap();
        assert_eq!((e.name, e.confirmations), (x, 2));
        assert_eq!(s.len(), 0);
    }
}
