//! The benchmark server as a process of its own, so it can be pinned:
//!
//! ```text
//! taskset -c 0 server [--port P] [--tls] [--cert-out FILE.der] [--port-file FILE]
//! ```
//!
//! Port 0 (the default) picks a free port. Once listening it prints
//! `listening on 127.0.0.1:P`, writes P to `--port-file` and, with `--tls`,
//! the certificate's DER to `--cert-out` (default `bench-cert.der`). It runs
//! until killed. Routes: see `src/server.rs`.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use brisk_benches::server::{bind, serve, TlsIdentity};

fn main() {
    if let Err(e) = run() {
        eprintln!("server: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut port = 0u16;
    let mut tls = false;
    let mut cert_out = "bench-cert.der".to_string();
    let mut port_file = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => port = value()?.parse()?,
            "--tls" => tls = true,
            "--cert-out" => cert_out = value()?,
            "--port-file" => port_file = Some(value()?),
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let identity = tls.then(TlsIdentity::generate);
    if let Some(id) = &identity {
        write_atomically(&cert_out, &id.cert_der)?;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = bind(port)?;
        let addr = listener.local_addr()?;
        println!("listening on {addr}{}", if tls { " (tls)" } else { "" });
        if let Some(file) = &port_file {
            write_atomically(file, addr.port().to_string().as_bytes())?;
        }
        serve(listener, identity, Arc::new(AtomicU64::new(0))).await?;
        Ok(())
    })
}

/// Writes through a temporary file and a rename, so a script polling for
/// `path` never reads it half-written.
fn write_atomically(path: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = format!("{path}.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}
