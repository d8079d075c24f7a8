//! The replicated data through the handle: the [`Node`] methods for this node's per-node
//! state and for the cluster-wide map, and a stream of their changes for watchers. (The task's
//! side is `driver/replicated.rs`; the on-disk copy of the map is [`crate::durable`].)
//!
//! A map write is acknowledged once it is durable on this node: with a data directory
//! ([`crate::NodeConfig::data_dir`]) the node's task hands the entry to the group-committing
//! [`crate::durable::Writer`] and answers when its transaction has been fsynced, so concurrent
//! writers share fsyncs; changes learned from peers are persisted too, without anyone waiting
//! on them. Without a data directory the map lives in memory only and a write is acknowledged
//! at once.

use std::time::Duration;

use hearsay_proto::{Key, KvEntry, StoreEvent, Value};

use crate::command::{Command, ReplicatedCommand};
use crate::error::NodeError;
use crate::info::OwnerKeys;
use crate::node::Node;
use crate::subscription::Subscription;

impl Node {
    /// Sets one of this node's own keys (replicated to every member); with `ttl`, the key is
    /// deleted that long after this write. Returns the key's new version.
    pub async fn state_set(
        &self,
        key: &str,
        value: Value,
        ttl: Option<Duration>,
    ) -> Result<u64, NodeError> {
        let key = key.to_owned();
        Ok(self
            .ask(|reply| {
                Command::Replicated(ReplicatedCommand::StateSet {
                    key,
                    value,
                    ttl,
                    reply,
                })
            })
            .await??)
    }

    /// Deletes one of this node's own keys; false if it was not set.
    pub async fn state_delete(&self, key: &str) -> Result<bool, NodeError> {
        let key = key.to_owned();
        Ok(self
            .ask(|reply| Command::Replicated(ReplicatedCommand::StateDelete { key, reply }))
            .await??)
    }

    /// Every member's state this node holds (its own included), by member name.
    pub async fn state(&self) -> Result<Vec<OwnerKeys>, NodeError> {
        self.ask(|reply| Command::Replicated(ReplicatedCommand::State(reply)))
            .await
    }

    /// Writes `key` in the cluster-wide map (last writer wins). Resolves once the write is
    /// durable on this node (with a data directory) and returns the entry written.
    pub async fn kv_put(&self, key: &str, value: Value) -> Result<KvEntry, NodeError> {
        self.kv_write(key, Some(value), 1).await
    }

    /// As [`Node::kv_put`], but acknowledged only once `wait_for` members (this one included)
    /// hold the write: it is sent to `wait_for - 1` random live members, who confirm. Fails
    /// with [`NodeError::Replication`] if they do not within the stream timeout; the write
    /// is then applied here (durably) and still spreads, but is not confirmed.
    pub async fn kv_put_replicated(
        &self,
        key: &str,
        value: Value,
        wait_for: u32,
    ) -> Result<KvEntry, NodeError> {
        self.kv_write(key, Some(value), wait_for).await
    }

    /// Deletes `key` from the cluster-wide map (a tombstone, durable like a write).
    pub async fn kv_delete(&self, key: &str) -> Result<KvEntry, NodeError> {
        self.kv_write(key, None, 1).await
    }

    async fn kv_write(
        &self,
        key: &str,
        value: Option<Value>,
        wait_for: u32,
    ) -> Result<KvEntry, NodeError> {
        let key = key.to_owned();
        self.ask(|reply| {
            Command::Replicated(ReplicatedCommand::KvPut {
                key,
                value,
                wait_for,
                reply,
            })
        })
        .await?
    }

    /// The live entry for `key` (a deleted key is `None`).
    pub async fn kv_get(&self, key: &str) -> Result<Option<KvEntry>, NodeError> {
        let key = key.to_owned();
        self.ask(|reply| Command::Replicated(ReplicatedCommand::KvGet(key, reply)))
            .await
    }

    /// Live entries whose key starts with `prefix`, in key order.
    pub async fn kv_list(&self, prefix: &str) -> Result<Vec<(Key, KvEntry)>, NodeError> {
        let prefix = prefix.to_owned();
        self.ask(|reply| Command::Replicated(ReplicatedCommand::KvList(prefix, reply)))
            .await
    }

    /// A live stream of changes to both stores from now on (watch a prefix by filtering).
    pub fn store_events(&self) -> StoreEvents {
        Subscription::new(self.store_sender().subscribe(), self.running())
    }
}

/// Store changes from [`Node::store_events`] (a buffer of 16,384: a catch-up brings thousands
/// at once).
pub type StoreEvents = Subscription<StoreEvent>;
