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

/// Sends one POST with fields in several cases through `client` and
/// returns the request exactly as the server read it.
async fn head_and_body(client: Client) -> (String, Vec<u8>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let server = Scripted::start(move |stream, _| {
        let tx = tx.clone();
        async move {
            serve_each(stream, |req: &Received| {
                let _ = tx.send(req.clone());
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec()
            })
            .await
        }
    })
    .await;
    client
        .post(server.url("/up-load?x-y=z"))
        .header("x-request-id", "AbC-1")
        .header("content-TYPE", "text/plain")
        .header("X-API-KEY", "k")
        // Its own, so that the head is the same with or without the
        // `compression` feature (which adds the client's).
        .header("accept-encoding", "identity")
        .body("lower-case: body\r\n")
        .send()
        .await
        .unwrap();
    let req = rx.recv().await.unwrap();
    let host = format!("127.0.0.1:{}", server.addr.port());
    (req.head.replace(&host, "HOST"), req.body)
}

#[tokio::test]
async fn title_cased_names_on_the_wire_and_nothing_else_changed() {
    let client = |title: bool| {
        let mut b = Client::builder()
            .default_header("x-tenant", "blue")
            .user_agent("ua/1");
        if title {
            b = b.http1_title_case_headers();
        }
        b.build().unwrap()
    };
    let (plain, plain_body) = head_and_body(client(false)).await;
    let (titled, titled_body) = head_and_body(client(true)).await;
    assert_eq!(
        titled,
        "POST /up-load?x-y=z HTTP/1.1\r\nHost: HOST\r\nUser-Agent: ua/1\r\nAccept: */*\r\n\
         X-Tenant: blue\r\nX-Request-Id: AbC-1\r\nContent-Type: text/plain\r\n\
         X-Api-Key: k\r\nAccept-Encoding: identity\r\nContent-Length: 18\r\n\r\n"
    );
    // Without the setting, each name goes as given; only case differs.
    assert!(plain.contains("\r\nx-request-id: AbC-1\r\n"), "{plain}");
    assert!(
        plain.contains("\r\ncontent-TYPE: text/plain\r\n"),
        "{plain}"
    );
    assert!(plain.contains("\r\nX-API-KEY: k\r\n"), "{plain}");
    assert_eq!(plain.to_ascii_lowercase(), titled.to_ascii_lowercase());
    assert_eq!(titled_body, b"lower-case: body\r\n");
    assert_eq!(plain_body, titled_body);
}

/// The `WireHead` events a client's hook got: (sent, text).
type Heads = std::sync::Arc<std::sync::Mutex<Vec<(bool, String)>>>;

fn logging_client(verbose: bool, heads: &Heads) -> Client {
    let heads = heads.clone();
    Client::builder()
        .connection_verbose(verbose)
        .on_event(move |event| {
            if let brisk::Event::WireHead { sent, text, .. } = event {
                heads.lock().unwrap().push((*sent, text.to_string()));
            }
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn connection_verbose_hands_the_hook_both_heads_with_secrets_hidden() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |_| {
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: sid=s3cret\r\nX-Served-By: a\r\n\r\nok"
                .to_vec()
        })
        .await
    })
    .await;
    let heads = Heads::default();
    let client = logging_client(true, &heads);
    let resp = client
        .get(server.url("/v?q=1"))
        .bearer_auth("tok-123")
        .header("X-Trace", "t1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "ok");
    let heads = heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 2, "{heads:?}");
    let (sent, request) = &heads[0];
    assert!(*sent);
    let host = format!("Host: 127.0.0.1:{}", server.addr.port());
    assert!(
        request.starts_with(&format!("GET /v?q=1 HTTP/1.1\n{host}\n")),
        "{request}"
    );
    assert!(request.contains("\nX-Trace: t1"), "{request}");
    assert!(request.contains("\nAuthorization: Sensitive"), "{request}");
    assert!(
        !request.contains("tok-123") && !request.contains('\r'),
        "{request}"
    );
    let (sent, response) = &heads[1];
    assert!(!*sent);
    assert_eq!(
        response,
        "HTTP/1.1 200 OK\ncontent-length: 2\nset-cookie: Sensitive\nx-served-by: a"
    );

    // Off (the default), the hook gets no heads.
    let quiet = Heads::default();
    let client = logging_client(false, &quiet);
    client
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(quiet.lock().unwrap().is_empty());
}
