//! [`Body::wrap_stream`] (feature `futures-stream`): a body from a
//! `futures_core::Stream` of byte chunks, as reqwest's.

use super::Body;
use futures_core::Stream;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

impl Body {
    /// A body streamed from `stream`'s chunks, chunked on the wire (its
    /// length is unknown), as reqwest's `Body::wrap_stream`. A chunk is
    /// anything that is bytes: `Vec<u8>`, `String`, `&'static str`,
    /// `bytes::Bytes`. An error from the stream fails the request
    /// ([`Error::is_body`](crate::Error::is_body)), with the stream's error
    /// as its source; the connection is closed, so the server never takes
    /// the cut-short body for a whole one. Like every stream, it is sent
    /// once (no retry; a 307 or 308 is returned, not followed).
    ///
    /// Needs the `futures-stream` feature. Without it, an `AsyncRead` does
    /// the same through [`Body::from_reader`].
    ///
    /// ```
    /// # async fn run(client: brisk::Client) -> Result<(), brisk::Error> {
    /// // Any `futures_core::Stream`: here one from a channel, as a task
    /// // producing the upload would make it.
    /// struct Lines(std::vec::IntoIter<&'static str>);
    /// impl futures_core::Stream for Lines {
    ///     type Item = Result<&'static str, std::io::Error>;
    ///     fn poll_next(
    ///         mut self: std::pin::Pin<&mut Self>,
    ///         _: &mut std::task::Context<'_>,
    ///     ) -> std::task::Poll<Option<Self::Item>> {
    ///         std::task::Poll::Ready(self.0.next().map(Ok))
    ///     }
    /// }
    /// let body = brisk::Body::wrap_stream(Lines(vec!["a\n", "b\n"].into_iter()));
    /// # let _ = (client, body);
    /// # Ok(()) }
    /// ```
    pub fn wrap_stream<S, O, E>(stream: S) -> Body
    where
        S: Stream<Item = Result<O, E>> + Send + 'static,
        O: AsRef<[u8]> + Send + Unpin + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Body::from_reader(StreamReader {
            stream: Box::pin(stream),
            current: None,
        })
    }
}

/// Reads a stream's chunks as bytes, one chunk held at a time.
struct StreamReader<S, O> {
    stream: Pin<Box<S>>,
    /// The chunk being read, and how much of it is read.
    current: Option<(O, usize)>,
}

impl<S, O, E> AsyncRead for StreamReader<S, O>
where
    S: Stream<Item = Result<O, E>>,
    O: AsRef<[u8]> + Unpin,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if let Some((chunk, at)) = this.current.as_mut() {
                let rest = &chunk.as_ref()[*at..];
                if !rest.is_empty() {
                    let n = rest.len().min(buf.remaining());
                    buf.put_slice(&rest[..n]);
                    *at += n;
                    return Poll::Ready(Ok(()));
                }
                this.current = None;
            }
            match this.stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => this.current = Some((chunk, 0)),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(io::Error::other(e.into()))),
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
