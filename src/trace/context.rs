//! W3C Trace Context (Level 1 and 2): the `traceparent` and `tracestate`
//! header fields, parsed and written.
//!
//! The rules, and where they come from (W3C Trace Context, §3):
//!
//! - `traceparent` is `version-traceid-parentid-flags`, each field
//!   lowercase hex of a fixed length (2, 32, 16, 2). Leading and trailing
//!   OWS (spaces and tabs) is not part of the value.
//! - Version `00` is exactly 55 characters. Version `ff` is invalid. A
//!   higher version is read as far as its first four fields: either the
//!   value ends there or a `-` follows (§3.2.4, "versioning").
//! - An all-zero trace id or parent id is invalid.
//! - Flags: bit 0 is `sampled`, bit 1 (Level 2) says the trace id's
//!   rightmost 7 bytes are random. Other bits are not understood here, so
//!   they are not passed on (§3.2.2.5).
//! - `tracestate` is a list of up to 32 `key=value` members, possibly
//!   spread over several header fields (combined in order, as RFC 9110
//!   §5.3 allows), with OWS around the commas and empty members allowed
//!   and ignored. Any malformed member, or more than 32, makes the whole
//!   list invalid: it is then dropped, never half passed on (§3.3.1.1).
//!   A duplicated key keeps its first member (§3.3.1.3 lets a vendor drop
//!   or keep it).
//! - A key is `[a-z0-9][a-z0-9_*/@-]{0,255}` (the vendor form `tenant@system`
//!   is included: an `@` anywhere but first); a value is 1 to 256
//!   printable ASCII characters other than `,` and `=`, not ending in a
//!   space.
//!
//! An invalid `traceparent` means the request has no parent: a new trace
//! starts, and the `tracestate` that came with it is dropped too (§3.4).

use std::fmt;
use std::str::FromStr;

/// Why a `traceparent` or `tracestate` was refused. The message is fixed
/// and lowercase; it is not a promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContextError {
    /// The value has the wrong length for its version.
    Length,
    /// The version is not two lowercase hex digits, or is `ff`.
    Version,
    /// A field is not lowercase hex, or a separator is not `-`.
    Format,
    /// The trace id is all zeros.
    ZeroTraceId,
    /// The parent id is all zeros.
    ZeroParentId,
    /// More than one `traceparent` field.
    Duplicated,
    /// A `tracestate` member is not `key=value` with a valid key and value.
    Member,
    /// A `tracestate` list has more than 32 members.
    TooManyMembers,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContextError::Length => "traceparent has the wrong length",
            ContextError::Version => "traceparent version is invalid",
            ContextError::Format => "traceparent is not lowercase hex fields separated by dashes",
            ContextError::ZeroTraceId => "traceparent trace id is all zeros",
            ContextError::ZeroParentId => "traceparent parent id is all zeros",
            ContextError::Duplicated => "more than one traceparent field",
            ContextError::Member => "tracestate member is invalid",
            ContextError::TooManyMembers => "tracestate has more than 32 members",
        })
    }
}

impl std::error::Error for ContextError {}

/// A 16-byte trace id, never all zeros once parsed or generated.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id, never all zeros once parsed or generated.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId(pub [u8; 8]);

impl TraceId {
    /// Whether every byte is zero (the invalid id).
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }
    /// The id as 32 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
    /// Parses 32 lowercase hex digits (not all zeros).
    pub fn from_hex(s: &str) -> Result<TraceId, ContextError> {
        let mut id = [0u8; 16];
        unhex(s, &mut id)?;
        let id = TraceId(id);
        match id.is_zero() {
            true => Err(ContextError::ZeroTraceId),
            false => Ok(id),
        }
    }
}

