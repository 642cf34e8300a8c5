//! The three WebSocket clients of the `ws` bench behind one small trait,
//! each used as its documentation shows, and the echo server they talk to.
//!
//! - brisk: `client.websocket(url).connect()`, `send(Message)`,
//!   `recv_ref()` (the message borrowed from the read buffer, as
//!   fastwebsockets hands out its frames), `split()`. It offers
//!   permessage-deflate by default; the echo server declines it (it
//!   answers no `Sec-WebSocket-Extensions`), so every frame both ways is
//!   plain, as with the other two.
//! - brisk-owned: the same, receiving with `recv()` (each message copied
//!   into a `Vec` or `String` of its own, as tungstenite's `Bytes` are
//!   owned), to show what the borrow saves.
//! - tokio-tungstenite: `client_async` over a `TcpStream`, `SinkExt::send`
//!   (which flushes each message) and `StreamExt::next`; split with
//!   `StreamExt::split`, as its README shows.
//! - fastwebsockets: `handshake::client` (hyper does the HTTP part), read
//!   through a `FragmentCollector` (so it reassembles fragments, as the
//!   other two do), split with `WebSocket::split(tokio::io::split)` and a
//!   `FragmentCollectorRead`.
//!
//! Each message is handed to the client as a fresh `String` or `Vec<u8>`
//! that the application made and gives away, as a program sending what it
//! just produced does: brisk takes it in its `Message`, tungstenite as
//! `Utf8Bytes`/`Bytes` (no copy), fastwebsockets as `Payload::Owned` (masked
//! in place). Every client pays the same allocation and copy to make it.
//! Every socket has `TCP_NODELAY` (brisk sets it itself).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;

/// An error from any client or the server.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The 20-byte text message of the round-trip workloads.
pub const TEXT_20B: &str = "0123456789abcdefghij";

/// What every client connects with.
pub struct Env {
    /// The echo server.
    pub addr: SocketAddr,
    /// One brisk client for all of brisk's connections, as an application
    /// keeps one.
    pub brisk: brisk::Client,
}

/// One connected client.
#[allow(async_fn_in_trait)]
pub trait WsClient: Sized {
    /// The reading half after [`WsClient::split`].
    type Reader: WsReader;
    /// The writing half after [`WsClient::split`].
    type Writer: WsWriter;
    /// Opens a connection and does the handshake.
    async fn connect(env: &Env) -> Result<Self, BoxError>;
    /// Sends [`TEXT_20B`] and waits for its echo.
    async fn round_trip(&mut self) -> Result<(), BoxError>;
    /// A reader and a writer, for two tasks.
    fn split(self) -> (Self::Reader, Self::Writer);
}

/// The reading half of a split client.
#[allow(async_fn_in_trait)]
pub trait WsReader {
    /// The next data message's length.
    async fn recv(&mut self) -> Result<usize, BoxError>;
}

/// The writing half of a split client.
#[allow(async_fn_in_trait)]
pub trait WsWriter {
    /// Sends `payload` as one binary message.
    async fn send_binary(&mut self, payload: Vec<u8>) -> Result<(), BoxError>;
}

fn url(addr: SocketAddr) -> String {
    format!("ws://{addr}/")
}

fn check_echo(len: usize) -> Result<(), BoxError> {
    if len != TEXT_20B.len() {
        return Err(format!("echo of {len} bytes, sent {}", TEXT_20B.len()).into());
    }
    Ok(())
}

// ---- brisk ----

/// brisk's client, receiving borrowed messages (`recv_ref`).
pub struct Brisk(brisk::ws::WebSocket);

/// brisk's client, receiving owned messages (`recv`).
pub struct BriskOwned(brisk::ws::WebSocket);

/// brisk-owned's reading half.
pub struct BriskOwnedReader(brisk::ws::WebSocketReader);

