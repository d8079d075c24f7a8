//! [`Scenario::validate`]: whether a scenario makes sense as a whole, one concern per check.
//!
//! The checks run in a fixed order and the first failure is reported, so a scenario with
//! several mistakes always names the same one.

use std::time::Duration;

use super::error::out_of_range;
use super::{CountAt, MAX_PARTITIONS, Scenario, ScenarioError, partition_size};
use crate::addr::MAX_NODES;
use crate::duration::format_duration;
use crate::event_load::{EventLoad, MAX_EVENT_BYTES, MAX_MESSAGES_PER_S, MIN_EVENT_BYTES};
use crate::store_load::{
    KvLoad, MAX_KV_KEYS, MAX_STATE_KEYS, MAX_VALUE_BYTES, MAX_WRITES_PER_S, StateLoad,
};

impl Scenario {
    /// Checks the scenario as a whole; returns it unchanged when it can run.
    pub fn validate(self) -> Result<Scenario, ScenarioError> {
        self.check_size()?;
        self.check_network()?;
        self.check_times()?;
        self.check_needs_two_nodes()?;
        self.check_kills_and_restarts()?;
        self.check_pauses()?;
        if self.partitions.len() > MAX_PARTITIONS {
            return Err(ScenarioError::TooManyPartitions(self.partitions.len()));
        }
        if let Some(kv) = &self.kv {
            kv.check(self.duration)?;
        }
        if let Some(state) = &self.state {
            state.check(self.duration)?;
        }
        if let Some(events) = &self.events {
            events.check(self.nodes, self.duration)?;
        }
        self.check_partitions()?;
        Ok(self)
    }

    /// Cluster size and run length.
    fn check_size(&self) -> Result<(), ScenarioError> {
        if self.nodes == 0 || self.nodes > MAX_NODES {
            return Err(out_of_range(
                "--nodes",
                self.nodes,
                format!("1 to {MAX_NODES}"),
            ));
        }
        if self.duration.is_zero() {
            return Err(out_of_range(
                "--duration",
                format_duration(self.duration),
                "a positive duration such as 60s",
            ));
        }
        Ok(())
    }

    /// Latency range and loss probabilities.
    fn check_network(&self) -> Result<(), ScenarioError> {
        if self.latency.min > self.latency.max {
            return Err(out_of_range(
                "--latency",
                self.latency,
                "MIN..MAX with MIN no larger than MAX",
            ));
        }
        if self.latency.max > Duration::from_secs(60) {
            return Err(out_of_range("--latency", self.latency, "at most 60s"));
        }
        check_probability("--loss", self.loss)?;
        for change in &self.loss_changes {
            check_probability("--loss", change.loss)?;
        }
        Ok(())
    }

