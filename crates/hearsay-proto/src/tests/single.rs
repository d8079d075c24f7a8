//! Scripted single-engine tests: feed datagrams and deadlines, check what comes out.

use std::net::SocketAddr;
use std::time::Duration;

use super::harness::addr;
use crate::wire::{
    self, Ack, Alive, Dead, IndirectPing, MemberState, Message, Nack, Ping, PushPull, State,
    Suspect,
};
use crate::{Config, DropReason, Engine, EventKind, LocalNode, Meta, Name, TransmitKind};

pub(super) fn engine() -> (Engine, std::time::Instant) {
    let now = crate::test_epoch();
    let local = LocalNode {
        name: Name::new("me").unwrap(),
        addr: addr(0, 7946),
        generation: 3,
        meta: Meta::from(&[][..]),
    };
    (Engine::new(Config::lan(4), local, now).unwrap(), now)
}

/// An engine that knows four alive members `p1`..`p4`, with the resulting output drained.
pub(super) fn engine_knowing_four() -> (Engine, std::time::Instant) {
    let (mut e, now) = engine();
    for i in 1..=4 {
        e.handle_datagram(
            now,
            addr(i, 7946),
            &datagram(&[alive(&format!("p{i}"), addr(i, 7946))]),
        );
    }
    while e.poll_transmit().is_some() {}
    while e.poll_event().is_some() {}
    (e, now)
}

pub(super) fn datagram(msgs: &[Message]) -> Vec<u8> {
    let mut b = Vec::new();
    wire::start_datagram(&mut b);
    for m in msgs {
        wire::encode_message(m, &mut b);
    }
    b
}

fn decode(bytes: &[u8]) -> Vec<Message> {
    let mut out = Vec::new();
    wire::decode_datagram(bytes, &mut out).unwrap();
    out
}

fn alive(name: &str, at: SocketAddr) -> Message {
    Message::Alive(Alive {
        name: Name::new(name).unwrap(),
        addr: at,
        generation: 1,
        incarnation: 0,
        meta: Meta::from(&[][..]),
    })
}

#[test]
fn a_ping_for_us_is_acked_and_a_misdirected_one_is_dropped() {
    let (mut e, now) = engine();
    let from = addr(1, 7946);
    let ping = |t: &str| {
        Message::Ping(Ping {
            seq: 42,
            target: Name::new(t).unwrap(),
        })
    };
    e.handle_datagram(now, from, &datagram(&[ping("me")]));
    let t = e.poll_transmit().expect("an ack");
    assert_eq!((t.to, t.kind), (from, TransmitKind::Datagram));
    assert_eq!(decode(&t.bytes)[0], Message::Ack(Ack { seq: 42 }));
    e.handle_datagram(now, from, &datagram(&[ping("someone-else")]));
    assert!(e.poll_transmit().is_none());
    assert_eq!(e.stats().dropped(DropReason::Misdirected), 1);
}

#[test]
fn garbage_is_counted_by_reason_and_changes_nothing() {
    let (mut e, now) = engine();
    let from = addr(1, 7946);
    e.handle_datagram(now, from, &[]);
    e.handle_datagram(now, from, &[99, 1, 2, 3]);
    e.handle_datagram(now, from, &[wire::VERSION, 5, 200]);
    e.handle_stream(now, from, &[wire::VERSION, 250]);
    assert_eq!(e.stats().dropped_total(), 4);
    assert_eq!(e.member_count(), 1);
    assert!(e.poll_transmit().is_none());
    assert!(e.poll_event().is_none());
}

#[test]
fn a_suspicion_about_us_is_refuted_with_a_higher_incarnation() {
    let (mut e, now) = engine();
    let from = addr(1, 7946);
    e.handle_datagram(now, from, &datagram(&[alive("peer", from)]));
    let suspect = Message::Suspect(Suspect {
        name: Name::new("me").unwrap(),
        generation: 3,
        incarnation: 0,
        from: Name::new("peer").unwrap(),
    });
    let ping = Message::Ping(Ping {
        seq: 7,
        target: Name::new("me").unwrap(),
    });
    // Buddy system: the suspicion rides on the probe; the ack carries the refutation.
    e.handle_datagram(now, from, &datagram(&[ping, suspect]));
    assert_eq!(e.local().incarnation, 1);
    assert_eq!(
        e.health_score(),
        1,
        "being suspected hints that we are the slow one"
    );
    let ack = e.poll_transmit().unwrap();
    let msgs = decode(&ack.bytes);
    assert_eq!(msgs[0], Message::Ack(Ack { seq: 7 }));
    assert!(
        msgs.iter().any(
            |m| matches!(m, Message::Alive(a) if a.name.as_str() == "me" && a.incarnation == 1)
        ),
        "refutation piggybacked on the ack: {msgs:?}"
    );
    let kinds: Vec<EventKind> = std::iter::from_fn(|| e.poll_event())
        .map(|ev| ev.kind)
        .collect();
    assert_eq!(kinds, [EventKind::Up, EventKind::Refuted]);
}

