//! The read side of a connection: the response head and body through the
//! read buffer, and reads straight into the caller's memory.

use super::{BodyPart, Conn, Dest};
use crate::deadline::{Deadline, LazyEnd};
use crate::error::{Error, Phase, Unexpected};
use crate::h1::{Event, ParseError, ResponseHead};
use crate::retry::Progress;
use crate::transport::io_error;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

/// Read-buffer growth step: one read asks for at least this much room.
const READ_CHUNK: usize = 16 * 1024;

/// A new connection's read buffer: one page, which holds a typical API
/// answer whole (head and a small body). It grows to [`READ_CHUNK`] steps
/// the first time a read would have less than [`FIRST_SPARE`] of room, so
/// that 10,000 idle or waiting connections do not each hold 16 KiB.
pub(super) const FIRST_READ_BUF: usize = 4 * 1024;

/// The room below which a first-size buffer grows.
const FIRST_SPARE: usize = 1024;

/// The most one direct read takes, so that a huge announced body does not
/// reserve memory ahead of the bytes actually arriving.
const DIRECT_MAX: usize = 4 * 1024 * 1024;

impl Conn {
    /// Decodes what is buffered up to the final response head, skipping
    /// 1xx heads: `Some` once it is complete, `None` while more bytes are
    /// needed.
    pub(super) fn buffered_final_head(&mut self) -> Result<Option<ResponseHead>, Error> {
        self.buffered_final_head_in(Phase::ReadHead)
    }

    /// [`Conn::buffered_final_head`], with errors naming `phase`.
    pub(super) fn buffered_final_head_in(
        &mut self,
        phase: Phase,
    ) -> Result<Option<ResponseHead>, Error> {
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
        self.read_final_head_within(deadline, &mut end, Phase::ReadHead)
            .await
    }

    /// Reads until the final response head (1xx heads skipped), all of it
    /// within `end`, with errors naming `phase`: the response's head, or a
    /// proxy's answer to CONNECT.
    pub(super) async fn read_final_head_within(
        &mut self,
        deadline: &Deadline,
        end: &mut LazyEnd,
        phase: Phase,
    ) -> Result<ResponseHead, Error> {
        loop {
            if let Some(head) = self.buffered_final_head_in(phase)? {
                return Ok(head);
            }
            if !self.fill(deadline, end).await? {
                let e = self
                    .decoder
                    .finish()
                    .err()
                    .unwrap_or(ParseError::IncompleteMessage);
                return Err(Error::protocol(phase, e));
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
    pub(super) async fn fill(
        &mut self,
        deadline: &Deadline,
        end: &mut LazyEnd,
    ) -> Result<bool, Error> {
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
