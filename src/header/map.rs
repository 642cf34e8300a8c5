//! [`HeaderMap`]: header fields in order, looked up by name ignoring case.

use super::bytes::{FieldBytes, INLINE};
use super::HeaderSpan;
use super::{is_credential, AsHeaderName, HeaderName, HeaderValue, IntoHeaderName};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// Header fields: a multimap from [`HeaderName`] to [`HeaderValue`] that
/// keeps the fields in the order they were added (or received).
///
/// Lookups ignore the case of names and take a [`HeaderName`], a
/// `&HeaderName`, a `&str` or a `String`. A head has a few dozen fields at
/// most, so the map is a vector searched in order: no hashing, one
/// allocation for all the fields.
///
/// ```
/// use brisk::header::{self, HeaderMap, HeaderValue};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
/// headers.append("x-tag", HeaderValue::from_static("a"));
/// headers.append("x-tag", HeaderValue::from_static("b"));
///
/// assert_eq!(headers.get("Accept").and_then(|v| v.to_str().ok()), Some("application/json"));
/// assert_eq!(headers["x-tag"], "a");
/// assert_eq!(headers.get_all("x-tag").iter().collect::<Vec<_>>(), ["a", "b"]);
/// assert_eq!(headers.len(), 3);
/// for (name, value) in &headers {
///     println!("{}: {:?}", name.as_str(), value.to_str());
/// }
/// ```
#[derive(Clone, Default)]
pub struct HeaderMap {
    entries: Vec<(HeaderName, HeaderValue)>,
}

impl HeaderMap {
    /// An empty map (no allocation until the first field).
    pub fn new() -> HeaderMap {
        HeaderMap::default()
    }

    /// An empty map with room for `capacity` fields.
    pub fn with_capacity(capacity: usize) -> HeaderMap {
        HeaderMap {
            entries: Vec::with_capacity(capacity),
        }
    }

    /// The fields of a parsed response head, names lowercased. `head` is
    /// the head's bytes and `spans` where its fields lie.
    ///
    /// Names and values that fit are copied inline, so a typical head
    /// costs one allocation (the vector of fields). If any is longer, one
    /// shared copy of the bytes from the first long part to the last is
    /// made, and the long parts point into it: two allocations at most,
    /// whatever the head holds.
    pub(crate) fn from_head(head: &[u8], spans: &[HeaderSpan]) -> HeaderMap {
        let parts = |s: &HeaderSpan| [(s.name_range(), true), (s.value_range(), false)];
        let long = |r: &Range<usize>| r.len() > INLINE;
        let mut shared_range: Option<Range<usize>> = None;
        for r in spans.iter().flat_map(parts).map(|(r, _)| r).filter(long) {
            shared_range = Some(match shared_range {
                None => r,
                Some(s) => s.start.min(r.start)..s.end.max(r.end),
            });
        }
        let shared = shared_range.and_then(|range| {
            let mut buf: Arc<[u8]> = Arc::from(head.get(range.clone())?);
            // Just made, so not shared yet: lowercase the long names in it.
            if let Some(bytes) = Arc::get_mut(&mut buf) {
                for (r, _) in spans
                    .iter()
                    .flat_map(parts)
                    .filter(|(r, name)| *name && long(r))
                {
                    bytes[r.start - range.start..r.end - range.start].make_ascii_lowercase();
                }
            }
            Some((buf, range.start))
        });
        let store = |r: Range<usize>, lowercase: bool| {
            let part = head.get(r.clone()).unwrap_or_default();
            match (FieldBytes::inline(part), &shared) {
                (Some(mut inline), _) => {
                    if let (true, FieldBytes::Inline { buf, .. }) = (lowercase, &mut inline) {
                        buf.make_ascii_lowercase();
                    }
                    inline
                }
                // Offsets fit in u32: a head is at most `Limits::head_bytes`.
                (None, Some((buf, base))) => FieldBytes::Shared {
                    buf: buf.clone(),
                    start: (r.start - base) as u32,
                    end: (r.end - base) as u32,
                },
                // Not reached: every long part is in `shared`.
                (None, None) => FieldBytes::copy_from(part),
            }
        };
        let entries = spans
            .iter()
            .map(|s| {
                let name = HeaderName::from_parsed(store(s.name_range(), true));
                (
                    name,
                    HeaderValue::from_parsed(store(s.value_range(), false)),
                )
            })
            .collect();
        HeaderMap { entries }
    }

