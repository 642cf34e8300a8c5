//! WebSocket over loopback against scripted servers: the handshake checks,
//! hostile frames, the closing handshake and backpressure, judged by
//! errors, states and the exact bytes the server receives.
#![cfg(feature = "ws")]

mod support;

use brisk::ws::{CloseFrame, HandshakeError, Limits, Message, MessageRef, ProtocolError};
use std::error::Error as _;
use std::time::Duration;
use support::ws::{
    connect, connect_quick_close, frame, frame_fin, handshake_error, ok_101, protocol_error,
    read_client_frame, read_head, server, Answer,
};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

#[tokio::test]
async fn echo_with_ping_answered_and_server_close_echoed() {
    let url = server(
        |k| ok_101(k, ""),
        |mut sock| async move {
            let (op, payload) = read_client_frame(&mut sock).await;
            assert_eq!((op, payload.as_slice()), (1, &b"hello"[..]));
            sock.write_all(&frame(0x9, b"are you there")).await.unwrap();
            sock.write_all(&frame(0x1, b"hello back")).await.unwrap();
            let (op, payload) = read_client_frame(&mut sock).await;
            assert_eq!((op, payload.as_slice()), (0xA, &b"are you there"[..]));
            sock.write_all(&frame(0x8, &[0x03, 0xE8, b'o', b'k']))
                .await
                .unwrap();
            let (op, payload) = read_client_frame(&mut sock).await;
            assert_eq!((op, payload.as_slice()), (0x8, &[0x03, 0xE8][..]));
        },
    )
    .await;
    let client = brisk::Client::new();
    let mut ws = client.websocket(&url).connect().await.unwrap();
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap(),
        Some(Message::Ping(b"are you there".to_vec()))
    );
    assert_eq!(ws.recv().await.unwrap(), Some(Message::text("hello back")));
    let close = CloseFrame {
        code: 1000,
        reason: "ok".into(),
    };
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Close(Some(close))));
    assert_eq!(ws.recv().await.unwrap(), None);
    assert!(ws.send(Message::text("late")).await.is_err());
}

#[tokio::test]
async fn the_handshake_request_offers_what_the_builder_says() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "ws://{}/v1/realtime?model=m",
        listener.local_addr().unwrap()
    );
    let seen = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let (key, head) = read_head(&mut sock).await;
        let answer = ok_101(&key, "Sec-WebSocket-Protocol: two\r\n");
        sock.write_all(answer.as_bytes()).await.unwrap();
        head
    });
    let ws = brisk::Client::new()
        .websocket(&url)
        .bearer_auth("sk-test")
        .protocol("one")
        .protocol("two")
        .connect()
        .await
        .unwrap();
    assert_eq!(ws.protocol(), Some("two"));
    let head = seen.await.unwrap();
    assert!(
        head.starts_with("GET /v1/realtime?model=m HTTP/1.1\r\n"),
        "{head}"
    );
    for line in [
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: one, two",
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
        "Authorization: Bearer sk-test",
    ] {
        assert!(head.contains(&format!("{line}\r\n")), "{line} in {head}");
    }
}

async fn handshake_with(answer: Answer) -> brisk::Error {
    let url = server(answer, |sock| async move {
        let _keep = sock;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    brisk::Client::new()
        .websocket(&url)
        .protocol("chat")
        .connect()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn hostile_handshakes_are_refused_each_with_its_reason() {
    let cases: [(Answer, HandshakeError); 8] = [
        (|_| ok_101("not the key", ""), HandshakeError::BadAccept),
        (
            |_| {
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".into()
            },
            HandshakeError::BadAccept,
        ),
        (
            |k| {
                format!(
                    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                    brisk::ws::accept_key(k)
                )
            },
            HandshakeError::MissingUpgrade,
        ),
        (
            |k| ok_101(k, "Sec-WebSocket-Extensions: x-unknown\r\n"),
            HandshakeError::UnofferedExtension,
        ),
        (
            |k| ok_101(k, "Sec-WebSocket-Protocol: superchat\r\n"),
            HandshakeError::UnofferedProtocol,
        ),
        (
            |k| {
                ok_101(
                    k,
                    "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7\r\n",
                )
            },
            HandshakeError::BadDeflateParameters,
        ),
        (
            |k| {
                ok_101(
                    k,
                    "Sec-WebSocket-Extensions: permessage-deflate; unknown_param\r\n",
                )
            },
            HandshakeError::BadDeflateParameters,
        ),
        (
            |_| "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".into(),
            HandshakeError::Rejected {
                status: 200,
                body: b"hello".to_vec(),
            },
        ),
    ];
    for (answer, want) in cases {
        let e = handshake_with(answer).await;
        assert_eq!(handshake_error(&e), want, "{e:?}");
    }
}

#[tokio::test]
async fn a_401_keeps_its_status_and_body() {
    let e = handshake_with(|_| {
        "HTTP/1.1 401 Unauthorized\r\nContent-Length: 24\r\n\r\n{\"error\":\"bad api key\"}\n"
            .into()
    })
    .await;
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401));
    match handshake_error(&e) {
        HandshakeError::Rejected { body, .. } => assert!(body.starts_with(b"{\"error\"")),
        other => panic!("{other:?}"),
    }
}

/// A server that sends `bytes` after the handshake and reports the close
/// frame the client answers with.
async fn failing_with(bytes: Vec<u8>, limits: Limits) -> (ProtocolError, (u8, Vec<u8>)) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let url = server(
        |k| ok_101(k, ""),
        move |mut sock| async move {
            sock.write_all(&bytes).await.unwrap();
            let _ = tx.send(read_client_frame(&mut sock).await);
        },
    )
    .await;
    let mut ws = connect_quick_close(&url, limits).await;
    let e = ws.recv().await.unwrap_err();
    assert!(e.is_protocol(), "{e:?}");
    (protocol_error(&e), rx.await.unwrap())
}

