//! Settings kept for code written for reqwest, over real sockets: what
//! each one does on the wire (or that it refuses before connecting).

mod support;

use brisk::{Client, Version};
use std::time::Duration;
use support::server::{ok, recording, serve_each, Scripted};

#[tokio::test]
async fn https_only_refuses_an_http_url_before_connecting() {
    let (server, _seen) = recording("").await;
    let client = Client::builder().https_only(true).build().unwrap();
    let err = client.get(server.url("/")).send().await.unwrap_err();
    assert!(err.is_builder(), "{err}");
    assert_eq!(
        err.url().map(|u| u.as_str().to_string()),
        Some(server.url("/"))
    );
    assert_eq!(server.accepted(), 0);
    // The same client without the setting would have connected.
    let resp = Client::new().get(server.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_version_other_than_http_11_is_refused_before_connecting() {
    let (server, _seen) = recording("").await;
    let client = Client::new();
    let err = client
        .get(server.url("/"))
        .version(Version::HTTP_10)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_builder(), "{err}");
    assert_eq!(server.accepted(), 0);
    let resp = client
        .get(server.url("/"))
        .version(Version::HTTP_11)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn no_idle_timeout_keeps_connections_for_reuse() {
    let server = Scripted::start(|stream, _| serve_each(stream, |_| ok("hi"))).await;
    let client = Client::builder().pool_idle_timeout(None).build().unwrap();
    for _ in 0..3 {
        let resp = client.get(server.url("/")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "hi");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.accepted(), 1);
    assert_eq!(client.stats().requests_reused, 2);
}
