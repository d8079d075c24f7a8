//! Reading a [`Scenario`] from the text of command-line flags.
//!
//! The CLI hands over the flags as strings so that every mistake, in syntax or in sense, is
//! reported the same way: one line naming the flag, the value, and what would be accepted.

use std::time::Duration;

use crate::duration::{DurationError, parse_duration};
use crate::event_load::EventLoad;
use crate::scenario::{
    CountAt, Latency, PartitionSpec, PauseSpec, RandomPauses, Scenario, ScenarioError,
};
use crate::store_load::{KvLoad, StateLoad};

/// The simulator's flags as given on the command line, before interpretation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScenarioFlags {
    /// `--nodes N`.
    pub nodes: String,
    /// `--duration D`.
    pub duration: String,
    /// `--seed S`.
    pub seed: String,
    /// `--latency MIN..MAX`.
    pub latency: Option<String>,
    /// `--loss P`.
    pub loss: Option<String>,
    /// `--preconverged`.
    pub preconverged: bool,
    /// `--update-at T`.
    pub update_at: Option<String>,
    /// `--kill COUNT@T`, repeatable.
    pub kill: Vec<String>,
    /// `--restart COUNT@T`, repeatable.
    pub restart: Vec<String>,
    /// `--pause COUNT@T:DUR`, repeatable.
    pub pause: Vec<String>,
    /// `--pauses COUNT:MIN..MAX`.
    pub pauses: Option<String>,
    /// `--partition FRACTION@T:DUR`, repeatable.
    pub partition: Vec<String>,
    /// `--no-lifeguard`.
    pub no_lifeguard: bool,
    /// `--kv-keys K`: keys preloaded on every node.
    pub kv_keys: Option<String>,
    /// `--kv-value-bytes B`.
    pub kv_value_bytes: Option<String>,
    /// `--kv-writes RATE`: map writes per second, across the cluster.
    pub kv_writes: Option<String>,
    /// `--kv-write-at T`.
    pub kv_write_at: Option<String>,
    /// `--kv-write-for D`.
    pub kv_write_for: Option<String>,
    /// `--state-keys K`: keys each node sets.
    pub state_keys: Option<String>,
    /// `--state-value-bytes B`.
    pub state_value_bytes: Option<String>,
    /// `--state-at T`.
    pub state_at: Option<String>,
    /// `--events RATE`: user events per second, across the cluster.
    pub events: Option<String>,
    /// `--event-bytes B`.
    pub event_bytes: Option<String>,
    /// `--event-senders K` (or `all`).
    pub event_senders: Option<String>,
    /// `--event-at T`.
    pub event_at: Option<String>,
    /// `--event-for D`.
    pub event_for: Option<String>,
    /// `--event-mode tree|flood`.
    pub event_mode: Option<String>,
    /// `--queries RATE`: queries per second, across the cluster.
    pub queries: Option<String>,
    /// `--query-timeout D`.
    pub query_timeout: Option<String>,
}

impl ScenarioFlags {
    /// Interprets and validates the flags.
    pub fn parse(&self) -> Result<Scenario, ScenarioError> {
        let nodes = parse_count("--nodes", &self.nodes)?;
        let duration = parse_time("--duration", &self.duration)?;
        let seed = self.seed.trim().parse::<u64>().map_err(|_| {
            malformed(
                "--seed",
                &self.seed,
                "is not a seed; use a whole number from 0 to 18446744073709551615",
            )
        })?;
        let mut s = Scenario::new(nodes, duration, seed);
        if let Some(text) = &self.latency {
            let (min, max) = parse_range("--latency", text)?;
            s.latency = Latency { min, max };
        }
        if let Some(text) = &self.loss {
            s.loss = parse_fraction("--loss", text)?;
        }
        s.preconverged = self.preconverged;
        if let Some(text) = &self.update_at {
            s.update_at = Some(parse_time("--update-at", text)?);
        }
        for text in &self.kill {
            s.kills.push(parse_count_at("--kill", text)?);
        }
        for text in &self.restart {
            s.restarts.push(parse_count_at("--restart", text)?);
        }
        for text in &self.pause {
            s.pauses.push(parse_pause(text)?);
        }
        if let Some(text) = &self.pauses {
            s.random_pauses = Some(parse_random_pauses(text)?);
        }
        for text in &self.partition {
            s.partitions.push(parse_partition(text)?);
        }
        s.lifeguard = !self.no_lifeguard;
        s.kv = self.kv_load()?;
        s.state = self.state_load()?;
        s.events = self.event_load()?;
        s.validate()
    }