fn brisk_len(message: brisk::ws::MessageRef<'_>) -> Result<Option<usize>, BoxError> {
    use brisk::ws::MessageRef;
    match message {
        MessageRef::Text(t) => Ok(Some(t.len())),
        MessageRef::Binary(b) => Ok(Some(b.len())),
        MessageRef::Ping(_) | MessageRef::Pong(_) => Ok(None),
        MessageRef::Close(c) => Err(format!("closed by the server: {c:?}").into()),
    }
}

fn brisk_owned_len(message: brisk::ws::Message) -> Result<Option<usize>, BoxError> {
    use brisk::ws::Message;
    match message {
        Message::Text(t) => Ok(Some(t.len())),
        Message::Binary(b) => Ok(Some(b.len())),
        Message::Ping(_) | Message::Pong(_) => Ok(None),
        Message::Close(c) => Err(format!("closed by the server: {c:?}").into()),
    }
}

async fn brisk_send_text(ws: &mut brisk::ws::WebSocket) -> Result<(), BoxError> {
    let text = String::from(TEXT_20B);
    ws.send(brisk::ws::Message::Text(text)).await?;
    Ok(())
}

impl WsClient for Brisk {
    type Reader = brisk::ws::WebSocketReader;
    type Writer = brisk::ws::WebSocketWriter;

    async fn connect(env: &Env) -> Result<Self, BoxError> {
        Ok(Brisk(env.brisk.websocket(url(env.addr)).connect().await?))
    }

    async fn round_trip(&mut self) -> Result<(), BoxError> {
        brisk_send_text(&mut self.0).await?;
        loop {
            let message = self.0.recv_ref().await?.ok_or("connection closed")?;
            if let Some(len) = brisk_len(message)? {
                return check_echo(len);
            }
        }
    }

    fn split(self) -> (Self::Reader, Self::Writer) {
        self.0.split()
    }
}

impl WsReader for brisk::ws::WebSocketReader {
    async fn recv(&mut self) -> Result<usize, BoxError> {
        loop {
            let message = self.recv_ref().await?.ok_or("connection closed")?;
            if let Some(len) = brisk_len(message)? {
                return Ok(len);
            }
        }
    }
}

impl WsClient for BriskOwned {
    type Reader = BriskOwnedReader;
    type Writer = brisk::ws::WebSocketWriter;

    async fn connect(env: &Env) -> Result<Self, BoxError> {
        Ok(BriskOwned(
            env.brisk.websocket(url(env.addr)).connect().await?,
        ))
    }

    async fn round_trip(&mut self) -> Result<(), BoxError> {
        brisk_send_text(&mut self.0).await?;
        loop {
            let message = self.0.recv().await?.ok_or("connection closed")?;
            if let Some(len) = brisk_owned_len(message)? {
                return check_echo(len);
            }
        }
    }

    fn split(self) -> (Self::Reader, Self::Writer) {
        let (reader, writer) = self.0.split();
        (BriskOwnedReader(reader), writer)
    }
}

impl WsReader for BriskOwnedReader {
    async fn recv(&mut self) -> Result<usize, BoxError> {
        loop {
            let message = self.0.recv().await?.ok_or("connection closed")?;
            if let Some(len) = brisk_owned_len(message)? {
                return Ok(len);
            }
        }
    }
}

impl WsWriter for brisk::ws::WebSocketWriter {
    async fn send_binary(&mut self, payload: Vec<u8>) -> Result<(), BoxError> {
        self.send(brisk::ws::Message::Binary(payload)).await?;
        Ok(())
    }
}

// ---- tokio-tungstenite ----

type TungsteniteStream = tokio_tungstenite::WebSocketStream<TcpStream>;

/// tokio-tungstenite's client.
pub struct Tungstenite(TungsteniteStream);

/// tokio-tungstenite's reading half.
pub struct TungsteniteReader(SplitStream<TungsteniteStream>);

/// tokio-tungstenite's writing half.
pub struct TungsteniteWriter(SplitSink<TungsteniteStream, tokio_tungstenite::tungstenite::Message>);

