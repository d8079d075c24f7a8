//! Bodies of the store messages (kinds 12 to 16): sizes, encoding and decoding.
//!
//! | kind | message        | body                                                          |
//! |------|----------------|---------------------------------------------------------------|
//! | 12   | `StateUpdate`  | owner, generation, version, key, value                        |
//! | 13   | `KvUpdate`     | key, stamp, writer, value                                     |
//! | 14   | `StoreHashes`  | store (byte 0 state, 1 kv), count, then (id, 8-byte hash) each |
//! | 15   | `KvEntries`    | leaves, flags (bit 0 reply), total, entries (as `KvUpdate`)   |
//! | 16   | `StateEntries` | leaves, flags (bit 0 reply), owners                           |
//! | 17   | `KvCopy`       | token, then a `KvUpdate` body                                 |
//! | 18   | `KvHeld`       | token                                                         |
//!
//! A **key** is a varint length (1 to [`MAX_KEY_BYTES`]) and UTF-8 bytes, else
//! [`DecodeError::BadKey`]. A **value** is a varint: 0 for a tombstone, else the length plus
//! one (at most [`MAX_VALUE_WIRE_BYTES`], else [`DecodeError::Oversized`]), then the bytes.
//! **Leaves** are a count and varint leaf numbers below [`MAX_LEAVES`]; tree node ids in
//! `StoreHashes` are varints up to [`MAX_NODES`] (which names the root) (a store's own shape may be smaller; ids
//! beyond it are ignored by the receiver). An **owner** is name, generation, floor and a
//! list of records (key, version, value).

use std::sync::Arc;

use super::error::DecodeError;
use super::name::{name_len, put_name};
use super::reader::Reader;
use super::varint::{count_len, put_varint, varint_len};
use crate::store::tree::{MAX_LEAVES, MAX_NODES};
use crate::wire::store_message::{
    Key, KvEntries, KvUpdate, MAX_KEY_BYTES, MAX_VALUE_WIRE_BYTES, OwnerState, StateEntries,
    StateRecord, StateUpdate, StoreHashes, StoreKind, Value,
};

const REPLY: u8 = 1;
/// Fewest bytes of a `KvUpdate` body: key (2), stamp (1), writer (2), value (1).
const MIN_KV_BYTES: usize = 6;
/// Fewest bytes of a state record: key (2), version (1), value (1).
const MIN_RECORD_BYTES: usize = 4;
/// Fewest bytes of an owner: name (2), generation (1), floor (1), count (1).
const MIN_OWNER_BYTES: usize = 5;

// ---- sizes ----------------------------------------------------------------------------------

fn key_len(key: &str) -> usize {
    count_len(key.len()) + key.len()
}

fn value_len(value: Option<&Value>) -> usize {
    match value {
        None => 1,
        Some(v) => varint_len(v.len() as u64 + 1) + v.len(),
    }
}

fn leaves_len(leaves: &[u32]) -> usize {
    count_len(leaves.len())
        + leaves
            .iter()
            .map(|&l| varint_len(u64::from(l)))
            .sum::<usize>()
}

pub(super) fn state_update_len(m: &StateUpdate) -> usize {
    name_len(&m.owner)
        + varint_len(m.generation)
        + varint_len(m.version)
        + key_len(&m.key)
        + value_len(m.value.as_ref())
}

pub(super) fn kv_update_len(m: &KvUpdate) -> usize {
    key_len(&m.key) + varint_len(m.stamp) + name_len(&m.writer) + value_len(m.value.as_ref())
}

pub(super) fn store_hashes_len(m: &StoreHashes) -> usize {
    1 + count_len(m.ids.len())
        + m.ids
            .iter()
            .map(|&id| varint_len(u64::from(id)) + 8)
            .sum::<usize>()
}

pub(super) fn kv_entries_len(m: &KvEntries) -> usize {
    leaves_len(&m.leaves)
        + 1
        + varint_len(m.total)
        + count_len(m.entries.len())
        + m.entries.iter().map(kv_update_len).sum::<usize>()
}

fn owner_len(o: &OwnerState) -> usize {
    name_len(&o.owner)
        + varint_len(o.generation)
        + varint_len(o.floor)
        + count_len(o.entries.len())
        + o.entries
            .iter()
            .map(|r| key_len(&r.key) + varint_len(r.version) + value_len(r.value.as_ref()))
            .sum::<usize>()
}

pub(super) fn state_entries_len(m: &StateEntries) -> usize {
    leaves_len(&m.leaves)
        + 1
        + count_len(m.owners.len())
        + m.owners.iter().map(owner_len).sum::<usize>()
}

// ---- encoding -------------------------------------------------------------------------------

fn put_key(out: &mut Vec<u8>, key: &str) {
    put_varint(out, key.len() as u64);
    out.extend_from_slice(key.as_bytes());
}

fn put_value(out: &mut Vec<u8>, value: Option<&Value>) {
    match value {
        None => put_varint(out, 0),
        Some(v) => {
            put_varint(out, v.len() as u64 + 1);
            out.extend_from_slice(v);
        }
    }
}

fn put_leaves(out: &mut Vec<u8>, leaves: &[u32]) {
    put_varint(out, leaves.len() as u64);
    for &l in leaves {
        put_varint(out, u64::from(l));
    }
}

pub(super) fn put_state_update(out: &mut Vec<u8>, m: &StateUpdate) {
    put_name(out, &m.owner);
    put_varint(out, m.generation);
    put_varint(out, m.version);
    put_key(out, &m.key);
    put_value(out, m.value.as_ref());
}