    /// The map's workload: on with `--kv-keys` or `--kv-writes`; the other `--kv-*` flags
    /// refine it.
    fn kv_load(&self) -> Result<Option<KvLoad>, ScenarioError> {
        if self.kv_keys.is_none() && self.kv_writes.is_none() {
            let refinements = [
                ("--kv-value-bytes", &self.kv_value_bytes),
                ("--kv-write-at", &self.kv_write_at),
                ("--kv-write-for", &self.kv_write_for),
            ];
            if let Some((flag, _)) = refinements.iter().find(|(_, v)| v.is_some()) {
                return Err(ScenarioError::Needs {
                    flag,
                    needs: "--kv-keys or --kv-writes",
                });
            }
            return Ok(None);
        }
        let keys = match &self.kv_keys {
            Some(text) => parse_count("--kv-keys", text)?,
            None => 0,
        };
        let mut kv = KvLoad::new(keys);
        if let Some(text) = &self.kv_value_bytes {
            kv.value_bytes = parse_count("--kv-value-bytes", text)?;
        }
        if let Some(text) = &self.kv_writes {
            kv.writes_per_s = parse_rate("--kv-writes", text)?;
        }
        for (flag, given) in [
            ("--kv-write-at", &self.kv_write_at),
            ("--kv-write-for", &self.kv_write_for),
        ] {
            if given.is_some() && !kv.writes() {
                return Err(ScenarioError::Needs {
                    flag,
                    needs: "--kv-writes RATE above 0",
                });
            }
        }
        if let Some(text) = &self.kv_write_at {
            kv.write_at = Some(parse_time("--kv-write-at", text)?);
        }
        if let Some(text) = &self.kv_write_for {
            kv.write_for = parse_time("--kv-write-for", text)?;
        }
        Ok(Some(kv))
    }

    /// Per-node state's workload: on with `--state-keys`.
    fn state_load(&self) -> Result<Option<StateLoad>, ScenarioError> {
        let Some(text) = &self.state_keys else {
            for (flag, given) in [
                ("--state-value-bytes", &self.state_value_bytes),
                ("--state-at", &self.state_at),
            ] {
                if given.is_some() {
                    return Err(ScenarioError::Needs {
                        flag,
                        needs: "--state-keys",
                    });
                }
            }
            return Ok(None);
        };
        let mut state = StateLoad::new(parse_count("--state-keys", text)?);
        if let Some(text) = &self.state_value_bytes {
            state.value_bytes = parse_count("--state-value-bytes", text)?;
        }
        if let Some(text) = &self.state_at {
            state.at = Some(parse_time("--state-at", text)?);
        }
        Ok(Some(state))
    }
}

impl ScenarioFlags {
    /// The application-message workload: on with `--events` or `--queries`; the other
    /// `--event-*` flags refine both, `--query-timeout` refines queries.
    fn event_load(&self) -> Result<Option<EventLoad>, ScenarioError> {
        if self.events.is_none() && self.queries.is_none() {
            let refinements = [
                ("--event-bytes", &self.event_bytes),
                ("--event-senders", &self.event_senders),
                ("--event-at", &self.event_at),
                ("--event-for", &self.event_for),
                ("--event-mode", &self.event_mode),
                ("--query-timeout", &self.query_timeout),
            ];
            if let Some((flag, _)) = refinements.iter().find(|(_, v)| v.is_some()) {
                return Err(ScenarioError::Needs {
                    flag,
                    needs: "--events or --queries",
                });
            }
            return Ok(None);
        }
        let rate = |flag, text: &Option<String>| match text {
            Some(text) => parse_rate_of(flag, text, "events or queries per second"),
            None => Ok(0.0),
        };
        let mut load = EventLoad::new(rate("--events", &self.events)?);
        load.queries_per_s = rate("--queries", &self.queries)?;
        if let Some(text) = &self.event_bytes {
            load.event_bytes = parse_count("--event-bytes", text)?;
        }
        if let Some(text) = &self.event_senders {
            load.senders = match text.trim() {
                "all" => None,
                _ => Some(parse_count("--event-senders", text).map_err(|_| {
                    malformed(
                        "--event-senders",
                        text,
                        "is not a count; write a whole number like 1, or all",
                    )
                })?),
            };
        }
        if let Some(text) = &self.event_at {
            load.at = Some(parse_time("--event-at", text)?);
        }
        if let Some(text) = &self.event_for {
            load.send_for = parse_time("--event-for", text)?;
        }
        if let Some(text) = &self.event_mode {
            load.mode = text
                .trim()
                .parse()
                .map_err(|_| malformed("--event-mode", text, "is not a mode; use tree or flood"))?;
        }
        if let Some(text) = &self.query_timeout {
            if !load.queries() {
                return Err(ScenarioError::Needs {
                    flag: "--query-timeout",
                    needs: "--queries RATE above 0",
                });
            }
            load.query_timeout = parse_time("--query-timeout", text)?;
        }
        Ok(Some(load))
    }
}

