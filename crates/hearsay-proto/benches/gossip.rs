//! Choosing the piggyback set from a large gossip queue.
//!
//! Every datagram an engine sends is filled with queued news, fewest-transmissions-first, up
//! to the datagram limit. After a join wave or a healed partition the queue can hold news about
//! thousands of members, and this selection then runs for every probe, ack and gossip datagram.
//! It must cost in proportion to what one datagram carries, not to the queue's length.
//!
//! Measured through the public API: an engine that knows 10,000 other members, learned by
//! gossip so that each one is queued as news (a backlog of 10,000, the queue's bound raised to
//! hold it), is pinged and answers with an ack packed to 1,400 bytes from its queue. The time
//! is `handle_datagram` of the (tiny) ping plus taking the ack from `poll_transmit`.
//! `ack/empty_queue` is the same exchange with nothing queued, the fixed cost to subtract.
//!
//! Packing moves the chosen news one transmission further back in the queue, and news leaves
//! it after `retransmit_limit` (20 at this size) transmissions. An engine is therefore used
//! for [`ACKS_PER_ENGINE`] acks only, few enough that no news has left the queue, and then
//! replaced by a fresh one outside the timed part: every measured ack picks from a full queue.

mod common;

use std::cell::{Cell, RefCell};
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_main};
use hearsay_proto::{Config, Engine};

use common::{START_INCARNATION, addr, alive, config, datagram, drain, encode, ping};

/// Members the engine knows, itself included.
const MEMBERS: usize = 10_001;
/// News waiting in the queue: one item per other member.
const BACKLOG: usize = MEMBERS - 1;
/// Acks one engine answers before it is replaced: about 42 items ride on each, so 2,000 acks
/// send every item about 8 times, well below the limit of 20.
const ACKS_PER_ENGINE: u32 = 2_000;

/// An engine that has learned members `1..MEMBERS` from gossip and queued each as news.
fn backlogged_engine(now: Instant) -> Engine {
    let config = Config {
        max_gossip_backlog: BACKLOG,
        ..config(MEMBERS)
    };
    let max = config.max_datagram_bytes;
    let mut engine = Engine::new(config, common::local_node(), now).expect("a valid config");
    let mut news = (1..MEMBERS).map(|i| alive(i, START_INCARNATION)).peekable();
    while news.peek().is_some() {
        let bytes = datagram(&[], &mut news, max);
        engine.handle_datagram(now, addr(1), &bytes);
        drain(&mut engine);
    }
    assert_eq!(engine.member_count(), MEMBERS);
    assert_eq!(engine.gossip_backlog(), BACKLOG);
    engine
}

/// Pings `engine` and returns the size of its answer.
fn answer(engine: &mut Engine, now: Instant, ping: &[u8]) -> usize {
    engine.handle_datagram(now, addr(1), std::hint::black_box(ping));
    let ack = engine.poll_transmit().expect("the ping is answered");
    assert!(engine.poll_transmit().is_none());
    ack.bytes.len()
}

/// Checks, once, that an engine stays fully backlogged for all its acks, each one full.
fn check_workload(now: Instant, ping: &[u8]) {
    let mut engine = backlogged_engine(now);
    let max = config(MEMBERS).max_datagram_bytes;
    for _ in 0..ACKS_PER_ENGINE {
        let len = answer(&mut engine, now, ping);
        assert!(len > max - 40, "a full ack, not {len} bytes");
    }
    assert_eq!(engine.gossip_backlog(), BACKLOG, "no news left the queue");
}

fn ack(c: &mut Criterion) {
    let now = common::epoch();
    let ping = encode(&[ping(1)]);
    check_workload(now, &ping);
    let mut group = c.benchmark_group("gossip/ack");

    group.bench_function("empty_queue", |b| {
        let mut engine = common::engine_knowing(config(MEMBERS), MEMBERS, now);
        b.iter(|| answer(&mut engine, now, &ping));
    });

    group.bench_function("backlog_10000", |b| {
        let engine = RefCell::new(backlogged_engine(now));
        let acks = Cell::new(0);
        b.iter_batched(
            || {
                if acks.get() == ACKS_PER_ENGINE {
                    *engine.borrow_mut() = backlogged_engine(now);
                    acks.set(0);
                }
            },
            |()| {
                acks.set(acks.get() + 1);
                answer(&mut engine.borrow_mut(), now, &ping)
            },
            // One at a time, so that the swap above happens before every 2,001st ack.
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

// In a private module: the macro defines a public function that cannot carry documentation.
mod group {
    criterion::criterion_group!(benches, super::ack);
}
criterion_main!(group::benches);