    /// Every scheduled time must fall inside the run.
    fn check_times(&self) -> Result<(), ScenarioError> {
        let end = self.duration;
        let after = |flag: &'static str, value: String| ScenarioError::AfterEnd {
            flag,
            value,
            duration: format_duration(end),
        };
        if let Some(t) = self.update_at
            && t >= end
        {
            return Err(after("--update-at", format_duration(t)));
        }
        for k in &self.kills {
            if k.at >= end {
                return Err(after("--kill", k.to_string()));
            }
        }
        for r in &self.restarts {
            if r.at >= end {
                return Err(after("--restart", r.to_string()));
            }
        }
        for p in &self.pauses {
            if p.at >= end {
                return Err(after("--pause", p.to_string()));
            }
        }
        for p in &self.partitions {
            if p.at >= end {
                return Err(after("--partition", p.to_string()));
            }
        }
        Ok(())
    }

    /// Faults that pick members other than node 0 need such a member.
    fn check_needs_two_nodes(&self) -> Result<(), ScenarioError> {
        if self.nodes >= 2 {
            return Ok(());
        }
        for (flag, used) in [
            ("--update-at", self.update_at.is_some()),
            ("--kill", !self.kills.is_empty()),
            ("--pause", !self.pauses.is_empty()),
            ("--pauses", self.random_pauses.is_some()),
            ("--partition", !self.partitions.is_empty()),
        ] {
            if used {
                return Err(ScenarioError::NeedsTwoNodes { flag });
            }
        }
        Ok(())
    }

    /// Replays kills and restarts in time order (kills first at equal times, as the
    /// simulator does) to check that each finds enough members.
    fn check_kills_and_restarts(&self) -> Result<(), ScenarioError> {
        let mut steps: Vec<(Duration, bool, CountAt)> = self
            .kills
            .iter()
            .map(|k| (k.at, false, *k))
            .chain(self.restarts.iter().map(|r| (r.at, true, *r)))
            .collect();
        steps.sort_by_key(|(at, is_restart, _)| (*at, *is_restart));
        let mut down = 0u32;
        for (_, is_restart, step) in steps {
            if is_restart {
                if step.count == 0 || step.count > down {
                    return Err(ScenarioError::TooManyRestarts {
                        value: step.to_string(),
                        count: step.count,
                        available: down,
                    });
                }
                down -= step.count;
            } else {
                let available = self.nodes.saturating_sub(1 + down);
                if step.count == 0 || step.count > available {
                    return Err(ScenarioError::TooManyKills {
                        value: step.to_string(),
                        count: step.count,
                        available,
                    });
                }
                down += step.count;
            }
        }
        Ok(())
    }

    /// Pause groups and random pauses: counts that leave node 0 out, positive lengths.
    fn check_pauses(&self) -> Result<(), ScenarioError> {
        for pause in &self.pauses {
            if pause.count == 0 || pause.count > self.nodes - 1 {
                return Err(out_of_range("--pause", pause, count_range(self.nodes)));
            }
            if pause.length.is_zero() {
                return Err(out_of_range("--pause", pause, "a positive pause length"));
            }
        }
        if let Some(p) = &self.random_pauses {
            if p.count == 0 || p.count > self.nodes - 1 {
                return Err(out_of_range("--pauses", p, count_range(self.nodes)));
            }
            if p.min.is_zero() || p.min > p.max {
                return Err(out_of_range(
                    "--pauses",
                    p,
                    "COUNT:MIN..MAX with 0 < MIN <= MAX",
                ));
            }
        }
        Ok(())
    }

    /// Each partition cuts off at least one node and leaves at least one, for a while.
    fn check_partitions(&self) -> Result<(), ScenarioError> {
        for p in &self.partitions {
            let cut = partition_size(p.fraction, self.nodes);
            if !(p.fraction > 0.0 && p.fraction < 1.0) || cut == 0 || cut >= self.nodes {
                return Err(out_of_range(
                    "--partition",
                    p,
                    format!(
                        "a fraction that cuts off between 1 and {} of {} nodes",
                        self.nodes - 1,
                        self.nodes
                    ),
                ));
            }
            if p.length.is_zero() {
                return Err(out_of_range("--partition", p, "a positive length"));
            }
        }
        Ok(())
    }
}

impl KvLoad {
    /// Keys, value size, write rate and write window, for a run of `run` length.
    fn check(&self, run: Duration) -> Result<(), ScenarioError> {
        if self.keys > MAX_KV_KEYS {
            return Err(out_of_range(
                "--kv-keys",
                self.keys,
                format!("0 to {MAX_KV_KEYS}"),
            ));
        }
        check_value_bytes("--kv-value-bytes", self.value_bytes)?;
        if !(self.writes_per_s.is_finite() && (0.0..=MAX_WRITES_PER_S).contains(&self.writes_per_s))
        {
            return Err(out_of_range(
                "--kv-writes",
                self.writes_per_s,
                format!("a rate from 0 to {MAX_WRITES_PER_S} writes per second"),
            ));
        }
        if self.write_for.is_zero() {
            return Err(out_of_range(
                "--kv-write-for",
                format_duration(self.write_for),
                "a positive duration such as 10s",
            ));
        }
        if let Some(at) = self.write_at
            && at >= run
        {
            return Err(after_end("--kv-write-at", at, run));
        }
        Ok(())
    }
}

