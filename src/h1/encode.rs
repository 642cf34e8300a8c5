//! The request encoder (RFC 9112 §3, §6, §7.1).
//!
//! ```text
//! request-line = method SP request-target SP HTTP-version CRLF
//! ```
//!
//! Every byte the caller supplies is checked before it can reach the wire:
//! a CR or LF in a header value is how one request is turned into two
//! (request smuggling, response splitting). On any error the output buffer
//! is left exactly as it was.

use super::parse::skip_field_bytes;
use super::EncodeError;
use crate::chars::trim_ows;
use crate::chars::{ascii_set, decimal, is_tchar};

/// How the request body is framed on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body and no framing header (a GET, HEAD or DELETE without body).
    None,
    /// A body of known length: `Content-Length: n` (also for `n == 0`, as
    /// a POST with an empty body needs it).
    Length(u64),
    /// A streamed body of unknown length: `Transfer-Encoding: chunked`,
    /// written with [`encode_chunk`] and [`encode_last_chunk`].
    Chunked,
}

/// Everything the encoder needs to write a request head.
#[derive(Clone, Copy, Debug)]
pub struct RequestHead<'a, H> {
    /// The method: a token such as `GET` (case-sensitive, sent as is).
    pub method: &'a str,
    /// The request-target: origin-form (`/path?query`, or `*`) or, to a
    /// proxy, absolute-form (`http://host/path`). Must be ASCII with no
    /// spaces or control bytes.
    pub target: &'a str,
    /// The `Host` value (`host[:port]`). Replaced by a `Host` entry in
    /// `headers`, if the caller gives one; either way exactly one `Host`
    /// line is written.
    pub host: &'a str,
    /// Header fields as `(name, value)` pairs, written in order.
    pub headers: H,
    /// How the body is framed.
    pub body: BodyFraming,
}

/// Writes a request head (request line, `Host`, the fields, the framing
/// header and the blank line) at the end of `out`.
///
/// Fails, writing nothing, on a method that is not a token, a target or
/// host with a space or control byte, a header name that is not a token, a
/// header value with CR, LF, NUL or another control byte, or a
/// `Content-Length` / `Transfer-Encoding` field (the framing comes from
/// `body`, so that it is always present and never doubled).
///
/// ```
/// use brisk::h1::{encode_request_head, BodyFraming, RequestHead};
///
/// let mut out = Vec::new();
/// encode_request_head(
///     &RequestHead {
///         method: "POST",
///         target: "/v1/chat",
///         host: "api.example.com",
///         headers: [("Content-Type", "application/json")],
///         body: BodyFraming::Length(2),
///     },
///     &mut out,
/// )?;
/// assert_eq!(
///     out,
///     b"POST /v1/chat HTTP/1.1\r\nHost: api.example.com\r\n\
///       Content-Type: application/json\r\nContent-Length: 2\r\n\r\n"
/// );
/// # Ok::<(), brisk::h1::EncodeError>(())
/// ```
pub fn encode_request_head<H, N, V>(
    head: &RequestHead<'_, H>,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError>
where
    H: IntoIterator<Item = (N, V)> + Clone,
    N: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    // Everything is checked before the first byte is written.
    let checked = check(head)?;
    // Host goes first (RFC 9112 §3.2: a client MUST send it, and SHOULD
    // send it first); a caller's own Host entry takes the URL's place.
    let custom = checked
        .host
        .and_then(|i| head.headers.clone().into_iter().nth(i));
    let host = custom
        .as_ref()
        .map_or(head.host.as_bytes(), |(_, v)| v.as_ref());
    out.reserve(checked.len);
    encode_checked(head, host, out);
    Ok(())
}

