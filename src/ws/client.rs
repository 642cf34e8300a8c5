//! `Client::websocket`: the builder, and the handshake through the
//! client's own transport.

use super::handshake::{check_answer, HandshakeError, DEFLATE_OFFER};
use super::socket::{Settings, WebSocket};
use super::Limits;
use crate::client::IntoUrl;
use crate::deadline::{Budget, Deadline};
use crate::error::{Kind, Phase};
use crate::url::Url;
use crate::{Client, Error};
use std::time::Duration;

/// The most of a refusal's body (a non-101 answer) that is kept.
const REFUSAL_BODY_MAX: usize = 64 * 1024;

impl Client {
    /// A WebSocket connection to `url` (`ws://` or `wss://`; `http://` and
    /// `https://` are taken as their WebSocket counterparts), opened by
    /// [`WebSocketBuilder::connect`].
    ///
    /// The handshake goes through this client's transport: its TLS
    /// configuration, proxies (always through a CONNECT tunnel, since a
    /// proxy forwarding plain requests would not pass the upgrade on),
    /// connect and TLS budgets, user agent, default headers and cookie jar
    /// (its cookies go with the handshake, and the answer's `Set-Cookie`
    /// goes into it). The connection is the WebSocket's alone; it never
    /// returns to the pool.
    ///
    /// ```no_run
    /// use brisk::ws::Message;
    ///
    /// # async fn run() -> Result<(), brisk::Error> {
    /// let client = brisk::Client::new();
    /// let mut ws = client
    ///     .websocket("wss://api.openai.com/v1/realtime?model=gpt-realtime")
    ///     .bearer_auth("sk-...")
    ///     .connect()
    ///     .await?;
    /// ws.send(Message::text(r#"{"type":"response.create"}"#)).await?;
    /// while let Some(message) = ws.recv().await? {
    ///     println!("{message:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn websocket(&self, url: impl AsRef<str>) -> WebSocketBuilder {
        WebSocketBuilder {
            client: self.clone(),
            url: http_url(url.as_ref()),
            headers: Vec::new(),
            protocols: Vec::new(),
            settings: Settings::default(),
            deflate: true,
            handshake_timeout: None,
        }
    }
}

/// `ws://` as `http://`, `wss://` as `https://` (RFC 6455 §3): the
/// handshake is an HTTP request to the same place.
fn http_url(url: &str) -> Result<Url, Error> {
    let mapped = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("ws") => format!("http://{rest}"),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("wss") => format!("https://{rest}"),
        _ => url.to_owned(),
    };
    mapped.as_str().into_url()
}

/// Settings for one WebSocket connection, from [`Client::websocket`].
#[must_use = "a builder does nothing until `connect` is awaited"]
pub struct WebSocketBuilder {
    client: Client,
    url: Result<Url, Error>,
    headers: Vec<(String, String)>,
    protocols: Vec<String>,
    settings: Settings,
    deflate: bool,
    handshake_timeout: Option<Duration>,
}

impl std::fmt::Debug for WebSocketBuilder {
    // Header values are left out: they may hold credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketBuilder")
            .field("url", &self.url.as_ref().map(Url::as_str))
            .field("protocols", &self.protocols)
            .field("deflate", &self.deflate)
            .finish_non_exhaustive()
    }
}

impl WebSocketBuilder {
    /// Adds a header to the handshake request (after the client's
    /// defaults; a name given here replaces a default of the same name).
    /// Invalid names or values fail [`WebSocketBuilder::connect`].
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// `Authorization: Bearer <token>`, as OpenAI's Realtime API wants.
    pub fn bearer_auth(self, token: impl std::fmt::Display) -> Self {
        self.header("Authorization", format!("Bearer {token}"))
    }

