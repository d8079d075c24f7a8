//! The application's own messages: user events and queries.
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/event/{name}`, body = payload | 200 [`schema::EventSent`]; 413 over `max_event_bytes`, 400 for a bad name |
//! | `GET /v1/watch/event[?prefix=P]` | server-sent events: [`schema::UserEvent`]s named `event`, and `missed` |
//! | `POST /v1/query/{name}[?node=N&meta=K=RE&state=K=RE&timeout=D&relay_factor=K&ack=false]`, body = payload | server-sent events: [`schema::QueryAnswer`]s named `ack` and `response` as they arrive, then one [`schema::QueryDone`] named `done`, and the stream ends |
//!
//! Names are 1 to 128 bytes of UTF-8, percent-encoded in the path (`/` is allowed, as in keys).
//! A query is refused before its stream starts (400 for a bad filter or parameter, 429 when
//! this node has too many queries running), so a client either gets an error or the whole
//! answer stream. Its parameters are read by `query_params.rs`.

use std::convert::Infallible;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{any, get, post};
use futures_util::stream::{self, Stream, StreamExt as _};
use serde::Deserialize;

use super::body;
use super::convert;
use super::error::ApiError;
use super::feed::{Feed, KEEP_ALIVE_INTERVAL, Named, Tracked};
use super::query_params::QueryRequest;
use super::shared::Shared;
use crate::schema;

/// The routes; request bodies are limited to `max_event_bytes`.
pub(crate) fn routes(max_event_bytes: usize) -> Router<Shared> {
    Router::new()
        .route("/v1/event/{*name}", post(send_event))
        .route("/v1/event/", any(empty_name))
        .route("/v1/query/{*name}", post(query))
        .route("/v1/query/", any(empty_name))
        .route("/v1/watch/event", get(watch))
        .layer(DefaultBodyLimit::max(max_event_bytes))
}

impl Named for schema::UserEvent {
    fn name(&self) -> &str {
        "event"
    }
}

impl Named for schema::QueryAnswer {
    fn name(&self) -> &str {
        self.kind.as_str()
    }
}

impl Named for schema::QueryDone {
    fn name(&self) -> &str {
        "done"
    }
}

/// `POST /v1/event/{name}`: sends the body as the payload of a user event.
async fn send_event(
    State(shared): State<Shared>,
    name: Result<Path<String>, PathRejection>,
    payload: Result<Bytes, BytesRejection>,
) -> Result<Json<schema::EventSent>, ApiError> {
    let name = message_name(name, "event")?;
    let payload = payload_of(payload, shared.control.max_event_bytes())?;
    let id = shared.node.broadcast(&name, payload).await?;
    Ok(Json(schema::EventSent {
        id: convert::message_id(&id),
    }))
}

/// `?prefix=` of the watch.
#[derive(Debug, Deserialize)]
struct WatchQuery {
    prefix: Option<String>,
}

/// `GET /v1/watch/event`: user events under a prefix, live.
async fn watch(
    State(shared): State<Shared>,
    query: Result<Query<WatchQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(query) = query.map_err(|r| body::bad_query(r, "prefix=P"))?;
    let prefix = query.prefix.unwrap_or_default();
    let hello = format!(
        "hearsay user events under '{prefix}' from {}",
        shared.node.name()
    );
    // Subscribed before answering: every event after the response starts is delivered.
    let events = Tracked::new(shared.node.subscribe(&prefix));
    let node = shared.node.clone();
    let pick = move |e: hearsay::UserEvent| Some(convert::user_event(&node, &e));
    Ok(Feed::new(events, shared.stopping.clone(), pick).into_sse(hello))
}

/// `POST /v1/query/{name}`: asks the members the filter selects; answers stream back.
async fn query(
    State(shared): State<Shared>,
    name: Result<Path<String>, PathRejection>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
    payload: Result<Bytes, BytesRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let name = message_name(name, "query")?;
    let Query(pairs) = params.map_err(|r| body::bad_query(r, "node=N, meta=KEY=REGEX, ..."))?;
    let request = QueryRequest::parse(&pairs)?;
    let payload = payload_of(payload, shared.control.max_event_bytes())?;
    let timeout = request
        .timeout
        .unwrap_or(shared.control.default_query_timeout());
    let request_terms = [
        ("meta", request.meta.clone()),
        ("state", request.state.clone()),
    ];
    let mut params = hearsay::QueryParams::new(&name, payload, timeout);
    params.filter = hearsay::QueryFilter {
        nodes: request
            .nodes
            .iter()
            .map(|n| hearsay::Name::new(n))
            .collect::<Result<_, _>>()
            .map_err(|e| ApiError::bad_request(format!("node=: {e}")))?,
        meta: request.meta,
        state: request.state,
    };
    if let Some(k) = request.relay_factor {
        params.relay_factor = k;
    }
    params.want_acks = request.want_acks;
    let answers = match shared.node.query(params).await {
        Ok(a) => a,
        Err(hearsay::NodeError::Command(hearsay::CommandError::BadFilter(e))) => {
            return Err(ApiError::bad_request(filter_error(&e, &request_terms)));
        }
        Err(e) => return Err(e.into()),
    };
    let hello = format!(
        "hearsay query '{name}' (seq {}) from {}",
        answers.seq(),
        shared.node.name()
    );
    let stopping = shared.stopping.clone();
    let live = stream::unfold(Some(answers), move |answers| {
        let mut stopping = stopping.clone();
        async move {
            let mut answers = answers?;
            let item = tokio::select! {
                item = answers.next() => item?,
                () = stopping.wait() => return None,
            };
            let event = match item {
                hearsay::QueryItem::Reply(r) => sse(&convert::query_answer(&r)),
                hearsay::QueryItem::Done(s) => {
                    return Some((Ok(sse(&convert::query_done(&s))), None));
                }
            };
            Some((Ok(event), Some(answers)))
        }
    });
    let opening = Event::default().comment(hello);
    Ok(
        Sse::new(stream::iter([Ok(opening)]).chain(live)).keep_alive(
            KeepAlive::new()
                .interval(KEEP_ALIVE_INTERVAL)
                .text("keep-alive"),
        ),
    )
}

/// A filter the node refused, naming the parameter it came from.
fn filter_error(e: &hearsay::FilterError, terms: &[(&str, Vec<(String, String)>)]) -> String {
    let culprit = |matches: &dyn Fn(&(String, String)) -> bool| {
        terms.iter().find_map(|(param, pairs)| {
            pairs
                .iter()
                .find(|p| matches(p))
                .map(|(k, v)| format!("{param}={k}={v}"))
        })
    };
    let param = match e {
        hearsay::FilterError::BadPattern { pattern, .. } => culprit(&|(_, v)| v == pattern),
        hearsay::FilterError::BadKey(key) => culprit(&|(k, _)| k == key),
        _ => None,
    };
    let what = param.map_or_else(|| "the filter".to_owned(), |p| format!("'{p}'"));
    format!(
        "{what} cannot be used: {e}; patterns are regular expressions (for example meta=role=^web$)"
    )
}

/// One message as a server-sent event.
fn sse<T: Named>(message: &T) -> Event {
    match serde_json::to_string(message) {
        Ok(text) => Event::default().event(message.name()).data(text),
        // Our own plain structs always serialize; say so rather than drop silently.
        Err(e) => Event::default().comment(format!("message not serializable: {e}")),
    }
}

/// The event or query name from the path.
fn message_name(path: Result<Path<String>, PathRejection>, what: &str) -> Result<String, ApiError> {
    match path {
        Ok(Path(name)) => Ok(name),
        Err(r) => Err(ApiError::bad_request(format!(
            "cannot read the {what} name from the path ({}); names are 1 to 128 bytes of UTF-8, percent-encoded, e.g. /v1/{what}/deploy%2Fweb",
            r.body_text()
        ))),
    }
}

/// The payload from a request body no larger than `max_event_bytes`.
fn payload_of(
    body: Result<Bytes, BytesRejection>,
    max_event_bytes: usize,
) -> Result<hearsay::Payload, ApiError> {
    match body {
        Ok(bytes) => Ok(hearsay::Payload::from(bytes.as_ref())),
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the payload is over the limit of {max_event_bytes} bytes (max_event_bytes); send a reference to the data instead"
            ),
        )),
        Err(r) => Err(ApiError::new(
            r.status(),
            format!("cannot read the request body ({})", r.body_text()),
        )),
    }
}

/// `/v1/event/` and `/v1/query/` with nothing after the slash.
async fn empty_name(uri: Uri) -> ApiError {
    ApiError::bad_request(format!(
        "{} names nothing; put the name after the slash, e.g. {}deploy (names are 1 to 128 bytes of UTF-8)",
        uri.path(),
        uri.path()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_filter_names_the_parameter_it_came_from() {
        let terms = [
            ("meta", vec![("role".to_owned(), "^web$".to_owned())]),
            ("state", vec![("v".to_owned(), "(".to_owned())]),
        ];
        let e = hearsay::FilterError::BadPattern {
            pattern: "(".into(),
            reason: "unclosed group".into(),
        };
        let message = filter_error(&e, &terms);
        assert!(
            message.starts_with("'state=v=(' cannot be used: filter pattern '(' is invalid"),
            "{message}"
        );
        let message = filter_error(&hearsay::FilterError::TooManyTerms(65), &terms);
        assert!(
            message.starts_with("the filter cannot be used"),
            "{message}"
        );
    }
}
