//! Member names: the stable identity of a node in the cluster.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

/// Longest accepted member name, in bytes (UTF-8).
pub const MAX_NAME_BYTES: usize = 128;

/// A member's name: unique in the cluster, stable across restarts.
///
/// Cheap to clone (shared). Always non-empty and at most [`MAX_NAME_BYTES`] bytes.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Arc<str>);

/// Why a string cannot be a member name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty; give every node a name (the host name is a good default).
    #[error("member name is empty; give the node a name")]
    Empty,
    /// The name is longer than [`MAX_NAME_BYTES`].
    #[error("member name is {0} bytes; the limit is {MAX_NAME_BYTES}")]
    TooLong(usize),
}

impl Name {
    /// Checks and wraps `name`.
    pub fn new(name: &str) -> Result<Name, NameError> {
        if name.is_empty() {
            Err(NameError::Empty)
        } else if name.len() > MAX_NAME_BYTES {
            Err(NameError::TooLong(name.len()))
        } else {
            Ok(Name(Arc::from(name)))
        }
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<&str> for Name {
    type Error = NameError;
    fn try_from(s: &str) -> Result<Name, NameError> {
        Name::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_overlong_names_are_refused() {
        assert_eq!(Name::new(""), Err(NameError::Empty));
        let long = "x".repeat(MAX_NAME_BYTES + 1);
        assert_eq!(
            Name::new(&long),
            Err(NameError::TooLong(MAX_NAME_BYTES + 1))
        );
        assert_eq!(Name::new("node-1").unwrap().as_str(), "node-1");
    }
}
