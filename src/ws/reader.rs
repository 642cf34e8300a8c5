//! The reading side of an open WebSocket: bytes read, decoded into
//! messages, and what the protocol asks of the client done on the way
//! (pongs, the close handshake, failing the connection).
//!
//! [`ReaderCore`] is that side without the writer it answers through: an
//! unsplit [`WebSocket`] lends it its own [`WriteSide`](super::writer), a
//! [`WebSocketReader`] keeps a [`WebSocketWriter`] clone.
//!
//! [`WebSocket`]: super::WebSocket

use super::decoder::{Decoded, Decoder, InflateContext};
use super::frame::Opcode;
use super::halves::ReadPart;
use super::socket::Settings;
use super::writer::{Replier, WebSocketWriter};
use super::{Message, MessageRef, ProtocolError};
use crate::error::{Kind, Phase};
use crate::Error;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

/// The room a read starts with, and what an idle connection keeps.
const READ_CHUNK: usize = 16 * 1024;

/// The most room one read may be given. Reads that fill their room mean
/// more is waiting (a stream of large messages): the room doubles up to
/// this, so that many frames come in one syscall rather than one each.
const READ_MAX: usize = 256 * 1024;

/// The reading half of a [`WebSocket`](super::WebSocket), after
/// [`split`](super::WebSocket::split).
#[derive(Debug)]
pub struct WebSocketReader {
    core: ReaderCore,
    /// Where pongs and close frames go.
    writer: WebSocketWriter,
}

/// The reading side, less the writer it answers through.
#[derive(Debug)]
pub(crate) struct ReaderCore {
    side: ReadSide,
    buf: ReadBuf,
    decoder: Decoder,
}

/// What the reader reads into. A message handed out borrowed lies in it,
/// so it is compacted and refilled only while looking for the next one.
#[derive(Debug)]
struct ReadBuf {
    bytes: Vec<u8>,
    /// Bytes before this are consumed.
    start: usize,
    /// The room the next read is given, from READ_CHUNK to READ_MAX.
    read_size: usize,
}

impl ReadBuf {
    /// Drops the consumed bytes when that is cheap or needed, and gives
    /// back the room a burst grew.
    fn compact(&mut self) {
        if self.start == self.bytes.len() {
            if self.bytes.capacity() > 4 * self.read_size {
                // The burst that grew it is over: give the memory back.
                self.bytes = Vec::with_capacity(self.read_size);
            } else {
                self.bytes.clear();
            }
            self.start = 0;
        } else if self.start > self.bytes.len() / 2 {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
    }
}

/// The reader's half of the socket, and its timers.
#[derive(Debug)]
struct ReadSide {
    half: ReadPart,
    settings: Settings,
    last_read: Instant,
    last_ping: Instant,
    /// The connection has ended (closed, failed or timed out).
    done: bool,
    /// A protocol error whose failing of the connection was cut short (its
    /// receive dropped while the close frame waited for the writer): the
    /// next receive fails the connection again, and reports it.
    failing: Option<ProtocolError>,
}

impl WebSocketReader {
    pub(crate) fn new(core: ReaderCore, writer: WebSocketWriter) -> WebSocketReader {
        WebSocketReader { core, writer }
    }

    /// The next message, `Ok(None)` once the connection has closed.
    ///
    /// Pings are answered with a pong as they arrive, and handed out too.
    /// A close frame from the server is answered with the same code
    /// (RFC 6455 §5.5.1), then the server's TCP close is awaited within
    /// the close timeout, and the close is handed out as
    /// [`Message::Close`]; after it, `Ok(None)`.
    ///
    /// The message is the caller's: a data message that came as one
    /// frame is copied out of the read buffer into it.
    /// [`WebSocketReader::recv_ref`] lends it instead, without the copy.
    ///
    /// # Errors
    ///
    /// A protocol error (source: [`ProtocolError`]) when the server broke
    /// RFC 6455 or a limit: the connection is failed with the error's
    /// close code first. An I/O error when the connection ends without a
    /// close frame (what RFC 6455 reports as 1006). A timeout error (read
    /// phase) when the read-idle timeout passes.
    pub async fn recv(&mut self) -> Result<Option<Message>, Error> {
        self.core.recv(&mut self.writer).await
    }

    /// The next message, borrowed from the reader until the next call:
    /// as [`WebSocketReader::recv`], without copying the message out.
    ///
    /// A data message that came as one uncompressed frame is its payload
    /// where it lies in the read buffer; a fragmented or compressed one
    /// lies in the buffer it was reassembled in, which is kept for the
    /// next. Receiving this way costs no copy and no allocation a
    /// message. [`MessageRef::to_message`] makes an owned copy.
    ///
    /// ```no_run
    /// # async fn run(mut reader: brisk::ws::WebSocketReader) -> Result<(), brisk::Error> {
    /// use brisk::ws::MessageRef;
    /// let mut total = 0;
    /// while let Some(message) = reader.recv_ref().await? {
    ///     if let MessageRef::Binary(bytes) = message {
    ///         total += bytes.len();
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`WebSocketReader::recv`].
    pub async fn recv_ref(&mut self) -> Result<Option<MessageRef<'_>>, Error> {
        self.core.recv_ref(&mut self.writer).await
    }
}