impl SpanId {
    /// Whether every byte is zero (the invalid id).
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }
    /// The id as 16 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
    /// Parses 16 lowercase hex digits (not all zeros).
    pub fn from_hex(s: &str) -> Result<SpanId, ContextError> {
        let mut id = [0u8; 8];
        unhex(s, &mut id)?;
        let id = SpanId(id);
        match id.is_zero() {
            true => Err(ContextError::ZeroParentId),
            false => Ok(id),
        }
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({})", self.to_hex())
    }
}
impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut digits = [0u8; 32];
        f.write_str(hex_into(&self.0, &mut digits))
    }
}
impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({})", self.to_hex())
    }
}
impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut digits = [0u8; 16];
        f.write_str(hex_into(&self.0, &mut digits))
    }
}

/// The `traceparent` flags: `sampled` (Level 1) and `random` (Level 2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TraceFlags(pub u8);

impl TraceFlags {
    /// The caller may have recorded its span: record ours too.
    pub const SAMPLED: TraceFlags = TraceFlags(0x01);
    /// (Level 2) The trace id's rightmost 7 bytes are random.
    pub const RANDOM: TraceFlags = TraceFlags(0x02);
    /// The bits this crate understands; others are not passed on.
    const KNOWN: u8 = 0x03;

    /// Whether the `sampled` bit is set.
    pub fn is_sampled(self) -> bool {
        self.0 & Self::SAMPLED.0 != 0
    }
    /// Whether the `random` bit (Level 2) is set.
    pub fn is_random(self) -> bool {
        self.0 & Self::RANDOM.0 != 0
    }
    /// These flags with `other`'s bits set too.
    pub fn with(self, other: TraceFlags) -> TraceFlags {
        TraceFlags(self.0 | other.0)
    }
}

impl fmt::Debug for TraceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceFlags({:02x})", self.0)
    }
}

/// A parsed `traceparent`: whose child an outgoing request is. Written
/// as version `00` whatever version it was read from.
///
/// ```
/// use brisk::trace::TraceParent;
///
/// let p: TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse()?;
/// assert!(p.flags.is_sampled());
/// assert_eq!(p.to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
/// # Ok::<(), brisk::trace::ContextError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TraceParent {
    /// The trace.
    pub trace_id: TraceId,
    /// The span this is a child of (the sender's span).
    pub parent_id: SpanId,
    /// Sampled and random bits.
    pub flags: TraceFlags,
}

/// The length of a version `00` `traceparent`.
const TRACEPARENT_LEN: usize = 55;

impl FromStr for TraceParent {
    type Err = ContextError;

    /// Parses one `traceparent` field value (see the module docs for the
    /// rules).
    fn from_str(value: &str) -> Result<TraceParent, ContextError> {
        let v = value.trim_matches(is_ows).as_bytes();
        if v.len() < TRACEPARENT_LEN {
            return Err(ContextError::Length);
        }
        let version = &v[..2];
        if !version.iter().all(|&b| is_lower_hex(b)) || v[2] != b'-' {
            return Err(ContextError::Version);
        }
        match version {
            b"ff" => return Err(ContextError::Version),
            // Version 00 has exactly four fields.
            b"00" if v.len() != TRACEPARENT_LEN => return Err(ContextError::Length),
            // A later version may add fields, after a dash.
            _ if v.len() > TRACEPARENT_LEN && v[TRACEPARENT_LEN] != b'-' => {
                return Err(ContextError::Format)
            }
            _ => {}
        }
        // Only ASCII got this far at the positions looked at; the slices
        // below are checked hex, so they are ASCII too.
        if v[35] != b'-' || v[52] != b'-' {
            return Err(ContextError::Format);
        }
        let text = |r: std::ops::Range<usize>| std::str::from_utf8(&v[r]).ok();
        let trace_id = TraceId::from_hex(text(3..35).ok_or(ContextError::Format)?)?;
        let parent_id = SpanId::from_hex(text(36..52).ok_or(ContextError::Format)?)?;
        let mut flags = [0u8; 1];
        unhex(text(53..55).ok_or(ContextError::Format)?, &mut flags)?;
        Ok(TraceParent {
            trace_id,
            parent_id,
            flags: TraceFlags(flags[0] & TraceFlags::KNOWN),
        })
    }
}

