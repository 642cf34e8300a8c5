//! The writing side of an open WebSocket: frames masked and written,
//! whole, one at a time.
//!
//! [`WriteSide`] is the connection's sending half and the frame buffer.
//! An unsplit [`WebSocket`] owns it and writes through it directly; after
//! [`WebSocket::split`] it sits behind the async mutex that the
//! [`WebSocketWriter`]s and the reader (for its pongs and close frames)
//! share.
//!
//! [`WebSocket`]: super::WebSocket
//! [`WebSocket::split`]: super::WebSocket::split

use super::frame::{
    apply_mask, encode_frame, encode_header, mask_key, Opcode, MAX_CONTROL_PAYLOAD,
};
use super::halves::WritePart;
use super::{is_valid_close_code, CloseFrame, Message};
use crate::error::Phase;
use crate::Error;
use std::sync::Arc;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// The writing half of a [`WebSocket`](super::WebSocket), after
/// [`split`](super::WebSocket::split). Clones write to the same
/// connection, one whole message at a time.
#[derive(Clone, Debug)]
pub struct WebSocketWriter {
    side: Arc<tokio::sync::Mutex<WriteSide>>,
}

/// The connection's sending half.
#[derive(Debug)]
pub(crate) struct WriteSide {
    half: WritePart,
    /// The frame being written, reused.
    frame: Vec<u8>,
    /// After a close frame nothing more may be sent (RFC 6455 §5.5.1).
    close_sent: bool,
    /// A frame is being written, or was when its send was dropped (a
    /// cancelled future): set before the first byte goes out, cleared once
    /// the last has. While set, the connection holds part of a frame, and
    /// nothing more may follow it (it would land inside that frame).
    cut: bool,
}

/// Where the reader writes what the protocol asks of it: its pongs, the
/// close frame it echoes or fails with, and the end of the sending side.
/// The unsplit socket's [`WriteSide`] itself, or a [`WebSocketWriter`]
/// that locks it.
pub(crate) trait Replier {
    /// Sends a control frame, unless a close frame already went out.
    /// Best effort: an error means the connection is going anyway.
    async fn reply(&mut self, opcode: Opcode, payload: &[u8]);
    /// After the close handshake: nothing more is sent, and the sending
    /// side is shut.
    async fn shut(&mut self);
}

impl WriteSide {
    pub(crate) fn new(half: WritePart) -> WriteSide {
        WriteSide {
            half,
            frame: Vec::with_capacity(256),
            close_sent: false,
            cut: false,
        }
    }

    /// Refuses a send after the close frame, or after a frame whose send
    /// was dropped halfway.
    fn check_open(&self) -> Result<(), Error> {
        if self.cut {
            return Err(Error::builder(
                "a websocket send was cancelled mid-frame; the connection cannot carry more frames",
            ));
        }
        if self.close_sent {
            return Err(closed_error());
        }
        Ok(())
    }

    /// Sends `message`; see [`WebSocketWriter::send`].
    pub(crate) async fn send(&mut self, message: Message) -> Result<(), Error> {
        let (opcode, payload) = match message {
            Message::Text(t) => return self.write_data(Opcode::Text, t.into_bytes()).await,
            Message::Binary(b) => return self.write_data(Opcode::Binary, b).await,
            Message::Ping(p) => (Opcode::Ping, p),
            Message::Pong(p) => (Opcode::Pong, p),
            Message::Close(frame) => (Opcode::Close, close_payload(frame.as_ref())?),
        };
        if payload.len() as u64 > MAX_CONTROL_PAYLOAD {
            return Err(Error::builder("control frame payload over 125 bytes"));
        }
        self.write(opcode, &payload).await
    }

    /// Sends a close frame with `code` and `reason`.
    pub(crate) async fn close(&mut self, code: u16, reason: &str) -> Result<(), Error> {
        let frame = CloseFrame {
            code,
            reason: reason.to_owned(),
        };
        self.send(Message::Close(Some(frame))).await
    }

    /// Writes one frame of `payload`, masked, through the frame buffer.
    async fn write(&mut self, opcode: Opcode, payload: &[u8]) -> Result<(), Error> {
        self.check_open()?;
        self.frame.clear();
        encode_frame(opcode, true, false, payload, mask_key(), &mut self.frame);
        if opcode == Opcode::Close {
            self.close_sent = true;
        }
        self.cut = true;
        let written = async {
            self.half.write_all(&self.frame).await?;
            self.half.flush().await
        };
        let result = written.await;
        self.cut = false;
        if self.frame.capacity() > 64 * 1024 {
            // A large message's buffer is not kept for the small ones.
            self.frame = Vec::with_capacity(256);
        }
        result.map_err(|e| {
            self.close_sent = true;
            Error::io(Phase::Write, e)
        })
    }

