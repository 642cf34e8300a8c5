//! The fragment (`#...`, RFC 3986 §3.5): kept for the caller, never sent
//! (RFC 9110 §4.2.4: it is for the client, and not part of a request's
//! target), and left out of `as_str()`.

use super::encode::encode_into;
use super::Url;
use crate::chars::ascii_set;

/// What a fragment keeps as it is: printable ASCII but space, `"`, `<`,
/// `>` and `` ` `` (the WHATWG URL standard's fragment percent-encode set;
/// a second `#` stays too); `%` is kept, so an encoded fragment stays as
/// it is.
const FRAGMENT_CHARS: &[bool; 256] = &ascii_set(b"!#$%&'()*+,-./:;=?@[\\]^_{|}~");

/// `fragment` percent-encoded as a URL keeps it.
pub(super) fn encode(fragment: &str) -> Box<str> {
    let mut out = String::with_capacity(fragment.len());
    encode_into(&mut out, fragment, FRAGMENT_CHARS, false);
    out.into_boxed_str()
}

impl Url {
    /// The fragment, without its `#`, percent-encoded, if the URL had one
    /// (`Some("")` for a bare `#`), as the `url` crate's `fragment`. It is
    /// never sent: a request goes to the URL without it.
    ///
    /// ```
    /// let url = brisk::Url::parse("https://example.com/docs#install")?;
    /// assert_eq!(url.fragment(), Some("install"));
    /// assert_eq!(url.as_str(), "https://example.com/docs");
    /// assert_eq!(brisk::Url::parse("https://example.com/")?.fragment(), None);
    /// # Ok::<(), brisk::UrlError>(())
    /// ```
    pub fn fragment(&self) -> Option<&str> {
        self.fragment.as_deref()
    }

    /// Sets the fragment (`None` removes it), percent-encoding what a
    /// fragment cannot hold.
    pub fn set_fragment(&mut self, fragment: Option<&str>) {
        self.fragment = fragment.map(encode);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn kept_encoded_and_never_in_the_target() {
        let u = url("http://h/p?q=1#a%20b");
        assert_eq!(u.fragment(), Some("a%20b"));
        assert_eq!(u.request_target(), "/p?q=1");
        assert_eq!(u.as_str(), "http://h/p?q=1");
        assert_eq!(url("http://h/#").fragment(), Some(""));
        assert_eq!(url("http://h/#x#y").fragment(), Some("x#y"));
        assert_eq!(
            url("http://h/#caf\u{e9}\"<>`").fragment(),
            Some("caf%C3%A9%22%3C%3E%60")
        );
        assert_eq!(url("http://h/#%41").fragment(), Some("%41"));
    }

    #[test]
    fn setters_keep_it_and_set_fragment_changes_it() {
        let mut u = url("http://h/a#top");
        u.set_path("/b");
        u.set_query(Some("x=1"));
        u.query_pairs_mut().append_pair("y", "2");
        assert_eq!(u.fragment(), Some("top"));
        assert_eq!(u.as_str(), "http://h/b?x=1&y=2");
        u.set_fragment(Some("new place"));
        assert_eq!(u.fragment(), Some("new%20place"));
        u.set_fragment(None);
        assert_eq!(u.fragment(), None);
        assert_eq!(u, url("http://h/b?x=1&y=2"));
    }

    #[test]
    fn join_takes_the_references_fragment() {
        // RFC 3986 §5.2.2: the result's fragment is the reference's.
        let base = url("http://h/a/b?q#base");
        assert_eq!(base.join("c#ref").unwrap().fragment(), Some("ref"));
        assert_eq!(base.join("c").unwrap().fragment(), None);
        assert_eq!(base.join("#only").unwrap().as_str(), "http://h/a/b?q");
        assert_eq!(base.join("#only").unwrap().fragment(), Some("only"));
        assert_eq!(base.join("").unwrap().fragment(), None);
        assert_eq!(base.join("//g/x#f").unwrap().fragment(), Some("f"));
        assert_eq!(base.join("https://g/#f").unwrap().fragment(), Some("f"));
    }
}