/// Writes a head whose every part has been checked, in one pass over its
/// fields: `host` is the `Host` value to send (the caller found it: its
/// own `Host` field's, or `head.host`), and a `Host` among the fields is
/// skipped, so exactly one is written, first. The one writer: the public
/// encoder calls it after [`check`], and the client after validating the
/// request's own fields (its defaults were checked when it was built).
pub(crate) fn encode_checked<H, N, V>(head: &RequestHead<'_, H>, host: &[u8], out: &mut Vec<u8>)
where
    H: IntoIterator<Item = (N, V)> + Clone,
    N: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    out.reserve(256);
    out.extend_from_slice(head.method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(head.target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    field(out, b"Host", trim_ows(host));
    for (name, value) in head.headers.clone() {
        let name = name.as_ref();
        if !is_host(name) {
            field(out, name, trim_ows(value.as_ref()));
        }
    }
    write_framing(head.body, out);
}

/// Rewrites the field names of an encoded request `head` title-cased:
/// each name's first letter and every letter after a `-` upper case, the
/// rest lower case (`x-request-id` and `X-REQUEST-ID` become
/// `X-Request-Id`), as hyper's `title_case_headers` writes the lowercase
/// names of the `http` crate. Names are case-insensitive (RFC 9110 §5.1),
/// so the request means the same; this is for servers that wrongly read
/// them with case. The request line, the values and anything after the
/// head are left alone. The head must be one [`encode_checked`] wrote:
/// every line after the first is `name: value`.
pub(crate) fn title_case_names(head: &mut [u8]) {
    let mut lines = head.split_mut(|&b| b == b'\n').skip(1);
    for line in lines.by_ref() {
        // The blank line (`\r`) ends the head.
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return;
        };
        let mut after_dash = true;
        for b in &mut line[..colon] {
            if after_dash {
                b.make_ascii_uppercase();
            } else {
                b.make_ascii_lowercase();
            }
            after_dash = *b == b'-';
        }
    }
}

fn write_framing(body: BodyFraming, out: &mut Vec<u8>) {
    match body {
        BodyFraming::None => {}
        BodyFraming::Length(n) => {
            out.extend_from_slice(b"Content-Length: ");
            write_decimal(out, n);
            out.extend_from_slice(b"\r\n");
        }
        BodyFraming::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
    }
    out.extend_from_slice(b"\r\n");
}

/// What validation learned: where the caller's own `Host` entry is, if
/// any, and about how long the head will be.
struct Checked {
    host: Option<usize>,
    len: usize,
}

/// Checks a request head as [`encode_request_head`] would, without
/// writing anything: a caller can refuse a request before spending a
/// connection on it.
pub fn validate_request_head<H, N, V>(head: &RequestHead<'_, H>) -> Result<(), EncodeError>
where
    H: IntoIterator<Item = (N, V)> + Clone,
    N: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    check(head).map(|_| ())
}

fn check<H, N, V>(head: &RequestHead<'_, H>) -> Result<Checked, EncodeError>
where
    H: IntoIterator<Item = (N, V)> + Clone,
    N: AsRef<[u8]>,
    V: AsRef<[u8]>,
{
    if !is_token(head.method.as_bytes()) {
        return Err(EncodeError::InvalidMethod);
    }
    // CONNECT names its target in authority form, `host:port` (RFC 9112
    // §3.2.3); every other method in origin or absolute form.
    let connect_target = head.method == "CONNECT" && is_authority(head.target.as_bytes());
    if !(is_target(head.target) || connect_target) {
        return Err(EncodeError::InvalidTarget);
    }
    let mut len = head.method.len() + head.target.len() + 64;
    let mut host = None;
    let mut host_ok = true;
    for (i, (name, value)) in head.headers.clone().into_iter().enumerate() {
        let (name, value) = (name.as_ref(), value.as_ref());
        if !is_token(name) {
            return Err(EncodeError::InvalidHeaderName);
        }
        if is_framing(name) {
            return Err(EncodeError::FramingHeader);
        }
        if !is_field_value(value) {
            return Err(EncodeError::InvalidHeaderValue);
        }
        if is_host(name) {
            // Two Host fields would let a proxy and an origin each pick a
            // different one (RFC 9112 §3.2: a server MUST reject them).
            if host.is_some() {
                return Err(EncodeError::DuplicateHost);
            }
            host = Some(i);
            host_ok = is_authority(trim_ows(value));
        }
        len += name.len() + value.len() + 4;
    }
    if !host_ok || (host.is_none() && !is_authority(head.host.as_bytes())) {
        return Err(EncodeError::InvalidHost);
    }
    len += head.host.len();
    Ok(Checked { host, len })
}

fn is_host(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"host")
}

/// `Content-Length` or `Transfer-Encoding`.
fn is_framing(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"transfer-encoding")
}

