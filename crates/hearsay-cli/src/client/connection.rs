//! Talking to an agent's HTTP API: requests, and errors a person can act on.
//!
//! Blocking (ureq): a command makes one or two requests and exits, so an async runtime would
//! be weight without benefit. Every failure becomes a [`ClientError`] whose message names the
//! agent's address and says what to do; the API's own error messages are passed through.

use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::time::Duration;

use hearsay_agent::schema::ErrorBody;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Time allowed to connect: an agent on this machine or nearby answers at once.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Time allowed for an answer; `POST /v1/leave` waits for the news to spread (3 s by default,
/// configurable on the agent), so this is generous.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest answer read: a value is at most 16 MiB, and a listing of a large map can be far
/// more than ureq's default of 10 MB.
const ANSWER_LIMIT_BYTES: u64 = 1 << 30;
/// Longest silence on an event stream before the agent is presumed gone. The agent sends a
/// keep-alive comment every 10 s.
const STREAM_SILENCE: Duration = Duration::from_secs(35);

/// Why a command could not get what it asked for.
#[derive(Debug)]
pub enum ClientError {
    /// Nothing answered at the address.
    Unreachable {
        /// The address tried.
        addr: String,
        /// What went wrong, in a few words (`connection refused`).
        reason: String,
    },
    /// The API answered with an error; the message says what to do.
    Api {
        /// The API's message.
        message: String,
    },
    /// Something on this side failed before anything was sent (a value file cannot be read).
    Local(String),
    /// The connection broke, or the answer was not what this CLI understands.
    Broken {
        /// The address of the agent.
        addr: String,
        /// What happened.
        what: String,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Unreachable { addr, reason } => write!(
                f,
                "no agent at {addr} ({reason}); start one with 'hearsay agent' or pass --http-addr"
            ),
            ClientError::Api { message } => f.write_str(message),
            ClientError::Local(message) => f.write_str(message),
            ClientError::Broken { addr, what } => write!(f, "the agent at {addr}: {what}"),
        }
    }
}

/// An agent's API at one address.
pub struct Connection {
    addr: String,
    agent: ureq::Agent,
}

