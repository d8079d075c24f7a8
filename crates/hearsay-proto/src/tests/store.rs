//! The replicated stores on small simulated clusters: spreading, repair, deletes, expiry,
//! last-writer-wins across a partition, and what anti-entropy costs when nothing differs.

use std::time::Duration;

use super::harness::Net;
use crate::{CommandError, Config, StoreEvent, Value};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn value(s: &str) -> Value {
    Value::from(s.as_bytes())
}

fn owner(i: usize) -> String {
    format!("node-{i}")
}

/// Whether every running node holds exactly the same per-node state and map.
fn stores_agree(net: &Net) -> bool {
    let running: Vec<_> = net.nodes.iter().filter(|n| n.running).collect();
    running.windows(2).all(|w| {
        w[0].engine.state_root() == w[1].engine.state_root()
            && w[0].engine.kv_root() == w[1].engine.kv_root()
    })
}

#[test]
fn every_node_learns_every_members_keys_by_gossip() {
    let mut net = Net::converged_cluster(Config::lan(8), 8);
    let now = net.now;
    for i in 0..8 {
        for k in 0..10 {
            let v = value(&format!("{i}-{k}"));
            net.engine(i)
                .state_set(now, &format!("key-{k}"), v, None)
                .unwrap();
        }
        net.drain(i);
    }
    net.run_for(secs(3));
    for i in 0..8 {
        for j in 0..8 {
            let keys = net.nodes[i].engine.state_of(&owner(j));
            assert_eq!(keys.len(), 10, "node {i} holds node {j}'s keys");
            assert_eq!(&*keys[3].1, format!("{j}-3").as_bytes());
        }
    }
    assert!(stores_agree(&net));
    let set_events = net.nodes[1]
        .store_events
        .iter()
        .filter(|e| matches!(e, StoreEvent::State { value: Some(_), .. }))
        .count();
    assert_eq!(set_events, 80, "one event per key learned or set");
}

#[test]
fn values_too_large_for_a_datagram_travel_over_streams() {
    let mut net = Net::converged_cluster(Config::lan(6), 6);
    let now = net.now;
    let big = Value::from(vec![7u8; 200_000]);
    net.engine(2)
        .state_set(now, "blob", big.clone(), None)
        .unwrap();
    net.engine(2)
        .kv_put(now, "shared/blob", big.clone())
        .unwrap();
    net.drain(2);
    net.run_for(secs(1));
    for i in 0..6 {
        assert_eq!(
            net.nodes[i].engine.state_get("node-2", "blob"),
            Some(big.clone())
        );
        assert_eq!(
            net.nodes[i].engine.kv_get("shared/blob").unwrap().value,
            Some(big.clone())
        );
    }
    assert!(net.max_datagram <= 1400);
}

#[test]
fn writes_over_the_limits_are_refused_and_change_nothing() {
    let mut net = Net::new(Config {
        max_value_bytes: 1000,
        ..Config::lan(1)
    });
    net.add();
    let now = net.now;
    let e = net
        .engine(0)
        .state_set(now, "k", Value::from(vec![0u8; 1001]), None);
    assert_eq!(
        e,
        Err(CommandError::ValueTooLarge {
            len: 1001,
            max: 1000
        })
    );
    assert!(e.unwrap_err().to_string().contains("max_value_bytes"));
    let e = net.engine(0).kv_put(now, "", value("x"));
    assert!(matches!(e, Err(CommandError::BadKey { len: 0, .. })));
    let long = "k".repeat(crate::wire::MAX_KEY_BYTES + 1);
    assert!(net.engine(0).kv_put(now, &long, value("x")).is_err());
    assert_eq!(net.engine(0).kv_len(), 0);
    assert!(net.engine(0).state_of("node-0").is_empty());
}

