//! The hand-off between writers (any thread, any task) and the committer thread.
//!
//! A plain mutex-protected queue and a condition variable, rather than a channel, because the
//! committer wants *everything* queued when it wakes, in one go, up to the batch limits: that
//! is what makes group commit work. Writers encode their records before taking the lock, so the
//! lock is held only for a push, and they signal the condition variable only when the committer
//! is actually asleep on it (a `notify_one` is a system call even when no one waits).
//!
//! Requests are taken in the order they were pushed, and a request is never split across
//! transactions, so a later write of a key always lands after an earlier one.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use super::error::DurableError;
use super::record::{self, StoredEntry};

/// The answer a waiting writer gets once its transaction committed, or failed.
pub(crate) type Ack = oneshot::Sender<Result<(), DurableError>>;

/// An entry ready for the table: the key and its encoded record.
#[derive(Debug)]
pub(crate) struct Encoded {
    pub key: Vec<u8>,
    pub record: Vec<u8>,
}

/// One change to the table.
#[derive(Debug)]
pub(crate) enum Op {
    /// Insert or replace these entries.
    Put(Vec<Encoded>),
    /// Remove these keys (absent keys are ignored).
    Remove(Vec<Vec<u8>>),
}

/// One call of a writer: a change, maybe someone waiting for it, and its size.
#[derive(Debug)]
pub(crate) struct Request {
    op: Op,
    ack: Option<Ack>,
    /// Entries or keys in `op`.
    items: usize,
    /// Bytes of keys and records in `op`.
    bytes: usize,
}

impl Request {
    /// Encodes `entries` (on the caller's thread, so the committer does not have to).
    pub(crate) fn put(entries: Vec<StoredEntry>, ack: Option<Ack>) -> Request {
        let items = entries.len();
        let mut bytes = 0;
        let encoded = entries
            .into_iter()
            .map(|entry| {
                let mut out = Vec::with_capacity(record::encoded_len(&entry));
                record::encode_into(&entry, &mut out);
                bytes += entry.key.len() + out.len();
                Encoded {
                    key: entry.key,
                    record: out,
                }
            })
            .collect();
        Request {
            op: Op::Put(encoded),
            ack,
            items,
            bytes,
        }
    }

    /// Removes `keys`.
    pub(crate) fn remove(keys: Vec<Vec<u8>>) -> Request {
        let bytes = keys.iter().map(Vec::len).sum();
        Request {
            items: keys.len(),
            bytes,
            op: Op::Remove(keys),
            ack: None,
        }
    }

    /// A request with nothing to write, answered once everything queued before it is durable.
    pub(crate) fn barrier(ack: Ack) -> Request {
        Request {
            op: Op::Put(Vec::new()),
            ack: Some(ack),
            items: 0,
            bytes: 0,
        }
    }
}

/// Everything the committer writes in one transaction.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub ops: Vec<Op>,
    pub acks: Vec<Ack>,
    /// Entries written by `ops`.
    pub entries: usize,
    /// Keys removed by `ops`.
    pub removals: usize,
    /// Bytes of keys and records in `ops`.
    pub bytes: usize,
}

impl Batch {
    /// Whether the batch changes nothing (only barriers), so needs no transaction.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries + self.removals == 0
    }

    fn add(&mut self, request: Request) {
        match &request.op {
            Op::Put(_) => self.entries += request.items,
            Op::Remove(_) => self.removals += request.items,
        }
        self.bytes += request.bytes;
        if request.items > 0 {
            self.ops.push(request.op);
        }
        self.acks.extend(request.ack);
    }
}

/// How the committer takes a batch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Most entries plus removed keys; the first request is always taken, whatever its size.
    pub max_items: usize,
    /// Most bytes of keys and records; likewise.
    pub max_bytes: usize,
    /// How long to wait for writers expected back (see [`Queue::take`]); zero never waits.
    pub linger: Duration,
}

#[derive(Debug, Default)]
struct State {
    requests: VecDeque<Request>,
    /// Requests in `requests` that carry an ack (someone awaits them).
    waiting: usize,
    /// Entries and keys in `requests`.
    items: usize,
    /// Bytes of keys and records in `requests`.
    bytes: usize,
    /// No more requests are accepted; the committer drains the queue and stops.
    closed: bool,
    /// The committer is waiting on the condition variable, to be woken once `waiting`
    /// reaches `wake_at` (0: on any push).
    sleeping: bool,
    wake_at: usize,
}

/// The queue shared by all writers and the committer.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    state: Mutex<State>,
    ready: Condvar,
}

