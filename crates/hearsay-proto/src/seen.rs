//! Recognising news already received, before paying to decode it again.
//!
//! Each piece of news reaches a node about `retransmit_limit` times (every node that has it
//! retransmits it). The engine hashes each update frame of a datagram and skips the ones it saw
//! recently. Applying the same bytes twice changes nothing as long as the member's version
//! only grew in between, which holds until the member is forgotten (its tombstone collected):
//! then the same alive claim adds it back. So the engine clears the filter whenever it forgets
//! a member.

/// A direct-mapped set of 64-bit hashes of recently received news frames. Forgetting is
/// harmless (the news is decoded and applied again, which is idempotent); a false "seen"
/// would need a 64-bit hash collision.
pub(crate) struct SeenFilter {
    slots: Box<[u64]>,
}

impl SeenFilter {
    const SLOTS: usize = 1024;

    pub(crate) fn new() -> SeenFilter {
        SeenFilter {
            slots: vec![0; Self::SLOTS].into_boxed_slice(),
        }
    }

    pub(crate) fn contains(&self, h: u64) -> bool {
        h != 0 && self.slots[(h % Self::SLOTS as u64) as usize] == h
    }

    /// Forgets everything (see the module docs for when).
    pub(crate) fn clear(&mut self) {
        self.slots.fill(0);
    }

    pub(crate) fn insert(&mut self, h: u64) {
        self.slots[(h % Self::SLOTS as u64) as usize] = h;
    }
}
