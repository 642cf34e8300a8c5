//! [`Body`]: what a request sends, bytes in memory or a stream read while
//! it is sent, and how it is framed on the wire.

mod exact;
#[cfg(feature = "futures-stream")]
mod stream;

pub(crate) use exact::{EndCheck, ExactLen};

use crate::h1::BodyFraming;
use std::fmt;
use std::sync::Mutex;
use tokio::io::AsyncRead;

/// A streamed body's reader.
pub(crate) type BoxReader = Box<dyn AsyncRead + Send + Unpin>;

/// What a body holds, taken out of it (for a multipart part).
pub(crate) enum Source {
    Bytes(Vec<u8>),
    /// A stream, with its declared length if it has one.
    Reader(BoxReader, Option<u64>),
    /// A stream already sent.
    Spent,
}

/// A request body: bytes in memory, or a stream read while it is sent.
///
/// A body is `Send` and `Sync`, as reqwest's is, so a `RequestBuilder` or
/// a request can be shared across tasks by reference.
pub struct Body {
    pub(super) kind: BodyKind,
}

pub(super) enum BodyKind {
    Empty,
    Bytes(Vec<u8>),
    /// Streamed; `reader` is `None` once sent. The mutex is never locked:
    /// the body is only ever read through `&mut` (`Mutex::get_mut`), and
    /// the mutex is there to make a `Send`-only reader `Sync`.
    Reader {
        reader: Option<Mutex<Box<dyn AsyncRead + Send + Unpin>>>,
        /// The declared length ([`Body::sized`]): sent as
        /// `Content-Length`; `None` means chunked.
        len: Option<u64>,
    },
}

impl Body {
    /// No body.
    pub fn empty() -> Body {
        Body {
            kind: BodyKind::Empty,
        }
    }

    /// A body of unknown length, streamed from `reader` with chunked
    /// encoding. It can be sent only once: it is not retried, and a 307 or
    /// 308 redirect is returned to the caller instead of followed.
    pub fn from_reader(reader: impl AsyncRead + Send + Unpin + 'static) -> Body {
        Body {
            kind: BodyKind::Reader {
                reader: Some(Mutex::new(Box::new(reader))),
                len: None,
            },
        }
    }

    /// A body of exactly `len` bytes, streamed from `reader` and sent with
    /// `Content-Length: len` rather than chunked: for servers that refuse
    /// chunked uploads, such as S3-style presigned PUTs. The file need not
    /// fit in memory.
    ///
    /// The reader must yield exactly `len` bytes. If it ends early, or has
    /// more, the request fails with an error ([`Error::is_body`](crate::Error::is_body)) and its
    /// connection is closed, never reused: no more than `len` bytes are
    /// ever written, so a wrong length cannot run into the next request.
    /// Like [`Body::from_reader`], it can be sent only once.
    ///
    /// ```no_run
    /// # async fn put(client: brisk::Client, url: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// # let bytes: &'static [u8] = b"contents";
    /// // A file would do the same: tokio's `File` with its length from
    /// // `metadata().len()`.
    /// let body = brisk::Body::sized(bytes, bytes.len() as u64);
    /// client.put(url).body(body).send().await?.error_for_status()?;
    /// # Ok(()) }
    /// ```
    pub fn sized(reader: impl AsyncRead + Send + Unpin + 'static, len: u64) -> Body {
        Body {
            kind: BodyKind::Reader {
                reader: Some(Mutex::new(Box::new(reader))),
                len: Some(len),
            },
        }
    }

    /// Takes out what the body holds.
    pub(crate) fn into_source(self) -> Source {
        match self.kind {
            BodyKind::Empty => Source::Bytes(Vec::new()),
            BodyKind::Bytes(b) => Source::Bytes(b),
            BodyKind::Reader {
                reader: Some(r),
                len,
            } => Source::Reader(r.into_inner().unwrap_or_else(|p| p.into_inner()), len),
            BodyKind::Reader { reader: None, .. } => Source::Spent,
        }
    }

    /// A copy, unless the body is a stream.
    pub fn try_clone(&self) -> Option<Body> {
        let kind = match &self.kind {
            BodyKind::Empty => BodyKind::Empty,
            BodyKind::Bytes(b) => BodyKind::Bytes(b.clone()),
            BodyKind::Reader { .. } => return None,
        };
        Some(Body { kind })
    }

