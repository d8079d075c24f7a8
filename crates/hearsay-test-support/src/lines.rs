//! A child process's output, line by line, as it comes.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc;

/// The lines of `from`, sent as they are read by a thread of their own, so a test can wait
/// for a line with [`mpsc::Receiver::recv_timeout`] instead of blocking on the pipe. The
/// channel closes when `from` ends or fails.
pub fn read_lines(from: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}