/// Field-value bytes only (no CR, LF, NUL or other controls), checked
/// eight bytes at a time with the parser's scan.
fn is_field_value(bytes: &[u8]) -> bool {
    let mut i = 0;
    loop {
        i = skip_field_bytes(bytes, i);
        match bytes.get(i) {
            None => return true,
            Some(b'\t') => i += 1,
            Some(_) => return false,
        }
    }
}

fn field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Frames `data` as one chunk of a chunked body. An empty `data` writes
/// nothing: a zero-size chunk would end the body.
pub fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    if data.is_empty() {
        return;
    }
    write_hex(out, data.len() as u64);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Ends a chunked body: the last chunk and an empty trailer section.
pub fn encode_last_chunk(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0\r\n\r\n");
}

fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Origin-form (`/...` or `*`) or absolute-form (`scheme://...`), ASCII,
/// with no space or control byte.
fn is_target(s: &str) -> bool {
    let visible = s.bytes().all(|b| b.is_ascii_graphic());
    let shape =
        s.starts_with('/') || s == "*" || s.starts_with("http://") || s.starts_with("https://");
    visible && shape
}

/// A non-empty `host [ ":" port ]`.
fn is_authority(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_authority_byte(b))
}

/// Bytes of `host [ ":" port ]`, IPv6 literals included (RFC 3986 §3.2).
fn is_authority_byte(b: u8) -> bool {
    AUTHORITY[usize::from(b)]
}

const AUTHORITY: [bool; 256] = ascii_set(b"-._~!$&'()*+,;=:[]%");

fn write_decimal(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(decimal(n, &mut [0; 20]));
}

