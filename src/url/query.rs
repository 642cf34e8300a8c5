//! Reading a query as `application/x-www-form-urlencoded` name/value
//! pairs, the way servers (and the WHATWG URL standard's
//! `URLSearchParams`) read it.

use super::encode::percent_decode;
use std::borrow::Cow;

/// The decoded `name=value` pairs of a query, from [`Url::query_pairs`].
///
/// The query is split on `&`; empty pieces (`a=1&&b=2`, a trailing `&`) are
/// skipped. Each piece is split at its first `=` (a piece without one is a
/// name with an empty value). Names and values are then decoded: `+` is a
/// space, `%XX` escapes become bytes (an invalid escape is kept as
/// written), and bytes that are not UTF-8 become U+FFFD. A name or value
/// with nothing to decode is borrowed from the URL.
///
/// ```
/// use brisk::Url;
///
/// let url = Url::parse("https://example.com/search?q=rust+http&lang=%C3%A9&flag")?;
/// let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
/// assert_eq!(pairs, [
///     ("q".to_string(), "rust http".to_string()),
///     ("lang".to_string(), "é".to_string()),
///     ("flag".to_string(), String::new()),
/// ]);
/// let lang = url.query_pairs().find(|(k, _)| k == "lang").map(|(_, v)| v);
/// assert_eq!(lang.as_deref(), Some("é"));
/// # Ok::<(), brisk::UrlError>(())
/// ```
///
/// [`Url::query_pairs`]: crate::Url::query_pairs
#[derive(Clone, Debug)]
pub struct QueryPairs<'a> {
    /// What is left of the (percent-encoded) query.
    rest: &'a str,
}

impl<'a> QueryPairs<'a> {
    pub(super) fn new(query: Option<&'a str>) -> Self {
        QueryPairs {
            rest: query.unwrap_or_default(),
        }
    }

    /// The same pairs, as owned `String`s: for collecting into a map that
    /// outlives the URL.
    pub fn into_owned(self) -> impl Iterator<Item = (String, String)> + 'a {
        self.map(|(k, v)| (k.into_owned(), v.into_owned()))
    }
}

impl<'a> Iterator for QueryPairs<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let (piece, rest) = self.rest.split_once('&').unwrap_or((self.rest, ""));
            self.rest = rest;
            if piece.is_empty() {
                continue;
            }
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            return Some((percent_decode(name, true), percent_decode(value, true)));
        }
    }
}

impl std::iter::FusedIterator for QueryPairs<'_> {}
