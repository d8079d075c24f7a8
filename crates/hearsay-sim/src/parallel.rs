//! Work over every node split across threads, where order cannot matter: handing out the
//! full membership at a preconverged start, and freeing the engines at the end.

use crate::node::Node;

/// Threads for embarrassingly parallel setup and teardown work.
pub(crate) fn worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// Frees the engines on several threads: at 10,000 nodes they hold 10^8 member records,
/// and freeing them one by one takes seconds.
pub(crate) fn drop_in_parallel<P: Send>(mut nodes: Vec<Node<P>>) {
    let per_thread = nodes.len().div_ceil(worker_threads()).max(1);
    std::thread::scope(|scope| {
        for chunk in nodes.chunks_mut(per_thread) {
            scope.spawn(move || {
                for node in chunk {
                    node.engine = None;
                }
            });
        }
    });
}