    /// The number of fields (a name sent twice counts twice), as the
    /// `http` crate counts.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The number of distinct names.
    pub fn keys_len(&self) -> usize {
        self.keys().count()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many fields the map holds without reallocating.
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// Makes room for `additional` more fields.
    pub fn reserve(&mut self, additional: usize) {
        self.entries.reserve(additional);
    }

    /// Removes every field, keeping the allocation.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The first value of the field `key`, if any.
    pub fn get<K: AsHeaderName>(&self, key: K) -> Option<&HeaderValue> {
        let key = key.name_bytes();
        self.entries.iter().find(|(n, _)| n.is(key)).map(|(_, v)| v)
    }

    /// The first value of the field `key`, to change in place.
    pub fn get_mut<K: AsHeaderName>(&mut self, key: K) -> Option<&mut HeaderValue> {
        let key = key.name_bytes();
        self.entries
            .iter_mut()
            .find(|(n, _)| n.is(key))
            .map(|(_, v)| v)
    }

    /// Every value of the field `key`, in order (none if it is absent).
    pub fn get_all<K: AsHeaderName>(&self, key: K) -> GetAll<'_> {
        let key = key.name_bytes();
        match self.entries.iter().position(|(n, _)| n.is(key)) {
            Some(i) => GetAll {
                entries: &self.entries[i..],
            },
            None => GetAll { entries: &[] },
        }
    }

    /// Whether the map holds a field `key`.
    pub fn contains_key<K: AsHeaderName>(&self, key: K) -> bool {
        let key = key.name_bytes();
        self.entries.iter().any(|(n, _)| n.is(key))
    }

    /// Sets the field `key` to `value`, replacing every value it had: the
    /// first one in its place, the others removed. Returns the first value
    /// it replaced.
    pub fn insert<K: IntoHeaderName>(&mut self, key: K, value: HeaderValue) -> Option<HeaderValue> {
        let key = key.into_header_name();
        match self.entries.iter().position(|(n, _)| *n == key) {
            None => {
                self.entries.push((key, value));
                None
            }
            Some(i) => {
                let old = std::mem::replace(&mut self.entries[i].1, value);
                let mut j = 0;
                self.entries.retain(|(n, _)| {
                    j += 1;
                    j <= i + 1 || *n != key
                });
                Some(old)
            }
        }
    }

    /// Adds a value to the field `key`, after any it has. Returns whether
    /// the map already held `key`.
    pub fn append<K: IntoHeaderName>(&mut self, key: K, value: HeaderValue) -> bool {
        let key = key.into_header_name();
        let present = self.contains_key(&key);
        self.entries.push((key, value));
        present
    }

    /// Removes every value of the field `key`; returns the first.
    pub fn remove<K: AsHeaderName>(&mut self, key: K) -> Option<HeaderValue> {
        let key = key.name_bytes();
        let i = self.entries.iter().position(|(n, _)| n.is(key))?;
        let (_, first) = self.entries.remove(i);
        self.entries.retain(|(n, _)| !n.is(key));
        Some(first)
    }

    /// Keeps only the fields for which `keep` says yes.
    pub fn retain(&mut self, mut keep: impl FnMut(&HeaderName, &HeaderValue) -> bool) {
        self.entries.retain(|(n, v)| keep(n, v));
    }

