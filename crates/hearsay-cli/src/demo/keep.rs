//! `--keep-running`: after the summary, the cluster stays up and node 0 serves the agent's
//! HTTP API, so that `hearsay members` and `hearsay monitor` have something to talk to. On
//! Ctrl-C every node leaves gracefully and the demo exits 0.

use std::net::SocketAddr;

use hearsay::Node;
use hearsay_agent::http::{self, Control};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::cluster::Cluster;
use super::error::DemoError;

/// The address the client commands use when not told otherwise.
const CLIENT_DEFAULT: &str = "127.0.0.1:7947";

/// Binds the API's listener; done before the demo starts so that a taken port fails fast.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, DemoError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| DemoError::HttpBind { addr, source })
}

/// Serves node 0's API on `listener` until Ctrl-C (or until a leave is requested through the
/// API), then has every node leave and stop.
pub async fn serve_until_interrupted(
    cluster: Cluster,
    listener: TcpListener,
) -> Result<(), DemoError> {
    let seed_name = cluster.settings().name(0);
    let nodes = cluster.into_nodes();
    let Some(seed) = nodes.first().filter(|n| n.name() == seed_name).cloned() else {
        return Err(DemoError::NodeStopped { name: seed_name });
    };
    let addr = listener
        .local_addr()
        .map_err(|source| DemoError::HttpBind {
            addr: seed.local_addr(),
            source,
        })?;
    let flag = match addr.to_string().as_str() {
        CLIENT_DEFAULT => String::new(),
        other => format!(" --http-addr {other}"),
    };
    println!(
        "\n{} nodes keep running; {seed_name}'s HTTP API listens on http://{addr}\n\
         In another terminal:\n  \
         hearsay members{flag}    the cluster as {seed_name} sees it\n  \
         hearsay monitor{flag}    membership changes as they happen\n\
         Press Ctrl-C to have every node leave and exit.",
        nodes.len()
    );

    let control = Control::new();
    let (stop, stopped) = oneshot::channel::<()>();
    let api = tokio::spawn(http::serve(listener, seed, control.clone(), async {
        let _ = stopped.await;
    }));
    tokio::select! {
        _ = tokio::signal::ctrl_c() => println!("\ninterrupted: every node leaves"),
        () = control.left() => println!("\n{seed_name} left through the API: the others leave too"),
    }
    let _ = stop.send(());
    let _ = api.await;
    leave_all(nodes).await;
    println!("all nodes left; bye");
    Ok(())
}

/// Every node leaves at once (each waits until its news is out), then stops.
async fn leave_all(nodes: Vec<Node>) {
    let mut tasks = tokio::task::JoinSet::new();
    for node in nodes {
        tasks.spawn(async move {
            let _ = node.leave().await;
            node.shutdown().await;
        });
    }
    while tasks.join_next().await.is_some() {}
}
