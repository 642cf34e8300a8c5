//! One GET over TLS with brisk's four dependencies alone: prints the status
//! line and whether the body parses as JSON.

use std::io::{Read, Write};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let host = std::env::args().nth(1).unwrap_or_else(|| "example.com".into());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        // ring, as brisk uses by default (rustls 0.23.48 deprecates its provider
        // for want of post-quantum key exchange).
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(host.clone())?;
        let mut tls = rustls::ClientConnection::new(Arc::new(config), name)?;
        let mut tcp = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            tokio::net::TcpStream::connect((host.as_str(), 443)),
        )
        .await??;
        let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        tls.writer().write_all(request.as_bytes())?;
        let mut plain = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            // Drive rustls by hand: flush its records, feed it the socket's.
            let mut out = Vec::new();
            while tls.wants_write() {
                tls.write_tls(&mut out)?;
            }
            tcp.write_all(&out).await?;
            let n = tcp.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            tls.read_tls(&mut &buf[..n])?;
            tls.process_new_packets()?;
            let _ = tls.reader().read_to_end(&mut plain);
        }
        let head_end = plain.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(plain.len());
        let status = String::from_utf8_lossy(&plain[..plain.len().min(12)]).into_owned();
        let body = &plain[(head_end + 4).min(plain.len())..];
        let json = serde_json::from_slice::<serde_json::Value>(body).is_ok();
        println!("{status} {} bytes, json: {json}", body.len());
        Ok(())
    })
}