#[test]
fn an_unanswered_probe_goes_indirect_then_suspects() {
    let (mut e, now) = engine_knowing_four();
    // Run timers without answering anything until the first suspicion.
    let mut indirect = 0;
    let mut suspected = None;
    while suspected.is_none() {
        let t = e.poll_timeout().expect("probing keeps a timer");
        assert!(
            t < now + Duration::from_secs(3),
            "suspected within two probe periods"
        );
        e.handle_timeout(t);
        while let Some(tx) = e.poll_transmit() {
            if tx.kind == TransmitKind::Datagram {
                indirect += decode(&tx.bytes)
                    .iter()
                    .filter(|m| matches!(m, Message::IndirectPing(_)))
                    .count();
            }
        }
        suspected = std::iter::from_fn(|| e.poll_event()).find(|ev| ev.kind == EventKind::Suspect);
    }
    assert_eq!(indirect, 3, "k = 3 helpers asked before suspecting");
    assert!(
        e.health_score() >= 1,
        "no nacks came back either: we may be the problem"
    );
}

#[test]
fn helpers_nacks_arrive_in_time_and_spare_the_probers_health() {
    let (mut e, now) = engine_knowing_four();
    // Run until the indirect pings go out; answer each as a LAN helper would: it pings the
    // target, hears nothing for 80% of its probe timeout, and nacks (1 ms each way).
    let mut requests: Vec<(SocketAddr, u32)> = Vec::new();
    let mut t = now;
    while requests.is_empty() {
        t = e.poll_timeout().unwrap();
        e.handle_timeout(t);
        while let Some(tx) = e.poll_transmit() {
            for m in decode(&tx.bytes) {
                if let Message::IndirectPing(IndirectPing { seq, .. }) = m {
                    requests.push((tx.to, seq));
                }
            }
        }
    }
    assert_eq!(requests.len(), 3);
    let nack_at = t + Duration::from_millis(1 + 400 + 1);
    while e.poll_timeout().unwrap() < nack_at {
        let next = e.poll_timeout().unwrap();
        e.handle_timeout(next);
        while e.poll_transmit().is_some() {}
    }
    for (helper, seq) in requests {
        e.handle_datagram(nack_at, helper, &datagram(&[Message::Nack(Nack { seq })]));
    }
    while std::iter::from_fn(|| e.poll_event()).all(|ev| ev.kind != EventKind::Suspect) {
        let next = e.poll_timeout().unwrap();
        e.handle_timeout(next);
        while e.poll_transmit().is_some() {}
    }
    assert_eq!(e.stats().nacks, 3, "{:?}", e.stats());
    assert_eq!(
        e.health_score(),
        0,
        "helpers answered: the target, not us, is the problem"
    );
}

#[test]
fn a_helper_nacks_before_the_probers_indirect_phase_ends() {
    let (mut e, now) = engine();
    let prober = addr(1, 7946);
    e.handle_datagram(now, prober, &datagram(&[alive("p1", prober)]));
    while e.poll_transmit().is_some() {}
    let request = Message::IndirectPing(IndirectPing {
        seq: 77,
        target: Name::new("gone").unwrap(),
        target_addr: addr(9, 7946),
        want_nack: true,
    });
    e.handle_datagram(now, prober, &datagram(&[request]));
    while e.poll_transmit().is_some() {} // the ping to the target
    // Run the timers (our own probes too) until the nack goes out.
    let mut nacked_at = None;
    while nacked_at.is_none() {
        let due = e.poll_timeout().unwrap();
        assert!(
            due <= now + Duration::from_secs(1),
            "no nack within a second"
        );
        e.handle_timeout(due);
        let nacked = std::iter::from_fn(|| e.poll_transmit())
            .filter(|tx| tx.to == prober)
            .flat_map(|tx| decode(&tx.bytes))
            .any(|m| matches!(m, Message::Nack(Nack { seq: 77 })));
        if nacked {
            nacked_at = Some(due);
        }
    }
    let after = nacked_at.unwrap() - now;
    assert!(
        after <= Duration::from_millis(400),
        "nacked {after:?} after the request; the prober stops counting at 500 ms"
    );
}

#[test]
fn a_forgotten_member_is_added_back_by_the_same_alive_news() {
    let (mut e, now) = engine();
    let p1 = addr(1, 7946);
    let news = datagram(&[alive("p1", p1)]);
    e.handle_datagram(now, p1, &news);
    let dead = Message::Dead(Dead {
        name: Name::new("p1").unwrap(),
        generation: 1,
        incarnation: 0,
        from: Name::new("p2").unwrap(),
    });
    e.handle_datagram(now, addr(2, 7946), &datagram(&[dead]));
    // Past dead_retention (60 s), the tombstone is collected and p1 forgotten.
    let later = now + Duration::from_secs(61);
    e.handle_timeout(later);
    assert!(e.member("p1").is_none(), "p1 was forgotten");
    while e.poll_event().is_some() {}
    // The very same alive claim (say, from p1's side of a healed partition) adds it back:
    // it must not be skipped as news already seen.
    e.handle_datagram(later, p1, &news);
    let kinds: Vec<EventKind> = std::iter::from_fn(|| e.poll_event())
        .map(|ev| ev.kind)
        .collect();
    assert_eq!(kinds, [EventKind::Up]);
}