#[test]
fn the_state_of_a_dead_member_goes_with_it() {
    let mut net = Net::converged_cluster(Config::lan(5), 5);
    let now = net.now;
    net.engine(4)
        .state_set(now, "role", value("db"), None)
        .unwrap();
    net.drain(4);
    net.run_for(secs(2));
    assert_eq!(
        net.nodes[0].engine.state_get("node-4", "role"),
        Some(value("db"))
    );
    net.kill(4);
    net.run_for(secs(40));
    for i in 0..4 {
        assert!(
            net.nodes[i].engine.state_of("node-4").is_empty(),
            "node {i}"
        );
        assert!(net.nodes[i].store_events.iter().any(|e| matches!(
            e,
            StoreEvent::State { owner, value: None, .. } if owner.as_str() == "node-4"
        )));
    }
    assert!(stores_agree(&net));
}

#[test]
fn keys_with_a_time_to_live_expire_everywhere() {
    let mut net = Net::converged_cluster(Config::lan(4), 4);
    let now = net.now;
    net.engine(1)
        .state_set(now, "lease", value("x"), Some(secs(5)))
        .unwrap();
    net.engine(1)
        .state_set(now, "keep", value("y"), None)
        .unwrap();
    net.drain(1);
    net.run_for(secs(2));
    assert_eq!(
        net.nodes[3].engine.state_get("node-1", "lease"),
        Some(value("x"))
    );
    net.run_for(secs(5));
    for i in 0..4 {
        assert_eq!(
            net.nodes[i].engine.state_get("node-1", "lease"),
            None,
            "node {i}"
        );
        assert_eq!(
            net.nodes[i].engine.state_get("node-1", "keep"),
            Some(value("y"))
        );
    }
}

#[test]
fn a_node_away_longer_than_the_grace_period_does_not_bring_deleted_keys_back() {
    let config = Config {
        tombstone_grace: secs(20),
        ..Config::lan(4)
    };
    let mut net = Net::converged_cluster(config, 4);
    let now = net.now;
    net.engine(0).state_set(now, "a", value("1"), None).unwrap();
    net.engine(0).state_set(now, "b", value("2"), None).unwrap();
    net.drain(0);
    net.run_for(secs(2));
    assert_eq!(
        net.nodes[3].engine.state_get("node-0", "a"),
        Some(value("1"))
    );
    // Node 3 only loses datagrams: it stays a member (syncs still reach it... not while cut).
    net.cut = Box::new(|a, b| a == 3 || b == 3);
    net.run_for(secs(1));
    let now = net.now;
    net.engine(0).state_delete(now, "a").unwrap();
    net.drain(0);
    net.run_for(secs(60));
    assert_eq!(net.nodes[1].engine.state_get("node-0", "a"), None);
    net.cut = Box::new(|_, _| false);
    net.run_for(secs(90));
    assert!(net.converged());
    for i in 0..4 {
        assert_eq!(
            net.nodes[i].engine.state_get("node-0", "a"),
            None,
            "node {i}"
        );
        assert_eq!(
            net.nodes[i].engine.state_get("node-0", "b"),
            Some(value("2")),
            "node {i}"
        );
    }
    assert!(stores_agree(&net));
}

#[test]
fn map_writes_from_every_node_converge_everywhere() {
    let mut net = Net::converged_cluster(Config::lan(6), 6);
    for round in 0..50 {
        let now = net.now;
        let i = round % 6;
        net.engine(i)
            .kv_put(now, &format!("k{round}"), value(&format!("v{round}")))
            .unwrap();
        net.drain(i);
        net.run_for(Duration::from_millis(20));
    }
    let now = net.now;
    net.engine(3).kv_delete(now, "k7").unwrap();
    net.drain(3);
    net.run_for(secs(3));
    assert!(stores_agree(&net));
    for i in 0..6 {
        let e = &net.nodes[i].engine;
        assert_eq!(e.kv_len(), 49, "node {i}");
        assert_eq!(e.kv_get("k7").unwrap().value, None);
        assert_eq!(e.kv_list("k1").count(), 11);
    }
}

