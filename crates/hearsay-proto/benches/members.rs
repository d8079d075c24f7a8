//! Membership table operations at N = 10,000 (the engine itself included).
//!
//! The table is consulted or changed by every piece of news and every probe, and in a large
//! cluster it is the structure whose cost could grow with N. Everything goes through the
//! public API, as a driver would use it, on an engine loaded with `Engine::restore`:
//!
//! * `lookup/name_hit`, `lookup/name_miss`: `Engine::member` by name (the name index).
//! * `lookup/addr_scan`: finding a member by address. The engine keeps no address index, so
//!   a driver can only scan `Engine::members()`; this shows what that costs at this size.
//! * `apply/insert`: alive news about a member not yet known (a join heard by gossip):
//!   added to the table and the probe order, reported, queued for gossip.
//! * `apply/alive`: alive news raising a known member's incarnation (an update or refutation).
//! * `apply/suspect`, `apply/dead`: a known alive member suspected, or declared dead, by
//!   another member; between two timed updates the previous subject is brought back alive by
//!   an untimed refutation, so that one member at a time is suspect or dead.
//! * `probe/next_target`: the probe timer firing: choose the next member of the shuffled
//!   round-robin and send it a ping. The ping is answered (untimed) before the next one.
//! * `probe/indirect_helpers`: the probe's ack did not come in time: choose 3 random alive
//!   helpers and send each an indirect ping. The ack then arrives (untimed).
//!
//! News arrives as a one-message datagram, so `apply/*` include decoding it (about 40 bytes)
//! and draining the engine's events; every timed call is followed by draining, as a driver
//! does. Engines run on a seeded RNG and a clock advanced only by the benchmark.

mod common;

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_main};
use hearsay_proto::wire::{self, Ack, Dead, Message, Suspect};
use hearsay_proto::{Config, Engine, Name, Transmit};

use common::{GENERATION, START_INCARNATION, addr, alive, config, drain, encode, engine_knowing};

/// Members in the table, the engine itself included.
const MEMBERS: usize = 10_000;
/// Members `apply/insert` adds to one engine before it is replaced (untimed) by a fresh one,
/// so that the table stays within 10% of [`MEMBERS`].
const INSERTS_PER_ENGINE: usize = 1_000;

/// Handles one datagram from member 1 and drains the engine.
fn deliver(engine: &mut Engine, now: Instant, bytes: &[u8]) {
    engine.handle_datagram(now, addr(1), black_box(bytes));
    drain(engine);
}

/// Member indices `1..MEMBERS`, round and round, in a scattered order.
fn scattered() -> impl Iterator<Item = usize> {
    (0..).map(|k: usize| 1 + k.wrapping_mul(7_919) % (MEMBERS - 1))
}

fn lookups(c: &mut Criterion) {
    let now = common::epoch();
    let engine = engine_knowing(config(MEMBERS), MEMBERS, now);
    let mut group = c.benchmark_group("members_n10000/lookup");
    let known: Vec<Name> = (1..MEMBERS).map(common::name).collect();
    let unknown: Vec<Name> = (MEMBERS..2 * MEMBERS).map(common::name).collect();
    assert!(known.iter().all(|n| engine.member(n.as_str()).is_some()));
    assert!(unknown.iter().all(|n| engine.member(n.as_str()).is_none()));
    for (label, names) in [("name_hit", &known), ("name_miss", &unknown)] {
        let mut order = scattered();
        group.bench_function(label, |b| {
            b.iter(|| {
                let name = &names[order.next().expect("endless") - 1];
                engine.member(black_box(name.as_str()))
            });
        });
    }
    let mut order = scattered();
    group.bench_function("addr_scan", |b| {
        b.iter(|| {
            let target = addr(order.next().expect("endless"));
            engine.members().find(|m| m.addr == black_box(target))
        });
    });
    group.finish();
}

/// The members `apply/suspect` and `apply/dead` accuse, one after the other, and the
/// incarnation each is at in the engine.
struct Subjects {
    incarnations: Vec<u32>,
    order: Box<dyn Iterator<Item = usize>>,
    /// The member changed by the last timed update, to be restored before the next one.
    previous: Option<usize>,
}