#[test]
fn a_death_learned_by_state_transfer_is_only_a_suspicion() {
    let (mut e, now) = engine();
    let p1 = addr(1, 7946);
    e.handle_datagram(now, p1, &datagram(&[alive("p1", p1)]));
    while e.poll_event().is_some() {}
    let transfer = Message::PushPull(PushPull {
        join: false,
        complete: true,
        reply: false,
        members: vec![MemberState {
            name: Name::new("p1").unwrap(),
            addr: p1,
            generation: 1,
            incarnation: 0,
            state: State::Dead,
            meta: Meta::from(&[][..]),
        }],
    });
    let mut bytes = Vec::new();
    wire::encode_stream(&transfer, &mut bytes);
    e.handle_stream(now, addr(2, 7946), &bytes);
    // A verdict from the other side of a (perhaps healed) partition: p1 gets a suspicion
    // it can refute, not a death.
    assert_eq!(e.member("p1").unwrap().state, State::Suspect);
    let kinds: Vec<EventKind> = std::iter::from_fn(|| e.poll_event())
        .map(|ev| ev.kind)
        .collect();
    assert_eq!(kinds, [EventKind::Suspect]);
}

#[test]
fn answers_after_the_first_ack_are_expected_and_stale_ones_are_counted() {
    let (mut e, now) = engine();
    let p1 = addr(1, 7946);
    e.handle_datagram(now, p1, &datagram(&[alive("p1", p1)]));
    while e.poll_transmit().is_some() {}
    // Run until our ping to p1 goes out.
    let mut seq = None;
    while seq.is_none() {
        let t = e.poll_timeout().unwrap();
        e.handle_timeout(t);
        while let Some(tx) = e.poll_transmit() {
            for m in decode(&tx.bytes) {
                if let Message::Ping(Ping { seq: s, .. }) = m {
                    seq = Some(s);
                }
            }
        }
    }
    let seq = seq.unwrap();
    let t = e.poll_timeout().unwrap();
    e.handle_datagram(t, p1, &datagram(&[Message::Ack(Ack { seq })]));
    // The same probe answered again (a relayed ack, a helper's nack): nothing wrong.
    e.handle_datagram(t, addr(2, 7946), &datagram(&[Message::Ack(Ack { seq })]));
    e.handle_datagram(t, addr(3, 7946), &datagram(&[Message::Nack(Nack { seq })]));
    assert_eq!(e.stats().dropped_total(), 0, "{:?}", e.stats());
    // An answer to a probe we never sent is.
    e.handle_datagram(t, p1, &datagram(&[Message::Ack(Ack { seq: seq + 1000 })]));
    assert_eq!(e.stats().dropped(DropReason::LateAck), 1);
}

#[test]
fn set_meta_over_the_limit_is_refused_and_changes_nothing() {
    let (mut e, now) = engine();
    let err = e.set_meta(now, Meta::from(vec![0u8; 5000])).unwrap_err();
    assert!(err.to_string().contains("max_meta_bytes"));
    assert_eq!(e.local().incarnation, 0);
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let run = || {
        let mut net = super::harness::Net::new(Config::lan(12));
        for _ in 0..12 {
            net.add();
        }
        for i in 1..12 {
            net.join(i, 0);
        }
        let mut i = 0usize;
        net.lose = Box::new(move |_, _| {
            i += 1;
            i.is_multiple_of(7)
        });
        net.kill(4);
        net.run_for(Duration::from_secs(40));
        let start = net.start;
        net.nodes
            .iter()
            .map(|n| {
                format!(
                    "{:?}",
                    n.events
                        .iter()
                        .map(|e| (
                            e.at - start,
                            e.kind,
                            e.member.name.clone(),
                            e.member.incarnation
                        ))
                        .collect::<Vec<_>>()
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

#[test]
fn restored_members_are_known_silently_and_probed() {
    let (mut e, now) = engine();
    let state = |name: &str, i: usize, st: crate::State| crate::wire::MemberState {
        name: Name::new(name).unwrap(),
        addr: addr(i, 7946),
        generation: 1,
        incarnation: 4,
        state: st,
        meta: Meta::from(&[][..]),
    };
    e.restore(
        now,
        &[
            state("a", 1, crate::State::Alive),
            state("b", 2, crate::State::Suspect),
            state("gone", 3, crate::State::Dead),
            state("me", 0, crate::State::Dead),
        ],
    );
    assert_eq!(e.alive_count(), 3, "me, a and b");
    assert!(e.member("gone").is_none());
    assert_eq!(e.local().state, crate::State::Alive);
    assert!(e.poll_event().is_none() && e.poll_transmit().is_none());
    let first = e.poll_timeout().unwrap();
    e.handle_timeout(first.max(now + Duration::from_secs(1)));
    let ping = e.poll_transmit().expect("a restored member is probed");
    assert!(matches!(decode(&ping.bytes)[0], Message::Ping(_)));
}
