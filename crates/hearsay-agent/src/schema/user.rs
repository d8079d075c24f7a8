//! The JSON shapes of the application's own messages: user events (`/v1/event`,
//! `/v1/watch/event`) and queries (`/v1/query`).
//!
//! Payloads are bytes and travel like the stores' values: a [`ValueField`] flattened into the
//! shape, `value` when the bytes are UTF-8, else `value_base64`. Request bodies and responses
//! are raw bytes.

use serde::{Deserialize, Serialize};

use super::ValueField;

/// Which message this is: the member that sent it, which start of that member, and its
/// sequence number among that start's messages. Unique in the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageId {
    /// The member that sent it.
    pub origin: String,
    /// The sender's generation when it sent it.
    pub generation: u64,
    /// Its sequence number.
    pub seq: u64,
}

/// `POST /v1/event/{name}` answer: the event has been sent (and delivered here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSent {
    /// The event's identity.
    pub id: MessageId,
}

/// `GET /v1/watch/event`: the `data` of a server-sent event named `event`, one user event as
/// this node received it (its own included, with `hops` 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEvent {
    /// The event's name.
    pub name: String,
    /// The member that sent it.
    pub origin: String,
    /// The sender's generation.
    pub generation: u64,
    /// Its sequence number among the sender's messages.
    pub seq: u64,
    /// Members it passed through before reaching this node (0: sent here).
    pub hops: u32,
    /// When this node received it.
    pub at_unix_ms: u64,
    /// The payload (`value` or `value_base64`).
    #[serde(flatten)]
    pub value: ValueField,
}

/// A query as a node received it: in `GET /v1/events?user=true` (`hearsay monitor`), the
/// `data` of a server-sent event named `query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryReceived {
    /// The query's name.
    pub name: String,
    /// The member that asked.
    pub origin: String,
    /// The asker's generation.
    pub generation: u64,
    /// The query's sequence number among the asker's messages.
    pub seq: u64,
    /// Members it passed through before reaching this node.
    pub hops: u32,
    /// When this node received it.
    pub at_unix_ms: u64,
    /// When the asker stops waiting for answers.
    pub deadline_unix_ms: u64,
    /// The payload (`value` or `value_base64`).
    #[serde(flatten)]
    pub value: ValueField,
}

/// `POST /v1/query/{name}`: the `data` of a server-sent event named `ack` (a member received
/// the query) or `response` (its answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryAnswer {
    /// `ack` or `response`, as the event's name.
    pub kind: AnswerKind,
    /// The member that answered.
    pub from: String,
    /// It came back through a relay rather than straight from the member.
    pub relayed: bool,
    /// The response's payload; neither field for an acknowledgement.
    #[serde(flatten)]
    pub value: ValueField,
}

/// What a [`QueryAnswer`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    /// The member received the query.
    Ack,
    /// The member's response.
    Response,
}

impl AnswerKind {
    /// The server-sent event's name: `ack` or `response`.
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::Ack => "ack",
            AnswerKind::Response => "response",
        }
    }
}

/// `POST /v1/query/{name}`: the `data` of the last server-sent event, named `done`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryDone {
    /// Always `done`, as the event's name.
    pub kind: String,
    /// The query's sequence number (its id with this node as origin).
    pub query: u64,
    /// Members the query was meant for (the filter's matches this node knew alive).
    pub expected: u32,
    /// Acknowledgements received.
    pub acks: u32,
    /// Responses received.
    pub responses: u32,
    /// Members expected that did not respond, by name.
    pub missing: Vec<String>,
    /// Expected members that left or failed while the query ran.
    pub departed: u32,
    /// The query ended at its timeout rather than with every answer in.
    pub timed_out: bool,
    /// How long the query ran.
    pub elapsed_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ack_has_no_value_and_a_response_carries_one() {
        let ack = QueryAnswer {
            kind: AnswerKind::Ack,
            from: "b".into(),
            relayed: false,
            value: ValueField::none(),
        };
        let json = serde_json::to_value(&ack).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "ack", "from": "b", "relayed": false})
        );
        let response = QueryAnswer {
            kind: AnswerKind::Response,
            value: ValueField::of(b"0.42"),
            ..ack
        };
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["kind"], "response");
        assert_eq!(json["value"], "0.42");
        let back: QueryAnswer = serde_json::from_value(json).unwrap();
        assert_eq!(back, response);
    }
}
