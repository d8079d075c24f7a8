//! "Does every running node see every running node alive?", in O(N) cheap reads.
//!
//! The expected live set is known to the simulator: the running nodes, each with the
//! generation and incarnation its own engine reports. Its digest is the XOR of
//! `entry_hash(name, generation, incarnation)` over them, exactly what an engine's
//! `digest_root` covers. A node whose alive count matches and whose root equals the
//! expected root has that set in view (suspects would be missing from the alive count).
//! No membership tables are compared, so the check costs O(N), not O(N x N).

use crate::protocol::{Protocol, entry_hash};
use crate::simulation::Simulation;

/// How one running node's view differs from the running set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The node.
    pub node: u32,
    /// Members it sees alive (itself included).
    pub alive: usize,
    /// Whether its live-set digest matches the expected one.
    pub digest_matches: bool,
}

impl<P: Protocol> Simulation<P> {
    /// Nodes running or paused.
    pub fn running_count(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_up()).count()
    }

    /// Whether every running node sees exactly the running nodes, all alive, at their
    /// current incarnations. Returns at the first node that does not.
    pub fn views_converged(&self) -> bool {
        let running = self.running_count();
        let up = || self.nodes.iter().enumerate().filter(|(_, n)| n.is_up());
        for (_, node) in up() {
            match &node.engine {
                Some(e) if e.alive_count() == running => {}
                _ => return false,
            }
        }
        let expected = self.expected_root();
        up().all(|(_, n)| n.engine.as_ref().is_some_and(|e| e.view_root() == expected))
    }

    /// Whether every running node counts exactly the running nodes as members (alive or
    /// suspect): nobody running is missing or dead in anyone's view, though some may be
    /// briefly suspected or known at an older incarnation. The property "views stay
    /// converged" under loss. (A count: a view holding a killed member instead of a running
    /// one would pass, which only matters around kills.)
    pub fn live_views_agree(&self) -> bool {
        let running = self.running_count();
        self.nodes
            .iter()
            .filter(|n| n.is_up())
            .all(|n| n.engine.as_ref().is_some_and(|e| e.live_count() == running))
    }

    /// The running nodes whose view differs from the running set (empty when
    /// [`Simulation::views_converged`] holds), for diagnostics.
    pub fn disagreements(&self) -> Vec<Disagreement> {
        let running = self.running_count();
        let expected = self.expected_root();
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, node)| {
                let e = node.engine.as_ref().filter(|_| node.is_up())?;
                let alive = e.alive_count();
                let digest_matches = e.view_root() == expected;
                (alive != running || !digest_matches).then_some(Disagreement {
                    node: i as u32,
                    alive,
                    digest_matches,
                })
            })
            .collect()
    }

    /// The live-set digest every converged node should have: the running nodes at the
    /// generation and incarnation their own engines report.
    fn expected_root(&self) -> u64 {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_up())
            .filter_map(|(i, n)| {
                let e = n.engine.as_ref()?;
                Some(entry_hash(&self.names[i], n.generation, e.version()))
            })
            .fold(0, |root, h| root ^ h)
    }
}
