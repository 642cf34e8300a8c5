//! Scripted WebSocket servers for the client's tests: the handshake
//! answered as the test says, frames written and read byte by byte.

use brisk::ws::{HandshakeError, ProtocolError};
use std::error::Error as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a scripted server answers to a key.
pub type Answer = fn(&str) -> String;

/// Reads a request head; returns its `Sec-WebSocket-Key` and the head.
pub async fn read_head(sock: &mut TcpStream) -> (String, String) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(sock.read(&mut byte).await.unwrap(), 1, "head cut short");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let key = head
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap_or_default()
        .to_owned();
    (key, head)
}

pub fn ok_101(key: &str, extra: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
        brisk::ws::accept_key(key)
    )
}

/// An unmasked, final server frame.
pub fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame_fin(true, opcode, payload)
}

/// An unmasked server frame of any length, final or not.
pub fn frame_fin(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | opcode];
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// Reads one masked client frame: (opcode, unmasked payload).
pub async fn read_client_frame(sock: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut h = [0u8; 2];
    sock.read_exact(&mut h).await.unwrap();
    assert!(h[1] & 0x80 != 0, "a client frame must be masked");
    let len = match h[1] & 0x7F {
        126 => u64::from(sock.read_u16().await.unwrap()),
        127 => sock.read_u64().await.unwrap(),
        n => u64::from(n),
    };
    let mut key = [0u8; 4];
    sock.read_exact(&mut key).await.unwrap();
    let mut payload = vec![0u8; len as usize];
    sock.read_exact(&mut payload).await.unwrap();
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
    (h[0] & 0x0F, payload)
}

/// A server that answers the handshake with `answer(key)`, then runs
/// `then` on the socket.
pub async fn server<F, Fut>(answer: Answer, then: F) -> String
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/socket", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let (key, _) = read_head(&mut sock).await;
        sock.write_all(answer(&key).as_bytes()).await.unwrap();
        then(sock).await;
    });
    url
}

/// A client with default settings, connected to `url`.
pub async fn connect(url: &str) -> brisk::ws::WebSocket {
    brisk::Client::new().websocket(url).connect().await.unwrap()
}

/// A client with `limits` and a short close timeout (200 ms), connected
/// to `url`: for tests where the server never completes the close.
pub async fn connect_quick_close(url: &str, limits: brisk::ws::Limits) -> brisk::ws::WebSocket {
    brisk::Client::new()
        .websocket(url)
        .limits(limits)
        .close_timeout(std::time::Duration::from_millis(200))
        .connect()
        .await
        .unwrap()
}

pub fn handshake_error(e: &brisk::Error) -> HandshakeError {
    e.source()
        .and_then(|s| s.downcast_ref::<HandshakeError>())
        .cloned()
        .unwrap_or_else(|| panic!("not a handshake error: {e:?}"))
}

pub fn protocol_error(e: &brisk::Error) -> ProtocolError {
    *e.source()
        .and_then(|s| s.downcast_ref::<ProtocolError>())
        .unwrap_or_else(|| panic!("not a protocol error: {e:?}"))
}
