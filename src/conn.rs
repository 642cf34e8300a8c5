//! One connection: writes requests and reads responses through `h1`.
//!
//! This is the only place that both awaits I/O and calls the codec. It owns
//! the read buffer; the decoder sees the unconsumed part of it and hands
//! back body slices of it, so body bytes are copied once, into whatever
//! the caller collects them in.

use crate::deadline::{Deadline, LazyEnd};
use crate::error::{Error, Phase, Unexpected};
use crate::h1::{Event, Limits, ParseError, ResponseDecoder, ResponseHead};
use crate::retry::Progress;
use crate::transport::{io_error, Peeker, Stream};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::Instant;

/// Read-buffer growth step: one read asks for at least this much room.
const READ_CHUNK: usize = 16 * 1024;

/// A new connection's read buffer: one page, which holds a typical API
/// answer whole (head and a small body). It grows to [`READ_CHUNK`] steps
/// the first time a read would have less than [`FIRST_SPARE`] of room, so
/// that 10,000 idle or waiting connections do not each hold 16 KiB.
const FIRST_READ_BUF: usize = 4 * 1024;

/// The room below which a first-size buffer grows.
const FIRST_SPARE: usize = 1024;

/// The most one direct read takes, so that a huge announced body does not
/// reserve memory ahead of the bytes actually arriving.
const DIRECT_MAX: usize = 4 * 1024 * 1024;

