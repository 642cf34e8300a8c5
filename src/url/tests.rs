//! The URL parser and its accessors, case by case.

use super::*;
use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

fn url(s: &str) -> Url {
    Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn parts() {
    let u = url("HTTP://Example.COM/a/b?x=1&y=2#frag");
    assert_eq!(u.scheme(), Scheme::Http);
    assert_eq!(u.host(), Host::Domain("example.com".into()));
    assert_eq!(u.origin(), "http://example.com");
    assert_eq!(u.port(), None);
    assert_eq!(u.port_or_known_default(), Some(80));
    assert_eq!(u.path(), "/a/b");
    assert_eq!(u.query(), Some("x=1&y=2"));
    assert_eq!(u.request_target(), "/a/b?x=1&y=2");
    assert_eq!(u.authority(), "example.com");
    assert_eq!(url("https://h").request_target(), "/");
    assert_eq!(url("https://h?q").request_target(), "/?q");
    assert_eq!(url("https://h:443/").authority(), "h");
    assert_eq!(url("https://h:8443/").authority(), "h:8443");
    assert_eq!(url("http://h:/").port(), None);
    assert_eq!(url("http://h:/").port_or_known_default(), Some(80));
    assert_eq!(
        url(" \thttp://ExAmple.COM:8080/P\n ").to_string(),
        "http://example.com:8080/P"
    );
    assert_eq!(
        url("http://ExAmple.COM:8080/P").host(),
        Host::Domain("example.com".into())
    );
}

#[test]
fn ip_literals() {
    assert_eq!(
        url("http://127.0.0.1:8080/").host(),
        Host::Ipv4(Ipv4Addr::new(127, 0, 0, 1))
    );
    let v6 = url("http://[::1]:9/x");
    assert_eq!(v6.host(), Host::Ipv6(Ipv6Addr::LOCALHOST));
    assert_eq!(v6.host_str(), Some("[::1]"));
    assert_eq!(v6.port(), Some(9));
    assert_eq!(v6.domain(), None);
    assert_eq!(v6.authority(), "[::1]:9");
    assert_eq!(url("https://[2001:db8::1]/").port(), None);
    assert_eq!(
        url("https://[2001:db8::1]/").port_or_known_default(),
        Some(443)
    );
}

#[test]
fn errors() {
    let cases = [
        ("example.com/x", UrlError::MissingScheme),
        ("ftp://example.com/", UrlError::UnsupportedScheme),
        ("http:///x", UrlError::EmptyHost),
        ("http://:80/x", UrlError::EmptyHost),
        ("http://exa mple.com/", UrlError::InvalidCharacter),
        ("http://example.com/a b", UrlError::InvalidCharacter),
        ("http://example.com/a\nb", UrlError::InvalidCharacter),
        (
            "http://example.com/a\r\nHost: evil",
            UrlError::InvalidCharacter,
        ),
        ("http://bücher.de/", UrlError::NonAsciiHost),
        ("http://ex%61mple.com/", UrlError::InvalidHost),
        ("http://a<b/", UrlError::InvalidHost),
        ("http://[::1/", UrlError::InvalidHost),
        ("http://[zz::1]/", UrlError::InvalidHost),
        ("http://[::1]x/", UrlError::InvalidHost),
        ("http://1.2.3.256/", UrlError::InvalidHost),
        ("http://h:0/", UrlError::InvalidPort),
        ("http://h:65536/", UrlError::InvalidPort),
        ("http://h:99999999999/", UrlError::InvalidPort),
        ("http://h:8o/", UrlError::InvalidPort),
        ("http://h:-1/", UrlError::InvalidPort),
    ];
    for (input, err) in cases {
        assert_eq!(Url::parse(input), Err(err), "{input}");
    }
}

#[test]
fn percent_encoding_of_target() {
    assert_eq!(url("http://h/é?q=ü").request_target(), "/%C3%A9?q=%C3%BC");
    assert_eq!(url("http://h/a%20b").request_target(), "/a%20b");
    assert_eq!(
        url("http://h/\"<>`{}|^").request_target(),
        "/%22%3C%3E%60%7B%7D%7C%5E"
    );
    assert_eq!(url("http://h/a?b=/c?d").request_target(), "/a?b=/c?d");
    assert_eq!(url("http://h\\a\\b?x\\y").request_target(), "/a/b?x%5Cy");
    assert_eq!(url("http://h/€x€").request_target(), "/%E2%82%ACx%E2%82%AC");
    assert_eq!(
        Url::parse("http://h/a\u{85}b"),
        Err(UrlError::InvalidCharacter)
    );
}

#[test]
fn userinfo_is_decoded_and_never_in_the_target() {
    let u = url("http://us%40er:p%3Ass@h/x");
    assert_eq!(u.username(), "us@er");
    assert_eq!(u.password(), Some("p:ss"));
    assert_eq!(u.request_target(), "/x");
    assert!(!u.to_string().contains("p:ss"));
    assert!(!format!("{u:?}").contains("ss"));
}

#[test]
fn appending_query_pairs() {
    let mut u = url("http://h/p");
    u.append_query_pair("a b", "c&d=é");
    u.append_query_pair("x", "");
    assert_eq!(u.request_target(), "/p?a+b=c%26d%3D%C3%A9&x=");
    let mut u = url("http://h/p?z=1");
    u.append_query_pair("k", "v");
    assert_eq!(u.query(), Some("z=1&k=v"));
}

#[test]
fn joining_references() {
    let base = url("https://h:8443/a/b/c?q");
    assert_eq!(base.join("/x").unwrap().to_string(), "https://h:8443/x");
    assert_eq!(base.join("x").unwrap().to_string(), "https://h:8443/a/b/x");
    assert_eq!(
        base.join("../x?y").unwrap().to_string(),
        "https://h:8443/a/x?y"
    );
    assert_eq!(
        base.join("?z").unwrap().to_string(),
        "https://h:8443/a/b/c?z"
    );
    assert_eq!(
        base.join("//other/p").unwrap().to_string(),
        "https://other/p"
    );
    assert_eq!(base.join("http://o:1/").unwrap().to_string(), "http://o:1/");
    assert_eq!(base.join("./").unwrap().to_string(), "https://h:8443/a/b/");
    assert!(base.join("/a b").is_err());
}

/// `Url::parse(u.as_str())` gives `u` back: what every setter promises.
fn assert_round_trips(u: &Url) {
    assert_eq!(&url(u.as_str()), u, "{}", u.as_str());
    assert_eq!(u.to_string(), u.as_str());
}

#[test]
fn ports_as_the_url_crate_has_them() {
    for (input, port, known) in [
        ("http://h/", None, 80),
        ("http://h:80/", None, 80),
        ("http://h:443/", Some(443), 443),
        ("https://h/", None, 443),
        ("https://h:443/", None, 443),
        ("https://h:80/", Some(80), 80),
        ("http://h:8080/", Some(8080), 8080),
        ("http://[::1]/", None, 80),
        ("http://[::1]:80/", None, 80),
        ("http://[::1]:1/", Some(1), 1),
        ("http://h:65535/", Some(65535), 65535),
    ] {
        let u = url(input);
        assert_eq!(u.port(), port, "{input}");
        assert_eq!(u.port_or_known_default(), Some(known), "{input}");
        assert_eq!(u.effective_port(), known, "{input}");
        assert_round_trips(&u);
    }
}

#[test]
fn hosts_and_domains() {
    let u = url("http://API.Example.com:81/");
    assert_eq!(u.host_str(), Some("api.example.com"));
    assert_eq!(u.domain(), Some("api.example.com"));
    let u = url("http://127.1/");
    assert_eq!(u.host_str(), Some("127.0.0.1"));
    assert_eq!(u.domain(), None);
    let u = url("https://[2001:DB8::1]:8443/");
    assert_eq!(u.host_str(), Some("[2001:db8::1]"));
    assert_eq!(u.host_text(), "[2001:db8::1]");
    assert_eq!(u.domain(), None);
    assert_eq!(u.as_str(), "https://[2001:db8::1]:8443/");
    assert_round_trips(&u);
}

#[test]
fn scheme_compares_with_text() {
    let u = url("HTTPS://h/");
    assert!(u.scheme() == "https");
    assert!(u.scheme() != "http");
    assert!(u.scheme() != "HTTPS");
    assert!("https" == u.scheme());
    let s: &str = "http";
    assert!(url("http://h/").scheme() == *s);
    assert!(*s == url("http://h/").scheme());
    assert_eq!(Scheme::Http.as_str(), "http");
    assert_eq!(format!("{}", Scheme::Https), "https");
}

#[test]
fn path_segments() {
    let segments = |s: &str| -> Vec<String> {
        url(s)
            .path_segments()
            .expect("an http URL has a path")
            .map(str::to_string)
            .collect()
    };
    assert_eq!(segments("http://h"), [""]);
    assert_eq!(segments("http://h/"), [""]);
    assert_eq!(segments("http://h/a"), ["a"]);
    assert_eq!(segments("http://h/a/"), ["a", ""]);
    assert_eq!(segments("http://h/a//b?x=/y"), ["a", "", "b"]);
    assert_eq!(segments("http://h/caf%C3%A9/x%2Fy"), ["caf%C3%A9", "x%2Fy"]);
    assert_eq!(segments("http://h/é"), ["%C3%A9"]);
    let u = url("http://h/v1/models/x");
    assert_eq!(u.path_segments().and_then(|mut s| s.next_back()), Some("x"));
}

#[test]
fn query_pairs_are_decoded_as_a_form() {
    let pairs = |s: &str| -> Vec<(String, String)> { url(s).query_pairs().into_owned().collect() };
    let p = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(pairs("http://h/"), []);
    assert_eq!(pairs("http://h/?"), []);
    assert_eq!(pairs("http://h/?&&"), []);
    assert_eq!(pairs("http://h/?a"), [p("a", "")]);
    assert_eq!(pairs("http://h/?a="), [p("a", "")]);
    assert_eq!(pairs("http://h/?=b"), [p("", "b")]);
    assert_eq!(pairs("http://h/?a=b=c"), [p("a", "b=c")]);
    assert_eq!(pairs("http://h/?a=1&&b=2&"), [p("a", "1"), p("b", "2")]);
    assert_eq!(pairs("http://h/?a=1&a=2"), [p("a", "1"), p("a", "2")]);
    assert_eq!(
        pairs("http://h/?q=rust+http%20client&%C3%A9=%E2%82%AC"),
        [p("q", "rust http client"), p("é", "€")]
    );
    // Escapes for `&`, `=` and `+` are data, not separators.
    assert_eq!(pairs("http://h/?a%26b=c%3Dd%2B"), [p("a&b", "c=d+")]);
    // Invalid escapes are kept; bytes that are not UTF-8 are replaced.
    assert_eq!(
        pairs("http://h/?a=%zz%4&b=%FF"),
        [p("a", "%zz%4"), p("b", "\u{FFFD}")]
    );
    // Non-ASCII written raw in the URL was encoded by the parser, and
    // decodes back.
    assert_eq!(pairs("http://h/?ü=ö"), [p("ü", "ö")]);
    // Nothing to decode: borrowed from the URL.
    let u = url("http://h/?model=gpt-4");
    let (k, v) = u.query_pairs().next().unwrap();
    assert!(matches!(
        (k, v),
        (Cow::Borrowed("model"), Cow::Borrowed("gpt-4"))
    ));
    // What `append_query_pair` writes, `query_pairs` reads back.
    let mut u = url("http://h/");
    u.append_query_pair("a b&c", "d=é+");
    assert_eq!(
        u.query_pairs().into_owned().collect::<Vec<_>>(),
        [p("a b&c", "d=é+")]
    );
}

#[test]
fn set_path() {
    let mut u = url("https://h:8443/old/path?x=1&y");
    u.set_path("/new");
    assert_eq!(u.as_str(), "https://h:8443/new?x=1&y");
    assert_eq!(u.path(), "/new");
    assert_eq!(u.query(), Some("x=1&y"));
    assert_round_trips(&u);
    // A missing leading slash is added; an empty path is `/`.
    u.set_path("a/b");
    assert_eq!(u.path(), "/a/b");
    u.set_path("");
    assert_eq!(u.path(), "/");
    assert_eq!(u.request_target(), "/?x=1&y");
    assert_round_trips(&u);
    // What cannot be in a path is encoded: `?` and `#` are data here, and
    // must not start a query or a fragment.
    u.set_path("/a b/c?d#e");
    assert_eq!(u.path(), "/a%20b/c%3Fd%23e");
    assert_eq!(u.query(), Some("x=1&y"));
    assert_round_trips(&u);
    // Non-ASCII as its UTF-8 bytes; escapes already there are kept.
    u.set_path("/café/€/a%20b");
    assert_eq!(u.path(), "/caf%C3%A9/%E2%82%AC/a%20b");
    assert_round_trips(&u);
    // Backslashes are slashes, as when parsing.
    u.set_path("\\x\\y");
    assert_eq!(u.path(), "/x/y");
    // Control characters cannot reach the wire.
    u.set_path("/a\r\nHost: evil");
    assert_eq!(u.path(), "/a%0D%0AHost:%20evil");
    assert_round_trips(&u);
    // Without a query, none appears.
    let mut u = url("http://[::1]:8080");
    u.set_path("/v1");
    assert_eq!(u.as_str(), "http://[::1]:8080/v1");
    assert_eq!(u.query(), None);
    assert_round_trips(&u);
}

#[test]
fn set_query() {
    let mut u = url("http://h/p?old=1");
    u.set_query(Some("a=1&b=x y"));
    assert_eq!(u.as_str(), "http://h/p?a=1&b=x%20y");
    assert_eq!(u.path(), "/p");
    assert_round_trips(&u);
    // `?` only: an empty query, which parses back as one.
    u.set_query(Some(""));
    assert_eq!(u.as_str(), "http://h/p?");
    assert_eq!(u.query(), Some(""));
    assert_eq!(u.query_pairs().count(), 0);
    assert_round_trips(&u);
    u.set_query(None);
    assert_eq!(u.as_str(), "http://h/p");
    assert_eq!(u.query(), None);
    assert_eq!(u.request_target(), "/p");
    assert_round_trips(&u);
    u.set_query(None);
    assert_eq!(u.as_str(), "http://h/p");
    // `#` would start a fragment, non-ASCII and controls cannot be sent.
    u.set_query(Some("q=a#b&é=\n"));
    assert_eq!(u.query(), Some("q=a%23b&%C3%A9=%0A"));
    assert_round_trips(&u);
    let pairs: Vec<_> = u.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        [("q".into(), "a#b".into()), ("é".into(), "\n".into())]
    );
    // Escapes and `+` are kept as given.
    u.set_query(Some("a=%20+b"));
    assert_eq!(u.query(), Some("a=%20+b"));
    assert_eq!(u.query_pairs().next().unwrap().1, "  b");
    // Then the path can change under it.
    u.set_path("/other");
    assert_eq!(u.as_str(), "http://h/other?a=%20+b");
    assert_round_trips(&u);
    // And appending still works after a setter.
    u.set_query(None);
    u.append_query_pair("k", "v");
    assert_eq!(u.as_str(), "http://h/other?k=v");
    assert_round_trips(&u);
}

