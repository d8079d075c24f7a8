//! What the [`crate::Node`] handle asks of the node's task, each request with the channel its
//! answer comes back on. The handle sends these and the task (`driver/`) carries them out;
//! defining them here, below both, keeps either side from importing the other.

use std::net::SocketAddr;
use std::time::Duration;

use hearsay_proto::user::{MsgId, Payload, QueryParams, QueryReply, QuerySummary};
use hearsay_proto::{CommandError, Key, KvEntry, Meta, Value};
use tokio::sync::{mpsc, oneshot};

use crate::error::NodeError;
use crate::info::{MemberDetail, MemberInfo, NodeInfo, OwnerKeys};

/// A request to the node's task about membership or the node itself.
pub(crate) enum Command {
    Members(oneshot::Sender<Vec<MemberInfo>>),
    Member(String, oneshot::Sender<Option<MemberDetail>>),
    Info(oneshot::Sender<NodeInfo>),
    Join(Vec<SocketAddr>),
    WaitJoined(oneshot::Sender<()>),
    SetMeta(Meta, oneshot::Sender<Result<(), CommandError>>),
    Leave(oneshot::Sender<()>),
    Shutdown(oneshot::Sender<()>),
    Replicated(ReplicatedCommand),
    User(UserCommand),
}

/// A request about the replicated data: this node's per-node state and the cluster-wide map.
pub(crate) enum ReplicatedCommand {
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

/// A request about the application's own messages: user events and queries.
pub(crate) enum UserCommand {
    Broadcast {
        name: String,
        payload: Payload,
        reply: oneshot::Sender<Result<MsgId, CommandError>>,
    },
    /// Asks a query; its answers go to `replies`, its summary to `done`.
    Query {
        params: QueryParams,
        replies: mpsc::Sender<QueryReply>,
        done: oneshot::Sender<QuerySummary>,
        reply: oneshot::Sender<Result<u64, CommandError>>,
    },
    Respond {
        id: MsgId,
        payload: Payload,
        reply: oneshot::Sender<Result<(), CommandError>>,
    },
}
