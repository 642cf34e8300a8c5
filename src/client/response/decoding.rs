//! Transparent decoding of a compressed body: `Content-Encoding: gzip`
//! (RFC 1952) or `deflate` (RFC 1950's zlib wrapper, or raw RFC 1951 data
//! as some servers send it), through brisk's own [`inflate`](crate::inflate).
//!
//! What is decoded, and what is left alone:
//!
//! - the response carries exactly one coding, `gzip` (or its old alias
//!   `x-gzip`) or `deflate`, that the request accepts;
//! - not a `HEAD` answer, nor a `206 Partial Content` (a range of the
//!   encoded bytes cannot be decoded on its own), nor a request that sent
//!   `Range` (it sends no `Accept-Encoding` either);
//! - `identity`, unknown codings and chains (`gzip, br`) are handed over
//!   untouched, with their `Content-Encoding` in the headers: that field
//!   still being there is how a caller tells.
//!
//! When a body is decoded, `Content-Encoding` and `Content-Length` are
//! removed from [`Response::headers`] (they describe the bytes on the
//! wire, not the ones the caller reads), as reqwest does;
//! [`Response::wire_headers`] keeps them.
//!
//! Bombs: a streaming read ([`Response::read`], [`Response::chunk`])
//! decodes into the caller's buffer or one piece at a time, so memory stays
//! constant however large the output; the buffered reads stop as soon as
//! the decoded size passes the limit (see [`Limits`](crate::h1::Limits)).

use super::Response;
use crate::client::codings::Codings;
use crate::error::{Error, Kind, Phase};
use crate::h1::ResponseHead;
use crate::header::HeaderMap;
use crate::inflate::{Format, Inflate, InflateError};
use std::fmt;

/// The largest piece [`Response::chunk`] hands out from a decoded body.
const CHUNK: usize = 16 * 1024;

/// How much decoded body the retry policy's veto is shown at most.
const VETO_VIEW: usize = 64 * 1024;

/// A content coding brisk decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    Deflate,
}

impl Coding {
    fn as_str(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }

    fn format(self) -> Format {
        match self {
            Coding::Gzip => Format::Gzip,
            // RFC 9110 §8.4.1.2 says zlib; browsers and curl also take raw
            // deflate data, which some servers send.
            Coding::Deflate => Format::ZlibOrRaw,
        }
    }

    /// The coding named by a `Content-Encoding` value, if it is a single
    /// coding that `codings` accepts.
    fn of(value: &[u8], codings: Codings) -> Option<Coding> {
        let name = value.trim_ascii();
        if codings.gzip
            && (name.eq_ignore_ascii_case(b"gzip") || name.eq_ignore_ascii_case(b"x-gzip"))
        {
            Some(Coding::Gzip)
        } else if codings.deflate && name.eq_ignore_ascii_case(b"deflate") {
            Some(Coding::Deflate)
        } else {
            None
        }
    }
}

/// A body being decoded: the decoder, and the encoded bytes read from
/// the connection that it has not consumed yet.
pub(super) struct Decoding {
    coding: Coding,
    inflate: Inflate,
    /// Encoded bytes read and not yet consumed, from `at` on.
    input: Vec<u8>,
    at: usize,
    /// The encoded body has ended (the connection said so).
    raw_ended: bool,
    /// Any encoded byte arrived: an empty body is an empty body, not a
    /// truncated stream (servers send `Content-Encoding: gzip` on empty
    /// answers).
    fed: bool,
    /// Everything was decoded into the response's buffer
    /// ([`Response::buffer_body`]): the readers serve that now.
    pub(super) buffered: bool,
    /// The header fields as they came, before the coding's were removed.
    pub(super) wire_headers: HeaderMap,
}

impl Decoding {
    /// Sets up decoding for `head` if its body is in a coding `codings`
    /// accepts (see the module's documentation for what is left alone),
    /// and removes the fields that describe the encoded bytes.
    pub(super) fn detect(head: &mut ResponseHead, codings: Codings) -> Option<Box<Decoding>> {
        if !codings.any() || head.status == 206 {
            return None;
        }
        let mut values = head.headers.get_all("content-encoding").iter();
        let coding = Coding::of(values.next()?.as_bytes(), codings)?;
        if values.next().is_some() {
            return None;
        }
        let wire_headers = head.headers.clone();
        head.headers.remove("content-encoding");
        head.headers.remove("content-length");
        Some(Box::new(Decoding {
            coding,
            inflate: Inflate::new(coding.format()),
            input: Vec::new(),
            at: 0,
            raw_ended: false,
            fed: false,
            buffered: false,
            wire_headers,
        }))
    }

    /// Whether the readers must decode (rather than serve a buffer).
    pub(super) fn active(&self) -> bool {
        !self.buffered
    }
}

/// Why a compressed body could not be decoded: the coding, and what was
/// wrong. The source of an error for which
/// [`Error::is_decode`](crate::Error::is_decode) is true.
#[derive(Debug)]
pub(crate) struct BodyDecodeError {
    coding: Coding,
    reason: Reason,
}

#[derive(Debug)]
enum Reason {
    Invalid(InflateError),
    /// The body ended before the compressed stream did.
    Truncated,
}

impl fmt::Display for BodyDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Reason::Invalid(e) => write!(f, "{} body: {e}", self.coding.as_str()),
            Reason::Truncated => write!(f, "{} body: stream ends early", self.coding.as_str()),
        }
    }
}

