//! The websocat of `examples/ws.rs`, run as a function (as the other
//! examples' tests do) against the mock's Realtime endpoint and a loopback
//! echo server: what it prints, where, and the exit status it returns.
#![cfg(all(feature = "mock", feature = "ws"))]

#[path = "../examples/ws.rs"]
#[allow(dead_code)] // its `main`
mod ws_tool;

use brisk::mock::{Answer, MockServer};
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Runs the tool with `args` on `stdin`: its exit status, stdout, stderr.
async fn ws(args: &[&str], stdin: impl AsyncBufRead + Unpin) -> (i32, String, String) {
    let args = args.iter().map(|a| a.to_string());
    let Ok(ws_tool::Command::Run(options)) = ws_tool::parse_args(args) else {
        panic!("the command line did not parse");
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = ws_tool::run(options, stdin, &mut out, &mut err).await;
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn realtime_url(server: &MockServer) -> String {
    let base = server.base_url().replacen("http://", "ws://", 1);
    format!("{base}/realtime?model=mock-model")
}

/// The `type` of each stdout line, read as a JSON event.
fn event_types(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|l| {
            let event: Value = serde_json::from_str(l).unwrap_or_else(|_| panic!("{l:?}"));
            event["type"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn stdin_lines_out_events_in_and_a_normal_close_at_the_end() {
    let server = MockServer::start().await.unwrap();
    server.on_model("mock-model", Answer::text("Hi there"));
    let stdin: &[u8] =
        b"{\"type\":\"session.update\",\"session\":{}}\n{\"type\":\"response.create\"}\n";
    let url = realtime_url(&server);
    let (code, out, err) = ws(&["-H", "Authorization: Bearer sk-mock", &url], stdin).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        event_types(&out),
        [
            "session.created",
            "session.updated",
            "response.created",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.done",
        ]
    );
    assert_eq!(err, "closed 1000\n");
    // The header reached the server as given.
    let seen = server.requests();
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-mock"));
}

#[tokio::test]
async fn a_200_instead_of_101_is_one_line_and_status_1() {
    let server = MockServer::start().await.unwrap();
    // `/v1/models` answers any GET with 200 and a JSON list.
    let url = server.base_url().replacen("http://", "ws://", 1) + "/models";
    let (code, out, err) = ws(&[&url], &b"never sent\n"[..]).await;
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.starts_with("ws: http status 200"), "{err:?}");
    assert!(err.contains("refused with status 200"), "{err:?}");
    // And a 401 from the Realtime endpoint without a key, alike.
    let (code, _, err) = ws(&[&realtime_url(&server)], &b""[..]).await;
    assert_eq!(code, 1);
    assert!(err.starts_with("ws: http status 401"), "{err:?}");
}

#[tokio::test]
async fn a_server_close_is_printed_with_its_code_and_reason() {
    let server = MockServer::start().await.unwrap();
    server.on_model(
        "mock-model",
        Answer::text("one two").close_after(0, 1011, "mock: internal error"),
    );
    // Stdin stays open: the close is the server's.
    let (mut keep_open, stdin) = tokio::io::duplex(64);
    keep_open
        .write_all(b"{\"type\":\"response.create\"}\n")
        .await
        .unwrap();
    let url = realtime_url(&server);
    let stdin = tokio::io::BufReader::new(stdin);
    let (code, out, err) = ws(&["-H", "Authorization: Bearer k", &url], stdin).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(event_types(&out), ["session.created", "response.created"]);
    assert_eq!(err, "closed 1011 mock: internal error\n");
    drop(keep_open);
}

/// A server that checks the handshake, agrees to the first subprotocol
/// offered, and echoes each message back unmasked; its head is sent back
/// on the channel.
async fn echo_server() -> (String, tokio::sync::oneshot::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/echo", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let head = read_head(&mut sock).await;
        let field = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
                .unwrap_or_default()
                .to_owned()
        };
        let key = field("Sec-WebSocket-Key");
        let protocol = field("Sec-WebSocket-Protocol");
        let protocol = protocol.split(',').next().unwrap_or("").trim().to_owned();
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n",
            brisk::ws::accept_key(&key)
        );
        sock.write_all(answer.as_bytes()).await.unwrap();
        tx.send(head).unwrap();
        // Echo frames (each small and whole) until the client's close,
        // echoed too; then close the connection.
        loop {
            let mut top = [0u8; 2];
            sock.read_exact(&mut top).await.unwrap();
            let len = usize::from(top[1] & 0x7F);
            assert!(len < 126, "small frames only");
            let mut key = [0u8; 4];
            sock.read_exact(&mut key).await.unwrap();
            let mut payload = vec![0u8; len];
            sock.read_exact(&mut payload).await.unwrap();
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= key[i % 4];
            }
            let mut frame = vec![top[0], len as u8];
            frame.extend_from_slice(&payload);
            sock.write_all(&frame).await.unwrap();
            if top[0] & 0x0F == 0x8 {
                return;
            }
        }
    });
    (url, rx)
}

async fn read_head(sock: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(sock.read(&mut byte).await.unwrap(), 1, "head cut short");
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

#[tokio::test]
async fn binary_lines_come_back_as_hex_with_headers_and_protocol_sent() {
    let (url, head) = echo_server().await;
    let stdin: &[u8] = b"AB\n\xff\x00\n";
    let args = [
        "-H",
        "X-Trace: abc",
        "--protocol",
        "realtime",
        "--binary",
        &url,
    ];
    let (code, out, err) = ws(&args, stdin).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "4142\nff00\n");
    assert_eq!(err, "closed 1000\n");
    let head = head.await.unwrap();
    assert!(head.contains("\r\nX-Trace: abc\r\n"), "{head}");
    assert!(
        head.contains("\r\nSec-WebSocket-Protocol: realtime\r\n"),
        "{head}"
    );
}

#[tokio::test]
async fn bad_arguments_are_refused() {
    for args in [
        &[][..],
        &["-H"][..],
        &["-H", "no colon", "ws://h/"][..],
        &["--what", "ws://h/"][..],
        &["ws://a/", "ws://b/"][..],
    ] {
        let args = args.iter().map(|a| a.to_string());
        assert!(ws_tool::parse_args(args).is_err());
    }
}
