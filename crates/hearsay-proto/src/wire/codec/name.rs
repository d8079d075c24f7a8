//! Member names on the wire: one length byte, then the name's UTF-8 (read by
//! [`super::reader::Reader`]).

use crate::name::Name;

/// Encoded length of `name`.
#[inline]
pub(super) fn name_len(name: &Name) -> usize {
    1 + name.as_str().len()
}

/// Appends `name`.
#[inline]
pub(super) fn put_name(out: &mut Vec<u8>, name: &Name) {
    let bytes = name.as_str().as_bytes();
    // A `Name` is 1..=MAX_NAME_BYTES (128) bytes long, so its length fits the byte.
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}