    /// The bytes of a body held in memory (`None` for a stream).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.kind {
            BodyKind::Empty => Some(&[]),
            BodyKind::Bytes(b) => Some(b),
            BodyKind::Reader { .. } => None,
        }
    }

    pub(super) fn is_replayable(&self) -> bool {
        !matches!(self.kind, BodyKind::Reader { .. })
    }

    /// How the body is framed on the wire for `method`.
    pub(super) fn framing(&self, method: &str) -> BodyFraming {
        match &self.kind {
            // RFC 9110 §8.6: a user agent SHOULD send `Content-Length: 0`
            // for a method that expects content (POST, PUT, PATCH) and has
            // none; servers and proxies may answer 411 without it.
            BodyKind::Empty if matches!(method, "POST" | "PUT" | "PATCH") => BodyFraming::Length(0),
            BodyKind::Empty => BodyFraming::None,
            BodyKind::Bytes(b) => BodyFraming::Length(b.len() as u64),
            BodyKind::Reader { len: Some(n), .. } => BodyFraming::Length(*n),
            BodyKind::Reader { len: None, .. } => BodyFraming::Chunked,
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            BodyKind::Empty => f.write_str("Body::Empty"),
            BodyKind::Bytes(b) => write!(f, "Body({} bytes)", b.len()),
            BodyKind::Reader { len: None, .. } => f.write_str("Body::Stream"),
            BodyKind::Reader { len: Some(n), .. } => write!(f, "Body::Stream({n} bytes)"),
        }
    }
}

/// A file, streamed from its current position to its end, in pieces (never
/// read whole into memory), with `Content-Length` from its metadata: reqwest's
/// `Body::from(tokio::fs::File)` (which sends it chunked).
///
/// The length is read when the body is made (one `fstat`, and one `lseek`
/// for the position). A file that grows or shrinks before it is sent whole
/// fails the request ([`Error::is_body`](crate::Error::is_body)), and the
/// connection is closed: the server never receives a complete request with
/// the wrong bytes, neither cut short nor run long. The last byte goes out
/// only once a read past it has found the file's end.
///
/// Something that is not a regular file (a pipe, a character device), or
/// a file with a read still in progress, has no length to trust: it is
/// streamed until its end, chunked. Like every stream, the body is sent
/// once: it is not retried, and a 307 or 308 redirect is returned to the
/// caller instead of followed.
///
/// ```no_run
/// # async fn put(client: brisk::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let file = tokio::fs::File::open("report.pdf").await?;
/// client
///     .put("https://uploads.example.com/report.pdf")
///     .body(file)
///     .send()
///     .await?
///     .error_for_status()?;
/// # Ok(()) }
/// ```
impl From<tokio::fs::File> for Body {
    fn from(file: tokio::fs::File) -> Body {
        use std::io::Seek;
        let std = match file.try_into_std() {
            Ok(std) => std,
            Err(busy) => return Body::from_reader(busy),
        };
        let len = match (std.metadata(), (&std).stream_position()) {
            (Ok(meta), Ok(pos)) if meta.is_file() => Some(meta.len().saturating_sub(pos)),
            _ => None,
        };
        let file = tokio::fs::File::from_std(std);
        match len {
            Some(len) => Body::exact_file(file, len),
            None => Body::from_reader(file),
        }
    }
}

impl Body {
    /// `len` bytes of `file`, held to that length (see `From<File>`).
    pub(crate) fn exact_file(file: tokio::fs::File, len: u64) -> Body {
        Body::sized(ExactLen::new(file, len, EndCheck::Wait), len)
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Body {
        Body {
            kind: BodyKind::Bytes(v),
        }
    }
}
impl From<String> for Body {
    fn from(s: String) -> Body {
        s.into_bytes().into()
    }
}
impl From<&str> for Body {
    fn from(s: &str) -> Body {
        s.as_bytes().to_vec().into()
    }
}
impl From<&[u8]> for Body {
    fn from(s: &[u8]) -> Body {
        s.to_vec().into()
    }
}
