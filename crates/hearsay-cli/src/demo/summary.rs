//! The closing tables: traffic per node, then the measured times next to what the preset
//! predicts. Printed whatever the output is (a terminal, a pipe, `--quiet`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use super::cluster::{NodeTraffic, Traffic};
use super::detect::Detected;
use super::join::Joined;
use super::leave::Left;
use super::preset::{Settings, secs};
use super::rejoin::Rejoined;
use super::repair::repaired;

/// Up to this many nodes, the traffic table has a line per node; above, only the totals, so
/// that the times stay on screen.
const NODE_LINES_UP_TO: usize = 32;

/// Everything the demo measured.
pub struct Summary {
    /// Phase 1.
    pub join: Joined,
    /// Phase 2.
    pub detect: Detected,
    /// Phase 3.
    pub rejoin: Rejoined,
    /// Phase 4.
    pub leave: Left,
    /// From the first node's start to the end of phase 4.
    pub wall: Duration,
    /// What every node sent and received.
    pub traffic: Traffic,
}

impl Summary {
    /// Prints both tables to stdout. A closed stdout (piped into `head`) is not an error.
    pub fn print(&self, settings: &Settings) {
        let mut text = String::new();
        self.traffic_table(&mut text);
        self.times_table(&mut text, settings);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    }

    fn traffic_table(&self, out: &mut String) {
        let t = &self.traffic;
        let seconds = t.over.as_secs_f64().max(f64::EPSILON);
        let _ = writeln!(
            out,
            "\ntraffic per node over {} (datagram payloads; streams carry joins and \
             anti-entropy)",
            secs(t.over)
        );
        let _ = writeln!(
            out,
            "  {:<20} {:>16} {:>21} {:>8} {:>11} {:>12}",
            "node", "datagrams out/in", "bytes out/in", "streams", "suspicions", "refutations"
        );
        if t.nodes.len() <= NODE_LINES_UP_TO {
            for row in &t.nodes {
                let name = match row.note {
                    "" => row.name.clone(),
                    note => format!("{} ({note})", row.name),
                };
                traffic_row(out, &name, row);
            }
        }
        let total = t.nodes.iter().fold(NodeTraffic::default(), |mut acc, r| {
            acc.datagrams_out += r.datagrams_out;
            acc.datagrams_in += r.datagrams_in;
            acc.bytes_out += r.bytes_out;
            acc.bytes_in += r.bytes_in;
            acc.streams_out += r.streams_out;
            acc.suspicions += r.suspicions;
            acc.refutations += r.refutations;
            acc
        });
        traffic_row(out, "all nodes", &total);
        let n = t.nodes.len().max(1) as f64;
        let per = |x: u64| x as f64 / n / seconds;
        let _ = writeln!(
            out,
            "  {:<20} {:>16} {:>21}",
            "per node/s",
            format!(
                "{:.1} / {:.1}",
                per(total.datagrams_out),
                per(total.datagrams_in)
            ),
            format!(
                "{} / {}",
                bytes(per(total.bytes_out)),
                bytes(per(total.bytes_in))
            ),
        );
    }

    fn times_table(&self, out: &mut String, settings: &Settings) {
        let d = &self.detect;
        let bound = settings.suspicion_bound();
        let loss = if settings.loss > 0.0 {
            format!("{:.0}% loss", settings.loss * 100.0)
        } else {
            "no loss".to_string()
        };
        let _ = writeln!(
            out,
            "\nsummary: {} nodes, {} preset, {loss}, seed {}",
            settings.nodes,
            settings.preset.label(),
            settings.seed
        );
        let mut row = |label: &str, value: String, note: String| {
            let line = format!("  {label:<25} {value:>8}   {note}");
            let _ = writeln!(out, "{}", line.trim_end());
        };
        row(
            "join to full views",
            secs(self.join.converged),
            format!(
                "from the first start until every node saw all {} alive",
                settings.nodes
            ),
        );
        row(
            "first suspicion",
            d.first_suspect
                .as_ref()
                .map_or("-".to_string(), |f| secs(f.after)),
            match &d.first_suspect {
                Some(f) => format!("after {} was killed, by {}", d.victim.name, f.by),
                None => "no node recorded a suspicion before the verdict".to_string(),
            },
        );
        row(
            "first dead",
            secs(d.first_dead.after),
            match d.confirmations {
                Some(c) => format!(
                    "after the kill, by {}, its suspicion confirmed by {c} of {} others",
                    d.first_dead.by,
                    settings.suspicion_bound().confirmations
                ),
                None => format!("after the kill, by {}", d.first_dead.by),
            },
        );
        row(
            "all dead",
            secs(d.all_dead),
            format!(
                "all {} others; suspicion timeout {} (confirmed) to {} (unconfirmed){}",
                d.observers,
                secs(bound.min),
                secs(bound.max),
                if d.all_dead <= bound.max {
                    ""
                } else {
                    ", over the bound"
                }
            ),
        );
        row(
            "rejoin everywhere",
            secs(self.rejoin.everywhere),
            format!(
                "{} at {}, generation {}; old entry gone from every view{}",
                d.victim.name,
                self.rejoin.addr,
                self.rejoin.generation,
                repaired(self.rejoin.by_sync)
            ),
        );
        row(
            "leave spread everywhere",
            secs(self.leave.everywhere),
            format!(
                "{} seen as left by {} of {} others (its leave() took {}){}",
                self.leave.name,
                self.leave.seen_left,
                self.leave.others,
                secs(self.leave.announce),
                repaired(self.leave.by_sync)
            ),
        );
        row("total wall time", secs(self.wall), String::new());
    }
}

fn traffic_row(out: &mut String, name: &str, r: &NodeTraffic) {
    let _ = writeln!(
        out,
        "  {:<20} {:>16} {:>21} {:>8} {:>11} {:>12}",
        name,
        format!("{} / {}", r.datagrams_out, r.datagrams_in),
        format!(
            "{} / {}",
            bytes(r.bytes_out as f64),
            bytes(r.bytes_in as f64)
        ),
        r.streams_out,
        r.suspicions,
        r.refutations
    );
}

/// Bytes for people: `812 B`, `98.1 kB`, `3.4 MB`.
fn bytes(b: f64) -> String {
    if b < 1e3 {
        format!("{b:.0} B")
    } else if b < 1e6 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{:.1} MB", b / 1e6)
    }
}
