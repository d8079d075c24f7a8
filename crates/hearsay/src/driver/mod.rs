//! The task that owns the engine: it feeds it datagrams, stream frames, commands and
//! deadlines, and carries out what it asks for. Everything the engine does happens on this one
//! task, so the engine needs no locks; sockets' slow work (connecting, reading whole frames,
//! delayed sends) happens on helper tasks that talk to it through channels.
//!
//! The task takes [`Command`]s and answers with the types in `info.rs`; it never sees the
//! [`crate::Node`] handle. Requests about the replicated data are carried out in
//! `replicated.rs`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hearsay_proto::{Engine, Event, State, Transmit, TransmitKind};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Semaphore, broadcast, mpsc, oneshot};

use crate::clock::now;
use crate::command::Command;
use crate::counters::{Counters, bump};
use crate::faults::{Fate, FaultInjector};
use crate::info::{KvInfo, MemberDetail, MemberInfo, NodeInfo, StateCounts};
use crate::stream::{self, Answer, Inbound, StreamLimits};

mod replicated;
mod user;

/// Largest datagram read: room for peers configured with datagrams up to jumbo-frame size
/// (9000 bytes). Larger ones are truncated by the OS and then refused by the engine as
/// malformed. Every node has one, so it is kept well under UDP's 64 KiB.
const RECV_BUFFER_BYTES: usize = 16 << 10;
/// Datagrams read per wake-up before the engine's output is flushed.
const RECV_BATCH: usize = 64;

/// The driver's engine, sockets, channels and limits; built and spawned by `launch.rs`.
pub(crate) struct Driver {
    pub engine: Engine,
    pub udp: Arc<UdpSocket>,
    pub listener: TcpListener,
    pub commands: mpsc::Receiver<Command>,
    pub events: broadcast::Sender<Event>,
    pub counters: Arc<Counters>,
    pub limits: StreamLimits,
    pub max_inbound_streams: usize,
    pub max_outbound_streams: usize,
    pub leave_timeout: Duration,
    pub faults: FaultInjector,
    pub bound: SocketAddr,
    /// Sent at the start of every stream this node opens, so the receiver knows who it is.
    pub advertise: SocketAddr,
    pub started: Instant,
    /// Dropped when the task ends, which ends every event stream.
    pub alive: tokio::sync::watch::Sender<()>,
    /// Store changes, for watchers.
    pub store_events: broadcast::Sender<hearsay_proto::StoreEvent>,
    /// Where the cluster-wide map is persisted, with a data directory.
    pub durable: Option<crate::durable::Writer>,
    /// Writes waiting for copies on other members (`wait_for`), by token.
    pub copy_waiters: HashMap<u64, oneshot::Sender<(u32, bool)>>,
    /// The store itself, closed (flushed, file released) when the task ends.
    pub durable_store: Option<crate::durable::DurableStore>,
    /// User events, for subscribers.
    pub user_events: broadcast::Sender<hearsay_proto::UserEvent>,
    /// Queries asked of this node, for their subscribers.
    pub queries: broadcast::Sender<Arc<crate::user::Asked>>,
    /// Queries this node asked, by sequence number: where their answers go.
    pub askers: HashMap<u64, user::Asker>,
    /// Handed to each query asked of this node, so that its answer can come back here.
    pub commands_weak: mpsc::WeakSender<Command>,
}

/// Waiters on a graceful leave: answered once the news has gone out, or at the deadline.
struct Leaving {
    deadline: Instant,
    waiters: Vec<oneshot::Sender<()>>,
}

