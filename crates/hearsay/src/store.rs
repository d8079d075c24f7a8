//! The replicated stores through the runtime: the [`Node`] methods for per-node state and the
//! cluster-wide map, store events for watchers, and durability of the map.
//!
//! A map write is acknowledged once it is durable on this node: with a data directory
//! ([`crate::NodeConfig::data_dir`]) the driver hands the entry to the group-committing
//! [`Writer`] and answers when its transaction has been fsynced, so concurrent writers share
//! fsyncs; changes learned from peers are persisted too, without anyone waiting on them.
//! Without a data directory the map lives in memory only and a write is acknowledged at once.

use std::time::Duration;

use hearsay_proto::{CommandError, Key, KvEntry, Name, StoreEvent, Value};
use tokio::sync::oneshot;

use crate::driver::{Command, Driver};
use crate::durable::{StoredEntry, Writer};
use crate::error::NodeError;
use crate::node::{Node, Subscription};

/// A command about the stores, answered on the node's task.
pub(crate) enum StoreCommand {
    StateSet {
        key: String,
        value: Value,
        ttl: Option<Duration>,
        reply: oneshot::Sender<Result<u64, CommandError>>,
    },
    StateDelete {
        key: String,
        reply: oneshot::Sender<Result<bool, CommandError>>,
    },
    State(oneshot::Sender<Vec<OwnerKeys>>),
    KvPut {
        key: String,
        value: Option<Value>,
        /// Members that must hold the write before it is acknowledged (this one included).
        wait_for: u32,
        reply: oneshot::Sender<Result<KvEntry, NodeError>>,
    },
    KvGet(String, oneshot::Sender<Option<KvEntry>>),
    KvList(String, oneshot::Sender<Vec<(Key, KvEntry)>>),
}

