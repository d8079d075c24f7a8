//! User events and queries on real sockets: three nodes on loopback, each broadcast delivered
//! once to every node (and twice when sent twice), queries answered by every member and done
//! as soon as the last answer is in, filters, and refusals that change nothing.

mod common;

use std::time::Duration;

use common::cluster;
use hearsay::{
    Answer, CommandError, Faults, Lagged, Node, NodeError, QueryItem, QueryParams, UserEvent,
    UserEvents,
};
use hearsay_test_support::PATIENCE;

/// The next user event of `events`, failing the test after [`PATIENCE`] or on a lag.
async fn next_event(events: &mut UserEvents) -> UserEvent {
    match tokio::time::timeout(PATIENCE, events.next()).await {
        Ok(Some(Ok(e))) => e,
        Ok(Some(Err(Lagged(n)))) => panic!("lagged by {n}"),
        Ok(None) => panic!("the node stopped"),
        Err(_) => panic!("no user event within {PATIENCE:?}"),
    }
}

/// Answers every query `node` is asked with its own name, until the node stops.
fn answer_with_name(node: &Node) {
    let mut asked = node.queries("");
    let name = node.name().to_owned();
    tokio::spawn(async move {
        while let Some(Ok(q)) = asked.next().await {
            let _ = q.respond(name.clone().into_bytes()).await;
        }
    });
}

/// Waits until a broadcast from the first node has reached every node. The engine opens its
/// broadcast-tree links once per probe interval, so a message sent just after the cluster
/// formed can find no link yet and arrive only by repair (`event_repair_interval`, 2 s); a
/// test with a short query timeout waits for the links first.
async fn tree_is_up(nodes: &[Node]) {
    let mut subs: Vec<UserEvents> = nodes.iter().map(|n| n.subscribe("warm-up")).collect();
    nodes[0].broadcast("warm-up", &b""[..]).await.unwrap();
    for sub in &mut subs {
        next_event(sub).await;
    }
}

async fn shutdown(nodes: &[Node]) {
    for n in nodes {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_reaches_every_node_once_and_the_same_payload_twice_is_two_events() {
    let nodes = cluster(3, |_| Faults::none(), PATIENCE).await;
    let mut subs: Vec<UserEvents> = nodes.iter().map(|n| n.subscribe("deploy")).collect();
    let mut other = nodes[2].subscribe("other");

    let first = nodes[0].broadcast("deploy", &b"v1"[..]).await.unwrap();
    let second = nodes[0].broadcast("deploy", &b"v1"[..]).await.unwrap();
    assert_ne!(first, second, "each broadcast is a message of its own");
    assert_eq!(first.origin.as_str(), "node-0");
    nodes[1].broadcast("other", &b"x"[..]).await.unwrap();

    let marker = nodes[0].broadcast("deploy", &b"end"[..]).await.unwrap();

    for (i, sub) in subs.iter_mut().enumerate() {
        // Read until all three are in; a repeat among them is a double delivery.
        let mut seen = Vec::new();
        while seen.len() < 3 {
            let e = next_event(sub).await;
            assert!(!seen.contains(&e.id), "node-{i} got {:?} twice", e.id);
            assert_eq!(e.name, "deploy");
            assert_eq!(e.hops == 0, i == 0, "only the sender has it at 0 hops");
            let want: &[u8] = if e.id == marker { b"end" } else { b"v1" };
            assert_eq!(&e.payload[..], want);
            seen.push(e.id);
        }
        seen.sort_by_key(|id| id.seq);
        assert_eq!(
            seen,
            [first.clone(), second.clone(), marker.clone()],
            "node-{i}"
        );
    }
    // The prefix filters: node-2's "other" subscriber sees only the other event.
    let e = next_event(&mut other).await;
    assert_eq!((e.name.as_str(), &e.payload[..]), ("other", &b"x"[..]));
    shutdown(&nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_is_done_as_soon_as_every_member_has_answered() {
    let nodes = cluster(3, |_| Faults::none(), PATIENCE).await;
    for n in &nodes {
        answer_with_name(n);
    }
    let timeout = Duration::from_secs(30);
    let stream = nodes[0]
        .query(QueryParams::new("who", &b"?"[..], timeout))
        .await
        .unwrap();
    let (replies, summary) = tokio::time::timeout(PATIENCE, stream.collect())
        .await
        .expect("done long before its 30 s timeout")
        .unwrap();
    let mut responders: Vec<String> = replies
        .iter()
        .filter_map(|r| match &r.answer {
            Answer::Response(p) => {
                assert_eq!(&p[..], r.from.as_str().as_bytes());
                Some(r.from.as_str().to_owned())
            }
            Answer::Ack => None,
        })
        .collect();
    responders.sort();
    assert_eq!(responders, ["node-0", "node-1", "node-2"]);
    assert_eq!((summary.expected, summary.responses), (3, 3));
    assert!(summary.missing.is_empty());
    assert!(!summary.timed_out);
    assert!(summary.elapsed < timeout);
    shutdown(&nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_query_asks_only_the_named_members_and_names_who_did_not_answer() {
    let nodes = cluster(3, |_| Faults::none(), PATIENCE).await;
    tree_is_up(&nodes).await;
    answer_with_name(&nodes[1]); // node-2 is asked but never answers
    let mut params = QueryParams::new("who", &b""[..], Duration::from_millis(1500));
    params.filter.nodes = vec![
        hearsay::Name::new("node-1").unwrap(),
        hearsay::Name::new("node-2").unwrap(),
    ];
    let mut stream = nodes[0].query(params).await.unwrap();
    let mut responses = Vec::new();
    let summary = loop {
        match tokio::time::timeout(PATIENCE, stream.next()).await.unwrap() {
            Some(QueryItem::Reply(r)) => {
                if let Answer::Response(_) = r.answer {
                    responses.push(r.from.as_str().to_owned());
                }
            }
            Some(QueryItem::Done(s)) => break s,
            None => panic!("the stream ended without a summary"),
        }
    };
    assert!(stream.next().await.is_none(), "nothing after the summary");
    assert_eq!(responses, ["node-1"]);
    assert_eq!(summary.expected, 2);
    let missing: Vec<&str> = summary.missing.iter().map(|n| n.as_str()).collect();
    assert_eq!(missing, ["node-2"]);
    assert!(summary.timed_out);
    shutdown(&nodes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_events_and_bad_names_are_refused_and_nothing_is_sent() {
    let nodes = cluster(2, |_| Faults::none(), PATIENCE).await;
    let mut sub = nodes[1].subscribe("");
    let max = hearsay::Config::local().max_event_bytes;
    let err = nodes[0]
        .broadcast("big", vec![0u8; max + 1])
        .await
        .unwrap_err();
    assert!(
        matches!(err, NodeError::Command(CommandError::EventTooLarge { len, max: m }) if len == max + 1 && m == max),
        "{err:?}"
    );
    let err = nodes[0].broadcast("", &b"x"[..]).await.unwrap_err();
    assert!(
        matches!(err, NodeError::Command(CommandError::BadEventName { .. })),
        "{err:?}"
    );
    // The first event to arrive is the one sent after the refusals.
    nodes[0].broadcast("fits", vec![0u8; max]).await.unwrap();
    let e = next_event(&mut sub).await;
    assert_eq!((e.name.as_str(), e.payload.len()), ("fits", max));
    shutdown(&nodes).await;
}
