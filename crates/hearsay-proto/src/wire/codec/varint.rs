//! Unsigned LEB128 varints: the encoding side (decoding lives on [`super::reader::Reader`]).

/// How many bytes [`put_varint`] writes for `value` (1 to 10).
#[inline]
pub(super) fn varint_len(value: u64) -> usize {
    // Significant bits, counting zero as one bit, in groups of seven.
    let bits = u64::BITS - (value | 1).leading_zeros();
    bits.div_ceil(7) as usize
}

/// Appends `value` in its shortest LEB128 form.
#[inline]
pub(super) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}
/// Encoded length of a count (a varint).
#[inline]
pub(super) fn count_len(count: usize) -> usize {
    varint_len(count as u64)
}
