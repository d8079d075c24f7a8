//! Synthetic node addresses, computed rather than looked up.
//!
//! Node `i` in its `e`-th start (epoch `e`, 0 for the first) lives at `127.a.b.c:7946+e`, where
//! `a.b.c` spells `i + 1` in base 256. Decoding an address gives the node and epoch back, so the
//! simulator needs no address table: an address belongs to node `i` only while node `i` is
//! running in that epoch. A restarted node gets a new port, and datagrams still aimed at its
//! old address find nobody. No traffic ever leaves the process.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// First port; the epoch is added to it.
pub const BASE_PORT: u16 = 7946;

/// Most nodes the address scheme can name (24 bits, minus the all-zero host).
pub const MAX_NODES: u32 = (1 << 24) - 2;

/// Most restarts of one node the port range leaves room for.
pub const MAX_EPOCH: u16 = u16::MAX - BASE_PORT;

/// Where node `index` listens in its `epoch`-th start.
pub fn addr_of(index: u32, epoch: u16) -> SocketAddr {
    debug_assert!(index < MAX_NODES && epoch <= MAX_EPOCH);
    let v = index + 1;
    let ip = Ipv4Addr::new(127, (v >> 16) as u8, (v >> 8) as u8, v as u8);
    SocketAddr::new(IpAddr::V4(ip), BASE_PORT + epoch)
}

/// The node and epoch an address was made for, if it is one of ours.
pub fn node_of(addr: SocketAddr) -> Option<(u32, u16)> {
    let SocketAddr::V4(v4) = addr else {
        return None;
    };
    let [first, a, b, c] = v4.ip().octets();
    let epoch = v4.port().checked_sub(BASE_PORT)?;
    let v = (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c);
    if first != 127 || v == 0 {
        return None;
    }
    Some((v - 1, epoch))
}

/// The name of node `index`: `node-{index}`, the same in every start.
pub fn name_of(index: u32) -> String {
    format!("node-{index}")
}

/// The node index a name was made for, without hashing (`node-17` gives 17).
pub fn index_of_name(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("node-")?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_decode_to_the_node_and_epoch_they_encode() {
        for index in [0, 1, 255, 256, 65_535, 65_536, 9_999, MAX_NODES - 1] {
            for epoch in [0, 1, 7] {
                assert_eq!(node_of(addr_of(index, epoch)), Some((index, epoch)));
            }
        }
        assert_eq!(addr_of(0, 0).to_string(), "127.0.0.1:7946");
        assert_eq!(addr_of(9_999, 2).to_string(), "127.0.39.16:7948");
    }

    #[test]
    fn foreign_addresses_belong_to_nobody() {
        assert_eq!(node_of("10.0.0.1:7946".parse().unwrap()), None);
        assert_eq!(node_of("127.0.0.0:7946".parse().unwrap()), None);
        assert_eq!(node_of("127.0.0.1:80".parse().unwrap()), None);
        assert_eq!(node_of("[::1]:7946".parse().unwrap()), None);
    }

    #[test]
    fn names_map_back_to_indices() {
        assert_eq!(index_of_name(&name_of(42)), Some(42));
        assert_eq!(index_of_name("node-"), None);
        assert_eq!(index_of_name("node-x1"), None);
        assert_eq!(index_of_name("other-1"), None);
    }
}
