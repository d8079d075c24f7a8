//! User events and queries over the test network: delivery, the tree's economy, repair,
//! large payloads, queries that end early, and the errors of bad calls.

use std::time::Duration;

use super::harness::Net;
use crate::user::{Answer, EventMode, QueryFilter, QueryParams, UserOutput};
use crate::{CommandError, Config, Name};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The user events node `i` delivered: (origin, seq, payload).
fn events(net: &Net, i: usize) -> Vec<(String, u64, Vec<u8>)> {
    net.nodes[i]
        .user
        .iter()
        .filter_map(|o| match o {
            UserOutput::Event(e) => Some((
                e.id.origin.as_str().to_owned(),
                e.id.seq,
                e.payload.to_vec(),
            )),
            _ => None,
        })
        .collect()
}

fn cluster(n: usize, config: Config) -> Net {
    Net::converged_cluster(config, n)
}

#[test]
fn every_member_delivers_each_event_once_even_identical_payloads() {
    let mut net = cluster(20, Config::lan(20));
    for _ in 0..2 {
        let now = net.now;
        net.engine(3).broadcast(now, "deploy", &b"v42"[..]).unwrap();
        net.drain(3);
        net.run_for(secs(2));
    }
    for i in 0..20 {
        let got = events(&net, i);
        assert_eq!(got.len(), 2, "node {i} delivered {got:?}");
        assert_eq!(got[0].2, b"v42");
        assert_ne!(got[0].1, got[1].1, "two sends, two ids");
    }
    let delivered: u64 = (0..20)
        .map(|i| net.nodes[i].engine.stats().user_delivered)
        .sum();
    assert_eq!(delivered, 2 * 19);
    let repaired: u64 = (0..20)
        .map(|i| net.nodes[i].engine.stats().user_repaired)
        .sum();
    assert_eq!(repaired, 0, "the tree alone delivered everything");
}

#[test]
fn one_sender_settles_into_a_tree_with_few_redundant_copies() {
    let mut net = cluster(40, Config::lan(40));
    for k in 0..100u32 {
        let now = net.now;
        net.engine(0)
            .broadcast(now, "tick", k.to_le_bytes().to_vec())
            .unwrap();
        net.drain(0);
        net.run_for(Duration::from_millis(100));
    }
    net.run_for(secs(2));
    let (mut copies, mut delivered) = (0, 0);
    for i in 0..40 {
        assert_eq!(events(&net, i).len(), 100, "node {i}");
        let s = net.nodes[i].engine.stats();
        copies += s.user_payloads_in;
        delivered += s.user_delivered;
    }
    let rmr = copies as f64 / delivered as f64 - 1.0;
    assert!(rmr < 0.15, "RMR {rmr:.3} over 100 events");
}

#[test]
fn loss_is_repaired_by_grafts() {
    let mut net = cluster(30, Config::lan(30));
    let mut draw = 0u64;
    net.lose = Box::new(move |_, _| {
        draw = draw
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (draw >> 33) % 100 < 15
    });
    for k in 0..30u32 {
        let now = net.now;
        net.engine((k % 5) as usize)
            .broadcast(now, "e", k.to_le_bytes().to_vec())
            .unwrap();
        let sender = (k % 5) as usize;
        net.drain(sender);
        net.run_for(Duration::from_millis(200));
    }
    net.run_for(secs(5));
    for i in 0..30 {
        assert_eq!(events(&net, i).len(), 30, "node {i} at 15% loss");
    }
    let grafts: u64 = (0..30)
        .map(|i| net.nodes[i].engine.stats().grafts_sent)
        .sum();
    assert!(grafts > 0, "loss made nodes graft");
}

#[test]
fn a_large_event_travels_by_stream_about_once_per_member() {
    let mut net = cluster(20, Config::lan(20));
    let big = vec![7u8; 200_000];
    let now = net.now;
    net.engine(0).broadcast(now, "blob", big.clone()).unwrap();
    net.drain(0);
    net.run_for(secs(3));
    let mut copies = 0;
    for i in 0..20 {
        let got = events(&net, i);
        assert_eq!(got.len(), 1, "node {i}");
        assert_eq!(got[0].2.len(), big.len());
        copies += net.nodes[i].engine.stats().user_payloads_in;
    }
    assert!(copies <= 19 + 2, "{copies} payload copies for 19 receivers");
}

