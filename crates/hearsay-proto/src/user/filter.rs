//! Which members a query addresses: names, and regular expressions over metadata pairs and
//! per-node state values.
//!
//! Metadata follows the runtime's `key=value` convention (pairs separated by newlines); a
//! member whose metadata is not in that form has no pairs. Per-node state is matched against
//! the member's own published values. Filters come from the network as often as from the
//! application, so they are bounded: at most [`MAX_FILTER_TERMS`] terms, each pattern at most
//! [`MAX_PATTERN_BYTES`], compiled with a size limit. An empty filter addresses everyone.

use regex::{Regex, RegexBuilder};

use crate::name::Name;

/// Most terms (names plus patterns) in one filter.
pub const MAX_FILTER_TERMS: usize = 64;
/// Longest pattern.
pub const MAX_PATTERN_BYTES: usize = 256;
/// Longest key in a pattern term.
pub const MAX_FILTER_KEY_BYTES: usize = 128;
/// Compiled size limit of one pattern (the regex crate's own measure).
const COMPILED_LIMIT: usize = 64 << 10;

/// Which members should answer a query. All terms must hold: the member is one of `nodes`
/// (when any are given), and every `meta` and `state` pattern matches that key's value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryFilter {
    /// Member names (any of them).
    pub nodes: Vec<Name>,
    /// `(key, pattern)`: the metadata value under `key` matches `pattern` (unanchored, as
    /// `grep` would; write `^...$` for a whole match).
    pub meta: Vec<(String, String)>,
    /// `(key, pattern)`: the member's per-node state value under `key` matches `pattern`.
    pub state: Vec<(String, String)>,
}

/// Why a filter cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// More than [`MAX_FILTER_TERMS`] terms.
    #[error("the filter has {0} terms; the limit is {MAX_FILTER_TERMS}")]
    TooManyTerms(usize),
    /// A key that is empty or too long.
    #[error("filter key '{0}' must be 1 to {MAX_FILTER_KEY_BYTES} bytes")]
    BadKey(String),
    /// A pattern that is too long or not a regular expression.
    #[error("filter pattern '{pattern}' is invalid: {reason}")]
    BadPattern {
        /// The pattern given.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl QueryFilter {
    /// Whether the filter addresses every member.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.meta.is_empty() && self.state.is_empty()
    }

    /// Checks the bounds and compiles the patterns.
    pub(crate) fn compile(&self) -> Result<Compiled, FilterError> {
        let terms = self.nodes.len() + self.meta.len() + self.state.len();
        if terms > MAX_FILTER_TERMS {
            return Err(FilterError::TooManyTerms(terms));
        }
        let compile = |pairs: &[(String, String)]| {
            pairs
                .iter()
                .map(|(k, p)| {
                    if k.is_empty() || k.len() > MAX_FILTER_KEY_BYTES {
                        return Err(FilterError::BadKey(k.clone()));
                    }
                    let bad = |reason: String| FilterError::BadPattern {
                        pattern: p.clone(),
                        reason,
                    };
                    if p.len() > MAX_PATTERN_BYTES {
                        return Err(bad(format!("longer than {MAX_PATTERN_BYTES} bytes")));
                    }
                    let re = RegexBuilder::new(p)
                        .size_limit(COMPILED_LIMIT)
                        .dfa_size_limit(COMPILED_LIMIT)
                        .build()
                        .map_err(|e| bad(first_line(&e.to_string())))?;
                    Ok((k.clone(), re))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Compiled {
            nodes: self.nodes.clone(),
            meta: compile(&self.meta)?,
            state: compile(&self.state)?,
        })
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_owned()
}

/// A checked filter, ready to test members against.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    nodes: Vec<Name>,
    meta: Vec<(String, Regex)>,
    state: Vec<(String, Regex)>,
}

impl Compiled {
    /// Whether the member `name`, with metadata `meta` and per-node state looked up by
    /// `state`, is addressed.
    pub fn matches<'a>(
        &self,
        name: &Name,
        meta: &[u8],
        state: impl Fn(&str) -> Option<&'a [u8]>,
    ) -> bool {
        if !self.nodes.is_empty() && !self.nodes.contains(name) {
            return false;
        }
        let meta_text = std::str::from_utf8(meta).unwrap_or("");
        let meta_ok = self.meta.iter().all(|(key, re)| {
            meta_text
                .lines()
                .filter_map(|l| l.split_once('='))
                .any(|(k, v)| k == key && re.is_match(v))
        });
        meta_ok
            && self.state.iter().all(|(key, re)| {
                state(key).is_some_and(|v| re.is_match(&String::from_utf8_lossy(v)))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::new(s).unwrap()
    }

    #[test]
    fn empty_matches_everyone() {
        let f = QueryFilter::default().compile().unwrap();
        assert!(f.matches(&name("a"), b"", |_| None));
    }

    #[test]
    fn all_terms_must_hold() {
        let f = QueryFilter {
            nodes: vec![name("a"), name("b")],
            meta: vec![("role".into(), "^web$".into())],
            state: vec![("shard".into(), "7".into())],
        }
        .compile()
        .unwrap();
        let shard7 = |k: &str| (k == "shard").then_some(&b"17"[..]);
        assert!(f.matches(&name("a"), b"dc=x\nrole=web", shard7));
        assert!(!f.matches(&name("c"), b"role=web", shard7), "not named");
        assert!(!f.matches(&name("a"), b"role=webby", shard7), "anchored");
        assert!(!f.matches(&name("a"), b"role=web", |_| None), "no state");
    }

    #[test]
    fn bad_patterns_and_sizes_are_refused_with_a_reason() {
        let err = QueryFilter {
            meta: vec![("role".into(), "(".into())],
            ..QueryFilter::default()
        }
        .compile()
        .unwrap_err();
        assert!(err.to_string().contains("'('"), "{err}");
        let huge = QueryFilter {
            meta: vec![("role".into(), "a{1000}{1000}".into())],
            ..QueryFilter::default()
        };
        assert!(huge.compile().is_err(), "compiled size is bounded");
        let many = QueryFilter {
            nodes: (0..65).map(|i| name(&format!("n{i}"))).collect(),
            ..QueryFilter::default()
        };
        assert_eq!(many.compile().unwrap_err(), FilterError::TooManyTerms(65));
    }
}
