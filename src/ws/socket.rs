//! An open WebSocket: the codec driven over the upgraded connection.
//!
//! Reading ([`reader`](super::reader)) and writing
//! ([`writer`](super::writer)) are separate sides. Unsplit, a
//! [`WebSocket`] owns both, and the reader answers pings and closes
//! through the writing side directly. [`WebSocket::split`] makes them
//! halves for two tasks: the writing side then sits behind an async mutex
//! that the writer and the reader (for its answers) share. Either way a
//! send waits for the socket, and the only buffer is one frame.

use super::decoder::InflateContext;
use super::halves;
use super::handshake::Agreed;
use super::reader::{ReaderCore, WebSocketReader};
use super::writer::{WebSocketWriter, WriteSide};
use super::{CloseFrame, Limits, Message, MessageRef};
use crate::transport::Stream;
use crate::Error;
use std::time::Duration;

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
    reader: ReaderCore,
    writer: WriteSide,
    protocol: Option<String>,
}

impl WebSocket {
    pub(crate) fn new(stream: Stream, rest: Vec<u8>, agreed: Agreed, settings: Settings) -> Self {
        let (read, write) = halves::split(stream);
        let deflate = agreed.deflate.map(InflateContext::new);
        WebSocket {
            reader: ReaderCore::new(read, rest, deflate, settings),
            writer: WriteSide::new(write),
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
        self.reader.recv(&mut self.writer).await
    }

    /// The next message, borrowed; see [`WebSocketReader::recv_ref`].
    pub async fn recv_ref(&mut self) -> Result<Option<MessageRef<'_>>, Error> {
        self.reader.recv_ref(&mut self.writer).await
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
    /// [`is_valid_close_code`](super::is_valid_close_code)) or a reason
    /// over 123 bytes; an I/O error if the close frame cannot be written.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<Option<CloseFrame>, Error> {
        self.writer.close(code, reason).await?;
        let timeout = self.reader.close_timeout();
        let wait = async {
            let mut answer = None;
            while let Some(message) = self.reader.recv(&mut self.writer).await? {
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
        let writer = WebSocketWriter::new(self.writer);
        (WebSocketReader::new(self.reader, writer.clone()), writer)
    }
}
