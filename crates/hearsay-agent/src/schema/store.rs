//! The JSON shapes of the replicated stores' endpoints: the cluster-wide map under `/v1/kv`,
//! this node's own state under `/v1/state`, and their change streams under `/v1/watch`.
//!
//! Values are bytes, and JSON has no bytes. Every shape that carries a value flattens a
//! [`ValueField`]: the value as a `value` string when its bytes are valid UTF-8 (most values
//! are text, and they stay readable in `curl` and `jq`), else as `value_base64` (standard
//! alphabet, padded). Exactly one of the two is present, except in a change that deletes a
//! key, which has neither. The same rule as `meta` and `meta_hex` on members. A single value
//! is also readable raw, with no encoding at all: `GET /v1/kv/{key}` answers its bytes.
//!
//! A map entry's `stamp` is its hybrid logical clock: milliseconds since the Unix epoch
//! shifted left 16 bits, plus a counter. The last writer wins by `(stamp, writer)`.
//! `at_unix_ms` is the millisecond part alone, for people.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Serialize};

/// Base64 of values that are not UTF-8: RFC 4648's standard alphabet, padded on the way out
/// and required padded on the way in. Bits past the last byte are ignored, as the API always
/// has, so text that decoded before still does.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// The two replicated stores, as the API names them: `/v1/{name}` holds a store's keys,
/// `/v1/watch/{name}` streams its changes, and each change is a server-sent event of that
/// name. One enum for the server's routes and the CLI's requests, so they cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Store {
    /// The cluster-wide map (`kv`): any member writes any key, the last writer wins.
    Kv,
    /// Per-member state (`state`): each member writes only its own keys.
    State,
}

impl Store {
    /// The store's name in paths and event names: `kv` or `state`.
    pub fn as_str(self) -> &'static str {
        match self {
            Store::Kv => "kv",
            Store::State => "state",
        }
    }

    /// The store's collection path: `/v1/kv` or `/v1/state`.
    pub fn path(self) -> String {
        format!("/v1/{}", self.as_str())
    }

    /// The path of the store's change stream: `/v1/watch/kv` or `/v1/watch/state`.
    pub fn watch_path(self) -> String {
        format!("/v1/watch/{}", self.as_str())
    }
}

/// A value in JSON, flattened into every shape that carries one: the value as a `value` string
/// when its bytes are valid UTF-8 (most values are text, and they stay readable in `curl` and
/// `jq`), else as `value_base64` (standard alphabet, padded). Exactly one of the two is
/// present, except in a change that deletes a key, which has neither: the same rule as `meta`
/// and `meta_hex` on members. A single value can also be read raw, with no encoding at all:
/// `GET /v1/kv/{key}` answers its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueField {
    /// The value as text, when its bytes are valid UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The value in base64 (standard alphabet, padded), when its bytes are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_base64: Option<String>,
}

impl ValueField {
    /// Encodes `bytes` by the rule above.
    pub fn of(bytes: &[u8]) -> ValueField {
        match std::str::from_utf8(bytes) {
            Ok(text) => ValueField {
                value: Some(text.to_owned()),
                value_base64: None,
            },
            Err(_) => ValueField {
                value: None,
                value_base64: Some(BASE64.encode(bytes)),
            },
        }
    }

    /// Neither field: a deleted key.
    pub fn none() -> ValueField {
        ValueField::default()
    }

    /// The bytes back; `None` when neither field is present, or `value_base64` is not base64.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        match (&self.value, &self.value_base64) {
            (Some(text), _) => Some(text.clone().into_bytes()),
            (None, Some(b64)) => BASE64.decode(b64).ok(),
            (None, None) => None,
        }
    }
}

/// The milliseconds part of a map stamp (its hybrid logical clock).
pub fn stamp_unix_ms(stamp: u64) -> u64 {
    stamp >> 16
}

/// One entry of `GET /v1/kv?prefix=P`: a live key of the cluster-wide map.
///
/// `stamp` is the write's hybrid logical clock: milliseconds since the Unix epoch shifted left
/// 16 bits, plus a counter; the last writer wins by `(stamp, writer)`. `at_unix_ms` is the
/// millisecond part alone, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvItem {
    /// The key.
    pub key: String,
    /// Its value (`value` or `value_base64`).
    #[serde(flatten)]
    pub value: ValueField,
    /// The write's hybrid logical clock (see the module docs).
    pub stamp: u64,
    /// When it was written, as far as the writer's clock knew.
    pub at_unix_ms: u64,
    /// The member that wrote it.
    pub writer: String,
}

