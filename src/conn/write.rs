//! The write side of a connection: the request, its body, and what the
//! server answers before they are all out.

use super::{Conn, Sent};
use crate::deadline::Deadline;
use crate::error::{Error, Phase};
use crate::retry::Progress;
use crate::transport::io_error;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

/// A request body is written in pieces of at most this size, each within
/// the write budget: the budget bounds progress, not the whole upload.
const WRITE_PIECE: usize = 64 * 1024;

impl Conn {
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

    /// Flushes what `write_body` wrote.
    pub(crate) async fn flush(&mut self, deadline: &Deadline) -> Result<(), Error> {
        let stream = &mut self.stream;
        deadline
            .run(Phase::Write, async {
                stream.flush().await.map_err(|e| io_error(Phase::Write, e))
            })
            .await
    }
}
