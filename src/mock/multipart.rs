//! The mock's reader of `multipart/form-data` bodies (RFC 7578 on RFC
//! 2046 §5.1): a whole body in, its parts out, borrowed from it. No I/O:
//! the server has read the body already (bounded at 8 MiB), so the parser
//! sees all of it at once, and everything it may meet is bounded here:
//! the part count, a part head's size and its field count. Bad input is
//! a [`FormError`], never a panic.

use std::fmt;

/// The most parts a body may have.
const MAX_PARTS: usize = 256;
/// The most bytes of one part's head (its header fields).
const MAX_PART_HEAD: usize = 8 * 1024;
/// The most header fields in one part's head.
const MAX_PART_FIELDS: usize = 16;

/// One part of a `multipart/form-data` body, as received (see
/// [`Recorded::form`](super::Recorded::form)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FormPart<'a> {
    /// The field name, as sent: the HTML standard's escapes (`%22`, `%0D`,
    /// `%0A`) are left as they are, as most servers leave them.
    pub name: &'a str,
    /// The file name, if the part has one (as sent, like `name`).
    pub file_name: Option<&'a str>,
    /// The part's `Content-Type`, if it has one.
    pub content_type: Option<&'a str>,
    /// Every header field of the part, in order.
    pub headers: Vec<(&'a str, &'a str)>,
    /// The part's bytes.
    pub data: &'a [u8],
}

impl FormPart<'_> {
    /// The part's bytes as text (`None` if they are not UTF-8).
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(self.data).ok()
    }
}

/// Why a body could not be read as `multipart/form-data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormError {
    /// The request's `Content-Type` is not `multipart/form-data` with a
    /// boundary of 1 to 70 characters.
    NotMultipart,
    /// No delimiter line starts the parts.
    NoFirstDelimiter,
    /// A delimiter line is followed by something other than CRLF or `--`.
    BadDelimiter,
    /// A part's head does not end, or is larger than 8 KiB or 16 fields.
    BadHead,
    /// A part has no `Content-Disposition: form-data` with a `name`.
    NoName,
    /// The body ends before its close delimiter.
    Unterminated,
    /// More than 256 parts.
    TooManyParts,
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FormError::NotMultipart => "not multipart/form-data with a boundary",
            FormError::NoFirstDelimiter => "no delimiter starts the parts",
            FormError::BadDelimiter => "a delimiter line is malformed",
            FormError::BadHead => "a part head is malformed or too large",
            FormError::NoName => "a part has no form-data name",
            FormError::Unterminated => "the body ends before its close delimiter",
            FormError::TooManyParts => "too many parts",
        })
    }
}

impl std::error::Error for FormError {}

/// The boundary named by a `Content-Type` of `multipart/form-data`.
pub(crate) fn boundary(content_type: &str) -> Option<&str> {
    let mut params = content_type.split(';');
    let essence = params.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let b = params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim())
    })?;
    let b = b
        .strip_prefix('"')
        .and_then(|b| b.strip_suffix('"'))
        .unwrap_or(b);
    (1..=70).contains(&b.len()).then_some(b)
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let last_start = hay.len().checked_sub(needle.len())?;
    (0..=last_start).find(|&i| hay[i] == first && hay[i..].starts_with(needle))
}

/// The parts of `body`, a `multipart/form-data` body whose boundary is
/// `boundary`. A preamble before the first delimiter and an epilogue after
/// the close delimiter are ignored, as RFC 2046 says.
pub(crate) fn parse<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<FormPart<'a>>, FormError> {
    if !(1..=70).contains(&boundary.len()) {
        return Err(FormError::NotMultipart);
    }
    let delim = [b"--", boundary.as_bytes()].concat();
    let mut pos = if body.starts_with(&delim) {
        delim.len()
    } else {
        let crlf_delim = [b"\r\n", &delim[..]].concat();
        find(body, &crlf_delim).ok_or(FormError::NoFirstDelimiter)? + crlf_delim.len()
    };
    let next_delim = [b"\r\n", &delim[..]].concat();
    let mut parts = Vec::new();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        // Transport padding (RFC 2046 §5.1.1: spaces and tabs), then CRLF.
        let pad = rest
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if !rest[pad..].starts_with(b"\r\n") {
            return Err(if rest[pad..].is_empty() {
                FormError::Unterminated
            } else {
                FormError::BadDelimiter
            });
        }
        pos += pad + 2;
        if parts.len() == MAX_PARTS {
            return Err(FormError::TooManyParts);
        }
        let (part_head, data_start) = split_head(&body[pos..]).ok_or(FormError::BadHead)?;
        let data_start = pos + data_start;
        let len = find(&body[data_start..], &next_delim).ok_or(FormError::Unterminated)?;
        let mut part = read_head(part_head)?;
        part.data = &body[data_start..data_start + len];
        parts.push(part);
        pos = data_start + len + next_delim.len();
    }
}

/// A part's head (without its final blank line) and where its data
/// starts, within the bound on head size.
fn split_head(rest: &[u8]) -> Option<(&[u8], usize)> {
    if rest.starts_with(b"\r\n") {
        return Some((&[], 2));
    }
    let window = &rest[..rest.len().min(MAX_PART_HEAD + 4)];
    let end = find(window, b"\r\n\r\n")?;
    Some((&rest[..end], end + 4))
}

