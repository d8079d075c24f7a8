//! [`crate::user::EventMode::Flood`]: user messages gossiped like membership news, each sent
//! `retransmit_mult * ceil(log10(N + 1))` times by every member that has it (Serf's way),
//! `gossip_fanout` times per gossip round. Kept as the baseline the tree is measured against.
//! Unlike membership news, which fills whatever room a datagram has left, the whole queue goes
//! out every round in as many datagrams as it takes, so that the baseline is measured by the
//! copies it sends, not throttled by the room left in datagrams.

use xxhash_rust::xxh3::xxh3_64;

use super::model::MsgId;
use crate::gossip::GossipQueue;

pub(crate) struct Flood {
    queue: GossipQueue,
}

impl Flood {
    pub fn new(hash_seed: u64, capacity: usize) -> Flood {
        Flood {
            queue: GossipQueue::new(hash_seed, capacity),
        }
    }

    /// Queues one framed message about `id`. Returns true when the queue was full and the
    /// most-sent item was dropped.
    pub fn push(&mut self, id: &MsgId, framed: Box<[u8]>) -> bool {
        let mut bytes = Vec::with_capacity(id.origin.as_str().len() + 16);
        bytes.extend_from_slice(id.origin.as_str().as_bytes());
        bytes.extend_from_slice(&id.generation.to_le_bytes());
        bytes.extend_from_slice(&id.seq.to_le_bytes());
        let key = xxh3_64(&bytes);
        self.queue.push(key, framed)
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Every queued message once, packed into datagrams (see `GossipQueue::pack_all`).
    pub fn pack_all(&mut self, limit: u32, header: &[u8], max: usize) -> Vec<Vec<u8>> {
        self.queue.pack_all(limit, header, max)
    }
}