    /// Every field as `(name, value)`, in order; a name with several
    /// values comes once per value.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.entries.iter(),
        }
    }

    /// Each distinct name once, in the order first seen.
    pub fn keys(&self) -> Keys<'_> {
        Keys {
            entries: &self.entries,
            next: 0,
        }
    }

    /// Every value, in order.
    pub fn values(&self) -> Values<'_> {
        Values {
            inner: self.entries.iter(),
        }
    }

    /// Whether any field `key` lists `token` among its comma-separated
    /// elements, ignoring ASCII case, as in `Connection: keep-alive,
    /// Upgrade`. (brisk's own; the `http` crate has no such method.)
    pub fn has_token<K: AsHeaderName>(&self, key: K, token: &str) -> bool {
        self.get_all(key).iter().any(|v| {
            v.as_bytes()
                .split(|&b| b == b',')
                .any(|t| crate::chars::trim_ows(t).eq_ignore_ascii_case(token.as_bytes()))
        })
    }
}

impl PartialEq for HeaderMap {
    /// The same fields in the same order (names ignoring case).
    fn eq(&self, other: &HeaderMap) -> bool {
        self.entries == other.entries
    }
}
impl Eq for HeaderMap {}

impl fmt::Debug for HeaderMap {
    /// A map of the fields; a sensitive value, and any value of a
    /// credential field (`authorization`, `cookie`,
    /// `proxy-authorization`, `x-api-key`, `api-key`), shows as
    /// `Sensitive`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Redacted;
        impl fmt::Debug for Redacted {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("Sensitive")
            }
        }
        let mut m = f.debug_map();
        for (n, v) in &self.entries {
            if is_credential(n.as_str()) {
                m.entry(n, &Redacted);
            } else {
                m.entry(n, v);
            }
        }
        m.finish()
    }
}

impl<K: AsHeaderName> std::ops::Index<K> for HeaderMap {
    type Output = HeaderValue;

    /// The first value of the field `key`.
    ///
    /// # Panics
    /// If the map has no field `key`, as the `http` crate's map does:
    /// indexing says the caller knows the field is there. Use
    /// [`HeaderMap::get`] otherwise.
    fn index(&self, key: K) -> &HeaderValue {
        self.get(key).expect("no header field of that name")
    }
}

/// The values of one field, from [`HeaderMap::get_all`].
#[derive(Clone, Copy, Debug)]
pub struct GetAll<'a> {
    /// From the first field of the name on; empty if there is none.
    entries: &'a [(HeaderName, HeaderValue)],
}

impl<'a> GetAll<'a> {
    /// The values, in order.
    pub fn iter(&self) -> ValueIter<'a> {
        ValueIter {
            name: self.entries.first().map(|(n, _)| n),
            inner: self.entries.iter(),
        }
    }
}

impl<'a> IntoIterator for GetAll<'a> {
    type Item = &'a HeaderValue;
    type IntoIter = ValueIter<'a>;
    fn into_iter(self) -> ValueIter<'a> {
        self.iter()
    }
}
impl<'a> IntoIterator for &GetAll<'a> {
    type Item = &'a HeaderValue;
    type IntoIter = ValueIter<'a>;
    fn into_iter(self) -> ValueIter<'a> {
        self.iter()
    }
}

/// The values of one field, from [`GetAll::iter`].
#[derive(Clone, Debug)]
pub struct ValueIter<'a> {
    name: Option<&'a HeaderName>,
    inner: std::slice::Iter<'a, (HeaderName, HeaderValue)>,
}

impl<'a> Iterator for ValueIter<'a> {
    type Item = &'a HeaderValue;
    fn next(&mut self) -> Option<&'a HeaderValue> {
        let name = self.name?;
        self.inner.find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// Every field of a [`HeaderMap`] as `(name, value)`, from
/// [`HeaderMap::iter`].
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    inner: std::slice::Iter<'a, (HeaderName, HeaderValue)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a HeaderName, &'a HeaderValue);
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(n, v)| (n, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}
impl ExactSizeIterator for Iter<'_> {}

