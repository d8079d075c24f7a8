//! Small simulated clusters: joins, failures, refutation, restarts, leaves, partitions.

use std::time::Duration;

use super::harness::{Net, addr};
use crate::{Config, EventKind, State, Via};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn nodes_joining_through_one_seed_learn_the_whole_membership() {
    let mut net = Net::new(Config::lan(8));
    for _ in 0..8 {
        net.add();
    }
    for i in 1..8 {
        net.join(i, 0);
    }
    net.run_for(secs(3));
    assert!(net.converged());
    assert!(net.nodes.iter().all(|n| n.engine.is_joined()));
}

#[test]
fn a_join_keeps_retrying_until_the_seed_is_up() {
    let mut net = Net::new(Config::lan(2));
    net.add();
    net.add();
    net.kill(0);
    net.join(1, 0);
    net.run_for(secs(10));
    let attempts = net.engine(1).stats().join_attempts;
    assert!(
        (3..=5).contains(&attempts),
        "1+2+4 s backoff gives 4 attempts in 10 s, saw {attempts}"
    );
    assert!(!net.nodes[1].engine.is_joined());
    net.nodes[0].running = true;
    net.run_for(secs(9));
    assert!(net.converged(), "node 1 joined once the seed came up");
}

#[test]
fn a_killed_member_is_suspected_then_declared_dead_by_everyone() {
    let mut net = Net::converged_cluster(Config::lan(6), 6);
    net.kill(5);
    net.run_for(secs(40));
    for i in 0..5 {
        let down = net.events_about(i, 5, EventKind::Down);
        assert_eq!(down.len(), 1, "node {i} declares node-5 dead exactly once");
        assert_eq!(
            net.nodes[i].engine.member("node-5").unwrap().state,
            State::Dead
        );
    }
    let suspects: usize = (0..5)
        .map(|i| net.events_about(i, 5, EventKind::Suspect).len())
        .sum();
    assert!(suspects >= 1);
    // The verdict names who declared it and how many confirmed.
    let local = (0..5)
        .flat_map(|i| net.events_about(i, 5, EventKind::Down))
        .find(|e| e.cause.via == Via::Local)
        .expect("someone declared it dead itself");
    assert!(local.cause.accuser.is_some());
}

#[test]
fn a_paused_member_refutes_its_suspicion_and_is_never_declared_dead() {
    // Five members: each of the four others probes node-3 about once every 4 s, so a 3 s
    // pause is all but sure to fail a probe (and is far shorter than the suspicion timeout).
    let mut net = Net::converged_cluster(Config::lan(5), 5);
    // Two pauses, so that the test does not hang on the phase of one (a timing change in any
    // layer shifts when the probes fall).
    net.pause(3, secs(3));
    net.run_for(secs(20));
    net.pause(3, secs(3));
    net.run_for(secs(60));
    for i in 0..5 {
        assert!(
            net.events_about(i, 3, EventKind::Down).is_empty(),
            "node {i} declared node-3 dead"
        );
    }
    assert!(
        net.engine(3).stats().refutations >= 1,
        "node-3 was suspected and refuted"
    );
    assert!(net.converged());
}

#[test]
fn a_restart_under_the_same_name_with_a_new_address_is_accepted_at_once() {
    let mut net = Net::converged_cluster(Config::lan(5), 5);
    net.kill(4);
    net.run_for(secs(1));
    net.spawn(4, 2, addr(4, 9000));
    net.join(4, 0);
    net.run_for(secs(3));
    assert!(net.converged());
    for i in 0..4 {
        let m = net.engine(i).member("node-4").unwrap();
        assert_eq!(
            (m.generation, m.addr, m.state),
            (2, addr(4, 9000), State::Alive)
        );
        assert!(
            net.events_about(i, 4, EventKind::Down).is_empty(),
            "the ghost was replaced, not killed"
        );
    }
}

