//! [`ExactLen`]: a reader held to the length it declared.
//!
//! A body sent under `Content-Length: n` must be exactly `n` bytes (RFC
//! 9112 §6.2): fewer, and the server waits for bytes that never come;
//! more, and the surplus would be read as the start of the next request.
//! A file is the everyday case of a length that can be wrong: its size is
//! read from its metadata before the upload starts, and a program may
//! append to it or truncate it meanwhile.
//!
//! So the reader never hands over its last byte before it knows that the
//! stream ends there. The last byte is read together with a probe for one
//! more; only when the stream has reported its end is that byte released.
//! Whoever writes the body therefore never completes a request whose
//! source turned out longer than declared: the server is left holding an
//! incomplete request, and the connection is closed.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

/// How the end of the stream is confirmed once its declared length is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EndCheck {
    /// Wait for the stream to say it has ended: right for a file, where a
    /// read past the end returns at once (with 0 bytes, or with the bytes
    /// appended since).
    Wait,
    /// Look only at what the stream has ready now: right for a caller's
    /// stream, which may stay open after its last byte (a channel whose
    /// sender is still alive) and must not be waited on.
    Ready,
}

enum State {
    /// Reading the body, short of its last byte.
    Body,
    /// The declared length is read; this last byte (none for an empty
    /// body) is released once the stream is known to end.
    Tail(Option<u8>),
    Done,
}

/// A reader of exactly `len` bytes of `inner`: an error
/// ([`io::ErrorKind::InvalidData`]) if it ends sooner or has more.
pub(crate) struct ExactLen<R> {
    inner: R,
    left: u64,
    end: EndCheck,
    state: State,
}

impl<R> ExactLen<R> {
    pub(crate) fn new(inner: R, len: u64, end: EndCheck) -> ExactLen<R> {
        ExactLen {
            inner,
            left: len,
            end,
            state: State::Body,
        }
    }
}

/// The error for a stream that ended before its declared length.
pub(crate) fn too_short() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "the body stream ended before its declared length",
    )
}

/// The error for a stream with more bytes than its declared length.
pub(crate) fn too_long() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "the body stream has more bytes than its declared length",
    )
}

impl<R: AsyncRead + Unpin> AsyncRead for ExactLen<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            match this.state {
                State::Body if this.left > 1 => {
                    // Everything but the last byte goes straight into the
                    // caller's buffer.
                    let want = usize::try_from(this.left - 1)
                        .unwrap_or(usize::MAX)
                        .min(buf.remaining());
                    let mut part = ReadBuf::new(buf.initialize_unfilled_to(want));
                    ready!(Pin::new(&mut this.inner).poll_read(cx, &mut part))?;
                    let n = part.filled().len();
                    if n == 0 {
                        this.state = State::Done;
                        return Poll::Ready(Err(too_short()));
                    }
                    buf.advance(n);
                    this.left -= n as u64;
                    return Poll::Ready(Ok(()));
                }
                State::Body if this.left == 1 => {
                    // The last byte, and a second one if the stream has
                    // grown: both in one read where the stream has them.
                    let mut two = [0u8; 2];
                    let mut part = ReadBuf::new(&mut two);
                    ready!(Pin::new(&mut this.inner).poll_read(cx, &mut part))?;
                    match part.filled() {
                        [] => {
                            this.state = State::Done;
                            return Poll::Ready(Err(too_short()));
                        }
                        [last] => {
                            this.left = 0;
                            this.state = State::Tail(Some(*last));
                        }
                        _ => {
                            this.state = State::Done;
                            return Poll::Ready(Err(too_long()));
                        }
                    }
                }
                State::Body => this.state = State::Tail(None),
                State::Tail(last) => {
                    let mut one = [0u8; 1];
                    let mut probe = ReadBuf::new(&mut one);
                    let more = match Pin::new(&mut this.inner).poll_read(cx, &mut probe) {
                        Poll::Ready(Ok(())) => !probe.filled().is_empty(),
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending if this.end == EndCheck::Wait => return Poll::Pending,
                        // Nothing ready: the stream is taken at its word.
                        Poll::Pending => false,
                    };
                    this.state = State::Done;
                    if more {
                        return Poll::Ready(Err(too_long()));
                    }
                    if let Some(b) = last {
                        buf.put_slice(&[b]);
                    }
                    return Poll::Ready(Ok(()));
                }
                State::Done => return Poll::Ready(Ok(())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn read_all(data: &[u8], len: u64, piece: usize) -> io::Result<Vec<u8>> {
        let mut r = ExactLen::new(data, len, EndCheck::Wait);
        let mut out = Vec::new();
        let mut buf = vec![0u8; piece];
        loop {
            let n = r.read(&mut buf).await?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[tokio::test]
    async fn exact_length_passes_whole_in_any_piece_size() {
        let data: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        for piece in [1, 2, 3, 7, 999, 1000, 4096] {
            assert_eq!(read_all(&data, 1000, piece).await.unwrap(), data);
        }
        assert_eq!(read_all(b"", 0, 8).await.unwrap(), b"");
        assert_eq!(read_all(b"x", 1, 1).await.unwrap(), b"x");
    }

    #[tokio::test]
    async fn short_and_long_streams_fail_before_their_last_byte() {
        for piece in [1, 2, 5, 64] {
            let e = read_all(b"12345", 6, piece).await.unwrap_err();
            assert_eq!(e.to_string(), too_short().to_string());
            let e = read_all(b"123456", 5, piece).await.unwrap_err();
            assert_eq!(e.to_string(), too_long().to_string());
            let e = read_all(b"1", 0, piece).await.unwrap_err();
            assert_eq!(e.to_string(), too_long().to_string());
        }
        // The last declared byte is never handed over from a long stream.
        let mut r = ExactLen::new(&b"abcdef"[..], 3, EndCheck::Wait);
        let mut buf = [0u8; 16];
        assert_eq!(r.read(&mut buf).await.unwrap(), 2);
        assert!(r.read(&mut buf).await.is_err());
    }

    /// A reader like a file on tokio: every read answers on a later poll
    /// (the blocking pool), one byte at a time here.
    struct Stutter<'a> {
        data: &'a [u8],
        ready: bool,
    }

    impl AsyncRead for Stutter<'_> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let ready = self.ready;
            self.ready = !ready;
            if !ready {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if let Some((&b, rest)) = self.data.split_first() {
                buf.put_slice(&[b]);
                self.data = rest;
            }
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_reader_that_answers_later_is_waited_on_for_its_end() {
        let mut r = ExactLen::new(
            Stutter {
                data: b"abcX",
                ready: false,
            },
            3,
            EndCheck::Wait,
        );
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).await.is_err(), "{out:?}");
        assert_eq!(out, b"ab", "the last declared byte went out");
        // A caller's stream is only looked at: nothing ready is no more.
        let mut r = ExactLen::new(
            Stutter {
                data: b"abcX",
                ready: false,
            },
            3,
            EndCheck::Ready,
        );
        let mut out = Vec::new();
        r.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, b"abc");
    }
}