impl std::error::Error for BodyDecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.reason {
            Reason::Invalid(e) => Some(e),
            Reason::Truncated => None,
        }
    }
}

impl Response {
    /// Whether the body's readers decode.
    pub(super) fn decoding(&self) -> bool {
        self.decoding.as_deref().is_some_and(Decoding::active)
    }

    /// Reads decoded body bytes into `buf` (not empty): as many as the
    /// encoded bytes at hand give, at least one; 0 at the end.
    pub(super) async fn read_decoded(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        loop {
            if self.failed {
                return Err(self.already_failed());
            }
            let Some(dec) = self.decoding.as_deref_mut() else {
                return Ok(0);
            };
            if dec.at < dec.input.len() || dec.raw_ended {
                let progress = match dec.inflate.decode(&dec.input[dec.at..], buf) {
                    Ok(progress) => progress,
                    Err(e) => return Err(self.decode_failed(Reason::Invalid(e))),
                };
                dec.at += progress.consumed;
                if progress.produced > 0 {
                    return Ok(progress.produced);
                }
                if dec.raw_ended {
                    if dec.inflate.is_done() || !dec.fed {
                        return Ok(0);
                    }
                    return Err(self.decode_failed(Reason::Truncated));
                }
                if dec.at < dec.input.len() {
                    if progress.consumed == 0 {
                        // The decoder takes input until it is done or its
                        // output is full, and it failed on bytes after its
                        // end; no progress here would be a loop, refused.
                        return Err(self.decode_failed(Reason::Truncated));
                    }
                    continue;
                }
            }
            // More encoded bytes: those read ahead first, then the socket's,
            // read straight into the input buffer (which keeps its
            // capacity, one read's worth, from call to call).
            let mut input = std::mem::take(&mut dec.input);
            input.clear();
            dec.at = 0;
            let more = self.next_part(&mut input, true).await;
            let Some(dec) = self.decoding.as_deref_mut() else {
                return Ok(0);
            };
            dec.fed |= !input.is_empty();
            dec.input = input;
            if !more? {
                dec.raw_ended = true;
            }
        }
    }

    /// The next decoded piece, `None` at the end ([`Response::chunk`]).
    pub(super) async fn chunk_decoded(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let mut out = vec![0; CHUNK];
        let n = self.read_decoded(&mut out).await?;
        out.truncate(n);
        Ok((n > 0).then_some(out))
    }

    /// Decodes the whole body into the buffer the readers serve first
    /// ([`Response::buffer_body`]), failing as soon as it passes `limit`
    /// decoded bytes: a bomb never grows the buffer much past the cap.
    pub(super) async fn buffer_decoded(&mut self, limit: u64) -> Result<(), Error> {
        const STEP: usize = 256 * 1024;
        let mut out = Vec::new();
        let mut len = 0;
        loop {
            if out.len() - len < STEP / 4 {
                // One step of zeroed room at a time, never past the cap by
                // more than a step. The vector's capacity still doubles
                // (`resize` reserves as `push` does), but only the room
                // handed to the decoder is written, so the pages past it
                // are never touched: a 20 MB answer faults in 20 MB, not
                // the 32 MiB of capacity around it.
                let cap = usize::try_from(limit)
                    .unwrap_or(usize::MAX)
                    .saturating_add(STEP);
                let grown = (len + STEP).min(cap).max(len + 1);
                out.resize(grown, 0);
            }
            let n = self.read_decoded(&mut out[len..]).await?;
            if n == 0 {
                break;
            }
            len += n;
            if len as u64 > limit {
                return Err(self.too_large());
            }
        }
        out.truncate(len);
        if let Some(dec) = self.decoding.as_deref_mut() {
            dec.buffered = true;
            dec.input = Vec::new();
        }
        self.ahead = out;
        self.ahead_from = 0;
        Ok(())
    }

    /// The body read ahead for the retry policy's veto, decoded (as far
    /// as it goes, at most 64 KiB): a veto that looks for an error's JSON
    /// must not be shown gzip.
    pub(in crate::client) fn ahead_decoded(&self) -> std::borrow::Cow<'_, [u8]> {
        let Some(dec) = self.decoding.as_deref().filter(|d| d.active()) else {
            return std::borrow::Cow::Borrowed(self.ahead());
        };
        let mut inflate = Inflate::new(dec.coding.format());
        let mut out = vec![0; VETO_VIEW];
        let mut input = self.ahead();
        let mut len = 0;
        while len < out.len() {
            match inflate.decode(input, &mut out[len..]) {
                Ok(p) if p.produced > 0 || p.consumed > 0 => {
                    input = &input[p.consumed..];
                    len += p.produced;
                }
                _ => break,
            }
        }
        out.truncate(len);
        std::borrow::Cow::Owned(out)
    }

    /// The decoder refused the body, and the error names the coding. A
    /// connection whose body was not read to its end is closed, never
    /// reused; one whose body had ended (framed as HTTP says, so nothing
    /// of it is left to mistake for the next answer) is already back in
    /// the pool.
    fn decode_failed(&mut self, reason: Reason) -> Error {
        let coding = self.decoding.as_deref().map_or(Coding::Gzip, |d| d.coding);
        let e = Error::new(Kind::Decode)
            .with_phase(Phase::ReadBody)
            .with_source(BodyDecodeError { coding, reason });
        if self.body.is_some() {
            return self.body_failed(e);
        }
        self.failed = true;
        e.or_url(&self.url)
    }
}
