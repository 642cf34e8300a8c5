//! A TLS failure after the handshake is the session's, not the
//! handshake's: it is reported as [`TlsFailure::Session`] in the phase it
//! happened, and retried (or not) as a broken connection would be, never
//! as a failed handshake.
#![cfg(feature = "tls")]

mod support;

use brisk::{Phase, RetryPolicy, TlsFailure};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Completes each handshake, reads the request head, then writes an
/// application-data record that cannot decrypt (a bad record MAC for the
/// client) straight onto the TCP socket, and waits for the client to close.
fn serve(listener: TcpListener, config: Arc<rustls::ServerConfig>, accepted: Arc<AtomicUsize>) {
    for tcp in listener.incoming() {
        let Ok(mut tcp) = tcp else { return };
        accepted.fetch_add(1, Ordering::SeqCst);
        let config = config.clone();
        std::thread::spawn(move || {
            let mut tls = rustls::ServerConnection::new(config).unwrap();
            let mut plain = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                while tls.wants_write() {
                    let mut out = Vec::new();
                    tls.write_tls(&mut out).unwrap();
                    if tcp.write_all(&out).is_err() {
                        return;
                    }
                }
                if plain.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
                let n = match tcp.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                tls.read_tls(&mut &buf[..n]).unwrap();
                if tls.process_new_packets().is_err() {
                    return;
                }
                let _ = tls.reader().read_to_end(&mut plain);
            }
            // TLS 1.2/1.3 application data, 32 bytes of garbage.
            let mut record = vec![0x17, 0x03, 0x03, 0x00, 0x20];
            record.extend_from_slice(&[0x5a; 32]);
            let _ = tcp.write_all(&record);
            while matches!(tcp.read(&mut buf), Ok(n) if n > 0) {}
        });
    }
}

#[tokio::test]
async fn a_bad_record_after_the_handshake_is_a_session_failure_not_retried_as_a_handshake() {
    let (config, ca) = support::fault::tls_setup();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || serve(listener, config, counter));
    let client = brisk::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(brisk::Certificate::from_pem(&ca).unwrap())
        .retry(RetryPolicy::default().attempts(3))
        .build()
        .unwrap();
    let url = format!("https://localhost:{port}/");
    let e = client.get(&url).send().await.unwrap_err();
    assert!(e.is_tls(), "{e:?}");
    assert_eq!(e.tls_failure(), Some(TlsFailure::Session), "{e:?}");
    assert_eq!(e.phase(), Some(Phase::ReadHead), "{e:?}");
    // The request went out on a fresh connection and the session broke
    // before any response: the server may have acted, so (as for any
    // broken fresh connection) it is not retried. A handshake failure
    // would have been retried, on new connections.
    assert_eq!(e.attempts(), 1, "{e:?}");
    assert!(e.retries().is_empty(), "{e:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    assert!(e.to_string().contains("session"), "{e}");
}
