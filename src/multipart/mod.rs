//! `multipart/form-data` request bodies (RFC 7578), with reqwest's API:
//! the body OpenAI's `/v1/audio/transcriptions` and `/v1/files` take, and
//! any HTML form with a file in it.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use brisk::multipart::{Form, Part};
//!
//! let form = Form::new()
//!     .text("model", "whisper-1")
//!     .file("file", "speech.wav")
//!     .await?;
//! let reply = brisk::Client::new()
//!     .post("https://api.openai.com/v1/audio/transcriptions")
//!     .bearer_auth(std::env::var("OPENAI_API_KEY")?)
//!     .multipart(form)
//!     .send()
//!     .await?
//!     .error_for_status()?
//!     .text() // or .json(), with the `json` feature
//!     .await?;
//!
//! // Parts of every kind: bytes with a file name and a type, a stream.
//! let csv = Part::bytes(b"a,b\n1,2\n".to_vec())
//!     .file_name("table.csv")
//!     .mime_str("text/csv")?;
//! let form = Form::new().part("table", csv);
//! # let _ = (reply, form);
//! # Ok(()) }
//! ```
//!
//! How the body goes out:
//!
//! - **Length.** When every part's length is known (text, bytes, files,
//!   [`Part::stream_with_length`]), the body is sent with
//!   `Content-Length`, which some servers require; a part of unknown
//!   length ([`Part::stream`] of a reader) makes the whole body chunked.
//! - **Memory.** File and stream parts are read in pieces (16 KiB) while
//!   they are sent, never whole: a 200 MB file costs the same memory as a
//!   small one. Parts held in memory are sent from where they are.
//! - **Lengths that change.** A file's length is read when the part is
//!   made; a file that grows or shrinks before it is sent, or a stream
//!   that gives more or fewer bytes than [`Part::stream_with_length`]
//!   said, fails the request ([`Error::is_body`](crate::Error::is_body))
//!   and closes the connection: the server never receives a complete
//!   body with other bytes than the ones declared.
//! - **Names.** Field names and file names are escaped as the HTML
//!   standard says for form submissions: `"` becomes `%22`, CR `%0D`, LF
//!   `%0A`; non-ASCII is sent as UTF-8 (as browsers do; reqwest instead
//!   percent-encodes non-ASCII file names by default).
//! - **Boundary.** Random, 128 bits, and checked against every part held
//!   in memory (and every name and header): if one contains it, another is
//!   drawn. Streams cannot be checked before they are sent; the chance
//!   that one holds a random 128-bit boundary is nil, unless its author
//!   read the boundary first.
//! - **Once.** A form with a file or stream part can be sent once: it is
//!   not retried, and a 307 or 308 redirect is returned to the caller
//!   instead of followed. A form of text and bytes is sent from memory,
//!   and can be retried and redirected like any other body.

mod encode;

use crate::client::{Body, BoxReader, EndCheck, ExactLen, Source};
use crate::error::Error;
use crate::header::HeaderMap;
use encode::{FormReader, PartMeta, Segment};
use std::borrow::Cow;
use std::fmt;
use std::path::Path;

/// A `multipart/form-data` body under construction: named parts, in
/// order. Sent by [`RequestBuilder::multipart`](crate::RequestBuilder::multipart).
pub struct Form {
    boundary: String,
    parts: Vec<(Cow<'static, str>, Part)>,
}

/// One part of a [`Form`]: its bytes (held, or streamed while sent), and
/// optionally a file name, a media type and header fields of its own.
pub struct Part {
    body: PartBody,
    file_name: Option<Cow<'static, str>>,
    mime: Option<Cow<'static, str>>,
    headers: HeaderMap,
}

enum PartBody {
    Bytes(Cow<'static, [u8]>),
    /// Streamed; `len` when declared or known (a file's), in which case
    /// the reader is held to it with `end`.
    Stream {
        reader: BoxReader,
        len: Option<u64>,
        end: EndCheck,
    },
    /// A body already sent: sending the form fails.
    Spent,
}

impl Default for Form {
    fn default() -> Form {
        Form::new()
    }
}

impl Form {
    /// An empty form with a fresh random boundary.
    pub fn new() -> Form {
        Form {
            boundary: encode::random_boundary(),
            parts: Vec::new(),
        }
    }

    /// The boundary between the parts. The body is sent with this one,
    /// unless a part held in memory contains it, in which case another is
    /// drawn, and the request's `Content-Type` names that one.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// Adds a text field.
    pub fn text<T, U>(self, name: T, value: U) -> Form
    where
        T: Into<Cow<'static, str>>,
        U: Into<Cow<'static, str>>,
    {
        self.part(name, Part::text(value))
    }