impl StateLoad {
    /// Keys per node, value size and the moment they are set, for a run of `run` length.
    fn check(&self, run: Duration) -> Result<(), ScenarioError> {
        if !(1..=MAX_STATE_KEYS).contains(&self.keys_per_node) {
            return Err(out_of_range(
                "--state-keys",
                self.keys_per_node,
                format!("1 to {MAX_STATE_KEYS} keys per node"),
            ));
        }
        check_value_bytes("--state-value-bytes", self.value_bytes)?;
        if let Some(at) = self.at
            && at >= run
        {
            return Err(after_end("--state-at", at, run));
        }
        Ok(())
    }
}

impl EventLoad {
    /// Rates, payload size, senders, window and query timeout, for a run of `run` length
    /// on `nodes` nodes.
    fn check(&self, nodes: u32, run: Duration) -> Result<(), ScenarioError> {
        for (flag, rate) in [
            ("--events", self.events_per_s),
            ("--queries", self.queries_per_s),
        ] {
            if !(rate.is_finite() && (0.0..=MAX_MESSAGES_PER_S).contains(&rate)) {
                return Err(out_of_range(
                    flag,
                    rate,
                    format!("a rate from 0 to {MAX_MESSAGES_PER_S} per second"),
                ));
            }
        }
        if !(MIN_EVENT_BYTES..=MAX_EVENT_BYTES).contains(&self.event_bytes) {
            return Err(out_of_range(
                "--event-bytes",
                self.event_bytes,
                format!(
                    "{MIN_EVENT_BYTES} to {MAX_EVENT_BYTES} bytes (room for the event's number; \
                     the engine's default max_event_bytes)"
                ),
            ));
        }
        if let Some(k) = self.senders
            && !(1..=nodes).contains(&k)
        {
            return Err(out_of_range(
                "--event-senders",
                k,
                format!("1 to {nodes} (the cluster's size)"),
            ));
        }
        if self.send_for.is_zero() {
            return Err(out_of_range(
                "--event-for",
                format_duration(self.send_for),
                "a positive duration such as 60s",
            ));
        }
        if let Some(at) = self.at
            && at >= run
        {
            return Err(after_end("--event-at", at, run));
        }
        if self.query_timeout.is_zero() {
            return Err(out_of_range(
                "--query-timeout",
                format_duration(self.query_timeout),
                "a positive duration such as 5s",
            ));
        }
        Ok(())
    }
}

fn check_probability(flag: &'static str, p: f64) -> Result<(), ScenarioError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(out_of_range(flag, p, "a probability from 0 to 1"))
    }
}

fn check_value_bytes(flag: &'static str, bytes: u32) -> Result<(), ScenarioError> {
    if bytes > MAX_VALUE_BYTES {
        return Err(out_of_range(
            flag,
            bytes,
            format!("0 to {MAX_VALUE_BYTES} bytes (the engine's default max_value_bytes)"),
        ));
    }
    Ok(())
}

fn count_range(nodes: u32) -> String {
    format!("a count from 1 to {} (node 0 is never picked)", nodes - 1)
}

