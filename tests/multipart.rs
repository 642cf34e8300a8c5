//! `multipart/form-data` over real sockets: the exact bytes a form sends,
//! its framing (`Content-Length` when every length is known, chunked
//! otherwise), escaping, the boundary, file and stream parts, and parts
//! whose length is wrong. The mock server's parser reads the bodies back
//! (`Recorded::form`); tests/multipart_interop.rs has two parsers we did
//! not write read them.
#![cfg(feature = "mock")]

mod support;

use brisk::mock::MockServer;
use brisk::multipart::{Form, Part};
use brisk::{Body, Client};
use support::server::{recording, Scripted};
use support::temp_dir::{pattern, TempDir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The boundary a request's `Content-Type` names.
fn boundary_of(content_type: &str) -> &str {
    content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect(content_type)
}

#[tokio::test]
async fn a_form_in_memory_is_sent_whole_with_content_length() {
    let (server, mut seen) = recording("ok").await;
    let form = Form::new().text("model", "whisper-1").part(
        "file",
        Part::bytes(&b"RIFF\0\x01"[..])
            .file_name("a.wav")
            .mime_str("audio/wav")
            .unwrap(),
    );
    let boundary = form.boundary().to_string();
    Client::new()
        .post(server.url("/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(
        req.header("content-type"),
        Some(format!("multipart/form-data; boundary={boundary}").as_str())
    );
    let expected = format!(
        "--{boundary}\r\n\
         Content-Disposition: form-data; name=\"model\"\r\n\r\n\
         whisper-1\r\n\
         --{boundary}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\
         Content-Type: audio/wav\r\n\r\n\
         RIFF\0\x01\r\n\
         --{boundary}--\r\n"
    );
    assert_eq!(String::from_utf8_lossy(&req.body), expected);
    assert_eq!(
        req.header("content-length"),
        Some(expected.len().to_string().as_str())
    );
    assert_eq!(req.header("transfer-encoding"), None);
}

#[tokio::test]
async fn an_empty_form_is_the_close_delimiter_alone() {
    let (server, mut seen) = recording("ok").await;
    let form = Form::new();
    let boundary = form.boundary().to_string();
    let client = Client::new();
    client
        .post(server.url("/"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(req.body, format!("--{boundary}--\r\n").as_bytes());
}

#[tokio::test]
async fn names_with_quotes_line_breaks_and_non_ascii_are_escaped_on_the_wire() {
    let (server, mut seen) = recording("ok").await;
    let form = Form::new()
        .text("a\"b\r\nc", "v")
        .part("名前", Part::text("値").file_name("résumé \"final\"\n.pdf"));
    Client::new()
        .post(server.url("/"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = String::from_utf8(seen.recv().await.unwrap().body).unwrap();
    assert!(
        body.contains("Content-Disposition: form-data; name=\"a%22b%0D%0Ac\"\r\n"),
        "{body}"
    );
    assert!(
        body.contains(
            "Content-Disposition: form-data; name=\"名前\"; filename=\"résumé %22final%22%0A.pdf\"\r\n"
        ),
        "{body}"
    );
    // No raw line break anywhere but where the format puts one.
    assert!(!body.contains("\r\nc\""), "{body}");
}

#[tokio::test]
async fn a_part_that_holds_the_boundary_gets_another_one() {
    let server = MockServer::start().await.unwrap();
    let form = Form::new();
    let first = form.boundary().to_string();
    let tricky = format!("before\r\n--{first}\r\nafter");
    let form = form.text("a", tricky.clone()).text("b", "plain");
    let resp = Client::new()
        .post(format!("{}/anything", server.url()))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let seen = server.requests();
    let used = boundary_of(seen[0].header("content-type").unwrap());
    assert_ne!(used, first, "the boundary inside a part was kept");
    let parts = seen[0].form().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].text(), Some(tricky.as_str()));
    assert_eq!(parts[1].text(), Some("plain"));
}

#[tokio::test]
async fn a_file_part_streams_with_content_length_and_arrives_intact() {
    let dir = TempDir::new("multipart-file");
    let path = dir.join("speech.wav");
    let data = pattern(3 * 1024 * 1024 + 17);
    std::fs::write(&path, &data).unwrap();
    let server = MockServer::start().await.unwrap();
    let form = Form::new()
        .text("model", "whisper-1")
        .file("file", &path)
        .await
        .unwrap();
    let reply: serde_json::Value = Client::new()
        .post(format!("{}/audio/transcriptions", server.base_url()))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        reply["text"],
        format!("mock transcription of speech.wav ({} bytes)", data.len())
    );
    let seen = &server.requests()[0];
    assert_eq!(seen.header("transfer-encoding"), None);
    assert_eq!(
        seen.header("content-length"),
        Some(seen.body_len.to_string().as_str())
    );
    let parts = seen.form().unwrap();
    assert_eq!(parts[1].name, "file");
    assert_eq!(parts[1].file_name, Some("speech.wav"));
    assert_eq!(parts[1].content_type, Some("audio/wav"));
    assert!(parts[1].data == data, "the file's bytes changed on the way");
}

#[tokio::test]
async fn a_stream_of_unknown_length_makes_the_form_chunked() {
    let server = MockServer::start().await.unwrap();
    let data = pattern(200_000);
    let form = Form::new().text("purpose", "batch").part(
        "file",
        Part::stream(Body::from_reader(std::io::Cursor::new(data.clone())))
            .file_name("batch.jsonl"),
    );
    let file: serde_json::Value = Client::new()
        .post(format!("{}/files", server.base_url()))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(file["object"], "file");
    assert_eq!(file["bytes"], data.len());
    assert_eq!(file["filename"], "batch.jsonl");
    assert_eq!(file["purpose"], "batch");
    let seen = &server.requests()[0];
    assert_eq!(seen.header("transfer-encoding"), Some("chunked"));
    assert_eq!(seen.header("content-length"), None);
    assert!(seen.form().unwrap()[1].data == data);
}

#[tokio::test]
async fn a_stream_with_its_length_keeps_content_length() {
    let (server, mut seen) = recording("ok").await;
    let form = Form::new().part(
        "f",
        Part::stream_with_length(Body::from_reader(&b"0123456789"[..]), 10),
    );
    Client::new()
        .post(server.url("/"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(req.header("transfer-encoding"), None);
    assert_eq!(
        req.header("content-length"),
        Some(req.body.len().to_string().as_str())
    );
    assert!(String::from_utf8_lossy(&req.body).contains("\r\n\r\n0123456789\r\n--"));
}

/// A server that reads one request head, then every byte until the client
/// closes, answering only a complete request: what it got, and whether the
/// request was complete.
async fn counting_server() -> (
    Scripted,
    tokio::sync::mpsc::UnboundedReceiver<(usize, usize)>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let server = Scripted::start(move |mut stream, _| {
        let tx = tx.clone();
        async move {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 64 * 1024];
            let head_end = loop {
                if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                match stream.read(&mut buf).await {
                    Ok(n @ 1..) => got.extend_from_slice(&buf[..n]),
                    _ => return,
                }
            };
            let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
            let declared: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(usize::MAX);
            let mut body = got.len() - head_end;
            while body < declared {
                match stream.read(&mut buf).await {
                    Ok(n @ 1..) => body += n,
                    _ => break,
                }
            }
            if body == declared {
                let _ = stream.write_all(&support::server::ok("stored")).await;
            }
            let _ = tx.send((declared, body));
        }
    })
    .await;
    (server, rx)
}

#[tokio::test]
async fn a_stream_shorter_or_longer_than_declared_fails_and_never_arrives_whole() {
    for (data, declared) in [(&b"short"[..], 10), (&b"0123456789EXTRA"[..], 10)] {
        let (server, mut seen) = counting_server().await;
        let form = Form::new().text("a", "b").part(
            "f",
            Part::stream_with_length(Body::from_reader(data), declared),
        );
        let err = Client::new()
            .post(server.url("/"))
            .multipart(form)
            .send()
            .await
            .unwrap_err();
        assert!(err.is_body(), "{err:?}");
        let (content_length, got) = seen.recv().await.unwrap();
        assert!(
            got < content_length,
            "{} bytes of a {content_length}-byte body reached the server",
            got
        );
    }
}

#[tokio::test]
async fn a_form_in_memory_can_be_cloned_and_retried_a_streamed_one_cannot() {
    let client = Client::new();
    let held = client
        .post("http://127.0.0.1:9/")
        .multipart(Form::new().text("a", "b"));
    assert!(held.try_clone().is_some());
    let streamed = client
        .post("http://127.0.0.1:9/")
        .multipart(Form::new().part("f", Part::stream(Body::from_reader(&b"x"[..]))));
    assert!(streamed.try_clone().is_none());
}

#[tokio::test]
async fn a_bad_media_type_is_refused() {
    for bad in ["text", "text/plain\r\nX-Injected: 1", ""] {
        let err = Part::text("x").mime_str(bad).unwrap_err();
        assert!(err.is_builder(), "{err:?}");
    }
}

#[tokio::test]
async fn the_mock_answers_uploads_as_openai_does() {
    let server = MockServer::start().await.unwrap();
    let client = Client::new();
    // A UTF-8 "recording" is its own transcript; response_format=text
    // answers plain text.
    let form = Form::new()
        .text("model", "whisper-1")
        .text("response_format", "text")
        .part("file", Part::bytes(&b"hello there"[..]).file_name("a.txt"));
    let resp = client
        .post(format!("{}/audio/transcriptions", server.base_url()))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "text/plain; charset=utf-8"
    );
    assert_eq!(resp.text().await.unwrap(), "hello there");
    // Missing parts are a 400 in OpenAI's error shape.
    for (path, form) in [
        ("audio/transcriptions", Form::new().text("model", "m")),
        (
            "audio/transcriptions",
            Form::new().part("file", Part::bytes(&b"x"[..])),
        ),
        ("files", Form::new().part("file", Part::bytes(&b"x"[..]))),
    ] {
        let resp = client
            .post(format!("{}/{path}", server.base_url()))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
    // A body that is not multipart at all.
    let resp = client
        .post(format!("{}/files", server.base_url()))
        .body("not a form")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    // A malformed one: cut before its close delimiter.
    let resp = client
        .post(format!("{}/files", server.base_url()))
        .header("content-type", "multipart/form-data; boundary=b")
        .body("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.text().await.unwrap().contains("close delimiter"));
}

#[tokio::test]
async fn chat_transcribe_uploads_the_file_and_returns_the_text() {
    use brisk::chat::{Chat, ErrorKind, Provider};
    let dir = TempDir::new("transcribe");
    let path = dir.join("memo.txt");
    std::fs::write(&path, "the meeting is at noon").unwrap();
    let server = MockServer::start().await.unwrap();
    let chat = Chat::builder(Provider::Custom(server.base_url()))
        .api_key("sk-test")
        .build();
    let text = chat.transcribe(&path, "whisper-1").await.unwrap();
    assert_eq!(text, "the meeting is at noon");
    let seen = &server.requests()[0];
    assert_eq!(seen.path, "/v1/audio/transcriptions");
    assert_eq!(seen.header("authorization"), Some("Bearer sk-test"));
    let parts = seen.form().unwrap();
    assert_eq!(
        (parts[0].name, parts[0].text()),
        ("model", Some("whisper-1"))
    );
    assert_eq!(
        (parts[1].name, parts[1].file_name, parts[1].content_type),
        ("file", Some("memo.txt"), Some("text/plain"))
    );
    // A file that is not there: a configuration error, nothing sent.
    let err = chat
        .transcribe(dir.join("missing.wav"), "whisper-1")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert_eq!(server.requests().len(), 1);
}
