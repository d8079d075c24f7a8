//! Stream messages over TCP: framing, limits and the connection tasks.
//!
//! A connection carries one exchange: the dialer writes two frames (each a 4-byte big-endian
//! length and the bytes): a header with its own advertised address as text, then the engine's
//! stream message; the listener answers with at most one frame, then both close. A multi-step
//! exchange (anti-entropy) uses one connection per step; the engine keeps the conversation's
//! state, not the socket.
//!
//! The header is why the engine sees a stream as coming from the member's address rather
//! than from an ephemeral port, so events name the peer a person can look up. It is a claim,
//! not a proof: it only labels the exchange (the answer goes back on the same connection
//! whatever it says), and authenticating it is the job of the keyring (a later issue).
//!
//! A peer cannot stall the node or grow its memory without bound: every read has the stream
//! timeout, a frame's announced length is checked against `max_stream_bytes` before anything
//! is read, the buffer grows only as bytes actually arrive, and at most `max_inbound_streams`
//! connections are served at once (more are closed at once). Each of these is counted.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};
use tokio::time::timeout;

use crate::counters::{Counters, bump};

/// Longest header accepted: an address as text (`[v6%scope]:port` fits).
const MAX_HEADER_BYTES: usize = 128;

/// Limits that apply to every stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamLimits {
    /// Largest frame accepted or sent.
    pub max_bytes: usize,
    /// Time allowed for a whole frame to arrive, and for the reply to be produced and written.
    pub timeout: Duration,
    /// Time allowed to connect.
    pub connect_timeout: Duration,
}

/// A frame received on an inbound connection, for the driver to hand to the engine. The
/// engine's answer to `from` goes back through `reply`; dropping `reply` closes the
/// connection without an answer.
pub(crate) struct Inbound {
    pub from: SocketAddr,
    pub bytes: Vec<u8>,
    pub reply: oneshot::Sender<Vec<u8>>,
}

/// The answer to a frame this node sent, for the driver to hand to the engine.
pub(crate) struct Answer {
    pub from: SocketAddr,
    pub bytes: Vec<u8>,
}

/// Why a frame could not be read.
#[derive(Debug)]
pub(crate) enum FrameError {
    /// The announced length is over the limit.
    Oversized,
    /// The peer closed mid-frame.
    Truncated,
    /// The header is not an address.
    Malformed,
    /// The socket failed.
    Io,
}

/// Reads one frame. `Ok(None)` when the peer closed before sending anything.
pub(crate) async fn read_frame<R: AsyncRead + Unpin>(
    r: &mut R,
    max_bytes: usize,
) -> Result<Option<Vec<u8>>, FrameError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < len.len() {
        match r.read(&mut len[got..]).await {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(FrameError::Truncated),
            Ok(n) => got += n,
            Err(_) => return Err(FrameError::Io),
        }
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > max_bytes {
        return Err(FrameError::Oversized);
    }
    // Grow with what arrives, not with what is announced.
    let mut bytes = Vec::with_capacity(len.min(64 << 10));
    match r.take(len as u64).read_to_end(&mut bytes).await {
        Ok(n) if n == len => Ok(Some(bytes)),
        Ok(_) => Err(FrameError::Truncated),
        Err(_) => Err(FrameError::Io),
    }
}

/// Writes one frame.
pub(crate) async fn write_frame<W: AsyncWrite + Unpin>(w: &mut W, bytes: &[u8]) -> io::Result<()> {
    let len = u32::try_from(bytes.len()).map_err(|_| io::Error::other("frame over 4 GiB"))?;
    w.write_all(&len.to_be_bytes()).await?;
    w.write_all(bytes).await?;
    w.flush().await
}

