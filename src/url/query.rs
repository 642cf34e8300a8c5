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

/// Adds pairs to a URL's query, form-urlencoded: from
/// [`Url::query_pairs_mut`](super::Url::query_pairs_mut), with the `url`
/// crate's `form_urlencoded::Serializer` methods that code written for
/// reqwest uses.
///
/// ```
/// let mut url = brisk::Url::parse("https://h/search?lang=en")?;
/// url.query_pairs_mut()
///     .append_pair("q", "café au lait")
///     .extend_pairs([("page", "2")]);
/// assert_eq!(url.as_str(), "https://h/search?lang=en&q=caf%C3%A9+au+lait&page=2");
/// url.query_pairs_mut().clear().append_pair("n", "1");
/// assert_eq!(url.query(), Some("n=1"));
/// # Ok::<(), brisk::UrlError>(())
/// ```
#[derive(Debug)]
pub struct QuerySerializer<'a> {
    url: &'a mut super::Url,
}

impl super::Url {
    /// A serializer that appends `name=value` pairs to the query. As with
    /// the `url` crate, a URL without a query gets an empty one (`?`) at
    /// once, which the first pair fills.
    pub fn query_pairs_mut(&mut self) -> QuerySerializer<'_> {
        if self.query().is_none() {
            self.set_query(Some(""));
        }
        QuerySerializer { url: self }
    }
}

impl QuerySerializer<'_> {
    /// Appends one pair, name and value form-urlencoded (a space is `+`).
    pub fn append_pair(&mut self, name: &str, value: &str) -> &mut Self {
        self.url.append_query_pair(name, value);
        self
    }

    /// Appends a name with no `=` and no value.
    pub fn append_key_only(&mut self, name: &str) -> &mut Self {
        let query = self.url.query().unwrap_or_default();
        let mut text = query.to_string();
        if !text.is_empty() && !text.ends_with('&') {
            text.push('&');
        }
        super::encode::form_urlencode_into(&mut text, name);
        self.url.set_query(Some(&text));
        self
    }

    /// Appends every pair of `pairs`.
    pub fn extend_pairs<I, K, V>(&mut self, pairs: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: std::borrow::Borrow<(K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        for pair in pairs {
            let (name, value) = std::borrow::Borrow::<(K, V)>::borrow(&pair);
            self.url.append_query_pair(name.as_ref(), value.as_ref());
        }
        self
    }

    /// Removes every pair (the query stays, empty).
    pub fn clear(&mut self) -> &mut Self {
        self.url.set_query(Some(""));
        self
    }

    /// The URL, changed: the serializer writes as it goes, so nothing is
    /// left to do.
    pub fn finish(&mut self) -> &mut super::Url {
        self.url
    }
}
