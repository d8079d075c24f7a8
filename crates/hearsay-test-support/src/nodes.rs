//! Nodes on loopback for tests: a configuration on a free port with fast timers, a cluster
//! joined through its first node, and waiting for one membership event.

use std::time::Duration;

use hearsay::{Config, Event, EventKind, Events, Name, Node, NodeConfig, State};

use crate::wait::{next_matching, wait_until};

/// A node called `name` on a free loopback port with the `local` preset (timers in the
/// hundreds of milliseconds); adjust the rest before starting it.
pub fn loopback_config(name: &str) -> NodeConfig {
    let mut config = NodeConfig::new(Name::new(name).expect("a valid node name"));
    config.bind = "127.0.0.1:0".parse().expect("a socket address");
    config.protocol = Config::local();
    config
}

/// Joins every node after the first through the first, and waits until every node sees all
/// of them alive (panicking after `within`).
pub async fn join_through_first(nodes: &[Node], within: Duration) {
    let seed = nodes[0].advertise_addr();
    for node in &nodes[1..] {
        node.join(&[seed]).await.expect("the node is running");
    }
    wait_for_full_views(nodes, within).await;
}

/// Waits until every node sees every one of `nodes` alive (panicking after `within`).
pub async fn wait_for_full_views(nodes: &[Node], within: Duration) {
    let everyone = nodes.len();
    let what = format!("all {everyone} nodes see each other alive");
    wait_until(&what, within, || async {
        for node in nodes {
            let members = node.members().await.expect("the node is running");
            let alive = members
                .iter()
                .filter(|m| m.member.state == State::Alive)
                .count();
            if alive != everyone {
                return false;
            }
        }
        true
    })
    .await;
}

/// Awaits the first event of `kind` about member `name`, panicking after `within`.
pub async fn next_event(
    events: &mut Events,
    kind: EventKind,
    name: &str,
    within: Duration,
) -> Event {
    let what = format!("{kind:?} about {name}");
    next_matching(events, &what, within, |e| {
        (e.kind == kind && e.member.name.as_str() == name).then(|| e.clone())
    })
    .await
}
