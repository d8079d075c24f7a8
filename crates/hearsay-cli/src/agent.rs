//! `hearsay agent`: flags in, [`hearsay_agent::run`] out.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hearsay_agent::Settings;

/// Exit code for settings that make no sense (as clap uses for its own usage errors).
const USAGE: u8 = 2;

/// Run a node as a daemon: join a cluster, serve the HTTP API, leave gracefully on SIGINT or
/// SIGTERM (a second signal exits at once).
///
/// Every flag can also be set in the TOML file given with --config, under the same name with
/// `_` for `-` (for example `http_addr = "127.0.0.1:7947"`, and `[meta]` for metadata pairs).
/// Flags win over the file.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
hearsay agent --name a --bind 127.0.0.1:7946 --http-addr 127.0.0.1:7947\n  \
hearsay agent --name b --bind 127.0.0.1:7956 --http-addr 127.0.0.1:7957 --join 127.0.0.1:7946\n  \
hearsay agent --config /etc/hearsay/agent.toml --data-dir /var/lib/hearsay\n  \
hearsay agent --name a --handler 'member-failed=./page.sh' --handler 'query:load=cat /proc/loadavg'")]
pub struct AgentArgs {
    /// TOML file with any of the settings below.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Node name, unique in the cluster and stable across restarts [default: host name].
    #[arg(long)]
    name: Option<String>,
    /// Address for UDP and TCP (the same port; 0 picks one) [default: 0.0.0.0:7946].
    #[arg(long, value_name = "ADDR:PORT")]
    bind: Option<String>,
    /// Address other members reach this node at, if not the bound one (NAT, containers).
    #[arg(long, value_name = "ADDR:PORT")]
    advertise: Option<String>,
    /// A member to join through; repeatable; retried with backoff until one answers.
    #[arg(long, value_name = "HOST:PORT")]
    join: Vec<String>,
    /// Metadata published with this node; repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    meta: Vec<String>,
    /// Directory kept across restarts: generation, incarnation and last known members
    /// (state.json), and the cluster-wide key/value map (kv.redb).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Protocol timing: lan, wan or local [default: lan].
    #[arg(long, value_name = "PRESET")]
    preset: Option<String>,
    /// Expected cluster size, to size tables and timeouts [default: 64].
    #[arg(long, value_name = "N")]
    expected_members: Option<u32>,
    /// Address of the HTTP API; keep it off public interfaces [default: 127.0.0.1:7947].
    #[arg(long, value_name = "ADDR:PORT")]
    http_addr: Option<String>,
    /// Log filter, e.g. info, debug or hearsay=debug [default: RUST_LOG, else info].
    #[arg(long, value_name = "FILTER")]
    log_level: Option<String>,
    /// Log format: human or json [default: human].
    #[arg(long, value_name = "FORMAT")]
    log_format: Option<String>,
    /// Longest wait for a graceful leave to spread before exiting, at most 1h (3s, 500ms)
    /// [default: 3s].
    #[arg(long, value_name = "DURATION")]
    leave_timeout: Option<String>,
    /// Run COMMAND (through `sh -c`) on events; repeatable. KIND is one of member-join,
    /// member-leave, member-failed, member-update, user, query (none: every kind); NAME limits
    /// user and query handlers to that event or query name, or with a trailing `*` to names
    /// starting with it. The payload (or the member, one tab-separated line) is on stdin;
    /// HEARSAY_EVENT, HEARSAY_SELF_NAME and HEARSAY_USER_EVENT or HEARSAY_QUERY_NAME are set.
    /// A query handler's stdout is the response.
    #[arg(long, value_name = "[KIND[:NAME]=]COMMAND")]
    handler: Vec<String>,
    /// A handler still running after this long is killed (with its children) [default: 10s].
    #[arg(long, value_name = "DURATION")]
    handler_timeout: Option<String>,
    /// Handlers running at once, at most; the next wait their turn [default: 4].
    #[arg(long, value_name = "N")]
    handler_concurrency: Option<usize>,
    /// How user events and queries spread: tree (a broadcast tree, about one copy per member)
    /// or flood (gossip rounds, Serf's way) [default: tree].
    #[arg(long, value_name = "MODE")]
    event_mode: Option<String>,
    /// Largest user event or query payload (and query response), in bytes, at most 16 MiB
    /// [default: 1048576].
    #[arg(long, value_name = "BYTES")]
    max_event_bytes: Option<usize>,
}

/// Runs the agent until it leaves.
pub fn run(args: AgentArgs) -> ExitCode {
    match settings(args).and_then(|s| s.resolve().map_err(|e| e.to_string())) {
        Ok(options) => {
            if let Err(e) =
                hearsay_agent::logging::init(options.log_level.as_deref(), options.log_format)
            {
                return usage(&e);
            }
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(hearsay_agent::run(options)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(hearsay_agent::AgentError::Interrupted) => {
                    eprintln!("error: second signal: exited without finishing the leave");
                    ExitCode::from(130)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => usage(&e),
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(USAGE)
}

/// The flags over the config file, if one was given.
fn settings(args: AgentArgs) -> Result<Settings, String> {
    let mut meta = std::collections::BTreeMap::new();
    for pair in &args.meta {
        let (k, v) = hearsay::meta::parse_pair(pair).map_err(|e| format!("--meta: {e}"))?;
        meta.insert(k, v);
    }
    let flags = Settings {
        name: args.name,
        bind: args.bind,
        advertise: args.advertise,
        join: args.join,
        meta,
        data_dir: args.data_dir,
        preset: args.preset,
        expected_members: args.expected_members,
        http_addr: args.http_addr,
        log_level: args.log_level,
        log_format: args.log_format,
        leave_timeout: args.leave_timeout,
        handler: args.handler,
        handler_timeout: args.handler_timeout,
        handler_concurrency: args.handler_concurrency,
        event_mode: args.event_mode,
        max_event_bytes: args.max_event_bytes,
    };
    let file = match &args.config {
        Some(path) => Settings::from_file(path).map_err(|e| e.to_string())?,
        None => Settings::default(),
    };
    Ok(flags.over(file))
}
