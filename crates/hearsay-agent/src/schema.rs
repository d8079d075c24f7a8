//! The JSON shapes of the HTTP API, shared by the server and the CLI client.
//!
//! Every type here is what goes over the wire, nothing more: the server builds them from a
//! node's snapshots, the CLI deserializes them. They are plain data so that both sides agree
//! by construction rather than by convention.
//!
//! Conventions:
//! - Times are milliseconds since the Unix epoch (UTC) in fields ending `_unix_ms`: one
//!   integer is easy to compare, sort and convert in any language, and the CLI formats it.
//!   Instants inside the node are turned into wall-clock times with [`hearsay::Node::wall_time`].
//! - Durations end in their unit (`uptime_ms`).
//! - Addresses are `"IP:PORT"` strings.
//! - Optional fields are left out when unknown rather than sent as `null`.
//! - Every error is an [`ErrorBody`]: `{"error": "..."}`, a message that says what was wrong
//!   and what to do.
//!
//! | endpoint | answer |
//! |---|---|
//! | `GET /v1/members[?state=alive\|suspect\|dead\|left]` | `[`[`MemberSummary`]`]` |
//! | `GET /v1/members/{name}` | [`MemberDetail`] |
//! | `POST /v1/join` with [`JoinRequest`] | 202, [`JoinResponse`] |
//! | `POST /v1/leave` | [`LeaveResponse`] |
//! | `GET /v1/events` | server-sent events: [`Event`]s, named by [`EventKind`], and [`Missed`] |
//! | `GET /v1/health` | [`Health`] (503 with an [`ErrorBody`] once the node has stopped) |
//! | `GET /v1/info` | [`Info`] |
//! | `GET /metrics` | Prometheus (OpenMetrics) text |
//!
//! The replicated stores. Keys are 1 to 512 bytes of UTF-8, percent-encoded in paths (`/` is
//! allowed in a key); values are bytes, carried in JSON as a [`ValueField`] (text when UTF-8,
//! else base64); a map entry's `stamp` is explained on [`KvItem`]:
//!
//! | endpoint | answer |
//! |---|---|
//! | `PUT /v1/kv/{key}[?wait_for=N]` with the value as the body | [`KvWrite`], once durable here |
//! | `GET /v1/kv/{key}` | the value's bytes (`application/octet-stream`), 404 if absent |
//! | `DELETE /v1/kv/{key}` | [`KvWrite`] with `deleted: true` |
//! | `GET /v1/kv[?prefix=P]` | `[`[`KvItem`]`]`, in key order |
//! | `PUT /v1/state/{key}[?ttl=30s]` with the value as the body | [`StateWrite`] |
//! | `GET /v1/state/{key}[?node=NAME]` | the value's bytes, 404 if absent |
//! | `DELETE /v1/state/{key}` | [`StateDelete`] |
//! | `GET /v1/state[?prefix=P][&node=NAME\|&all=true]` | `[`[`StateItem`]`]`: this node's keys, one member's, or every member's |
//! | `GET /v1/watch/kv[?prefix=P]` | server-sent events: [`KvChange`]s named `kv`, and [`Missed`] |
//! | `GET /v1/watch/state[?prefix=P]` | server-sent events: [`StateChange`]s named `state`, and [`Missed`] |
//!
//! Store errors: 400 for a bad key or query, 404 for an absent key, 409 once the node has
//! left, 413 for a value over `max_value_bytes` (1 MiB by default), 500 when a write could not
//! be made durable, 504 when `wait_for` members did not confirm in time.
//!
//! The application's own messages. Names are 1 to 128 bytes of UTF-8, percent-encoded in
//! paths; payloads are the raw request body, and in JSON a [`ValueField`]:
//!
//! | endpoint | answer |
//! |---|---|
//! | `POST /v1/event/{name}` with the payload as the body | [`EventSent`]; 413 over `max_event_bytes` (1 MiB by default), 400 for a bad name |
//! | `GET /v1/watch/event[?prefix=P]` | server-sent events: [`UserEvent`]s named `event`, and [`Missed`] |
//! | `POST /v1/query/{name}[?node=N][&meta=KEY=REGEX][&state=KEY=REGEX][&timeout=D][&relay_factor=K][&ack=false]` with the payload as the body | server-sent events: [`QueryAnswer`]s named `ack` and `response`, then one [`QueryDone`] named `done`; 400 for a bad filter or parameter |
//! | `GET /v1/events?user=true` | membership events as above, plus [`UserEvent`]s named `event` and [`QueryReceived`]s named `query` |
//!
//! `node` and `meta` and `state` may be repeated: a member must be one of the `node`s (when
//! any are given) and match every `meta` and `state` pattern (against its metadata pairs and
//! its replicated state).

