//! What the client adds to or changes on the wire beyond the request's own
//! fields, over real sockets: `Referer` on redirect hops, title-cased
//! header names, and the verbose log of heads.

mod support;

use brisk::Client;
use support::server::{serve_each, Received, Scripted};
use tokio::sync::mpsc;

/// A server that redirects `/start` to `/landing` (302) and answers
/// anything else `200`, recording every request.
async fn redirecting() -> (Scripted, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = Scripted::start(move |stream, _| {
        let tx = tx.clone();
        async move {
            serve_each(stream, |req: &Received| {
                let _ = tx.send(req.clone());
                if req.request_line().starts_with("GET /start") {
                    b"HTTP/1.1 302 Found\r\nLocation: /landing\r\nContent-Length: 0\r\n\r\n"
                        .to_vec()
                } else {
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec()
                }
            })
            .await
        }
    })
    .await;
    (server, rx)
}

#[tokio::test]
async fn a_redirect_hop_names_the_page_that_redirected() {
    let (server, mut rx) = redirecting().await;
    let client = Client::new();
    // User info and fragment never reach the Referer.
    let url = format!("http://ada:secret@{}/start?page=2#results", server.addr);
    let resp = client.get(url).send().await.unwrap();
    assert_eq!(resp.url().path(), "/landing");
    resp.bytes().await.unwrap();
    let first = rx.recv().await.unwrap();
    assert_eq!(first.header("referer"), None, "{}", first.head);
    let second = rx.recv().await.unwrap();
    let expected = format!("http://{}/start?page=2", server.addr);
    assert_eq!(
        second.header("referer"),
        Some(expected.as_str()),
        "{}",
        second.head
    );
    assert!(second.head.contains("\r\nReferer: "), "{}", second.head);
}

#[tokio::test]
async fn referer_false_sends_none() {
    let (server, mut rx) = redirecting().await;
    let client = Client::builder().referer(false).build().unwrap();
    let resp = client.get(server.url("/start")).send().await.unwrap();
    resp.bytes().await.unwrap();
    rx.recv().await.unwrap();
    let second = rx.recv().await.unwrap();
    assert!(second.request_line().starts_with("GET /landing "));
    assert_eq!(second.header("referer"), None, "{}", second.head);
}
