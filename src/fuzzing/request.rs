//! The library's side of the `request_encode` target: a request drawn from
//! the fuzz data, and the encoder's own promises. The parse-back with
//! httparse lives in the fuzz crate, which alone depends on it.

use crate::h1::encode::encode_checked;
use crate::h1::{
    encode_chunk, encode_last_chunk, encode_request_head, validate_request_head, BodyFraming,
    EncodeError, RequestHead,
};

/// A request drawn from fuzz bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuzzRequest {
    /// The method, as given to the encoder.
    pub method: String,
    /// The request-target.
    pub target: String,
    /// The URL's `Host` value.
    pub host: String,
    /// Header fields as given to the encoder (values untrimmed).
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The body (empty when the framing is `None`).
    pub body: Vec<u8>,
    /// How the body is framed.
    pub framing: BodyFraming,
    /// The size of each chunk of a chunked body (at least 1).
    pub chunk: usize,
}

/// The byte that separates the parts; never part of UTF-8, so the text
/// parts keep every other byte they are given.
const SEP: u8 = 0xff;

impl FuzzRequest {
    /// Reads a request from fuzz bytes: a control byte (its low two bits
    /// the framing: none, length, chunked, length; the rest the chunk
    /// size), then parts separated by 0xFF: method, target, host, then
    /// name and value pairs; an odd part left at the end is the body.
    /// Text parts that are not UTF-8 are read lossily. `None` when the
    /// data has no control byte.
    pub fn from_fuzz(data: &[u8]) -> Option<FuzzRequest> {
        let (&ctl, rest) = data.split_first()?;
        let mut parts = rest.split(|&b| b == SEP);
        let mut text = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
        let (method, target, host) = (text(), text(), text());
        let rest: Vec<&[u8]> = parts.collect();
        let pairs = rest.chunks_exact(2);
        let body = pairs.remainder().first().map(|b| b.to_vec());
        // A bounded number of fields: enough for every interaction, few
        // enough for a fixed header array in the parse-back.
        let headers = pairs.take(32).map(|p| (p[0].to_vec(), p[1].to_vec()));
        let framing = match ctl & 3 {
            0 => BodyFraming::None,
            2 => BodyFraming::Chunked,
            _ => BodyFraming::Length(body.as_ref().map_or(0, |b| b.len() as u64)),
        };
        let body = match framing {
            BodyFraming::None => Vec::new(),
            _ => body.unwrap_or_default(),
        };
        Some(FuzzRequest {
            method,
            target,
            host,
            headers: headers.collect(),
            body,
            framing,
            chunk: usize::from(ctl >> 2) + 1,
        })
    }

    fn head(&self) -> RequestHead<'_, impl Iterator<Item = (&[u8], &[u8])> + Clone> {
        RequestHead {
            method: &self.method,
            target: &self.target,
            host: &self.host,
            headers: self
                .headers
                .iter()
                .map(|(n, v)| (n.as_slice(), v.as_slice())),
            body: self.framing,
        }
    }

    /// The request on the wire: the head, then the body framed as the
    /// client frames it (as is under `Content-Length`, or in chunks of
    /// `chunk` bytes and the last chunk).
    ///
    /// Checks the encoder's own promises: validation and encoding agree;
    /// an error leaves the output untouched; the client's path (validate
    /// once, then write without checking) writes the same bytes; and every
    /// CR and LF in the head belongs to a CRLF line ending.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let head = self.head();
        let mut out = b"before".to_vec();
        let encoded = encode_request_head(&head, &mut out);
        assert_eq!(validate_request_head(&head), encoded, "validate vs encode");
        if let Err(e) = encoded {
            assert_eq!(out, b"before", "an error wrote bytes");
            return Err(e);
        }
        let mut out = out.split_off(6);
        // The client's path: the Host value found as the client finds it
        // (the first `Host` field, else the URL's), then the one writer.
        let host = head
            .headers
            .clone()
            .find(|(n, _)| n.eq_ignore_ascii_case(b"host"))
            .map_or(head.host.as_bytes(), |(_, v)| v);
        let mut one_pass = Vec::new();
        encode_checked(&head, host, &mut one_pass);
        assert_eq!(one_pass, out, "the client's path wrote other bytes");
        for (i, pair) in out.windows(2).enumerate() {
            assert_eq!(pair[0] == b'\r', pair[1] == b'\n', "bare CR or LF at {i}");
        }
        assert!(out.ends_with(b"\r\n\r\n") && !out.starts_with(b"\n"));
        match self.framing {
            BodyFraming::None => {}
            BodyFraming::Length(_) => out.extend_from_slice(&self.body),
            BodyFraming::Chunked => {
                for chunk in self.body.chunks(self.chunk) {
                    encode_chunk(chunk, &mut out);
                }
                encode_last_chunk(&mut out);
            }
        }
        Ok(out)
    }
}

/// The library's half of the `request_encode` target: the request drawn
/// from `data` and, if the encoder accepted it, its bytes on the wire.
/// Never panics unless an encoder promise breaks (see
/// [`FuzzRequest::encode`]).
pub fn request_encode(data: &[u8]) -> Option<(FuzzRequest, Vec<u8>)> {
    let request = FuzzRequest::from_fuzz(data)?;
    let bytes = request.encode().ok()?;
    Some((request, bytes))
}
