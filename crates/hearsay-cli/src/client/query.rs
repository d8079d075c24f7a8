//! `hearsay query NAME [PAYLOAD]`: asks the members a question through an agent
//! (`POST /v1/query/{name}`) and prints their answers as they arrive, then a summary line.

use std::io::Write;

use clap::Args;
use hearsay_agent::schema::{AnswerKind, QueryAnswer, QueryDone, ValueField};

use super::Target;
use super::connection::{ClientError, Connection, escape};
use super::event::PAYLOAD_HELP;
use super::sse::{Message, Parser};
use super::value;

/// `hearsay query NAME [PAYLOAD]`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
hearsay query load\n  \
hearsay query version --meta role=^web$ --timeout 2s\n  \
hearsay query restart now --node web-1 --node web-2 --no-ack\n\n\
Members answer with the output of their agent's --handler query:NAME=COMMAND; each answer is \
printed as it arrives, then one line saying how many responded and who did not.")]
pub struct QueryArgs {
    /// The query's name: 1 to 128 bytes of UTF-8.
    name: String,
    #[arg(help = PAYLOAD_HELP, value_name = "PAYLOAD|@FILE")]
    payload: Option<String>,
    /// Only this member; repeatable (any of them).
    #[arg(long = "node", value_name = "NAME")]
    nodes: Vec<String>,
    /// Only members whose metadata value for KEY matches the regular expression; repeatable
    /// (all must match).
    #[arg(long, value_name = "KEY=REGEX", value_parser = key_pattern)]
    meta: Vec<String>,
    /// Only members whose replicated state value for KEY matches the regular expression;
    /// repeatable (all must match).
    #[arg(long, value_name = "KEY=REGEX", value_parser = key_pattern)]
    state: Vec<String>,
    /// How long to wait for answers (5s, 500ms) [default: the agent's].
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
    /// Members each answer is also relayed through, for lossy networks [default: the agent's].
    #[arg(long, value_name = "K")]
    relay_factor: Option<u8>,
    /// Do not ask members to acknowledge receipt.
    #[arg(long)]
    no_ack: bool,
    /// Print each answer and the summary as one line of JSON, as the API sends them.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: Target,
}

/// Sends the query and prints its answers to standard output as they arrive.
pub fn run(args: &QueryArgs) -> Result<(), ClientError> {
    let payload = match &args.payload {
        Some(arg) => value::read(arg)?,
        None => Vec::new(),
    };
    let conn = Connection::new(&args.target.http_addr);
    let lines = conn.post_lines(&path(args), &payload)?;
    let mut out = std::io::stdout().lock();
    let mut parser = Parser::default();
    for line in lines {
        let Some(Message::Data { name, data }) = parser.line(&line?) else {
            continue;
        };
        let (text, done) = if args.json {
            (data, name == "done")
        } else {
            describe(&name, &data)
        };
        // A closed stdout (`| head`) ends the command quietly.
        if writeln!(out, "{text}").and_then(|()| out.flush()).is_err() || done {
            return Ok(());
        }
    }
    Err(ClientError::Broken {
        addr: conn.addr().to_owned(),
        what: "the answer stream ended before the query was done; the agent stopped or left".into(),
    })
}

/// The request path: the name and every filter and option, percent-encoded.
fn path(args: &QueryArgs) -> String {
    let mut params: Vec<String> = Vec::new();
    params.extend(args.nodes.iter().map(|n| format!("node={}", escape(n))));
    params.extend(args.meta.iter().map(|m| format!("meta={}", escape(m))));
    params.extend(args.state.iter().map(|s| format!("state={}", escape(s))));
    if let Some(t) = &args.timeout {
        params.push(format!("timeout={}", escape(t)));
    }
    if let Some(k) = args.relay_factor {
        params.push(format!("relay_factor={k}"));
    }
    if args.no_ack {
        params.push("ack=false".to_owned());
    }
    let mut path = format!("/v1/query/{}", escape(&args.name));
    if !params.is_empty() {
        path.push('?');
        path.push_str(&params.join("&"));
    }
    path
}

/// Text for one message, and whether it is the last.
fn describe(name: &str, data: &str) -> (String, bool) {
    match name {
        "ack" | "response" => match serde_json::from_str::<QueryAnswer>(data) {
            Ok(a) => (answer(&a), false),
            Err(_) => (format!("{name}: {data}"), false),
        },
        "done" => match serde_json::from_str::<QueryDone>(data) {
            Ok(d) => (summary(&d), true),
            Err(_) => (format!("done: {data}"), true),
        },
        // A message this CLI does not know yet: show it rather than hide it.
        _ => (format!("{name}: {data}"), false),
    }
}