#[tokio::test]
async fn hostile_frames_fail_the_connection_with_the_right_close_code() {
    let masked = vec![0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2];
    let bad_code = frame(0x8, &[0x03, 0xED]); // 1005 may not be sent
    let gigabyte = vec![0x82, 127, 0, 0, 0, 0, 0x40, 0, 0, 0];
    let bad_utf8 = frame(0x1, &[b'a', 0xC0, 0xAF]);
    for (bytes, want, code) in [
        (masked, ProtocolError::MaskedFrame, 1002u16),
        (bad_code, ProtocolError::BadCloseCode, 1002),
        (gigabyte, ProtocolError::FrameTooLarge, 1009),
        (bad_utf8, ProtocolError::InvalidUtf8, 1007),
    ] {
        let (error, (op, payload)) = failing_with(bytes, Limits::default()).await;
        assert_eq!(error, want);
        assert_eq!(
            (op, payload),
            (0x8, code.to_be_bytes().to_vec()),
            "{want:?}"
        );
    }
}

#[tokio::test]
async fn a_server_that_never_answers_the_close_does_not_hang_the_client() {
    let url = server(
        |k| ok_101(k, ""),
        |mut sock| async move {
            let (op, _) = read_client_frame(&mut sock).await;
            assert_eq!(op, 0x8);
            // Never answers, never closes.
            tokio::time::sleep(Duration::from_secs(30)).await;
        },
    )
    .await;
    let mut ws = brisk::Client::new()
        .websocket(&url)
        .close_timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(20), ws.close(1000, "bye")).await;
    assert_eq!(
        answer.expect("close returns within its timeout").unwrap(),
        None
    );
}

#[tokio::test]
async fn send_waits_for_a_slow_reader_and_then_delivers_everything() {
    const SIZE: usize = 32 << 20;
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let (got_tx, got_rx) = tokio::sync::oneshot::channel();
    let url = server(
        |k| ok_101(k, ""),
        move |mut sock| async move {
            go_rx.await.unwrap();
            let (op, payload) = read_client_frame(&mut sock).await;
            let _ = got_tx.send((op, payload.len(), payload.iter().all(|&b| b == 7)));
        },
    )
    .await;
    let ws = connect(&url).await;
    let (_reader, writer) = ws.split();
    let send = tokio::spawn(async move { writer.send(Message::binary(vec![7u8; SIZE])).await });
    // 32 MiB cannot fit in the socket buffers: while the server does not
    // read, the send cannot have finished.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !send.is_finished(),
        "send returned while the peer read nothing"
    );
    go_tx.send(()).unwrap();
    send.await.unwrap().unwrap();
    assert_eq!(got_rx.await.unwrap(), (0x2, SIZE, true));
}