impl Driver {
    /// Runs until shut down or until every handle is dropped.
    pub(crate) async fn run(mut self) {
        let (inbound_tx, mut inbound_rx) = mpsc::channel::<Inbound>(self.max_inbound_streams);
        let (answer_tx, mut answer_rx) = mpsc::channel::<Answer>(self.max_outbound_streams);
        let inbound_slots = Arc::new(Semaphore::new(self.max_inbound_streams));
        let outbound_slots = Arc::new(Semaphore::new(self.max_outbound_streams));
        let mut buf = vec![0u8; RECV_BUFFER_BYTES];
        let mut replies: HashMap<SocketAddr, oneshot::Sender<Vec<u8>>> = HashMap::new();
        let mut joined_waiters: Vec<oneshot::Sender<()>> = Vec::new();
        let mut leaving: Option<Leaving> = None;
        let mut shutdown: Option<oneshot::Sender<()>> = None;

        loop {
            let deadline = [
                self.engine.poll_timeout(),
                leaving.as_ref().map(|l| l.deadline),
            ]
            .into_iter()
            .flatten()
            .min();
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                cmd = self.commands.recv() => match cmd {
                    None => break,
                    Some(Command::Shutdown(done)) => {
                        shutdown = Some(done);
                        break;
                    }
                    Some(cmd) => self.command(cmd, &mut joined_waiters, &mut leaving),
                },
                r = self.udp.recv_from(&mut buf) => {
                    if let Ok((n, from)) = r {
                        self.engine.handle_datagram(now(), from, &buf[..n]);
                        for _ in 1..RECV_BATCH {
                            match self.udp.try_recv_from(&mut buf) {
                                Ok((n, from)) => self.engine.handle_datagram(now(), from, &buf[..n]),
                                Err(_) => break,
                            }
                        }
                    }
                }
                accepted = self.listener.accept() => match accepted {
                    Ok((socket, peer)) => match inbound_slots.clone().try_acquire_owned() {
                        Ok(permit) => {
                            bump(&self.counters.streams_accepted);
                            tokio::spawn(stream::serve(
                                socket, peer, permit, inbound_tx.clone(), self.limits,
                                self.counters.clone(),
                            ));
                        }
                        Err(_) => bump(&self.counters.stream_limit),
                    },
                    Err(e) => {
                        // Out of file descriptors and the like: do not spin on it.
                        tracing::warn!(error = %e, "accepting a stream failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                },
                Some(msg) = inbound_rx.recv() => {
                    self.engine.handle_stream(now(), msg.from, &msg.bytes);
                    replies.insert(msg.from, msg.reply);
                }
                Some(msg) = answer_rx.recv() => {
                    self.engine.handle_stream(now(), msg.from, &msg.bytes);
                }
                () = sleep => self.engine.handle_timeout(now()),
            }
            self.flush(&mut replies, &outbound_slots, &answer_tx);
            // A connection whose frame produced no answer is closed now.
            replies.clear();
            if !joined_waiters.is_empty() && self.engine.is_joined() {
                for w in joined_waiters.drain(..) {
                    let _ = w.send(());
                }
            }
            if let Some(l) = &leaving {
                // Out once every piece of news (the leave first among them) has been sent its
                // full count, or at once when nobody else is alive to hear it. (Having left,
                // this node no longer counts itself alive.)
                let out = self.engine.gossip_backlog() == 0 || self.engine.alive_count() == 0;
                if out || now() >= l.deadline {
                    for w in leaving.take().into_iter().flat_map(|l| l.waiters) {
                        let _ = w.send(());
                    }
                }
            }
        }
        drop(self.listener);
        drop(self.durable.take());
        if let Some(store) = self.durable_store.take() {
            let path = store.path().to_owned();
            match tokio::task::spawn_blocking(move || store.close()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "kv store: closing failed"),
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %e, "kv store: closing failed")
                }
            }
        }
        drop(self.alive);
        if let Some(done) = shutdown {
            let _ = done.send(());
        }
    }

    fn command(
        &mut self,
        cmd: Command,
        joined_waiters: &mut Vec<oneshot::Sender<()>>,
        leaving: &mut Option<Leaving>,
    ) {
        let at = now();
        match cmd {
            Command::Members(reply) => {
                let _ = reply.send(self.members());
            }
            Command::Member(name, reply) => {
                let detail = self.engine.member(&name).map(|member| MemberDetail {
                    member,
                    history: self.engine.history(&name).cloned().collect(),
                });
                let _ = reply.send(detail);
            }
            Command::Info(reply) => {
                let _ = reply.send(self.info());
            }
            Command::Join(seeds) => self.engine.join(at, &seeds),
            Command::WaitJoined(w) => joined_waiters.push(w),
            Command::SetMeta(meta, reply) => {
                let _ = reply.send(self.engine.set_meta(at, meta));
            }
            Command::Leave(w) => {
                self.engine.leave(at);
                leaving
                    .get_or_insert(Leaving {
                        deadline: at + self.leave_timeout,
                        waiters: Vec::new(),
                    })
                    .waiters
                    .push(w);
            }
            Command::Shutdown(_) => unreachable!("handled by the loop"),
            Command::Replicated(cmd) => self.replicated_command(cmd),
            Command::User(cmd) => self.user_command(cmd),
        }
    }

    /// Carries out everything the engine asked for, and publishes its events.
    fn flush(
        &mut self,
        replies: &mut HashMap<SocketAddr, oneshot::Sender<Vec<u8>>>,
        outbound_slots: &Arc<Semaphore>,
        answers: &mpsc::Sender<Answer>,
    ) {
        while let Some(t) = self.engine.poll_transmit() {
            match t.kind {
                TransmitKind::Datagram => self.send_datagram(t),
                TransmitKind::Stream => {
                    if let Some(reply) = replies.remove(&t.to) {
                        let _ = reply.send(t.bytes);
                        continue;
                    }
                    let Ok(permit) = outbound_slots.clone().try_acquire_owned() else {
                        bump(&self.counters.outbound_limit);
                        continue;
                    };
                    tokio::spawn(stream::dial(
                        self.advertise,
                        t.to,
                        t.bytes,
                        permit,
                        answers.clone(),
                        self.limits,
                        self.counters.clone(),
                    ));
                }
            }
        }
        while let Some(e) = self.engine.poll_event() {
            // No subscribers is fine: the event is also in the engine's history.
            let _ = self.events.send(e);
        }
        self.flush_store_events();
        self.flush_user();
    }

    fn send_datagram(&mut self, t: Transmit) {
        match self.faults.fate() {
            Fate::Drop => bump(&self.counters.fault_dropped),
            Fate::Send => {
                if let Err(e) = self.udp.try_send_to(&t.bytes, t.to) {
                    bump(&self.counters.send_errors);
                    tracing::debug!(to = %t.to, error = %e, "datagram not sent");
                }
            }
            Fate::Delay(d) => {
                bump(&self.counters.fault_delayed);
                let udp = self.udp.clone();
                let counters = self.counters.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(d).await;
                    if udp.send_to(&t.bytes, t.to).await.is_err() {
                        bump(&counters.send_errors);
                    }
                });
            }
        }
    }

    fn members(&self) -> Vec<MemberInfo> {
        let mut last: HashMap<&str, &Event> = HashMap::new();
        for e in self.engine.recent_events() {
            last.insert(e.member.name.as_str(), e);
        }
        let mut out: Vec<MemberInfo> = self
            .engine
            .members()
            .map(|member| {
                let last_change = last.get(member.name.as_str()).map(|e| (*e).clone());
                MemberInfo {
                    member,
                    last_change,
                }
            })
            .collect();
        out.sort_by(|a, b| a.member.name.as_str().cmp(b.member.name.as_str()));
        out
    }

    fn info(&self) -> NodeInfo {
        let mut states = StateCounts::default();
        for m in self.engine.members() {
            match m.state {
                State::Alive => states.alive += 1,
                State::Suspect => states.suspect += 1,
                State::Dead => states.dead += 1,
                State::Left => states.left += 1,
            }
        }
        NodeInfo {
            local: self.engine.local(),
            bound: self.bound,
            states,
            health_score: self.engine.health_score(),
            joined: self.engine.is_joined(),
            gossip_backlog: self.engine.gossip_backlog(),
            stats: self.engine.stats().clone(),
            transport: self.counters.snapshot(),
            uptime: now().saturating_duration_since(self.started),
            kv: KvInfo {
                keys: self.engine.kv_len(),
                bytes: self.engine.kv_bytes(),
                root: self.engine.kv_root(),
            },
            durable: self.durable.as_ref().map(|w| w.stats()),
        }
    }
}
