//! Binding the node's two sockets, one UDP socket and one TCP listener on the same port, and
//! choosing the address to advertise.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::net::{TcpListener, UdpSocket};

use crate::error::StartError;

/// Attempts at finding a port free for both UDP and TCP when the caller asked for port 0.
const EPHEMERAL_ATTEMPTS: usize = 32;

/// Binds UDP and TCP on the same address. With port 0, picks a port free for both.
pub(crate) async fn bind_pair(addr: SocketAddr) -> Result<(UdpSocket, TcpListener), StartError> {
    let fail = |proto: &'static str, e: io::Error| StartError::Bind {
        addr,
        proto,
        source: e,
    };
    if addr.port() != 0 {
        let udp = UdpSocket::bind(addr).await.map_err(|e| fail("UDP", e))?;
        let tcp = TcpListener::bind(addr).await.map_err(|e| fail("TCP", e))?;
        return Ok((udp, tcp));
    }
    let mut last = None;
    for _ in 0..EPHEMERAL_ATTEMPTS {
        let udp = UdpSocket::bind(addr).await.map_err(|e| fail("UDP", e))?;
        let port = udp.local_addr().map_err(|e| fail("UDP", e))?.port();
        match TcpListener::bind(SocketAddr::new(addr.ip(), port)).await {
            Ok(tcp) => return Ok((udp, tcp)),
            // The UDP port's TCP twin is taken: try another port.
            Err(e) => last = Some(e),
        }
    }
    Err(fail(
        "TCP",
        last.unwrap_or_else(|| io::Error::other("no port free for both UDP and TCP")),
    ))
}

/// The address to advertise for a socket bound to `bound`: itself, unless its IP is a wildcard.
/// Then the IP of the interface that routes outward (found by connecting a UDP socket, which
/// sends nothing), or loopback when there is no route.
pub(crate) fn advertise_for(bound: SocketAddr) -> SocketAddr {
    if !bound.ip().is_unspecified() {
        return bound;
    }
    let ip = outward_ip(bound.is_ipv6()).unwrap_or(if bound.is_ipv6() {
        IpAddr::V6(Ipv6Addr::LOCALHOST)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    });
    if ip.is_loopback() {
        tracing::warn!(
            %bound,
            "advertising {ip}: only nodes on this host can reach it; pass an advertise address"
        );
    }
    SocketAddr::new(ip, bound.port())
}

fn outward_ip(v6: bool) -> Option<IpAddr> {
    // Documentation-range addresses: connect() only consults the routing table.
    let (local, probe): (SocketAddr, SocketAddr) = if v6 {
        (
            (Ipv6Addr::UNSPECIFIED, 0).into(),
            ("2001:db8::1".parse::<Ipv6Addr>().ok()?, 9).into(),
        )
    } else {
        (
            (Ipv4Addr::UNSPECIFIED, 0).into(),
            (Ipv4Addr::new(192, 0, 2, 1), 9).into(),
        )
    };
    let s = std::net::UdpSocket::bind(local).ok()?;
    s.connect(probe).ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn port_zero_binds_udp_and_tcp_on_one_port() {
        let (udp, tcp) = bind_pair("127.0.0.1:0".parse().unwrap()).await.unwrap();
        assert_eq!(udp.local_addr().unwrap(), tcp.local_addr().unwrap());
    }

    #[tokio::test]
    async fn a_taken_port_names_the_address_and_protocol() {
        let (udp, _tcp) = bind_pair("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let taken = udp.local_addr().unwrap();
        let err = bind_pair(taken).await.unwrap_err().to_string();
        assert!(
            err.contains(&taken.to_string()) && err.contains("UDP"),
            "{err}"
        );
    }

    #[test]
    fn a_specific_address_is_advertised_as_is() {
        let a: SocketAddr = "127.0.0.1:7000".parse().unwrap();
        assert_eq!(advertise_for(a), a);
    }

    #[test]
    fn a_wildcard_is_replaced_by_a_concrete_ip() {
        let a = advertise_for("0.0.0.0:7000".parse().unwrap());
        assert!(!a.ip().is_unspecified());
        assert_eq!(a.port(), 7000);
    }
}
