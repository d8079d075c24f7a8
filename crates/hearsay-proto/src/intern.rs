//! Sharing member records between engines, and how hard to save memory: [`Sharing`].
//!
//! Every node knows every member, so a process hosting many engines (the simulator with 10,000,
//! the demo, in-process tests) would hold the same name, address and metadata thousands of
//! times. Records are immutable and interned instead: engines given the same [`Sharing`] that
//! agree on a member's version share one allocation, and each engine keeps only a pointer, the
//! state it believes and when that began. The table holds records weakly and sweeps out dead
//! entries as it grows, so it never outlives what the engines hold. Interning changes no
//! behaviour: only sharing. There is no process-wide table: the driver decides what is shared.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};

use xxhash_rust::xxh3::xxh3_64;

use crate::name::Name;
use crate::wire::Meta;

/// What identifies one version of a member: who, where, which start, which incarnation, and
/// what it publishes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub name: Name,
    pub addr: SocketAddr,
    pub meta: Meta,
    pub generation: u64,
    pub incarnation: u32,
}

impl Record {
    /// Content hash: one pass of xxh3 over a fixed layout (metadata by its own hash).
    fn key(&self) -> u64 {
        let mut buf = [0u8; crate::name::MAX_NAME_BYTES + 48];
        let name = self.name.as_str().as_bytes();
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            buf[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        put(name);
        put(&self.generation.to_le_bytes());
        put(&self.incarnation.to_le_bytes());
        match self.addr {
            SocketAddr::V4(a) => put(&a.ip().octets()),
            SocketAddr::V6(a) => put(&a.ip().octets()),
        }
        put(&self.addr.port().to_le_bytes());
        if !self.meta.is_empty() {
            put(&xxh3_64(&self.meta).to_le_bytes());
        }
        xxh3_64(&buf[..at])
    }
}

/// Weakly held records by content hash.
struct Table {
    records: HashMap<u64, Weak<Record>>,
    /// Size at which dead entries are swept next.
    sweep_at: usize,
}

/// What engines of one process share, and how hard they save memory. Clone it to give
/// several engines the same record table ([`crate::Engine::with_sharing`]);
/// [`crate::Engine::new`] gives each engine a table of its own.
#[derive(Clone)]
pub struct Sharing {
    table: Arc<Mutex<Table>>,
    memory: MemoryUse,
}

/// How an engine trades CPU for memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemoryUse {
    /// Keep what bursts grew (queues, the probe order): the fastest, and right for one engine
    /// per process.
    Plain,
    /// Give back what a burst grew once it is drained: for processes hosting thousands of
    /// engines (the simulator), where spare capacity in every engine adds up to gigabytes.
    Compact,
}

impl Sharing {
    /// A record table of its own, memory kept as it grows ([`MemoryUse::Plain`]).
    pub fn per_engine() -> Sharing {
        Sharing::new(MemoryUse::Plain)
    }

    /// A table to be shared by cloning, with the given memory policy.
    pub fn new(memory: MemoryUse) -> Sharing {
        Sharing {
            table: Arc::new(Mutex::new(Table {
                records: HashMap::new(),
                sweep_at: 1024,
            })),
            memory,
        }
    }

    /// The memory policy.
    pub fn memory(&self) -> MemoryUse {
        self.memory
    }

    /// The shared copy of `record`, or `record` itself made the shared copy.
    pub(crate) fn intern(&self, record: Record) -> Arc<Record> {
        let mut table = self.lock();
        let shared = table.share(record);
        table.sweep_if_grown();
        shared
    }

    /// Interns every record of `records` under one lock (bulk loads).
    pub(crate) fn intern_all(&self, records: impl IntoIterator<Item = Record>) -> Vec<Arc<Record>> {
        let mut table = self.lock();
        let shared = records.into_iter().map(|r| table.share(r)).collect();
        table.sweep_if_grown();
        shared
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for Sharing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sharing")
            .field("records", &self.lock().records.len())
            .field("memory", &self.memory)
            .finish()
    }
}

impl Table {
    fn share(&mut self, record: Record) -> Arc<Record> {
        let key = record.key();
        if let Some(shared) = self.records.get(&key).and_then(Weak::upgrade)
            && *shared == record
        {
            return shared;
        }
        let shared = Arc::new(record);
        self.records.insert(key, Arc::downgrade(&shared));
        shared
    }

    /// Drops entries whose records nobody holds any more, once the table doubled.
    fn sweep_if_grown(&mut self) {
        if self.records.len() >= self.sweep_at {
            self.records.retain(|_, w| w.strong_count() > 0);
            self.sweep_at = (self.records.len() * 2).max(1024);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, incarnation: u32) -> Record {
        Record {
            name: Name::new(name).unwrap(),
            addr: "127.0.0.1:7946".parse().unwrap(),
            meta: Meta::from(&b"x"[..]),
            generation: 1,
            incarnation,
        }
    }

    #[test]
    fn equal_records_share_one_allocation() {
        let sharing = Sharing::per_engine();
        let a = sharing.intern(record("intern-a", 1));
        let b = sharing.clone().intern(record("intern-a", 1));
        assert!(Arc::ptr_eq(&a, &b));
        let c = sharing.intern(record("intern-a", 2));
        assert!(!Arc::ptr_eq(&a, &c));
    }

    #[test]
    fn separate_tables_share_nothing() {
        let a = Sharing::per_engine().intern(record("intern-b", 1));
        let b = Sharing::per_engine().intern(record("intern-b", 1));
        assert!(!Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn a_record_nobody_holds_is_not_kept_alive() {
        let weak = Arc::downgrade(&Sharing::per_engine().intern(record("intern-gone", 1)));
        assert!(weak.upgrade().is_none());
    }
}
