//! A blocking HTTP client for the agent's API (ureq, as the CLI uses), and async wrappers that
//! run it on a blocking thread: a test's runtime may have one thread, and the API it calls is
//! served on that same runtime.
//!
//! Every answer comes back as a [`Reply`], error statuses included, so tests assert on the
//! status; a call that gets no answer at all (refused, timed out) fails the test.

use std::io::{BufRead, BufReader, Lines};
use std::net::SocketAddr;

use serde_json::Value;
use ureq::BodyReader;
use ureq::http::HeaderMap;

use crate::PATIENCE;

/// Largest body read; values up to the API's limit (16 MiB) and their lists fit.
const MAX_BODY_BYTES: u64 = 64 << 20;

/// The methods the API takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `PUT`, with a body.
    Put,
    /// `POST`, with a body.
    Post,
    /// `DELETE`
    Delete,
}

/// An answer: status, headers and raw body.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as sent.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as text; fails the test if it is not UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("the body is UTF-8")
    }

    /// The body as JSON; fails the test, showing the body, if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The `error` message of a JSON error answer.
    pub fn error(&self) -> String {
        let json = self.json();
        json["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field: {json}"))
            .to_owned()
    }

    /// The value of header `name`, or `""` without one.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("a readable header"))
            .unwrap_or_default()
    }

    /// The `content-type` header, or `""` without one.
    pub fn content_type(&self) -> &str {
        self.header("content-type")
    }
}

/// `method path` on the API at `addr`, with `body` sent as `content_type` (when given), on this
/// thread. Gives up after [`PATIENCE`].
pub fn call(
    addr: SocketAddr,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Reply {
    let agent = client();
    let url = format!("http://{addr}{path}");
    let answer = match method {
        Method::Get => agent.get(&url).call(),
        Method::Delete => agent.delete(&url).call(),
        Method::Put => with_type(agent.put(&url), content_type).send(body),
        Method::Post => with_type(agent.post(&url), content_type).send(body),
    };
    let mut r = answer.unwrap_or_else(|e| panic!("{method:?} {url}: no answer: {e}"));
    Reply {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("{method:?} {url}: reading the body: {e}")),
    }
}

/// A stream of server-sent events (`/v1/events`, `/v1/watch/...`), read on this thread as
/// `(event name, data)` pairs; it ends when the server closes it.
pub struct EventStream {
    /// The response's `content-type`.
    pub content_type: String,
    lines: Lines<BufReader<BodyReader<'static>>>,
}

impl EventStream {
    /// Opens `GET path` on the API at `addr` and reads the comment the server opens every
    /// stream with, so that once this returns the server is sending. Gives up after
    /// [`PATIENCE`].
    pub fn open(addr: SocketAddr, path: &str) -> EventStream {
        let url = format!("http://{addr}{path}");
        let r = client()
            .get(&url)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: no answer: {e}"));
        assert_eq!(r.status(), 200, "GET {url}");
        let content_type = r.headers()["content-type"]
            .to_str()
            .expect("a readable content-type")
            .to_owned();
        let mut lines = BufReader::new(r.into_body().into_reader()).lines();
        let hello = lines
            .next()
            .expect("the stream opens with a line")
            .expect("reading the stream");
        assert!(hello.starts_with(':'), "opens with a comment: {hello}");
        EventStream {
            content_type,
            lines,
        }
    }
}

impl Iterator for EventStream {
    type Item = (String, Value);

    /// The next message: the last `event:` name seen and its `data:` as JSON.
    fn next(&mut self) -> Option<(String, Value)> {
        let mut name = String::new();
        for line in self.lines.by_ref() {
            let line = line.expect("reading the stream");
            if let Some(n) = line.strip_prefix("event: ") {
                name = n.to_owned();
            } else if let Some(data) = line.strip_prefix("data: ") {
                let data = serde_json::from_str(data)
                    .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {data}"));
                return Some((name, data));
            }
        }
        None
    }
}

/// `GET path`, off the runtime's threads.
pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    off_runtime(addr, Method::Get, path, None, b"").await
}

/// `PUT path` with `body`, off the runtime's threads.
pub async fn put(addr: SocketAddr, path: &str, body: impl AsRef<[u8]>) -> Reply {
    off_runtime(addr, Method::Put, path, None, body.as_ref()).await
}

/// `POST path` with `body` as `content_type`, off the runtime's threads.
pub async fn post(
    addr: SocketAddr,
    path: &str,
    content_type: &str,
    body: impl AsRef<[u8]>,
) -> Reply {
    off_runtime(addr, Method::Post, path, Some(content_type), body.as_ref()).await
}

/// `DELETE path`, off the runtime's threads.
pub async fn delete(addr: SocketAddr, path: &str) -> Reply {
    off_runtime(addr, Method::Delete, path, None, b"").await
}

/// [`call`] on a blocking thread.
async fn off_runtime(
    addr: SocketAddr,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Reply {
    let (path, content_type, body) = (
        path.to_owned(),
        content_type.map(str::to_owned),
        body.to_vec(),
    );
    tokio::task::spawn_blocking(move || call(addr, method, &path, content_type.as_deref(), &body))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// The client every call uses: error statuses are answers too, and nothing waits longer than
/// [`PATIENCE`].
fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(PATIENCE))
        .build()
        .into()
}

fn with_type(
    request: ureq::RequestBuilder<ureq::typestate::WithBody>,
    content_type: Option<&str>,
) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
    match content_type {
        Some(t) => request.header("content-type", t),
        None => request,
    }
}
