//! Log output through `tracing`: the level from `--log-level`, else `RUST_LOG`, else `info`;
//! readable lines or JSON objects on stderr (stdout carries the agent's one ready line).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::options::LogFormat;

/// Installs the process's log subscriber. A second call (or a subscriber already installed by
/// the embedding program) is left alone.
pub fn init(level: Option<&str>, format: LogFormat) -> Result<(), String> {
    let filter = match level {
        Some(l) => EnvFilter::try_new(l).map_err(|e| {
            format!("--log-level: '{l}' is not a log filter ({e}); try info or hearsay=debug")
        })?,
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    Ok(())
}
