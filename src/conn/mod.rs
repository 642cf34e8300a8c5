//! One connection: writes requests and reads responses through `h1`.
//!
//! This is the only place that both awaits I/O and calls the codec. It owns
//! the read buffer; the decoder sees the unconsumed part of it and hands
//! back body slices of it, so body bytes are copied once, into whatever
//! the caller collects them in.
//!
//! - `mod.rs`: the connection's state, and its ends: a CONNECT tunnel, a
//!   protocol switch;
//! - `write.rs`: the request and its body, and an early answer read while
//!   they go out;
//! - `read.rs`: the response head and body, and the read buffer.

use crate::deadline::{Deadline, LazyEnd};
use crate::error::{Error, Phase};
use crate::h1::{Limits, ParseError, ResponseDecoder, ResponseHead};
use crate::retry::Progress;
use crate::transport::{io_error, Peeker, Stream};
use std::net::SocketAddr;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

mod read;
mod write;

use read::FIRST_READ_BUF;

/// How a body write ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Sent {
    /// Every byte was written.
    All,
    /// The server answered (a complete final response head arrived) before
    /// the body was all sent: sending stopped, and the connection will not
    /// be reused, since its request was cut short.
    Answered,
}

/// A piece of a response body, or its end.
pub(crate) enum BodyPart<'a> {
    Data(&'a [u8]),
    /// This many bytes went straight into the caller's destination.
    Direct(usize),
    End {
        reusable: bool,
    },
}

/// Where [`Conn::read_body`] puts body bytes.
pub(crate) enum Dest<'a> {
    /// Nowhere: buffered bytes are lent as [`BodyPart::Data`].
    Lend,
    /// Buffered bytes are lent; bytes not yet buffered are read from the
    /// socket straight onto the end of this vector.
    Append(&'a mut Vec<u8>),
    /// Into this buffer, at most its length per call, always as
    /// [`BodyPart::Direct`]: copied from the read buffer, or read from the
    /// socket straight into it when nothing is buffered.
    Fill(&'a mut [u8]),
}

/// Kept in a `Box` from connect to close (one allocation per connection):
/// it moves between pool, request and response on every call.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: Stream,
    /// Asks the kernel whether anything arrived on an idle connection.
    peeker: Peeker,
    /// The request being written.
    wbuf: Vec<u8>,
    buf: Vec<u8>,
    /// Bytes of `buf` before this offset are consumed.
    start: usize,
    decoder: ResponseDecoder,
    remote: SocketAddr,
    /// Set from the server's `Keep-Alive: timeout=N`: past this instant the
    /// server may close the connection at any moment, so it is not reused.
    pub(crate) keep_alive_until: Option<Instant>,
    /// How far the current exchange got: nothing written, some of the
    /// request written, or a byte of the response arrived. A request that
    /// fails before a response byte may be sent again elsewhere.
    progress: Progress,
    /// A final response head that arrived while the request was still
    /// being written; [`Conn::read_head`] returns it first.
    early_head: Option<ResponseHead>,
    /// The request on this connection was cut short (an early answer, or a
    /// failed write): the connection must not carry another one.
    cut_short: bool,
    /// Size of the previous response on this connection: the first read
    /// of the next one asks for exactly that much (see `fill`).
    read_hint: usize,
    /// Bytes read for the current response so far (saturating: it only
    /// feeds the hint).
    response_bytes: usize,
}

impl Conn {
    pub(crate) fn new(stream: Stream, remote: SocketAddr, limits: Limits) -> Conn {
        Conn {
            peeker: Peeker::new(stream.tcp()),
            stream,
            wbuf: Vec::with_capacity(512),
            buf: Vec::with_capacity(FIRST_READ_BUF),
            start: 0,
            decoder: ResponseDecoder::new(limits),
            remote,
            keep_alive_until: None,
            progress: Progress::NotSent,
            early_head: None,
            cut_short: false,
            read_hint: 0,
            response_bytes: 0,
        }
    }

    /// How the current response's body is framed.
    pub(crate) fn framing(&self) -> Option<crate::h1::Framing> {
        self.decoder.framing()
    }

    pub(crate) fn remote_addr(&self) -> SocketAddr {
        self.remote
    }

    /// Whether the connection may go back to the pool once its response
    /// has ended: its request went out whole and every byte read has been
    /// consumed. No I/O: whether anything has arrived since is asked when
    /// it is handed out again ([`Conn::is_reusable`]).
    pub(crate) fn is_clean(&self) -> bool {
        !self.cut_short && self.start == self.buf.len()
    }

    /// Whether the connection can carry another request now: it is clean,
    /// and nothing has arrived since its last response, neither a byte past
    /// its end nor a FIN. Asked of the kernel (one non-blocking peek), not
    /// of tokio's readiness, which lags it; see [`Stream::is_idle_and_open`].
    pub(crate) fn is_reusable(&mut self) -> bool {
        self.is_clean() && self.stream.is_idle_and_open(&self.peeker)
    }

    /// How far the current exchange got: whether any byte of the request
    /// was written (handed to the socket, or to TLS), and whether any byte
    /// of a response arrived.
    pub(crate) fn progress(&self) -> Progress {
        self.progress
    }

    /// Books request bytes written: the request is out, at least in part.
    fn wrote(&mut self) {
        if self.progress == Progress::NotSent {
            self.progress = Progress::SentNoResponse;
        }
    }

    /// Marks the connection as not reusable: its request was cut short.
    pub(crate) fn cut_short(&mut self) {
        self.cut_short = true;
    }

    /// Whether its request was cut short.
    pub(crate) fn was_cut_short(&self) -> bool {
        self.cut_short
    }

    /// Asks a proxy for a tunnel: writes the prepared `CONNECT` request and
    /// reads the proxy's final answer, all of it by `end` and reported as
    /// the connect phase (from the request's point of view, the tunnel is
    /// part of reaching the origin). On a 2xx the codec has ended HTTP on
    /// this connection; [`Conn::into_tunnel`] hands the socket over.
    pub(crate) async fn open_tunnel(&mut self, deadline: &Deadline) -> Result<ResponseHead, Error> {
        let end = deadline.end_of(Phase::Connect);
        let (stream, bytes) = (&mut self.stream, &self.wbuf);
        Deadline::run_until(end, Phase::Connect, async {
            stream
                .write_all(bytes)
                .await
                .map_err(|e| io_error(Phase::Connect, e))?;
            stream
                .flush()
                .await
                .map_err(|e| io_error(Phase::Connect, e))
        })
        .await?;
        let mut end = LazyEnd::fixed(Phase::Connect, end);
        self.read_final_head_within(deadline, &mut end, Phase::Connect)
            .await
    }

    /// The socket of an opened tunnel. The client speaks
    /// first in TLS, so a proxy that sent bytes after its 2xx (which would
    /// belong to the tunnel) is refused rather than trusted.
    pub(crate) fn into_tunnel(self) -> Result<Stream, Error> {
        if !self.is_drained() {
            let e = ParseError::BytesAfterClose;
            return Err(Error::protocol(Phase::Connect, e)
                .with_source("proxy sent bytes into the tunnel before the client"));
        }
        Ok(self.stream)
    }

    /// The connection after an asked-for `101 Switching Protocols`
    /// (a WebSocket handshake): the stream, and the bytes the server sent
    /// after the head, which already belong to the new protocol. HTTP
    /// ends here: the connection never goes back to the pool.
    #[cfg(feature = "ws")]
    pub(crate) fn into_upgraded(self) -> (Stream, Vec<u8>) {
        let rest = self.buf[self.start..].to_vec();
        (self.stream, rest)
    }
}