    /// Offers a subprotocol (`Sec-WebSocket-Protocol`), in order of
    /// preference. The server may pick one of these or none;
    /// [`WebSocket::protocol`] says which.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// The limits on what the server may send (see [`Limits`]).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.settings.limits = limits;
        self
    }

    /// Whether to offer permessage-deflate (RFC 7692); on by default.
    /// brisk inflates what the server compresses and sends its own
    /// messages uncompressed, which the extension allows (RFC 7692 §6: a
    /// message is compressed only if its first frame says so).
    pub fn deflate(mut self, on: bool) -> Self {
        self.deflate = on;
        self
    }

    /// A bound on the whole handshake: connect, TLS, the request and the
    /// 101 (default: the client's own budgets for each phase).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = Some(timeout);
        self
    }

    /// Sends a ping whenever this long has passed since the last one
    /// while [`WebSocket::recv`] waits (default: none).
    pub fn ping_interval(mut self, every: Duration) -> Self {
        self.settings.ping_interval = Some(every);
        self
    }

    /// Fails [`WebSocket::recv`] with a timeout error when nothing at all
    /// arrives for this long (default: none; with a ping interval
    /// shorter than it, a live server always answers in time).
    pub fn read_idle_timeout(mut self, timeout: Duration) -> Self {
        self.settings.read_idle_timeout = Some(timeout);
        self
    }

    /// How long the closing handshake waits for the server's close frame
    /// and then its TCP close (default 5 s); past it, the connection is
    /// dropped.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.settings.close_timeout = timeout;
        self
    }

    /// Opens the connection and performs the handshake (RFC 6455 §4.1).
    ///
    /// # Errors
    ///
    /// Whatever connecting can fail with, as for a request; a status
    /// other than 101 is an error with [`Error::status`] set and a
    /// [`HandshakeError::Rejected`] source holding the start of the
    /// body; a 101 that fails the checks of RFC 6455 §4.1 is a protocol
    /// error with a [`HandshakeError`] source.
    pub async fn connect(self) -> Result<WebSocket, Error> {
        let url = self.url?;
        let shared = &self.client.shared;
        let mut budgets = shared.timeouts;
        if let Some(t) = self.handshake_timeout {
            budgets.set(Budget::Total, Some(t));
        }
        let deadline = Deadline::start(budgets);
        let proxy = shared.proxies.route(&url)?;
        let (conn, _timings) = Box::pin(self.client.connect(&url, proxy, true, &deadline))
            .await
            .map_err(|e| e.or_url(&url))?;
        let mut conn = conn;
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&crate::trace::ids::next_random().to_ne_bytes());
        nonce[8..].copy_from_slice(&crate::trace::ids::next_random().to_ne_bytes());
        let key = crate::base64::encode(&nonce);
        let protocols = self.protocols.join(", ");
        let mut fields: Vec<(&[u8], &[u8])> = vec![
            (b"Upgrade", b"websocket"),
            (b"Connection", b"Upgrade"),
            (b"Sec-WebSocket-Key", key.as_bytes()),
            (b"Sec-WebSocket-Version", b"13"),
        ];
        if !self.protocols.is_empty() {
            fields.push((b"Sec-WebSocket-Protocol", protocols.as_bytes()));
        }
        if self.deflate {
            fields.push((b"Sec-WebSocket-Extensions", DEFLATE_OFFER.as_bytes()));
        }
        let own = |name: &[u8]| {
            self.headers
                .iter()
                .any(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        };
        for (name, value) in shared.default_headers.fields.iter() {
            let name = name.as_bytes();
            if !name.eq_ignore_ascii_case(b"accept") && !own(name) {
                fields.push((name, value.as_bytes()));
            }
        }
        for (name, value) in &self.headers {
            fields.push((name.as_bytes(), value.as_bytes()));
        }
        // The client's cookie jar, as on any request: its `Cookie` field,
        // unless the caller set one of its own (see `crate::cookie`).
        let jar_cookie = (shared.cookies.as_ref())
            .filter(|_| !own(b"cookie") && !shared.default_headers.fields.contains_key("cookie"))
            .and_then(|store| store.cookies(&url));
        if let Some(value) = &jar_cookie {
            fields.push((b"Cookie", value.as_bytes()));
        }
        conn.prepare_request("GET", |buf| {
            let head = crate::h1::RequestHead {
                method: "GET",
                target: url.request_target(),
                host: url.authority(),
                headers: fields.iter().copied(),
                body: crate::h1::BodyFraming::None,
            };
            crate::h1::encode_request_head(&head, buf)?;
            Ok(())
        })
        .map_err(|e| e.or_url(&url))?;
        conn.write_request(&deadline)
            .await
            .map_err(|e| e.or_url(&url))?;
        let head = conn
            .read_head(&deadline)
            .await
            .map_err(|e| e.or_url(&url))?;
        if let Some(store) = &shared.cookies {
            let mut set = head.headers.get_all("set-cookie").into_iter().peekable();
            if set.peek().is_some() {
                store.set_cookies(&mut set, &url);
            }
        }
        if head.status != 101 {
            let body = refusal_body(&mut conn, &deadline).await;
            let refusal = HandshakeError::Rejected {
                status: head.status,
                body,
            };
            return Err(Error::new(Kind::Status(head.status))
                .with_phase(Phase::ReadHead)
                .or_url(&url)
                .with_source(refusal));
        }
        let agreed =
            check_answer(&head.headers, &key, &self.protocols, self.deflate).map_err(|e| {
                Error::new(Kind::WebSocket)
                    .with_phase(Phase::ReadHead)
                    .or_url(&url)
                    .with_source(e)
            })?;
        let (stream, rest) = (*conn).into_upgraded();
        Ok(WebSocket::new(stream, rest, agreed, self.settings))
    }
}

/// The start of a refusal's body, best effort: what arrives within the
/// read budget, up to [`REFUSAL_BODY_MAX`] bytes.
async fn refusal_body(conn: &mut crate::conn::Conn, deadline: &Deadline) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < REFUSAL_BODY_MAX {
        match conn.read_body(crate::conn::Dest::Lend, deadline).await {
            Ok(crate::conn::BodyPart::Data(data)) => {
                let room = REFUSAL_BODY_MAX - body.len();
                body.extend_from_slice(&data[..data.len().min(room)]);
            }
            _ => break,
        }
    }
    body
}