#[test]
fn display_and_as_str_round_trip() {
    for input in [
        "http://h/",
        "https://example.com:8443/a%20b?q=1",
        "http://[::1]:9/x?",
        "http://127.0.0.1/a/../b",
        "https://h/é?ü#frag",
        "HTTP://User:pw@Example.COM:80/p",
    ] {
        let u = url(input);
        let back = url(u.as_str());
        // The userinfo is not in `as_str`; all else is.
        assert_eq!(back.as_str(), u.as_str(), "{input}");
        assert_eq!(back.request_target(), u.request_target(), "{input}");
        assert_eq!(back.origin(), u.origin(), "{input}");
        if u.username().is_empty() && u.fragment().is_none() {
            assert_round_trips(&u);
        }
    }
}

#[test]
fn a_shared_parse_is_the_parse() {
    let inputs = [
        "https://api.openai.com/v1/chat/completions",
        "http://127.0.0.1:8080/",
        "HTTP://Example.COM:80/a b?c d#frag",
        "https://user:secret@example.com/private",
        "  https://example.com/x  ",
        "https://example.com:443/",
        "https://example.com/%7e?q=%20",
        "http://[::1]:9/",
        "http://127.1/",
        "not a url",
        "ftp://example.com/",
    ];
    // Twice over, and more inputs than the thread keeps: hits, misses and
    // evictions all give what a fresh parse gives.
    for _ in 0..3 {
        for input in inputs {
            assert_eq!(Url::parse_shared(input), Url::parse(input), "{input}");
            if let Ok(url) = Url::parse(input) {
                if url.username().is_empty() && url.password().is_none() && url.fragment().is_none()
                {
                    assert_eq!(Url::parse(url.as_str()).as_ref(), Ok(&url), "{input}");
                }
            }
        }
    }
    // A setter writes a new text: the shared one is left as it was.
    let mut a = Url::parse_shared("https://example.com/a").unwrap();
    let b = Url::parse_shared("https://example.com/a").unwrap();
    a.set_path("/changed");
    a.set_query(Some("x=1"));
    a.append_query_pair("y", "2 3");
    assert_eq!(a.as_str(), "https://example.com/changed?x=1&y=2+3");
    assert_eq!(b.as_str(), "https://example.com/a");
    assert_eq!(
        Url::parse_shared("https://example.com/a").unwrap().as_str(),
        "https://example.com/a"
    );
}