/// The fields of a part's head, and what its `Content-Disposition` and
/// `Content-Type` say.
fn read_head(head: &[u8]) -> Result<FormPart<'_>, FormError> {
    let text = std::str::from_utf8(head).map_err(|_| FormError::BadHead)?;
    let mut headers = Vec::new();
    if !text.is_empty() {
        for line in text.split("\r\n") {
            if headers.len() == MAX_PART_FIELDS {
                return Err(FormError::BadHead);
            }
            let (n, v) = line.split_once(':').ok_or(FormError::BadHead)?;
            if n.is_empty() || n.bytes().any(|b| !crate::chars::is_tchar(b)) {
                return Err(FormError::BadHead);
            }
            headers.push((n, v.trim_matches([' ', '\t'])));
        }
    }
    let field = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    };
    let disposition = field("content-disposition").ok_or(FormError::NoName)?;
    let (kind, params) = disposition.split_once(';').unwrap_or((disposition, ""));
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return Err(FormError::NoName);
    }
    let params = disposition_params(params)?;
    let param = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
    };
    Ok(FormPart {
        name: param("name").ok_or(FormError::NoName)?,
        file_name: param("filename"),
        content_type: field("content-type"),
        data: &[],
        headers,
    })
}

/// The `; key=value` parameters of a `Content-Disposition`: a value is a
/// token or a quoted string. A quoted string ends at the next `"`: form
/// encoders escape a quote as `%22` (the HTML standard), never with a
/// backslash, so a backslash is an ordinary character here.
fn disposition_params(mut s: &str) -> Result<Vec<(&str, &str)>, FormError> {
    let mut params = Vec::new();
    loop {
        s = s.trim_start_matches([' ', '\t', ';']);
        if s.is_empty() {
            return Ok(params);
        }
        let (key, rest) = s.split_once('=').ok_or(FormError::NoName)?;
        let rest = rest.trim_start_matches([' ', '\t']);
        let (value, after) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').ok_or(FormError::NoName)?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None => {
                let end = rest.find(';').unwrap_or(rest.len());
                (rest[..end].trim_end(), &rest[end..])
            }
        };
        params.push((key.trim(), value));
        s = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"--XyZ\r\n\
        Content-Disposition: form-data; name=\"model\"\r\n\r\n\
        whisper-1\r\n\
        --XyZ\r\n\
        Content-Disposition: form-data; name=\"file\"; filename=\"a%22b.wav\"\r\n\
        Content-Type: audio/wav\r\n\r\n\
        RIFF\r\n--Xy\0\r\n\
        --XyZ--\r\n";

    #[test]
    fn a_body_with_a_field_and_a_file() {
        let parts = parse(BODY, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "model");
        assert_eq!(parts[0].text(), Some("whisper-1"));
        assert_eq!(parts[0].file_name, None);
        assert_eq!(parts[1].name, "file");
        assert_eq!(parts[1].file_name, Some("a%22b.wav"));
        assert_eq!(parts[1].content_type, Some("audio/wav"));
        // A line that almost is a delimiter is data.
        assert_eq!(parts[1].data, b"RIFF\r\n--Xy\0");
    }

    #[test]
    fn preamble_epilogue_padding_and_empty_forms() {
        let mut body = b"preamble\r\n".to_vec();
        body.extend_from_slice(BODY);
        body.extend_from_slice(b"epilogue");
        assert_eq!(parse(&body, "XyZ").unwrap().len(), 2);
        let padded = b"--b \t\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--";
        let parts = parse(padded, "b").unwrap();
        assert_eq!((parts[0].name, parts[0].data), ("x", &b"1"[..]));
        assert_eq!(parse(b"--b--\r\n", "b").unwrap(), vec![]);
    }

    #[test]
    fn every_truncation_is_an_error_never_a_panic() {
        for end in 0..BODY.len() - "--\r\n".len() {
            assert!(parse(&BODY[..end], "XyZ").is_err(), "cut at {end}");
        }
    }

    #[test]
    fn every_single_byte_change_is_parsed_or_refused_without_a_panic() {
        for i in 0..BODY.len() {
            for b in [0u8, b'\r', b'\n', b'"', b'-', b';', 0xff] {
                let mut body = BODY.to_vec();
                body[i] = b;
                let _ = parse(&body, "XyZ");
            }
        }
    }

    #[test]
    fn bad_bodies_are_named() {
        assert_eq!(parse(b"nothing", "b"), Err(FormError::NoFirstDelimiter));
        assert_eq!(parse(b"--bX\r\n", "b"), Err(FormError::BadDelimiter));
        let no_name = b"--b\r\nContent-Disposition: form-data\r\n\r\n1\r\n--b--";
        assert_eq!(parse(no_name, "b"), Err(FormError::NoName));
        let no_disposition = b"--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--";
        assert_eq!(parse(no_disposition, "b"), Err(FormError::NoName));
        let long_head = [
            &b"--b\r\nX: "[..],
            &vec![b'a'; MAX_PART_HEAD][..],
            b"\r\n\r\n\r\n--b--",
        ]
        .concat();
        assert_eq!(parse(&long_head, "b"), Err(FormError::BadHead));
        let mut many = Vec::new();
        for _ in 0..=MAX_PARTS {
            many.extend_from_slice(b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n");
        }
        many.extend_from_slice(b"--b--");
        assert_eq!(parse(&many, "b"), Err(FormError::TooManyParts));
        assert_eq!(parse(b"--\r\n", ""), Err(FormError::NotMultipart));
    }

    #[test]
    fn boundaries_from_content_types() {
        assert_eq!(boundary("multipart/form-data; boundary=abc"), Some("abc"));
        assert_eq!(
            boundary("Multipart/Form-Data;boundary=\"a b\"; charset=utf-8"),
            Some("a b")
        );
        assert_eq!(boundary("multipart/mixed; boundary=abc"), None);
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("multipart/form-data; boundary="), None);
    }
}
