//! What is sent, and what is followed: one `Host`, one `Authorization`,
//! `Content-Length: 0` where servers expect it, credentials that never
//! cross origins, redirects that never wait on a body nobody needs, and a
//! cap on the body collected in memory.

mod support;

use brisk::h1::Limits;
use brisk::{Body, Client};
use std::time::{Duration, Instant};
use support::server::{
    ok, read_request, recording, redirecting_to, serve_each, Received, Scripted,
};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// Every value of header `name` in a recorded head.
fn all<'a>(req: &'a Received, name: &str) -> Vec<&'a str> {
    req.head
        .split("\r\n")
        .skip(1)
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
        .collect()
}

#[tokio::test]
async fn two_host_fields_are_refused_before_anything_is_sent() {
    let (server, _seen) = recording("hi").await;
    let client = Client::new();
    // Validation used to look at the last Host and the encoder write the
    // first: here the bad one would have gone out.
    let err = client
        .get(server.url("/"))
        .header("Host", "x/y")
        .header("Host", "ok.example")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_builder(), "{err}");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(server.accepted(), 0);
    // One Host of the caller's is validated and is the one written.
    let (server, mut seen) = recording("hi").await;
    let resp = client
        .get(server.url("/"))
        .header("Host", "api.example:8443")
        .send()
        .await
        .unwrap();
    resp.bytes().await.unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(all(&req, "host"), ["api.example:8443"]);
}

#[tokio::test]
async fn exactly_one_authorization_is_sent() {
    let (server, mut seen) = recording("hi").await;
    let client = Client::builder()
        .default_header("Authorization", "Bearer client-default")
        .build()
        .unwrap();
    let with_userinfo = server.url("/").replace("http://", "http://user:pw@");
    // URL userinfo over the client's default.
    support::fetch(&client, &with_userinfo).await;
    let req = seen.recv().await.unwrap();
    assert_eq!(all(&req, "authorization"), ["Basic dXNlcjpwdw=="]);
    // The request's own over both.
    let resp = client
        .get(&with_userinfo)
        .bearer_auth("own")
        .send()
        .await
        .unwrap();
    resp.bytes().await.unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(all(&req, "authorization"), ["Bearer own"]);
    // The default when nothing else is given.
    support::fetch(&client, server.url("/")).await;
    let req = seen.recv().await.unwrap();
    assert_eq!(all(&req, "authorization"), ["Bearer client-default"]);
}

#[tokio::test]
async fn methods_that_expect_content_say_content_length_0_when_empty() {
    let (server, mut seen) = recording("hi").await;
    let client = Client::new();
    for method in ["POST", "PUT", "PATCH", "GET", "DELETE", "OPTIONS"] {
        let resp = client
            .request(method, server.url("/"))
            .send()
            .await
            .unwrap();
        resp.bytes().await.unwrap();
        let req = seen.recv().await.unwrap();
        let expected: &[&str] = if matches!(method, "POST" | "PUT" | "PATCH") {
            &["0"]
        } else {
            &[]
        };
        assert_eq!(all(&req, "content-length"), expected, "{method}");
        assert!(all(&req, "transfer-encoding").is_empty());
    }
}

/// A first server that answers every request with `head` (a redirect to
/// `/next` on a second connection) and then holds the connection open;
/// other connections answer `200 landed`.
async fn redirecting(head: &'static str) -> Scripted {
    Scripted::start(move |mut stream, n| async move {
        if n > 0 {
            return serve_each(stream, |_| ok("landed")).await;
        }
        let mut pending = Vec::new();
        read_request(&mut stream, &mut pending).await;
        let _ = stream.write_all(head.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(10)).await;
    })
    .await
}