impl Queue {
    /// Queues `request`, or hands it back if the store is closed.
    pub(crate) fn push(&self, request: Request) -> Result<(), Request> {
        let mut state = self.lock();
        if state.closed {
            return Err(request);
        }
        state.waiting += usize::from(request.ack.is_some());
        state.items += request.items;
        state.bytes += request.bytes;
        state.requests.push_back(request);
        if state.sleeping && state.waiting >= state.wake_at {
            state.sleeping = false;
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Stops accepting requests; the committer still writes what is queued, then stops.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        self.ready.notify_one();
    }

    /// Queued requests that someone awaits. The committer reads it just before answering a
    /// batch, to know how many writers to expect in the next one.
    pub(crate) fn waiting(&self) -> usize {
        self.lock().waiting
    }

    /// Entries and keys queued and not yet taken by the committer.
    pub(crate) fn items(&self) -> usize {
        self.lock().items
    }

    /// Waits for requests and takes as many as fit in `limits`, or returns `None` once the
    /// queue is closed and empty.
    ///
    /// `expected` is how many awaited requests the next batch should hold: the writers just
    /// answered plus those already queued then. Writers that await each write come back
    /// within microseconds of their answer, but without waiting for them they split into two
    /// cohorts that alternate, each batch holding half of them and each write waiting two
    /// commits. So if fewer than `expected` are queued, the committer waits up to
    /// `limits.linger` for the rest (woken as soon as they are all there): one short wait
    /// merges the cohorts for good. Unacknowledged traffic expects no one and never waits.
    pub(crate) fn take(&self, limits: Limits, expected: usize) -> Option<Batch> {
        let mut state = self.lock();
        while state.requests.is_empty() {
            if state.closed {
                return None;
            }
            state = self.sleep(state, 0, None);
        }
        let full = state.items >= limits.max_items || state.bytes >= limits.max_bytes;
        let short = state.waiting < expected && !full;
        if short && !state.closed && !limits.linger.is_zero() {
            state = self.sleep(state, expected, Some(limits.linger));
        }
        state.sleeping = false;
        let mut batch = Batch::default();
        while let Some(next) = state.requests.front() {
            let items = batch.entries + batch.removals + next.items;
            let bytes = batch.bytes + next.bytes;
            let first = batch.ops.is_empty() && batch.acks.is_empty();
            if !first && (items > limits.max_items || bytes > limits.max_bytes) {
                break;
            }
            let request = state.requests.pop_front().expect("front was Some");
            state.waiting -= usize::from(request.ack.is_some());
            state.items -= request.items;
            state.bytes -= request.bytes;
            batch.add(request);
        }
        Some(batch)
    }

    /// Requests queued and not yet taken.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().requests.len()
    }

