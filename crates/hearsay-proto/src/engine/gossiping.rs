//! Membership news: what is queued about a member, and the gossip round that sends it
//! (the queue itself is [`crate::gossip::GossipQueue`]).

use std::time::Instant;

use xxhash_rust::xxh3::xxh3_64;

use super::Engine;
use crate::name::Name;
use crate::wire::{self, Alive, Dead, Message, State, Suspect};

impl Engine {
    /// Queues the current record of a member as news, counting an overflow. `accuser` is who
    /// suspected or declared it dead, for suspect and dead news.
    pub(super) fn queue_news(&mut self, name: &Name, accuser: Option<Name>) {
        let Some(msg) = self.news_about(name.as_str(), accuser.as_ref()) else {
            return;
        };
        let mut bytes = Vec::with_capacity(wire::encoded_len(&msg));
        wire::encode_message(&msg, &mut bytes);
        if self
            .gossip
            .push(xxh3_64(name.as_str().as_bytes()), bytes.into_boxed_slice())
        {
            self.stats.gossip_queue_full += 1;
        }
    }

    /// The message that tells others the current state of `name`, if it is still known.
    pub(super) fn news_about(&self, name: &str, accuser: Option<&Name>) -> Option<Message> {
        let m = self.members.by_name(name)?;
        let local = || self.members.local().name.clone();
        Some(match m.state {
            State::Alive => Message::Alive(Alive {
                name: m.name.clone(),
                addr: m.addr,
                generation: m.generation,
                incarnation: m.incarnation,
                meta: m.meta.clone(),
            }),
            State::Suspect => Message::Suspect(Suspect {
                name: m.name.clone(),
                generation: m.generation,
                incarnation: m.incarnation,
                from: accuser.cloned().unwrap_or_else(local),
            }),
            State::Dead | State::Left => Message::Dead(Dead {
                name: m.name.clone(),
                generation: m.generation,
                incarnation: m.incarnation,
                from: if m.state == State::Left {
                    m.name.clone()
                } else {
                    accuser.cloned().unwrap_or_else(local)
                },
            }),
        })
    }

    /// One gossip round: news to `gossip_fanout` random members (recently dead ones included,
    /// so a falsely accused node hears of it and refutes).
    pub(super) fn gossip_round(&mut self, now: Instant) {
        if self.gossip.is_empty() && self.store.gossip.is_empty() {
            return;
        }
        let fanout = self.config.gossip_fanout as usize;
        let to_the_dead = self.config.gossip_to_the_dead;
        let recent = now
            .checked_sub(to_the_dead)
            .map_or(0, |t| self.members.ticks(t));
        let targets = self.members.random(&mut self.rng, fanout, |m| {
            m.state.is_live() || m.since_ticks() >= recent
        });
        for slot in targets {
            let addr = self.members.get(slot).addr;
            self.send_datagram(addr, &[]);
            if self.gossip.is_empty() && self.store.gossip.is_empty() {
                break;
            }
        }
    }
}
