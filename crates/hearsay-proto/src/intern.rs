//! Process-wide sharing of member records.
//!
//! Every node knows every member, so a process hosting many engines (the simulator with 10,000,
//! the demo, in-process tests) would hold the same name, address and metadata thousands of
//! times. Records are immutable and interned here instead: engines that agree on a member's
//! version share one allocation, and each engine keeps only a pointer, the state it believes
//! and when that began. The table holds records weakly and sweeps out dead entries as it grows,
//! so it never outlives what the engines hold. Interning changes no behaviour: only sharing.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex, Weak};

use xxhash_rust::xxh3::xxh3_64;

use crate::Name;
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

static TABLE: LazyLock<Mutex<Table>> = LazyLock::new(|| {
    Mutex::new(Table {
        records: HashMap::new(),
        sweep_at: 1024,
    })
});

/// The shared copy of `record`, or `record` itself made the shared copy.
pub(crate) fn intern(record: Record) -> Arc<Record> {
    let mut table = lock();
    let shared = table.share(record);
    table.sweep_if_grown();
    shared
}

/// Interns every record of `records` under one lock (bulk loads).
pub(crate) fn intern_all(records: impl IntoIterator<Item = Record>) -> Vec<Arc<Record>> {
    let mut table = lock();
    let shared = records.into_iter().map(|r| table.share(r)).collect();
    table.sweep_if_grown();
    shared
}

fn lock() -> std::sync::MutexGuard<'static, Table> {
    // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
    TABLE.lock().unwrap_or_else(|e| e.into_inner())
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
        let a = intern(record("intern-a", 1));
        let b = intern(record("intern-a", 1));
        assert!(Arc::ptr_eq(&a, &b));
        let c = intern(record("intern-a", 2));
        assert!(!Arc::ptr_eq(&a, &c));
    }

    #[test]
    fn a_record_nobody_holds_is_not_kept_alive() {
        let weak = Arc::downgrade(&intern(record("intern-gone", 1)));
        assert!(weak.upgrade().is_none());
    }
}