#[test]
fn a_healed_partition_repairs_the_events_each_side_missed() {
    let mut net = cluster(20, Config::lan(20));
    net.cut = Box::new(|a, b| (a < 10) != (b < 10));
    net.run_for(secs(1));
    for side in [0usize, 15] {
        for k in 0..3u32 {
            let now = net.now;
            net.engine(side)
                .broadcast(now, "p", k.to_le_bytes().to_vec())
                .unwrap();
            net.drain(side);
        }
    }
    net.run_for(secs(20));
    assert_eq!(
        events(&net, 5).len(),
        3,
        "only its own side's during the cut"
    );
    net.cut = Box::new(|_, _| false);
    net.run_for(secs(10));
    for i in 0..20 {
        assert_eq!(events(&net, i).len(), 6, "node {i} after healing");
    }
    let repaired: u64 = (0..20)
        .map(|i| net.nodes[i].engine.stats().user_repaired)
        .sum();
    assert!(repaired >= 3, "repair carried the news across ({repaired})");
}

#[test]
fn a_joiner_gets_no_history() {
    let mut net = cluster(5, Config::lan(6));
    let now = net.now;
    net.engine(0).broadcast(now, "old", &b"x"[..]).unwrap();
    net.drain(0);
    net.run_for(secs(5));
    let j = net.add();
    net.join(j, 0);
    net.run_for(secs(10));
    assert!(events(&net, j).is_empty(), "history replayed to a joiner");
    let now = net.now;
    net.engine(1).broadcast(now, "new", &b"y"[..]).unwrap();
    net.drain(1);
    net.run_for(secs(3));
    assert_eq!(events(&net, j).len(), 1);
}

#[test]
fn flood_mode_delivers_too_and_refuses_what_does_not_fit_a_datagram() {
    let config = Config {
        event_mode: EventMode::Flood,
        ..Config::lan(15)
    };
    let mut net = cluster(15, config);
    let now = net.now;
    net.engine(2).broadcast(now, "f", &b"hello"[..]).unwrap();
    net.drain(2);
    net.run_for(secs(5));
    for i in 0..15 {
        assert_eq!(events(&net, i).len(), 1, "node {i}");
    }
    let err = net
        .engine(2)
        .broadcast(now, "f", vec![0; 5000])
        .unwrap_err();
    assert!(matches!(err, CommandError::TooLargeToFlood { .. }), "{err}");
}

#[test]
fn a_query_ends_as_soon_as_every_member_responded() {
    let mut net = cluster(12, Config::lan(12));
    net.auto_respond = true;
    let now = net.now;
    let seq = net
        .engine(4)
        .query(now, QueryParams::new("who", &b"?"[..], secs(30)))
        .unwrap();
    net.drain(4);
    net.run_for(secs(2));
    let out = &net.nodes[4].user;
    let responses = out
        .iter()
        .filter(|o| matches!(o, UserOutput::Reply(r) if r.query == seq && matches!(r.answer, Answer::Response(_))))
        .count();
    assert_eq!(responses, 12, "everyone, the asker included");
    let done = out
        .iter()
        .find_map(|o| match o {
            UserOutput::Done(s) => Some(s.clone()),
            _ => None,
        })
        .expect("done long before the 30 s timeout");
    assert!(!done.timed_out);
    assert_eq!((done.expected, done.responses), (12, 12));
    assert!(done.elapsed < secs(1), "{:?}", done.elapsed);
}

