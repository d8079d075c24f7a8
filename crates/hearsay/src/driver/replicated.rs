//! The node's task's side of the replicated data: requests about per-node state and the
//! cluster-wide map carried out on the engine, the map's writes handed to the durable store,
//! and the engine's store changes persisted and published to watchers.

use hearsay_proto::StoreEvent;
use tokio::sync::oneshot;

use super::Driver;
use crate::clock::now;
use crate::command::ReplicatedCommand;
use crate::durable_bridge::{persist_failed, to_stored};
use crate::error::NodeError;
use crate::info::OwnerKeys;

impl Driver {
    /// Carries out a request about the replicated data.
    pub(crate) fn replicated_command(&mut self, cmd: ReplicatedCommand) {
        let at = now();
        match cmd {
            ReplicatedCommand::StateSet {
                key,
                value,
                ttl,
                reply,
            } => {
                let _ = reply.send(self.engine.state_set(at, &key, value, ttl));
            }
            ReplicatedCommand::StateDelete { key, reply } => {
                let _ = reply.send(self.engine.state_delete(at, &key));
            }
            ReplicatedCommand::State(reply) => {
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
            ReplicatedCommand::KvPut {
                key,
                value,
                wait_for,
                reply,
            } => {
                let (entry, token) = match self.engine.kv_write_copied(at, &key, value, wait_for) {
                    Ok(written) => written,
                    Err(e) => {
                        let _ = reply.send(Err(e.into()));
                        return;
                    }
                };
                let durable = self
                    .durable
                    .as_ref()
                    .map(|w| w.write(vec![to_stored(&key, &entry)]));
                let copies = token.map(|token| {
                    let (tx, rx) = oneshot::channel();
                    self.copy_waiters.insert(token, tx);
                    rx
                });
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
            ReplicatedCommand::KvGet(key, reply) => {
                let entry = self.engine.kv_get(&key).filter(|e| e.value.is_some());
                let _ = reply.send(entry.cloned());
            }
            ReplicatedCommand::KvList(prefix, reply) => {
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