mod store;
mod user;

pub use store::{
    KvChange, KvItem, KvWrite, StateChange, StateDelete, StateItem, StateWrite, Store, ValueField,
    stamp_unix_ms,
};
pub use user::{
    AnswerKind, EventSent, MessageId, QueryAnswer, QueryDone, QueryReceived, UserEvent,
};

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Every endpoint, as listed in the 404 answer for an unknown route.
pub const ENDPOINTS: &[&str] = &[
    "GET /v1/members[?state=alive|suspect|dead|left]",
    "GET /v1/members/{name}",
    "POST /v1/join {\"addrs\": [\"ADDR:PORT\", ...]}",
    "POST /v1/leave",
    "GET /v1/events (server-sent events)",
    "GET /v1/health",
    "GET /v1/info",
    "GET /metrics",
    "PUT|GET|DELETE /v1/kv/{key}",
    "GET /v1/kv?prefix=P",
    "PUT|GET|DELETE /v1/state/{key}",
    "GET /v1/state?prefix=P[&node=NAME|&all=true]",
    "GET /v1/watch/kv?prefix=P (server-sent events)",
    "GET /v1/watch/state?prefix=P (server-sent events)",
    "POST /v1/event/{name} (body = payload)",
    "GET /v1/watch/event?prefix=P (server-sent events)",
    "POST /v1/query/{name}?node=N&meta=KEY=REGEX&state=KEY=REGEX&timeout=D&relay_factor=K&ack=false (body = payload; answers as server-sent events)",
];

/// A member's record as the answering node sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Unique name in the cluster.
    pub name: String,
    /// Where the member is reached (UDP and TCP).
    pub address: SocketAddr,
    /// Alive, suspect, dead or left.
    pub state: State,
    /// Raised by the member each time it refutes a suspicion about itself.
    pub incarnation: u32,
    /// Which start of the member this is (milliseconds since the Unix epoch at its start,
    /// unless the agent had to pick a larger one).
    pub generation: u64,
    /// The metadata as `key=value` pairs, when it is in that form (see [`hearsay::meta`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<BTreeMap<String, String>>,
    /// The metadata bytes in hex, when they are not `key=value` pairs (another application's
    /// format). Exactly one of `meta` and `meta_hex` is present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_hex: Option<String>,
    /// When the answering node last saw the member's state change.
    pub since_unix_ms: u64,
}

/// One entry of `GET /v1/members`: the member and its latest recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSummary {
    /// The member (its fields appear at the top level of the JSON object).
    #[serde(flatten)]
    pub member: Member,
    /// The most recent change still in the node's bounded history; absent when it has aged
    /// out (long-stable members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_change: Option<Change>,
}

/// `GET /v1/members/{name}`: the member and its recent history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDetail {
    /// The member (its fields appear at the top level of the JSON object).
    #[serde(flatten)]
    pub member: Member,
    /// Its recent changes, oldest first, each with its cause. Bounded by the node: old
    /// entries age out.
    pub history: Vec<Change>,
}

/// One change of a member, with why it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// What happened.
    pub kind: EventKind,
    /// When the answering node recorded it.
    pub at_unix_ms: u64,
    /// The member's state after the change.
    pub state: State,
    /// The member's incarnation after the change.
    pub incarnation: u32,
    /// The member's generation after the change (a new one means it restarted).
    pub generation: u64,
    /// Why.
    pub cause: Cause,
}

/// `GET /v1/events`: one membership event, the `data` of a server-sent event whose `event`
/// name is [`EventKind`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// When the node recorded it.
    pub at_unix_ms: u64,
    /// The member after the change.
    pub member: Member,
    /// Why.
    pub cause: Cause,
}