#[test]
fn a_filtered_query_reaches_only_its_targets_and_waits_out_the_silent() {
    let mut net = cluster(8, Config::lan(8));
    let now = net.now;
    let params = QueryParams {
        filter: QueryFilter {
            nodes: vec![Name::new("node-1").unwrap(), Name::new("node-2").unwrap()],
            ..QueryFilter::default()
        },
        relay_factor: 2,
        ..QueryParams::new("ping", &b""[..], secs(2))
    };
    net.engine(0).query(now, params).unwrap();
    net.drain(0);
    net.run_for(secs(1));
    let asked: Vec<usize> = (0..8)
        .filter(|&i| {
            net.nodes[i]
                .user
                .iter()
                .any(|o| matches!(o, UserOutput::Query(_)))
        })
        .collect();
    assert_eq!(asked, vec![1, 2]);
    // Only node 1 answers; node 2 stays silent.
    let q = net.nodes[1]
        .user
        .iter()
        .find_map(|o| match o {
            UserOutput::Query(q) => Some(q.id.clone()),
            _ => None,
        })
        .unwrap();
    let now = net.now;
    net.engine(1).respond(now, &q, &b"here"[..]).unwrap();
    assert_eq!(
        net.engine(1).respond(now, &q, &b"again"[..]),
        Err(CommandError::AlreadyAnswered)
    );
    net.drain(1);
    net.run_for(secs(2));
    let done = net.nodes[0]
        .user
        .iter()
        .find_map(|o| match o {
            UserOutput::Done(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    assert!(done.timed_out);
    assert_eq!(done.responses, 1);
    assert_eq!(done.acks, 2);
    assert_eq!(done.missing, vec![Name::new("node-2").unwrap()]);
    let relayed = net.nodes[0]
        .user
        .iter()
        .filter(|o| matches!(o, UserOutput::Reply(r) if r.relayed))
        .count();
    assert_eq!(
        relayed, 0,
        "direct answers came first; relayed copies are duplicates"
    );
}

#[test]
fn bad_calls_get_errors_that_name_the_limit() {
    let mut net = cluster(2, Config::lan(2));
    let now = net.now;
    let e = net.engine(0);
    let err = e.broadcast(now, "x", vec![0; (1 << 20) + 1]).unwrap_err();
    assert!(err.to_string().contains("max_event_bytes"), "{err}");
    assert!(matches!(
        e.broadcast(now, "", &b""[..]),
        Err(CommandError::BadEventName { .. })
    ));
    let bad = QueryParams {
        filter: QueryFilter {
            meta: vec![("role".into(), "[".into())],
            ..QueryFilter::default()
        },
        ..QueryParams::new("q", &b""[..], secs(1))
    };
    let err = e.query(now, bad).unwrap_err();
    assert!(err.to_string().contains("pattern"), "{err}");
    let unknown = crate::user::MsgId {
        origin: Name::new("node-1").unwrap(),
        generation: 1,
        seq: 9,
    };
    assert_eq!(
        e.respond(now, &unknown, &b""[..]),
        Err(CommandError::UnknownQuery)
    );
}

#[test]
fn nudges_recover_responses_lost_to_loss() {
    let mut net = cluster(20, Config::lan(20));
    net.auto_respond = true;
    let mut draw = 7u64;
    net.lose = Box::new(move |_, _| {
        draw = draw
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (draw >> 33) % 100 < 20
    });
    let now = net.now;
    net.engine(0)
        .query(now, QueryParams::new("all", &b""[..], secs(10)))
        .unwrap();
    net.drain(0);
    net.run_for(secs(10));
    let done = net.nodes[0]
        .user
        .iter()
        .find_map(|o| match o {
            UserOutput::Done(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    assert!(!done.timed_out, "{done:?}");
    assert_eq!(done.responses, 20);
    assert!(
        net.nodes[0].engine.stats().query_nudges > 0,
        "20% loss needed nudges"
    );
}

#[test]
fn messages_and_answers_from_strangers_are_counted_and_dropped() {
    use crate::DropReason;
    use crate::wire::{self, Message, QueryAnswer, UserMsg};
    let mut net = cluster(3, Config::lan(3));
    let now = net.now;
    let seq = net
        .engine(0)
        .query(now, QueryParams::new("q", &b""[..], secs(5)))
        .unwrap();
    let stranger = crate::user::MsgId {
        origin: Name::new("mallory").unwrap(),
        generation: 1,
        seq: 1,
    };
    let forged = [
        Message::UserMsg(UserMsg {
            id: stranger.clone(),
            hops: 0,
            name: "rm -rf".into(),
            payload: vec![0; 10].into(),
            query: None,
        }),
        Message::QueryAnswer(QueryAnswer {
            query: crate::user::MsgId {
                origin: Name::new("node-0").unwrap(),
                generation: 1,
                seq,
            },
            responder: Name::new("mallory").unwrap(),
            response: Some(vec![1].into()),
            relay_to: None,
            relayed: false,
        }),
    ];
    let mut bytes = Vec::new();
    wire::start_datagram(&mut bytes);
    for m in &forged {
        wire::encode_message(m, &mut bytes);
    }
    let from = "10.9.9.9:1".parse().unwrap();
    net.engine(0).handle_datagram(now, from, &bytes);
    let stats = net.engine(0).stats().clone();
    assert_eq!(stats.dropped(DropReason::UnknownOrigin), 2);
    assert_eq!(stats.user_delivered, 0);
    assert!(
        !net.nodes[0]
            .user
            .iter()
            .any(|o| matches!(o, UserOutput::Event(_))),
        "nothing from mallory reached the application"
    );
}