    /// Adds a part.
    pub fn part<T: Into<Cow<'static, str>>>(mut self, name: T, part: Part) -> Form {
        self.parts.push((name.into(), part));
        self
    }

    /// Adds the file at `path` as a part: opened now, its length read from
    /// its metadata, its file name the path's last component and its type
    /// guessed from the extension (see [`Part::file`]). Its bytes are read
    /// while the request is sent.
    pub async fn file<T, U>(self, name: T, path: U) -> std::io::Result<Form>
    where
        T: Into<Cow<'static, str>>,
        U: AsRef<Path>,
    {
        Ok(self.part(name, Part::file(path).await?))
    }

    /// The body and the request's `Content-Type`.
    pub(crate) fn encode(self) -> Result<(Body, String), Error> {
        let boundary = self.safe_boundary()?;
        let mut segments = Vec::new();
        let mut held = Vec::new();
        let mut total = Some(0u64);
        let add = |total: &mut Option<u64>, n: u64| *total = total.and_then(|t| t.checked_add(n));
        for (i, (name, part)) in self.parts.into_iter().enumerate() {
            let meta = PartMeta {
                file_name: part.file_name.as_deref(),
                mime: part.mime.as_deref(),
                headers: &part.headers,
            };
            let start = held.len();
            encode::part_head(&boundary, i == 0, &name, &meta, &mut held);
            add(&mut total, (held.len() - start) as u64);
            match part.body {
                PartBody::Bytes(bytes) => {
                    held.extend_from_slice(&bytes);
                    add(&mut total, bytes.len() as u64);
                }
                PartBody::Stream { reader, len, end } => {
                    segments.push(Segment::Bytes(std::mem::take(&mut held)));
                    match len {
                        Some(n) => {
                            segments.push(Segment::Stream(Box::new(ExactLen::new(reader, n, end))));
                            add(&mut total, n);
                        }
                        None => {
                            segments.push(Segment::Stream(reader));
                            total = None;
                        }
                    }
                }
                PartBody::Spent => {
                    return Err(Error::builder("a streamed body can be sent only once"))
                }
            }
        }
        let start = held.len();
        encode::close(&boundary, segments.is_empty() && start == 0, &mut held);
        add(&mut total, (held.len() - start) as u64);
        let content_type = format!("multipart/form-data; boundary={boundary}");
        if segments.is_empty() {
            return Ok((Body::from(held), content_type));
        }
        segments.push(Segment::Bytes(held));
        let reader = FormReader::new(segments);
        let body = match total {
            Some(n) => Body::sized(reader, n),
            None => Body::from_reader(reader),
        };
        Ok((body, content_type))
    }

    /// The form's boundary, or a new one if something held in memory
    /// contains it.
    fn safe_boundary(&self) -> Result<String, Error> {
        let mut boundary = self.boundary.clone();
        for _ in 0..16 {
            if !self.holds(boundary.as_bytes()) {
                return Ok(boundary);
            }
            boundary = encode::random_boundary();
        }
        // 16 random 128-bit boundaries all found in the parts: not chance.
        Err(Error::builder(
            "no boundary found that the form's parts do not contain",
        ))
    }

    /// Whether `needle` occurs in any name, header or byte held in memory.
    fn holds(&self, needle: &[u8]) -> bool {
        self.parts.iter().any(|(name, part)| {
            let texts = [
                Some(&**name),
                part.file_name.as_deref(),
                part.mime.as_deref(),
            ];
            texts
                .into_iter()
                .flatten()
                .any(|t| encode::contains(t.as_bytes(), needle))
                || part.headers.iter().any(|(n, v)| {
                    encode::contains(n.as_str().as_bytes(), needle)
                        || encode::contains(v.as_bytes(), needle)
                })
                || matches!(&part.body, PartBody::Bytes(b) if encode::contains(b, needle))
        })
    }
}

impl Part {
    /// A text part (`Content-Type` unset, which RFC 7578 §4.4 reads as
    /// `text/plain`; UTF-8, as every form is sent today).
    pub fn text<T: Into<Cow<'static, str>>>(value: T) -> Part {
        let bytes = match value.into() {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        };
        Part::new(PartBody::Bytes(bytes))
    }

