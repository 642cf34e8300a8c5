//! Byte classes and small writers shared by the codec, the header types,
//! the method and the URL: a leaf that every one of them may use, so that
//! none has to reach into another for a table.

/// RFC 9110 §5.6.2 `tchar`: the bytes allowed in a token (method, field name).
pub(crate) const fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

const TCHAR: [bool; 256] = ascii_set(b"!#$%&'*+-.^_`|~");

/// `n` in decimal, written into the end of `buf`: the returned slice.
/// Shared by the encoder (Content-Length) and the URL (port).
pub(crate) fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// A byte-class lookup table: ASCII alphanumerics plus `extra`. The
/// parsers and encoders ask one table lookup per byte.
pub(crate) const fn ascii_set(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 128 {
        t[i] = (i as u8).is_ascii_alphanumeric();
        i += 1;
    }
    let mut j = 0;
    while j < extra.len() {
        t[extra[j] as usize] = true;
        j += 1;
    }
    t
}

/// RFC 9110 §5.5 field-value bytes: VCHAR, SP, HTAB and obs-text. Everything
/// else (NUL, CR, LF and the other controls, DEL) is refused.
pub(crate) const fn is_field_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// Trims optional whitespace (SP, HTAB) from both ends.
pub(crate) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}
