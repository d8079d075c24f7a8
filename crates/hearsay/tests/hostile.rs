//! Hostile input on real sockets: garbage datagrams, half-open, oversized, truncated and
//! garbage streams, and a flood of connections. Each is counted and dropped; nothing about the
//! membership changes; the node keeps answering.

mod common;

use std::time::Duration;

use common::start;
use hearsay::Faults;
use hearsay_test_support::wait::wait_until;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_datagrams_are_counted_and_change_nothing() {
    let node = start("target", 1, Faults::none()).await;
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let garbage: [&[u8]; 5] = [
        b"",
        b"\x00",
        b"\xff\xff\xff\xff\xff\xff\xff\xff",
        &[1; 1400],
        b"GET / HTTP/1.1\r\n\r\n",
    ];
    for g in garbage {
        sock.send_to(g, node.local_addr()).await.unwrap();
    }
    wait_until("the datagrams arrived", Duration::from_secs(5), || async {
        let s = node.info().await.unwrap().stats;
        s.datagrams_in >= garbage.len() as u64
    })
    .await;
    let info = node.info().await.unwrap();
    assert_eq!(
        info.stats.dropped_total(),
        garbage.len() as u64,
        "{:?}",
        info.stats
    );
    assert_eq!(info.states.alive, 1);
    assert_eq!(
        node.members().await.unwrap().len(),
        1,
        "no member was invented"
    );
    still_answers(&node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_streams_are_counted_and_the_node_keeps_answering() {
    let mut config = common::config("target", 1, Faults::none());
    config.protocol.stream_timeout = Duration::from_millis(500);
    let node = hearsay::Node::start(config).await.unwrap();
    let addr = node.local_addr();

    // Half-open: connects, never sends.
    let half_open = TcpStream::connect(addr).await.unwrap();
    // Oversized: announces 4 GiB.
    let mut oversized = TcpStream::connect(addr).await.unwrap();
    oversized.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
    // Truncated: announces 100 bytes, sends 3, closes.
    let mut truncated = TcpStream::connect(addr).await.unwrap();
    truncated.write_all(&100u32.to_be_bytes()).await.unwrap();
    truncated.write_all(b"abc").await.unwrap();
    drop(truncated);
    // A header that is not an address.
    let mut bad_header = TcpStream::connect(addr).await.unwrap();
    bad_header.write_all(&4u32.to_be_bytes()).await.unwrap();
    bad_header.write_all(b"junk").await.unwrap();
    // A good header, then a whole frame of garbage: reaches the engine, which refuses to
    // decode it.
    let mut garbage = TcpStream::connect(addr).await.unwrap();
    let header = b"127.0.0.1:9";
    garbage
        .write_all(&(header.len() as u32).to_be_bytes())
        .await
        .unwrap();
    garbage.write_all(header).await.unwrap();
    garbage.write_all(&8u32.to_be_bytes()).await.unwrap();
    garbage.write_all(b"\x01\xeejunk!!").await.unwrap();

    wait_until(
        "the bad streams are all counted",
        Duration::from_secs(5),
        || async {
            let t = node.info().await.unwrap().transport;
            t.stream_timeouts >= 1
                && t.stream_oversized >= 1
                && t.stream_truncated >= 1
                && t.stream_malformed >= 1
        },
    )
    .await;
    let info = node.info().await.unwrap();
    assert_eq!(
        info.stats.streams_in, 1,
        "only the whole garbage frame reached the engine"
    );
    assert_eq!(info.stats.dropped_total(), 1, "{:?}", info.stats);
    assert_eq!(node.members().await.unwrap().len(), 1);
    drop((half_open, oversized, bad_header, garbage));
    still_answers(&node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_is_capped_and_the_node_keeps_answering() {
    let mut config = common::config("target", 1, Faults::none());
    config.max_inbound_streams = 8;
    config.protocol.stream_timeout = Duration::from_secs(2);
    let node = hearsay::Node::start(config).await.unwrap();
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(node.local_addr()).await.unwrap());
    }
    wait_until(
        "the connections are all seen",
        Duration::from_secs(5),
        || async {
            let t = node.info().await.unwrap().transport;
            t.streams_accepted + t.stream_limit >= 20
        },
    )
    .await;
    let t = node.info().await.unwrap().transport;
    assert_eq!(t.streams_accepted, 8, "{t:?}");
    assert_eq!(t.stream_limit, 12, "{t:?}");
    // Once the idle connections time out, their slots free up and a real join works.
    drop(idle);
    still_answers(&node).await;
}

/// A fresh node can join `node` and both see each other alive.
async fn still_answers(node: &hearsay::Node) {
    let other = start("witness", 2, Faults::none()).await;
    other.join(&[node.advertise_addr()]).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), other.joined())
        .await
        .expect("the node stopped answering joins")
        .unwrap();
    wait_until(
        "the node learns of the witness",
        Duration::from_secs(5),
        || async { node.members().await.unwrap().len() == 2 },
    )
    .await;
    other.shutdown().await;
}
