//! The agent's HTTP API (axum): routes, and the handlers that answer from the node.
//!
//! Every handler asks the node for a fresh snapshot and converts it (see `convert.rs`); the
//! API keeps no state of its own, so it can never disagree with the node. The JSON shapes
//! are in [`crate::api`], the event stream in `sse.rs`, metrics in [`crate::metrics`], the
//! replicated stores in `kv_api.rs`, `state_api.rs` and `watch.rs`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use hearsay::Node;
use serde::Deserialize;
use tokio::sync::{Notify, watch};

use crate::api;
use crate::convert;
use crate::error::{self, ApiError};
use crate::sse::{self, Stopping};

/// What the API needs from whoever runs the node: the node's value size limit, and a way to
/// say that `POST /v1/leave` has completed, so the agent can exit.
#[derive(Debug, Clone)]
pub struct Control {
    left: Arc<Notify>,
    max_value_bytes: usize,
}

impl Default for Control {
    fn default() -> Control {
        Control {
            left: Arc::default(),
            max_value_bytes: hearsay::Config::lan(1).max_value_bytes,
        }
    }
}

impl Control {
    /// A new control with nothing signalled, for a node with the protocol's default value
    /// size limit (1 MiB).
    pub fn new() -> Control {
        Control::default()
    }

    /// The same, for a node whose `max_value_bytes` is `limit`: larger request bodies of the
    /// store endpoints are refused (413) before they are read whole.
    pub fn with_max_value_bytes(self, limit: usize) -> Control {
        Control {
            max_value_bytes: limit,
            ..self
        }
    }

    /// The largest value the API accepts.
    pub fn max_value_bytes(&self) -> usize {
        self.max_value_bytes
    }

    /// Resolves once a leave requested through the API has completed.
    pub async fn left(&self) {
        self.left.notified().await;
    }

    /// Signals that a leave requested through the API has completed.
    pub fn notify_left(&self) {
        self.left.notify_one();
    }
}

/// The API's routes, bound to `node`. Event streams opened through this router end only when
/// the node stops; [`serve`] also ends them when the server shuts down.
pub fn router(node: Node, control: Control) -> Router {
    routes(node, control, Stopping::never())
}

/// Serves the API on `listener` until `shutdown` resolves. Open event streams are ended then
/// too, so that a connected `hearsay monitor` cannot hold the shutdown up.
pub async fn serve(
    listener: tokio::net::TcpListener,
    node: Node,
    control: Control,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopping) = watch::channel(false);
    axum::serve(listener, routes(node, control, Stopping::on(stopping)))
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await
}

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) node: Node,
    pub(crate) control: Control,
    pub(crate) stopping: Stopping,
}

fn routes(node: Node, control: Control, stopping: Stopping) -> Router {
    let max_value_bytes = control.max_value_bytes();
    Router::new()
        .merge(crate::kv_api::routes(max_value_bytes))
        .merge(crate::state_api::routes(max_value_bytes))
        .route("/v1/watch/kv", get(crate::watch::kv))
        .route("/v1/watch/state", get(crate::watch::state))
        .route("/v1/members", get(members))
        .route("/v1/members/{name}", get(member))
        .route("/v1/join", post(join))
        .route("/v1/leave", post(leave))
        .route("/v1/events", get(sse::events))
        .route("/v1/health", get(health))
        .route("/v1/info", get(info))
        .route("/metrics", get(crate::metrics::scrape))
        .fallback(error::unknown_route)
        .method_not_allowed_fallback(error::wrong_method)
        .with_state(Shared {
            node,
            control,
            stopping,
        })
}

/// `?state=` of `GET /v1/members`, kept as text so that a wrong value gets our message.
#[derive(Debug, Deserialize)]
struct MembersQuery {
    state: Option<String>,
}

