//! Turning the API's values into short text for people: times, durations, metadata, causes,
//! and aligned tables.
//!
//! Times are shown in UTC: the agent and the reader may be in different zones, and the CLI
//! reads no time-zone database. Relative times ("12s ago") use this machine's clock.

use hearsay_agent::schema::{Cause, EventKind, Member, Via};

/// `HH:MM:SS.mmm` (UTC) of a Unix time in milliseconds: enough for a stream of events.
pub fn clock(unix_ms: u64) -> String {
    let ms_of_day = unix_ms % 86_400_000;
    let (h, rest) = (ms_of_day / 3_600_000, ms_of_day % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    format!("{h:02}:{m:02}:{:02}.{:03}", rest / 1000, rest % 1000)
}

/// `YYYY-MM-DD HH:MM:SS UTC` of a Unix time in milliseconds.
pub fn date_time(unix_ms: u64) -> String {
    let days = unix_ms / 86_400_000;
    let (y, mo, d) = civil_date(days);
    let secs_of_day = (unix_ms % 86_400_000) / 1000;
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60
    )
}

/// How long ago `then_ms` was at `now_ms` ("12s ago"); "just now" for times in the future
/// (clocks of the agent and this machine disagree a little).
pub fn ago(now_ms: u64, then_ms: u64) -> String {
    match now_ms.checked_sub(then_ms) {
        Some(d) if d >= 1000 => format!("{} ago", duration(d)),
        _ => "just now".to_owned(),
    }
}

/// A compact duration: `450ms`, `12s`, `3m12s`, `2h05m`, `3d04h`.
pub fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0 => format!("{ms}ms"),
        1..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A member's metadata on one line: `role=web zone=1`, `0x0162…` for bytes that are not
/// pairs, `-` when there is none.
pub fn meta(member: &Member) -> String {
    if let Some(hex) = &member.meta_hex {
        return format!("0x{hex}");
    }
    match &member.meta {
        Some(pairs) if !pairs.is_empty() => pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
        _ => "-".to_owned(),
    }
}

/// Why a change happened, in words: who accused, how many agreed, how the news came.
pub fn cause(kind: EventKind, cause: &Cause) -> String {
    let mut parts = Vec::new();
    if let Some(accuser) = &cause.accuser {
        parts.push(match kind {
            EventKind::Suspect | EventKind::Down => format!("accused by {accuser}"),
            EventKind::Left => format!("announced by {accuser}"),
            EventKind::Refuted | EventKind::Recovered => format!("refuted by {accuser}"),
            _ => format!("by {accuser}"),
        });
    }
    if cause.confirmations > 0 {
        let s = if cause.confirmations == 1 { "" } else { "s" };
        parts.push(format!("{} confirmation{s}", cause.confirmations));
    }
    parts.push(match (cause.via, cause.peer) {
        (Via::Local, _) if kind == EventKind::Down => "suspicion timed out here".to_owned(),
        (Via::Local, _) => "decided here".to_owned(),
        (Via::Gossip, Some(peer)) => format!("gossip from {peer}"),
        (Via::Sync, Some(peer)) => format!("sync with {peer}"),
        (Via::Gossip, None) => "gossip".to_owned(),
        (Via::Sync, None) => "sync".to_owned(),
    });
    if cause.local_health > 0 {
        parts.push(format!("local health {}", cause.local_health));
    }
    parts.join(", ")
}

/// Rows as text with every column left-aligned to its widest cell, two spaces apart; the
/// last column is not padded, so lines carry no trailing spaces.
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths[c] - cell.chars().count();
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (the usual era arithmetic:
/// 400-year eras of 146,097 days, years starting in March so that leap days come last).
fn civil_date(days_since_epoch: u64) -> (u64, u64, u64) {
    let z = days_since_epoch + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_date_read_utc() {
        // 2024-02-29 23:59:58.007 UTC, a leap day.
        let t = 1_709_251_198_007;
        assert_eq!(clock(t), "23:59:58.007");
        assert_eq!(date_time(t), "2024-02-29 23:59:58 UTC");
        assert_eq!(date_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(date_time(951_782_400_000), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn durations_are_compact_and_keep_two_units() {
        assert_eq!(duration(450), "450ms");
        assert_eq!(duration(12_300), "12s");
        assert_eq!(duration(192_000), "3m12s");
        assert_eq!(duration(7_500_000), "2h05m");
        assert_eq!(duration(273_600_000), "3d04h");
        assert_eq!(ago(10_000, 12_000), "just now");
        assert_eq!(ago(10_000, 4_000), "6s ago");
    }

    #[test]
    fn a_table_aligns_columns_without_trailing_spaces() {
        let rows = vec![
            vec!["NAME".into(), "STATE".into(), "META".into()],
            vec!["a-long-name".into(), "alive".into(), "-".into()],
            vec!["b".into(), "suspect".into(), "".into()],
        ];
        assert_eq!(
            table(&rows),
            "NAME         STATE    META\n\
             a-long-name  alive    -\n\
             b            suspect\n"
        );
    }

    #[test]
    fn a_cause_says_who_accused_and_how_the_news_came() {
        let c = Cause {
            via: Via::Gossip,
            peer: Some("127.0.0.1:7946".parse().unwrap()),
            accuser: Some("c".into()),
            confirmations: 2,
            local_health: 1,
        };
        assert_eq!(
            cause(EventKind::Suspect, &c),
            "accused by c, 2 confirmations, gossip from 127.0.0.1:7946, local health 1"
        );
        let local = Cause {
            via: Via::Local,
            peer: None,
            accuser: None,
            confirmations: 0,
            local_health: 0,
        };
        assert_eq!(cause(EventKind::Down, &local), "suspicion timed out here");
    }
}