/// Serves one inbound connection: one frame in, at most one frame out.
pub(crate) async fn serve(
    mut socket: TcpStream,
    peer: SocketAddr,
    _permit: OwnedSemaphorePermit,
    inbound: mpsc::Sender<Inbound>,
    limits: StreamLimits,
    counters: Arc<Counters>,
) {
    let request = async {
        let header = read_frame(&mut socket, MAX_HEADER_BYTES).await?;
        let from = header
            .as_deref()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| h.parse::<SocketAddr>().ok());
        let from = match (header.is_some(), from) {
            (false, _) => return Ok(None),
            (true, None) => return Err(FrameError::Malformed),
            (true, Some(from)) => from,
        };
        let bytes = read_frame(&mut socket, limits.max_bytes).await?;
        Ok(bytes.map(|b| (from, b)))
    };
    let (from, bytes) = match timeout(limits.timeout, request).await {
        Ok(Ok(Some(request))) => request,
        Ok(Ok(None) | Err(FrameError::Truncated | FrameError::Io)) => {
            tracing::debug!(%peer, "stream closed before a whole request");
            return bump(&counters.stream_truncated);
        }
        Ok(Err(FrameError::Oversized)) => return bump(&counters.stream_oversized),
        Ok(Err(FrameError::Malformed)) => return bump(&counters.stream_malformed),
        Err(_) => return bump(&counters.stream_timeouts),
    };
    let (reply, answer) = oneshot::channel();
    let msg = Inbound { from, bytes, reply };
    if inbound.send(msg).await.is_err() {
        return; // the node is shutting down
    }
    if let Ok(Ok(bytes)) = timeout(limits.timeout, answer).await {
        let _ = timeout(limits.timeout, write_frame(&mut socket, &bytes)).await;
    }
}

/// Opens a connection to `to`, writes the header and one frame, and hands the answer (if
/// any) back.
pub(crate) async fn dial(
    me: SocketAddr,
    to: SocketAddr,
    bytes: Vec<u8>,
    _permit: OwnedSemaphorePermit,
    answers: mpsc::Sender<Answer>,
    limits: StreamLimits,
    counters: Arc<Counters>,
) {
    let mut socket = match timeout(limits.connect_timeout, TcpStream::connect(to)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::debug!(%to, error = %e, "stream connect failed");
            return bump(&counters.dial_failures);
        }
        Err(_) => {
            tracing::debug!(%to, "stream connect timed out");
            return bump(&counters.dial_failures);
        }
    };
    bump(&counters.streams_dialed);
    let header = me.to_string();
    let write = async {
        write_frame(&mut socket, header.as_bytes()).await?;
        write_frame(&mut socket, &bytes).await
    };
    match timeout(limits.timeout, write).await {
        Ok(Ok(())) => {}
        _ => return bump(&counters.dial_failures),
    }
    drop(bytes);
    match timeout(limits.timeout, read_frame(&mut socket, limits.max_bytes)).await {
        Ok(Ok(Some(bytes))) => {
            let _ = answers.send(Answer { from: to, bytes }).await;
        }
        Ok(Ok(None)) => {} // no answer expected
        Ok(Err(FrameError::Oversized)) => bump(&counters.stream_oversized),
        Ok(Err(_)) => bump(&counters.stream_truncated),
        Err(_) => bump(&counters.stream_timeouts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_round_trip() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b"hello").await.unwrap();
        assert_eq!(buf.len(), 9);
        let got = read_frame(&mut &buf[..], 100).await.unwrap();
        assert_eq!(got.as_deref(), Some(&b"hello"[..]));
    }

    #[tokio::test]
    async fn an_oversized_length_is_refused_before_reading_the_body() {
        let buf = (1u32 << 30).to_be_bytes();
        let got = read_frame(&mut &buf[..], 1 << 20).await;
        assert!(matches!(got, Err(FrameError::Oversized)));
    }

    #[tokio::test]
    async fn a_short_body_is_truncated_and_an_empty_stream_is_none() {
        let mut buf = 10u32.to_be_bytes().to_vec();
        buf.extend_from_slice(b"abc");
        assert!(matches!(
            read_frame(&mut &buf[..], 100).await,
            Err(FrameError::Truncated)
        ));
        assert!(matches!(read_frame(&mut &[][..], 100).await, Ok(None)));
        assert!(matches!(
            read_frame(&mut &[0u8, 0][..], 100).await,
            Err(FrameError::Truncated)
        ));
    }
}
