//! Prints every engine event of one sweep seed (optionally only those about or by one
//! member, plus that member's stream messages), with the invariants checked as in the sweep,
//! and on a convergence failure how the first disagreeing node sees every running member.
//! A debugging aid for a failing seed.
//!
//! `cargo run --release -p hearsay-sim --example sweep_events -- SEED NODES [MEMBER]`

use hearsay_proto::Event;
use hearsay_sim::invariants::Invariants;
use hearsay_sim::sweep::{HEAL_BOUND, sweep_scenario};
use hearsay_sim::{Observer, Simulation};

struct Printer {
    member: Option<String>,
    invariants: Invariants,
}

impl Observer for Printer {
    fn on_transmit(&mut self, sim: &Simulation, node: u32, t: &hearsay_proto::Transmit) {
        let me = self.member.as_deref();
        let to = hearsay_sim::node_of(t.to).map(|(i, _)| format!("node-{i}"));
        if t.kind == hearsay_proto::TransmitKind::Stream
            && me.is_some_and(|m| m == format!("node-{node}") || Some(m) == to.as_deref())
        {
            let what = match hearsay_proto::wire::decode_stream(&t.bytes) {
                Ok(hearsay_proto::wire::Message::PushPull(p)) => {
                    format!(
                        "push-pull join {} reply {} {} members",
                        p.join,
                        p.reply,
                        p.members.len()
                    )
                }
                Ok(hearsay_proto::wire::Message::SyncDigest(d)) => {
                    format!("digest live {}", d.live)
                }
                Ok(hearsay_proto::wire::Message::SyncBuckets(b)) => {
                    format!("buckets {}", b.hashes.len())
                }
                Ok(hearsay_proto::wire::Message::SyncEntries(e)) => format!(
                    "entries reply {} [{}]",
                    e.reply,
                    e.members
                        .iter()
                        .map(|m| format!("{}:{}:{}", m.name, m.incarnation, m.state.as_str()))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                other => format!("{other:?}"),
            };
            println!(
                "{:>9.3} node-{node:<3} stream -> {} {what}",
                sim.now().as_secs_f64(),
                to.unwrap_or_default()
            );
        }
    }

    fn on_event(&mut self, sim: &Simulation, node: u32, event: &Event) {
        if self
            .member
            .as_deref()
            .is_none_or(|m| m == event.member.name.as_str() || m == format!("node-{node}"))
        {
            println!(
                "{:>9.3} node-{node:<3} {:<9} {} gen {} inc {} {:?} accuser {:?} conf {} health {}",
                sim.now().as_secs_f64(),
                event.kind.as_str(),
                event.member.name,
                event.member.generation,
                event.member.incarnation,
                event.cause.via,
                event.cause.accuser.as_ref().map(|a| a.to_string()),
                event.cause.confirmations,
                event.cause.local_health,
            );
        }
        self.invariants.on_event(sim, node, event);
    }

    fn on_tick(&mut self, sim: &Simulation) {
        self.invariants.on_tick(sim);
        if self.invariants.should_stop() {
            // Show how the first disagreeing node sees each running member.
            if let Some(d) = sim.disagreements().first() {
                let engine = sim.engine(d.node).expect("running");
                for i in 0..sim.scenario().nodes {
                    let Some(generation) = sim.running_generation(i) else {
                        continue;
                    };
                    let truth = sim.engine(i).expect("running").local();
                    let seen = engine.member(&format!("node-{i}"));
                    let seen = seen.map(|m| {
                        format!(
                            "gen {} inc {} {}",
                            m.generation,
                            m.incarnation,
                            m.state.as_str()
                        )
                    });
                    println!(
                        "node-{} sees node-{i}: {:?}; truth gen {generation} inc {}",
                        d.node, seen, truth.incarnation
                    );
                }
            }
        }
    }

    fn should_stop(&self) -> bool {
        self.invariants.should_stop()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed: u64 = args[0].parse().expect("SEED");
    let nodes: u32 = args[1].parse().expect("NODES");
    let scenario = sweep_scenario(seed, Some(nodes));
    eprintln!("{scenario:#?}");
    let heal_at = scenario.heal_at.unwrap_or_default();
    let mut printer = Printer {
        member: args.get(2).cloned(),
        invariants: Invariants::new(heal_at, HEAL_BOUND),
    };
    Simulation::new(scenario).unwrap().run(&mut printer);
    if let Some(v) = printer.invariants.violation() {
        println!("{v}");
    }
}
