//! Real sockets on loopback: a cluster forms, detects a failure, tells a restart from its
//! ghost, sees a leave as a leave, and still forms and spreads news through injected loss.

mod common;

use std::time::Duration;

use common::cluster;
use hearsay::{EventKind, Faults, Node, State};
use hearsay_test_support::nodes::{next_event, wait_for_full_views};
use hearsay_test_support::wait::wait_until;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_is_declared_dead_and_its_restart_replaces_it() {
    let nodes = cluster(5, |_| Faults::none(), Duration::from_secs(10)).await;
    let mut events = nodes[0].events();
    let old_generation = nodes[4].generation();
    nodes[4].shutdown().await; // a crash: no leave

    // local preset: probe 1 s, suspicion at least 3 s; allow generous slack on a busy machine.
    next_event(
        &mut events,
        EventKind::Down,
        "node-4",
        Duration::from_secs(20),
    )
    .await;

    let mut config = common::config("node-4", 99, Faults::none());
    config.generation = Some(old_generation + 1);
    let restarted = hearsay::Node::start(config).await.unwrap();
    restarted.join(&[nodes[0].advertise_addr()]).await.unwrap();
    let new_addr = restarted.advertise_addr();
    wait_until(
        "the restarted node-4 is alive everywhere under its new generation",
        Duration::from_secs(10),
        || async {
            for n in &nodes[..4] {
                let m = n.member("node-4").await.unwrap();
                let fresh = m.is_some_and(|d| {
                    d.member.state == State::Alive
                        && d.member.generation == old_generation + 1
                        && d.member.addr == new_addr
                });
                if !fresh {
                    return false;
                }
            }
            true
        },
    )
    .await;
    for n in &nodes[..4] {
        let members = n.members().await.unwrap();
        let named = members
            .iter()
            .filter(|m| m.member.name.as_str() == "node-4");
        assert_eq!(named.count(), 1, "no stale entry remains");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_leave_is_seen_as_left_not_dead() {
    let nodes = cluster(4, |_| Faults::none(), Duration::from_secs(10)).await;
    let mut events = nodes[0].events();
    nodes[3].leave().await.unwrap();
    nodes[3].shutdown().await;
    next_event(
        &mut events,
        EventKind::Left,
        "node-3",
        Duration::from_secs(5),
    )
    .await;
    for n in &nodes[..3] {
        let m = n.member("node-3").await.unwrap().expect("still known");
        assert_eq!(m.member.state, State::Left);
    }
}

/// Fault injection on real sockets works, and the protocol works through it: the datagrams it
/// drops are counted, about the share asked for, and a cluster still forms full views, spreads
/// news, and holds full views after hundreds of datagrams. Whether loss brings false deaths is a question for the simulator (its loss
/// runs sweep the rate on a virtual clock): here a loaded machine could cause a real one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_loss_drops_datagrams_and_the_cluster_still_forms_and_spreads_news() {
    const NODES: usize = 5;
    const LOSS: f64 = 0.2;
    // Generous: suspicions under loss are refuted, and a refuted or even a false death heals,
    // but either takes a few protocol rounds.
    let patience = Duration::from_secs(30);
    let nodes = cluster(NODES, |i| Faults::loss(LOSS, 1000 + i), patience).await;
    nodes[1]
        .set_meta(hearsay::Meta::from(&b"role=lossy"[..]))
        .await
        .unwrap();
    wait_until(
        "every node sees node-1's new metadata",
        patience,
        || async {
            for n in &nodes {
                let m = n.member("node-1").await.unwrap().expect("node-1 is known");
                if &*m.member.meta != b"role=lossy" {
                    return false;
                }
            }
            true
        },
    )
    .await;
    // Enough traffic for the dropped share to mean something: at 300 datagrams one standard
    // deviation of the share is about 0.023.
    wait_until("300 datagrams have been sent", patience, || async {
        transmitted(&nodes).await.1 >= 300
    })
    .await;
    // Still a full view after all that loss (a suspicion still in flight is refuted).
    wait_for_full_views(&nodes, patience).await;
    let (dropped, sent) = transmitted(&nodes).await;
    let share = dropped as f64 / sent as f64;
    assert!(
        (LOSS - 0.1..=LOSS + 0.1).contains(&share),
        "{dropped} of {sent} datagrams dropped ({share:.3}), asked for {LOSS}"
    );
}

/// Datagrams the fault injection dropped and datagrams the engines sent, over all `nodes`.
async fn transmitted(nodes: &[Node]) -> (u64, u64) {
    let (mut dropped, mut sent) = (0, 0);
    for n in nodes {
        let info = n.info().await.unwrap();
        dropped += info.transport.fault_dropped;
        sent += info.stats.datagrams_out;
    }
    (dropped, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_changes_spread() {
    let nodes = cluster(3, |_| Faults::none(), Duration::from_secs(10)).await;
    nodes[1]
        .set_meta(hearsay::Meta::from(&b"role=db"[..]))
        .await
        .unwrap();
    wait_until("the metadata spread", Duration::from_secs(5), || async {
        let m = nodes[2].member("node-1").await.unwrap().unwrap();
        &*m.member.meta == b"role=db"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_work_over_ipv6_loopback() {
    let mut nodes = Vec::new();
    for (i, name) in ["v6-a", "v6-b"].into_iter().enumerate() {
        let mut c = common::config(name, i as u64 + 1, Faults::none());
        c.bind = "[::1]:0".parse().unwrap();
        match hearsay::Node::start(c).await {
            Ok(n) => nodes.push(n),
            // A machine without IPv6 loopback cannot run this test.
            Err(e) => return eprintln!("skipped: {e}"),
        }
    }
    assert!(nodes[0].advertise_addr().is_ipv6());
    nodes[1].join(&[nodes[0].advertise_addr()]).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), nodes[1].joined())
        .await
        .expect("no join over ::1")
        .unwrap();
    wait_until("v6-a learns of v6-b", Duration::from_secs(5), || async {
        nodes[0].members().await.unwrap().len() == 2
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn others_reach_a_node_at_its_advertised_address() {
    let a = common::start("adv-a", 1, Faults::none()).await;
    let mut c = common::config("adv-b", 2, Faults::none());
    // Bound on every interface, reachable (as far as the cluster knows) only at loopback.
    c.bind = "0.0.0.0:0".parse().unwrap();
    c.advertise = Some("127.0.0.1:0".parse().unwrap()); // port 0: the bound port
    let b = hearsay::Node::start(c).await.unwrap();
    assert_eq!(b.advertise_addr().port(), b.local_addr().port());
    assert_eq!(b.advertise_addr().ip().to_string(), "127.0.0.1");
    b.join(&[a.advertise_addr()]).await.unwrap();
    wait_until(
        "adv-a knows adv-b at its advertised address",
        Duration::from_secs(5),
        || async {
            a.member("adv-b")
                .await
                .unwrap()
                .is_some_and(|m| m.member.addr == b.advertise_addr())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn news_from_a_stream_names_the_senders_member_address() {
    let a = common::start("cause-a", 1, Faults::none()).await;
    let b = common::start("cause-b", 2, Faults::none()).await;
    let mut events = a.events();
    b.join(&[a.advertise_addr()]).await.unwrap();
    let up = next_event(
        &mut events,
        EventKind::Up,
        "cause-b",
        Duration::from_secs(5),
    )
    .await;
    // The join arrived over TCP from an ephemeral port; the cause names b's gossip address.
    assert_eq!(up.cause.via, hearsay::Via::Sync(b.advertise_addr()));
}
