//! The `url` target: parsing, printing, the setters and relative
//! resolution.

use crate::h1::{encode_request_head, BodyFraming, RequestHead};
use crate::Url;

/// URL parsing and resolution on arbitrary text. The input is a base URL
/// and, after the first LF (which no URL can hold), a reference to resolve
/// against it; without an LF the whole input is both.
///
/// - Parsing never panics.
/// - A parsed URL printed and parsed again is the same URL (less the
///   userinfo and the fragment, which printing leaves out on purpose).
/// - Its request-target and `Host` value are accepted by the encoder as
///   they are.
/// - What [`Url::join`], [`Url::set_path`], [`Url::set_query`] and
///   [`Url::append_query_pair`] produce is a valid URL: it re-parses to
///   itself.
pub fn url(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (base, reference) = text.split_once('\n').unwrap_or((&text, &text));
    let Ok(url) = Url::parse(base) else {
        // A reference is resolved against a base that did parse; an
        // unparsable base still exercises the parser's error paths.
        let _ = Url::parse(reference);
        return;
    };
    assert_reparses(&url, "parse");
    let mut out = Vec::new();
    let head = RequestHead {
        method: "GET",
        target: url.request_target(),
        host: url.authority(),
        headers: [("a", "b"); 0],
        body: BodyFraming::None,
    };
    encode_request_head(&head, &mut out).expect("a parsed URL always encodes");

    if let Ok(joined) = url.join(reference) {
        assert_reparses(&joined, "join");
    }
    let mut set = url.clone();
    set.set_path(reference);
    assert_reparses(&set, "set_path");
    set.set_query(Some(reference));
    assert_reparses(&set, "set_query");
    set.append_query_pair(reference, base);
    assert_reparses(&set, "append_query_pair");
    set.set_query(None);
    assert_reparses(&set, "set_query(None)");
}

/// `url` printed and parsed again is `url`, userinfo and fragment aside.
fn assert_reparses(url: &Url, after: &str) {
    let again = match Url::parse(url.as_str()) {
        Ok(again) => again,
        Err(e) => panic!("after {after}, {:?} does not re-parse: {e}", url.as_str()),
    };
    assert_eq!(again.as_str(), url.as_str(), "after {after}");
    assert_eq!(again.scheme(), url.scheme(), "after {after}");
    assert_eq!(again.host(), url.host(), "after {after}: host of {url:?}");
    assert_eq!(again.port(), url.port(), "after {after}: port of {url:?}");
    assert_eq!(again.path(), url.path(), "after {after}: path of {url:?}");
    assert_eq!(
        again.query(),
        url.query(),
        "after {after}: query of {url:?}"
    );
    assert_eq!(again.authority(), url.authority(), "after {after}");
    assert_eq!(
        again.request_target(),
        url.request_target(),
        "after {after}"
    );
    if url.username().is_empty() && url.password().is_none() && url.fragment().is_none() {
        assert_eq!(&again, url, "after {after}");
    }
}