pub(super) fn put_kv_update(out: &mut Vec<u8>, m: &KvUpdate) {
    put_key(out, &m.key);
    put_varint(out, m.stamp);
    put_name(out, &m.writer);
    put_value(out, m.value.as_ref());
}

pub(super) fn put_store_hashes(out: &mut Vec<u8>, m: &StoreHashes) {
    out.push(m.store as u8);
    put_varint(out, m.ids.len() as u64);
    for (id, h) in m.ids.iter().zip(&m.hashes) {
        put_varint(out, u64::from(*id));
        out.extend_from_slice(&h.to_le_bytes());
    }
}

pub(super) fn put_kv_entries(out: &mut Vec<u8>, m: &KvEntries) {
    put_leaves(out, &m.leaves);
    out.push(if m.reply { REPLY } else { 0 });
    put_varint(out, m.total);
    put_varint(out, m.entries.len() as u64);
    for e in &m.entries {
        put_kv_update(out, e);
    }
}

pub(super) fn put_state_entries(out: &mut Vec<u8>, m: &StateEntries) {
    put_leaves(out, &m.leaves);
    out.push(if m.reply { REPLY } else { 0 });
    put_varint(out, m.owners.len() as u64);
    for o in &m.owners {
        put_name(out, &o.owner);
        put_varint(out, o.generation);
        put_varint(out, o.floor);
        put_varint(out, o.entries.len() as u64);
        for r in &o.entries {
            put_key(out, &r.key);
            put_varint(out, r.version);
            put_value(out, r.value.as_ref());
        }
    }
}

// ---- decoding -------------------------------------------------------------------------------

fn key(r: &mut Reader<'_>) -> Result<Key, DecodeError> {
    let len = r.len()?;
    if len == 0 || len > MAX_KEY_BYTES {
        return Err(DecodeError::BadKey);
    }
    let text = std::str::from_utf8(r.bytes(len)?).map_err(|_| DecodeError::BadKey)?;
    Ok(Arc::from(text))
}

fn value(r: &mut Reader<'_>) -> Result<Option<Value>, DecodeError> {
    let tagged = r.len()?;
    if tagged == 0 {
        return Ok(None);
    }
    let len = tagged - 1;
    if len > MAX_VALUE_WIRE_BYTES {
        return Err(DecodeError::Oversized);
    }
    Ok(Some(Arc::from(r.bytes(len)?)))
}

fn leaves(r: &mut Reader<'_>) -> Result<Vec<u32>, DecodeError> {
    let count = r.count(1, MAX_LEAVES)?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        match r.u32()? {
            l if (l as usize) < MAX_LEAVES => out.push(l),
            _ => return Err(DecodeError::Malformed),
        }
    }
    Ok(out)
}

pub(super) fn state_update(r: &mut Reader<'_>) -> Result<StateUpdate, DecodeError> {
    Ok(StateUpdate {
        owner: r.name()?,
        generation: r.u64()?,
        version: r.u64()?,
        key: key(r)?,
        value: value(r)?,
    })
}

pub(super) fn kv_update(r: &mut Reader<'_>) -> Result<KvUpdate, DecodeError> {
    Ok(KvUpdate {
        key: key(r)?,
        stamp: r.u64()?,
        writer: r.name()?,
        value: value(r)?,
    })
}

pub(super) fn store_hashes(r: &mut Reader<'_>) -> Result<StoreHashes, DecodeError> {
    let store = match r.u8()? {
        0 => StoreKind::State,
        1 => StoreKind::Kv,
        _ => return Err(DecodeError::Malformed),
    };
    let count = r.count(9, MAX_NODES + 1)?;
    let mut ids = Vec::with_capacity(count);
    let mut hashes = Vec::with_capacity(count);
    for _ in 0..count {
        match r.u32()? {
            id if (id as usize) <= MAX_NODES => ids.push(id),
            _ => return Err(DecodeError::Malformed),
        }
        hashes.push(r.u64_le()?);
    }
    Ok(StoreHashes { store, ids, hashes })
}

pub(super) fn kv_entries(r: &mut Reader<'_>) -> Result<KvEntries, DecodeError> {
    let leaves = leaves(r)?;
    let reply = r.flags(REPLY)? & REPLY != 0;
    let total = r.u64()?;
    let count = r.count(MIN_KV_BYTES, usize::MAX)?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        entries.push(kv_update(r)?);
    }
    Ok(KvEntries {
        leaves,
        reply,
        total,
        entries,
    })
}

pub(super) fn state_entries(r: &mut Reader<'_>) -> Result<StateEntries, DecodeError> {
    let leaves = leaves(r)?;
    let reply = r.flags(REPLY)? & REPLY != 0;
    let count = r.count(MIN_OWNER_BYTES, usize::MAX)?;
    let mut owners = Vec::with_capacity(count);
    for _ in 0..count {
        let owner = r.name()?;
        let generation = r.u64()?;
        let floor = r.u64()?;
        let n = r.count(MIN_RECORD_BYTES, usize::MAX)?;
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            entries.push(StateRecord {
                key: key(r)?,
                version: r.u64()?,
                value: value(r)?,
            });
        }
        owners.push(OwnerState {
            owner,
            generation,
            floor,
            entries,
        });
    }
    Ok(StateEntries {
        leaves,
        reply,
        owners,
    })
}