/// `GET /v1/events`: the `data` of a server-sent event named `missed`, sent when the
/// subscriber fell behind and the node skipped events for it. A client that needs the full
/// picture should read `GET /v1/members` again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missed {
    /// Events skipped since the previous `missed` notice.
    pub missed: u64,
}

/// Why a member changed state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// How the news reached the node.
    pub via: Via,
    /// The peer the news came from (gossip or sync); absent for local decisions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<SocketAddr>,
    /// Who accused the member (suspect, dead), or the member itself (left, refuted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuser: Option<String>,
    /// Independent confirmations of the suspicion seen so far (Lifeguard).
    pub confirmations: u32,
    /// The node's own local health score at the time (0 = healthy).
    pub local_health: u32,
}

/// How news of a change reached the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// Decided by this node: a probe failed, a suspicion timed out, a command was given.
    Local,
    /// Piggybacked on a datagram from `peer`.
    Gossip,
    /// A state transfer (join or anti-entropy) with `peer`.
    Sync,
}

/// What happened to a member; the same names as [`hearsay::EventKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// First seen alive (a join, a restart under a new generation, a return from dead).
    Up,
    /// Address, metadata or incarnation changed while alive.
    Updated,
    /// Suspected of having failed.
    Suspect,
    /// Refuted a suspicion: alive again at a higher incarnation.
    Recovered,
    /// Declared dead.
    Down,
    /// Left gracefully.
    Left,
    /// Forgotten after the dead retention time.
    Removed,
    /// The answering node refuted a suspicion about itself.
    Refuted,
}

impl EventKind {
    /// The lower-case name used in JSON and as the server-sent event name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Up => "up",
            EventKind::Updated => "updated",
            EventKind::Suspect => "suspect",
            EventKind::Recovered => "recovered",
            EventKind::Down => "down",
            EventKind::Left => "left",
            EventKind::Removed => "removed",
            EventKind::Refuted => "refuted",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A member's state; also the values of the `?state=` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Answering probes, as far as the node knows.
    Alive,
    /// Missed a probe; declared dead unless it refutes in time.
    Suspect,
    /// Declared dead after a suspicion timed out.
    Dead,
    /// Left on purpose.
    Left,
}

impl State {
    /// Every state, in the order the CLI and the error messages list them.
    pub const ALL: [State; 4] = [State::Alive, State::Suspect, State::Dead, State::Left];

    /// The lower-case name used in JSON and in `?state=`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Alive => "alive",
            State::Suspect => "suspect",
            State::Dead => "dead",
            State::Left => "left",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<State, UnknownState> {
        State::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// A state name that is none of alive, suspect, dead, left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownState(pub String);

impl fmt::Display for UnknownState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown state '{}'; use one of alive, suspect, dead, left",
            self.0
        )
    }
}

impl std::error::Error for UnknownState {}

/// `POST /v1/join` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// Addresses of any cluster members, each `IP:PORT` (the gossip port, not the HTTP one).
    pub addrs: Vec<String>,
}

/// `POST /v1/join` answer (202 Accepted): the join has started; the node retries with
/// backoff until a seed answers. Poll `GET /v1/health` for `joined`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinResponse {
    /// The addresses the node is now trying.
    pub joining: Vec<SocketAddr>,
    /// Whether the node was already part of a cluster when asked.
    pub already_joined: bool,
}

/// `POST /v1/leave` answer: the departure has been announced and has had time to spread.
/// The agent exits right after answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaveResponse {
    /// The node that left.
    pub name: String,
    /// Always `true`: the answer is only sent once the leave is done.
    pub left: bool,
}

/// `GET /v1/health` answer while the node runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always `"ok"`: a stopped node answers 503 with an [`ErrorBody`] instead.
    pub status: String,
    /// The node's name.
    pub name: String,
    /// Whether the node has joined a cluster (or another member reached it).
    pub joined: bool,
    /// Alive members, this node included.
    pub members_alive: usize,
    /// Lifeguard local health score (0 = healthy; higher means the node doubts its own
    /// timeliness).
    pub health_score: u32,
}