/// A request body is written in pieces of at most this size, each within
/// the write budget: the budget bounds progress, not the whole upload.
const WRITE_PIECE: usize = 64 * 1024;

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

    /// Puts a request in the connection's own write buffer (reused from
    /// request to request) with `fill`, and tells the decoder what the
    /// response will answer. [`Conn::write_request`] sends it.
    pub(crate) fn prepare_request(
        &mut self,
        method: &str,
        fill: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.decoder.expect_response_to(method.as_bytes());
        self.progress = Progress::NotSent;
        self.response_bytes = 0;
        self.early_head = None;
        self.wbuf.clear();
        fill(&mut self.wbuf)
    }

    /// Writes the prepared request.
    pub(crate) async fn write_request(&mut self, deadline: &Deadline) -> Result<(), Error> {
        let (stream, bytes, progress) = (&mut self.stream, &self.wbuf, &mut self.progress);
        deadline
            .run(Phase::Write, async {
                // `write_all`, keeping count: whether any byte went out
                // decides whether a failed request may be sent again.
                let mut off = 0;
                while off < bytes.len() {
                    let n = stream
                        .write(&bytes[off..])
                        .await
                        .map_err(|e| io_error(Phase::Write, e))?;
                    if n == 0 {
                        let e = std::io::ErrorKind::WriteZero.into();
                        return Err(io_error(Phase::Write, e));
                    }
                    off += n;
                    if *progress == Progress::NotSent {
                        *progress = Progress::SentNoResponse;
                    }
                }
                stream.flush().await.map_err(|e| io_error(Phase::Write, e))
            })
            .await
    }

    /// Writes request body bytes, in pieces each within the write budget,
    /// while watching for the server's answer.
    ///
    /// A server may answer before it has read the whole body (a 413 for a
    /// body too large, a 401): RFC 9112 §9.5 asks a client sending a body to
    /// watch for that and stop. Bytes that arrive meanwhile are decoded;
    /// 1xx heads are skipped. A final head of 300 or more (or a 101) stops
    /// the upload ([`Sent::Answered`]), as curl does. A 2xx head is kept
    /// and the body sent whole: a full-duplex server (a proxy, an echo, a
    /// streaming handler) answers early and still reads all of it.
    /// Either way [`Conn::read_head`] returns the head.
    pub(crate) async fn write_body(
        &mut self,
        bytes: &[u8],
        deadline: &Deadline,
    ) -> Result<Sent, Error> {
        for piece in bytes.chunks(WRITE_PIECE) {
            let mut off = 0;
            let sent = deadline
                .run(
                    Phase::Write,
                    std::future::poll_fn(|cx| loop {
                        if self.early_head.is_none() {
                            if let Poll::Ready(r) = self.poll_early_answer(cx) {
                                if !self
                                    .early_head
                                    .as_ref()
                                    .is_some_and(|h| h.status < 300 && h.status != 101)
                                {
                                    return Poll::Ready(r.map(|()| Sent::Answered));
                                }
                            }
                        }
                        match Pin::new(&mut self.stream).poll_write(cx, &piece[off..]) {
                            Poll::Ready(Ok(0)) => {
                                let e = std::io::ErrorKind::WriteZero.into();
                                return Poll::Ready(Err(io_error(Phase::Write, e)));
                            }
                            Poll::Ready(Ok(n)) => {
                                off += n;
                                self.wrote();
                                if off == piece.len() {
                                    return Poll::Ready(Ok(Sent::All));
                                }
                            }
                            Poll::Ready(Err(e)) => {
                                return Poll::Ready(Err(io_error(Phase::Write, e)))
                            }
                            Poll::Pending => return Poll::Pending,
                        }
                    }),
                )
                .await?;
            if sent == Sent::Answered {
                self.cut_short = true;
                return Ok(Sent::Answered);
            }
        }
        Ok(Sent::All)
    }

    /// Reads what the server sent while the request is being written.
    /// `Ready(Ok)` once a final response head is complete (or the server
    /// closed or broke the connection, which `read_head` then reports);
    /// `Pending` while there is none.
    fn poll_early_answer(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        loop {
            let mut scratch = [0u8; 2048];
            let mut rb = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.stream).poll_read(cx, &mut rb) {
                Poll::Pending => return Poll::Pending,
                // A failed or closed socket: stop sending; reading the head
                // will tell what happened.
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) if rb.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {
                    self.progress = Progress::ResponseStarted;
                    self.buf.extend_from_slice(rb.filled());
                }
            }
            if let Some(head) = self.buffered_final_head()? {
                self.early_head = Some(head);
                return Poll::Ready(Ok(()));
            }
        }
    }

    /// Decodes what is buffered up to the final response head, skipping
    /// 1xx heads: `Some` once it is complete, `None` while more bytes are
    /// needed.
    fn buffered_final_head(&mut self) -> Result<Option<ResponseHead>, Error> {
        self.buffered_final_head_in(Phase::ReadHead)
    }

    /// [`Conn::buffered_final_head`], with errors naming `phase`.
    fn buffered_final_head_in(&mut self, phase: Phase) -> Result<Option<ResponseHead>, Error> {
        loop {
            let step = self
                .decoder
                .decode(&self.buf[self.start..])
                .map_err(|e| Error::protocol(phase, e))?;
            self.start += step.consumed;
            match step.event {
                Some(Event::Head(head)) if head.is_informational() && head.status != 101 => {}
                Some(Event::Head(head)) => return Ok(Some(head)),
                // Nothing but a head comes before the final head.
                Some(_) => return Err(Error::unexpected(phase, Unexpected::BodyBeforeHead)),
                None => return Ok(None),
            }
        }
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
        loop {
            if let Some(head) = self.buffered_final_head_in(Phase::Connect)? {
                return Ok(head);
            }
            if !self
                .fill(deadline, &mut LazyEnd::fixed(Phase::Connect, end))
                .await?
            {
                let e = self
                    .decoder
                    .finish()
                    .err()
                    .unwrap_or(ParseError::IncompleteMessage);
                return Err(Error::protocol(Phase::Connect, e));
            }
        }
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

    /// Flushes what `write_body` wrote.
    pub(crate) async fn flush(&mut self, deadline: &Deadline) -> Result<(), Error> {
        let stream = &mut self.stream;
        deadline
            .run(Phase::Write, async {
                stream.flush().await.map_err(|e| io_error(Phase::Write, e))
            })
            .await
    }

    /// Reads until the final response head; 1xx heads are skipped.
    ///
    /// The head as a whole must arrive within the read budget: a server
    /// that drips it a byte at a time cannot stretch that.
    pub(crate) async fn read_head(&mut self, deadline: &Deadline) -> Result<ResponseHead, Error> {
        let head = match self.early_head.take() {
            Some(head) => head,
            None => self.read_head_bytes(deadline).await?,
        };
        self.keep_alive_until =
            keep_alive_timeout(&head).and_then(|t| Instant::now().checked_add(t));
        Ok(head)
    }

    async fn read_head_bytes(&mut self, deadline: &Deadline) -> Result<ResponseHead, Error> {
        let mut end = deadline.lazy_end(Phase::ReadHead);
        loop {
            match self.buffered_final_head()? {
                Some(head) => return Ok(head),
                None => {
                    if !self.fill(deadline, &mut end).await? {
                        let e = self
                            .decoder
                            .finish()
                            .err()
                            .unwrap_or(ParseError::IncompleteMessage);
                        return Err(Error::protocol(Phase::ReadHead, e));
                    }
                }
            }
        }
    }

    /// The next piece of the body, or its end. A protocol switch (101) is
    /// refused: brisk never asks for one.
    ///
    /// With [`Dest::Append`] or [`Dest::Fill`], plain body bytes that are
    /// not yet buffered are read from the socket straight into the
    /// destination (reported as [`BodyPart::Direct`]), so a large body is
    /// copied once, from the kernel into its final place.
    pub(crate) async fn read_body(
        &mut self,
        mut dest: Dest<'_>,
        deadline: &Deadline,
    ) -> Result<BodyPart<'_>, Error> {
        let cap = match &dest {
            Dest::Fill(out) => out.len(),
            _ => usize::MAX,
        };
        loop {
            let step = self
                .decoder
                .decode_at_most(&self.buf[self.start..], cap)
                .map_err(|e| Error::protocol(Phase::ReadBody, e))?;
            let consumed = step.consumed;
            match step.event {
                Some(Event::Body(bytes)) => {
                    // A body slice always ends where the consumed bytes end.
                    let end = self.start + consumed;
                    let begin = end - bytes.len();
                    self.start = end;
                    let bytes = &self.buf[begin..end];
                    if let Dest::Fill(out) = dest {
                        out[..bytes.len()].copy_from_slice(bytes);
                        return Ok(BodyPart::Direct(bytes.len()));
                    }
                    return Ok(BodyPart::Data(bytes));
                }
                Some(Event::End { reusable }) => {
                    self.start += consumed;
                    self.read_hint = self.response_bytes;
                    return Ok(BodyPart::End { reusable });
                }
                Some(Event::Upgrade) | Some(Event::Head(_)) => {
                    return Err(Error::unexpected(Phase::ReadBody, Unexpected::HeadInBody))
                }
                None => {
                    self.start += consumed;
                    let pending = self.decoder.body_bytes_pending();
                    if let (Some(n), true) = (pending, self.is_drained()) {
                        let got = match &mut dest {
                            Dest::Lend => None,
                            Dest::Append(out) => Some(self.read_direct(out, n, deadline).await?),
                            Dest::Fill(out) => Some(self.read_into(out, n, deadline).await?),
                        };
                        match got {
                            Some(0) => {
                                return Err(Error::protocol(
                                    Phase::ReadBody,
                                    ParseError::IncompleteMessage,
                                ))
                            }
                            Some(got) => {
                                self.decoder.skip_body(got as u64);
                                return Ok(BodyPart::Direct(got));
                            }
                            None => {}
                        }
                    }
                    if !self
                        .fill(deadline, &mut deadline.lazy_end(Phase::ReadBody))
                        .await?
                    {
                        return match self.decoder.finish() {
                            Ok(Event::End { reusable }) => Ok(BodyPart::End { reusable }),
                            Ok(_) => Err(Error::protocol(
                                Phase::ReadBody,
                                ParseError::IncompleteMessage,
                            )),
                            Err(e) => Err(Error::protocol(Phase::ReadBody, e)),
                        };
                    }
                }
            }
        }
    }

    /// Decodes the rest of the body from what is already buffered,
    /// discarding it. `Some(reusable)` if the message ended there.
    pub(crate) fn finish_buffered(&mut self) -> Option<bool> {
        loop {
            let step = self.decoder.decode(&self.buf[self.start..]).ok()?;
            self.start += step.consumed;
            match step.event? {
                Event::Body(_) => {}
                Event::End { reusable } => {
                    self.read_hint = self.response_bytes;
                    return Some(reusable);
                }
                Event::Head(_) | Event::Upgrade => return None,
            }
        }
    }

    /// Whether every byte read has been consumed.
    pub(crate) fn is_drained(&self) -> bool {
        self.start == self.buf.len()
    }

    /// Reads up to `limit` bytes onto the end of `out`; 0 at EOF.
    async fn read_direct(
        &mut self,
        out: &mut Vec<u8>,
        limit: u64,
        deadline: &Deadline,
    ) -> Result<usize, Error> {
        let want = usize::try_from(limit).unwrap_or(usize::MAX).min(DIRECT_MAX);
        // Grow geometrically from one read chunk, but never past what the
        // body still holds: a 1 MiB body announced by Content-Length takes
        // one allocation, a larger one grows by doubling up to its size.
        if out.capacity() - out.len() < READ_CHUNK.min(want) {
            out.reserve(want.min(READ_CHUNK.max(out.len())));
        }
        let mut stream = (&mut self.stream).take(want as u64);
        let n = deadline
            .run(Phase::ReadBody, async {
                stream
                    .read_buf(out)
                    .await
                    .map_err(|e| io_error(Phase::ReadBody, e))
            })
            .await?;
        self.count_read(n);
        Ok(n)
    }

    /// Books `n` bytes read for the current response: it has started (so a
    /// failure is no longer a free retry elsewhere), and its size feeds the
    /// next response's read hint.
    fn count_read(&mut self, n: usize) {
        if n > 0 {
            self.progress = Progress::ResponseStarted;
            self.response_bytes = self.response_bytes.saturating_add(n);
        }
    }

    /// Reads up to `limit` bytes (and at most `out.len()`) into `out`; 0 at
    /// EOF.
    async fn read_into(
        &mut self,
        out: &mut [u8],
        limit: u64,
        deadline: &Deadline,
    ) -> Result<usize, Error> {
        let want = usize::try_from(limit).map_or(out.len(), |l| l.min(out.len()));
        let stream = &mut self.stream;
        let n = deadline
            .run(Phase::ReadBody, async {
                stream
                    .read(&mut out[..want])
                    .await
                    .map_err(|e| io_error(Phase::ReadBody, e))
            })
            .await?;
        self.count_read(n);
        Ok(n)
    }

    /// Reads more bytes into the buffer, within `end` (see
    /// [`Deadline::run_within`]). `Ok(false)` when the server closed the
    /// connection.
    async fn fill(&mut self, deadline: &Deadline, end: &mut LazyEnd) -> Result<bool, Error> {
        let phase = end.phase();
        // The least room a read should have: a first-size buffer is kept
        // until it runs low; after that, half a growth step.
        let min_spare = if self.buf.capacity() < READ_CHUNK {
            FIRST_SPARE
        } else {
            READ_CHUNK / 2
        };
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 0 && self.buf.capacity() - self.buf.len() < min_spare {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        if self.buf.capacity() - self.buf.len() < min_spare {
            self.buf.reserve(READ_CHUNK);
        }
        // Ask for exactly what is expected, when it is known: the size of
        // the previous response for the first read (APIs answer alike), or
        // the rest of a body. A read that fills its request leaves tokio's
        // readiness set, so the next read goes straight to the socket
        // instead of through a reactor turn (an epoll_wait) first. Bytes
        // the server sends past the end of a message may so stay in the
        // kernel: the peek before the connection is reused finds them.
        let spare = self.buf.capacity() - self.buf.len();
        let expected = match self.decoder.body_bytes_pending() {
            Some(n) if self.start == self.buf.len() => usize::try_from(n).unwrap_or(usize::MAX),
            _ if self.response_bytes == 0 && self.read_hint > 0 => self.read_hint,
            _ => spare,
        };
        let limit = expected.clamp(1, spare) as u64;
        let (stream, buf) = (&mut self.stream, &mut self.buf);
        let n = deadline
            .run_within(end, async {
                stream
                    .take(limit)
                    .read_buf(buf)
                    .await
                    .map_err(|e| io_error(phase, e))
            })
            .await?;
        self.count_read(n);
        Ok(n > 0)
    }
}

/// `Keep-Alive: timeout=N` (RFC 2068 §19.7.1.1, still sent by Apache, nginx
/// and many frameworks): the server keeps an idle connection for N
/// seconds. brisk stops reusing it a margin (up to 1 s) before that, so
/// that a request is not written into a connection the server is about to
/// close.
fn keep_alive_timeout(head: &ResponseHead) -> Option<Duration> {
    let value = head.headers.get("keep-alive")?.to_str().ok()?;
    let secs: u64 = value.split(',').find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("timeout")
            .then(|| v.trim().parse().ok())?
    })?;
    // A day is longer than any pool keeps a connection anyway.
    let promised = Duration::from_secs(secs.min(86_400));
    let margin = Duration::from_secs(1).min(promised / 2);
    Some(promised - margin)
}
