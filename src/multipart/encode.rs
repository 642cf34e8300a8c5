//! The wire form of `multipart/form-data` (RFC 7578 on RFC 2046 §5.1):
//! part heads, the names in them, the boundary, and the reader that joins
//! parts held in memory with parts streamed from files or readers.
//!
//! ```text
//! --BOUNDARY\r\n
//! Content-Disposition: form-data; name="file"; filename="a.wav"\r\n
//! Content-Type: audio/wav\r\n
//! \r\n
//! ...the part's bytes...\r\n
//! --BOUNDARY\r\n
//! Content-Disposition: form-data; name="model"\r\n
//! \r\n
//! whisper-1\r\n
//! --BOUNDARY--\r\n
//! ```
//!
//! A part's bytes are never looked at by the receiver for anything but the
//! delimiter `CRLF--BOUNDARY`: the boundary must not occur in them, which
//! is why it is random, and checked against every part held in memory.

use crate::client::BoxReader;
use crate::header::HeaderMap;
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

/// A fresh random boundary: `brisk-` and 32 hexadecimal digits (128 bits),
/// 38 characters, well within RFC 2046's 70.
///
/// The bits come from the same per-process generator as retry jitter:
/// enough that the boundary never occurs by chance in a part brisk cannot
/// see (a file, a stream). It is not a secret, and not meant to be one:
/// the parts held in memory are checked for it (see `Form::encode`).
pub(crate) fn random_boundary() -> String {
    let (a, b) = (
        crate::retry::default_random(),
        crate::retry::default_random(),
    );
    format!("brisk-{a:016x}{b:016x}")
}

/// Writes `text` as the HTML standard's multipart/form-data encoding
/// writes a field name or a filename (HTML §4.10.21.8): `"` becomes `%22`,
/// CR `%0D` and LF `%0A`, and nothing else is escaped: non-ASCII goes out
/// as its UTF-8 bytes, as browsers send it and as servers (Starlette,
/// Django, Go's `mime/multipart`) read it. So a quote cannot end the
/// quoted string early, nor a line break start a header of its own.
pub(crate) fn escape_name(text: &str, out: &mut Vec<u8>) {
    for &b in text.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"%22"),
            b'\r' => out.extend_from_slice(b"%0D"),
            b'\n' => out.extend_from_slice(b"%0A"),
            _ => out.push(b),
        }
    }
}

/// What a part's head says besides its name.
pub(crate) struct PartMeta<'a> {
    pub(crate) file_name: Option<&'a str>,
    pub(crate) mime: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
}

