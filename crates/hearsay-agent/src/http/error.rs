//! Error answers: every failure of the API is a JSON [`ErrorBody`] with a status code and a
//! message that says what was wrong and what to do.
//!
//! axum's own rejections (malformed JSON, a wrong method, an unknown route) answer in plain
//! text; the CLI and scripts would then need two parsers. The handlers take rejections as
//! values and turn them into [`ApiError`]s here instead.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hearsay::{CommandError, NodeError};

use crate::schema::{ENDPOINTS, ErrorBody};

/// A failed request: the status code and the message for the `error` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    /// Any status with its message.
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 400: the request itself was wrong.
    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 404: nothing by that name.
    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> ApiError {
        let status = match &e {
            NodeError::Closed => {
                return ApiError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    message: "the node has stopped; the agent is shutting down (start it again with 'hearsay agent')".into(),
                };
            }
            NodeError::Command(CommandError::BadKey { .. }) => StatusCode::BAD_REQUEST,
            NodeError::Command(
                CommandError::ValueTooLarge { .. }
                | CommandError::EventTooLarge { .. }
                | CommandError::TooLargeToFlood { .. },
            ) => StatusCode::PAYLOAD_TOO_LARGE,
            NodeError::Command(
                CommandError::BadEventName { .. }
                | CommandError::BadFilter(_)
                | CommandError::BadTimeout,
            ) => StatusCode::BAD_REQUEST,
            NodeError::Command(CommandError::TooManyQueries(_)) => StatusCode::TOO_MANY_REQUESTS,
            // The disk failed under the store: the write is not durable, and retrying here
            // will not help until the operator acts (the message says what to check).
            NodeError::Durable(_) => StatusCode::INTERNAL_SERVER_ERROR,
            // Applied and durable here, but not confirmed by enough members in time.
            NodeError::Replication { .. } => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::CONFLICT,
        };
        ApiError {
            status,
            message: format!("the node refused: {e}"),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        let message = match &r {
            JsonRejection::MissingJsonContentType(_) => {
                "the body must be JSON: send it with 'Content-Type: application/json'".to_owned()
            }
            _ => format!(
                "the body is not the JSON this endpoint expects ({}); send for example {{\"addrs\": [\"127.0.0.1:7946\"]}}",
                r.body_text()
            ),
        };
        ApiError {
            status: r.status(),
            message,
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::bad_request(format!(
            "cannot read the query string ({}); the only parameter is state=alive|suspect|dead|left",
            r.body_text()
        ))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> ApiError {
        ApiError::bad_request(format!(
            "cannot read the path ({}); use /v1/members/NAME",
            r.body_text()
        ))
    }
}

/// The answer for a route the API does not have: 404 with the list of those it has.
pub(crate) async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!(
        "no endpoint {method} {}; the API has: {}",
        uri.path(),
        ENDPOINTS.join(", ")
    ))
}

/// The answer for a known path asked with the wrong method: 405 naming the right ones.
pub(crate) async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: format!(
            "{} does not accept {method}; the API has: {}",
            uri.path(),
            ENDPOINTS.join(", ")
        ),
    }
}