/// A whole number of things.
pub fn parse_count(flag: &'static str, text: &str) -> Result<u32, ScenarioError> {
    text.trim()
        .parse::<u32>()
        .map_err(|_| malformed(flag, text, "is not a whole number; write it like 1000"))
}

/// A duration such as `300s`.
pub fn parse_time(flag: &'static str, text: &str) -> Result<Duration, ScenarioError> {
    parse_duration(text).map_err(|e| duration_error(flag, text, e))
}

/// A probability or fraction; the range is checked by [`Scenario::validate`].
pub fn parse_fraction(flag: &'static str, text: &str) -> Result<f64, ScenarioError> {
    match text.trim().parse::<f64>() {
        Ok(p) if p.is_finite() => Ok(p),
        _ => Err(malformed(
            flag,
            text,
            "is not a number; write a fraction like 0.05",
        )),
    }
}

/// A rate per second, such as `100` or `0.5`; the range is checked by
/// [`Scenario::validate`].
pub fn parse_rate(flag: &'static str, text: &str) -> Result<f64, ScenarioError> {
    text.trim().parse::<f64>().map_err(|_| {
        malformed(
            flag,
            text,
            "is not a rate; write writes per second like 100 or 0.5",
        )
    })
}

/// A rate per second of `what`; the range is checked by [`Scenario::validate`].
fn parse_rate_of(flag: &'static str, text: &str, what: &str) -> Result<f64, ScenarioError> {
    text.trim().parse::<f64>().map_err(|_| {
        malformed(
            flag,
            text,
            &format!("is not a rate; write {what} like 10 or 0.5"),
        )
    })
}

/// `MIN..MAX`, two durations.
fn parse_range(flag: &'static str, text: &str) -> Result<(Duration, Duration), ScenarioError> {
    let (min, max) = text
        .split_once("..")
        .ok_or_else(|| malformed(flag, text, "is not a range; write it like 1ms..5ms"))?;
    Ok((parse_time(flag, min)?, parse_time(flag, max)?))
}

/// `COUNT@T`.
fn parse_count_at(flag: &'static str, text: &str) -> Result<CountAt, ScenarioError> {
    let (count, at) = text.split_once('@').ok_or_else(|| {
        malformed(
            flag,
            text,
            "is not COUNT@TIME; write it like 3@60s (3 members at 60 s)",
        )
    })?;
    Ok(CountAt {
        count: parse_count(flag, count)?,
        at: parse_time(flag, at)?,
    })
}

/// `COUNT@T:DUR`.
fn parse_pause(text: &str) -> Result<PauseSpec, ScenarioError> {
    const FLAG: &str = "--pause";
    let hint = "is not COUNT@TIME:LENGTH; write it like 2@30s:5s";
    let (count, rest) = text
        .split_once('@')
        .ok_or_else(|| malformed(FLAG, text, hint))?;
    let (at, length) = rest
        .split_once(':')
        .ok_or_else(|| malformed(FLAG, text, hint))?;
    Ok(PauseSpec {
        count: parse_count(FLAG, count)?,
        at: parse_time(FLAG, at)?,
        length: parse_time(FLAG, length)?,
    })
}

/// `COUNT:MIN..MAX`.
fn parse_random_pauses(text: &str) -> Result<RandomPauses, ScenarioError> {
    const FLAG: &str = "--pauses";
    let (count, range) = text
        .split_once(':')
        .ok_or_else(|| malformed(FLAG, text, "is not COUNT:MIN..MAX; write it like 20:2s..5s"))?;
    let (min, max) = parse_range(FLAG, range)?;
    Ok(RandomPauses {
        count: parse_count(FLAG, count)?,
        min,
        max,
    })
}

/// `FRACTION@T:DUR`.
fn parse_partition(text: &str) -> Result<PartitionSpec, ScenarioError> {
    const FLAG: &str = "--partition";
    let hint = "is not FRACTION@TIME:LENGTH; write it like 0.3@60s:30s";
    let (fraction, rest) = text
        .split_once('@')
        .ok_or_else(|| malformed(FLAG, text, hint))?;
    let (at, length) = rest
        .split_once(':')
        .ok_or_else(|| malformed(FLAG, text, hint))?;
    Ok(PartitionSpec {
        fraction: parse_fraction(FLAG, fraction)?,
        at: parse_time(FLAG, at)?,
        length: parse_time(FLAG, length)?,
    })
}

