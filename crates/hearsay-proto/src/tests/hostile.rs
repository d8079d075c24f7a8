//! Scripted single-engine tests of claims and requests a hostile peer could send: none of them
//! may silence a live member or make a node send what nobody asked for.

use std::time::Duration;

use super::harness::addr;
use super::single::{datagram, engine_knowing_four};
use crate::wire::{self, Ack, Dead, KvEntries, Message, State, Suspect};
use crate::{DropReason, Name};

fn dead(name: &str, generation: u64, incarnation: u32) -> Message {
    Message::Dead(Dead {
        name: Name::new(name).unwrap(),
        generation,
        incarnation,
        from: Name::new("mallory").unwrap(),
    })
}

#[test]
fn a_death_at_the_highest_incarnation_is_refused() {
    let (mut e, now) = engine_knowing_four();
    e.handle_datagram(now, addr(9, 1), &datagram(&[dead("p1", 1, u32::MAX)]));
    assert_eq!(e.member("p1").unwrap().state, State::Alive);
    assert_eq!(e.member("p1").unwrap().incarnation, 0);
    assert_eq!(e.stats().dropped(DropReason::ImplausibleIncarnation), 1);
    // A suspicion of this node at that incarnation is refused too: refuting it would pin this
    // node's incarnation where no later refutation could win.
    let suspect = Message::Suspect(Suspect {
        name: Name::new("me").unwrap(),
        generation: 3,
        incarnation: u32::MAX,
        from: Name::new("mallory").unwrap(),
    });
    e.handle_datagram(now, addr(9, 1), &datagram(&[suspect]));
    assert_eq!(e.incarnation(), 0);
    assert_eq!(e.stats().refutations, 0);
    assert_eq!(e.stats().dropped(DropReason::ImplausibleIncarnation), 2);
}

#[test]
fn a_death_a_few_incarnations_ahead_still_counts() {
    let (mut e, now) = engine_knowing_four();
    e.handle_datagram(now, addr(9, 1), &datagram(&[dead("p1", 1, 3)]));
    assert_eq!(e.member("p1").unwrap().state, State::Dead);
}

#[test]
fn a_death_of_a_generation_never_seen_alive_is_refused() {
    let (mut e, now) = engine_knowing_four();
    e.handle_datagram(now, addr(9, 1), &datagram(&[dead("p2", u64::MAX, 0)]));
    let p2 = e.member("p2").unwrap();
    assert_eq!((p2.state, p2.generation), (State::Alive, 1));
    assert_eq!(e.stats().dropped(DropReason::ImplausibleGeneration), 1);
}

#[test]
fn unsolicited_repair_requests_get_no_answer() {
    let (mut e, now) = engine_knowing_four();
    e.kv_put(now, "k", b"v".to_vec().into()).unwrap();
    while e.poll_transmit().is_some() {}
    let leaves: Vec<u32> = (0..65_536).collect();
    let ask = Message::KvEntries(KvEntries {
        leaves,
        reply: true,
        total: 0,
        entries: Vec::new(),
    });
    let mut bytes = Vec::new();
    wire::encode_stream(&ask, &mut bytes);
    e.handle_stream(now, addr(9, 1), &bytes);
    assert!(
        e.poll_transmit().is_none(),
        "answered a repair nobody started"
    );
    assert_eq!(e.stats().dropped(DropReason::UnsolicitedRepair), 1);
}

#[test]
fn reconnection_attempts_leave_syncs_with_live_members_alone() {
    let (mut e, mut now) = engine_knowing_four();
    // p1 is dead and its address never answers: every reconnection attempt times out.
    e.handle_datagram(now, addr(9, 1), &datagram(&[dead("p1", 1, 0)]));
    let dead_addr = addr(1, 7946);
    let end = now + Duration::from_secs(120);
    let mut reconnects = 0;
    let mut live_syncs = 0;
    while now < end {
        now = e.poll_timeout().unwrap().max(now);
        e.handle_timeout(now);
        let mut acks = Vec::new();
        while let Some(t) = e.poll_transmit() {
            // The live members answer pings (and nothing else); p1 answers nothing.
            if t.kind == crate::TransmitKind::Datagram && t.to != dead_addr {
                let mut msgs = Vec::new();
                wire::decode_datagram(&t.bytes, &mut msgs).unwrap();
                for m in msgs {
                    if let Message::Ping(p) = m {
                        acks.push((t.to, Message::Ack(Ack { seq: p.seq })));
                    }
                }
            }
            if t.kind == crate::TransmitKind::Stream
                && matches!(wire::decode_stream(&t.bytes), Ok(Message::SyncDigest(_)))
            {
                if t.to == dead_addr {
                    reconnects += 1;
                } else {
                    live_syncs += 1;
                }
            }
        }
        for (from, ack) in acks {
            e.handle_datagram(now, from, &datagram(&[ack]));
        }
        while e.poll_event().is_some() {}
    }
    assert!(reconnects >= 2, "{reconnects} reconnection attempts");
    // Syncs go out at least every sync interval (30 s), whatever the attempts to p1 do.
    assert!(
        live_syncs >= 3,
        "{live_syncs} syncs with live members in 120 s"
    );
    assert!(e.stats().reconnect_timeouts >= 2);
}
