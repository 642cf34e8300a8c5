//! The mock server (`brisk::mock`) at an address of the caller's choosing,
//! as a Python or Node test suite (or `examples/mock.rs`) needs it.
#![cfg(feature = "mock")]

use brisk::mock::MockServer;
use brisk::Client;
use std::net::{Ipv4Addr, SocketAddr};

/// A port nobody listens on now (the system's pick, let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_chosen_port_is_served_and_a_taken_one_refused() {
    let port = free_port();
    let server = MockServer::builder().port(port).start().await.unwrap();
    assert_eq!(server.addr(), SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    assert_eq!(server.base_url(), format!("http://127.0.0.1:{port}/v1"));
    let resp = Client::new()
        .get(format!("http://127.0.0.1:{port}/v1/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    let taken = MockServer::builder().port(port).start().await.unwrap_err();
    assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse);
}

/// Listening on every interface, its URLs still name one a client can
/// connect to.
#[tokio::test]
async fn an_unspecified_address_gives_loopback_urls() {
    let server = MockServer::builder()
        .addr((Ipv4Addr::UNSPECIFIED, 0))
        .start()
        .await
        .unwrap();
    assert!(server.addr().ip().is_unspecified());
    let port = server.addr().port();
    assert_eq!(server.url(), format!("http://127.0.0.1:{port}"));
    let resp = Client::new()
        .get(format!("{}/models", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}
