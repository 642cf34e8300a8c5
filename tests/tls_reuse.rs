//! Reuse over TLS: a `close_notify` that arrived with the last response,
//! and was read into rustls with it, keeps the connection out of reuse,
//! though the kernel holds nothing more and the TCP connection stays open.
#![cfg(feature = "tls")]

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Serves each connection: requests are read whole (head and a
/// Content-Length body); the second answer on a connection goes out in one
/// write with a `close_notify` after it, and the TCP connection is then
/// held open. Requests that arrive after the `close_notify` are counted.
fn serve(listener: TcpListener, config: Arc<rustls::ServerConfig>, late: Arc<AtomicUsize>) {
    for tcp in listener.incoming() {
        let Ok(mut tcp) = tcp else { return };
        let (config, late) = (config.clone(), late.clone());
        std::thread::spawn(move || {
            let mut tls = rustls::ServerConnection::new(config).unwrap();
            let mut plain = Vec::new();
            let mut answered = 0;
            let mut buf = [0u8; 4096];
            loop {
                // Move records both ways until a whole request is in.
                while tls.wants_write() {
                    let mut out = Vec::new();
                    tls.write_tls(&mut out).unwrap();
                    if tcp.write_all(&out).is_err() {
                        return;
                    }
                }
                let request_end = plain
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map(|h| h + 4 + 2); // every body here is "{}"
                if let Some(end) = request_end.filter(|&e| plain.len() >= e) {
                    plain.drain(..end);
                    if answered == 2 {
                        late.fetch_add(1, Ordering::SeqCst);
                        continue;
                    }
                    answered += 1;
                    let body = format!("answer {answered}");
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    tls.writer().write_all(resp.as_bytes()).unwrap();
                    if answered == 2 {
                        tls.send_close_notify();
                    }
                    // All records of this answer in one write.
                    let mut out = Vec::new();
                    while tls.wants_write() {
                        tls.write_tls(&mut out).unwrap();
                    }
                    if tcp.write_all(&out).is_err() {
                        return;
                    }
                    continue;
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
        });
    }
}

#[tokio::test]
async fn a_close_notify_read_with_the_last_response_keeps_the_connection_out() {
    let (config, ca) = support::fault::tls_setup();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let late = Arc::new(AtomicUsize::new(0));
    let counter = late.clone();
    std::thread::spawn(move || serve(listener, config, counter));
    let client = brisk::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(brisk::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();
    let url = format!("https://localhost:{port}/v1/chat/completions");
    for round in 0..3 {
        let first = client.post(&url).body("{}").send().await.unwrap();
        assert_eq!(first.text().await.unwrap(), "answer 1");
        let second = client.post(&url).body("{}").send().await.unwrap();
        assert!(second.reused(), "round {round}");
        assert_eq!(second.text().await.unwrap(), "answer 2");
        tokio::time::sleep(Duration::from_millis(20)).await;
        // Not safe to repeat: written into the closed session it would fail.
        let third = client.post(&url).body("{}").send().await.unwrap();
        assert!(!third.reused(), "round {round}");
        assert_eq!(third.text().await.unwrap(), "answer 1");
        // The third's connection is fresh; start the next round on one.
        drop(client.post(&url).body("{}").send().await.unwrap());
    }
    assert_eq!(late.load(Ordering::SeqCst), 0);
}