/// The answer to `PUT /v1/kv/{key}` and `DELETE /v1/kv/{key}`: the write as this node made
/// it. A put is answered once durable on this node (when the agent has a data directory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvWrite {
    /// The key.
    pub key: String,
    /// The write's hybrid logical clock.
    pub stamp: u64,
    /// When it was written.
    pub at_unix_ms: u64,
    /// This node: the writer.
    pub writer: String,
    /// True for a delete (a tombstone, which also spreads and wins over older writes).
    pub deleted: bool,
}

/// `GET /v1/watch/kv`: the `data` of a server-sent event named `kv`, one change of the map
/// under the watched prefix (written here or learned from a peer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvChange {
    /// The key.
    pub key: String,
    /// Its new value; neither field when `deleted`.
    #[serde(flatten)]
    pub value: ValueField,
    /// The key was deleted.
    pub deleted: bool,
    /// The change's hybrid logical clock.
    pub stamp: u64,
    /// When it was made, as far as the writer's clock knew.
    pub at_unix_ms: u64,
    /// The member that made it.
    pub writer: String,
    /// Made through this node (its API or library), not learned from a peer.
    pub local: bool,
}

/// One key of a member's state, as `GET /v1/state` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateItem {
    /// The member that owns the key.
    pub owner: String,
    /// The key.
    pub key: String,
    /// Its value (`value` or `value_base64`).
    #[serde(flatten)]
    pub value: ValueField,
}

/// The answer to `PUT /v1/state/{key}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateWrite {
    /// This node: the owner of the key.
    pub owner: String,
    /// The key.
    pub key: String,
    /// The key's new version (they grow with every write of this node's state).
    pub version: u64,
    /// The time to live given, after which the key is deleted; absent when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<u64>,
}

/// The answer to `DELETE /v1/state/{key}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateDelete {
    /// This node: the owner of the key.
    pub owner: String,
    /// The key.
    pub key: String,
    /// False when the key was not set (nothing changed).
    pub deleted: bool,
}

/// `GET /v1/watch/state`: the `data` of a server-sent event named `state`, one change of any
/// member's state under the watched prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChange {
    /// The member that owns the key.
    pub owner: String,
    /// The key.
    pub key: String,
    /// Its new value; neither field when `deleted`.
    #[serde(flatten)]
    pub value: ValueField,
    /// The key was deleted, expired, or went with its member (dead, left, restarted).
    pub deleted: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_are_strings_and_other_bytes_are_base64() {
        let text = serde_json::to_value(ValueField::of("héllo".as_bytes())).unwrap();
        assert_eq!(text, serde_json::json!({"value": "héllo"}));
        let binary = serde_json::to_value(ValueField::of(&[0xff, 0x00, 0x01])).unwrap();
        assert_eq!(binary, serde_json::json!({"value_base64": "/wAB"}));
        assert_eq!(
            ValueField::of(&[0xff, 0, 1]).bytes(),
            Some(vec![0xff, 0, 1])
        );
        assert_eq!(ValueField::of(b"").bytes(), Some(Vec::new()));
        assert_eq!(ValueField::none().bytes(), None);
    }

    #[test]
    fn base64_is_the_padded_standard_alphabet_of_rfc_4648() {
        let field = |b64: &str| ValueField {
            value: None,
            value_base64: Some(b64.to_owned()),
        };
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(BASE64.encode(plain.as_bytes()), coded);
            assert_eq!(field(coded).bytes().as_deref(), Some(plain.as_bytes()));
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(field(&BASE64.encode(&all)).bytes(), Some(all));
        for bad in ["Zg", "Zg=a", "Z===", "Zg==Zg==", "Zm9v!A==", "é", "Zm-_"] {
            assert_eq!(field(bad).bytes(), None, "{bad}");
        }
    }

    #[test]
    fn an_item_flattens_its_value_next_to_the_key() {
        let item = KvItem {
            key: "a/b".into(),
            value: ValueField::of(b"x"),
            stamp: (1_700_000_000_000 << 16) | 3,
            at_unix_ms: stamp_unix_ms((1_700_000_000_000 << 16) | 3),
            writer: "n1".into(),
        };
        let json = serde_json::to_value(&item).unwrap();
        assert_eq!(json["key"], "a/b");
        assert_eq!(json["value"], "x");
        assert_eq!(json["at_unix_ms"], 1_700_000_000_000u64);
        assert!(json.get("value_base64").is_none());
        let back: KvItem = serde_json::from_value(json).unwrap();
        assert_eq!(back, item);
    }
}
