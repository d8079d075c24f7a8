//! What the map's and the state's endpoints share: the shape of their routes, keys taken from
//! the path, values taken from the body, values answered raw, and the errors for each.
//!
//! Keys travel in the path, percent-encoded, and may contain `/` (routes end in a `{*key}`
//! wildcard, which axum decodes). Values travel as the raw request or response body, with no
//! JSON around them, so that `curl --data-binary @file` and `curl -o file` just work.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any};

use super::error::ApiError;
use super::shared::Shared;
use crate::schema::Store;

/// Header on a raw answer of `GET /v1/kv/{key}`: the entry's stamp.
pub(crate) const STAMP_HEADER: &str = "x-hearsay-stamp";
/// Header on a raw answer: the member that wrote the entry (or owns the key).
pub(crate) const WRITER_HEADER: &str = "x-hearsay-writer";

/// A store's routes: `list` on its collection path (`/v1/kv`), `entry` on each key under it
/// (`/v1/kv/{*key}`), and an error naming the mistake for a key left empty (`/v1/kv/`).
/// Request bodies are limited to `max_value_bytes`.
pub(crate) fn routes(
    store: Store,
    list: MethodRouter<Shared>,
    entry: MethodRouter<Shared>,
    max_value_bytes: usize,
) -> Router<Shared> {
    let path = store.path();
    Router::new()
        .route(&path, list)
        .route(&format!("{path}/"), any(empty_key))
        .route(&format!("{path}/{{*key}}"), entry)
        .layer(DefaultBodyLimit::max(max_value_bytes))
}

/// The key from a `{*key}` route of `store`.
pub(crate) fn key(
    path: Result<Path<String>, PathRejection>,
    store: Store,
) -> Result<String, ApiError> {
    match path {
        Ok(Path(key)) => Ok(key),
        Err(r) => Err(ApiError::bad_request(format!(
            "cannot read the key from the path ({}); keys are 1 to 512 bytes of UTF-8, percent-encoded, e.g. {}/config%20file",
            r.body_text(),
            store.path()
        ))),
    }
}

/// The value from a request body no larger than `max_value_bytes`.
pub(crate) fn value(
    body: Result<Bytes, BytesRejection>,
    max_value_bytes: usize,
) -> Result<hearsay::Value, ApiError> {
    match body {
        Ok(bytes) => Ok(hearsay::Value::from(bytes.as_ref())),
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the value is over the limit of {max_value_bytes} bytes (max_value_bytes); store large data elsewhere and put a reference to it here"
            ),
        )),
        Err(r) => Err(ApiError::new(
            r.status(),
            format!("cannot read the request body ({})", r.body_text()),
        )),
    }
}

/// A query string that does not parse; `expected` lists the parameters the route takes.
pub(crate) fn bad_query(r: QueryRejection, expected: &str) -> ApiError {
    ApiError::bad_request(format!(
        "cannot read the query string ({}); this endpoint takes {expected}",
        r.body_text()
    ))
}

/// A value answered as its raw bytes, with `headers` (name, text) beside it. A header whose
/// text cannot be a header value (a control character in a member's name) is left out: the
/// JSON list carries the same facts.
pub(crate) fn raw(value: &[u8], headers: &[(&'static str, String)]) -> Response {
    let mut response = (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )],
        Bytes::copy_from_slice(value),
    )
        .into_response();
    for (name, text) in headers {
        if let Ok(v) = HeaderValue::from_bytes(text.as_bytes()) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), v);
        }
    }
    response
}

/// The answer for `/v1/kv/` and `/v1/state/` with nothing after the slash.
async fn empty_key(uri: Uri) -> ApiError {
    ApiError::bad_request(format!(
        "{} names no key; put the key after the slash, e.g. {}config/db (keys are 1 to 512 bytes of UTF-8)",
        uri.path(),
        uri.path()
    ))
}
