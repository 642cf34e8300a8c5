//! Compressed bodies over loopback: what brisk asks for (`Accept-Encoding`),
//! what it decodes (gzip, zlib and raw deflate, from every reader), what it
//! leaves alone (identity, unknown codings, HEAD, 206, `Range`), and what a
//! hostile or broken stream gets: a typed decode error that names the
//! coding, a connection that is not reused, and a bomb that never fills
//! memory. The compressed bytes come from flate2, the encoder most Rust
//! programs use, so brisk's inflate is checked against data it did not make.

#![cfg(all(feature = "compression", feature = "mock"))]

mod support;

use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use flate2::Compression;
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::server::{read_request, serve_each, Received, Scripted};
use tokio::io::AsyncWriteExt;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A JSON body of some size, as an LLM API would answer.
fn json_body() -> Vec<u8> {
    let mut s = String::from(r#"{"object":"list","data":["#);
    for i in 0..2000 {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            r#"{{"object":"embedding","index":{i},"embedding":[0.{i:04},-0.{:04},0.5]}}"#,
            (i * 7919) % 10000
        ));
    }
    s.push_str("]}");
    s.into_bytes()
}

/// A head with `Content-Encoding: coding` and a Content-Length body.
fn encoded(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: {coding}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// The same, chunked in pieces of `piece` bytes.
fn encoded_chunked(coding: &str, body: &[u8], piece: usize) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for part in body.chunks(piece) {
        out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// A server that records each request and answers with `reply(request)`.
async fn server(
    reply: impl Fn(&Received) -> Vec<u8> + Send + Sync + 'static,
) -> (Scripted, Arc<Mutex<Vec<Received>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let reply = Arc::new(reply);
    let server = Scripted::start(move |stream, _| {
        let log = log.clone();
        let reply = reply.clone();
        async move {
            serve_each(stream, |req| {
                log.lock().unwrap().push(req.clone());
                reply(req)
            })
            .await
        }
    })
    .await;
    (server, seen)
}

fn client() -> brisk::Client {
    brisk::Client::builder()
        .retry(brisk::RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn asks_for_gzip_and_deflate_unless_told_otherwise() {
    let (server, seen) = server(|_| support::server::ok("x")).await;
    let url = server.url("/");
    let accept = |i: usize| {
        seen.lock().unwrap()[i]
            .header("accept-encoding")
            .map(str::to_owned)
    };

    client()
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(accept(0).as_deref(), Some("gzip, deflate"));

    // The caller's own value is sent instead, once.
    client()
        .get(&url)
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap()[1].all("accept-encoding"), vec!["br"]);

    // A range of encoded bytes could not be decoded: nothing is asked.
    client()
        .get(&url)
        .header("range", "bytes=0-1")
        .send()
        .await
        .unwrap();
    assert_eq!(accept(2), None);

    // Turned off for one request, or for the client.
    client().get(&url).decompress(false).send().await.unwrap();
    assert_eq!(accept(3), None);
    let plain = brisk::Client::builder()
        .no_gzip()
        .no_deflate()
        .build()
        .unwrap();
    plain.get(&url).send().await.unwrap();
    assert_eq!(accept(4), None);
    let gzip_only = brisk::Client::builder().deflate(false).build().unwrap();
    gzip_only.get(&url).send().await.unwrap();
    assert_eq!(accept(5).as_deref(), Some("gzip"));

    // A default header of the caller's replaces brisk's.
    let own = brisk::Client::builder()
        .default_header("Accept-Encoding", "identity")
        .build()
        .unwrap();
    own.get(&url).send().await.unwrap();
    assert_eq!(
        seen.lock().unwrap()[6].all("accept-encoding"),
        vec!["identity"]
    );
}

#[tokio::test]
async fn gzip_zlib_and_raw_deflate_decode_from_every_reader() {
    let body = json_body();
    let gz = gzip(&body);
    let zl = zlib(&body);
    let raw = raw_deflate(&body);
    assert!(gz.len() * 3 < body.len(), "the test body compresses");
    let (server, _) = server(move |req| match req.request_line() {
        l if l.contains("/gzip ") => encoded("gzip", &gz),
        l if l.contains("/x-gzip ") => encoded("X-GZIP", &gz),
        l if l.contains("/zlib ") => encoded("deflate", &zl),
        l if l.contains("/raw ") => encoded("deflate", &raw),
        l if l.contains("/chunked ") => encoded_chunked("gzip", &gz, 7),
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
    })
    .await;
    let client = client();
    for path in ["/gzip", "/x-gzip", "/zlib", "/raw", "/chunked"] {
        let resp = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(resp.headers().get("content-encoding"), None, "{path}");
        assert_eq!(resp.headers().get("content-length"), None, "{path}");
        assert_eq!(resp.content_length(), None, "{path}");
        assert!(
            resp.wire_headers().get("content-encoding").is_some(),
            "{path}"
        );
        assert_eq!(resp.bytes().await.unwrap(), body, "{path}: bytes()");

        let text = client
            .get(server.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(text.as_bytes(), &body[..], "{path}: text()");

        let json: serde_json::Value = client
            .get(server.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(json["data"][1999]["index"], 1999, "{path}: json()");

        let mut resp = client.get(server.url(path)).send().await.unwrap();
        let mut pieces = Vec::new();
        while let Some(piece) = resp.chunk().await.unwrap() {
            assert!(!piece.is_empty());
            pieces.extend_from_slice(&piece);
        }
        assert_eq!(pieces, body, "{path}: chunk()");

        // A tiny buffer: the decoder resumes between reads.
        let mut resp = client.get(server.url(path)).send().await.unwrap();
        let mut read = Vec::new();
        let mut buf = [0; 5];
        loop {
            let n = resp.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            read.extend_from_slice(&buf[..n]);
        }
        assert_eq!(read, body, "{path}: read()");
    }
    // Every answer was read to its end: one connection served them all.
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn bodies_brisk_does_not_decode_are_handed_over_untouched() {
    let gz = gzip(b"hello");
    let gz2 = gz.clone();
    let (server, _) = server(move |req| {
        let line = req.request_line();
        if line.starts_with("HEAD") {
            let mut head = encoded("gzip", &gz2);
            head.truncate(head.len() - gz2.len());
            head
        } else if line.contains("/identity ") {
            encoded("identity", b"plain")
        } else if line.contains("/br ") {
            encoded("br", b"\x0b\x02\x80hello\x03")
        } else if line.contains("/chain ") {
            encoded("gzip, gzip", &gzip(&gzip(b"twice")))
        } else if line.contains("/range ") {
            let mut out = format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Encoding: gzip\r\nContent-Range: bytes 0-3/{}\r\nContent-Length: 4\r\n\r\n",
                gz2.len()
            )
            .into_bytes();
            out.extend_from_slice(&gz2[..4]);
            out
        } else if line.contains("/nocontent ") {
            b"HTTP/1.1 204 No Content\r\nContent-Encoding: gzip\r\n\r\n".to_vec()
        } else if line.contains("/empty ") {
            encoded("gzip", b"")
        } else {
            encoded("gzip", &gz2)
        }
    })
    .await;
    let client = client();

    let resp = client.head(server.url("/")).send().await.unwrap();
    assert_eq!(resp.headers().get("content-encoding").unwrap(), "gzip");
    assert_eq!(resp.content_length(), Some(gz.len() as u64));
    assert!(resp.bytes().await.unwrap().is_empty());

    let resp = client.get(server.url("/identity")).send().await.unwrap();
    assert_eq!(resp.headers().get("content-encoding").unwrap(), "identity");
    assert_eq!(resp.bytes().await.unwrap(), b"plain");

    let resp = client.get(server.url("/br")).send().await.unwrap();
    assert_eq!(resp.headers().get("content-encoding").unwrap(), "br");
    assert_eq!(resp.bytes().await.unwrap(), b"\x0b\x02\x80hello\x03");

    let resp = client.get(server.url("/chain")).send().await.unwrap();
    assert_eq!(
        resp.headers().get("content-encoding").unwrap(),
        "gzip, gzip"
    );
    assert_eq!(resp.bytes().await.unwrap(), gzip(&gzip(b"twice")));

    let resp = client
        .get(server.url("/range"))
        .header("range", "bytes=0-3")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.bytes().await.unwrap(), &gz[..4]);

    let resp = client.get(server.url("/nocontent")).send().await.unwrap();
    assert!(resp.bytes().await.unwrap().is_empty());

    // An empty body that says gzip is an empty body, not a broken stream.
    let resp = client.get(server.url("/empty")).send().await.unwrap();
    assert!(resp.bytes().await.unwrap().is_empty());

    // Opted out: the gzip as it came, with its header.
    let resp = client
        .get(server.url("/"))
        .decompress(false)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers().get("content-encoding").unwrap(), "gzip");
    assert_eq!(resp.bytes().await.unwrap(), gz);
}

/// Serves `bad` once, then plain answers; the test counts connections.
async fn broken_then_fine(bad: Vec<u8>) -> Scripted {
    let bad = Arc::new(bad);
    Scripted::start(move |mut stream, _| {
        let bad = bad.clone();
        async move {
            let mut pending = Vec::new();
            while let Some(req) = read_request(&mut stream, &mut pending).await {
                let reply = if req.request_line().contains("/bad ") {
                    bad.to_vec()
                } else {
                    support::server::ok("fine")
                };
                if stream.write_all(&reply).await.is_err() {
                    return;
                }
            }
        }
    })
    .await
}

#[tokio::test]
async fn a_corrupt_stream_is_a_decode_error_that_names_the_coding() {
    let body = json_body();
    let mut gz = gzip(&body);
    // A flipped bit in the CRC-32 of the trailer.
    let crc_at = gz.len() - 8;
    gz[crc_at] ^= 1;
    let server = broken_then_fine(encoded("gzip", &gz)).await;
    let client = client();
    let err = client
        .get(server.url("/bad"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap_err();
    assert!(err.is_decode(), "{err:#}");
    assert!(format!("{err:#}").contains("gzip"), "{err:#}");

    // Garbage in the middle of a deflate body: the decoder stops mid-body,
    // so the rest of the body is never read and the connection is closed.
    let mut raw = zlib(&body);
    let mid = raw.len() / 2;
    raw[2..mid].iter_mut().for_each(|b| *b = 0xff);
    let server = broken_then_fine(encoded_chunked("deflate", &raw, 64)).await;
    let mut resp = client.get(server.url("/bad")).send().await.unwrap();
    let err = loop {
        match resp.chunk().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("a corrupt deflate body read to its end"),
            Err(e) => break e,
        }
    };
    assert!(err.is_decode(), "{err:#}");
    assert!(format!("{err:#}").contains("deflate"), "{err:#}");
    // Reading on says it failed; it never looks like an end.
    assert!(resp.chunk().await.is_err());
    drop(resp);
    assert_eq!(support::fetch(&client, server.url("/fine")).await, b"fine");
    assert_eq!(
        server.accepted(),
        2,
        "the connection of a failed body was reused"
    );
    // The deflate body failed mid-way: its connection was closed. (The
    // gzip one failed on its trailer: depending on whether its end had
    // been read by then, that connection was closed or was already back
    // in the pool, whole, which is as safe.)
    assert!(client.stats().closed.error >= 1);
}

#[tokio::test]
async fn a_truncated_stream_is_an_error_not_a_short_body() {
    let body = json_body();
    let gz = gzip(&body);
    // The HTTP framing is whole; the gzip inside it stops half way.
    let server = broken_then_fine(encoded("gzip", &gz[..gz.len() / 2])).await;
    let err = client()
        .get(server.url("/bad"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap_err();
    assert!(err.is_decode(), "{err:#}");
    assert!(format!("{err:#}").contains("gzip"), "{err:#}");
}

/// A gzip member of `zeros` zero bytes, made with flate2 in pieces (the
/// whole input never exists).
fn gzip_zeros(zeros: u64) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::best());
    let block = vec![0u8; 1 << 20];
    let mut left = zeros;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        e.write_all(&block[..n]).unwrap();
        left -= n as u64;
    }
    e.finish().unwrap()
}

#[tokio::test]
async fn a_bomb_is_refused_at_the_cap_and_streams_in_constant_memory() {
    // 256 MiB of zeros in about 256 KiB: a 1,000-to-1 bomb.
    let bomb = Arc::new(encoded("gzip", &gzip_zeros(256 << 20)));
    assert!(bomb.len() < 512 * 1024);
    let served = bomb.clone();
    let (server, _) = server(move |_| served.to_vec()).await;

    // bytes() with a cap: refused as soon as the decoded size passes it.
    let limited = brisk::Client::builder()
        .limits(brisk::h1::Limits {
            max_body_bytes: Some(8 << 20),
            ..Default::default()
        })
        .build()
        .unwrap();
    let err = limited
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap_err();
    assert!(err.is_too_large(), "{err:#}");

    // Without max_body_bytes, the decoded cap still holds.
    let capped = brisk::Client::builder()
        .limits(brisk::h1::Limits {
            max_decoded_bytes: 32 << 20,
            ..Default::default()
        })
        .build()
        .unwrap();
    let err = capped
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(err.is_too_large(), "{err:#}");

    // A streaming read decodes all 256 MiB through one small buffer.
    let before = peak_rss_kib();
    let mut resp = client().get(server.url("/")).send().await.unwrap();
    let mut buf = vec![0; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = resp.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        assert!(buf[..n].iter().all(|&b| b == 0));
        total += n as u64;
    }
    assert_eq!(total, 256 << 20);
    let grown = peak_rss_kib().saturating_sub(before);
    assert!(
        grown < 64 * 1024,
        "peak RSS grew by {grown} KiB while streaming"
    );
}

/// The process's peak resident set (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test]
async fn the_mock_answers_compressed_and_chat_reads_it() {
    use brisk::chat::{Chat, ChatOptions, Provider};
    use brisk::mock::{Answer, MockServer};

    let server = MockServer::start().await.unwrap();
    server.set_default(Answer::text("one two three four").usage(7, 4));
    let client = client();
    let url = format!("{}/chat/completions", server.base_url());
    let ask = |stream: bool| serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "count"}], "stream": stream});

    // A whole reply: gzip on the wire, JSON to the caller.
    let resp = client.post(&url).json(&ask(false)).send().await.unwrap();
    assert_eq!(resp.wire_headers().get("content-encoding").unwrap(), "gzip");
    let reply: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        reply["choices"][0]["message"]["content"],
        "one two three four"
    );
    assert_eq!(
        server.requests()[0].header("accept-encoding"),
        Some("gzip, deflate")
    );

    // A stream: gzip flushed per event; the SSE parser sees plain events.
    let mut resp = client.post(&url).json(&ask(true)).send().await.unwrap();
    assert_eq!(resp.wire_headers().get("content-encoding").unwrap(), "gzip");
    let mut events = Vec::new();
    while let Some(piece) = resp.chunk().await.unwrap() {
        events.extend_from_slice(&piece);
    }
    let events = String::from_utf8(events).unwrap();
    assert!(events.starts_with("data: {"), "{events}");
    assert!(events.ends_with("data: [DONE]\n\n"), "{events}");

    // Through the chat API, streamed and whole, deflate only.
    let deflate_only = brisk::Client::builder().no_gzip().build().unwrap();
    let chat = Chat::builder(Provider::Custom(server.base_url()))
        .model("mock-1")
        .api_key("sk-test")
        .client(deflate_only)
        .build();
    let mut stream = chat.stream("count", ChatOptions::default()).await.unwrap();
    let mut text = String::new();
    while let Some(delta) = stream.next().await {
        text.push_str(delta.unwrap().text());
    }
    assert_eq!(text, "one two three four");
    let reply = chat.chat("count").await.unwrap();
    assert_eq!(reply.content, "one two three four");
    let last = server.requests().pop().unwrap();
    assert_eq!(last.header("accept-encoding"), Some("deflate"));

    // Turned off, the mock answers plain.
    let plain = MockServer::builder()
        .compression(false)
        .start()
        .await
        .unwrap();
    let url = format!("{}/chat/completions", plain.base_url());
    let resp = client.post(&url).json(&ask(false)).send().await.unwrap();
    assert_eq!(resp.wire_headers().get("content-encoding"), None);
}