fn after_end(flag: &'static str, at: Duration, run: Duration) -> ScenarioError {
    ScenarioError::AfterEnd {
        flag,
        value: format_duration(at),
        duration: format_duration(run),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::PartitionSpec;

    fn base() -> Scenario {
        Scenario::new(10, Duration::from_secs(60), 1)
    }

    #[test]
    fn a_plain_scenario_is_valid() {
        base().validate().unwrap();
    }

    #[test]
    fn restarting_more_than_were_killed_is_refused() {
        let mut s = base();
        s.kills.push(CountAt {
            count: 2,
            at: Duration::from_secs(10),
        });
        s.restarts.push(CountAt {
            count: 3,
            at: Duration::from_secs(20),
        });
        let err = s.validate().unwrap_err();
        assert!(matches!(
            err,
            ScenarioError::TooManyRestarts { available: 2, .. }
        ));
        assert!(err.to_string().starts_with("--restart 3@20s"), "{err}");
    }

    #[test]
    fn killing_everyone_but_node_zero_is_the_limit() {
        let mut s = base();
        s.kills.push(CountAt {
            count: 9,
            at: Duration::from_secs(10),
        });
        s.clone().validate().unwrap();
        s.kills.push(CountAt {
            count: 1,
            at: Duration::from_secs(11),
        });
        assert!(matches!(
            s.validate(),
            Err(ScenarioError::TooManyKills { available: 0, .. })
        ));
    }

    #[test]
    fn faults_after_the_end_are_refused() {
        let mut s = base();
        s.update_at = Some(Duration::from_secs(60));
        let err = s.validate().unwrap_err();
        assert!(err.to_string().contains("--update-at 1m"), "{err}");
    }

    #[test]
    fn a_partition_must_cut_off_someone() {
        let mut s = base();
        s.partitions.push(PartitionSpec {
            fraction: 0.01,
            at: Duration::from_secs(1),
            length: Duration::from_secs(1),
        });
        let err = s.validate().unwrap_err();
        assert!(err.to_string().contains("between 1 and 9 of 10"), "{err}");
    }

    #[test]
    fn a_write_window_starting_after_the_end_is_refused() {
        let mut s = base();
        let mut kv = KvLoad::new(10);
        kv.writes_per_s = 5.0;
        kv.write_at = Some(Duration::from_secs(60));
        s.kv = Some(kv);
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.starts_with("--kv-write-at 1m happens after the run ends"),
            "{e}"
        );
    }

    #[test]
    fn negative_or_endless_write_rates_are_refused() {
        for rate in [-1.0, f64::INFINITY, f64::NAN] {
            let mut s = base();
            let mut kv = KvLoad::new(0);
            kv.writes_per_s = rate;
            s.kv = Some(kv);
            let e = s.validate().unwrap_err().to_string();
            assert!(e.starts_with("--kv-writes"), "{e}");
        }
    }

    #[test]
    fn event_workloads_name_the_flag_at_fault() {
        let check = |load: EventLoad| {
            let mut s = base();
            s.events = Some(load);
            s.validate().map(|_| ()).map_err(|e| e.to_string())
        };
        check(EventLoad::new(10.0)).unwrap();
        let mut load = EventLoad::new(10.0);
        load.event_bytes = 4;
        let e = check(load).unwrap_err();
        assert!(
            e.starts_with("--event-bytes 4 is out of range; use 8 to"),
            "{e}"
        );
        let mut load = EventLoad::new(10.0);
        load.senders = Some(11);
        let e = check(load).unwrap_err();
        assert_eq!(
            e,
            "--event-senders 11 is out of range; use 1 to 10 (the cluster's size)"
        );
        let e = check(EventLoad::new(-1.0)).unwrap_err();
        assert!(e.starts_with("--events -1 is out of range"), "{e}");
        let mut load = EventLoad::new(10.0);
        load.at = Some(Duration::from_secs(60));
        let e = check(load).unwrap_err();
        assert!(
            e.starts_with("--event-at 1m happens after the run ends"),
            "{e}"
        );
        let mut load = EventLoad::new(0.0);
        load.queries_per_s = 1.0;
        load.query_timeout = Duration::ZERO;
        let e = check(load).unwrap_err();
        assert!(e.starts_with("--query-timeout 0s is out of range"), "{e}");
    }

    #[test]
    fn state_needs_a_key_and_values_the_engine_accepts() {
        let mut s = base();
        s.state = Some(StateLoad::new(0));
        assert!(s.clone().validate().is_err());
        let mut load = StateLoad::new(10);
        load.value_bytes = MAX_VALUE_BYTES + 1;
        s.state = Some(load);
        let e = s.clone().validate().unwrap_err().to_string();
        assert!(e.starts_with("--state-value-bytes"), "{e}");
        s.state = Some(StateLoad::new(10));
        s.validate().unwrap();
    }
}
