//! An open WebSocket: the codec driven over the upgraded connection.
//!
//! Reading and writing are separate halves ([`WebSocket::split`]) so two
//! tasks can use them. The reader needs to write too (pongs, and the
//! close frame it echoes or fails with), so the writing half sits behind
//! an async mutex that both share; a send waits for the socket, and the
//! only buffer is one frame.

use super::decoder::{Decoder, InflateContext};
use super::frame::{
    apply_mask, encode_frame, encode_header, mask_key, Opcode, MAX_CONTROL_PAYLOAD,
};
use super::handshake::Agreed;
use super::{is_valid_close_code, CloseFrame, Limits, Message, ProtocolError};
use crate::error::{Kind, Phase};
use crate::transport::Stream;
use crate::Error;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::time::Instant;

/// The room a read starts with, and what an idle connection keeps.
const READ_CHUNK: usize = 16 * 1024;

/// The most room one read may be given. Reads that fill their room mean
/// more is waiting (a stream of large messages): the room doubles up to
/// this, so that many frames come in one syscall rather than one each.
const READ_MAX: usize = 256 * 1024;

/// Connection settings chosen on the builder.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    pub(crate) limits: Limits,
    pub(crate) ping_interval: Option<Duration>,
    pub(crate) read_idle_timeout: Option<Duration>,
    pub(crate) close_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            limits: Limits::default(),
            ping_interval: None,
            read_idle_timeout: None,
            close_timeout: Duration::from_secs(5),
        }
    }
}

/// An open WebSocket connection, from [`WebSocketBuilder::connect`].
///
/// [`WebSocket::recv`] reads messages (answering pings by itself);
/// [`WebSocket::send`] writes them; [`WebSocket::close`] performs the
/// closing handshake. [`WebSocket::split`] gives a reader and a writer
/// for two tasks.
///
/// [`WebSocketBuilder::connect`]: super::WebSocketBuilder::connect
#[derive(Debug)]
pub struct WebSocket {
    reader: WebSocketReader,
    writer: WebSocketWriter,
    protocol: Option<String>,
}

impl WebSocket {
    pub(crate) fn new(stream: Stream, rest: Vec<u8>, agreed: Agreed, settings: Settings) -> Self {
        let (read, write) = tokio::io::split(stream);
        let writer = WebSocketWriter {
            side: Arc::new(tokio::sync::Mutex::new(WriteSide {
                half: write,
                frame: Vec::with_capacity(256),
                close_sent: false,
                cut: false,
            })),
        };
        let now = Instant::now();
        let mut buf = rest;
        buf.reserve(READ_CHUNK);
        let reader = WebSocketReader {
            half: read,
            buf,
            start: 0,
            decoder: Decoder::new(settings.limits, agreed.deflate.map(InflateContext::new)),
            read_size: READ_CHUNK,
            writer: writer.clone(),
            settings,
            last_read: now,
            last_ping: now,
            done: false,
        };
        WebSocket {
            reader,
            writer,
            protocol: agreed.protocol,
        }
    }

    /// The subprotocol the server chose, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// Sends a message; see [`WebSocketWriter::send`].
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        self.writer.send(message).await
    }

    /// The next message; see [`WebSocketReader::recv`].
    pub async fn recv(&mut self) -> Result<Option<Message>, Error> {
        self.reader.recv().await
    }

    /// Closes the connection (RFC 6455 §7): sends a close frame with
    /// `code` and `reason`, then reads (and drops) what the server still
    /// sends until its close frame and the end of the connection, within
    /// the close timeout. Returns the server's close frame, if it sent
    /// one in time.
    ///
    /// # Errors
    ///
    /// A builder error for a code that may not be sent (see
    /// [`is_valid_close_code`]) or a reason over 123 bytes; an I/O error
    /// if the close frame cannot be written.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<Option<CloseFrame>, Error> {
        self.writer.close(code, reason).await?;
        let timeout = self.reader.settings.close_timeout;
        let wait = async {
            let mut answer = None;
            while let Some(message) = self.reader.recv().await? {
                if let Message::Close(frame) = message {
                    answer = frame;
                }
            }
            Ok::<_, Error>(answer)
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(result) => result,
            Err(_) => Ok(None),
        }
    }

    /// A reader and a writer, for two tasks.
    pub fn split(self) -> (WebSocketReader, WebSocketWriter) {
        (self.reader, self.writer)
    }
}