    /// Sends a data message. A large one over TCP is masked where it lies
    /// (the caller gave it up) and written after its header in one
    /// `writev`, instead of being copied into the frame buffer first;
    /// over TLS, whose records copy it anyway, and for small messages, it
    /// is copied as a control frame is.
    async fn write_data(&mut self, opcode: Opcode, mut payload: Vec<u8>) -> Result<(), Error> {
        /// Below this a copy costs less than a second I/O slice.
        const IN_PLACE: usize = 4096;
        /// The most one I/O slice is given (Windows refuses slices over
        /// 4 GiB); the loop writes the rest.
        const SLICE_MAX: usize = 1 << 30;
        if payload.len() < IN_PLACE || !self.half.is_write_vectored() {
            return self.write(opcode, &payload).await;
        }
        self.check_open()?;
        let key = mask_key();
        self.frame.clear();
        encode_header(opcode, true, false, payload.len(), key, &mut self.frame);
        apply_mask(&mut payload, key);
        self.cut = true;
        let written = async {
            let (mut head, mut body) = (&self.frame[..], &payload[..]);
            while !head.is_empty() || !body.is_empty() {
                let slices = [
                    std::io::IoSlice::new(head),
                    std::io::IoSlice::new(&body[..body.len().min(SLICE_MAX)]),
                ];
                let n = self.half.write_vectored(&slices).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                let from_head = n.min(head.len());
                head = &head[from_head..];
                body = &body[n - from_head..];
            }
            self.half.flush().await
        };
        let result = written.await;
        self.cut = false;
        result.map_err(|e| {
            self.close_sent = true;
            Error::io(Phase::Write, e)
        })
    }
}

impl Replier for WriteSide {
    async fn reply(&mut self, opcode: Opcode, payload: &[u8]) {
        let _ = self.write(opcode, payload).await;
    }

    async fn shut(&mut self) {
        self.close_sent = true;
        let _ = self.half.shutdown().await;
    }
}

impl Replier for WebSocketWriter {
    async fn reply(&mut self, opcode: Opcode, payload: &[u8]) {
        self.side.lock().await.reply(opcode, payload).await;
    }

    async fn shut(&mut self) {
        self.side.lock().await.shut().await;
    }
}

fn closed_error() -> Error {
    Error::builder("the websocket is closed")
}

impl WebSocketWriter {
    pub(crate) fn new(side: WriteSide) -> WebSocketWriter {
        WebSocketWriter {
            side: Arc::new(tokio::sync::Mutex::new(side)),
        }
    }

    /// Sends `message` as one frame, masked with a fresh key, and waits
    /// until the socket took it all (backpressure: a slow peer makes this
    /// wait; memory holds one frame). Messages go out uncompressed, which
    /// permessage-deflate allows.
    ///
    /// # Errors
    ///
    /// A builder error for a ping or pong over 125 bytes, an invalid
    /// close frame, or a send after the close frame; an I/O error if the
    /// connection fails.
    ///
    /// # Cancellation
    ///
    /// A send whose future is dropped before it completes (a timeout
    /// around it, a lost `select!` branch) may leave part of its frame on
    /// the connection. Nothing can follow such a frame, so from then on
    /// every send fails with a builder error that says so, and the
    /// connection is only good for dropping.
    pub async fn send(&self, message: Message) -> Result<(), Error> {
        self.side.lock().await.send(message).await
    }

    /// Sends a close frame with `code` and `reason` (the reader then
    /// sees the server's answer). See [`WebSocket::close`].
    ///
    /// # Errors
    ///
    /// As [`WebSocketWriter::send`].
    ///
    /// [`WebSocket::close`]: super::WebSocket::close
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        self.side.lock().await.close(code, reason).await
    }
}

/// A close frame's payload from the caller, checked.
fn close_payload(frame: Option<&CloseFrame>) -> Result<Vec<u8>, Error> {
    let Some(frame) = frame else {
        return Ok(Vec::new());
    };
    if !is_valid_close_code(frame.code) {
        return Err(Error::builder("invalid websocket close code"));
    }
    if frame.reason.len() > 123 {
        return Err(Error::builder("close reason over 123 bytes"));
    }
    let mut payload = frame.code.to_be_bytes().to_vec();
    payload.extend_from_slice(frame.reason.as_bytes());
    Ok(payload)
}
