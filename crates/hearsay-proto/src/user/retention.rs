//! Recent messages, kept so that grafts can be answered and anti-entropy can repair what a
//! partition or loss made others miss. Bounded by age ([`crate::Config::event_retention`])
//! and by total payload bytes ([`crate::Config::event_retention_bytes`]); the oldest go
//! first.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use foldhash::fast::FixedState;

use super::model::MsgId;
use crate::wire::UserMsg;

/// One kept message: as this node delivered it (`hops` = the hop count it was delivered at).
pub(crate) struct Kept {
    pub msg: Arc<UserMsg>,
}

pub(crate) struct Retention {
    by_id: HashMap<MsgId, Kept, FixedState>,
    order: VecDeque<(Instant, MsgId)>,
    bytes: usize,
    max_age: Duration,
    max_bytes: usize,
}

impl Retention {
    pub fn new(max_age: Duration, max_bytes: usize, hash_seed: u64) -> Retention {
        Retention {
            by_id: HashMap::with_hasher(FixedState::with_seed(hash_seed)),
            order: VecDeque::new(),
            bytes: 0,
            max_age,
            max_bytes,
        }
    }

    /// Keeps `msg` (received at `now`), dropping the oldest to stay within bounds. Returns
    /// how many were dropped for space (not for age).
    pub fn keep(&mut self, now: Instant, msg: Arc<UserMsg>) -> u64 {
        self.expire(now);
        let size = cost(&msg);
        if size > self.max_bytes {
            return 0;
        }
        let mut shed = 0;
        while self.bytes + size > self.max_bytes {
            if !self.pop_oldest() {
                break;
            }
            shed += 1;
        }
        let id = msg.id.clone();
        self.order.push_back((now, id.clone()));
        self.bytes += size;
        if let Some(old) = self.by_id.insert(id, Kept { msg }) {
            self.bytes -= cost(&old.msg);
        }
        shed
    }

    fn pop_oldest(&mut self) -> bool {
        let Some((_, id)) = self.order.pop_front() else {
            return false;
        };
        if let Some(k) = self.by_id.remove(&id) {
            self.bytes -= cost(&k.msg);
        }
        true
    }

    /// Drops what is older than the retention age.
    pub fn expire(&mut self, now: Instant) {
        while let Some((at, _)) = self.order.front() {
            if now.saturating_duration_since(*at) <= self.max_age {
                break;
            }
            self.pop_oldest();
        }
    }

    pub fn get(&self, id: &MsgId) -> Option<&Kept> {
        self.by_id.get(id)
    }

    /// Kept messages received from `from` to `until` (inclusive), oldest first.
    pub fn received_between(
        &self,
        from: Instant,
        until: Instant,
    ) -> impl Iterator<Item = &Kept> + '_ {
        self.order
            .iter()
            .filter(move |(at, _)| *at >= from && *at <= until)
            .filter_map(|(_, id)| self.by_id.get(id))
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn max_age(&self) -> Duration {
        self.max_age
    }
}

/// What a kept message counts against the byte bound.
fn cost(msg: &UserMsg) -> usize {
    msg.payload.len() + msg.name.len() + 64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::Name;

    fn msg(seq: u64, bytes: usize) -> Arc<UserMsg> {
        Arc::new(UserMsg {
            id: MsgId {
                origin: Name::new("a").unwrap(),
                generation: 1,
                seq,
            },
            hops: 0,
            name: "e".into(),
            payload: vec![0; bytes].into(),
            query: None,
        })
    }

    #[test]
    fn bounded_by_age_and_bytes() {
        let t0 = crate::test_epoch();
        let mut r = Retention::new(Duration::from_secs(10), 1000, 0);
        assert_eq!(r.keep(t0, msg(1, 500)), 0);
        assert_eq!(r.keep(t0, msg(2, 500)), 1, "the oldest makes room");
        assert!(r.get(&msg(1, 0).id).is_none());
        assert!(r.bytes() <= 1000);
        r.keep(t0 + Duration::from_secs(5), msg(3, 10));
        r.expire(t0 + Duration::from_secs(11));
        assert_eq!(r.len(), 1, "only the young one is left");
        assert_eq!(
            r.received_between(t0 + Duration::from_secs(4), t0 + Duration::from_secs(11))
                .count(),
            1
        );
    }
}
