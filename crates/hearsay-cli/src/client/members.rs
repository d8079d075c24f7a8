//! `hearsay members` (a table of the cluster) and `hearsay member NAME` (one member and its
//! history, with the cause of each change).

use std::collections::HashMap;

use hearsay_agent::schema::{Change, MemberDetail, MemberSummary, State, StateItem};

use super::connection::{self, ClientError, Connection};
use super::{format, value};

/// `GET /v1/members[?state=]` as a table, or the API's JSON. Each of `keys` adds a column with
/// that key of the members' replicated state (from `GET /v1/state?all=true`).
pub fn list(
    conn: &Connection,
    state: Option<State>,
    keys: &[String],
    json: bool,
) -> Result<String, ClientError> {
    let path = match state {
        Some(s) => format!("/v1/members?state={s}"),
        None => "/v1/members".to_owned(),
    };
    if json {
        return conn.get_text(&path).map(|mut text| {
            text.push('\n');
            text
        });
    }
    let members: Vec<MemberSummary> = conn.get(&path)?;
    let state = if keys.is_empty() {
        Vec::new()
    } else {
        conn.get::<Vec<StateItem>>("/v1/state?all=true")?
    };
    Ok(table(&members, keys, &state, hearsay::unix_millis()))
}

/// `GET /v1/members/{name}` as text, or the API's JSON.
pub fn show(conn: &Connection, name: &str, json: bool) -> Result<String, ClientError> {
    let path = format!("/v1/members/{}", connection::escape(name));
    if json {
        return conn.get_text(&path).map(|mut text| {
            text.push('\n');
            text
        });
    }
    let detail: MemberDetail = conn.get(&path)?;
    Ok(detail_text(&detail, hearsay::unix_millis()))
}

/// The member table: a header and one aligned row per member.
///
/// `STARTED` is the age of the member's generation, which is its start time in Unix
/// milliseconds unless its agent had to pick a larger one; `SINCE` is how long it has been
/// in its current state. Then one column per state key asked for, headed by the key as
/// typed (keys are case-sensitive), `-` where a member has not set it.
fn table(members: &[MemberSummary], keys: &[String], state: &[StateItem], now_ms: u64) -> String {
    if members.is_empty() {
        return "no members in that state\n".to_owned();
    }
    let values: HashMap<(&str, &str), String> = state
        .iter()
        .map(|s| ((s.owner.as_str(), s.key.as_str()), value::preview(&s.value)))
        .collect();
    let mut header: Vec<String> = [
        "NAME", "ADDRESS", "STATE", "INC", "STARTED", "SINCE", "META",
    ]
    .map(String::from)
    .to_vec();
    header.extend(keys.iter().cloned());
    let mut rows = vec![header];
    for m in members {
        let m = &m.member;
        let mut row = vec![
            m.name.clone(),
            m.address.to_string(),
            m.state.to_string(),
            m.incarnation.to_string(),
            started(m.generation, now_ms),
            format::ago(now_ms, m.since_unix_ms),
            format::meta(m),
        ];
        row.extend(keys.iter().map(|k| {
            values
                .get(&(m.name.as_str(), k.as_str()))
                .cloned()
                .unwrap_or_else(|| "-".to_owned())
        }));
        rows.push(row);
    }
    format::table(&rows)
}

fn detail_text(d: &MemberDetail, now_ms: u64) -> String {
    let m = &d.member;
    let mut out = format::table(&[
        vec!["name".into(), m.name.clone()],
        vec!["address".into(), m.address.to_string()],
        vec![
            "state".into(),
            format!(
                "{} since {} ({})",
                m.state,
                format::date_time(m.since_unix_ms),
                format::ago(now_ms, m.since_unix_ms)
            ),
        ],
        vec!["incarnation".into(), m.incarnation.to_string()],
        vec![
            "generation".into(),
            format!(
                "{} (started {})",
                m.generation,
                started(m.generation, now_ms)
            ),
        ],
        vec!["meta".into(), format::meta(m)],
    ]);
    out.push('\n');
    if d.history.is_empty() {
        out.push_str("no recent changes recorded (older ones age out of the agent's history)\n");
        return out;
    }
    out.push_str("history, oldest first (UTC):\n");
    let rows: Vec<Vec<String>> = d.history.iter().map(history_row).collect();
    for line in format::table(&rows).lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn history_row(c: &Change) -> Vec<String> {
    vec![
        format::clock(c.at_unix_ms),
        c.kind.to_string(),
        format!("inc {}", c.incarnation),
        format::cause(c.kind, &c.cause),
    ]
}

/// The age of a generation that looks like a start time, else the number itself.
fn started(generation: u64, now_ms: u64) -> String {
    // Generations before 2001 or in the future were not taken from this era's clock.
    const PLAUSIBLE_SINCE_MS: u64 = 978_307_200_000;
    if (PLAUSIBLE_SINCE_MS..=now_ms).contains(&generation) {
        format::ago(now_ms, generation)
    } else {
        format!("gen {generation}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generation_that_is_no_start_time_is_shown_as_a_number() {
        let now = 1_700_000_060_000;
        assert_eq!(started(1_700_000_000_000, now), "1m00s ago");
        assert_eq!(started(7, now), "gen 7");
        assert_eq!(started(now + 1, now), "gen 1700000060001");
    }
}