/// The writing half of a [`WebSocket`]. Clones write to the same
/// connection, one whole message at a time.
#[derive(Clone, Debug)]
pub struct WebSocketWriter {
    side: Arc<tokio::sync::Mutex<WriteSide>>,
}

#[derive(Debug)]
struct WriteSide {
    half: WriteHalf<Stream>,
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

impl WriteSide {
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
}

fn closed_error() -> Error {
    Error::builder("the websocket is closed")
}

impl WebSocketWriter {
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
        self.write_frame(opcode, &payload).await
    }

    /// Sends a data message. A large one over TCP is masked where it lies
    /// (the caller gave it up) and written after its header in one
    /// `writev`, instead of being copied into the frame buffer first;
    /// over TLS, whose records copy it anyway, and for small messages, it
    /// is copied as a control frame is.
    async fn write_data(&self, opcode: Opcode, mut payload: Vec<u8>) -> Result<(), Error> {
        /// Below this a copy costs less than a second I/O slice.
        const IN_PLACE: usize = 4096;
        /// The most one I/O slice is given (Windows refuses slices over
        /// 4 GiB); the loop writes the rest.
        const SLICE_MAX: usize = 1 << 30;
        if payload.len() < IN_PLACE {
            return self.write_frame(opcode, &payload).await;
        }
        let mut side = self.side.lock().await;
        if !side.half.is_write_vectored() {
            return side.write(opcode, &payload).await;
        }
        side.check_open()?;
        let side = &mut *side;
        let key = mask_key();
        side.frame.clear();
        encode_header(opcode, true, false, payload.len(), key, &mut side.frame);
        apply_mask(&mut payload, key);
        side.cut = true;
        let written = async {
            let (mut head, mut body) = (&side.frame[..], &payload[..]);
            while !head.is_empty() || !body.is_empty() {
                let slices = [
                    std::io::IoSlice::new(head),
                    std::io::IoSlice::new(&body[..body.len().min(SLICE_MAX)]),
                ];
                let n = side.half.write_vectored(&slices).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                let from_head = n.min(head.len());
                head = &head[from_head..];
                body = &body[n - from_head..];
            }
            side.half.flush().await
        };
        let result = written.await;
        side.cut = false;
        result.map_err(|e| {
            side.close_sent = true;
            Error::io(Phase::Write, e)
        })
    }