#[tokio::test]
async fn a_compressed_message_from_the_server_is_inflated() {
    let url = server(
        |k| {
            ok_101(
                k,
                "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n",
            )
        },
        |mut sock| async move {
            let mut c = flate2::Compress::new(flate2::Compression::default(), false);
            let mut body = Vec::with_capacity(256);
            c.compress_vec(b"hello hello hello", &mut body, flate2::FlushCompress::Sync)
                .unwrap();
            body.truncate(body.len() - 4);
            let mut f = frame(0x1, &body);
            f[0] |= 0x40;
            sock.write_all(&f).await.unwrap();
            sock.write_all(&frame(0x8, &[0x03, 0xE8])).await.unwrap();
            let _ = read_client_frame(&mut sock).await;
        },
    )
    .await;
    let mut ws = connect(&url).await;
    assert_eq!(
        ws.recv().await.unwrap(),
        Some(Message::text("hello hello hello"))
    );
}

#[tokio::test]
async fn the_read_idle_timeout_ends_a_silent_connection() {
    let url = server(
        |k| ok_101(k, ""),
        |sock| async move {
            let _keep = sock;
            tokio::time::sleep(Duration::from_secs(30)).await;
        },
    )
    .await;
    let mut ws = brisk::Client::new()
        .websocket(&url)
        .read_idle_timeout(Duration::from_millis(200))
        .connect()
        .await
        .unwrap();
    let e = ws.recv().await.unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert_eq!(ws.recv().await.unwrap(), None);
}