impl Subjects {
    fn new() -> Subjects {
        Subjects {
            incarnations: vec![START_INCARNATION; MEMBERS],
            order: Box::new(scattered()),
            previous: None,
        }
    }

    /// The datagram that brings the previous subject back alive (one incarnation higher),
    /// if there is one.
    fn restore_previous(&mut self) -> Option<Vec<u8>> {
        let i = self.previous.take()?;
        self.incarnations[i] += 1;
        Some(encode(&[alive(i, self.incarnations[i])]))
    }

    /// The next subject, remembered as the one to restore.
    fn next(&mut self) -> usize {
        let i = self.order.next().expect("endless");
        self.previous = Some(i);
        i
    }
}

/// Some member other than `i`, to accuse it.
fn accuser(i: usize) -> Name {
    common::name(if i == 1 { 2 } else { 1 })
}

fn suspect(i: usize, incarnation: u32) -> Message {
    Message::Suspect(Suspect {
        name: common::name(i),
        generation: GENERATION,
        incarnation,
        from: accuser(i),
    })
}

fn dead(i: usize, incarnation: u32) -> Message {
    Message::Dead(Dead {
        name: common::name(i),
        generation: GENERATION,
        incarnation,
        from: accuser(i),
    })
}

/// Benchmarks applying `news(i, incarnation)` about an alive member `i` at its current
/// incarnation, after bringing the previous subject back alive (untimed).
fn bench_accusation(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    now: Instant,
    news: fn(usize, u32) -> Message,
) {
    group.bench_function(label, |b| {
        let engine = RefCell::new(engine_knowing(config(MEMBERS), MEMBERS, now));
        let mut subjects = Subjects::new();
        b.iter_batched(
            || {
                if let Some(bytes) = subjects.restore_previous() {
                    deliver(&mut engine.borrow_mut(), now, &bytes);
                }
                let i = subjects.next();
                encode(&[news(i, subjects.incarnations[i])])
            },
            |bytes| {
                deliver(&mut engine.borrow_mut(), now, &bytes);
                bytes
            },
            // Strictly alternating with the untimed restore.
            BatchSize::PerIteration,
        );
    });
}

fn updates(c: &mut Criterion) {
    let now = common::epoch();
    check_updates(now);
    let mut group = c.benchmark_group("members_n10000/apply");

    group.bench_function("insert", |b| {
        let engine = RefCell::new(engine_knowing(config(MEMBERS), MEMBERS, now));
        let mut inserted = 0;
        b.iter_batched(
            || {
                if inserted == INSERTS_PER_ENGINE {
                    *engine.borrow_mut() = engine_knowing(config(MEMBERS), MEMBERS, now);
                    inserted = 0;
                }
                inserted += 1;
                encode(&[alive(MEMBERS + inserted, START_INCARNATION)])
            },
            |bytes| {
                deliver(&mut engine.borrow_mut(), now, &bytes);
                bytes
            },
            // One at a time, so that the swap above happens between two inserts.
            BatchSize::PerIteration,
        );
    });

    group.bench_function("alive", |b| {
        let mut engine = engine_knowing(config(MEMBERS), MEMBERS, now);
        let mut news = common::refreshes(MEMBERS);
        b.iter_batched(
            || encode(&[news.next().expect("endless")]),
            |bytes| {
                deliver(&mut engine, now, &bytes);
                bytes
            },
            BatchSize::SmallInput,
        );
    });

    bench_accusation(&mut group, "suspect", now, suspect);
    bench_accusation(&mut group, "dead", now, dead);
    group.finish();
}

/// Checks, once, that each kind of news changes the table as the docs say.
fn check_updates(now: Instant) {
    let mut engine = engine_knowing(config(MEMBERS), MEMBERS, now);
    let new = MEMBERS + 1;
    let steps = [
        (alive(new, START_INCARNATION), new, "alive", MEMBERS + 1),
        (alive(5, START_INCARNATION + 1), 5, "alive", MEMBERS + 1),
        (suspect(5, START_INCARNATION + 1), 5, "suspect", MEMBERS + 1),
        (alive(5, START_INCARNATION + 2), 5, "alive", MEMBERS + 1),
        (dead(5, START_INCARNATION + 2), 5, "dead", MEMBERS + 1),
    ];
    for (news, i, state, count) in steps {
        engine.handle_datagram(now, addr(1), &encode(&[news]));
        assert!(engine.poll_event().is_some(), "news about {i} is reported");
        drain(&mut engine);
        let m = engine.member(common::name(i).as_str()).expect("known");
        assert_eq!(m.state.as_str(), state);
        assert_eq!(engine.member_count(), count);
    }
}

