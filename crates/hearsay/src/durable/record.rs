//! One entry of the cluster-wide map, and the byte layout of its value on disk.
//!
//! redb stores the key as the table key and this record as the table value. The layout is our
//! own (not a serde format) so that it is small, stable across dependency upgrades, and starts
//! with a format byte: a future layout can be read next to this one without a migration.
//!
//! ```text
//!  offset  size  field
//!  0       1     format = 1
//!  1       8     stamp, u64 little-endian (hybrid logical clock)
//!  9       4     writer length n, u32 little-endian
//!  13      n     writer, UTF-8
//!  13+n    1     0 = tombstone, 1 = live value
//!  14+n    rest  value bytes (nothing after a tombstone)
//! ```
//!
//! The file is ours, but it can still be damaged or written by a newer version, so decoding
//! checks every length and byte and never panics: a bad record is a [`RecordError`].

use std::fmt;

use redb::TableDefinition;

/// One entry of the cluster-wide map as stored on disk.
///
/// The store keeps whatever entry it was given last for a key; choosing the winner (last
/// writer wins by `stamp`, then `writer`) is the engine's job, before it writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoredEntry {
    /// The key: any bytes, at most a few KiB in practice.
    pub key: Vec<u8>,
    /// Hybrid logical clock stamp: 48-bit milliseconds `<< 16 |` a 16-bit counter.
    pub stamp: u64,
    /// Name of the node that wrote the entry (the tie-break of last-writer-wins).
    pub writer: String,
    /// The value, or `None` for a tombstone (a delete). Values are up to 1 MiB in practice.
    pub value: Option<Vec<u8>>,
}

impl StoredEntry {
    /// A live entry.
    pub fn new(
        key: impl Into<Vec<u8>>,
        stamp: u64,
        writer: impl Into<String>,
        value: impl Into<Vec<u8>>,
    ) -> Self {
        StoredEntry {
            key: key.into(),
            stamp,
            writer: writer.into(),
            value: Some(value.into()),
        }
    }

    /// A tombstone: the key was deleted at `stamp` by `writer`.
    pub fn tombstone(key: impl Into<Vec<u8>>, stamp: u64, writer: impl Into<String>) -> Self {
        StoredEntry {
            key: key.into(),
            stamp,
            writer: writer.into(),
            value: None,
        }
    }

    /// Whether this entry records a delete.
    pub fn is_tombstone(&self) -> bool {
        self.value.is_none()
    }
}

/// The redb table holding the map: key bytes to a record in the layout above.
pub(crate) const ENTRIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("entries");

/// The only record layout this version writes and reads.
pub(crate) const FORMAT_V1: u8 = 1;

/// Bytes of a v1 record before the writer's name.
const HEADER_BYTES: usize = 1 + 8 + 4;

const TOMBSTONE: u8 = 0;
const LIVE: u8 = 1;

/// Why a stored record could not be read. Shown inside a `Corrupt` error with the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RecordError {
    /// Fewer bytes than the layout needs.
    Truncated { len: usize, needed: usize },
    /// A format byte this version does not know (a newer version wrote it, or garbage).
    UnknownFormat(u8),
    /// The writer's name is not UTF-8.
    WriterNotUtf8,
    /// The live/tombstone flag is neither 0 nor 1.
    BadFlag(u8),
    /// A tombstone followed by value bytes.
    TombstoneWithValue(usize),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Truncated { len, needed } => {
                write!(f, "record is {len} bytes, needs at least {needed}")
            }
            RecordError::UnknownFormat(b) => {
                write!(f, "unknown record format {b} (written by a newer version?)")
            }
            RecordError::WriterNotUtf8 => write!(f, "writer name is not UTF-8"),
            RecordError::BadFlag(b) => write!(f, "tombstone flag is {b}, expected 0 or 1"),
            RecordError::TombstoneWithValue(n) => {
                write!(f, "tombstone followed by {n} value bytes")
            }
        }
    }
}

/// The number of bytes [`encode_into`] appends for `entry`.
pub(crate) fn encoded_len(entry: &StoredEntry) -> usize {
    HEADER_BYTES + entry.writer.len() + 1 + entry.value.as_ref().map_or(0, Vec::len)
}

/// Appends the v1 record of `entry` (everything but the key) to `out`.
///
/// # Panics
///
/// If the writer's name is longer than `u32::MAX` bytes (4 GiB), which no caller can build.
pub(crate) fn encode_into(entry: &StoredEntry, out: &mut Vec<u8>) {
    let writer_len = u32::try_from(entry.writer.len()).expect("writer name under 4 GiB");
    out.reserve(encoded_len(entry));
    out.push(FORMAT_V1);
    out.extend_from_slice(&entry.stamp.to_le_bytes());
    out.extend_from_slice(&writer_len.to_le_bytes());
    out.extend_from_slice(entry.writer.as_bytes());
    match &entry.value {
        None => out.push(TOMBSTONE),
        Some(value) => {
            out.push(LIVE);
            out.extend_from_slice(value);
        }
    }
}

