//! Events about one member from every running node, gathered in one queue the phases can
//! drain between two polls.
//!
//! Views say where a member stands now; events also say what happened on the way. A node
//! that suspects a member may have declared it dead by the next poll, so the moment of the
//! first suspicion is taken from the `Suspect` events rather than from the views.

use hearsay::Event;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::cluster::Cluster;

/// Events about one member, tagged with the index of the node that recorded them.
pub struct Feed {
    rx: mpsc::UnboundedReceiver<(usize, Event)>,
    /// One forwarding task per node; dropping the feed aborts them.
    _tasks: JoinSet<()>,
}

impl Feed {
    /// Subscribes to every running node's events about `name`, from now on.
    pub fn about(cluster: &Cluster, name: &str) -> Feed {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut tasks = JoinSet::new();
        for (index, node) in cluster.running() {
            let mut events = node.events();
            let tx = tx.clone();
            let name = name.to_string();
            tasks.spawn(async move {
                while let Some(e) = events.next().await {
                    if e.member.name.as_str() == name && tx.send((index, e)).is_err() {
                        return;
                    }
                }
            });
        }
        Feed { rx, _tasks: tasks }
    }

    /// Every event received since the last call.
    pub fn drain(&mut self) -> Vec<(usize, Event)> {
        let mut out = Vec::new();
        while let Ok(e) = self.rx.try_recv() {
            out.push(e);
        }
        out
    }
}