impl TraceParent {
    /// The version `00` form in its 55 bytes, written without `fmt` or an
    /// allocation: each attempt sends one.
    pub(crate) fn to_bytes(self) -> [u8; TRACEPARENT_LEN] {
        let mut out = [b'-'; TRACEPARENT_LEN];
        out[..2].copy_from_slice(b"00");
        hex_into(&self.trace_id.0, &mut out[3..35]);
        hex_into(&self.parent_id.0, &mut out[36..52]);
        hex_into(&[self.flags.0 & TraceFlags::KNOWN], &mut out[53..55]);
        out
    }
}

impl fmt::Display for TraceParent {
    /// Writes the version `00` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        // Hex digits, dashes and zeros: ASCII.
        f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?)
    }
}

/// Most members a `tracestate` list may hold (§3.3.1.1).
pub const TRACESTATE_MAX_MEMBERS: usize = 32;
/// Longest key (§3.3.1.3.1).
const KEY_MAX: usize = 256;
/// Longest value (§3.3.1.3.2).
const VALUE_MAX: usize = 256;

/// A `tracestate` list: vendor `key=value` members, most recent first.
///
/// ```
/// use brisk::trace::TraceState;
///
/// let mut state = TraceState::parse(["rojo=00f067aa0ba902b7", " congo=t61rcWkgMzE "])?;
/// assert_eq!(state.get("congo"), Some("t61rcWkgMzE"));
/// state.insert("brisk", "1")?;
/// assert_eq!(state.to_string(), "brisk=1,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
/// # Ok::<(), brisk::trace::ContextError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TraceState {
    members: Vec<(String, String)>,
}

impl TraceState {
    /// An empty list.
    pub fn new() -> TraceState {
        TraceState::default()
    }

    /// Parses the values of every `tracestate` field of a message, in
    /// order, as one list. Any invalid member or more than 32 members
    /// makes the whole list invalid. Empty members (and empty fields) are
    /// skipped; a duplicated key keeps its first member.
    pub fn parse<'a>(
        values: impl IntoIterator<Item = &'a str>,
    ) -> Result<TraceState, ContextError> {
        let mut members: Vec<(String, String)> = Vec::new();
        for value in values {
            for member in value.split(',') {
                let member = member.trim_matches(is_ows);
                if member.is_empty() {
                    continue;
                }
                let (key, value) = member.split_once('=').ok_or(ContextError::Member)?;
                if !valid_key(key) || !valid_value(value) {
                    return Err(ContextError::Member);
                }
                if members.iter().any(|(k, _)| k == key) {
                    continue;
                }
                if members.len() == TRACESTATE_MAX_MEMBERS {
                    return Err(ContextError::TooManyMembers);
                }
                members.push((key.to_owned(), value.to_owned()));
            }
        }
        Ok(TraceState { members })
    }

    /// The value of `key`, if the list has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` to `value` and moves it to the front, as a vendor does
    /// with its own member (§3.5). At 32 members the last one is dropped
    /// to make room.
    pub fn insert(&mut self, key: &str, value: &str) -> Result<(), ContextError> {
        if !valid_key(key) || !valid_value(value) {
            return Err(ContextError::Member);
        }
        self.members.retain(|(k, _)| k != key);
        if self.members.len() == TRACESTATE_MAX_MEMBERS {
            self.members.pop();
        }
        self.members.insert(0, (key.to_owned(), value.to_owned()));
        Ok(())
    }

    /// Removes `key`'s member, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let at = self.members.iter().position(|(k, _)| k == key)?;
        Some(self.members.remove(at).1)
    }

    /// Whether the list has no member (then no `tracestate` is sent).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// The members, front first.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.members.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl fmt::Display for TraceState {
    /// The field value: members joined by `,`, no spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.members.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

/// A caller's span as a request's parent: its `traceparent` and the
/// `tracestate` that goes with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceContext {
    /// Trace id, the caller's span id, flags.
    pub parent: TraceParent,
    /// Vendor state, passed through unchanged.
    pub state: TraceState,
}