/// Writes the delimiter line and head of the part `name`, up to and
/// including the blank line that ends the head. The first part's
/// delimiter has no CRLF before it; every later one does (it ends the
/// previous part's bytes, and belongs to the delimiter: RFC 2046 §5.1.1).
pub(crate) fn part_head(
    boundary: &str,
    first: bool,
    name: &str,
    meta: &PartMeta<'_>,
    out: &mut Vec<u8>,
) {
    if !first {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
    escape_name(name, out);
    out.push(b'"');
    if let Some(file_name) = meta.file_name {
        out.extend_from_slice(b"; filename=\"");
        escape_name(file_name, out);
        out.push(b'"');
    }
    out.extend_from_slice(b"\r\n");
    if let Some(mime) = meta.mime {
        out.extend_from_slice(b"Content-Type: ");
        out.extend_from_slice(mime.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    // The caller's own fields, as given: their values were checked when
    // they were made (no CR, LF or NUL), so none can break the head.
    for (n, v) in meta.headers {
        if n.as_str().eq_ignore_ascii_case("content-disposition")
            || (meta.mime.is_some() && n.as_str().eq_ignore_ascii_case("content-type"))
        {
            continue;
        }
        out.extend_from_slice(n.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Writes the close delimiter, which ends the body (`--BOUNDARY--`, after
/// the CRLF that ends the last part; an empty form is the close delimiter
/// alone).
pub(crate) fn close(boundary: &str, empty: bool, out: &mut Vec<u8>) {
    if !empty {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"--");
    out.extend_from_slice(boundary.as_bytes());
    out.extend_from_slice(b"--\r\n");
}

/// Whether `needle` occurs in `hay`.
pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The media type for a file name's extension: the types the upload APIs
/// of LLM providers ask for (audio, images, documents, JSON Lines), else
/// `application/octet-stream`. A short table on purpose: a part's type
/// can always be set with `mime_str`.
pub(crate) fn mime_for(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" => "text/plain",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "jsonl" => "application/jsonl",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp3" | "mpga" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "wav" => "audio/wav",
        "ogg" | "oga" => "audio/ogg",
        "flac" => "audio/flac",
        "webm" => "audio/webm",
        "mp4" => "video/mp4",
        "mpeg" => "video/mpeg",
        _ => "application/octet-stream",
    }
}

/// Whether `mime` is a media type that can go in a part's head:
/// `type/subtype`, both tokens, then parameters, with no control byte
/// (so no CR or LF to end the head early) and ASCII only.
pub(crate) fn is_media_type(mime: &str) -> bool {
    let essence = mime.split(';').next().unwrap_or("").trim();
    let token = |s: &str| !s.is_empty() && s.bytes().all(crate::chars::is_tchar);
    let ok_essence = essence
        .split_once('/')
        .is_some_and(|(t, s)| token(t) && token(s));
    ok_essence
        && mime
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// One piece of the body: bytes held in memory, or a stream read while it
/// is sent.
pub(crate) enum Segment {
    Bytes(Vec<u8>),
    Stream(BoxReader),
}

/// The body: its segments read in order, each stream in the pieces the
/// writer asks for (so a file is never held whole in memory).
pub(crate) struct FormReader {
    segments: VecDeque<Segment>,
    /// How much of the first segment, if bytes, is read.
    at: usize,
}

impl FormReader {
    pub(crate) fn new(segments: Vec<Segment>) -> FormReader {
        FormReader {
            segments: segments.into(),
            at: 0,
        }
    }
}

impl AsyncRead for FormReader {
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
            match this.segments.front_mut() {
                None => return Poll::Ready(Ok(())),
                Some(Segment::Bytes(bytes)) => {
                    let rest = &bytes[this.at..];
                    let n = rest.len().min(buf.remaining());
                    buf.put_slice(&rest[..n]);
                    this.at += n;
                    if this.at == bytes.len() {
                        this.segments.pop_front();
                        this.at = 0;
                    }
                    if n > 0 {
                        return Poll::Ready(Ok(()));
                    }
                }
                Some(Segment::Stream(reader)) => {
                    let before = buf.filled().len();
                    match Pin::new(reader).poll_read(cx, buf) {
                        Poll::Ready(Ok(())) if buf.filled().len() == before => {
                            // This stream has ended: on to the next segment.
                            this.segments.pop_front();
                        }
                        other => return other,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(name: &str, meta: &PartMeta<'_>) -> String {
        let mut out = Vec::new();
        part_head("B", true, name, meta, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn names_and_filenames_are_escaped_as_the_html_standard_says() {
        let none = HeaderMap::new();
        let meta = PartMeta {
            file_name: Some("a\"b\r\nc.txt"),
            mime: Some("text/plain"),
            headers: &none,
        };
        assert_eq!(
            head("x\"\ny", &meta),
            "--B\r\nContent-Disposition: form-data; name=\"x%22%0Ay\"; \
             filename=\"a%22b%0D%0Ac.txt\"\r\nContent-Type: text/plain\r\n\r\n"
        );
        // Non-ASCII is sent as UTF-8, a percent sign as itself.
        let meta = PartMeta {
            file_name: Some("résumé 100%.pdf"),
            mime: None,
            headers: &none,
        };
        assert_eq!(
            head("名前", &meta),
            "--B\r\nContent-Disposition: form-data; name=\"名前\"; \
             filename=\"résumé 100%.pdf\"\r\n\r\n"
        );
    }

    #[test]
    fn media_types_are_checked() {
        for ok in [
            "text/plain",
            "audio/wav",
            "text/plain; charset=utf-8",
            "a/b;x=\"y z\"",
        ] {
            assert!(is_media_type(ok), "{ok}");
        }
        for bad in [
            "",
            "text",
            "/plain",
            "text/",
            "te xt/plain",
            "text/plain\r\nX: y",
            "tëxt/plain",
        ] {
            assert!(!is_media_type(bad), "{bad:?}");
        }
    }

    #[test]
    fn boundaries_are_fresh_and_valid() {
        let (a, b) = (random_boundary(), random_boundary());
        assert_ne!(a, b);
        assert_eq!(a.len(), 38);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
    }

    #[test]
    fn file_types_by_extension() {
        assert_eq!(mime_for("speech.WAV"), "audio/wav");
        assert_eq!(mime_for("batch.jsonl"), "application/jsonl");
        assert_eq!(mime_for("noext"), "application/octet-stream");
    }
}