impl Connection {
    /// A connection to the API at `addr` (`HOST:PORT`). Nothing is sent yet.
    pub fn new(addr: &str) -> Connection {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(ANSWER_TIMEOUT))
            .timeout_per_read(Some(STREAM_SILENCE))
            .build()
            .into();
        Connection {
            addr: addr.to_owned(),
            agent,
        }
    }

    /// `GET path`, the answer as `T`.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let answer = self.agent.get(self.url(path)).call();
        self.json(answer)
    }

    /// `GET path`, the answer as raw JSON text (for `--json`, printed as the API sent it).
    pub fn get_text(&self, path: &str) -> Result<String, ClientError> {
        let answer = self.agent.get(self.url(path)).call();
        let mut response = self.check(answer)?;
        response
            .body_mut()
            .with_config()
            .limit(ANSWER_LIMIT_BYTES)
            .read_to_string()
            .map_err(|e| self.unreadable(e))
    }

    /// `GET path`, the answer's raw bytes (a value).
    pub fn get_bytes(&self, path: &str) -> Result<Vec<u8>, ClientError> {
        let answer = self.agent.get(self.url(path)).call();
        let mut response = self.check(answer)?;
        response
            .body_mut()
            .with_config()
            .limit(ANSWER_LIMIT_BYTES)
            .read_to_vec()
            .map_err(|e| self.unreadable(e))
    }

    /// `PUT path` with `body` as raw bytes (a value), the answer as `T`.
    pub fn put_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &[u8],
    ) -> Result<T, ClientError> {
        let answer = self
            .agent
            .put(self.url(path))
            .header("content-type", "application/octet-stream")
            .send(body);
        self.json(answer)
    }

    /// `POST path` with `body` as raw bytes (a payload), the answer as `T`.
    pub fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &[u8],
    ) -> Result<T, ClientError> {
        let answer = self
            .agent
            .post(self.url(path))
            .header("content-type", "application/octet-stream")
            .send(body);
        self.json(answer)
    }

    /// `POST path` with `body` as raw bytes, the answer as a stream of lines (server-sent
    /// events), read as they arrive.
    pub fn post_lines(&self, path: &str, body: &[u8]) -> Result<Lines, ClientError> {
        let answer = self
            .agent
            .post(self.url(path))
            .header("content-type", "application/octet-stream")
            .header("accept", "text/event-stream")
            .send(body);
        self.streamed(answer)
    }

    /// `DELETE path`, the answer as `T`.
    pub fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let answer = self.agent.delete(self.url(path)).call();
        self.json(answer)
    }

    /// `POST path` with `body` as JSON, the answer as `T`.
    pub fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        let answer = self.agent.post(self.url(path)).send_json(body);
        self.json(answer)
    }

    /// `GET path` as a stream of lines (server-sent events), read as they arrive.
    pub fn lines(&self, path: &str) -> Result<Lines, ClientError> {
        let answer = self
            .agent
            .get(self.url(path))
            .header("accept", "text/event-stream")
            .call();
        self.streamed(answer)
    }

    fn streamed(
        &self,
        answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Lines, ClientError> {
        let response = self.check(answer)?;
        Ok(Lines {
            inner: BufReader::new(response.into_body().into_reader()).lines(),
            addr: self.addr.clone(),
        })
    }

    /// The address this connection talks to.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn json<T: DeserializeOwned>(
        &self,
        answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, ClientError> {
        let mut response = self.check(answer)?;
        response
            .body_mut()
            .with_config()
            .limit(ANSWER_LIMIT_BYTES)
            .read_json()
            .map_err(|e| self.unreadable(e))
    }

    /// The response if it is a success; otherwise the error to show.
    fn check(
        &self,
        answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<ureq::http::Response<ureq::Body>, ClientError> {
        let mut response = answer.map_err(|e| self.failed(e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let message = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => body.error,
            Err(_) => format!(
                "the agent at {} answered {status}: {}",
                self.addr,
                text.lines().next().unwrap_or("(no message)")
            ),
        };
        Err(ClientError::Api { message })
    }

    /// A request that got no answer: either nothing listens there, or it broke on the way.
    fn failed(&self, e: ureq::Error) -> ClientError {
        let unreachable = |reason: &str| ClientError::Unreachable {
            addr: self.addr.clone(),
            reason: reason.to_owned(),
        };
        match e {
            ureq::Error::Io(io) => match io.kind() {
                io::ErrorKind::ConnectionRefused => unreachable("connection refused"),
                io::ErrorKind::TimedOut => unreachable("timed out"),
                io::ErrorKind::AddrNotAvailable => unreachable("address not available"),
                io::ErrorKind::HostUnreachable => unreachable("host unreachable"),
                io::ErrorKind::NetworkUnreachable => unreachable("network unreachable"),
                _ => self.broken(format!("the request failed ({io})")),
            },
            ureq::Error::HostNotFound => unreachable("host not found"),
            ureq::Error::ConnectionFailed => unreachable("connection failed"),
            ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => unreachable(
                &format!("no connection within {} s", CONNECT_TIMEOUT.as_secs()),
            ),
            ureq::Error::Timeout(_) => {
                self.broken("no answer in time; is the agent overloaded or stuck?".into())
            }
            ureq::Error::BadUri(_) => {
                self.broken("not a usable address; pass --http-addr HOST:PORT".into())
            }
            other => self.broken(format!("the request failed ({other})")),
        }
    }

    /// An answer whose body could not be read or understood.
    fn unreadable(&self, e: ureq::Error) -> ClientError {
        match e {
            ureq::Error::Json(e) => self.broken(format!(
                "the answer is not what this CLI expects ({e}); are the agent and this CLI the same version?"
            )),
            other => self.broken(format!("the answer broke off ({other})")),
        }
    }

    fn broken(&self, what: String) -> ClientError {
        ClientError::Broken {
            addr: self.addr.clone(),
            what,
        }
    }
}

/// Percent-encodes what cannot appear raw in a path segment or a query value, so that any
/// name, key or prefix reaches the API as typed (`/` included: the API decodes it back).
pub fn escape(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED_KEPT).to_string()
}

/// Every byte but RFC 3986's unreserved characters (letters, digits, `-._~`) is escaped.
const UNRESERVED_KEPT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The lines of a streamed answer, as they arrive.
pub struct Lines {
    inner: io::Lines<BufReader<ureq::BodyReader<'static>>>,
    addr: String,
}

impl Iterator for Lines {
    type Item = Result<String, ClientError>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = self.inner.next()?;
        Some(line.map_err(|e| ClientError::Broken {
            addr: self.addr.clone(),
            what: match e.kind() {
                io::ErrorKind::TimedOut => format!(
                    "the event stream went silent for {} s; the agent may be gone",
                    STREAM_SILENCE.as_secs()
                ),
                _ => format!("the event stream broke ({e})"),
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusual_characters_are_escaped_for_paths_and_queries() {
        assert_eq!(escape("web-1.a_b~"), "web-1.a_b~");
        assert_eq!(escape("a b/c"), "a%20b%2Fc");
        assert_eq!(escape("é?&+"), "%C3%A9%3F%26%2B");
    }
}