impl TraceContext {
    /// A context with an empty `tracestate`.
    pub fn new(parent: TraceParent) -> TraceContext {
        TraceContext {
            parent,
            state: TraceState::new(),
        }
    }

    /// The context an incoming message carries, from the values of its
    /// `traceparent` and `tracestate` fields (every field of each name,
    /// in order). `None` when there is no valid `traceparent` (none, more
    /// than one, or a malformed one); then the `tracestate` is ignored
    /// too. An invalid `tracestate` is dropped and the parent kept.
    pub fn from_fields<'a, 'b>(
        traceparent: impl IntoIterator<Item = &'a str>,
        tracestate: impl IntoIterator<Item = &'b str>,
    ) -> Option<TraceContext> {
        let mut parents = traceparent.into_iter();
        let first = parents.next()?;
        if parents.next().is_some() {
            return None;
        }
        let parent = first.parse().ok()?;
        let state = TraceState::parse(tracestate).unwrap_or_default();
        Some(TraceContext { parent, state })
    }

    /// The context in a brisk [`HeaderMap`](crate::header::HeaderMap), as
    /// [`TraceContext::from_fields`] reads it. A field whose value is not
    /// visible ASCII counts as malformed.
    pub fn from_headers(headers: &crate::header::HeaderMap) -> Option<TraceContext> {
        let text = |v: &crate::header::HeaderValue| v.to_str().unwrap_or("\u{0}").to_owned();
        let parents: Vec<String> = headers.get_all("traceparent").iter().map(text).collect();
        let states: Vec<String> = headers.get_all("tracestate").iter().map(text).collect();
        TraceContext::from_fields(
            parents.iter().map(String::as_str),
            states.iter().map(String::as_str),
        )
    }
}

/// OWS: spaces and horizontal tabs (RFC 9110 §5.6.3).
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// `s` (exactly twice `out`'s length of lowercase hex) into `out`.
fn unhex(s: &str, out: &mut [u8]) -> Result<(), ContextError> {
    let s = s.as_bytes();
    if s.len() != out.len() * 2 {
        return Err(ContextError::Length);
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Ok(b - b'0'),
        b'a'..=b'f' => Ok(b - b'a' + 10),
        _ => Err(ContextError::Format),
    };
    for (i, pair) in s.chunks_exact(2).enumerate() {
        out[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    let mut digits = vec![0u8; bytes.len() * 2];
    hex_into(bytes, &mut digits);
    String::from_utf8(digits).unwrap_or_default()
}

/// `bytes` as lowercase hex in `out` (twice as long), returned as text.
pub(crate) fn hex_into<'a>(bytes: &[u8], out: &'a mut [u8]) -> &'a str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
    }
    // Only hex digits were written.
    std::str::from_utf8(out).unwrap_or_default()
}

/// `[a-z0-9][a-z0-9_*/@-]{0,255}`: the simple key and the vendor key
/// (`tenant@system`) of §3.3.1.3.1, as the W3C test suite reads them.
fn valid_key(key: &str) -> bool {
    let b = key.as_bytes();
    let Some((&first, rest)) = b.split_first() else {
        return false;
    };
    b.len() <= KEY_MAX
        && (first.is_ascii_lowercase() || first.is_ascii_digit())
        && rest.iter().all(|&c| {
            c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || matches!(c, b'_' | b'-' | b'*' | b'/' | b'@')
        })
}

/// 1 to 256 of `%x20-2B / %x2D-3C / %x3E-7E`, the last not a space
/// (§3.3.1.3.2).
fn valid_value(value: &str) -> bool {
    let b = value.as_bytes();
    let allowed = |c: u8| matches!(c, 0x20..=0x2b | 0x2d..=0x3c | 0x3e..=0x7e);
    !b.is_empty()
        && b.len() <= VALUE_MAX
        && b.iter().all(|&c| allowed(c))
        && b.last() != Some(&b' ')
}

#[cfg(test)]
mod tests;
