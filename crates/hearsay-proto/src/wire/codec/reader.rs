//! A bounds-checked cursor over input bytes, with one reader per field type.
//!
//! Every method either consumes what it returns or fails; none can panic, whatever the input.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;

use super::error::DecodeError;
use crate::name::MAX_NAME_BYTES;
use crate::name::Name;
use crate::wire::message::{Meta, State};

/// Largest metadata the decoder accepts, whatever the configuration.
pub const MAX_META_WIRE_BYTES: usize = 64 * 1024;

/// Socket address tag for IPv4.
pub(super) const ADDR_V4: u8 = 4;
/// Socket address tag for IPv6.
pub(super) const ADDR_V6: u8 = 6;

/// The input not consumed yet.
pub(super) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { rest: bytes }
    }

    /// Whether everything has been consumed.
    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// How many bytes are left.
    pub(super) fn remaining(&self) -> usize {
        self.rest.len()
    }

    pub(super) fn u8(&mut self) -> Result<u8, DecodeError> {
        let (&first, rest) = self.rest.split_first().ok_or(DecodeError::Truncated)?;
        self.rest = rest;
        Ok(first)
    }

    /// The next `n` bytes.
    pub(super) fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let (head, rest) = self
            .rest
            .split_at_checked(n)
            .ok_or(DecodeError::Truncated)?;
        self.rest = rest;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let (head, rest) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or(DecodeError::Truncated)?;
        self.rest = rest;
        Ok(*head)
    }

    /// A varint that must fit in `bits` bits (32 or 64).
    fn varint(&mut self, bits: u32) -> Result<u64, DecodeError> {
        let max_bytes = bits.div_ceil(7);
        let mut value = 0u64;
        for i in 0..max_bytes {
            let byte = self.u8()?;
            let group = u64::from(byte & 0x7f);
            let shift = 7 * i;
            if i + 1 == max_bytes {
                // The last byte the type allows: it must end the varint and fit what is left.
                let room = bits - shift;
                if byte & 0x80 != 0 || group >> room != 0 {
                    return Err(DecodeError::VarintOverflow);
                }
            }
            value |= group << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        // Only reached if `bits` is zero, which no caller passes.
        Err(DecodeError::VarintOverflow)
    }

    pub(super) fn u32(&mut self) -> Result<u32, DecodeError> {
        let value = self.varint(u32::BITS)?;
        u32::try_from(value).map_err(|_| DecodeError::VarintOverflow)
    }

    pub(super) fn u64(&mut self) -> Result<u64, DecodeError> {
        self.varint(u64::BITS)
    }

    /// A length or a count (a `u32` varint).
    pub(super) fn len(&mut self) -> Result<usize, DecodeError> {
        let value = self.u32()?;
        usize::try_from(value).map_err(|_| DecodeError::Oversized)
    }

    /// A list count, checked against the remaining input before the caller reserves room for
    /// it: `count` entries of at least `min_entry_bytes` each must fit in what is left, and at
    /// most `max` entries are allowed (more is [`DecodeError::Malformed`]).
    pub(super) fn count(
        &mut self,
        min_entry_bytes: usize,
        max: usize,
    ) -> Result<usize, DecodeError> {
        let count = self.len()?;
        if count > max {
            return Err(DecodeError::Malformed);
        }
        check_fits(count, min_entry_bytes, self.remaining())?;
        Ok(count)
    }

    /// A flags byte, refused if any bit outside `known` is set.
    pub(super) fn flags(&mut self, known: u8) -> Result<u8, DecodeError> {
        let flags = self.u8()?;
        if flags & !known != 0 {
            return Err(DecodeError::Malformed);
        }
        Ok(flags)
    }

    pub(super) fn name(&mut self) -> Result<Name, DecodeError> {
        let len = usize::from(self.u8()?);
        if len == 0 || len > MAX_NAME_BYTES {
            return Err(DecodeError::BadName);
        }
        let text = std::str::from_utf8(self.bytes(len)?).map_err(|_| DecodeError::BadName)?;
        Name::new(text).map_err(|_| DecodeError::BadName)
    }

    pub(super) fn addr(&mut self) -> Result<SocketAddr, DecodeError> {
        match self.u8()? {
            ADDR_V4 => {
                let ip = Ipv4Addr::from(self.array::<4>()?);
                let port = u16::from_be_bytes(self.array()?);
                Ok(SocketAddr::V4(SocketAddrV4::new(ip, port)))
            }
            ADDR_V6 => {
                let ip = Ipv6Addr::from(self.array::<16>()?);
                let port = u16::from_be_bytes(self.array()?);
                Ok(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, 0)))
            }
            _ => Err(DecodeError::BadAddress),
        }
    }

    pub(super) fn meta(&mut self) -> Result<Meta, DecodeError> {
        let len = self.len()?;
        if len > MAX_META_WIRE_BYTES {
            return Err(DecodeError::Oversized);
        }
        Ok(Arc::from(self.bytes(len)?))
    }

    pub(super) fn state(&mut self) -> Result<State, DecodeError> {
        match self.u8()? {
            0 => Ok(State::Alive),
            1 => Ok(State::Suspect),
            2 => Ok(State::Dead),
            3 => Ok(State::Left),
            _ => Err(DecodeError::BadState),
        }
    }

    /// A little-endian 8-byte word.
    pub(super) fn u64_le(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}

/// Whether `count` entries of at least `min_entry_bytes` each can fit in `remaining` bytes:
/// the guard that runs before any list capacity is reserved.
pub(super) fn check_fits(
    count: usize,
    min_entry_bytes: usize,
    remaining: usize,
) -> Result<(), DecodeError> {
    match count.checked_mul(min_entry_bytes) {
        Some(needed) if needed <= remaining => Ok(()),
        _ => Err(DecodeError::Truncated),
    }
}
