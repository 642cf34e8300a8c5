//! The `cookie` target: `Set-Cookie` fields read, stored and sent back.

use crate::cookie::{Cookie, Jar, MAX_COOKIES_PER_HOST, MAX_NAME_VALUE_BYTES};
use crate::Url;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Each line of `data` is a `Set-Cookie` field from `https://h.example/a/b`
/// (the first byte, if odd, makes it `http://`), stored in one jar at a
/// fixed time; then the jar's `Cookie` field for a few URLs.
///
/// - Nothing panics: not the parser, the date reader or the jar.
/// - A parsed cookie's name and value are at most 4096 bytes together,
///   and hold no control character but HTAB.
/// - The `Cookie` field is a valid header value; over `http://` it holds
///   no cookie that was set `Secure`; the jar never holds more than its
///   per-host limit for the one host.
pub fn cookie(data: &[u8]) {
    let scheme = if data.first().is_some_and(|b| b % 2 == 1) {
        "http"
    } else {
        "https"
    };
    let from = Url::parse(&format!("{scheme}://h.example/a/b")).expect("a valid URL");
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let jar = Jar::new();
    let mut secure_names = Vec::new();
    let mut plain_names = Vec::new();
    for field in data.split(|&b| b == b'\n') {
        if let Some(c) = Cookie::parse(field) {
            let pair = c.name().len() + c.value().len();
            assert!(pair <= MAX_NAME_VALUE_BYTES, "{pair} bytes");
            let bad = |s: &str| s.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f);
            assert!(!bad(c.name()) && !bad(c.value()), "{c:?}");
            let _ = (
                c.expires(),
                c.max_age(),
                c.path(),
                c.domain(),
                c.same_site(),
            );
            if c.secure() {
                secure_names.push(c.name().to_owned());
            } else {
                plain_names.push(c.name().to_owned());
            }
        }
        jar.store_at(field, &from, now);
    }
    assert!(
        jar.count() <= MAX_COOKIES_PER_HOST,
        "{} cookies",
        jar.count()
    );
    for to in [
        "http://h.example/",
        "https://h.example/a/b/c",
        "http://other/",
    ] {
        let to = Url::parse(to).expect("a valid URL");
        for at in [
            now,
            now + Duration::from_secs(86_400),
            SystemTime::UNIX_EPOCH,
        ] {
            let Some(field) = jar.header_at(&to, at) else {
                continue;
            };
            assert!(crate::header::HeaderValue::from_bytes(field.as_bytes()).is_ok());
            assert!(to.host_str() == Some("h.example"), "sent to another host");
            if to.scheme() == crate::Scheme::Http {
                // Only names never set Secure, or also set without it,
                // can be in a field sent over http.
                let text = String::from_utf8_lossy(field.as_bytes()).into_owned();
                for pair in text.split("; ") {
                    let name = pair.split_once('=').map_or("", |(n, _)| n);
                    let only_secure = secure_names.iter().any(|s| s == name)
                        && !plain_names.iter().any(|p| p == name);
                    assert!(
                        !only_secure,
                        "secure cookie {name:?} sent over http: {text}"
                    );
                }
            }
        }
    }
}
