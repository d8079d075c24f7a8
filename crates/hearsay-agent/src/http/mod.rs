//! The agent's HTTP API (axum): the router, and the handlers that answer from the node.
//!
//! The handlers keep no state of their own: each asks the node for a fresh snapshot, so the
//! API can never disagree with the node. The JSON shapes are in [`crate::schema`].
//!
//! Layers import downward only:
//!
//! | layer | files |
//! |---|---|
//! | router | `mod.rs`: mounts every handler module's routes on one `Shared` |
//! | handlers | `members.rs`, `kv.rs`, `state.rs`, `watch.rs`, `events.rs`, `user.rs` (user events and queries), [`metrics`] |
//! | helpers | `convert.rs` (snapshots to schema), `body.rs` (keys, values, raw answers), `feed.rs` (server-sent event streams), `query_params.rs` (the query string of `/v1/query`), `error.rs` |
//! | shared state | `shared.rs`: `Shared`, [`Control`], `Stopping` |

mod body;
mod convert;
mod error;
mod events;
mod feed;
mod kv;
mod members;
// Wired to its route once the engine's queries are on main (issue 12).
pub mod metrics;
#[allow(dead_code)]
mod query_params;
mod shared;
mod state;
mod store_metrics;
mod user;
mod watch;

use std::future::Future;

use axum::Router;
use axum::routing::get;
use tokio::sync::watch as signal;

pub use shared::Control;
use shared::{Shared, Stopping};

/// The API's routes, bound to `node`. Event streams opened through this router end only when
/// the node stops; [`serve`] also ends them when the server shuts down.
pub fn router(node: hearsay::Node, control: Control) -> Router {
    routes(node, control, Stopping::never())
}

/// Serves the API on `listener` until `shutdown` resolves. Open event streams are ended then
/// too, so that a connected `hearsay monitor` cannot hold the shutdown up.
pub async fn serve(
    listener: tokio::net::TcpListener,
    node: hearsay::Node,
    control: Control,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopping) = signal::channel(false);
    axum::serve(listener, routes(node, control, Stopping::on(stopping)))
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
        .await
}

fn routes(node: hearsay::Node, control: Control, stopping: Stopping) -> Router {
    let max_value_bytes = control.max_value_bytes();
    let max_event_bytes = control.max_event_bytes();
    Router::new()
        .merge(members::routes())
        .merge(kv::routes(max_value_bytes))
        .merge(state::routes(max_value_bytes))
        .merge(watch::routes())
        .merge(user::routes(max_event_bytes))
        .route("/v1/events", get(events::events))
        .route("/metrics", get(metrics::scrape))
        .fallback(error::unknown_route)
        .method_not_allowed_fallback(error::wrong_method)
        .with_state(Shared {
            node,
            control,
            stopping,
        })
}
