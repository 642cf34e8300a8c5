//! Every kind of error: what its predicates say, and how it prints.

use super::*;
use std::error::Error as _;
use std::io;

/// The texts printed by the usual loop: `{e}`, then each `source()`.
fn layers(e: &Error) -> Vec<String> {
    let mut out = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push(c.to_string());
        cause = c.source();
    }
    out
}

/// A cause with a cause of its own, to check the whole chain.
#[derive(Debug)]
struct Outer(io::Error);

impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("reading the upload file")
    }
}

impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// One error of every kind brisk makes, as made where it happens (and
/// a few variants of some), with what `is_request()` and `is_body()`
/// must say about it; then each again with what the call adds
/// on the way out: the URL, the attempts, why it stopped.
fn every_kind() -> Vec<(Error, bool, bool)> {
    let url = Url::parse("http://api.example.com:8080/v1?key=k").unwrap();
    let mut all = bare();
    for (i, (e, request, body)) in bare().into_iter().enumerate() {
        let e = match i % 2 {
            0 => e.with_attempts(
                3,
                Vec::new(),
                Some(crate::retry::StopReason::AttemptsExhausted),
            ),
            _ => e.with_attempts(
                1,
                Vec::new(),
                Some(crate::retry::StopReason::NotSafeToRepeat),
            ),
        };
        all.push((e.or_url(&url), request, body));
    }
    all
}

fn bare() -> Vec<(Error, bool, bool)> {
    let refused = || io::Error::from(io::ErrorKind::ConnectionRefused);
    // Only the cases behind features are pushed below.
    #[cfg_attr(not(any(feature = "json", feature = "tls")), allow(unused_mut))]
    let mut all = vec![
        (Error::from(UrlError::MissingScheme), false, false),
        (Error::from(EncodeError::InvalidHeaderName), false, false),
        (
            Error::builder("https needs brisk's `tls` feature"),
            false,
            false,
        ),
        (Error::io(Phase::Connect, refused()), true, false),
        (
            Error::io(Phase::Dns, io::Error::other("lookup failed")),
            true,
            false,
        ),
        (
            Error::new(Kind::Connect)
                .with_phase(Phase::Dns)
                .with_source("no addresses found"),
            true,
            false,
        ),
        (
            Error::io(Phase::Tls, io::ErrorKind::UnexpectedEof.into()),
            true,
            false,
        ),
        (Error::timeout(Phase::Connect, false), true, false),
        (Error::timeout(Phase::ReadHead, false), true, false),
        (Error::timeout(Phase::ReadBody, false), false, true),
        (Error::timeout(Phase::ReadBody, true), false, true),
        (Error::timeout(Phase::PoolWait, true), true, false),
        (
            Error::protocol(Phase::ReadHead, ParseError::InvalidStatus),
            true,
            false,
        ),
        (
            Error::protocol(Phase::ReadBody, ParseError::IncompleteMessage),
            false,
            true,
        ),
        (
            Error::protocol(Phase::ReadHead, ParseError::IncompleteMessage)
                .with_source("unsolicited 101 switching protocols"),
            true,
            false,
        ),
        (
            Error::io(Phase::Write, io::ErrorKind::BrokenPipe.into()),
            true,
            false,
        ),
        (
            Error::io(Phase::ReadBody, io::ErrorKind::ConnectionReset.into()),
            false,
            true,
        ),
        (
            Error::new(Kind::Io)
                .with_phase(Phase::PoolWait)
                .with_source("pool closed"),
            true,
            false,
        ),
        (
            Error::request_body(io::Error::other(Outer(io::Error::other("disk on fire")))),
            true,
            true,
        ),
        (
            Error::new(Kind::Redirect).with_source("too many redirects"),
            false,
            false,
        ),
        (
            Error::new(Kind::Redirect).with_source(UrlError::InvalidPort),
            false,
            false,
        ),
        (Error::new(Kind::Status(404)), false, false),
        (Error::new(Kind::Status(503)), false, false),
        (
            Error::new(Kind::TooLarge).with_phase(Phase::ReadBody),
            false,
            true,
        ),
        (
            Error::new(Kind::CircuitOpen {
                retry_at: std::time::Instant::now(),
            }),
            false,
            false,
        ),
    ];
    #[cfg(feature = "json")]
    all.push((
        Error::decode(
            "choices[0].message.content".into(),
            serde_json::from_slice::<String>(b"null").unwrap_err(),
        ),
        false,
        false,
    ));
    #[cfg(feature = "json")]
    all.push((
        Error::new(Kind::Decode)
            .with_source(serde_json::from_slice::<serde_json::Value>(b"{").unwrap_err()),
        false,
        false,
    ));
    #[cfg(feature = "tls")]
    for cert in [
        rustls::CertificateError::Expired,
        rustls::CertificateError::UnknownIssuer,
        rustls::CertificateError::NotValidForName,
        rustls::CertificateError::BadSignature,
    ] {
        let e = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(cert),
        );
        all.push((Error::io(Phase::Tls, e), true, false));
    }
    all
}

