//! The key exchange brisk offers and gets over TLS 1.3, against a rustls
//! server: with the `aws-lc-rs` feature, the post-quantum hybrid
//! X25519MLKEM768, offered first (its key share in the ClientHello, so no
//! HelloRetryRequest is needed) and negotiated; with ring, the default,
//! secp384r1, which rustls 0.23.48 put first among ring's groups (0.23.46
//! put X25519 first).
#![cfg(feature = "tls")]

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

/// TLS's code for the group (IANA "TLS Supported Groups"), and its name as
/// rustls spells it.
#[cfg(feature = "aws-lc-rs")]
const EXPECTED: (u16, &str) = (0x11ec, "X25519MLKEM768");
#[cfg(not(feature = "aws-lc-rs"))]
const EXPECTED: (u16, &str) = (0x0018, "secp384r1");

/// What the server saw of one handshake.
#[derive(Debug)]
struct Seen {
    /// The groups of the ClientHello's key shares, in the client's order.
    key_shares: Vec<u16>,
    /// The group the handshake settled on.
    negotiated: Option<String>,
}

/// Accepts one connection: keeps the ClientHello's bytes, completes the
/// handshake through rustls, answers one request with `200 OK`, and sends
/// what it saw.
fn serve_once(listener: TcpListener, config: std::sync::Arc<rustls::ServerConfig>) -> Seen {
    let (mut tcp, _) = listener.accept().unwrap();
    let mut tls = rustls::ServerConnection::new(config).unwrap();
    let mut first_record = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut plain = Vec::new();
    loop {
        while tls.wants_write() {
            let mut out = Vec::new();
            tls.write_tls(&mut out).unwrap();
            tcp.write_all(&out).unwrap();
        }
        if plain.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
        let n = tcp.read(&mut buf).unwrap();
        assert!(n > 0, "the client closed before its request");
        if first_record.len() < record_len(&first_record) {
            first_record.extend_from_slice(&buf[..n]);
        }
        tls.read_tls(&mut &buf[..n]).unwrap();
        tls.process_new_packets().unwrap();
        let _ = tls.reader().read_to_end(&mut plain);
    }
    let negotiated = tls
        .negotiated_key_exchange_group()
        .map(|g| format!("{:?}", g.name()));
    tls.writer()
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        .unwrap();
    while tls.wants_write() {
        let mut out = Vec::new();
        tls.write_tls(&mut out).unwrap();
        tcp.write_all(&out).unwrap();
    }
    Seen {
        key_shares: key_share_groups(&first_record),
        negotiated,
    }
}

/// The length of a TLS record whose first bytes are `bytes` (usize::MAX
/// while its 5-byte header is incomplete).
fn record_len(bytes: &[u8]) -> usize {
    if bytes.len() < 5 {
        return usize::MAX;
    }
    5 + usize::from(u16::from_be_bytes([bytes[3], bytes[4]]))
}

/// The groups of the `key_share` extension (RFC 8446 §4.2.8) of a
/// ClientHello record, in order; walks the fields of RFC 8446 §4.1.2.
fn key_share_groups(record: &[u8]) -> Vec<u16> {
    let be16 = |at: usize| usize::from(u16::from_be_bytes([record[at], record[at + 1]]));
    assert_eq!(record[0], 22, "a handshake record");
    assert_eq!(record[5], 1, "a ClientHello");
    // Record header 5, handshake header 4, legacy_version 2, random 32.
    let mut at = 5 + 4 + 2 + 32;
    at += 1 + usize::from(record[at]); // legacy_session_id
    at += 2 + be16(at); // cipher_suites
    at += 1 + usize::from(record[at]); // legacy_compression_methods
    let extensions_end = at + 2 + be16(at);
    at += 2;
    while at < extensions_end {
        let (kind, len) = (be16(at), be16(at + 2));
        let body = at + 4;
        if kind == 51 {
            let mut groups = Vec::new();
            let shares_end = body + 2 + be16(body);
            let mut share = body + 2;
            while share < shares_end {
                groups.push(be16(share) as u16);
                share += 4 + be16(share + 2);
            }
            return groups;
        }
        at = body + len;
    }
    panic!("no key_share extension in the ClientHello");
}

#[tokio::test]
async fn key_exchange_is_the_providers_preferred_group() {
    let (config, ca) = support::fault::tls_setup();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(serve_once(listener, config)).unwrap());

    let client = brisk::Client::builder()
        .add_root_certificate(brisk::Certificate::from_pem(&ca).unwrap())
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    let resp = client
        .get(format!("https://localhost:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok");

    let seen = rx.recv().unwrap();
    assert_eq!(
        seen.key_shares.first(),
        Some(&EXPECTED.0),
        "the first key share offered: {seen:?}"
    );
    assert_eq!(
        seen.negotiated.as_deref(),
        Some(EXPECTED.1),
        "the group negotiated: {seen:?}"
    );
}