    /// Sends a close frame with `code` and `reason` (the reader then
    /// sees the server's answer). See [`WebSocket::close`].
    ///
    /// # Errors
    ///
    /// As [`WebSocketWriter::send`].
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        self.send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.to_owned(),
        })))
        .await
    }

    async fn write_frame(&self, opcode: Opcode, payload: &[u8]) -> Result<(), Error> {
        self.side.lock().await.write(opcode, payload).await
    }

    /// Sends a control frame on the reader's behalf, unless a close
    /// frame already went out.
    async fn reply(&self, opcode: Opcode, payload: &[u8]) {
        let _ = self.write_frame(opcode, payload).await;
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

/// The reading half of a [`WebSocket`].
#[derive(Debug)]
pub struct WebSocketReader {
    half: ReadHalf<Stream>,
    buf: Vec<u8>,
    /// Bytes of `buf` before this are consumed.
    start: usize,
    /// The room the next read is given, from READ_CHUNK to READ_MAX.
    read_size: usize,
    decoder: Decoder,
    writer: WebSocketWriter,
    settings: Settings,
    last_read: Instant,
    last_ping: Instant,
    /// The connection has ended (closed, failed or timed out).
    done: bool,
}

impl WebSocketReader {
    /// The next message, `Ok(None)` once the connection has closed.
    ///
    /// Pings are answered with a pong as they arrive, and handed out too.
    /// A close frame from the server is answered with the same code
    /// (RFC 6455 §5.5.1), then the server's TCP close is awaited within
    /// the close timeout, and the close is handed out as
    /// [`Message::Close`]; after it, `Ok(None)`.
    ///
    /// # Errors
    ///
    /// A protocol error (source: [`ProtocolError`]) when the server broke
    /// RFC 6455 or a limit: the connection is failed with the error's
    /// close code first. An I/O error when the connection ends without a
    /// close frame (what RFC 6455 reports as 1006). A timeout error (read
    /// phase) when the read-idle timeout passes.
    pub async fn recv(&mut self) -> Result<Option<Message>, Error> {
        if self.done {
            return Ok(None);
        }
        loop {
            let decoded = self.decoder.decode(&self.buf[self.start..]);
            match decoded {
                Err(e) => {
                    self.fail(e).await;
                    return Err(Error::new(Kind::WebSocket)
                        .with_phase(Phase::ReadBody)
                        .with_source(e));
                }
                Ok((n, message)) => {
                    self.start += n;
                    if let Some(message) = message {
                        self.answer(&message).await;
                        return Ok(Some(message));
                    }
                }
            }
            if self.start == self.buf.len() {
                if self.buf.capacity() > 4 * self.read_size {
                    // The burst that grew it is over: give the memory back.
                    self.buf = Vec::with_capacity(self.read_size);
                } else {
                    self.buf.clear();
                }
                self.start = 0;
            } else if self.start > self.buf.len() / 2 {
                self.buf.drain(..self.start);
                self.start = 0;
            }
            if let Err(e) = self.fill().await {
                self.done = true;
                return Err(e);
            }
        }
    }

    /// Does what a message asks of the client: a pong for a ping, the
    /// close handshake for a close.
    async fn answer(&mut self, message: &Message) {
        match message {
            Message::Ping(payload) => self.writer.reply(Opcode::Pong, payload).await,
            Message::Close(frame) => {
                let payload = frame
                    .as_ref()
                    .map(|f| f.code.to_be_bytes().to_vec())
                    .unwrap_or_default();
                self.writer.reply(Opcode::Close, &payload).await;
                self.finish().await;
            }
            _ => {}
        }
    }

    /// Fails the connection (RFC 6455 §7.1.7) with the error's close code.
    async fn fail(&mut self, e: ProtocolError) {
        let code = e.close_code().to_be_bytes();
        self.writer.reply(Opcode::Close, &code).await;
        self.finish().await;
    }

    /// After the close frames: waits for the server to close the TCP
    /// connection (RFC 6455 §7.1.1: the server closes first), within the
    /// close timeout, dropping whatever still arrives.
    async fn finish(&mut self) {
        self.done = true;
        let drain = async {
            let mut sink = [0u8; 4096];
            while let Ok(n) = self.half.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(self.settings.close_timeout, drain).await;
        let mut side = self.writer.side.lock().await;
        side.close_sent = true;
        let _ = side.half.shutdown().await;
    }

    /// Reads more bytes, sending pings on the interval and failing on the
    /// read-idle timeout.
    async fn fill(&mut self) -> Result<(), Error> {
        loop {
            let idle_at = self.settings.read_idle_timeout.map(|d| self.last_read + d);
            let ping_at = self.settings.ping_interval.map(|d| self.last_ping + d);
            let wake = match (idle_at, ping_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if self.buf.capacity() - self.buf.len() < self.read_size / 4 {
                self.buf.reserve(self.read_size);
            }
            let room = self.buf.capacity() - self.buf.len();
            let read = self.half.read_buf(&mut self.buf);
            let result = match wake {
                Some(at) => tokio::time::timeout_at(at, read).await.ok(),
                None => Some(read.await),
            };
            match result {
                Some(Ok(0)) => {
                    let e = std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "websocket closed without a close frame",
                    );
                    return Err(Error::io(Phase::ReadBody, e));
                }
                Some(Ok(n)) => {
                    if n == room {
                        self.read_size = (self.read_size * 2).min(READ_MAX);
                    } else if n < room / 4 {
                        self.read_size = (self.read_size / 2).max(READ_CHUNK);
                    }
                    self.last_read = Instant::now();
                    return Ok(());
                }
                Some(Err(e)) => return Err(Error::io(Phase::ReadBody, e)),
                None => {
                    let now = Instant::now();
                    if idle_at.is_some_and(|at| at <= now) {
                        return Err(Error::timeout(Phase::ReadBody, false));
                    }
                    self.last_ping = now;
                    self.writer.reply(Opcode::Ping, b"").await;
                }
            }
        }
    }
}