#[test]
fn display_never_repeats_a_cause() {
    for (e, _, _) in every_kind() {
        let layers = layers(&e);
        for (i, outer) in layers.iter().enumerate() {
            assert!(!outer.is_empty(), "{layers:?}");
            for inner in &layers[i + 1..] {
                assert!(
                    !outer.contains(inner.as_str()),
                    "{inner:?} printed twice: {layers:?}"
                );
            }
        }
        // `{:#}` is the whole chain on one line.
        assert_eq!(format!("{e:#}"), layers.join(": "), "{e:?}");
    }
}

#[test]
fn display_says_brisks_layer() {
    let url = Url::parse("http://127.0.0.1:1/").unwrap();
    let e = Error::io(Phase::Connect, io::ErrorKind::ConnectionRefused.into()).or_url(&url);
    assert_eq!(
        e.to_string(),
        "connection failed during connect for http://127.0.0.1:1/"
    );
    assert_eq!(e.source().unwrap().to_string(), "connection refused");
    assert_eq!(
        format!("{e:#}"),
        "connection failed during connect for http://127.0.0.1:1/: connection refused"
    );
    let e = Error::new(Kind::Status(404)).or_url(&url);
    assert_eq!(
        e.to_string(),
        "http status 404 Not Found for http://127.0.0.1:1/"
    );
    let e = Error::timeout(Phase::ReadHead, true).with_attempts(2, Vec::new(), None);
    assert_eq!(
        e.to_string(),
        "request deadline exceeded during read-head (after 2 attempts)"
    );
    let e = Error::io(Phase::Tls, io::ErrorKind::UnexpectedEof.into());
    assert_eq!(e.to_string(), "tls: handshake failed");
    #[cfg(feature = "json")]
    {
        let json = serde_json::from_slice::<String>(b"null").unwrap_err();
        let e = Error::decode("choices[0].message.content".into(), json).or_url(&url);
        assert_eq!(
            e.to_string(),
            "could not decode the response body at choices[0].message.content \
             for http://127.0.0.1:1/"
        );
        assert!(e
            .source()
            .unwrap()
            .to_string()
            .starts_with("invalid type: null"));
    }
}

#[test]
fn request_and_body_predicates() {
    for (e, request, body) in every_kind() {
        assert_eq!(e.is_request(), request, "is_request: {e:?}");
        assert_eq!(e.is_body(), body, "is_body: {e:?}");
    }
    let e = Error::request_body(io::Error::other("gone"));
    assert!(!e.is_io(), "the caller's stream is not the connection");
    assert_eq!(e.phase(), Some(Phase::Write));
    assert_eq!(e.source().unwrap().to_string(), "gone");
}

#[test]
fn url_can_be_changed_or_dropped() {
    let url = Url::parse("http://h/v1?key=secret").unwrap();
    let mut e = Error::new(Kind::Status(401)).or_url(&url);
    assert!(e.to_string().contains("secret"));
    e.url_mut().unwrap().set_query(None);
    assert_eq!(
        e.to_string(),
        "http status 401 Unauthorized for http://h/v1"
    );
    let e = e.without_url();
    assert_eq!(e.url(), None);
    assert_eq!(e.to_string(), "http status 401 Unauthorized");
    assert!(Error::new(Kind::TooLarge).without_url().url_mut().is_none());
    // The public `with_url` replaces (the crate's own `or_url` does not).
    let other = Url::parse("https://user:pw@other/x").unwrap();
    let e = Error::new(Kind::Status(401)).or_url(&url).with_url(other);
    assert_eq!(
        e.to_string(),
        "http status 401 Unauthorized for https://other/x"
    );
    let e = Error::new(Kind::TooLarge)
        .with_url(url.clone())
        .or_url(&Url::parse("http://z/").unwrap());
    assert_eq!(e.url(), Some(&url));
}
