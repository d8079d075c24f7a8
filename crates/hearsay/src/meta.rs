//! Metadata as `key=value` pairs: the convention the agent, the API and the CLI use for a
//! member's metadata bytes. The engine itself treats metadata as opaque bytes.
//!
//! Encoding: the pairs sorted by key, each `key=value`, separated by newlines. Keys are
//! non-empty and contain neither `=` nor a newline; values contain no newline.

use std::collections::BTreeMap;

use hearsay_proto::Meta;

/// Why metadata pairs could not be encoded or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetaError {
    /// A `key=value` argument had no `=`.
    #[error("metadata '{0}' is not key=value")]
    NotAPair(String),
    /// A key was empty or contained `=` or a newline, or a value contained a newline.
    #[error(
        "metadata key or value '{0}' is invalid: keys are non-empty, without '=' or newlines; values have no newlines"
    )]
    Invalid(String),
}

/// Parses one `key=value` argument (as given to `--meta`).
pub fn parse_pair(arg: &str) -> Result<(String, String), MetaError> {
    let (k, v) = arg
        .split_once('=')
        .ok_or_else(|| MetaError::NotAPair(arg.to_owned()))?;
    check(k, v)?;
    Ok((k.to_owned(), v.to_owned()))
}

/// Encodes pairs as metadata bytes.
pub fn encode(pairs: &BTreeMap<String, String>) -> Result<Meta, MetaError> {
    let mut out = String::new();
    for (k, v) in pairs {
        check(k, v)?;
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    Ok(Meta::from(out.as_bytes()))
}

/// Decodes metadata bytes written by [`encode`]. `None` when the bytes are not in that form
/// (another application's metadata); callers then show the raw bytes.
pub fn decode(meta: &[u8]) -> Option<BTreeMap<String, String>> {
    let text = std::str::from_utf8(meta).ok()?;
    let mut pairs = BTreeMap::new();
    for line in text.split('\n').filter(|l| !l.is_empty()) {
        let (k, v) = line.split_once('=')?;
        if k.is_empty() {
            return None;
        }
        pairs.insert(k.to_owned(), v.to_owned());
    }
    Some(pairs)
}

fn check(k: &str, v: &str) -> Result<(), MetaError> {
    if k.is_empty() || k.contains(['=', '\n']) {
        return Err(MetaError::Invalid(k.to_owned()));
    }
    if v.contains('\n') {
        return Err(MetaError::Invalid(v.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_round_trip() {
        let pairs: BTreeMap<_, _> = [("role", "web"), ("zone", "a=b")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into();
        let meta = encode(&pairs).unwrap();
        assert_eq!(&*meta, b"role=web\nzone=a=b");
        assert_eq!(decode(&meta), Some(pairs));
    }

    #[test]
    fn a_pair_without_equals_is_refused_with_the_argument() {
        let err = parse_pair("role").unwrap_err().to_string();
        assert!(err.contains("'role'"), "{err}");
        assert!(parse_pair("=x").is_err());
        assert_eq!(parse_pair("a=").unwrap(), ("a".into(), String::new()));
    }

    #[test]
    fn foreign_bytes_do_not_decode() {
        assert_eq!(decode(&[0xff, 0x00]), None);
        assert_eq!(decode(b"no pairs here"), None);
        assert_eq!(decode(b""), Some(BTreeMap::new()));
    }
}
