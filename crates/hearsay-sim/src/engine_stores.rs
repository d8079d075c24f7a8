//! hearsay's engine as [`Stores`], and reading its transmits for the store figures.
//!
//! The store figures need to tell store traffic from membership traffic without decoding
//! every message (a repair of 100,000 keys is one large frame). The wire format makes that
//! cheap (see `hearsay_proto::wire`): a stream frame is the version byte, the kind byte and
//! the body; a datagram is the version byte and then `kind, body length (varint), body` per
//! message. So a stream is classified by its second byte, and a datagram by walking its
//! frame headers. The tests below encode real messages with the engine's codec, so a change
//! of kind numbers or framing fails here rather than skewing figures quietly.

use std::time::{Duration, Instant};

use hearsay_proto::{Engine, Key, KvEntry, Transmit, TransmitKind, Value};

use crate::stores::{Carried, Stores};

/// `SyncDigest`: the message that starts an anti-entropy exchange.
const SYNC_DIGEST: u8 = 9;
/// Store message kinds: 12 `StateUpdate`, 13 `KvUpdate` (the two that may ride on
/// datagrams), 14 `StoreHashes`, 15 `KvEntries`, 16 `StateEntries`.
const STORE_KINDS: std::ops::RangeInclusive<u8> = 12..=16;

impl Stores for Engine {
    fn set_wall_clock(&mut self, now: Instant, unix_ms: u64) {
        Engine::set_wall_clock(self, now, unix_ms);
    }

    fn kv_restore(&mut self, now: Instant, entries: &[(Key, KvEntry)]) {
        Engine::kv_restore(self, now, entries.iter().cloned());
    }

    fn kv_put(&mut self, now: Instant, key: &str, value: Value) -> bool {
        Engine::kv_put(self, now, key, value).is_ok()
    }

    fn kv_root(&self) -> u64 {
        Engine::kv_root(self)
    }

    fn state_set(&mut self, now: Instant, key: &str, value: Value) -> bool {
        Engine::state_set(self, now, key, value, None::<Duration>).is_ok()
    }

    fn state_root(&self) -> u64 {
        Engine::state_root(self)
    }

    fn state_entries(&self) -> usize {
        self.state_owners()
            .iter()
            .map(|owner| self.state_of(owner.as_str()).len())
            .sum()
    }

    fn drain_events(&mut self) -> usize {
        let mut n = 0;
        while self.poll_store_event().is_some() {
            n += 1;
        }
        n
    }

    fn carried(&self, transmit: &Transmit) -> Carried {
        classify(transmit.kind, &transmit.bytes)
    }
}

/// What an encoded hearsay transmit carries. Malformed input (the engine never sends any)
/// counts as carrying nothing from the first bad frame on.
pub(crate) fn classify(kind: TransmitKind, bytes: &[u8]) -> Carried {
    if kind == TransmitKind::Stream {
        let kind = bytes.get(1).copied().unwrap_or(0);
        return Carried {
            store_bytes: if STORE_KINDS.contains(&kind) {
                bytes.len() as u64
            } else {
                0
            },
            starts_sync: kind == SYNC_DIGEST,
        };
    }
    let mut store_bytes = 0;
    let mut at = 1; // after the version byte
    while at < bytes.len() {
        let kind = bytes[at];
        let Some((body, header)) = varint(&bytes[at + 1..]) else {
            break;
        };
        let frame = 1 + header as u64 + body;
        if STORE_KINDS.contains(&kind) {
            store_bytes += frame;
        }
        at = at.saturating_add(frame as usize);
    }
    Carried {
        store_bytes,
        starts_sync: false,
    }
}

/// An unsigned LEB128 varint at the start of `bytes`: its value and its length.
pub(crate) fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearsay_proto::Name;
    use hearsay_proto::wire::{
        self, KvUpdate, Message, Ping, StoreHashes, StoreKind, SyncBuckets, SyncDigest,
    };

    fn kv_update(value_bytes: usize) -> Message {
        Message::KvUpdate(KvUpdate {
            key: Key::from("key-7"),
            stamp: 1 << 40,
            writer: Name::new("node-3").unwrap(),
            value: Some(Value::from(vec![1u8; value_bytes])),
        })
    }

    fn stream(msg: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        wire::encode_stream(msg, &mut out);
        out
    }

    #[test]
    fn piggybacked_store_updates_are_counted_frame_by_frame() {
        let ping = Message::Ping(Ping {
            seq: 300,
            target: Name::new("node-1").unwrap(),
        });
        // A 200-byte value makes the body length a two-byte varint.
        let update = kv_update(200);
        let mut datagram = Vec::new();
        wire::start_datagram(&mut datagram);
        wire::encode_message(&ping, &mut datagram);
        wire::encode_message(&update, &mut datagram);
        wire::encode_message(&ping, &mut datagram);
        let c = classify(TransmitKind::Datagram, &datagram);
        assert_eq!(c.store_bytes, wire::encoded_len(&update) as u64);
        assert!(!c.starts_sync);
    }

    #[test]
    fn a_datagram_of_membership_news_carries_no_store_bytes() {
        let mut datagram = Vec::new();
        wire::start_datagram(&mut datagram);
        wire::encode_message(
            &Message::Ping(Ping {
                seq: 1,
                target: Name::new("node-2").unwrap(),
            }),
            &mut datagram,
        );
        assert_eq!(
            classify(TransmitKind::Datagram, &datagram),
            Carried::default()
        );
    }

    #[test]
    fn streams_are_told_apart_by_kind() {
        let digest = stream(&Message::SyncDigest(SyncDigest {
            root: 1,
            live: 2,
            state_root: 3,
            kv_root: 4,
        }));
        let c = classify(TransmitKind::Stream, &digest);
        assert!(c.starts_sync);
        assert_eq!(c.store_bytes, 0);

        let buckets = stream(&Message::SyncBuckets(SyncBuckets { hashes: Vec::new() }));
        assert_eq!(classify(TransmitKind::Stream, &buckets), Carried::default());

        let hashes = stream(&Message::StoreHashes(StoreHashes {
            store: StoreKind::Kv,
            ids: vec![1, 2],
            hashes: vec![5, 6],
        }));
        let c = classify(TransmitKind::Stream, &hashes);
        assert_eq!(c.store_bytes, hashes.len() as u64);
        assert!(!c.starts_sync);

        let pushed = stream(&kv_update(5000));
        assert_eq!(
            classify(TransmitKind::Stream, &pushed).store_bytes,
            pushed.len() as u64
        );
    }

    #[test]
    fn a_truncated_datagram_stops_the_count() {
        let mut datagram = Vec::new();
        wire::start_datagram(&mut datagram);
        wire::encode_message(&kv_update(10), &mut datagram);
        datagram.push(13);
        datagram.push(0x80); // a varint that never ends
        let c = classify(TransmitKind::Datagram, &datagram);
        assert_eq!(c.store_bytes, wire::encoded_len(&kv_update(10)) as u64);
    }
}