/// Each distinct name of a [`HeaderMap`], from [`HeaderMap::keys`].
#[derive(Clone, Debug)]
pub struct Keys<'a> {
    entries: &'a [(HeaderName, HeaderValue)],
    next: usize,
}

impl<'a> Iterator for Keys<'a> {
    type Item = &'a HeaderName;
    fn next(&mut self) -> Option<&'a HeaderName> {
        while let Some((name, _)) = self.entries.get(self.next) {
            let seen = self.entries[..self.next].iter().any(|(n, _)| n == name);
            self.next += 1;
            if !seen {
                return Some(name);
            }
        }
        None
    }
}

/// Every value of a [`HeaderMap`], from [`HeaderMap::values`].
#[derive(Clone, Debug)]
pub struct Values<'a> {
    inner: std::slice::Iter<'a, (HeaderName, HeaderValue)>,
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a HeaderValue;
    fn next(&mut self) -> Option<&'a HeaderValue> {
        self.inner.next().map(|(_, v)| v)
    }
}

impl<'a> IntoIterator for &'a HeaderMap {
    type Item = (&'a HeaderName, &'a HeaderValue);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The fields of a [`HeaderMap`] by value, from its `into_iter`.
///
/// As in the `http` crate, the values of one name come together, the
/// first with `Some(name)` and the rest with `None`, so that
/// `map.extend(other)` replaces the fields `other` has.
#[derive(Debug)]
pub struct IntoIter {
    inner: std::vec::IntoIter<(HeaderName, HeaderValue)>,
    last: Option<HeaderName>,
}

impl Iterator for IntoIter {
    type Item = (Option<HeaderName>, HeaderValue);
    fn next(&mut self) -> Option<Self::Item> {
        let (name, value) = self.inner.next()?;
        if self.last.as_ref() == Some(&name) {
            return Some((None, value));
        }
        self.last = Some(name.clone());
        Some((Some(name), value))
    }
}

impl IntoIterator for HeaderMap {
    type Item = (Option<HeaderName>, HeaderValue);
    type IntoIter = IntoIter;
    fn into_iter(mut self) -> IntoIter {
        // Group the values of each name after its first, keeping order.
        let mut grouped: Vec<(HeaderName, HeaderValue)> = Vec::with_capacity(self.entries.len());
        for (name, value) in self.entries.drain(..) {
            match grouped.iter().rposition(|(n, _)| *n == name) {
                Some(i) => grouped.insert(i + 1, (name, value)),
                None => grouped.push((name, value)),
            }
        }
        IntoIter {
            inner: grouped.into_iter(),
            last: None,
        }
    }
}

impl FromIterator<(HeaderName, HeaderValue)> for HeaderMap {
    /// Appends every field, in order.
    fn from_iter<I: IntoIterator<Item = (HeaderName, HeaderValue)>>(iter: I) -> HeaderMap {
        HeaderMap {
            entries: iter.into_iter().collect(),
        }
    }
}

impl Extend<(HeaderName, HeaderValue)> for HeaderMap {
    /// Appends every field, in order.
    fn extend<I: IntoIterator<Item = (HeaderName, HeaderValue)>>(&mut self, iter: I) {
        self.entries.extend(iter);
    }
}

impl Extend<(Option<HeaderName>, HeaderValue)> for HeaderMap {
    /// As the `http` crate does: a value with a name replaces the field's
    /// values, one with `None` is appended to the last name given (values
    /// before any name are dropped). `map.extend(other_map)` so replaces
    /// the fields `other_map` has and keeps the rest.
    fn extend<I: IntoIterator<Item = (Option<HeaderName>, HeaderValue)>>(&mut self, iter: I) {
        let mut last: Option<HeaderName> = None;
        for (name, value) in iter {
            match name {
                Some(name) => {
                    self.insert(&name, value);
                    last = Some(name);
                }
                None => {
                    if let Some(name) = &last {
                        self.append(name, value);
                    }
                }
            }
        }
    }
}
