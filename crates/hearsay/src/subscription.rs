//! [`Subscription`]: a reader of one of a node's broadcasts that ends when the node does.

use tokio::sync::{broadcast, watch};

/// A subscription to one of a node's broadcasts (membership events, store changes). Items that
/// arrive while the subscriber is more than the broadcast's buffer behind are skipped and
/// counted in [`Subscription::missed`].
pub struct Subscription<T> {
    rx: broadcast::Receiver<T>,
    running: watch::Receiver<()>,
    missed: u64,
}

impl<T: Clone> Subscription<T> {
    /// Reads `rx` until it closes or until `running`'s sender (held by the node's task) is
    /// dropped, whichever comes first: the task may end while other handles keep the
    /// broadcast's sender alive.
    pub(crate) fn new(rx: broadcast::Receiver<T>, running: watch::Receiver<()>) -> Self {
        Subscription {
            rx,
            running,
            missed: 0,
        }
    }

    /// The next item; `None` once the node has shut down.
    pub async fn next(&mut self) -> Option<T> {
        loop {
            tokio::select! {
                r = self.rx.recv() => match r {
                    Ok(e) => return Some(e),
                    Err(broadcast::error::RecvError::Lagged(n)) => self.missed += n,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                // Only ever an error: the node's task dropped its end.
                _ = self.running.changed() => return None,
            }
        }
    }

    /// Items skipped because this subscriber fell behind.
    pub fn missed(&self) -> u64 {
        self.missed
    }
}