    /// A part of bytes held in memory.
    pub fn bytes<T: Into<Cow<'static, [u8]>>>(value: T) -> Part {
        Part::new(PartBody::Bytes(value.into()))
    }

    /// A part sent from a [`Body`]: bytes, or a stream read while the
    /// request is sent. A stream of unknown length ([`Body::from_reader`])
    /// makes the whole form chunked; a [`Body::sized`] one, or a file
    /// (`Body::from(tokio::fs::File)`), keeps its length.
    pub fn stream<T: Into<Body>>(value: T) -> Part {
        let body = match value.into().into_source() {
            Source::Bytes(b) => PartBody::Bytes(Cow::Owned(b)),
            Source::Reader(reader, len) => PartBody::Stream {
                reader,
                len,
                end: EndCheck::Ready,
            },
            Source::Spent => PartBody::Spent,
        };
        Part::new(body)
    }

    /// A part streamed from `value`, of exactly `length` bytes: the form is
    /// then sent with `Content-Length` if its other parts' lengths are
    /// known too. A stream that gives more or fewer bytes fails the
    /// request ([`Error::is_body`](crate::Error::is_body)) and nothing
    /// complete reaches the server.
    pub fn stream_with_length<T: Into<Body>>(value: T, length: u64) -> Part {
        let body = match value.into().into_source() {
            Source::Bytes(b) if b.len() as u64 == length => PartBody::Bytes(Cow::Owned(b)),
            // Held to the declared length like a stream, so the mismatch
            // fails the request as a stream's would.
            Source::Bytes(b) => PartBody::Stream {
                reader: Box::new(std::io::Cursor::new(b)),
                len: Some(length),
                end: EndCheck::Ready,
            },
            Source::Reader(reader, _) => PartBody::Stream {
                reader,
                len: Some(length),
                end: EndCheck::Ready,
            },
            Source::Spent => PartBody::Spent,
        };
        Part::new(body)
    }

    /// The file at `path` as a part: opened now, with its length from its
    /// metadata, its file name the path's last component, and its type
    /// from the extension (a short table of the types upload APIs take:
    /// audio, images, PDF, JSON and JSON Lines, text; else
    /// `application/octet-stream`). Change either with
    /// [`file_name`](Part::file_name) and [`mime_str`](Part::mime_str).
    ///
    /// Its bytes are read in pieces while the request is sent. A file
    /// that changes length before then fails the request.
    pub async fn file<T: AsRef<Path>>(path: T) -> std::io::Result<Part> {
        let path = path.as_ref();
        let file = tokio::fs::File::open(path).await?;
        let meta = file.metadata().await?;
        let len = meta.is_file().then_some(meta.len());
        let mut part = Part::new(PartBody::Stream {
            reader: Box::new(file),
            len,
            end: EndCheck::Wait,
        });
        if let Some(name) = path.file_name() {
            let name = name.to_string_lossy().into_owned();
            part.mime = Some(Cow::Borrowed(encode::mime_for(&name)));
            part.file_name = Some(Cow::Owned(name));
        }
        Ok(part)
    }

    fn new(body: PartBody) -> Part {
        Part {
            body,
            file_name: None,
            mime: None,
            headers: HeaderMap::new(),
        }
    }

    /// Sets the part's `Content-Type`. An invalid media type (not
    /// `type/subtype`, or with a control byte) is an error
    /// ([`Error::is_builder`](crate::Error::is_builder)).
    pub fn mime_str(mut self, mime: &str) -> Result<Part, Error> {
        if !encode::is_media_type(mime) {
            return Err(Error::builder("the part's media type is not valid"));
        }
        self.mime = Some(Cow::Owned(mime.to_string()));
        Ok(self)
    }

    /// Sets the file name the part is sent with (`filename=` in its
    /// `Content-Disposition`).
    pub fn file_name<T: Into<Cow<'static, str>>>(mut self, file_name: T) -> Part {
        self.file_name = Some(file_name.into());
        self
    }

    /// Adds header fields to the part's head, after `Content-Disposition`
    /// and `Content-Type` (a `Content-Disposition` among them is left out:
    /// the part's name and file name make it; a `Content-Type` too, when
    /// [`mime_str`](Part::mime_str) or a file's type set one).
    pub fn headers(mut self, headers: HeaderMap) -> Part {
        for (n, v) in &headers {
            self.headers.append(n.clone(), v.clone());
        }
        self
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("boundary", &self.boundary)
            .field("parts", &self.parts)
            .finish()
    }
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Part");
        match &self.body {
            PartBody::Bytes(b) => d.field("bytes", &b.len()),
            PartBody::Stream { len, .. } => d.field("stream", len),
            PartBody::Spent => d.field("stream", &"spent"),
        };
        d.field("file_name", &self.file_name)
            .field("mime", &self.mime)
            .field("headers", &self.headers)
            .finish()
    }
}
