//! Requests on the wire, over real sockets: built once and sent later,
//! cloned, and changed in between, what reaches the wire each time; and
//! the fields brisk writes itself: one `Host`, one `Authorization`,
//! `Content-Length: 0` where servers expect it, and numeric hosts read as
//! IPv4, never resolved as names.

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

#[tokio::test]
async fn two_host_fields_are_refused_before_anything_is_sent() {
    let (server, _seen) = recording("hi").await;
    let client = Client::new();
    // Validation used to look at the last Host and the encoder write the
    // first: here the bad one would have gone out.
    let err = client
        .get(server.url("/"))
        .header("Host", "x/y")
        .header("Host", "ok.example")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_builder(), "{err}");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(server.accepted(), 0);
    // One Host of the caller's is validated and is the one written.
    let (server, mut seen) = recording("hi").await;
    let resp = client
        .get(server.url("/"))
        .header("Host", "api.example:8443")
        .send()
        .await
        .unwrap();
    resp.bytes().await.unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(req.all("host"), ["api.example:8443"]);
}

#[tokio::test]
async fn exactly_one_authorization_is_sent() {
    let (server, mut seen) = recording("hi").await;
    let client = Client::builder()
        .default_header("Authorization", "Bearer client-default")
        .build()
        .unwrap();
    let with_userinfo = server.url("/").replace("http://", "http://user:pw@");
    // URL userinfo over the client's default.
    support::fetch(&client, &with_userinfo).await;
    let req = seen.recv().await.unwrap();
    assert_eq!(req.all("authorization"), ["Basic dXNlcjpwdw=="]);
    // The request's own over both.
    let resp = client
        .get(&with_userinfo)
        .bearer_auth("own")
        .send()
        .await
        .unwrap();
    resp.bytes().await.unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(req.all("authorization"), ["Bearer own"]);
    // The default when nothing else is given.
    support::fetch(&client, server.url("/")).await;
    let req = seen.recv().await.unwrap();
    assert_eq!(req.all("authorization"), ["Bearer client-default"]);
}

#[tokio::test]
async fn methods_that_expect_content_say_content_length_0_when_empty() {
    let (server, mut seen) = recording("hi").await;
    let client = Client::new();
    for method in ["POST", "PUT", "PATCH", "GET", "DELETE", "OPTIONS"] {
        let resp = client
            .request(method, server.url("/"))
            .send()
            .await
            .unwrap();
        resp.bytes().await.unwrap();
        let req = seen.recv().await.unwrap();
        let expected: &[&str] = if matches!(method, "POST" | "PUT" | "PATCH") {
            &["0"]
        } else {
            &[]
        };
        assert_eq!(req.all("content-length"), expected, "{method}");
        assert!(req.all("transfer-encoding").is_empty());
    }
}

#[tokio::test]
async fn numeric_hosts_are_read_as_ipv4_never_resolved_as_names() {
    let (server, mut seen) = recording("hi").await;
    let port = server.addr.port();
    let client = Client::new();
    for host in ["0x7f000001", "0177.0.0.1", "127.1", "2130706433", "0x7f.1"] {
        let resp = client
            .get(format!("http://{host}:{port}/"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        assert_eq!(resp.url().as_str(), format!("http://127.0.0.1:{port}/"));
        resp.bytes().await.unwrap();
        let req = seen.recv().await.unwrap();
        assert_eq!(req.all("host"), [format!("127.0.0.1:{port}").as_str()]);
    }
    // One connection served them all: the pool keys them as one origin.
    assert_eq!(server.accepted(), 1);
    for bad in ["1.2.3.4.5", "0x100000000", "256.256.256.256", "127.0.0.09"] {
        let err = client.get(format!("http://{bad}:{port}/")).send().await;
        assert!(err.unwrap_err().is_builder(), "{bad}");
    }
}
