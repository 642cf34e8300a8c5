//! Requests built once and sent later, cloned, and changed in between,
//! over real sockets: what reaches the wire each time.

mod support;

use brisk::header::{HeaderValue, ACCEPT};
use brisk::{Body, Client, Method, Request, RequestBuilder, Url};
use std::time::{Duration, Instant};
use support::server::{recording, Scripted};

#[tokio::test]
async fn a_built_request_is_changed_cloned_and_sent_twice() {
    let (server, mut seen) = recording("ok").await;
    let client = Client::new();
    let mut req = client
        .post(server.url("/items"))
        .header("x-trace", "1")
        .body("payload")
        .build()
        .unwrap();
    assert_eq!(req.method(), &Method::POST);
    assert_eq!(req.url().path(), "/items");
    assert_eq!(req.body().and_then(Body::as_bytes), Some(&b"payload"[..]));
    req.headers_mut()
        .insert(ACCEPT, HeaderValue::from_static("application/json"));
    let again = req.try_clone().expect("a body in memory clones");
    for resp in [
        client.execute(req).await.unwrap(),
        client.execute(again).await.unwrap(),
    ] {
        assert_eq!(resp.text().await.unwrap(), "ok");
        let got = seen.recv().await.unwrap();
        assert!(
            got.head.starts_with("POST /items HTTP/1.1\r\n"),
            "{}",
            got.head
        );
        assert_eq!(got.header("accept"), Some("application/json"));
        assert_eq!(got.header("x-trace"), Some("1"));
        assert_eq!(got.body, b"payload");
    }
}

#[tokio::test]
async fn request_new_takes_the_clients_defaults() {
    let (server, mut seen) = recording("").await;
    let client = Client::builder().user_agent("ua-test").build().unwrap();
    let mut req = Request::new(Method::PUT, Url::parse(&server.url("/x")).unwrap());
    *req.body_mut() = Body::from("abc");
    client.execute(req).await.unwrap();
    let got = seen.recv().await.unwrap();
    assert!(got.head.starts_with("PUT /x HTTP/1.1\r\n"));
    assert_eq!(got.header("user-agent"), Some("ua-test"));
    assert_eq!(got.header("content-length"), Some("3"));
    assert_eq!(got.body, b"abc");
}

#[tokio::test]
async fn timeout_mut_cuts_a_request_that_gets_no_answer() {
    // Accepts, reads, never answers.
    let server = Scripted::start(|stream, _| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let client = Client::new();
    let mut req = client.get(server.url("/")).build().unwrap();
    assert_eq!(req.timeout(), None);
    *req.timeout_mut() = Some(Duration::from_millis(200));
    let start = Instant::now();
    let err = client.execute(req).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
    // A builder's timeout shows on the request it builds.
    let req = client
        .get(server.url("/"))
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    assert_eq!(req.timeout(), Some(&Duration::from_millis(150)));
    // The last of `timeout` and `timeouts` wins: a whole set of budgets
    // given after a total replaces it.
    let req = client
        .get(server.url("/"))
        .timeout(Duration::from_secs(60))
        .timeouts(brisk::Timeouts {
            total: Some(Duration::from_millis(200)),
            ..brisk::Timeouts::default()
        })
        .build()
        .unwrap();
    assert_eq!(req.timeout(), None);
    let start = Instant::now();
    let err = client.execute(req).await.unwrap_err();
    assert!(err.is_total_timeout(), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn streams_and_errors_do_not_clone() {
    let client = Client::new();
    let streamed = client
        .post("http://127.0.0.1:9/")
        .body(Body::from_reader(&b"once"[..]));
    assert!(streamed.try_clone().is_none());
    let req = streamed.build().unwrap();
    assert!(req.try_clone().is_none());
    let bad = client.get("not a url");
    assert!(bad.try_clone().is_none());
    assert!(bad.build().unwrap_err().is_builder());
    let fine = client.get("http://127.0.0.1:9/").header("a", "b");
    let copy = fine.try_clone().unwrap();
    assert_eq!(copy.build().unwrap().headers().get("a").unwrap(), "b");
}

#[tokio::test]
async fn build_split_and_from_parts_round_trip() {
    let (server, mut seen) = recording("").await;
    let client = Client::new();
    let (client2, req) = client.get(server.url("/rt")).header("x", "1").build_split();
    let resp = RequestBuilder::from_parts(client2, req.unwrap())
        .header("y", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let got = seen.recv().await.unwrap();
    assert_eq!((got.header("x"), got.header("y")), (Some("1"), Some("2")));
}
