//! The thin CLI: commands that talk to a running agent over its HTTP API.
//!
//! Each command makes a request or two with a blocking client, prints the answer for people
//! (or the API's JSON with `--json`) and exits: 0 on success, 1 when the agent cannot be
//! reached or refuses (the message says which and what to do), 2 for usage errors (clap).

mod connection;
mod event;
mod format;
mod info;
mod kv;
mod members;
mod monitor;
mod query;
mod sse;
mod state;
mod store;
mod value;

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use hearsay_agent::schema::{self, JoinRequest, JoinResponse, LeaveResponse};

use connection::{ClientError, Connection};

/// Commands that talk to a running agent.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Show the agent's view of the cluster: one line per member.
    Members(MembersArgs),
    /// Show one member and its recent history, with the cause of each change.
    Member(MemberArgs),
    /// Ask the agent to join a cluster through one or more of its members.
    Join(JoinArgs),
    /// Leave the cluster gracefully; the agent exits once the news has spread.
    Leave(LeaveArgs),
    /// Print membership events, user events and queries as they happen, one line each
    /// (Ctrl-C ends).
    Monitor(MonitorArgs),
    /// Send a user event to every member.
    Event(event::EventArgs),
    /// Ask members a question and print their answers as they arrive.
    Query(query::QueryArgs),
    /// Show the agent's own node, its health and its counters.
    Info(InfoArgs),
    /// Read and write the cluster-wide key/value map (any member writes any key).
    #[command(subcommand)]
    Kv(kv::KvCommand),
    /// Read and write the agent's own replicated state (keys only it writes), and read others'.
    #[command(subcommand)]
    State(state::StateCommand),
}

/// Where the agent's HTTP API is.
#[derive(Debug, Args)]
pub struct Target {
    /// Address of the agent's HTTP API (the agent's --http-addr).
    #[arg(
        long,
        value_name = "ADDR:PORT",
        env = "HEARSAY_HTTP_ADDR",
        default_value = "127.0.0.1:7947",
        value_parser = http_addr
    )]
    http_addr: String,
}

/// `hearsay members`.
#[derive(Debug, Args)]
#[command(
    after_help = "Columns: STARTED is the age of the member's current start (its \
generation), SINCE the time in its current state, INC its incarnation."
)]
pub struct MembersArgs {
    /// Only members in this state.
    #[arg(long, value_enum)]
    state: Option<StateArg>,
    /// Add a column for each of these keys of the members' replicated state (set with
    /// `hearsay state set`), e.g. --keys role,zone.
    #[arg(
        long,
        value_name = "KEY,...",
        value_delimiter = ',',
        conflicts_with = "json"
    )]
    keys: Vec<String>,
    /// Print the API's JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: Target,
}

/// `hearsay member NAME`.
#[derive(Debug, Args)]
pub struct MemberArgs {
    /// The member's name, as `hearsay members` shows it.
    name: String,
    /// Print the API's JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: Target,
}

/// `hearsay join ADDR...`.
#[derive(Debug, Args)]
pub struct JoinArgs {
    /// Gossip address of any cluster member (its --bind, not its HTTP address).
    #[arg(value_name = "ADDR:PORT", required = true)]
    addrs: Vec<SocketAddr>,
    #[command(flatten)]
    target: Target,
}

/// `hearsay leave`.
#[derive(Debug, Args)]
pub struct LeaveArgs {
    #[command(flatten)]
    target: Target,
}

/// `hearsay monitor`.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Print each event as one line of JSON, as the API sends it.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: Target,
}

/// `hearsay info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Print the API's JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: Target,
}

/// A member state, as `--state` takes it.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum StateArg {
    Alive,
    Suspect,
    Dead,
    Left,
}

impl From<StateArg> for schema::State {
    fn from(s: StateArg) -> schema::State {
        match s {
            StateArg::Alive => schema::State::Alive,
            StateArg::Suspect => schema::State::Suspect,
            StateArg::Dead => schema::State::Dead,
            StateArg::Left => schema::State::Left,
        }
    }
}

/// Runs one client command.
pub fn run(command: ClientCommand) -> ExitCode {
    let result = match command {
        ClientCommand::Kv(c) => return finish(kv::run(c)),
        ClientCommand::State(c) => return finish(state::run(c)),
        ClientCommand::Members(a) => members::list(
            &Connection::new(&a.target.http_addr),
            a.state.map(schema::State::from),
            &a.keys,
            a.json,
        ),
        ClientCommand::Member(a) => {
            members::show(&Connection::new(&a.target.http_addr), &a.name, a.json)
        }
        ClientCommand::Join(a) => join(&Connection::new(&a.target.http_addr), &a.addrs),
        ClientCommand::Leave(a) => leave(&Connection::new(&a.target.http_addr)),
        ClientCommand::Monitor(a) => {
            let conn = Connection::new(&a.target.http_addr);
            monitor::run(&conn, a.json, &mut std::io::stdout().lock()).map(|()| String::new())
        }
        ClientCommand::Info(a) => info::show(&Connection::new(&a.target.http_addr), a.json),
        ClientCommand::Event(a) => event::run(&a),
        ClientCommand::Query(a) => query::run(&a).map(|()| String::new()),
    };
    finish(result.map(String::into_bytes))
}

/// Prints what a command produced, or its error; the exit code.
fn finish(result: Result<Vec<u8>, ClientError>) -> ExitCode {
    match result {
        Ok(bytes) => {
            // A closed stdout (piped into `head`) is not worth an error.
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&bytes).and_then(|()| out.flush());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

fn join(conn: &Connection, addrs: &[SocketAddr]) -> Result<String, ClientError> {
    let request = JoinRequest {
        addrs: addrs.iter().map(ToString::to_string).collect(),
    };
    let answer: JoinResponse = conn.post("/v1/join", &request)?;
    let seeds = answer
        .joining
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let already = if answer.already_joined {
        "already in a cluster; also "
    } else {
        ""
    };
    Ok(format!(
        "{already}joining through {seeds}; the agent retries until one answers ('hearsay members' shows progress)\n"
    ))
}

fn leave(conn: &Connection) -> Result<String, ClientError> {
    let answer: LeaveResponse = conn.post("/v1/leave", &serde_json::json!({}))?;
    Ok(format!(
        "{} left the cluster; the agent is exiting\n",
        answer.name
    ))
}

/// `--http-addr`: `HOST:PORT`, checked here so that a typo is a usage error, not a failed
/// connection.
fn http_addr(s: &str) -> Result<String, String> {
    let port = s
        .rsplit_once(':')
        .map(|(host, port)| (host, port.parse::<u16>()));
    match port {
        Some((host, Ok(_))) if !host.is_empty() && !s.contains('/') => Ok(s.to_owned()),
        _ => Err("expected ADDR:PORT, e.g. 127.0.0.1:7947".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_addr_takes_host_and_port_only() {
        assert!(http_addr("127.0.0.1:7947").is_ok());
        assert!(http_addr("localhost:80").is_ok());
        assert!(http_addr("[::1]:7947").is_ok());
        assert!(http_addr("127.0.0.1").is_err());
        assert!(http_addr(":7947").is_err());
        assert!(http_addr("http://127.0.0.1:7947").is_err());
    }
}