#[test]
fn an_old_generation_never_overwrites_a_newer_one() {
    let mut net = Net::converged_cluster(Config::lan(3), 3);
    net.kill(2);
    net.spawn(2, 5, addr(2, 9001));
    net.join(2, 0);
    net.run_for(secs(3));
    // A stale alive for generation 1 with a huge incarnation arrives from nowhere.
    let stale = crate::wire::Message::Alive(crate::wire::Alive {
        name: crate::Name::new("node-2").unwrap(),
        addr: addr(2, 7946),
        generation: 1,
        incarnation: 999,
        meta: crate::Meta::from(&[][..]),
    });
    let mut bytes = Vec::new();
    crate::wire::start_datagram(&mut bytes);
    crate::wire::encode_message(&stale, &mut bytes);
    let now = net.now;
    net.engine(0).handle_datagram(now, addr(9, 1), &bytes);
    let m = net.engine(0).member("node-2").unwrap();
    assert_eq!((m.generation, m.addr), (5, addr(2, 9001)));
}

#[test]
fn a_member_that_leaves_is_seen_as_left_not_dead() {
    let mut net = Net::converged_cluster(Config::lan(5), 5);
    let now = net.now;
    net.engine(2).leave(now);
    net.drain(2);
    net.run_for(secs(2));
    net.kill(2);
    net.run_for(secs(30));
    for i in [0, 1, 3, 4] {
        assert_eq!(
            net.engine(i).member("node-2").unwrap().state,
            State::Left,
            "at node {i}"
        );
        assert!(net.events_about(i, 2, EventKind::Down).is_empty());
    }
}

#[test]
fn dead_members_are_forgotten_after_the_retention_time() {
    let config = Config {
        dead_retention: secs(20),
        ..Config::lan(4)
    };
    let mut net = Net::converged_cluster(config, 4);
    net.kill(3);
    net.run_for(secs(90));
    for i in 0..3 {
        assert!(
            net.engine(i).member("node-3").is_none(),
            "node {i} still keeps node-3"
        );
        assert_eq!(net.events_about(i, 3, EventKind::Removed).len(), 1);
    }
}

#[test]
fn anti_entropy_heals_a_partition() {
    let mut net = Net::converged_cluster(Config::lan(10), 10);
    let side = |i: usize| i < 5;
    net.cut = Box::new(move |a, b| side(a) != side(b));
    net.run_for(secs(50));
    // Each side has declared the other dead by now.
    assert_eq!(net.engine(0).member("node-7").unwrap().state, State::Dead);
    assert_eq!(net.engine(7).member("node-0").unwrap().state, State::Dead);
    net.cut = Box::new(|_, _| false);
    net.run_for(secs(60));
    assert!(net.converged(), "views converge after the partition heals");
}

#[test]
fn a_metadata_update_reaches_everyone() {
    let mut net = Net::converged_cluster(Config::lan(20), 20);
    let now = net.now;
    net.engine(7)
        .set_meta(now, crate::Meta::from(&b"role=db"[..]))
        .unwrap();
    net.drain(7);
    net.run_for(secs(3));
    for i in 0..20 {
        let m = net.engine(i).member("node-7").unwrap();
        assert_eq!(&*m.meta, b"role=db", "at node {i}");
    }
}

#[test]
fn datagrams_never_exceed_the_limit_even_with_large_metadata() {
    let config = Config {
        max_meta_bytes: 1000,
        ..Config::lan(30)
    };
    let mut net = Net::new(config);
    for _ in 0..30 {
        net.add();
    }
    for i in 0..30 {
        let now = net.now;
        net.engine(i)
            .set_meta(now, crate::Meta::from(vec![7u8; 900 + i]))
            .unwrap();
        if i > 0 {
            net.join(i, 0);
        }
    }
    net.run_for(secs(20));
    assert!(net.converged());
    assert!(net.max_datagram <= 1400, "saw {}", net.max_datagram);
    assert!(net.max_datagram > 900, "piggybacking did fill datagrams");
}

#[test]
fn without_lifeguard_suspicion_uses_the_fixed_minimum_timeout() {
    let config = Config {
        lifeguard: false,
        ..Config::lan(6)
    };
    let mut net = Net::converged_cluster(config, 6);
    let killed_at = net.now;
    net.kill(5);
    net.run_for(secs(30));
    let first_down = (0..5)
        .flat_map(|i| net.events_about(i, 5, EventKind::Down))
        .map(|e| e.at)
        .min()
        .expect("declared dead");
    // Suspicion min for n=6 is 4 s; probing finds it within a few probe periods.
    assert!(
        first_down - killed_at < secs(12),
        "took {:?}",
        first_down - killed_at
    );
}