#[test]
fn after_a_partition_every_replica_holds_the_last_writers_value() {
    let mut net = Net::converged_cluster(Config::lan(6), 6);
    net.cut = Box::new(|a, b| (a < 3) != (b < 3));
    net.run_for(secs(1));
    for step in 0..30 {
        let now = net.now;
        // Both sides write the same keys; the later write of each key must win.
        let (i, j) = (step % 3, 3 + step % 3);
        net.engine(i)
            .kv_put(
                now,
                &format!("k{}", step % 10),
                value(&format!("left{step}")),
            )
            .unwrap();
        net.drain(i);
        net.run_for(Duration::from_millis(700));
        let now = net.now;
        net.engine(j)
            .kv_put(
                now,
                &format!("k{}", step % 10),
                value(&format!("right{step}")),
            )
            .unwrap();
        net.drain(j);
        net.run_for(Duration::from_millis(700));
    }
    net.cut = Box::new(|_, _| false);
    net.run_for(secs(90));
    assert!(net.converged());
    assert!(stores_agree(&net));
    for i in 0..6 {
        for k in 0..10 {
            let e = net.nodes[i].engine.kv_get(&format!("k{k}")).unwrap();
            assert!(
                e.value.as_deref().unwrap().starts_with(b"right"),
                "node {i} k{k}"
            );
            assert_eq!(e.value, Some(value(&format!("right{}", 20 + k))));
        }
    }
}

#[test]
fn anti_entropy_between_identical_replicas_costs_the_same_at_any_store_size() {
    for keys in [0usize, 10_000] {
        let mut net = Net::converged_cluster(Config::lan(4), 4);
        let now = net.now;
        let entries: Vec<_> = (0..keys)
            .map(|k| {
                let key = crate::Key::from(format!("key-{k:06}"));
                let entry = crate::KvEntry {
                    stamp: k as u64 + 1,
                    writer: crate::Name::new("w").unwrap(),
                    value: Some(Value::from(vec![1u8; 100])),
                };
                (key, entry)
            })
            .collect();
        for i in 0..4 {
            net.engine(i).kv_restore(now, entries.clone());
        }
        net.run_for(secs(40));
        let before: Vec<_> = net.nodes.iter().map(|n| n.engine.stats().clone()).collect();
        net.run_for(secs(300));
        let mut bytes = 0;
        let mut syncs = 0;
        for (n, b) in net.nodes.iter().zip(&before) {
            let s = n.engine.stats();
            bytes += s.stream_bytes_out - b.stream_bytes_out;
            syncs += s.syncs - b.syncs;
            assert_eq!(
                s.store_repairs, b.store_repairs,
                "identical stores need no repair"
            );
        }
        assert!(syncs >= 30, "{syncs} syncs");
        let per_sync = bytes / syncs;
        assert!(
            per_sync < 200,
            "{per_sync} bytes per exchange with {keys} keys"
        );
    }
}

#[test]
fn a_new_node_receives_the_whole_map() {
    let mut net = Net::converged_cluster(Config::lan(4), 4);
    let now = net.now;
    let entries: Vec<_> = (0..20_000)
        .map(|k| {
            let entry = crate::KvEntry {
                stamp: k + 1,
                writer: crate::Name::new("w").unwrap(),
                value: Some(Value::from(vec![2u8; 100])),
            };
            (crate::Key::from(format!("key-{k}")), entry)
        })
        .collect();
    for i in 0..4 {
        net.engine(i).kv_restore(now, entries.clone());
    }
    let new = net.add();
    net.join(new, 0);
    net.run_for(secs(5));
    assert_eq!(net.nodes[new].engine.kv_len(), 20_000);
    assert_eq!(
        net.nodes[new].engine.kv_root(),
        net.nodes[0].engine.kv_root()
    );
    let transfers = net.nodes[new]
        .store_events
        .iter()
        .filter(|e| matches!(e, StoreEvent::KvTransfer { .. }))
        .count();
    assert!(transfers >= 2, "2 MB arrive in pieces, saw {transfers}");
}

#[test]
fn map_tombstones_are_collected_after_the_grace_period() {
    let config = Config {
        tombstone_grace: secs(30),
        ..Config::lan(3)
    };
    let mut net = Net::converged_cluster(config, 3);
    let now = net.now;
    net.engine(0).kv_put(now, "gone", value("x")).unwrap();
    net.engine(0).kv_delete(now, "gone").unwrap();
    net.drain(0);
    net.run_for(secs(5));
    assert!(
        net.nodes[2]
            .engine
            .kv_get("gone")
            .is_some_and(|e| e.value.is_none())
    );
    net.run_for(secs(90));
    for i in 0..3 {
        assert!(net.nodes[i].engine.kv_get("gone").is_none(), "node {i}");
        assert!(net.nodes[i].store_events.iter().any(|e| matches!(
            e,
            StoreEvent::KvCollected { keys } if keys.iter().any(|k| &**k == "gone")
        )));
    }
    assert!(stores_agree(&net));
}