/// `GET /v1/info` answer: the node itself and its counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Info {
    /// This node's own record (name, advertised address, generation, incarnation, metadata).
    pub local: Member,
    /// The address its UDP socket and TCP listener are bound to.
    pub bound: SocketAddr,
    /// Members by state, as this node sees them.
    pub states: StateCounts,
    /// Lifeguard local health score (0 = healthy).
    pub health_score: u32,
    /// Whether the node has joined a cluster.
    pub joined: bool,
    /// Pieces of news waiting to be piggybacked on outgoing datagrams.
    pub gossip_backlog: usize,
    /// Time since the node started.
    pub uptime_ms: u64,
    /// The protocol engine's counters.
    pub engine: EngineCounters,
    /// The runtime's socket and stream counters.
    pub transport: TransportCounters,
}

/// Members by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts {
    /// Alive members, the answering node included.
    pub alive: usize,
    /// Suspected members.
    pub suspect: usize,
    /// Members declared dead and not yet forgotten.
    pub dead: usize,
    /// Members that left and are not yet forgotten.
    pub left: usize,
}

/// The engine's running totals since the node started: every counter of
/// [`hearsay::Stats::counters`] by name (the same names as the metrics'
/// `hearsay_<name>_total`), and refused input by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineCounters {
    /// Every engine counter by name (`datagrams_in`, `probes`, `sync_timeouts`, ...).
    #[serde(flatten)]
    pub counters: BTreeMap<String, u64>,
    /// Input the engine refused, by reason (reasons with a count only).
    pub dropped: BTreeMap<String, u64>,
}

impl EngineCounters {
    /// The counter `name`, 0 if absent (an older agent).
    pub fn get(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }
}

/// The runtime's running totals since the node started (see [`hearsay::TransportStats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportCounters {
    /// Inbound TCP connections accepted.
    pub streams_accepted: u64,
    /// Outbound TCP connections opened.
    pub streams_dialed: u64,
    /// Inbound streams refused because `max_inbound_streams` were in use.
    pub stream_limit: u64,
    /// Outbound stream messages not sent because `max_outbound_streams` were in flight.
    #[serde(default)]
    pub outbound_limit: u64,
    /// Streams whose header was not an address.
    #[serde(default)]
    pub stream_malformed: u64,
    /// Streams that did not deliver a whole frame in time.
    pub stream_timeouts: u64,
    /// Streams whose frame announced more than the size limit.
    pub stream_oversized: u64,
    /// Streams closed in the middle of a frame, or with no frame.
    pub stream_truncated: u64,
    /// Outbound connections that could not be opened or written.
    pub dial_failures: u64,
    /// Datagrams the operating system refused to send.
    pub send_errors: u64,
    /// Datagrams dropped by fault injection.
    pub fault_dropped: u64,
    /// Datagrams delayed by fault injection.
    pub fault_delayed: u64,
    /// Answers to this node's queries dropped because the asker did not read them.
    #[serde(default)]
    pub query_replies_shed: u64,
    /// User events and query outputs the engine dropped because the node's task fell behind.
    #[serde(default)]
    pub user_outputs_missed: u64,
}

/// Every error answer: what was wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A one-line message for people.
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_parse_from_their_names_and_unknown_ones_list_the_valid_values() {
        for state in State::ALL {
            assert_eq!(state.as_str().parse::<State>(), Ok(state));
        }
        let err = "gone".parse::<State>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown state 'gone'; use one of alive, suspect, dead, left"
        );
    }

    #[test]
    fn a_summary_flattens_the_member_and_leaves_out_what_is_unknown() {
        let summary = MemberSummary {
            member: Member {
                name: "a".into(),
                address: "127.0.0.1:7946".parse().unwrap(),
                state: State::Alive,
                incarnation: 0,
                generation: 1,
                meta: Some(BTreeMap::new()),
                meta_hex: None,
                since_unix_ms: 5,
            },
            last_change: None,
        };
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["name"], "a");
        assert_eq!(json["address"], "127.0.0.1:7946");
        assert_eq!(json["state"], "alive");
        assert!(json.get("meta_hex").is_none());
        assert!(json.get("last_change").is_none());
        let back: MemberSummary = serde_json::from_value(json).unwrap();
        assert_eq!(back, summary);
    }

    #[test]
    fn event_kinds_use_the_engines_names() {
        let json = serde_json::to_string(&EventKind::Recovered).unwrap();
        assert_eq!(json, "\"recovered\"");
        assert_eq!(hearsay::EventKind::Recovered.as_str(), "recovered");
    }
}
