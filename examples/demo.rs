//! The main job, self-contained: starts a tiny HTTP/1.1 server on loopback
//! (plain std, one thread) and calls it with brisk a few times, printing
//! what each call cost and whether it reused the connection.
//!
//! ```text
//! cargo run --example demo
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = brisk::Client::builder().timeout(Duration::from_secs(5)).build()?;
        for path in ["/", "/hello", "/chunked", "/"] {
            let resp = client.get(format!("http://{addr}{path}")).send().await?;
            let (status, reused) = (resp.status(), resp.reused());
            let mut resp = resp;
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await? {
                body.extend_from_slice(&chunk);
            }
            let t = resp.timings();
            println!(
                "GET {path:<9} {status} reused={reused:<5} connect={:>8.1?} ttfb={:>8.1?} total={:>8.1?} body={:?}",
                t.connect,
                t.ttfb,
                t.total,
                String::from_utf8_lossy(&body)
            );
        }
        let stats = client.stats();
        println!(
            "{} requests over {} connection(s), reuse ratio {:.2}",
            stats.requests_sent,
            stats.connections_opened,
            stats.reuse_ratio()
        );
        Ok::<_, brisk::Error>(())
    })?;
    Ok(())
}

/// Answers requests on one connection until the client closes it.
fn serve(stream: std::net::TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the socket"));
    let mut out = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        // Skip the header fields; these requests have no body.
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
        }
        let path = request_line.split(' ').nth(1).unwrap_or("/");
        let reply: &[u8] = match path {
            "/chunked" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nchunks\r\n7\r\n arrive\r\n0\r\n\r\n",
            "/hello" => b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\nhello from brisk!",
            _ => b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, world!",
        };
        if out.write_all(reply).is_err() {
            return;
        }
    }
}