/// One member's state: its keys and values, in key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerKeys {
    /// The member.
    pub owner: Name,
    /// Its keys.
    pub keys: Vec<(Key, Value)>,
}

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
                Command::Store(StoreCommand::StateSet {
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
            .ask(|reply| Command::Store(StoreCommand::StateDelete { key, reply }))
            .await??)
    }

    /// Every member's state this node holds (its own included), by member name.
    pub async fn state(&self) -> Result<Vec<OwnerKeys>, NodeError> {
        self.ask(|reply| Command::Store(StoreCommand::State(reply)))
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
            Command::Store(StoreCommand::KvPut {
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
        self.ask(|reply| Command::Store(StoreCommand::KvGet(key, reply)))
            .await
    }

    /// Live entries whose key starts with `prefix`, in key order.
    pub async fn kv_list(&self, prefix: &str) -> Result<Vec<(Key, KvEntry)>, NodeError> {
        let prefix = prefix.to_owned();
        self.ask(|reply| Command::Store(StoreCommand::KvList(prefix, reply)))
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

/// An engine entry as the durable store keeps it.
pub(crate) fn to_stored(key: &str, e: &KvEntry) -> StoredEntry {
    StoredEntry {
        key: key.as_bytes().to_vec(),
        stamp: e.stamp,
        writer: e.writer.as_str().to_owned(),
        value: e.value.as_ref().map(|v| v.to_vec()),
    }
}

/// A stored entry as the engine takes it; `None` for a key or writer the engine would refuse
/// (counted by the caller).
pub(crate) fn from_stored(s: StoredEntry) -> Option<(Key, KvEntry)> {
    let key = String::from_utf8(s.key).ok()?;
    let writer = Name::new(&s.writer).ok()?;
    Some((
        Key::from(key),
        KvEntry {
            stamp: s.stamp,
            writer,
            value: s.value.map(Value::from),
        },
    ))
}

impl Driver {
    pub(crate) fn store_command(&mut self, cmd: StoreCommand) {
        let at = crate::clock::now();
        match cmd {
            StoreCommand::StateSet {
                key,
                value,
                ttl,
                reply,
            } => {
                let _ = reply.send(self.engine.state_set(at, &key, value, ttl));
            }
            StoreCommand::StateDelete { key, reply } => {
                let _ = reply.send(self.engine.state_delete(at, &key));
            }
            StoreCommand::State(reply) => {
                let owners = self
                    .engine
                    .state_owners()
                    .into_iter()
                    .map(|owner| OwnerKeys {
                        keys: self.engine.state_of(owner.as_str()),
                        owner,
                    })
                    .collect();
                let _ = reply.send(owners);
            }
            StoreCommand::KvPut {
                key,
                value,
                wait_for,
                reply,
            } => {
                let alive = self.engine.alive_count() as u32;
                if wait_for > 1 && wait_for > alive {
                    // Refused before writing: the caller asked for what cannot be had.
                    let e = CommandError::NotEnoughMembers {
                        wanted: wait_for,
                        alive,
                    };
                    let _ = reply.send(Err(e.into()));
                    return;
                }
                let written = match value {
                    Some(v) => self.engine.kv_put(at, &key, v),
                    None => self.engine.kv_delete(at, &key),
                };
                let entry = match written {
                    Ok(e) => e,
                    Err(e) => {
                        let _ = reply.send(Err(e.into()));
                        return;
                    }
                };
                let durable = self
                    .durable
                    .as_ref()
                    .map(|w| w.write(vec![to_stored(&key, &entry)]));
                let copies = if wait_for > 1 {
                    match self.engine.kv_copy(at, &key, wait_for) {
                        Ok(token) => {
                            let (tx, rx) = oneshot::channel();
                            self.copy_waiters.insert(token, tx);
                            Some(rx)
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e.into()));
                            return;
                        }
                    }
                } else {
                    None
                };
                if durable.is_none() && copies.is_none() {
                    let _ = reply.send(Ok(entry));
                    return;
                }
                tokio::spawn(async move {
                    if let Some(d) = durable
                        && let Err(e) = d.await
                    {
                        let _ = reply.send(Err(e.into()));
                        return;
                    }
                    let r = match copies {
                        None => Ok(entry),
                        Some(rx) => match rx.await {
                            Ok((_, true)) => Ok(entry),
                            Ok((held, false)) => Err(NodeError::Replication {
                                wanted: wait_for,
                                held,
                            }),
                            Err(_) => Err(NodeError::Closed),
                        },
                    };
                    let _ = reply.send(r);
                });
            }
            StoreCommand::KvGet(key, reply) => {
                let entry = self.engine.kv_get(&key).filter(|e| e.value.is_some());
                let _ = reply.send(entry.cloned());
            }
            StoreCommand::KvList(prefix, reply) => {
                let list = self
                    .engine
                    .kv_list(&prefix)
                    .map(|(k, e)| (k.clone(), e.clone()))
                    .collect();
                let _ = reply.send(list);
            }
        }
    }

    /// Persists and publishes the engine's store changes.
    pub(crate) fn flush_store_events(&mut self) {
        let mut learned = Vec::new();
        while let Some(e) = self.engine.poll_store_event() {
            match &e {
                // Local writes were handed to the writer by the command itself.
                StoreEvent::Kv {
                    key,
                    entry,
                    local: false,
                } => learned.push(to_stored(key, entry)),
                StoreEvent::KvCollected { keys } => {
                    if let Some(w) = &self.durable {
                        let keys = keys.iter().map(|k| k.as_bytes().to_vec()).collect();
                        persist_failed(w, w.remove_unacked(keys));
                    }
                }
                StoreEvent::KvCopies {
                    token,
                    holders,
                    complete,
                } => {
                    if let Some(w) = self.copy_waiters.remove(token) {
                        let _ = w.send((*holders, *complete));
                    }
                }
                StoreEvent::KvTransfer {
                    from,
                    received,
                    new,
                    total,
                } => {
                    tracing::info!(
                        %from, received, new, peer_holds = total, holding = self.engine.kv_len(),
                        "kv catch-up: received part of the map"
                    );
                }
                _ => {}
            }
            let _ = self.store_events.send(e);
        }
        if !learned.is_empty()
            && let Some(w) = &self.durable
        {
            persist_failed(w, w.write_unacked(learned));
        }
    }
}

fn persist_failed(w: &Writer, r: Result<(), crate::durable::DurableError>) {
    if let Err(e) = r {
        tracing::error!(path = %w.path().display(), error = %e, "kv store: change not persisted");
    }
}

/// Opens the durable store under `dir` and loads what it holds into the engine.
pub(crate) async fn open_durable(
    engine: &mut hearsay_proto::Engine,
    dir: &std::path::Path,
    now: std::time::Instant,
) -> Result<crate::durable::DurableStore, crate::error::StartError> {
    let dir = dir.to_owned();
    let opened = tokio::task::spawn_blocking(move || crate::durable::DurableStore::open(&dir))
        .await
        .map_err(|e| {
            crate::error::StartError::Store(crate::durable::DurableError::Open {
                path: std::path::PathBuf::new(),
                reason: e.to_string(),
            })
        })?;
    let (store, entries) = opened.map_err(crate::error::StartError::Store)?;
    let stored = entries.len();
    let mut unreadable = 0usize;
    let restored: Vec<(Key, KvEntry)> = entries
        .into_iter()
        .filter_map(|s| {
            let e = from_stored(s);
            unreadable += usize::from(e.is_none());
            e
        })
        .collect();
    engine.kv_restore(now, restored);
    tracing::info!(
        path = %store.path().display(), entries = stored, live = engine.kv_len(), unreadable,
        "kv store loaded"
    );
    Ok(store)
}