#[test]
fn a_sixty_second_partition_with_writes_on_both_sides_converges_soon_after_healing() {
    let mut net = Net::converged_cluster(Config::lan(10), 10);
    net.cut = Box::new(|a, b| (a < 5) != (b < 5));
    for step in 0..120 {
        let now = net.now;
        let writer = step % 10;
        let key = format!("k{}", step % 40);
        net.engine(writer)
            .kv_put(now, &key, value(&format!("w{step}")))
            .unwrap();
        net.drain(writer);
        net.run_for(Duration::from_millis(500));
    }
    net.cut = Box::new(|_, _| false);
    let healed = net.now;
    let mut converged = None;
    for _ in 0..600 {
        net.run_for(Duration::from_millis(100));
        if stores_agree(&net) {
            converged = Some(net.now - healed);
            break;
        }
    }
    let took = converged.expect("the stores never agreed after the partition healed");
    eprintln!("kv converged {took:?} after healing");
    assert!(took <= secs(10), "took {took:?} after healing");
    for k in 0..40 {
        let last = (0..120).filter(|s| s % 40 == k).max().unwrap();
        let e = net.nodes[0].engine.kv_get(&format!("k{k}")).unwrap();
        assert_eq!(e.value, Some(value(&format!("w{last}"))), "k{k}");
    }
}

#[test]
fn a_copied_write_that_cannot_be_had_is_refused_before_anything_is_written() {
    let mut net = Net::converged_cluster(Config::lan(3), 3);
    let now = net.now;
    let e = net.engine(0).kv_write_copied(now, "k", Some(value("v")), 4);
    assert_eq!(
        e,
        Err(CommandError::NotEnoughMembers {
            wanted: 4,
            alive: 3
        })
    );
    assert!(net.engine(0).kv_get("k").is_none(), "nothing written");
    let (entry, token) = net
        .engine(0)
        .kv_write_copied(now, "k", Some(value("v")), 3)
        .unwrap();
    assert_eq!(net.engine(0).kv_get("k"), Some(&entry));
    let token = token.expect("a token for the copies");
    net.drain(0);
    net.run_for(Duration::from_millis(100));
    assert!(net.nodes[0].store_events.iter().any(|e| matches!(
        e,
        StoreEvent::KvCopies { token: t, holders: 3, complete: true } if *t == token
    )));
}

#[test]
fn a_write_is_confirmed_once_enough_members_hold_it() {
    let mut net = Net::converged_cluster(Config::lan(5), 5);
    let now = net.now;
    net.engine(0).kv_put(now, "k", value("v")).unwrap();
    let token = net.engine(0).kv_copy(now, "k", 3).unwrap();
    net.drain(0);
    net.run_for(Duration::from_millis(100));
    assert!(net.nodes[0].store_events.iter().any(|e| matches!(
        e,
        StoreEvent::KvCopies { token: t, holders: 3, complete: true } if *t == token
    )));
    let e = net.engine(0).kv_copy(now, "k", 9);
    assert!(matches!(
        e,
        Err(CommandError::NotEnoughMembers {
            wanted: 9,
            alive: 5
        })
    ));
    assert_eq!(
        net.engine(0).kv_copy(now, "nope", 2),
        Err(CommandError::NotHeld)
    );

    // Members that cannot be reached: the write is reported short after the stream timeout.
    net.cut = Box::new(|a, b| a != b && (a == 0 || b == 0));
    let now = net.now;
    net.engine(0).kv_put(now, "k2", value("v")).unwrap();
    let token = net.engine(0).kv_copy(now, "k2", 4).unwrap();
    net.drain(0);
    net.run_for(secs(6));
    assert!(net.nodes[0].store_events.iter().any(|e| matches!(
        e,
        StoreEvent::KvCopies { token: t, holders: 1, complete: false } if *t == token
    )));
}
