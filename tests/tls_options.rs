//! The client's TLS and connection options against real servers: mutual
//! TLS, version bounds and SNI against nginx; DNS overrides, the local
//! address and TCP keep-alive over loopback sockets.

#![cfg(feature = "tls")]

mod support;

use brisk::{Client, ClientBuilder, TlsFailure};
use std::net::SocketAddr;
use support::nginx::{Nginx, HELLO_BODY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn ok<T>(nginx: &Nginx, r: Result<T, brisk::Error>) -> T {
    r.unwrap_or_else(|e| panic!("{e}\n{e:?}\n{}", nginx.error_log()))
}

/// A builder trusting only the test CA.
fn trusting_ca(nginx: &Nginx) -> ClientBuilder {
    let pem = std::fs::read(&nginx.certs.ca_cert).unwrap();
    let ca = brisk::Certificate::from_pem(&pem).unwrap();
    Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
}

fn identity(cert: &std::path::Path, key: &std::path::Path) -> brisk::Identity {
    let mut pem = std::fs::read(cert).unwrap();
    pem.extend(std::fs::read(key).unwrap());
    brisk::Identity::from_pem(&pem).unwrap()
}

async fn text(nginx: &Nginx, client: &Client, url: &str) -> (u16, String) {
    let resp = ok(nginx, client.get(url).send().await);
    let status = resp.status().as_u16();
    (status, ok(nginx, resp.text().await))
}

#[tokio::test]
async fn mtls_the_right_client_certificate_is_let_in() {
    let Some(nginx) = Nginx::start() else { return };
    let id = identity(&nginx.certs.client_cert, &nginx.certs.client_key);
    let client = ok(&nginx, trusting_ca(&nginx).identity(id).build());
    let url = format!("https://localhost:{}/whoami", nginx.mtls_port);
    let (status, who) = text(&nginx, &client, &url).await;
    assert_eq!(status, 200);
    assert!(who.contains("CN=brisk test client"), "{who}");
    // Reused: the identity holds for the connection's life.
    let url = format!("https://localhost:{}/hello.txt", nginx.mtls_port);
    let (status, body) = text(&nginx, &client, &url).await;
    assert_eq!((status, body.as_str()), (200, HELLO_BODY));
}

#[tokio::test]
async fn mtls_without_a_client_certificate_is_refused() {
    let Some(nginx) = Nginx::start() else { return };
    let client = ok(&nginx, trusting_ca(&nginx).build());
    let url = format!("https://localhost:{}/whoami", nginx.mtls_port);
    // nginx completes the handshake and refuses at the HTTP level.
    let (status, body) = text(&nginx, &client, &url).await;
    assert_eq!(status, 400);
    assert!(body.contains("No required SSL certificate"), "{body}");
}

#[tokio::test]
async fn mtls_a_certificate_from_another_ca_is_refused() {
    let Some(nginx) = Nginx::start() else { return };
    let id = identity(
        &nginx.certs.stranger_client_cert,
        &nginx.certs.stranger_client_key,
    );
    let client = ok(&nginx, trusting_ca(&nginx).identity(id).build());
    let url = format!("https://localhost:{}/whoami", nginx.mtls_port);
    // nginx takes any certificate in the handshake and judges it after.
    let (status, body) = text(&nginx, &client, &url).await;
    assert_eq!(status, 400);
    assert!(body.contains("SSL certificate error"), "{body}");
}

/// `openssl s_server` requiring a client certificate from the test CA
/// (`-Verify`: the handshake fails without one, as nginx's does not).
struct StrictServer {
    child: std::process::Child,
    port: u16,
}

impl Drop for StrictServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn strict_server(nginx: &Nginx) -> StrictServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = &nginx.certs;
    let child = std::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&c.server_cert)
        .arg("-key")
        .arg(&c.server_key)
        .arg("-CAfile")
        .arg(&c.ca_cert)
        .args(["-Verify", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl s_server");
    let server = StrictServer { child, port };
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("openssl s_server did not come up");
}

#[tokio::test]
async fn mtls_a_refusing_handshake_is_a_typed_tls_error() {
    let Some(nginx) = Nginx::start() else { return };
    let server = strict_server(&nginx).await;
    let url = format!("https://localhost:{}/", server.port);
    let no_retry = || trusting_ca(&nginx).retry(brisk::RetryPolicy::none());
    // No certificate: the server ends the handshake with an alert
    // (`certificate_required` under TLS 1.3, after the client's Finished,
    // so brisk meets it on its first read). (s_server's own check lets a
    // certificate from another CA through, as nginx's does.)
    let client = ok(&nginx, no_retry().build());
    let e = match client.get(&url).send().await {
        Ok(resp) => panic!("expected a refusal, got {}", resp.status()),
        Err(e) => e,
    };
    assert!(e.is_tls(), "{e:?}");
    assert_eq!(
        e.tls_failure(),
        Some(TlsFailure::ClientCertificateRejected),
        "{e:?}"
    );
    // With the right certificate, the same server answers.
    let id = identity(&nginx.certs.client_cert, &nginx.certs.client_key);
    let client = ok(&nginx, no_retry().identity(id).build());
    let resp = ok(&nginx, client.get(&url).send().await);
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn an_identity_whose_key_is_not_its_certificates_fails_the_build() {
    let Some(nginx) = Nginx::start() else { return };
    let id = identity(&nginx.certs.client_cert, &nginx.certs.server_key);
    assert!(trusting_ca(&nginx)
        .identity(id)
        .build()
        .unwrap_err()
        .is_builder());
}

#[tokio::test]
async fn tls_versions_bound_what_is_offered() {
    use brisk::tls::Version;
    let Some(nginx) = Nginx::start() else { return };
    let url = format!("https://localhost:{}/tls-protocol", nginx.https_port);
    let client = ok(&nginx, trusting_ca(&nginx).build());
    assert_eq!(text(&nginx, &client, &url).await.1, "TLSv1.3");
    let client = ok(
        &nginx,
        trusting_ca(&nginx)
            .max_tls_version(Version::TLS_1_2)
            .build(),
    );
    assert_eq!(text(&nginx, &client, &url).await.1, "TLSv1.2");
    // A server of TLS 1.2 alone, to a client that wants 1.3 at least.
    let old = format!("https://localhost:{}/tls-protocol", nginx.tls12_port);
    let client = ok(&nginx, trusting_ca(&nginx).build());
    assert_eq!(text(&nginx, &client, &old).await.1, "TLSv1.2");
    let client = ok(
        &nginx,
        trusting_ca(&nginx)
            .min_tls_version(Version::TLS_1_3)
            .build(),
    );
    let e = client.get(&old).send().await.unwrap_err();
    assert_eq!(e.tls_failure(), Some(TlsFailure::Handshake), "{e:?}");
    // An empty range is the caller's mistake.
    let empty = trusting_ca(&nginx)
        .min_tls_version(Version::TLS_1_3)
        .max_tls_version(Version::TLS_1_2)
        .build();
    assert!(empty.unwrap_err().is_builder());
}

#[tokio::test]
async fn sni_can_be_left_out() {
    let Some(nginx) = Nginx::start() else { return };
    let url = format!("https://localhost:{}/tls-sni", nginx.https_port);
    let client = ok(&nginx, trusting_ca(&nginx).build());
    assert_eq!(text(&nginx, &client, &url).await.1, "[localhost]");
    // Without SNI the certificate is still checked against `localhost`.
    let client = ok(&nginx, trusting_ca(&nginx).tls_sni(false).build());
    assert_eq!(text(&nginx, &client, &url).await.1, "[]");
}

#[tokio::test]
async fn resolve_keeps_sni_and_the_certificate_check_on_the_name() {
    let Some(nginx) = Nginx::start() else { return };
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    // `localhost` sent to nginx's port by the override (the URL has none).
    let to_port = SocketAddr::new(loopback.ip(), nginx.https_port);
    let client = ok(
        &nginx,
        trusting_ca(&nginx).resolve("LocalHost", to_port).build(),
    );
    let (status, sni) = text(&nginx, &client, "https://localhost/tls-sni").await;
    assert_eq!((status, sni.as_str()), (200, "[localhost]"));
    // A made-up name led to the same server: its certificate (for
    // `localhost`) is not valid for the name, and the name is what is
    // checked.
    let client = ok(
        &nginx,
        trusting_ca(&nginx)
            .resolve("brisk-made-up.test", loopback)
            .build(),
    );
    let url = format!("https://brisk-made-up.test:{}/hello.txt", nginx.https_port);
    let e = client.get(&url).send().await.unwrap_err();
    assert_eq!(e.tls_failure(), Some(TlsFailure::NotValidForName), "{e:?}");
}

/// Accepts one connection, reads one request head, answers 200 with an
/// empty body and keeps the connection open until the returned sender is
/// dropped; returns the head and the client's address.
async fn one_request(
    listener: TcpListener,
) -> (String, SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let (mut socket, peer) = listener.accept().await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.ends_with(b"\r\n\r\n") {
        let n = socket.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed mid-head");
        head.extend_from_slice(&buf[..n]);
    }
    socket
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        .await
        .unwrap();
    let (hold, release) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = release.await;
        drop(socket);
    });
    (String::from_utf8(head).unwrap(), peer, hold)
}

