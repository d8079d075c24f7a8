//! The replicated stores on real sockets: per-node state and the cluster-wide map spread to
//! every node, watchers see changes, and a node with a data directory keeps its map across a
//! restart (and refuses a damaged store file).

mod common;

use std::time::Duration;

use common::cluster;
use hearsay::{Faults, Node, StoreEvent, Value};
use hearsay_test_support::wait::wait_until;

fn value(s: &str) -> Value {
    Value::from(s.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_and_map_writes_reach_every_node() {
    let nodes = cluster(3, |_| Faults::none(), Duration::from_secs(10)).await;
    let mut watch = nodes[2].store_events();
    nodes[0].state_set("role", value("db"), None).await.unwrap();
    nodes[1].kv_put("config/a", value("1")).await.unwrap();
    nodes[1].kv_put("config/b", value("2")).await.unwrap();
    nodes[1].kv_delete("config/b").await.unwrap();
    wait_until(
        "the writes reached every node",
        Duration::from_secs(10),
        || async {
            for n in &nodes {
                let state = n.state().await.unwrap();
                let has_role = state.iter().any(|o| {
                    o.owner.as_str() == "node-0"
                        && o.keys.iter().any(|(k, v)| &**k == "role" && **v == *b"db")
                });
                let list = n.kv_list("config/").await.unwrap();
                if !has_role || list.len() != 1 {
                    return false;
                }
            }
            true
        },
    )
    .await;
    assert_eq!(nodes[2].kv_get("config/b").await.unwrap(), None);
    let a = nodes[2].kv_get("config/a").await.unwrap().unwrap();
    assert_eq!(a.writer.as_str(), "node-1");
    let mut saw_state = false;
    while !saw_state {
        match tokio::time::timeout(Duration::from_secs(5), watch.next()).await {
            Ok(Some(StoreEvent::State { owner, key, .. })) => {
                saw_state = owner.as_str() == "node-0" && &*key == "role";
            }
            Ok(Some(_)) => {}
            other => panic!("no state event: {other:?}"),
        }
    }
    // Acknowledged once all three hold it: readable everywhere at once.
    nodes[0]
        .kv_put_replicated("sure", value("3"), 3)
        .await
        .unwrap();
    for n in &nodes {
        assert!(n.kv_get("sure").await.unwrap().is_some());
    }
    let err = nodes[0]
        .kv_put_replicated("x", value("x"), 4)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("only 3 members are alive"),
        "{err}"
    );
    let err = nodes[0].kv_put("", value("x")).await.unwrap_err();
    assert!(err.to_string().contains("keys must be"), "{err}");
    for n in &nodes {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_a_data_directory_keeps_its_map_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config("keeper", 1, Faults::none());
    config.data_dir = Some(dir.path().to_owned());
    let node = Node::start(config.clone()).await.unwrap();
    let mut writes = Vec::new();
    for i in 0..200 {
        let n = node.clone();
        writes.push(tokio::spawn(async move {
            n.kv_put(&format!("k{i:03}"), Value::from(vec![i as u8; 100]))
                .await
        }));
    }
    for w in writes {
        w.await.unwrap().unwrap();
    }
    node.kv_delete("k007").await.unwrap();
    node.shutdown().await;

    let node = Node::start(config.clone()).await.unwrap();
    let list = node.kv_list("k").await.unwrap();
    assert_eq!(list.len(), 199);
    assert_eq!(&*list[0].1.value.clone().unwrap(), &[0u8; 100][..]);
    assert_eq!(node.kv_get("k007").await.unwrap(), None);
    node.shutdown().await;

    // A damaged file is refused with a clear error, never opened as an empty store.
    let file = dir.path().join("kv.redb");
    let len = std::fs::metadata(&file).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);
    let err = Node::start(config)
        .await
        .err()
        .expect("a truncated store must not open");
    let text = err.to_string();
    assert!(
        text.contains("corrupt") && text.contains("kv.redb"),
        "{text}"
    );
}