#[tokio::test]
async fn an_unframed_redirect_is_followed_at_once() {
    for head in [
        // No framing on a connection the server holds open: the body runs
        // until a close that never comes.
        "HTTP/1.1 302 Found\r\nLocation: /next\r\n\r\nmoved",
        // A declared body above 64 KiB is not read at all.
        "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 10000000\r\n\r\nmov",
        // A chunked body that stalls is waited for briefly, then dropped.
        "HTTP/1.1 302 Found\r\nLocation: /next\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nmo",
    ] {
        let server = redirecting(head).await;
        let client = Client::builder()
            .read_timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let t = Instant::now();
        let resp = client.get(server.url("/")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "landed");
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "{head:?}: {:?}",
            t.elapsed()
        );
        assert_eq!(server.accepted(), 2);
    }
}

#[tokio::test]
async fn a_small_framed_redirect_body_is_drained_and_its_connection_kept() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |req| {
            if req.head.starts_with("GET /next ") {
                ok("landed")
            } else {
                b"HTTP/1.1 302 Found\r\nLocation: /next\r\nTransfer-Encoding: chunked\r\n\r\n\
                  5\r\nmoved\r\n0\r\n\r\n"
                    .to_vec()
            }
        })
        .await
    })
    .await;
    let client = Client::new();
    let resp = client.get(server.url("/")).send().await.unwrap();
    assert!(resp.reused());
    assert_eq!(resp.text().await.unwrap(), "landed");
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn a_streamed_get_that_meets_a_302_follows_without_its_body() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let server = Scripted::start(move |stream, _| {
        let tx = tx.clone();
        async move {
            serve_each(stream, |req| {
                let _ = tx.send(req.clone());
                if req.head.starts_with("GET /next ") {
                    ok("landed")
                } else {
                    b"HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n".to_vec()
                }
            })
            .await
        }
    })
    .await;
    let client = Client::new();
    let body = Body::from_reader(std::io::Cursor::new(b"query".to_vec()));
    let resp = client
        .get(server.url("/search"))
        .body(body)
        .send()
        .await
        .expect("a streamed GET could not follow a 302");
    assert_eq!(resp.text().await.unwrap(), "landed");
    let first = seen.recv().await.unwrap();
    assert_eq!(first.body, b"query");
    let second = seen.recv().await.unwrap();
    assert!(second.head.starts_with("GET /next "), "{}", second.head);
    assert!(all(&second, "transfer-encoding").is_empty());
    assert!(second.body.is_empty());
}

#[tokio::test]
async fn api_keys_and_marked_headers_never_cross_origins() {
    let (target, mut seen) = recording("landed").await;
    let to = target.url("/landed");
    let from = redirecting_to(to).await;
    let client = Client::builder()
        .default_header("X-Tenant-Token", "client-secret")
        .sensitive_header("x-tenant-token")
        .default_header("X-Trace", "kept")
        .build()
        .unwrap();
    let resp = client
        .get(from.url("/"))
        .header("X-Api-Key", "sk-anthropic")
        .header("api-key", "azure-key")
        .sensitive_header("X-Session", "request-secret")
        .header("X-Plain", "kept-too")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "landed");
    let landed = seen.recv().await.unwrap();
    for name in ["x-api-key", "api-key", "x-session", "x-tenant-token"] {
        assert!(
            all(&landed, name).is_empty(),
            "{name} crossed: {}",
            landed.head
        );
    }
    assert_eq!(all(&landed, "x-trace"), ["kept"]);
    assert_eq!(all(&landed, "x-plain"), ["kept-too"]);
}

