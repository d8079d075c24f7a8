//! A store workload's bookkeeping: the preloaded map, store traffic counted so far,
//! snapshots of it, and how far each workload has got. `store_run.rs` moves it forward;
//! `store_report.rs` turns it into figures.

use hearsay_proto::{Key, KvEntry, Name, Value};

use crate::error::SimError;
use crate::protocol::Protocol;
use crate::queue::Nanos;
use crate::scenario::Scenario;
use crate::stores::Carried;

/// Wall-clock time of virtual time 0 on every member, in ms since the Unix epoch
/// (2023-11-14 22:13:20 UTC). Every member's hybrid logical clock starts from it.
pub const SIM_EPOCH_MS: u64 = 1_700_000_000_000;

/// Store traffic counted so far (payload bytes; wire overhead is added in the figures).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StoreTraffic {
    /// Stream frames of store messages sent.
    pub store_streams: u64,
    /// Their payload bytes.
    pub store_stream_bytes: u64,
    /// Bytes of store updates piggybacked on datagrams.
    pub piggybacked_bytes: u64,
    /// Anti-entropy exchanges started.
    pub syncs: u64,
}

impl StoreTraffic {
    fn count(&mut self, c: Carried, stream: bool) {
        if stream {
            if c.store_bytes > 0 {
                self.store_streams += 1;
                self.store_stream_bytes += c.store_bytes;
            }
        } else {
            self.piggybacked_bytes += c.store_bytes;
        }
        self.syncs += u64::from(c.starts_sync);
    }
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub at: Nanos,
    pub store: StoreTraffic,
    /// Every stream's wire bytes (headers included), store or not.
    pub stream_wire_bytes: u64,
}

/// Progress of the map's workload.
#[derive(Debug, Default)]
pub(crate) struct KvProgress {
    /// Taken when writing started.
    pub window: Option<Snapshot>,
    /// Writes made.
    pub writes: u64,
    /// When the last write of the window was made.
    pub last_write: Option<Nanos>,
    /// Taken when every live replica's root was equal after the last write.
    pub converged: Option<Snapshot>,
    /// Taken when the idle tail started.
    pub tail: Option<Snapshot>,
}

/// Progress of the per-node state workload.
#[derive(Debug, Default)]
pub(crate) struct StateProgress {
    pub set_at: Option<Nanos>,
    /// The members that set their keys: (node, generation).
    pub setters: Vec<(u32, u64)>,
    pub replicated_at: Option<Nanos>,
}

/// A store workload in progress.
#[derive(Debug, Default)]
pub(crate) struct StoreRun {
    /// Entries every member loads at boot (shared values: one allocation for all).
    pub preload: Vec<(Key, KvEntry)>,
    pub traffic: StoreTraffic,
    pub kv: Option<KvProgress>,
    pub state: Option<StateProgress>,
}

impl StoreRun {
    /// The workload of `scenario`, if it has one; refused if `P` has no stores.
    pub fn for_scenario<P: Protocol>(scenario: &Scenario) -> Result<Option<StoreRun>, SimError> {
        if scenario.kv.is_none() && scenario.state.is_none() {
            return Ok(None);
        }
        if !P::STORES {
            return Err(SimError::NoStores { protocol: P::NAME });
        }
        let mut run = StoreRun::default();
        if let Some(kv) = &scenario.kv {
            let value = Value::from(vec![b'v'; kv.value_bytes as usize]);
            let writer = Name::new("preload").expect("a valid name");
            run.preload = (0..kv.keys)
                .map(|k| {
                    let entry = KvEntry {
                        stamp: SIM_EPOCH_MS << 16,
                        writer: writer.clone(),
                        value: Some(value.clone()),
                    };
                    (Key::from(format!("key-{k}")), entry)
                })
                .collect();
            run.kv = Some(KvProgress::default());
        }
        if scenario.state.is_some() {
            run.state = Some(StateProgress::default());
        }
        Ok(Some(run))
    }

    /// Counts one transmit.
    pub fn count(&mut self, carried: Carried, stream: bool) {
        self.traffic.count(carried, stream);
    }
}