async fn tungstenite_next<S>(stream: &mut S) -> Result<usize, BoxError>
where
    S: futures_util::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    use tokio_tungstenite::tungstenite::Message;
    loop {
        match stream.next().await.ok_or("connection closed")?? {
            Message::Text(t) => return Ok(t.len()),
            Message::Binary(b) => return Ok(b.len()),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            Message::Close(c) => return Err(format!("closed by the server: {c:?}").into()),
        }
    }
}

impl WsClient for Tungstenite {
    type Reader = TungsteniteReader;
    type Writer = TungsteniteWriter;

    async fn connect(env: &Env) -> Result<Self, BoxError> {
        let tcp = TcpStream::connect(env.addr).await?;
        tcp.set_nodelay(true)?;
        let (ws, _) = tokio_tungstenite::client_async(url(env.addr), tcp).await?;
        Ok(Tungstenite(ws))
    }

    async fn round_trip(&mut self) -> Result<(), BoxError> {
        use tokio_tungstenite::tungstenite::Message;
        let text = String::from(TEXT_20B);
        self.0.send(Message::Text(text.into())).await?;
        check_echo(tungstenite_next(&mut self.0).await?)
    }

    fn split(self) -> (Self::Reader, Self::Writer) {
        let (sink, stream) = self.0.split();
        (TungsteniteReader(stream), TungsteniteWriter(sink))
    }
}

impl WsReader for TungsteniteReader {
    async fn recv(&mut self) -> Result<usize, BoxError> {
        tungstenite_next(&mut self.0).await
    }
}

impl WsWriter for TungsteniteWriter {
    async fn send_binary(&mut self, payload: Vec<u8>) -> Result<(), BoxError> {
        use tokio_tungstenite::tungstenite::Message;
        self.0.send(Message::Binary(payload.into())).await?;
        Ok(())
    }
}

// ---- fastwebsockets ----

type FwsIo = hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>;

/// fastwebsockets' client: the socket as the handshake gives it, turned
/// into a `FragmentCollector` for round trips or split for streaming.
pub enum Fastwebsockets {
    /// Just connected.
    Fresh(fastwebsockets::WebSocket<FwsIo>),
    /// Reassembling fragments.
    Collecting(fastwebsockets::FragmentCollector<FwsIo>),
    /// Moved out (never seen between calls).
    Gone,
}

/// fastwebsockets' reading half.
pub struct FastwebsocketsReader(fastwebsockets::FragmentCollectorRead<tokio::io::ReadHalf<FwsIo>>);

/// fastwebsockets' writing half.
pub struct FastwebsocketsWriter(fastwebsockets::WebSocketWrite<tokio::io::WriteHalf<FwsIo>>);

/// hyper's executor for the handshake's connection task.
struct SpawnExecutor;

impl hyper::rt::Executor<Pin<Box<dyn Future<Output = ()> + Send>>> for SpawnExecutor {
    fn execute(&self, fut: Pin<Box<dyn Future<Output = ()> + Send>>) {
        tokio::task::spawn(fut);
    }
}

fn fws_len(frame: &fastwebsockets::Frame<'_>) -> Result<Option<usize>, BoxError> {
    use fastwebsockets::OpCode;
    match frame.opcode {
        OpCode::Text | OpCode::Binary => Ok(Some(frame.payload.len())),
        OpCode::Close => Err("closed by the server".into()),
        _ => Ok(None),
    }
}

impl WsClient for Fastwebsockets {
    type Reader = FastwebsocketsReader;
    type Writer = FastwebsocketsWriter;