#[test]
fn debug_output_never_shows_a_secret() {
    let builder = Client::builder()
        .default_header("Authorization", "Bearer sk-secret-1")
        .default_header("X-Api-Key", "sk-secret-2")
        .default_header("X-Tenant-Token", "sk-secret-3")
        .sensitive_header("X-Tenant-Token")
        .default_header("X-Trace", "visible");
    let shown = format!("{builder:?}");
    for secret in ["sk-secret-1", "sk-secret-2", "sk-secret-3"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("visible"), "{shown}");
    let client = builder.build().unwrap();
    let request = client
        .get("http://user:pw-secret@example.com/")
        .sensitive_header("X-Session", "sk-secret-4");
    let shown = format!("{client:?} {request:?}");
    for secret in ["pw-secret", "sk-secret"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[tokio::test]
async fn the_body_cap_refuses_what_would_not_fit() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |req| {
            if req.head.starts_with("GET /declared ") {
                // Announces 100 GB; sends a little, then stalls.
                b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\nabc".to_vec()
            } else if req.head.starts_with("GET /chunked ") {
                let mut r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                for _ in 0..100 {
                    r.extend_from_slice(b"400\r\n");
                    r.extend_from_slice(&[b'x'; 1024]);
                    r.extend_from_slice(b"\r\n");
                }
                r.extend_from_slice(b"0\r\n\r\n");
                r
            } else {
                ok(&"y".repeat(1000))
            }
        })
        .await
    })
    .await;
    let limits = Limits {
        max_body_bytes: Some(64 * 1024),
        ..Limits::default()
    };
    let client = Client::builder().limits(limits).build().unwrap();
    let t = Instant::now();
    let err = client
        .get(server.url("/declared"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await;
    let err = err.unwrap_err();
    assert!(err.is_too_large(), "{err}");
    assert!(t.elapsed() < Duration::from_secs(1));
    let err = client
        .get(server.url("/chunked"))
        .send()
        .await
        .unwrap()
        .text()
        .await;
    assert!(err.unwrap_err().is_too_large());
    let fits = client.get(server.url("/small")).send().await.unwrap();
    assert_eq!(fits.bytes().await.unwrap().len(), 1000);
}

#[tokio::test]
async fn numeric_hosts_are_read_as_ipv4_never_resolved_as_names() {
    let (server, mut seen) = recording("hi").await;
    let port = server.addr.port();
    let client = Client::new();
    for host in ["0x7f000001", "0177.0.0.1", "127.1", "2130706433", "0x7f.1"] {
        let resp = client
            .get(format!("http://{host}:{port}/"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        assert_eq!(resp.url().as_str(), format!("http://127.0.0.1:{port}/"));
        resp.bytes().await.unwrap();
        let req = seen.recv().await.unwrap();
        assert_eq!(all(&req, "host"), [format!("127.0.0.1:{port}").as_str()]);
    }
    // One connection served them all: the pool keys them as one origin.
    assert_eq!(server.accepted(), 1);
    for bad in ["1.2.3.4.5", "0x100000000", "256.256.256.256", "127.0.0.09"] {
        let err = client.get(format!("http://{bad}:{port}/")).send().await;
        assert!(err.unwrap_err().is_builder(), "{bad}");
    }
}

#[tokio::test]
async fn empty_lines_after_a_100_continue_are_tolerated() {
    // aiohttp sends `100 Continue` followed by an extra CRLF.
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |_| {
            b"HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                .to_vec()
        })
        .await
    })
    .await;
    let client = Client::new();
    let resp = client.post(server.url("/")).body("x").send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn chunk_extensions_that_break_their_grammar_are_refused() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |req| {
            let line = if req.head.starts_with("GET /empty-name ") {
                "2;"
            } else if req.head.starts_with("GET /unterminated ") {
                "2;a=\"open"
            } else {
                "2;a=\"x;y\""
            };
            format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{line}\r\nok\r\n0\r\n\r\n"
            )
            .into_bytes()
        })
        .await
    })
    .await;
    let client = Client::new();
    for path in ["/empty-name", "/unterminated"] {
        let resp = client.get(server.url(path)).send().await.unwrap();
        let err = resp.bytes().await.unwrap_err();
        assert_eq!(
            err.parse_error(),
            Some(brisk::h1::ParseError::InvalidChunkExtension),
            "{path}: {err}"
        );
    }
    let resp = client.get(server.url("/valid")).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "ok");
}
