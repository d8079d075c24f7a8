//! "Does every running node see every running node alive?", in O(N) cheap reads.
//!
//! The expected live set is known to the simulator: the running nodes, each with the
//! generation and incarnation its own engine reports. Its digest is the XOR of
//! `entry_hash(name, generation, incarnation)` over them, exactly what an engine's
//! `digest_root` covers. A node whose alive count matches and whose root equals the
//! expected root has that set in view (suspects would be missing from the alive count).
//! No membership tables are compared, so the check costs O(N), not O(N x N).

use hearsay_proto::digest::entry_hash;

use crate::simulation::Simulation;

impl Simulation {
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
        let mut expected = 0u64;
        for (i, node) in up() {
            if let Some(e) = &node.engine {
                let incarnation = e.local().incarnation;
                expected ^= entry_hash(self.names[i].as_str(), node.generation, incarnation);
            }
        }
        up().all(|(_, n)| {
            n.engine
                .as_ref()
                .is_some_and(|e| e.digest_root() == expected)
        })
    }
}