fn write_hex(out: &mut Vec<u8>, n: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = HEX[(n & 0xf) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_case_touches_names_only() {
        let mut head = b"GET /a-b:c HTTP/1.1\r\nhost: h\r\nx-REQUEST-id: Mixed-Case: v\r\n\
                         WWW-authenticate: x\r\n-odd-: y\r\n\r\nbody-line: z\r\n"
            .to_vec();
        title_case_names(&mut head);
        assert_eq!(
            String::from_utf8(head).unwrap(),
            "GET /a-b:c HTTP/1.1\r\nHost: h\r\nX-Request-Id: Mixed-Case: v\r\n\
             Www-Authenticate: x\r\n-Odd-: y\r\n\r\nbody-line: z\r\n"
        );
        // Byte by byte prefixes never panic.
        let whole = b"GET / HTTP/1.1\r\nab-cd: e\r\n\r\n";
        for end in 0..=whole.len() {
            title_case_names(&mut whole[..end].to_vec());
        }
    }

    fn encode(
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: BodyFraming,
    ) -> Result<String, EncodeError> {
        let mut out = b"previous".to_vec();
        let r = encode_request_head(
            &RequestHead {
                method,
                target,
                host: "example.com",
                headers: headers.iter().copied(),
                body,
            },
            &mut out,
        );
        match r {
            Ok(()) => Ok(String::from_utf8(out[8..].to_vec()).unwrap()),
            Err(e) => {
                assert_eq!(out, b"previous", "nothing is written on error");
                Err(e)
            }
        }
    }

    #[test]
    fn framing_is_present_and_single() {
        assert_eq!(
            encode("GET", "/", &[], BodyFraming::None).unwrap(),
            "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
        );
        let post = encode("POST", "/x?y=1", &[("A", "b")], BodyFraming::Length(0)).unwrap();
        assert_eq!(
            post,
            "POST /x?y=1 HTTP/1.1\r\nHost: example.com\r\nA: b\r\nContent-Length: 0\r\n\r\n"
        );
        let chunked = encode("PUT", "/", &[], BodyFraming::Chunked).unwrap();
        assert!(chunked.ends_with("\r\nTransfer-Encoding: chunked\r\n\r\n"));
        assert!(!chunked.to_ascii_lowercase().contains("content-length"));
        for name in ["Content-Length", "transfer-encoding", "TRANSFER-ENCODING"] {
            assert_eq!(
                encode("POST", "/", &[(name, "5")], BodyFraming::Length(5)),
                Err(EncodeError::FramingHeader)
            );
        }
    }

    #[test]
    fn host_is_written_once_and_first() {
        assert_eq!(
            encode("GET", "/", &[("Host", "a b")], BodyFraming::None),
            Err(EncodeError::InvalidHost)
        );
        let out = encode(
            "GET",
            "/",
            &[("X", "1"), ("host", "other:8080")],
            BodyFraming::None,
        )
        .unwrap();
        assert_eq!(out, "GET / HTTP/1.1\r\nHost: other:8080\r\nX: 1\r\n\r\n");
        assert_eq!(
            encode("GET", "/", &[("Host", "a\r\nb")], BodyFraming::None),
            Err(EncodeError::InvalidHeaderValue)
        );
        // The one that is validated is the one that is written: two are
        // refused, whichever of them is bad.
        for pair in [["x/y", "ok.example"], ["ok.example", "x/y"], ["a", "a"]] {
            let headers = [("Host", pair[0]), ("host", pair[1])];
            assert_eq!(
                encode("GET", "/", &headers, BodyFraming::None),
                Err(EncodeError::DuplicateHost)
            );
        }
    }

    #[test]
    fn injection_is_refused_in_every_field() {
        for bad in [
            "\r",
            "\n",
            "\0",
            "\r\n",
            "a\r\nX-Injected: 1",
            "\x7f",
            "\x01",
        ] {
            let m = format!("GET{bad}");
            assert_eq!(
                encode(&m, "/", &[], BodyFraming::None),
                Err(EncodeError::InvalidMethod),
                "{bad:?}"
            );
            let t = format!("/a{bad}");
            assert_eq!(
                encode("GET", &t, &[], BodyFraming::None),
                Err(EncodeError::InvalidTarget),
                "{bad:?}"
            );
            let n = format!("X{bad}");
            assert_eq!(
                encode("GET", "/", &[(&n, "v")], BodyFraming::None),
                Err(EncodeError::InvalidHeaderName),
                "{bad:?}"
            );
            let v = format!("v{bad}w");
            assert_eq!(
                encode("GET", "/", &[("X", &v)], BodyFraming::None),
                Err(EncodeError::InvalidHeaderValue),
                "{bad:?}"
            );
            let mut out = Vec::new();
            let r = encode_request_head(
                &RequestHead {
                    method: "GET",
                    target: "/",
                    host: &format!("h{bad}"),
                    headers: [("a", "b"); 0],
                    body: BodyFraming::None,
                },
                &mut out,
            );
            assert_eq!(r, Err(EncodeError::InvalidHost));
            assert!(out.is_empty());
        }
    }

    #[test]
    fn non_tokens_and_bad_targets_are_refused() {
        for m in ["", "GE T", "GET/", "G(ET", "GÉT"] {
            assert_eq!(
                encode(m, "/", &[], BodyFraming::None),
                Err(EncodeError::InvalidMethod),
                "{m}"
            );
        }
        for n in ["", "A B", "A:B", "Ä", "a\"b", "(x)"] {
            assert_eq!(
                encode("GET", "/", &[(n, "v")], BodyFraming::None),
                Err(EncodeError::InvalidHeaderName),
                "{n}"
            );
        }
        for t in ["", "a", "/a b", "/é", "ftp://x/"] {
            assert_eq!(
                encode("GET", t, &[], BodyFraming::None),
                Err(EncodeError::InvalidTarget),
                "{t}"
            );
        }
        assert!(encode("OPTIONS", "*", &[], BodyFraming::None).is_ok());
        assert!(encode("GET", "http://example.com/a", &[], BodyFraming::None).is_ok());
    }

    #[test]
    fn non_ascii_values_are_sent_as_utf8_bytes_not_truncated() {
        let out = encode("GET", "/", &[("X", "é€")], BodyFraming::None).unwrap();
        assert!(out.contains("X: é€\r\n"));
    }

    #[test]
    fn chunks() {
        let mut out = Vec::new();
        encode_chunk(b"", &mut out);
        assert!(out.is_empty());
        encode_chunk(&[b'a'; 26], &mut out);
        encode_last_chunk(&mut out);
        assert_eq!(
            out,
            [&b"1a\r\n"[..], &[b'a'; 26], b"\r\n0\r\n\r\n"].concat()
        );
        let mut n = Vec::new();
        write_decimal(&mut n, u64::MAX);
        assert_eq!(n, b"18446744073709551615");
    }
}