    async fn connect(env: &Env) -> Result<Self, BoxError> {
        use hyper::header::{CONNECTION, UPGRADE};
        let tcp = TcpStream::connect(env.addr).await?;
        tcp.set_nodelay(true)?;
        let req = hyper::Request::builder()
            .method("GET")
            .uri(url(env.addr))
            .header("Host", env.addr.to_string())
            .header(UPGRADE, "websocket")
            .header(CONNECTION, "upgrade")
            .header(
                "Sec-WebSocket-Key",
                fastwebsockets::handshake::generate_key(),
            )
            .header("Sec-WebSocket-Version", "13")
            .body(http_body_util::Empty::<Bytes>::new())?;
        let (ws, _) = fastwebsockets::handshake::client(&SpawnExecutor, req, tcp).await?;
        Ok(Fastwebsockets::Fresh(ws))
    }

    async fn round_trip(&mut self) -> Result<(), BoxError> {
        use fastwebsockets::{Frame, Payload};
        if let Fastwebsockets::Fresh(_) = self {
            let Fastwebsockets::Fresh(ws) = std::mem::replace(self, Fastwebsockets::Gone) else {
                unreachable!()
            };
            *self = Fastwebsockets::Collecting(fastwebsockets::FragmentCollector::new(ws));
        }
        let Fastwebsockets::Collecting(ws) = self else {
            return Err("fastwebsockets: socket moved out".into());
        };
        let text = String::from(TEXT_20B);
        ws.write_frame(Frame::text(Payload::Owned(text.into_bytes())))
            .await?;
        loop {
            let frame = ws.read_frame().await?;
            if let Some(len) = fws_len(&frame)? {
                return check_echo(len);
            }
        }
    }

    fn split(self) -> (Self::Reader, Self::Writer) {
        let Fastwebsockets::Fresh(ws) = self else {
            panic!("fastwebsockets: split after round trips");
        };
        let (read, write) = ws.split(tokio::io::split);
        (
            FastwebsocketsReader(fastwebsockets::FragmentCollectorRead::new(read)),
            FastwebsocketsWriter(write),
        )
    }
}

impl WsReader for FastwebsocketsReader {
    async fn recv(&mut self) -> Result<usize, BoxError> {
        loop {
            // The frames the reader must send (a pong, the close echo) go
            // to the writer's task in an application; the echo server
            // sends neither, so here they are dropped.
            let frame = self
                .0
                .read_frame(&mut |_| async { Ok::<(), fastwebsockets::WebSocketError>(()) })
                .await?;
            if let Some(len) = fws_len(&frame)? {
                return Ok(len);
            }
        }
    }
}

impl WsWriter for FastwebsocketsWriter {
    async fn send_binary(&mut self, payload: Vec<u8>) -> Result<(), BoxError> {
        use fastwebsockets::{Frame, Payload};
        self.0
            .write_frame(Frame::binary(Payload::Owned(payload)))
            .await?;
        Ok(())
    }
}

// ---- the echo server ----

/// Serves WebSocket echo with fastwebsockets (its `echo_server` example:
/// hyper's HTTP/1 server with upgrades, a `FragmentCollector` per
/// connection, every text and binary message written back as it arrives)
/// on `listener`, on the current runtime, until the process ends. It
/// answers no extension, so permessage-deflate is declined.
pub async fn serve_echo(listener: tokio::net::TcpListener) -> Result<(), BoxError> {
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(tcp);
            let conn = http1::Builder::new()
                .serve_connection(io, service_fn(upgrade))
                .with_upgrades();
            let _ = conn.await;
        });
    }
}

async fn upgrade(
    mut req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<http_body_util::Empty<Bytes>>, fastwebsockets::WebSocketError> {
    let (response, fut) = fastwebsockets::upgrade::upgrade(&mut req)?;
    tokio::spawn(async move {
        let _ = echo(fut).await;
    });
    Ok(response)
}

async fn echo(
    fut: fastwebsockets::upgrade::UpgradeFut,
) -> Result<(), fastwebsockets::WebSocketError> {
    use fastwebsockets::OpCode;
    let mut ws = fastwebsockets::FragmentCollector::new(fut.await?);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            _ => {}
        }
    }
}