    /// Sleeps until `wake_at` requests are awaited, the queue closes, or `timeout` passes
    /// (a spurious wake-up just ends the sleep early: callers re-check what they need).
    fn sleep<'a>(
        &self,
        mut state: MutexGuard<'a, State>,
        wake_at: usize,
        timeout: Option<Duration>,
    ) -> MutexGuard<'a, State> {
        state.sleeping = true;
        state.wake_at = wake_at;
        let mut state = match timeout {
            None => self
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner),
            Some(timeout) => {
                self.ready
                    .wait_timeout(state, timeout)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
        state.sleeping = false;
        state
    }

    /// The state, even if a writer panicked while holding the lock: every update of the state
    /// is a few field assignments with nothing that can panic between them.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, value_bytes: usize) -> StoredEntry {
        StoredEntry::new(key.as_bytes().to_vec(), 1, "w", vec![0; value_bytes])
    }

    fn limits(max_items: usize, max_bytes: usize) -> Limits {
        Limits {
            max_items,
            max_bytes,
            linger: Duration::ZERO,
        }
    }

    #[test]
    fn one_take_gets_everything_queued_in_order() {
        let queue = Queue::default();
        for key in ["a", "b", "c"] {
            queue.push(Request::put(vec![entry(key, 1)], None)).unwrap();
        }
        queue.push(Request::remove(vec![b"a".to_vec()])).unwrap();
        assert_eq!(queue.items(), 4);
        let batch = queue.take(limits(100, 1 << 20), 0).unwrap();
        assert_eq!(queue.items(), 0);
        assert_eq!((batch.entries, batch.removals, batch.ops.len()), (3, 1, 4));
        let keys: Vec<&[u8]> = batch
            .ops
            .iter()
            .flat_map(|op| match op {
                Op::Put(e) => e.iter().map(|e| e.key.as_slice()).collect::<Vec<_>>(),
                Op::Remove(k) => k.iter().map(Vec::as_slice).collect(),
            })
            .collect();
        assert_eq!(keys, [b"a", b"b", b"c", b"a"]);
        assert_eq!(queue.len(), 0);
    }

    #[test]
    fn batches_stop_at_the_item_limit_without_splitting_a_request() {
        let queue = Queue::default();
        queue
            .push(Request::put(vec![entry("a", 1), entry("b", 1)], None))
            .unwrap();
        queue
            .push(Request::put(vec![entry("c", 1), entry("d", 1)], None))
            .unwrap();
        assert_eq!(queue.take(limits(3, 1 << 20), 0).unwrap().entries, 2);
        assert_eq!(queue.take(limits(3, 1 << 20), 0).unwrap().entries, 2);
    }

    #[test]
    fn an_oversized_request_is_taken_alone() {
        let queue = Queue::default();
        queue
            .push(Request::put(vec![entry("big", 1000)], None))
            .unwrap();
        queue
            .push(Request::put(vec![entry("small", 1)], None))
            .unwrap();
        let first = queue.take(limits(100, 10), 0).unwrap();
        assert_eq!(first.entries, 1);
        assert!(first.bytes > 1000);
        assert_eq!(queue.len(), 1);
    }

    #[test]
    fn barriers_carry_an_ack_but_no_change() {
        let queue = Queue::default();
        let (tx, _rx) = oneshot::channel();
        queue.push(Request::barrier(tx)).unwrap();
        let batch = queue.take(limits(1, 1), 0).unwrap();
        assert!(batch.is_empty());
        assert_eq!(batch.acks.len(), 1);
    }

    #[test]
    fn closing_drains_then_ends_and_refuses_new_requests() {
        let queue = Queue::default();
        queue.push(Request::remove(vec![b"k".to_vec()])).unwrap();
        queue.close();
        assert!(queue.push(Request::remove(vec![b"late".to_vec()])).is_err());
        assert_eq!(queue.take(limits(10, 10), 0).unwrap().removals, 1);
        assert!(queue.take(limits(10, 10), 0).is_none());
    }

    #[test]
    fn a_sleeping_committer_wakes_for_a_push() {
        let queue = std::sync::Arc::new(Queue::default());
        let committer = {
            let queue = queue.clone();
            std::thread::spawn(move || queue.take(limits(10, 1 << 20), 0).map(|b| b.entries))
        };
        // Whether the push lands before or after the committer sleeps, it must see it.
        queue.push(Request::put(vec![entry("k", 1)], None)).unwrap();
        assert_eq!(committer.join().unwrap(), Some(1));
    }

    /// Runs `take` on another thread and returns its batch, failing if it takes much longer
    /// than `within` (a liveness check with a generous bound, not a timing measurement).
    fn take_on_thread(
        queue: &std::sync::Arc<Queue>,
        limits: Limits,
        expected: usize,
    ) -> std::sync::mpsc::Receiver<Option<Batch>> {
        let (tx, rx) = std::sync::mpsc::channel();
        let queue = queue.clone();
        std::thread::spawn(move || tx.send(queue.take(limits, expected)).unwrap());
        rx
    }

    fn lingering(seconds: u64) -> Limits {
        Limits {
            linger: Duration::from_secs(seconds),
            ..limits(100, 1 << 20)
        }
    }

    #[test]
    fn the_committer_lingers_until_every_expected_writer_is_back() {
        let queue = std::sync::Arc::new(Queue::default());
        let (a, _a) = oneshot::channel();
        queue
            .push(Request::put(vec![entry("a", 1)], Some(a)))
            .unwrap();
        queue
            .push(Request::put(vec![entry("unacked", 1)], None))
            .unwrap();
        // Two writers were answered; one is back. The linger is far longer than the test.
        let taken = take_on_thread(&queue, lingering(600), 2);
        let (b, _b) = oneshot::channel();
        queue
            .push(Request::put(vec![entry("b", 1)], Some(b)))
            .unwrap();
        let batch = taken
            .recv_timeout(Duration::from_secs(60))
            .unwrap()
            .unwrap();
        assert_eq!((batch.acks.len(), batch.entries), (2, 3));
    }

    #[test]
    fn nobody_expected_means_no_linger() {
        let queue = std::sync::Arc::new(Queue::default());
        queue
            .push(Request::put(vec![entry("unacked", 1)], None))
            .unwrap();
        let taken = take_on_thread(&queue, lingering(600), 0);
        let batch = taken
            .recv_timeout(Duration::from_secs(60))
            .unwrap()
            .unwrap();
        assert_eq!(batch.entries, 1);
    }

    #[test]
    fn a_full_batch_does_not_linger() {
        let queue = std::sync::Arc::new(Queue::default());
        queue
            .push(Request::put(vec![entry("a", 1), entry("b", 1)], None))
            .unwrap();
        let limits = Limits {
            max_items: 2,
            ..lingering(600)
        };
        let batch = take_on_thread(&queue, limits, 5)
            .recv_timeout(Duration::from_secs(60))
            .unwrap();
        assert_eq!(batch.unwrap().entries, 2);
    }
}