#[tokio::test]
async fn resolve_sends_the_host_header_with_the_name() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(one_request(listener));
    let client = Client::builder()
        .resolve_to_addrs("api.brisk-made-up.test", &["127.0.0.1:0".parse().unwrap()])
        .build()
        .unwrap();
    let url = format!("http://api.brisk-made-up.test:{port}/v1");
    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let (head, _, _) = server.await.unwrap();
    assert!(
        head.contains(&format!("\r\nhost: api.brisk-made-up.test:{port}\r\n"))
            || head.contains(&format!("\r\nHost: api.brisk-made-up.test:{port}\r\n")),
        "{head}"
    );
    // An override with no address fails in the DNS phase, never asking DNS.
    let client = Client::builder()
        .resolve_to_addrs("localhost", &[])
        .build()
        .unwrap();
    let e = client
        .get(format!("http://localhost:{port}/"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.phase(), Some(brisk::Phase::Dns), "{e:?}");
}

#[tokio::test]
async fn local_address_is_where_connections_come_from() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(one_request(listener));
    let from: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let client = Client::builder().local_address(from).build().unwrap();
    let resp = client
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, peer, _) = server.await.unwrap();
    assert_eq!(peer.ip(), from);
    // An IPv6 local address cannot reach an IPv4 server.
    let client = Client::builder()
        .local_address("::1".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let e = client
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_connect(), "{e:?}");
}

/// The kernel's timer for the TCP socket bound locally to `port`
/// (`/proc/net/tcp`'s `tr` column: 2 is the keep-alive timer).
#[cfg(target_os = "linux")]
fn timer_of(port: u16) -> Option<u32> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let local = format!("0100007F:{port:04X}");
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // 01 is ESTABLISHED.
        if fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&"01") {
            let timer = fields.get(5)?.split(':').next()?;
            u32::from_str_radix(timer, 16).ok()
        } else {
            None
        }
    })
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn tcp_keepalive_turns_the_kernels_keepalive_timer_on() {
    for keepalive in [false, true] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(one_request(listener));
        let mut builder = Client::builder();
        if keepalive {
            builder = builder.tcp_keepalive(std::time::Duration::from_secs(60));
        }
        let client = builder.build().unwrap();
        let resp = client
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .unwrap();
        resp.bytes().await.unwrap();
        // The connection idles in the pool, the server holding it open.
        let (_, peer, hold) = server.await.unwrap();
        let timer = timer_of(peer.port()).expect("the client's socket in /proc/net/tcp");
        assert_eq!(
            timer == 2,
            keepalive,
            "timer {timer}, keepalive {keepalive}"
        );
        drop(hold);
    }
}