/// `GET /v1/members[?state=...]`: every member the node knows, sorted by name.
async fn members(
    State(shared): State<Shared>,
    query: Result<Query<MembersQuery>, QueryRejection>,
) -> Result<Json<Vec<api::MemberSummary>>, ApiError> {
    let Query(query) = query?;
    let wanted = match query.state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<api::State>()
                .map_err(|e| ApiError::bad_request(format!("?state=: {e}")))?,
        ),
    };
    let node = &shared.node;
    let list = node
        .members()
        .await?
        .iter()
        .filter(|m| wanted.is_none_or(|w| convert::state(m.member.state) == w))
        .map(|m| convert::summary(node, m))
        .collect();
    Ok(Json(list))
}

/// `GET /v1/members/{name}`: one member and its recent history.
async fn member(
    State(shared): State<Shared>,
    name: Result<Path<String>, PathRejection>,
) -> Result<Json<api::MemberDetail>, ApiError> {
    let Path(name) = name?;
    match shared.node.member(&name).await? {
        Some(detail) => Ok(Json(convert::detail(&shared.node, &detail))),
        None => Err(ApiError::not_found(format!(
            "no member named '{name}'; `hearsay members` lists them"
        ))),
    }
}

/// `POST /v1/join`: starts joining through the given members and answers at once.
async fn join(
    State(shared): State<Shared>,
    body: Result<Json<api::JoinRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<api::JoinResponse>), ApiError> {
    let Json(request) = body?;
    let seeds = parse_seeds(&request.addrs)?;
    let already_joined = shared.node.info().await?.joined;
    shared.node.join(&seeds).await?;
    tracing::info!(?seeds, "join requested through the API");
    Ok((
        StatusCode::ACCEPTED,
        Json(api::JoinResponse {
            joining: seeds,
            already_joined,
        }),
    ))
}

/// `POST /v1/leave`: leaves gracefully, answers, and lets the agent exit.
async fn leave(State(shared): State<Shared>) -> Result<Json<api::LeaveResponse>, ApiError> {
    shared.node.leave().await?;
    shared.control.notify_left();
    Ok(Json(api::LeaveResponse {
        name: shared.node.name().to_owned(),
        left: true,
    }))
}

/// `GET /v1/health`: 200 while the node runs, 503 once it has stopped.
async fn health(State(shared): State<Shared>) -> Result<Json<api::Health>, ApiError> {
    let info = shared.node.info().await?;
    Ok(Json(api::Health {
        status: "ok".into(),
        name: shared.node.name().to_owned(),
        joined: info.joined,
        members_alive: info.states.alive,
        health_score: info.health_score,
    }))
}

/// `GET /v1/info`: the node itself and its counters.
async fn info(State(shared): State<Shared>) -> Result<Json<api::Info>, ApiError> {
    let info = shared.node.info().await?;
    Ok(Json(convert::info(&shared.node, &info)))
}

/// The addresses of a join request, or a 400 naming the first that is not `IP:PORT`.
fn parse_seeds(addrs: &[String]) -> Result<Vec<SocketAddr>, ApiError> {
    if addrs.is_empty() {
        return Err(ApiError::bad_request(
            "no addresses to join through; send {\"addrs\": [\"ADDR:PORT\", ...]} with the gossip address of any member",
        ));
    }
    addrs
        .iter()
        .map(|a| {
            a.trim().parse::<SocketAddr>().map_err(|_| {
                ApiError::bad_request(format!(
                    "'{a}' is not an address; use the form ADDR:PORT with an IP address, e.g. 127.0.0.1:7946"
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_and_the_first_bad_one_is_named() {
        let ok = parse_seeds(&["127.0.0.1:7946".into(), " [::1]:1 ".into()]).unwrap();
        assert_eq!(ok.len(), 2);
        let err = parse_seeds(&["127.0.0.1:7946".into(), "nohost".into()]).unwrap_err();
        assert!(format!("{err:?}").contains("'nohost'"), "{err:?}");
        assert!(parse_seeds(&[]).is_err());
    }
}