/// A duration no benchmark reaches, to keep anti-entropy out of the probe benchmarks.
const NEVER: Duration = Duration::from_secs(1 << 32);

/// An engine that probes its 10,000-member table, answered by the benchmark.
struct Prober {
    engine: Engine,
    /// Datagrams sent by the last timed call.
    sent: Vec<Transmit>,
    /// Stop before the indirect phase (`false`), or run up to it (`true`).
    indirect: bool,
}

impl Prober {
    fn new(now: Instant, indirect: bool) -> Prober {
        let config = Config {
            sync_interval: NEVER,
            sync_interval_busy: NEVER,
            ..config(MEMBERS)
        };
        let mut engine = engine_knowing(config, MEMBERS, now);
        // The broadcast tree opens its links at once; let it, before probing is measured.
        engine.handle_timeout(now);
        while engine.poll_transmit().is_some() {}
        Prober {
            engine,
            sent: Vec::new(),
            indirect,
        }
    }

    /// Untimed: answers the probe under way, if any, with an ack carrying its sequence number
    /// (direct pings and indirect pings carry the same one), then brings the engine to the
    /// moment of the step to measure. Returns that moment.
    fn prepare(&mut self) -> Instant {
        if let Some(t) = self.sent.first() {
            let mut messages = Vec::new();
            wire::decode_datagram(&t.bytes, &mut messages).expect("a valid datagram");
            let seq = match &messages[0] {
                Message::Ping(p) => p.seq,
                Message::IndirectPing(p) => p.seq,
                other => panic!("not a probe: {other:?}"),
            };
            let now = self.next_deadline();
            deliver(&mut self.engine, now, &encode(&[Message::Ack(Ack { seq })]));
            self.sent.clear();
        }
        let start = self.next_deadline();
        if self.indirect {
            self.step(start);
            self.sent.clear();
            return self.next_deadline();
        }
        start
    }

    /// Timed: runs the timers due at `now` and takes what they send.
    fn step(&mut self, now: Instant) {
        self.engine.handle_timeout(now);
        // Probes only: the broadcast tree's link requests are not what this measures.
        self.sent.extend(
            std::iter::from_fn(|| self.engine.poll_transmit()).filter(|t| {
                let mut messages = Vec::new();
                wire::decode_datagram(&t.bytes, &mut messages).is_ok()
                    && matches!(
                        messages.first(),
                        Some(Message::Ping(_) | Message::IndirectPing(_))
                    )
            }),
        );
        while let Some(e) = self.engine.poll_event() {
            black_box(e);
        }
    }

    fn next_deadline(&self) -> Instant {
        self.engine
            .poll_timeout()
            .expect("probing is always scheduled")
    }
}

fn probes(c: &mut Criterion) {
    let now = common::epoch();
    for indirect in [false, true] {
        let mut p = Prober::new(now, indirect);
        for _ in 0..100 {
            let at = p.prepare();
            p.step(at);
            assert_eq!(p.sent.len(), if indirect { 3 } else { 1 });
        }
        let stats = p.engine.stats();
        assert_eq!(
            (stats.acks, stats.probe_failures, stats.suspicions),
            (99, 0, 0)
        );
    }
    let mut group = c.benchmark_group("members_n10000/probe");
    for (label, indirect) in [("next_target", false), ("indirect_helpers", true)] {
        group.bench_function(label, |b| {
            let prober = RefCell::new(Prober::new(now, indirect));
            b.iter_batched(
                || prober.borrow_mut().prepare(),
                |at| prober.borrow_mut().step(at),
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

// In a private module: the macro defines a public function that cannot carry documentation.
mod group {
    criterion::criterion_group!(benches, super::lookups, super::updates, super::probes);
}
criterion_main!(group::benches);