impl ReaderCore {
    pub(crate) fn new(
        half: ReadPart,
        rest: Vec<u8>,
        deflate: Option<InflateContext>,
        settings: Settings,
    ) -> ReaderCore {
        let now = Instant::now();
        let mut bytes = rest;
        bytes.reserve(READ_CHUNK);
        ReaderCore {
            side: ReadSide {
                half,
                settings,
                last_read: now,
                last_ping: now,
                done: false,
                failing: None,
            },
            buf: ReadBuf {
                bytes,
                start: 0,
                read_size: READ_CHUNK,
            },
            decoder: Decoder::new(settings.limits, deflate),
        }
    }

    /// The close timeout from the builder.
    pub(crate) fn close_timeout(&self) -> std::time::Duration {
        self.side.settings.close_timeout
    }

    /// [`WebSocketReader::recv`], answering through `replier`.
    pub(crate) async fn recv<R: Replier>(
        &mut self,
        replier: &mut R,
    ) -> Result<Option<Message>, Error> {
        let Some((base, decoded)) = self.next(replier).await? else {
            return Ok(None);
        };
        match self.decoder.take(&self.buf.bytes[base..], decoded) {
            Ok(message) => Ok(Some(message)),
            Err(e) => Err(self.side.fail(e, replier).await),
        }
    }

    /// [`WebSocketReader::recv_ref`], answering through `replier`.
    pub(crate) async fn recv_ref<R: Replier>(
        &mut self,
        replier: &mut R,
    ) -> Result<Option<MessageRef<'_>>, Error> {
        let Some((base, decoded)) = self.next(replier).await? else {
            return Ok(None);
        };
        match self.decoder.view(&self.buf.bytes[base..], decoded) {
            Ok(message) => Ok(Some(message)),
            Err(e) => Err(self.side.fail(e, replier).await),
        }
    }

    /// Reads until a message ends, and does what it asks of the client (a
    /// pong for a ping, the close handshake for a close). Returns where
    /// the decoder's input started in the buffer, and the message.
    async fn next<R: Replier>(
        &mut self,
        replier: &mut R,
    ) -> Result<Option<(usize, Decoded)>, Error> {
        if let Some(e) = self.side.failing {
            return Err(self.side.fail(e, replier).await);
        }
        if self.side.done {
            return Ok(None);
        }
        loop {
            let base = self.buf.start;
            match self.decoder.decode(&self.buf.bytes[base..]) {
                Err(e) => return Err(self.side.fail(e, replier).await),
                Ok((n, decoded)) => {
                    self.buf.start += n;
                    if let Some(decoded) = decoded {
                        self.side.answer(decoded, &self.decoder, replier).await;
                        return Ok(Some((base, decoded)));
                    }
                }
            }
            self.buf.compact();
            if let Err(e) = self.side.fill(&mut self.buf, replier).await {
                self.side.done = true;
                return Err(e);
            }
        }
    }
}

impl ReadSide {
    /// Does what a message asks of the client: a pong for a ping, the
    /// close handshake for a close.
    async fn answer<R: Replier>(&mut self, decoded: Decoded, decoder: &Decoder, replier: &mut R) {
        match decoded {
            Decoded::Ping => replier.reply(Opcode::Pong, decoder.control()).await,
            Decoded::Close => {
                let payload = decoder
                    .close_frame()
                    .map(|f| f.code.to_be_bytes().to_vec())
                    .unwrap_or_default();
                replier.reply(Opcode::Close, &payload).await;
                self.finish(replier).await;
            }
            _ => {}
        }
    }

    /// Fails the connection (RFC 6455 §7.1.7) with the error's close
    /// code, and returns the error for the caller.
    ///
    /// The bytes that broke the protocol may already be consumed (a whole
    /// frame is checked as UTF-8 after it), so until this completes the
    /// error is kept in `failing`: a receive dropped meanwhile does not
    /// let the next one read on past it.
    async fn fail<R: Replier>(&mut self, e: ProtocolError, replier: &mut R) -> Error {
        self.failing = Some(e);
        let code = e.close_code().to_be_bytes();
        replier.reply(Opcode::Close, &code).await;
        self.finish(replier).await;
        self.failing = None;
        Error::new(Kind::WebSocket)
            .with_phase(Phase::ReadBody)
            .with_source(e)
    }

    /// After the close frames: waits for the server to close the TCP
    /// connection (RFC 6455 §7.1.1: the server closes first), within the
    /// close timeout, dropping whatever still arrives.
    async fn finish<R: Replier>(&mut self, replier: &mut R) {
        self.done = true;
        let drain = async {
            // On the heap: an array here would sit in every receive's
            // future (this one is nested in them all), to be copied each
            // time one is made.
            let mut sink = vec![0u8; 4096];
            while let Ok(n) = self.half.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(self.settings.close_timeout, drain).await;
        replier.shut().await;
    }

    /// Reads more bytes, sending pings on the interval and failing on the
    /// read-idle timeout.
    async fn fill<R: Replier>(&mut self, buf: &mut ReadBuf, replier: &mut R) -> Result<(), Error> {
        loop {
            let idle_at = self.settings.read_idle_timeout.map(|d| self.last_read + d);
            let ping_at = self.settings.ping_interval.map(|d| self.last_ping + d);
            let wake = match (idle_at, ping_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if buf.bytes.capacity() - buf.bytes.len() < buf.read_size / 4 {
                buf.bytes.reserve(buf.read_size);
            }
            let room = buf.bytes.capacity() - buf.bytes.len();
            let read = self.half.read_buf(&mut buf.bytes);
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
                        buf.read_size = (buf.read_size * 2).min(READ_MAX);
                    } else if n < room / 4 {
                        buf.read_size = (buf.read_size / 2).max(READ_CHUNK);
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
                    replier.reply(Opcode::Ping, b"").await;
                }
            }
        }
    }
}