/// Large messages are masked in place and written after their header in
/// one vectored write (small ones are copied into the frame buffer): every
/// byte arrives in order, unmasked to what was sent, with its opcode,
/// whichever way each went and however the socket split the writes.
#[tokio::test]
async fn large_and_small_messages_arrive_byte_for_byte() {
    let text: String = "añb€ç".repeat(2000); // 18,000 bytes of UTF-8
    let binary: Vec<u8> = (0..3_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let small: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
    let sent = vec![
        (0x1, text.clone().into_bytes()),
        (0x2, small.clone()),
        (0x2, binary.clone()),
        (0x1, "ok".as_bytes().to_vec()),
        (0x2, binary[..4096].to_vec()),
    ];
    let (got_tx, got_rx) = tokio::sync::oneshot::channel();
    let count = sent.len();
    let url = server(
        |k| ok_101(k, ""),
        move |mut sock| async move {
            let mut got = Vec::new();
            for _ in 0..count {
                got.push(read_client_frame(&mut sock).await);
            }
            let _ = got_tx.send(got);
        },
    )
    .await;
    let mut ws = connect(&url).await;
    ws.send(Message::Text(text)).await.unwrap();
    ws.send(Message::binary(small)).await.unwrap();
    ws.send(Message::binary(binary.clone())).await.unwrap();
    ws.send(Message::Text("ok".into())).await.unwrap();
    ws.send(Message::binary(binary[..4096].to_vec()))
        .await
        .unwrap();
    let got = got_rx.await.unwrap();
    assert_eq!(got.len(), sent.len());
    for (i, (g, s)) in got.iter().zip(&sent).enumerate() {
        assert_eq!(g.0, s.0, "message {i}: opcode");
        assert!(
            g.1 == s.1,
            "message {i}: {} bytes, sent {}",
            g.1.len(),
            s.1.len()
        );
    }
}

/// A send dropped halfway (its future cancelled, here by a timeout while
/// the server reads nothing) leaves part of a frame on the connection.
/// Any later frame would land inside it, so every later send is refused
/// at once instead of being written (or waiting behind the full socket).
#[tokio::test]
async fn a_send_cancelled_mid_frame_refuses_every_later_send() {
    const SIZE: usize = 32 << 20;
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let url = server(
        |k| ok_101(k, ""),
        move |sock| async move {
            // Holds the connection open and reads nothing.
            let _held = sock;
            let _ = done_rx.await;
        },
    )
    .await;
    let mut ws = connect(&url).await;
    // 32 MiB cannot fit in the socket buffers of a peer that reads
    // nothing: the send is cut off partway.
    let cut = tokio::time::timeout(
        Duration::from_millis(300),
        ws.send(Message::binary(vec![7u8; SIZE])),
    )
    .await;
    assert!(
        cut.is_err(),
        "the send finished with the peer reading nothing"
    );
    for message in [
        Message::Text("after".into()),
        Message::binary(vec![1u8; 10_000]),
    ] {
        let later = tokio::time::timeout(Duration::from_secs(10), ws.send(message))
            .await
            .expect("a send after a cut frame waited instead of failing");
        let e = later.expect_err("a send after a cut frame was written");
        let why = e.source().map(|s| s.to_string()).unwrap_or_default();
        assert!(why.contains("mid-frame"), "{e:?}");
    }
    let _ = done_tx.send(());
}

/// The server side of the borrowed-receive test: every kind of message in
/// one write (whole frames, a fragmented text with a ping between its
/// fragments, a compressed one, a frame larger than one read, a pong),
/// then the pong it expects back, then a close and the echo it expects.
async fn every_kind_of_message(mut sock: tokio::net::TcpStream, big: Vec<u8>) {
    let mut c = flate2::Compress::new(flate2::Compression::default(), false);
    let mut deflated = Vec::with_capacity(256);
    c.compress_vec(
        b"squeezed squeezed",
        &mut deflated,
        flate2::FlushCompress::Sync,
    )
    .unwrap();
    deflated.truncate(deflated.len() - 4);
    let mut compressed = frame(0x1, &deflated);
    compressed[0] |= 0x40;
    let mut bytes = Vec::new();
    bytes.extend(frame(0x2, &[0, 1, 2, 255]));
    bytes.extend(frame(0x1, "héllo".as_bytes()));
    bytes.extend(frame_fin(false, 0x1, b"frag"));
    bytes.extend(frame(0x9, b"still there?"));
    bytes.extend(frame_fin(true, 0x0, "ment ✓".as_bytes()));
    bytes.extend(compressed);
    bytes.extend(frame_fin(true, 0x2, &big));
    bytes.extend(frame(0xA, b"unasked"));
    sock.write_all(&bytes).await.unwrap();
    let (op, payload) = read_client_frame(&mut sock).await;
    assert_eq!((op, payload.as_slice()), (0xA, &b"still there?"[..]));
    sock.write_all(&frame(0x8, &[0x03, 0xE8, b'b', b'y', b'e']))
        .await
        .unwrap();
    let (op, payload) = read_client_frame(&mut sock).await;
    assert_eq!((op, payload.as_slice()), (0x8, &[0x03, 0xE8][..]));
}

/// What the client must see of [`every_kind_of_message`], in order.
fn expected_messages(big: &[u8]) -> Vec<Message> {
    vec![
        Message::binary(vec![0, 1, 2, 255]),
        Message::text("héllo"),
        Message::Ping(b"still there?".to_vec()),
        Message::text("fragment ✓"),
        Message::text("squeezed squeezed"),
        Message::binary(big.to_vec()),
        Message::Pong(b"unasked".to_vec()),
        Message::Close(Some(CloseFrame {
            code: 1000,
            reason: "bye".into(),
        })),
    ]
}

/// `recv_ref` lends every kind of message (a whole frame from the read
/// buffer, a reassembled or inflated one from the decoder's) and does
/// what `recv` does on the way: the ping answered, the close echoed, then
/// the end. Unsplit (answering through the socket's own writing side) and
/// split (through the shared writer).
#[tokio::test]
async fn recv_ref_lends_every_kind_of_message_and_answers_as_recv_does() {
    let big: Vec<u8> = (0..100_000u32).map(|i| (i * 13 % 256) as u8).collect();
    for split in [false, true] {
        let script = big.clone();
        let url = server(
            |k| {
                ok_101(
                    k,
                    "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n",
                )
            },
            move |sock| every_kind_of_message(sock, script),
        )
        .await;
        let mut ws = connect(&url).await;
        let mut got = Vec::new();
        if split {
            let (mut reader, _writer) = ws.split();
            while let Some(message) = reader.recv_ref().await.unwrap() {
                got.push(message.to_message());
            }
        } else {
            while let Some(message) = ws.recv_ref().await.unwrap() {
                got.push(message.to_message());
            }
        }
        assert_eq!(got, expected_messages(&big), "split: {split}");
    }
}

/// A text message that came as one whole frame is checked where it lies
/// in the read buffer; bad UTF-8 there fails the connection with 1007,
/// received borrowed or owned.
#[tokio::test]
async fn a_whole_text_frame_that_is_not_utf8_fails_with_1007_borrowed_or_owned() {
    for borrowed in [false, true] {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let url = server(
            |k| ok_101(k, ""),
            move |mut sock| async move {
                let mut bytes = frame(0x1, b"fine");
                bytes.extend(frame(0x1, b"bad \xff byte"));
                sock.write_all(&bytes).await.unwrap();
                let _ = tx.send(read_client_frame(&mut sock).await);
            },
        )
        .await;
        let mut ws = connect_quick_close(&url, Limits::default()).await;
        let e = if borrowed {
            assert_eq!(ws.recv_ref().await.unwrap(), Some(MessageRef::Text("fine")));
            ws.recv_ref().await.unwrap_err()
        } else {
            assert_eq!(ws.recv().await.unwrap(), Some(Message::text("fine")));
            ws.recv().await.unwrap_err()
        };
        assert_eq!(protocol_error(&e), ProtocolError::InvalidUtf8, "{e:?}");
        let (op, payload) = rx.await.unwrap();
        assert_eq!((op, payload.as_slice()), (0x8, &[0x03, 0xEF][..]));
        assert!(ws.recv_ref().await.unwrap().is_none());
    }
}

/// Every future of the socket can move to another thread (a task on a
/// multi-threaded runtime): checked at compile time.
#[allow(dead_code)]
fn every_socket_future_is_send(
    mut ws: brisk::ws::WebSocket,
    mut reader: brisk::ws::WebSocketReader,
    writer: brisk::ws::WebSocketWriter,
) {
    fn send<T: Send>(_: &T) {}
    send(&ws.send(Message::text("x")));
    send(&ws.recv());
    send(&ws.recv_ref());
    send(&ws.close(1000, ""));
    send(&reader.recv());
    send(&reader.recv_ref());
    send(&writer.send(Message::text("x")));
    send(&writer.close(1000, ""));
}

/// The futures of a send and a receive hold no buffer of their own: a
/// task awaiting one moves it into place each time, so its size is paid
/// on every message (a 4 KiB drain buffer in the close path once made
/// every receive's future 4.5 KB).
#[tokio::test]
async fn send_and_receive_futures_stay_small() {
    const MAX: usize = 1024;
    fn size<F>(future: F) -> usize {
        std::mem::size_of_val(&future)
    }
    let url = server(|k| ok_101(k, ""), |_sock| async move {}).await;
    let mut ws = connect(&url).await;
    let sizes = [
        ("send", size(ws.send(Message::text("x")))),
        ("recv", size(ws.recv())),
        ("recv_ref", size(ws.recv_ref())),
        ("close", size(ws.close(1000, ""))),
    ];
    let (mut reader, writer) = ws.split();
    let split = [
        ("writer.send", size(writer.send(Message::text("x")))),
        ("reader.recv", size(reader.recv())),
        ("reader.recv_ref", size(reader.recv_ref())),
    ];
    for (name, size) in sizes.into_iter().chain(split) {
        assert!(size <= MAX, "{name}'s future is {size} bytes");
    }
}

/// A whole text frame that is not UTF-8 is consumed before it is checked.
/// If the receive that found it is dropped while failing the connection
/// (its close frame waiting for a split writer that holds the socket),
/// the next receive must report the error, not read on to the message
/// after it as if the bad one had never come.
#[tokio::test]
async fn a_receive_dropped_while_failing_leaves_the_error_for_the_next() {
    let (drain_tx, drain_rx) = tokio::sync::oneshot::channel::<()>();
    let (close_tx, close_rx) = tokio::sync::oneshot::channel();
    let url = server(
        |k| ok_101(k, ""),
        move |mut sock| async move {
            let mut bytes = frame(0x1, b"bad \xff");
            bytes.extend(frame(0x1, b"next"));
            sock.write_all(&bytes).await.unwrap();
            // Read nothing until told, so the client's large send blocks
            // with the writer's lock held; then read every frame.
            let _ = drain_rx.await;
            loop {
                let (op, payload) = read_client_frame(&mut sock).await;
                if op == 0x8 {
                    let _ = close_tx.send(payload);
                    return;
                }
            }
        },
    )
    .await;
    let ws = connect_quick_close(&url, Limits::default()).await;
    let (mut reader, writer) = ws.split();
    let sending =
        tokio::spawn(async move { writer.send(Message::binary(vec![1u8; 64 << 20])).await });
    // On this single-threaded runtime the send runs now, until the socket
    // is full (the server reads nothing): it keeps the writer's lock.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    // The first receive finds the bad frame and waits for the writer to
    // send its close frame; it is dropped there.
    let first = tokio::time::timeout(Duration::from_millis(500), reader.recv_ref()).await;
    assert!(
        first.is_err(),
        "the receive should still be waiting: {first:?}"
    );
    drain_tx.send(()).unwrap();
    let second = tokio::time::timeout(Duration::from_secs(60), reader.recv_ref())
        .await
        .expect("the second receive ends");
    let e = second.expect_err("the bad frame is reported, not skipped");
    assert_eq!(protocol_error(&e), ProtocolError::InvalidUtf8, "{e:?}");
    assert_eq!(close_rx.await.unwrap(), vec![0x03, 0xEF]);
    assert!(reader.recv_ref().await.unwrap().is_none());
    sending.await.unwrap().unwrap();
}
