//! The replicated stores' families of `GET /metrics`.
//!
//! | family | type | labels | meaning |
//! |---|---|---|---|
//! | `hearsay_kv_keys` | gauge | | live keys of the cluster-wide map held here |
//! | `hearsay_kv_bytes` | gauge | | bytes of keys and values held (tombstones' keys included) |
//! | `hearsay_kv_commits_total` | counter | | durable commits of the map, each one fsync (with `--data-dir`) |
//! | `hearsay_kv_entries_written_total` | counter | | map entries written to disk (with `--data-dir`) |
//! | `hearsay_state_keys` | gauge | `owner` (`self`, `others`) | member-state keys held here |
//! | `hearsay_state_owners` | gauge | | members whose state this node holds (itself included once it set a key) |
//!
//! The repair counters (`hearsay_store_repairs_total`, `hearsay_store_entries_total`) are
//! engine counters and come with the others (see `metrics.rs`).
//!
//! The map's size and the durable store's counters come from the node's info (kept as it
//! goes); the member-state sizes are counted from a listing at each scrape (a few keys per
//! member).

use hearsay::{Node, NodeError, OwnerKeys};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// What the store families show, taken from a node at one scrape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreSizes {
    /// Live keys of the map.
    pub kv_keys: u64,
    /// Bytes of live keys and values of the map.
    pub kv_bytes: u64,
    /// This node's own state keys.
    pub own_state_keys: u64,
    /// Other members' state keys held here.
    pub other_state_keys: u64,
    /// Members whose state this node holds.
    pub state_owners: u64,
    /// Durable commits (fsyncs) and entries written, with a data directory.
    pub durable: Option<(u64, u64)>,
}

impl StoreSizes {
    /// Counts the stores of `node` now.
    pub async fn of(node: &Node) -> Result<StoreSizes, NodeError> {
        let info = node.info().await?;
        let state = node.state().await?;
        let mut sizes = StoreSizes::count(node.name(), &state);
        sizes.kv_keys = info.kv.keys as u64;
        sizes.kv_bytes = info.kv.bytes as u64;
        sizes.durable = info.durable.map(|d| (d.commits, d.entries_written));
        Ok(sizes)
    }

    fn count(me: &str, state: &[OwnerKeys]) -> StoreSizes {
        let mut sizes = StoreSizes::default();
        for o in state {
            let n = o.keys.len() as u64;
            if o.owner.as_str() == me {
                sizes.own_state_keys += n;
            } else {
                sizes.other_state_keys += n;
            }
        }
        sizes.state_owners = state.len() as u64;
        sizes
    }
}

/// Adds the store families to `r`.
pub(crate) fn register(r: &mut Registry, sizes: &StoreSizes) {
    gauge(
        r,
        "kv_keys",
        "Live keys of the cluster-wide map held here",
        sizes.kv_keys,
    );
    gauge(
        r,
        "kv_bytes",
        "Bytes of the live keys and values of the cluster-wide map held here",
        sizes.kv_bytes,
    );
    let state = Family::<Vec<(&'static str, String)>, Gauge>::default();
    for (owner, n) in [
        ("self", sizes.own_state_keys),
        ("others", sizes.other_state_keys),
    ] {
        state
            .get_or_create(&vec![("owner", owner.to_owned())])
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    r.register(
        "state_keys",
        "Member-state keys held here: this node's own, and other members'",
        state,
    );
    gauge(
        r,
        "state_owners",
        "Members whose state this node holds",
        sizes.state_owners,
    );
    if let Some((commits, written)) = sizes.durable {
        let c = Counter::<u64>::default();
        c.inc_by(commits);
        r.register(
            "kv_commits",
            "Durable commits of the cluster-wide map, each one fsync",
            c,
        );
        let w = Counter::<u64>::default();
        w.inc_by(written);
        r.register(
            "kv_entries_written",
            "Entries of the cluster-wide map written to disk",
            w,
        );
    }
}

fn gauge(r: &mut Registry, name: &str, help: &str, value: u64) {
    let g = Gauge::<i64>::default();
    g.set(i64::try_from(value).unwrap_or(i64::MAX));
    r.register(name, help, g);
}

#[cfg(test)]
mod tests {
    use hearsay::{Key, Name, Value};

    use super::*;

    #[test]
    fn state_sizes_are_split_by_owner() {
        let keys = |n: usize| (0..n).map(|i| (Key::from(i.to_string()), Value::from(&b"v"[..])));
        let state = vec![
            OwnerKeys {
                owner: Name::new("a").unwrap(),
                keys: keys(2).collect(),
            },
            OwnerKeys {
                owner: Name::new("b").unwrap(),
                keys: keys(3).collect(),
            },
        ];
        let s = StoreSizes::count("a", &state);
        assert_eq!(
            (s.own_state_keys, s.other_state_keys, s.state_owners),
            (2, 3, 2)
        );
    }
}