/// `ack from b`, or `response from b: TEXT` (text over several lines starts on the next).
fn answer(a: &QueryAnswer) -> String {
    let relayed = if a.relayed { " (relayed)" } else { "" };
    match a.kind {
        AnswerKind::Ack => format!("ack from {}{relayed}", a.from),
        AnswerKind::Response => {
            let head = format!("response from {}{relayed}", a.from);
            match payload_text(&a.value) {
                Some(text) if text.contains('\n') => {
                    let indented: Vec<String> = text.lines().map(|l| format!("  {l}")).collect();
                    format!("{head}:\n{}", indented.join("\n"))
                }
                Some(text) => format!("{head}: {text}"),
                None => format!("{head}: {}", value::preview(&a.value)),
            }
        }
    }
}

/// A text payload without its final newline; `None` for bytes that are not text.
fn payload_text(v: &ValueField) -> Option<&str> {
    v.value
        .as_deref()
        .map(|t| t.strip_suffix('\n').unwrap_or(t))
}

/// `2 of 3 members responded in 5.00 s (3 acknowledged); no response from c`.
fn summary(d: &QueryDone) -> String {
    let noun = if d.expected == 1 { "member" } else { "members" };
    let mut line = format!(
        "{} of {} {noun} responded in {:.2} s",
        d.responses,
        d.expected,
        d.elapsed_ms as f64 / 1000.0
    );
    if d.acks > 0 {
        line.push_str(&format!(" ({} acknowledged)", d.acks));
    }
    if !d.missing.is_empty() {
        line.push_str(&format!("; no response from {}", d.missing.join(", ")));
    }
    if d.departed > 0 {
        line.push_str(&format!("; {} left or failed while it ran", d.departed));
    }
    if d.timed_out {
        line.push_str(" (timed out)");
    }
    line
}

/// `--meta` and `--state`: `KEY=REGEX` with a key.
fn key_pattern(s: &str) -> Result<String, String> {
    match s.split_once('=') {
        Some((k, _)) if !k.is_empty() => Ok(s.to_owned()),
        _ => Err("expected KEY=REGEX, e.g. role=^web$".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        query: QueryArgs,
    }

    fn args(argv: &[&str]) -> QueryArgs {
        let mut all = vec!["query"];
        all.extend(argv);
        Cli::try_parse_from(all).unwrap().query
    }

    #[test]
    fn filters_and_options_become_the_query_string() {
        assert_eq!(path(&args(&["load"])), "/v1/query/load");
        let a = args(&[
            "app/version",
            "x",
            "--node",
            "web-1",
            "--node",
            "web 2",
            "--meta",
            "role=^web$",
            "--state",
            "v=1.*",
            "--timeout",
            "2s",
            "--relay-factor",
            "2",
            "--no-ack",
        ]);
        assert_eq!(a.payload.as_deref(), Some("x"));
        assert_eq!(
            path(&a),
            "/v1/query/app%2Fversion?node=web-1&node=web%202&meta=role%3D%5Eweb%24\
             &state=v%3D1.%2A&timeout=2s&relay_factor=2&ack=false"
        );
    }

    #[test]
    fn a_filter_without_a_key_is_a_usage_error() {
        let mut argv = vec!["query", "q", "--meta", "role"];
        assert!(Cli::try_parse_from(&argv).is_err());
        argv[3] = "=x";
        assert!(Cli::try_parse_from(&argv).is_err());
    }

    #[test]
    fn answers_print_one_line_each_and_the_summary_names_who_is_missing() {
        let (ack, done) = describe("ack", r#"{"kind":"ack","from":"b","relayed":false}"#);
        assert_eq!((ack.as_str(), done), ("ack from b", false));
        let (r, _) = describe(
            "response",
            r#"{"kind":"response","from":"c","relayed":true,"value":"0.42\n"}"#,
        );
        assert_eq!(r, "response from c (relayed): 0.42");
        let (r, _) = describe(
            "response",
            r#"{"kind":"response","from":"c","relayed":false,"value":"a\nb\n"}"#,
        );
        assert_eq!(r, "response from c:\n  a\n  b");
        let (s, done) = describe(
            "done",
            r#"{"kind":"done","query":4,"expected":3,"acks":3,"responses":3,"missing":[],
                "departed":0,"timed_out":false,"elapsed_ms":120}"#,
        );
        assert!(done);
        assert_eq!(s, "3 of 3 members responded in 0.12 s (3 acknowledged)");
        let (s, _) = describe(
            "done",
            r#"{"kind":"done","query":5,"expected":3,"acks":0,"responses":1,
                "missing":["b","c"],"departed":1,"timed_out":true,"elapsed_ms":5000}"#,
        );
        assert_eq!(
            s,
            "1 of 3 members responded in 5.00 s; no response from b, c; 1 left or failed while it ran (timed out)"
        );
    }
}
