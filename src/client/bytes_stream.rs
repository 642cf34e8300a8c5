//! [`BytesStream`]: a response body as a stream of chunks, for code
//! written against reqwest's `bytes_stream()`.
//!
//! It is built on [`Response::chunk`] alone, so whatever `chunk` does to
//! the body on its way (a transfer decoding, a content decoding) a stream
//! gets too.

use super::Response;
use crate::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One chunk read, handed back with the response it was read from.
type ChunkRead = (Box<Response>, Result<Option<Vec<u8>>, Error>);

/// A response body as a stream of chunks, from [`Response::bytes_stream`].
///
/// Its own [`next`](BytesStream::next) gives the next chunk, so the loop
/// written for reqwest's stream compiles unchanged, with or without
/// `futures::StreamExt` in scope (a type's own method wins over a
/// trait's):
///
/// ```no_run
/// # async fn run() -> Result<(), brisk::Error> {
/// let mut stream = brisk::get("http://127.0.0.1:8080/big.iso").await?.bytes_stream();
/// let mut total = 0;
/// while let Some(chunk) = stream.next().await {
///     total += chunk?.len(); // a Vec<u8>: it derefs to [u8]
/// }
/// # Ok(()) }
/// ```
///
/// With the `futures-stream` feature it is also a `futures_core::Stream`,
/// for the combinators of the futures crate (`map`, `try_fold`,
/// `forward`). Each chunk is a `Vec<u8>`, as [`Response::chunk`] gives,
/// where reqwest gives `bytes::Bytes`: both deref to `[u8]`.
///
/// The stream ends (`None`) after the body's last chunk, or after the
/// first error. Reading to the end returns the connection to the pool;
/// dropping the stream before that closes it, as dropping the response
/// would.
pub struct BytesStream {
    state: State,
}

enum State {
    /// Between chunks (boxed: a response is large, and moves into each
    /// read of `poll_next`).
    Idle(Box<Response>),
    /// A chunk being read for `poll_next` (which cannot borrow the
    /// response across polls, so the read owns it meanwhile).
    Reading(Pin<Box<dyn Future<Output = ChunkRead> + Send>>),
    Done,
}

impl Response {
    /// The body as a stream of chunks ([`BytesStream`]): reqwest's
    /// `bytes_stream()`, with a `next().await` of its own, so it needs no
    /// futures crate. The same as calling [`chunk`](Response::chunk) in a
    /// loop.
    pub fn bytes_stream(self) -> BytesStream {
        BytesStream {
            state: State::Idle(Box::new(self)),
        }
    }
}

impl BytesStream {
    /// The next chunk of the body, an error, or `None` at the end (and
    /// after an error).
    #[allow(clippy::should_implement_trait)] // `Iterator::next` is not async
    pub async fn next(&mut self) -> Option<Result<Vec<u8>, Error>> {
        if let State::Idle(resp) = &mut self.state {
            let read = resp.chunk().await;
            return self.settle(read);
        }
        std::future::poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// After a read on an idle stream: the item, and the stream's next
    /// state.
    fn settle(&mut self, read: Result<Option<Vec<u8>>, Error>) -> Option<Result<Vec<u8>, Error>> {
        match read {
            Ok(Some(chunk)) => Some(Ok(chunk)),
            Ok(None) => {
                self.state = State::Done;
                None
            }
            Err(e) => {
                self.state = State::Done;
                Some(Err(e))
            }
        }
    }

    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Vec<u8>, Error>>> {
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Idle(mut resp) => {
                    self.state = State::Reading(Box::pin(async move {
                        let read = resp.chunk().await;
                        (resp, read)
                    }));
                }
                State::Reading(mut read) => {
                    let Poll::Ready((resp, read_out)) = read.as_mut().poll(cx) else {
                        self.state = State::Reading(read);
                        return Poll::Pending;
                    };
                    self.state = State::Idle(resp);
                    return Poll::Ready(self.settle(read_out));
                }
                State::Done => return Poll::Ready(None),
            }
        }
    }
}

#[cfg(feature = "futures-stream")]
impl futures_core::Stream for BytesStream {
    type Item = Result<Vec<u8>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_chunk(cx)
    }
}

impl fmt::Debug for BytesStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle(_) => "idle",
            State::Reading(_) => "reading",
            State::Done => "done",
        };
        f.debug_struct("BytesStream")
            .field("state", &state)
            .finish()
    }
}