#[tokio::test]
async fn the_retry_veto_reads_a_compressed_error_decoded() {
    // OpenAI's "out of quota" is a 429 that must not be retried; gateways
    // send it gzip'd. The veto looks for the code in the body.
    let message = "You exceeded your current quota, please check your plan. ".repeat(20);
    let error = format!(r#"{{"error":{{"code":"insufficient_quota","message":"{message}"}}}}"#);
    let error = gzip(error.as_bytes());
    assert!(
        !error.windows(18).any(|w| w == b"insufficient_quota"),
        "stored, not compressed"
    );
    let (server, seen) = server(move |_| {
        let mut out = format!(
            "HTTP/1.1 429 Too Many Requests\r\nContent-Encoding: gzip\r\nretry-after-ms: 1\r\nContent-Length: {}\r\n\r\n",
            error.len()
        )
        .into_bytes();
        out.extend_from_slice(&error);
        out
    })
    .await;
    let policy = brisk::RetryPolicy::default().never_retry_if(|status, _, body| {
        status.as_u16() == 429 && body.windows(18).any(|w| w == b"insufficient_quota")
    });
    let resp = brisk::Client::builder()
        .retry(policy)
        .build()
        .unwrap()
        .get(server.url("/v1/chat/completions"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.attempts(), 1, "the veto saw gzip, not the error");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "insufficient_quota");
    assert_eq!(seen.lock().unwrap().len(), 1);
}
