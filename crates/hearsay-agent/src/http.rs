//! The agent's HTTP API (axum).

use std::future::Future;
use std::sync::Arc;

use hearsay::Node;
use tokio::sync::Notify;

/// What the API needs from whoever runs the node: a way to say that `POST /v1/leave` has
/// completed, so the agent can exit.
#[derive(Debug, Clone, Default)]
pub struct Control {
    left: Arc<Notify>,
}

impl Control {
    /// A new control with nothing signalled.
    pub fn new() -> Control {
        Control::default()
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

/// The API's routes, bound to `node`.
pub fn router(node: Node, control: Control) -> axum::Router {
    let _ = (node, control);
    axum::Router::new()
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    node: Node,
    control: Control,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(node, control))
        .with_graceful_shutdown(shutdown)
        .await
}
