//! The result of a run: one flat record, printed as an aligned table or as JSON.
//!
//! Every time is in seconds from the run's virtual start (or from the fault it measures), so
//! two runs with the same seed print the same bytes; only `wall_s`, `protocol_s` and
//! `peak_rss_mb` describe the machine rather than the simulation.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde::Serialize;

use crate::event_report::EventFigures;
use crate::store_report::StoreFigures;

/// Figures of one simulation run. Field names are the JSON keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Cluster size.
    pub nodes: u32,
    /// Virtual time simulated, in seconds.
    pub duration_s: f64,
    /// The run's seed.
    pub seed: u64,
    /// Whether the run started from converged views.
    pub preconverged: bool,
    /// Whether Lifeguard was on.
    pub lifeguard: bool,
    /// When the `--update-at` update was made (`None` without one, or if no member could).
    pub update_at_s: Option<f64>,
    /// Members killed over the run.
    pub killed: u64,
    /// Cold join only: first time every running node saw every running node alive.
    pub join_converged_s: Option<f64>,
    /// Share of the 100 ms checks (after every node started) at which every running node
    /// counted exactly the running nodes as members, alive or suspect: no running member
    /// missing or dead in anyone's view. Percent.
    pub live_views_agree_pct: Option<f64>,
    /// Median time for the `--update-at` update to reach a node.
    pub spread_p50_s: Option<f64>,
    /// 99th percentile of the same.
    pub spread_p99_s: Option<f64>,
    /// Time until the last node had it.
    pub spread_max_s: Option<f64>,
    /// From a kill to the first death verdict about the victim anywhere.
    pub detect_first_s: Option<f64>,
    /// From a kill until every node had the verdict (worst over victims).
    pub detect_all_s: Option<f64>,
    /// Distinct (member, generation, incarnation) declared dead while running.
    pub false_dead: u64,
    /// `false_dead` per member and hour of virtual time.
    pub false_dead_per_member_hour: f64,
    /// Wire bytes (headers included, streams included) per member per second.
    pub bytes_per_member_s: f64,
    /// Wire bytes per second sent by node 0, the seed of a cold join (headers included).
    pub seed_bytes_out_per_s: f64,
    /// Wire bytes per second sent to node 0.
    pub seed_bytes_in_per_s: f64,
    /// Datagrams sent per member per second.
    pub datagrams_per_member_s: f64,
    /// Stream wire bytes per member per second (already part of `bytes_per_member_s`).
    pub stream_bytes_per_member_s: f64,
    /// Datagrams delivered to an engine.
    pub datagrams: u64,
    /// Datagrams sent.
    pub datagrams_sent: u64,
    /// Datagrams dropped by the loss model.
    pub datagrams_lost: u64,
    /// Stream messages delivered to an engine.
    pub streams: u64,
    /// Messages to a dead node or an abandoned address, or across a partition.
    pub undeliverable: u64,
    /// Messages dropped because a paused node's inbox was full.
    pub inbox_dropped: u64,
    /// Largest datagram payload sent.
    pub max_datagram_bytes_seen: u64,
    /// Simulator steps processed (deliveries, timers, scenario actions).
    pub events: u64,
    /// Input the engines refused, all reasons together (from their stats).
    pub dropped_input: u64,
    /// The same, by reason.
    pub dropped_input_by_reason: BTreeMap<String, u64>,
    /// Engine events dropped because the driver was too slow (should be 0).
    pub events_dropped: u64,
    /// Suspicions started, over all engines.
    pub suspicions: u64,
    /// Refutations, over all engines.
    pub refutations: u64,
    /// Death verdicts reached by suspicion timeout, over all engines.
    pub deaths_declared: u64,
    /// Every engine counter by name, summed over all engines (the names of `/metrics` and
    /// `/v1/info`); empty for protocols that keep none.
    pub engine_counters: BTreeMap<String, u64>,
    /// Wall-clock seconds the run took.
    pub wall_s: f64,
    /// Wall-clock seconds spent inside member calls, if measured
    /// ([`crate::Simulation::measure_protocol_time`]).
    pub protocol_s: Option<f64>,
    /// Peak resident memory of the process (VmHWM), in MiB; `None` where unavailable.
    pub peak_rss_mb: Option<f64>,
    /// Figures of the replicated stores, only when the scenario had a store workload
    /// (`--kv-*`, `--state-*`); their keys then follow the others in the JSON.
    #[serde(flatten)]
    pub stores: Option<StoreFigures>,
    /// Figures of user events and queries, only when the scenario sent them (`--events`,
    /// `--queries`); their keys then follow the others (and the stores') in the JSON.
    #[serde(flatten)]
    pub messages: Option<EventFigures>,
}

