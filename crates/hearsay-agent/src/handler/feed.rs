//! From the node's broadcasts to handler invocations: membership events, user events and
//! queries, each read by a task of its own that only converts and queues (see [`Runner`]), so
//! a slow handler never slows the node. Broadcasts a task does not need (no handler for any of
//! their kinds) are not subscribed to.

use std::sync::Arc;

use hearsay::{Event, EventKind, Lagged, MemberView, Node, Queries, Query, UserEvent, UserEvents};

use super::{Invocation, Kind, Responder, Runner};

/// Starts feeding `node`'s events to `runner`'s handlers; the tasks end with the node.
pub fn spawn_feed(node: &Node, runner: Runner) {
    let member_kinds = [
        Kind::MemberJoin,
        Kind::MemberLeave,
        Kind::MemberFailed,
        Kind::MemberUpdate,
    ];
    if member_kinds.iter().any(|k| runner.wants(*k)) {
        tokio::spawn(members(node.events(), runner.clone()));
    }
    if runner.wants(Kind::User) {
        tokio::spawn(user_events(node.subscribe(""), runner.clone()));
    }
    if runner.wants(Kind::Query) {
        tokio::spawn(queries(node.queries(""), runner));
    }
}

/// User events, one invocation each.
async fn user_events(mut events: UserEvents, runner: Runner) {
    while let Some(item) = events.next().await {
        match item {
            Ok(e) => {
                runner.offer(user_invocation(&e));
            }
            Err(Lagged(n)) => runner.stats.add_missed(n),
        }
    }
}

/// Queries asked of this node, one invocation each, answered by the first handler for it
/// that succeeds.
async fn queries(mut queries: Queries, runner: Runner) {
    while let Some(item) = queries.next().await {
        match item {
            Ok(q) => {
                runner.offer(query_invocation(q));
            }
            Err(Lagged(n)) => runner.stats.add_missed(n),
        }
    }
}

fn user_invocation(e: &UserEvent) -> Invocation {
    Invocation {
        kind: Kind::User,
        name: Some(e.name.clone()),
        env: vec![
            ("HEARSAY_USER_EVENT", e.name.clone()),
            ("HEARSAY_ORIGIN", e.id.origin.as_str().to_owned()),
        ],
        stdin: e.payload.clone(),
        respond: None,
    }
}

fn query_invocation(q: Query) -> Invocation {
    let name = q.name().to_owned();
    let env = vec![
        ("HEARSAY_QUERY_NAME", name.clone()),
        ("HEARSAY_ORIGIN", q.query().id.origin.as_str().to_owned()),
    ];
    let stdin = q.payload().clone();
    let respond: Responder = Box::new(move |output: Vec<u8>| {
        tokio::spawn(async move {
            let name = q.name().to_owned();
            if let Err(e) = q.respond(output).await {
                tracing::warn!(query = name, error = %e, "the handler's response was not sent");
            }
        });
    });
    Invocation {
        kind: Kind::Query,
        name: Some(name),
        env,
        stdin,
        respond: Some(respond),
    }
}

/// Membership events, one invocation each.
async fn members(mut events: hearsay::Events, runner: Runner) {
    let mut missed = 0;
    while let Some(e) = events.next().await {
        if events.missed() > missed {
            runner.stats.add_missed(events.missed() - missed);
            missed = events.missed();
        }
        if let Some(inv) = member_invocation(&e) {
            runner.offer(inv);
        }
    }
}

/// The invocation for a membership event, if handlers see its kind: up is `member-join`,
/// left `member-leave`, down `member-failed`, updated `member-update`. Suspicions, recoveries
/// and removals are the failure detector's inner workings and run no handler.
fn member_invocation(e: &Event) -> Option<Invocation> {
    let kind = match e.kind {
        EventKind::Up => Kind::MemberJoin,
        EventKind::Left => Kind::MemberLeave,
        EventKind::Down => Kind::MemberFailed,
        EventKind::Updated => Kind::MemberUpdate,
        _ => return None,
    };
    Some(Invocation {
        kind,
        name: None,
        env: Vec::new(),
        stdin: Arc::from(member_line(&e.member).into_bytes()),
        respond: None,
    })
}

/// `name\taddress\tstate\tmeta\n`: metadata as `key=value` pairs joined by `,` (`-` when
/// there are none), or `0x` and hex when the bytes are not pairs.
fn member_line(m: &MemberView) -> String {
    let meta = match hearsay::meta::decode(&m.meta) {
        Some(pairs) if pairs.is_empty() => "-".to_owned(),
        Some(pairs) => pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
        None => {
            let hex: String = m.meta.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{hex}")
        }
    };
    format!(
        "{}\t{}\t{}\t{meta}\n",
        m.name.as_str(),
        m.addr,
        m.state.as_str()
    )
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use hearsay::{Meta, Name, State};

    use super::*;

    #[allow(clippy::disallowed_methods)] // any instant will do
    fn member(meta: &[u8]) -> MemberView {
        MemberView {
            name: Name::new("web-1").unwrap(),
            addr: "10.0.0.5:7946".parse().unwrap(),
            generation: 1,
            incarnation: 0,
            state: State::Alive,
            meta: Meta::from(meta),
            since: Instant::now(),
        }
    }

    #[test]
    fn a_member_is_one_tab_separated_line() {
        assert_eq!(
            member_line(&member(b"role=web\nzone=1")),
            "web-1\t10.0.0.5:7946\talive\trole=web,zone=1\n"
        );
        assert_eq!(
            member_line(&member(b"")),
            "web-1\t10.0.0.5:7946\talive\t-\n"
        );
        assert_eq!(
            member_line(&member(&[0xff, 1])),
            "web-1\t10.0.0.5:7946\talive\t0xff01\n"
        );
    }
}
