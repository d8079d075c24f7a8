//! `--handler [KIND[:NAME]=]COMMAND`: which events a handler runs for, and what it runs.
//!
//! - `COMMAND` alone runs for every kind of event.
//! - `KIND=COMMAND` runs for one kind: `member-join`, `member-leave`, `member-failed`,
//!   `member-update`, `user` or `query`.
//! - `user:NAME=COMMAND` and `query:NAME=COMMAND` run only for user events (queries) called
//!   exactly `NAME`; a `NAME` ending in `*` matches every name that starts with what comes
//!   before the `*` (`user:deploy/*=...` runs for `deploy/web` and `deploy/db`).
//!
//! The text before the first `=` is read as `KIND[:NAME]` only when it is one of the kinds
//! (optionally followed by `:NAME`); otherwise the whole text is the command, so
//! `--handler 'LEVEL=debug ./log.sh'` runs `LEVEL=debug ./log.sh` for every event. A command
//! that starts with a kind and `=` itself can be written with an explicit kind in front of it.

use std::fmt;
use std::str::FromStr;

/// What happened, as a handler sees it (`HEARSAY_EVENT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A member came up (joined, restarted, came back from dead).
    MemberJoin,
    /// A member left gracefully.
    MemberLeave,
    /// A member was declared dead.
    MemberFailed,
    /// A member's address or metadata changed.
    MemberUpdate,
    /// A user event arrived.
    User,
    /// A query arrived; the handler's standard output is the response.
    Query,
}

impl Kind {
    /// Every kind, in the order help and errors list them.
    pub const ALL: [Kind; 6] = [
        Kind::MemberJoin,
        Kind::MemberLeave,
        Kind::MemberFailed,
        Kind::MemberUpdate,
        Kind::User,
        Kind::Query,
    ];

    /// The name in `--handler` and in `HEARSAY_EVENT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::MemberJoin => "member-join",
            Kind::MemberLeave => "member-leave",
            Kind::MemberFailed => "member-failed",
            Kind::MemberUpdate => "member-update",
            Kind::User => "user",
            Kind::Query => "query",
        }
    }

    /// Whether events of this kind have a name a handler can filter on.
    pub fn is_named(self) -> bool {
        matches!(self, Kind::User | Kind::Query)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = ();

    fn from_str(s: &str) -> Result<Kind, ()> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s).ok_or(())
    }
}

/// Which names of user events or queries a handler runs for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameFilter {
    /// Every name.
    Any,
    /// Exactly this name.
    Exact(String),
    /// Names starting with this (written `PREFIX*`).
    Prefix(String),
}

impl NameFilter {
    /// Whether `name` passes.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            NameFilter::Any => true,
            NameFilter::Exact(n) => n == name,
            NameFilter::Prefix(p) => name.starts_with(p.as_str()),
        }
    }
}

/// One `--handler`: the events it runs for and the shell command it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerSpec {
    /// The one kind it runs for, or `None` for every kind.
    pub kind: Option<Kind>,
    /// Which user event or query names it runs for (always [`NameFilter::Any`] without a
    /// named kind).
    pub name: NameFilter,
    /// The command, run as `sh -c COMMAND`.
    pub command: String,
}

impl HandlerSpec {
    /// Whether this handler runs for an event of `kind` called `name` (user events and
    /// queries have names; membership events have none).
    pub fn matches(&self, kind: Kind, name: Option<&str>) -> bool {
        if self.kind.is_some_and(|k| k != kind) {
            return false;
        }
        match name {
            Some(n) => self.name.matches(n),
            None => true,
        }
    }
}

/// Why a `--handler` cannot be used; the message shows the expected form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// Nothing to run.
    #[error("'{0}' has no command; write [KIND[:NAME]=]COMMAND, e.g. user:deploy=./deploy.sh")]
    NoCommand(String),
    /// A name filter on a membership kind.
    #[error("'{0}': only user and query handlers take a :NAME filter")]
    NameOnMemberKind(String),
    /// `user:` or `query:` with nothing after the colon, or a kind that is not one.
    #[error(
        "'{0}': write KIND or KIND:NAME before the '=', KIND one of member-join, member-leave, member-failed, member-update, user, query"
    )]
    BadPrefix(String),
}

impl FromStr for HandlerSpec {
    type Err = SpecError;