impl Report {
    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report always serializes")
    }

    /// The report as an aligned, human-readable table.
    pub fn to_table(&self) -> String {
        let mut rows: Vec<(&str, String)> = vec![
            ("nodes", self.nodes.to_string()),
            ("duration", format!("{} s", self.duration_s)),
            ("seed", self.seed.to_string()),
            (
                "start",
                if self.preconverged {
                    "preconverged"
                } else {
                    "cold join"
                }
                .into(),
            ),
            (
                "lifeguard",
                if self.lifeguard { "on" } else { "off" }.into(),
            ),
            (
                "join converged",
                measured(!self.preconverged, "preconverged", self.join_converged_s),
            ),
            (
                "live views agree",
                self.live_views_agree_pct
                    .map_or_else(|| "n/a".to_string(), |p| format!("{p:.1} % of checks")),
            ),
            ("update at", secs(self.update_at_s, "no --update-at")),
            (
                "spread p50",
                measured(self.update_at_s.is_some(), "no update", self.spread_p50_s),
            ),
            (
                "spread p99",
                measured(self.update_at_s.is_some(), "no update", self.spread_p99_s),
            ),
            (
                "spread max",
                measured(self.update_at_s.is_some(), "no update", self.spread_max_s),
            ),
            ("killed", self.killed.to_string()),
            (
                "detect first",
                measured(self.killed > 0, "no kill", self.detect_first_s),
            ),
            (
                "detect all",
                measured(self.killed > 0, "no kill", self.detect_all_s),
            ),
            ("false dead", self.false_dead.to_string()),
            (
                "false dead / member-hour",
                format!("{:.4}", self.false_dead_per_member_hour),
            ),
            (
                "bytes / member-s",
                format!("{:.1} B", self.bytes_per_member_s),
            ),
            (
                "  of which streams",
                format!("{:.1} B", self.stream_bytes_per_member_s),
            ),
            (
                "datagrams / member-s",
                format!("{:.2}", self.datagrams_per_member_s),
            ),
            (
                "seed (node 0) out / in",
                format!(
                    "{:.0} / {:.0} B/s",
                    self.seed_bytes_out_per_s, self.seed_bytes_in_per_s
                ),
            ),
            ("datagrams sent", self.datagrams_sent.to_string()),
            ("datagrams delivered", self.datagrams.to_string()),
            ("datagrams lost", self.datagrams_lost.to_string()),
            ("streams delivered", self.streams.to_string()),
            ("undeliverable", self.undeliverable.to_string()),
            ("inbox dropped", self.inbox_dropped.to_string()),
            (
                "max datagram",
                format!("{} B", self.max_datagram_bytes_seen),
            ),
            ("suspicions", self.suspicions.to_string()),
            ("refutations", self.refutations.to_string()),
            ("deaths declared", self.deaths_declared.to_string()),
            ("dropped input", dropped(self)),
            ("events dropped", self.events_dropped.to_string()),
            ("sim events", self.events.to_string()),
            ("wall", format!("{:.2} s", self.wall_s)),
            (
                "peak rss",
                self.peak_rss_mb
                    .map_or_else(|| "n/a".into(), |m| format!("{m:.0} MiB")),
            ),
        ];
        if let Some(stores) = &self.stores {
            let at = rows
                .iter()
                .position(|(k, _)| *k == "wall")
                .unwrap_or(rows.len());
            rows.splice(at..at, stores.rows());
        }
        if let Some(messages) = &self.messages {
            let at = rows
                .iter()
                .position(|(k, _)| *k == "wall")
                .unwrap_or(rows.len());
            rows.splice(at..at, messages.rows());
        }
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (key, value) in rows.drain(..) {
            let _ = writeln!(out, "{key:<width$}  {value}");
        }
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_table())
    }
}

/// A time, or why there is none.
fn secs(v: Option<f64>, none: &str) -> String {
    v.map_or_else(|| none.into(), |s| format!("{s:.3} s"))
}

/// A measured time: "never" if it was measured and did not happen, "n/a" if not measured.
fn measured(applies: bool, reason: &str, v: Option<f64>) -> String {
    if applies {
        secs(v, "never")
    } else {
        format!("n/a ({reason})")
    }
}

fn dropped(r: &Report) -> String {
    if r.dropped_input_by_reason.is_empty() {
        return r.dropped_input.to_string();
    }
    let reasons: Vec<String> = r
        .dropped_input_by_reason
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    format!("{} ({})", r.dropped_input, reasons.join(", "))
}