/// Reads a record stored under `key` back into an entry.
pub(crate) fn decode(key: &[u8], bytes: &[u8]) -> Result<StoredEntry, RecordError> {
    let truncated = |needed| RecordError::Truncated {
        len: bytes.len(),
        needed,
    };
    let (&format, rest) = bytes.split_first().ok_or(truncated(HEADER_BYTES))?;
    if format != FORMAT_V1 {
        return Err(RecordError::UnknownFormat(format));
    }
    let (stamp, rest) = rest
        .split_first_chunk::<8>()
        .ok_or(truncated(HEADER_BYTES))?;
    let (writer_len, rest) = rest
        .split_first_chunk::<4>()
        .ok_or(truncated(HEADER_BYTES))?;
    let writer_len = u32::from_le_bytes(*writer_len) as usize;
    // The flag byte follows the writer; compute the need without overflow on 32-bit targets.
    let needed = HEADER_BYTES.saturating_add(writer_len).saturating_add(1);
    if rest.len() < writer_len.saturating_add(1) {
        return Err(truncated(needed));
    }
    let (writer, rest) = rest.split_at(writer_len);
    let writer = std::str::from_utf8(writer).map_err(|_| RecordError::WriterNotUtf8)?;
    let (&flag, value) = rest.split_first().ok_or(truncated(needed))?;
    let value = match flag {
        TOMBSTONE if value.is_empty() => None,
        TOMBSTONE => return Err(RecordError::TombstoneWithValue(value.len())),
        LIVE => Some(value.to_vec()),
        other => return Err(RecordError::BadFlag(other)),
    };
    Ok(StoredEntry {
        key: key.to_vec(),
        stamp: u64::from_le_bytes(*stamp),
        writer: writer.to_owned(),
        value,
    })
}

/// A key as it appears in an error message: printable ASCII kept, other bytes escaped, and
/// long keys cut so the message stays on one readable line.
pub(crate) fn show_key(key: &[u8]) -> String {
    const SHOWN_BYTES: usize = 64;
    let shown = &key[..key.len().min(SHOWN_BYTES)];
    let mut text = format!("\"{}\"", shown.escape_ascii());
    if key.len() > SHOWN_BYTES {
        text.push_str(&format!("… ({} bytes)", key.len()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(entry: &StoredEntry) -> Vec<u8> {
        let mut out = Vec::new();
        encode_into(entry, &mut out);
        out
    }

    #[test]
    fn live_entry_round_trips() {
        let entry = StoredEntry::new(
            b"k".to_vec(),
            0x0123_4567_89ab_cdef,
            "node-a",
            b"value".to_vec(),
        );
        let bytes = encode(&entry);
        assert_eq!(bytes.len(), encoded_len(&entry));
        assert_eq!(decode(b"k", &bytes), Ok(entry));
    }

    #[test]
    fn tombstone_and_empty_value_are_different_records() {
        let dead = StoredEntry::tombstone(b"k".to_vec(), 7, "a");
        let empty = StoredEntry::new(b"k".to_vec(), 7, "a", Vec::new());
        assert_ne!(encode(&dead), encode(&empty));
        assert_eq!(decode(b"k", &encode(&dead)), Ok(dead));
        assert_eq!(decode(b"k", &encode(&empty)), Ok(empty));
    }

    #[test]
    fn layout_is_the_documented_one() {
        let bytes = encode(&StoredEntry::new(
            b"k".to_vec(),
            0x0102,
            "ab",
            b"xy".to_vec(),
        ));
        assert_eq!(
            bytes,
            [
                1, 2, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, b'a', b'b', 1, b'x', b'y'
            ]
        );
    }

    #[test]
    fn every_truncation_of_a_record_is_an_error() {
        let bytes = encode(&StoredEntry::new(b"k".to_vec(), 9, "writer", b"v".to_vec()));
        // Cutting the value's last byte still leaves a valid (shorter) value, so stop at the flag.
        let flag_at = HEADER_BYTES + "writer".len();
        for len in 0..=flag_at {
            assert!(
                matches!(
                    decode(b"k", &bytes[..len]),
                    Err(RecordError::Truncated { .. })
                ),
                "length {len}"
            );
        }
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        let good = encode(&StoredEntry::new(b"k".to_vec(), 9, "w", b"v".to_vec()));
        let mut unknown = good.clone();
        unknown[0] = 2;
        assert_eq!(decode(b"k", &unknown), Err(RecordError::UnknownFormat(2)));
        let mut flag = good.clone();
        flag[HEADER_BYTES + 1] = 7;
        assert_eq!(decode(b"k", &flag), Err(RecordError::BadFlag(7)));
        let mut utf8 = good.clone();
        utf8[HEADER_BYTES] = 0xff;
        assert_eq!(decode(b"k", &utf8), Err(RecordError::WriterNotUtf8));
        let mut huge = good.clone();
        huge[9..13].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decode(b"k", &huge),
            Err(RecordError::Truncated { .. })
        ));
        let mut dead = encode(&StoredEntry::tombstone(b"k".to_vec(), 9, "w"));
        dead.push(0);
        assert_eq!(decode(b"k", &dead), Err(RecordError::TombstoneWithValue(1)));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A fixed-seed sweep standing in for a fuzz target: every outcome is Ok or Err.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|i| (state >> (i % 8 * 8)) as u8).collect();
            if let Some(first) = bytes.first_mut() {
                *first = FORMAT_V1; // mostly exercise the fields after the format byte
            }
            let _ = decode(b"k", &bytes);
        }
    }

    #[test]
    fn keys_in_messages_are_escaped_and_cut() {
        assert_eq!(show_key(b"user/1"), "\"user/1\"");
        assert_eq!(show_key(&[0, 255]), "\"\\x00\\xff\"");
        assert!(show_key(&[b'a'; 100]).ends_with("… (100 bytes)"));
    }
}
