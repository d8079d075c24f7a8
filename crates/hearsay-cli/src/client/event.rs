//! `hearsay event NAME [PAYLOAD]`: sends a user event to every member through an agent
//! (`POST /v1/event/{name}`).

use clap::Args;
use hearsay_agent::schema::EventSent;

use super::Target;
use super::connection::{ClientError, Connection, escape};
use super::value;

/// Help text for a `PAYLOAD|@FILE` argument.
pub const PAYLOAD_HELP: &str = "The payload: text as given, @FILE for a file's bytes, @- for \
standard input, @@TEXT for text that starts with @ [default: empty]";

/// `hearsay event NAME [PAYLOAD]`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
hearsay event deploy v1.2.3\n  \
hearsay event config/reload @app.toml\n  \
tar c conf | hearsay event bundle @-\n\n\
Every member receives it once (this one too); `hearsay monitor` and the agent's \
--handler user:NAME=COMMAND act on it.")]
pub struct EventArgs {
    /// The event's name: 1 to 128 bytes of UTF-8.
    name: String,
    #[arg(help = PAYLOAD_HELP, value_name = "PAYLOAD|@FILE")]
    payload: Option<String>,
    /// Print the API's JSON answer instead of a sentence.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: Target,
}

/// The path an event called `name` is posted to.
pub fn path(name: &str) -> String {
    format!("/v1/event/{}", escape(name))
}

/// Sends the event; what to print.
pub fn run(args: &EventArgs) -> Result<String, ClientError> {
    let payload = match &args.payload {
        Some(arg) => value::read(arg)?,
        None => Vec::new(),
    };
    let conn = Connection::new(&args.target.http_addr);
    let sent: EventSent = conn.post_bytes(&path(&args.name), &payload)?;
    if args.json {
        let json = serde_json::to_string(&sent).map_err(|e| ClientError::Local(e.to_string()))?;
        return Ok(format!("{json}\n"));
    }
    Ok(format!(
        "event '{}' sent: {} bytes, seq {} from {}\n",
        args.name,
        payload.len(),
        sent.id.seq,
        sent.id.origin
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_escaped_into_the_path() {
        assert_eq!(path("deploy"), "/v1/event/deploy");
        assert_eq!(path("app/reload now"), "/v1/event/app%2Freload%20now");
    }
}