    fn from_str(text: &str) -> Result<HandlerSpec, SpecError> {
        let whole = || HandlerSpec {
            kind: None,
            name: NameFilter::Any,
            command: text.trim().to_owned(),
        };
        let spec = match text.split_once('=') {
            Some((prefix, command)) => match parse_prefix(prefix, text)? {
                Some((kind, name)) => HandlerSpec {
                    kind: Some(kind),
                    name,
                    command: command.trim().to_owned(),
                },
                None => whole(),
            },
            None => whole(),
        };
        if spec.command.is_empty() {
            return Err(SpecError::NoCommand(text.to_owned()));
        }
        Ok(spec)
    }
}

/// `KIND` or `KIND:NAME`; `None` when `prefix` does not start with a kind (the `=` is then
/// part of the command).
fn parse_prefix(prefix: &str, text: &str) -> Result<Option<(Kind, NameFilter)>, SpecError> {
    let (kind, name) = match prefix.split_once(':') {
        Some((k, n)) => (k, Some(n)),
        None => (prefix, None),
    };
    let Ok(kind) = kind.parse::<Kind>() else {
        return Ok(None);
    };
    let name = match name {
        None => NameFilter::Any,
        Some(_) if !kind.is_named() => return Err(SpecError::NameOnMemberKind(text.to_owned())),
        Some("" | "*") => return Err(SpecError::BadPrefix(text.to_owned())),
        Some(n) => match n.strip_suffix('*') {
            Some(p) => NameFilter::Prefix(p.to_owned()),
            None => NameFilter::Exact(n.to_owned()),
        },
    };
    Ok(Some((kind, name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> HandlerSpec {
        s.parse().unwrap()
    }

    #[test]
    fn a_bare_command_runs_for_every_kind() {
        let h = spec("./all.sh --verbose");
        assert_eq!(h.kind, None);
        assert_eq!(h.command, "./all.sh --verbose");
        for kind in Kind::ALL {
            assert!(h.matches(kind, None));
        }
        assert!(h.matches(Kind::User, Some("anything")));
    }

    #[test]
    fn a_kind_prefix_limits_the_handler_to_that_kind() {
        let h = spec("member-failed=./page-someone.sh");
        assert_eq!(h.kind, Some(Kind::MemberFailed));
        assert_eq!(h.command, "./page-someone.sh");
        assert!(h.matches(Kind::MemberFailed, None));
        assert!(!h.matches(Kind::MemberJoin, None));
        assert!(!h.matches(Kind::User, Some("x")));
    }

    #[test]
    fn a_name_is_exact_and_a_trailing_star_makes_it_a_prefix() {
        let exact = spec("user:deploy=./deploy.sh");
        assert!(exact.matches(Kind::User, Some("deploy")));
        assert!(!exact.matches(Kind::User, Some("deploy/web")));
        assert!(!exact.matches(Kind::Query, Some("deploy")));
        let prefix = spec("query:deploy/*=./status.sh");
        assert_eq!(prefix.name, NameFilter::Prefix("deploy/".into()));
        assert!(prefix.matches(Kind::Query, Some("deploy/web")));
        assert!(!prefix.matches(Kind::Query, Some("deployment")));
    }

    #[test]
    fn an_equals_sign_after_something_that_is_no_kind_belongs_to_the_command() {
        let h = spec("LEVEL=debug ./log.sh");
        assert_eq!(h.kind, None);
        assert_eq!(h.command, "LEVEL=debug ./log.sh");
        let h = spec("user=X=1 ./u.sh");
        assert_eq!(h.kind, Some(Kind::User));
        assert_eq!(h.command, "X=1 ./u.sh");
    }

    #[test]
    fn mistakes_say_what_to_write() {
        let e = "user=".parse::<HandlerSpec>().unwrap_err();
        assert!(matches!(e, SpecError::NoCommand(_)), "{e}");
        assert!(e.to_string().contains("[KIND[:NAME]=]COMMAND"));
        let e = "member-join:web=./x".parse::<HandlerSpec>().unwrap_err();
        assert!(e.to_string().contains("only user and query"), "{e}");
        let e = "query:=./x".parse::<HandlerSpec>().unwrap_err();
        assert!(e.to_string().contains("KIND:NAME"), "{e}");
        assert!(matches!(
            "  ".parse::<HandlerSpec>(),
            Err(SpecError::NoCommand(_))
        ));
    }
}
