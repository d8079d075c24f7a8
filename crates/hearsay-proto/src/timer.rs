//! The engine's timers, named in one table.
//!
//! Every deadline the engine keeps is one [`Timer`]. [`crate::Engine::poll_timeout`] asks each
//! timer of [`Timer::ALL`] for its deadline and returns the earliest; `handle_timeout` runs
//! each timer of [`Timer::ALL`], in that order, and each checks whether it is due. The
//! variant list and `ALL` come from one declaration, and the engine's `deadline` and `fire`
//! match every variant, so a timer cannot be added to one side only.
//!
//! The order of [`Timer::ALL`] is the order timers run when several are due at once; it is
//! part of the protocol's behaviour (a seeded run depends on it).

/// Declares [`Timer`] and [`Timer::ALL`] from one list.
macro_rules! timers {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// One of the engine's timers. Which file runs each one: see the engine's module docs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(crate) enum Timer {
            $($(#[$doc])* $name,)*
        }

        impl Timer {
            /// Every timer, in the order `handle_timeout` runs them.
            pub(crate) const ALL: &[Timer] = &[$(Timer::$name,)*];
        }
    };
}

timers! {
    /// Indirect probes run for other members: nack the requester when the target stays silent.
    Relay,
    /// The probe under way: start its indirect phase, or end it (suspecting the target).
    ProbePhase,
    /// The next probe period.
    Probe,
    /// Suspicions that ran out: the suspect is declared dead.
    Suspicion,
    /// A gossip round, while news waits.
    Gossip,
    /// A join retry while no seed has answered.
    Join,
    /// Anti-entropy: the sync under way timed out, or the next one is due.
    Sync,
    /// A reconnection attempt to a member believed dead (after a partition heals, see
    /// [`crate::reconnect`]), in a slot of its own.
    Reconnect,
    /// Dead and left members whose retention ran out are forgotten.
    Tombstone,
    /// A push-pull comparison of a store that changed recently.
    StorePush,
    /// A map write waiting for copies gave up.
    CopyWait,
    /// One of this node's own state keys reached its time to live.
    StateTtl,
    /// This node's own state tombstones older than `tombstone_grace` are collected.
    StateTombstone,
    /// The map's tombstones older than `tombstone_grace` are collected.
    KvGc,
    /// Announcements batched for lazy tree links go out.
    TreeFlush,
    /// Announced messages that did not arrive are asked for (`Graft`).
    TreeGraft,
    /// Tree links to members gone are replaced; links are opened up to `tree_degree`.
    TreeLinks,
    /// Recent user messages are compared with a random member (repair).
    EventRepair,
    /// Queries this node asked reach their timeout.
    QueryDeadline,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_timer_runs_once() {
        let mut seen = std::collections::HashSet::new();
        for t in Timer::ALL {
            assert!(seen.insert(*t), "{t:?} listed twice");
        }
    }
}
