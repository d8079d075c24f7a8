//! Membership and the node itself: `/v1/members`, `/v1/members/{name}`, `/v1/join`,
//! `/v1/leave`, `/v1/health` and `/v1/info`.
//!
//! Every handler asks the node for a fresh snapshot and converts it (see `convert.rs`); the
//! API keeps no state of its own, so it can never disagree with the node.

use std::net::SocketAddr;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::convert;
use super::error::ApiError;
use super::shared::Shared;
use crate::schema;

/// The membership and node routes.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/members", get(members))
        .route("/v1/members/{name}", get(member))
        .route("/v1/join", post(join))
        .route("/v1/leave", post(leave))
        .route("/v1/health", get(health))
        .route("/v1/info", get(info))
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
) -> Result<Json<Vec<schema::MemberSummary>>, ApiError> {
    let Query(query) = query?;
    let wanted = match query.state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<schema::State>()
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
) -> Result<Json<schema::MemberDetail>, ApiError> {
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
    body: Result<Json<schema::JoinRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<schema::JoinResponse>), ApiError> {
    let Json(request) = body?;
    let seeds = parse_seeds(&request.addrs)?;
    let already_joined = shared.node.info().await?.joined;
    shared.node.join(&seeds).await?;
    tracing::info!(?seeds, "join requested through the API");
    Ok((
        StatusCode::ACCEPTED,
        Json(schema::JoinResponse {
            joining: seeds,
            already_joined,
        }),
    ))
}

/// `POST /v1/leave`: leaves gracefully, answers, and lets the agent exit.
async fn leave(State(shared): State<Shared>) -> Result<Json<schema::LeaveResponse>, ApiError> {
    shared.node.leave().await?;
    shared.control.notify_left();
    Ok(Json(schema::LeaveResponse {
        name: shared.node.name().to_owned(),
        left: true,
    }))
}

/// `GET /v1/health`: 200 while the node runs, 503 once it has stopped.
async fn health(State(shared): State<Shared>) -> Result<Json<schema::Health>, ApiError> {
    let info = shared.node.info().await?;
    Ok(Json(schema::Health {
        status: "ok".into(),
        name: shared.node.name().to_owned(),
        joined: info.joined,
        members_alive: info.states.alive,
        health_score: info.health_score,
    }))
}

/// `GET /v1/info`: the node itself and its counters.
async fn info(State(shared): State<Shared>) -> Result<Json<schema::Info>, ApiError> {
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