fn duration_error(flag: &'static str, text: &str, e: DurationError) -> ScenarioError {
    malformed(flag, text, &e.to_string())
}

fn malformed(flag: &'static str, text: &str, hint: &str) -> ScenarioError {
    ScenarioError::Malformed {
        flag,
        value: text.to_string(),
        hint: hint.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> ScenarioFlags {
        ScenarioFlags {
            nodes: "100".into(),
            duration: "60s".into(),
            seed: "7".into(),
            ..ScenarioFlags::default()
        }
    }

    fn error(f: ScenarioFlags) -> String {
        f.parse().unwrap_err().to_string()
    }

    #[test]
    fn every_flag_is_read() {
        let f = ScenarioFlags {
            latency: Some("2ms..10ms".into()),
            loss: Some("0.05".into()),
            update_at: Some("10s".into()),
            kill: vec!["3@20s".into(), "1@25s".into()],
            restart: vec!["2@40s".into()],
            pause: vec!["2@30s:5s".into()],
            pauses: Some("20:2s..5s".into()),
            partition: vec!["0.3@15s:10s".into()],
            preconverged: true,
            no_lifeguard: true,
            ..flags()
        };
        let s = f.parse().unwrap();
        assert_eq!(s.nodes, 100);
        assert_eq!(s.latency.max, Duration::from_millis(10));
        assert_eq!(s.loss, 0.05);
        assert_eq!(s.kills.len(), 2);
        assert_eq!(s.restarts[0].count, 2);
        assert_eq!(s.pauses[0].length, Duration::from_secs(5));
        assert_eq!(s.random_pauses.unwrap().count, 20);
        assert_eq!(s.partitions[0].fraction, 0.3);
        assert!(s.preconverged && !s.lifeguard);
    }

    #[test]
    fn loss_above_one_names_the_flag_and_the_range() {
        let e = error(ScenarioFlags {
            loss: Some("1.5".into()),
            ..flags()
        });
        assert_eq!(
            e,
            "--loss 1.5 is out of range; use a probability from 0 to 1"
        );
    }

    #[test]
    fn a_duration_without_unit_is_refused() {
        let e = error(ScenarioFlags {
            duration: "60".into(),
            ..flags()
        });
        assert!(e.starts_with("--duration 60 has no unit"), "{e}");
    }

    #[test]
    fn malformed_fault_flags_show_an_example() {
        let e = error(ScenarioFlags {
            kill: vec!["3".into()],
            ..flags()
        });
        assert!(e.contains("3@60s"), "{e}");
        let e = error(ScenarioFlags {
            pause: vec!["2@30s".into()],
            ..flags()
        });
        assert!(e.contains("2@30s:5s"), "{e}");
        let e = error(ScenarioFlags {
            latency: Some("5ms".into()),
            ..flags()
        });
        assert!(e.contains("1ms..5ms"), "{e}");
        let e = error(ScenarioFlags {
            latency: Some("5ms..1ms".into()),
            ..flags()
        });
        assert!(e.contains("out of range"), "{e}");
    }

    #[test]
    fn zero_nodes_and_bad_seeds_are_refused() {
        let e = error(ScenarioFlags {
            nodes: "0".into(),
            ..flags()
        });
        assert!(e.starts_with("--nodes 0 is out of range"), "{e}");
        let e = error(ScenarioFlags {
            seed: "-1".into(),
            ..flags()
        });
        assert!(e.starts_with("--seed -1 is not a seed"), "{e}");
        let e = error(ScenarioFlags {
            nodes: "ten".into(),
            ..flags()
        });
        assert!(e.starts_with("--nodes ten is not a whole number"), "{e}");
    }

    #[test]
    fn kv_and_state_flags_are_read() {
        let s = ScenarioFlags {
            kv_keys: Some("1000".into()),
            kv_value_bytes: Some("50".into()),
            kv_writes: Some("2.5".into()),
            kv_write_at: Some("5s".into()),
            kv_write_for: Some("20s".into()),
            state_keys: Some("10".into()),
            state_at: Some("3s".into()),
            ..flags()
        }
        .parse()
        .unwrap();
        let kv = s.kv.unwrap();
        assert_eq!((kv.keys, kv.value_bytes), (1000, 50));
        assert_eq!(kv.writes_per_s, 2.5);
        assert_eq!(kv.write_at, Some(Duration::from_secs(5)));
        assert_eq!(kv.write_for, Duration::from_secs(20));
        let state = s.state.unwrap();
        assert_eq!((state.keys_per_node, state.value_bytes), (10, 16));
        assert_eq!(state.at, Some(Duration::from_secs(3)));
    }

    #[test]
    fn no_store_flag_means_no_store_workload() {
        let s = flags().parse().unwrap();
        assert!(s.kv.is_none() && s.state.is_none());
    }

    #[test]
    fn refining_flags_alone_name_what_they_need() {
        let e = error(ScenarioFlags {
            kv_write_for: Some("5s".into()),
            ..flags()
        });
        assert_eq!(
            e,
            "--kv-write-for only applies with --kv-keys or --kv-writes; add that or drop --kv-write-for"
        );
        let e = error(ScenarioFlags {
            kv_keys: Some("10".into()),
            kv_write_at: Some("5s".into()),
            ..flags()
        });
        assert!(
            e.starts_with("--kv-write-at only applies with --kv-writes"),
            "{e}"
        );
        let e = error(ScenarioFlags {
            state_at: Some("5s".into()),
            ..flags()
        });
        assert!(
            e.starts_with("--state-at only applies with --state-keys"),
            "{e}"
        );
        let e = error(ScenarioFlags {
            kv_writes: Some("fast".into()),
            ..flags()
        });
        assert!(e.starts_with("--kv-writes fast is not a rate"), "{e}");
    }

    #[test]
    fn event_flags_are_read() {
        let s = ScenarioFlags {
            events: Some("10".into()),
            event_bytes: Some("512".into()),
            event_senders: Some("1".into()),
            event_at: Some("5s".into()),
            event_for: Some("60s".into()),
            event_mode: Some("flood".into()),
            queries: Some("0.5".into()),
            query_timeout: Some("2s".into()),
            ..flags()
        }
        .parse()
        .unwrap();
        let e = s.events.unwrap();
        assert_eq!(
            (e.events_per_s, e.event_bytes, e.senders),
            (10.0, 512, Some(1))
        );
        assert_eq!(e.at, Some(Duration::from_secs(5)));
        assert_eq!(e.send_for, Duration::from_secs(60));
        assert_eq!(e.mode, hearsay_proto::user::EventMode::Flood);
        assert_eq!(e.queries_per_s, 0.5);
        assert_eq!(e.query_timeout, Duration::from_secs(2));
        let all = ScenarioFlags {
            events: Some("1".into()),
            event_senders: Some("all".into()),
            ..flags()
        };
        assert_eq!(all.parse().unwrap().events.unwrap().senders, None);
        assert!(flags().parse().unwrap().events.is_none());
    }

    #[test]
    fn bad_event_flags_are_one_line_errors() {
        let e = error(ScenarioFlags {
            event_bytes: Some("100".into()),
            ..flags()
        });
        assert_eq!(
            e,
            "--event-bytes only applies with --events or --queries; add that or drop --event-bytes"
        );
        let e = error(ScenarioFlags {
            events: Some("often".into()),
            ..flags()
        });
        assert_eq!(
            e,
            "--events often is not a rate; write events or queries per second like 10 or 0.5"
        );
        let e = error(ScenarioFlags {
            events: Some("10".into()),
            event_mode: Some("gossip".into()),
            ..flags()
        });
        assert_eq!(e, "--event-mode gossip is not a mode; use tree or flood");
        let e = error(ScenarioFlags {
            events: Some("10".into()),
            event_senders: Some("0".into()),
            ..flags()
        });
        assert!(e.starts_with("--event-senders 0 is out of range"), "{e}");
        let e = error(ScenarioFlags {
            events: Some("10".into()),
            event_senders: Some("some".into()),
            ..flags()
        });
        assert!(e.starts_with("--event-senders some is not a count"), "{e}");
        let e = error(ScenarioFlags {
            events: Some("10".into()),
            query_timeout: Some("1s".into()),
            ..flags()
        });
        assert!(
            e.starts_with("--query-timeout only applies with --queries RATE above 0"),
            "{e}"
        );
        let e = error(ScenarioFlags {
            events: Some("10".into()),
            event_for: Some("10".into()),
            ..flags()
        });
        assert!(e.starts_with("--event-for 10 has no unit"), "{e}");
        for e in [
            error(ScenarioFlags {
                events: Some("10".into()),
                event_bytes: Some("3".into()),
                ..flags()
            }),
            error(ScenarioFlags {
                queries: Some("-2".into()),
                ..flags()
            }),
        ] {
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn kills_beyond_the_cluster_are_refused() {
        let e = error(ScenarioFlags {
            nodes: "3".into(),
            kill: vec!["3@10s".into()],
            ..flags()
        });
        assert!(e.contains("only 2 are left"), "{e}");
    }
}
