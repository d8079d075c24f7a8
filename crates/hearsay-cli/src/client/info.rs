//! `hearsay info`: the agent's own node, its health and its counters.

use hearsay_agent::schema::Info;

use super::connection::{ClientError, Connection};
use super::format;

/// `GET /v1/info` as text, or the API's JSON.
pub fn show(conn: &Connection, json: bool) -> Result<String, ClientError> {
    if json {
        return conn.get_text("/v1/info").map(|mut text| {
            text.push('\n');
            text
        });
    }
    let info: Info = conn.get("/v1/info")?;
    Ok(text(&info))
}

fn text(i: &Info) -> String {
    let e = &i.engine;
    let t = &i.transport;
    let local = &i.local;
    let s = &i.states;
    let health = match i.health_score {
        0 => "0 (healthy)".to_owned(),
        n => format!("{n} (this node doubts its own timeliness and probes more patiently)"),
    };
    let mut dropped: Vec<String> = e
        .dropped
        .iter()
        .map(|(reason, n)| (reason.as_str(), *n))
        .chain([
            ("stream_limit", t.stream_limit),
            ("stream_timeout", t.stream_timeouts),
            ("stream_oversized", t.stream_oversized),
            ("stream_truncated", t.stream_truncated),
            ("stream_malformed", t.stream_malformed),
        ])
        .filter(|(_, n)| *n > 0)
        .map(|(reason, n)| format!("{reason} {n}"))
        .collect();
    if dropped.is_empty() {
        dropped.push("none".into());
    }
    let rows = [
        ("node", format!("{} at {}", local.name, local.address)),
        ("bound", i.bound.to_string()),
        ("generation", local.generation.to_string()),
        ("incarnation", local.incarnation.to_string()),
        ("meta", format::meta(local)),
        ("joined", if i.joined { "yes" } else { "no" }.to_owned()),
        ("uptime", format::duration(i.uptime_ms)),
        ("health", health),
        (
            "members",
            format!(
                "{} alive, {} suspect, {} dead, {} left",
                s.alive, s.suspect, s.dead, s.left
            ),
        ),
        ("gossip backlog", i.gossip_backlog.to_string()),
        (
            "connections",
            format!(
                "{} accepted, {} dialed, {} dial failures",
                t.streams_accepted, t.streams_dialed, t.dial_failures
            ),
        ),
        ("dropped input", dropped.join(", ")),
    ];
    let mut rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(k, v)| vec![k.to_owned(), v])
        .collect();
    // Every engine counter, as the agent lists them (the metrics' names, without
    // `hearsay_` and `_total`).
    rows.extend(e.counters.iter().map(|(name, n)| {
        let value = if name.contains("bytes") {
            bytes(*n)
        } else {
            n.to_string()
        };
        vec![name.clone(), value]
    }));
    format::table(&rows)
}

/// Bytes with a binary unit: `512 B`, `4.1 KiB`, `3.0 MiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_in_binary_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(4200), "4.1 KiB");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MiB");
    }
}
