//! Bounded batches over real loopback sockets: `Chat::chat_many` and
//! `Client::send_all` keep their results in order, failures included, and
//! their bound on requests (and connections) in flight.

use super::calls::{completion, response};
use crate::support;

use brisk::chat::{Chat, ChatRequest, ErrorKind, Message, Provider};
use brisk::{Client, RetryPolicy};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::server::Scripted;

/// A server that echoes the user's last message as the reply after a
/// delay, counting the requests in flight at once; "fail" gets a 500.
async fn counting_server() -> (Scripted, Arc<AtomicUsize>) {
    let now = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (n, p) = (now.clone(), peak.clone());
    let server = Scripted::start(move |mut stream, _| {
        let (now, peak) = (n.clone(), p.clone());
        async move {
            let mut pending = Vec::new();
            while let Some(req) = support::server::read_request(&mut stream, &mut pending).await {
                let inflight = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(inflight, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(40)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                let body: Value = serde_json::from_slice(&req.body).unwrap();
                let said = body["messages"][0]["content"].as_str().unwrap().to_string();
                let answer = if said == "fail" {
                    response(
                        "500 Internal Server Error",
                        &[],
                        r#"{"error":{"message":"boom"}}"#,
                    )
                } else {
                    response("200 OK", &[], &completion(&said))
                };
                use tokio::io::AsyncWriteExt;
                if stream.write_all(&answer).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    (server, peak)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_many_keeps_order_and_its_bound() {
    let (server, peak) = counting_server().await;
    let chat = Chat::builder(Provider::Custom(server.url("/v1")))
        .model("m")
        .retry(RetryPolicy::none())
        .build();
    let said: Vec<String> = (0..10)
        .map(|i| {
            if i == 4 {
                "fail".into()
            } else {
                format!("m{i}")
            }
        })
        .collect();
    let requests = said
        .iter()
        .map(|s| ChatRequest::new(vec![Message::user(s.clone())]));
    let results = chat.chat_many(requests, 3).await;
    assert_eq!(results.len(), 10);
    for (i, result) in results.iter().enumerate() {
        if i == 4 {
            let e = result.as_ref().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Api);
            assert_eq!(e.status().map(|s| s.as_u16()), Some(500));
        } else {
            assert_eq!(result.as_ref().unwrap().content, format!("m{i}"));
        }
    }
    let peak = peak.load(Ordering::SeqCst);
    assert!(peak <= 3, "{peak} requests in flight at once");
    assert!(peak >= 2, "the batch ran one at a time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_all_keeps_order_and_failures() {
    let (server, peak) = counting_server().await;
    let client = Client::builder()
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let requests = (0..6).map(|i| {
        if i == 2 {
            client.post(format!("http://{dead}/"))
        } else {
            client
                .post(server.url("/v1/chat/completions"))
                .body(json!({"messages":[{"content":format!("r{i}")}]}).to_string())
        }
    });
    let results = client.send_all(requests, 2).await;
    assert_eq!(results.len(), 6);
    for (i, result) in results.into_iter().enumerate() {
        if i == 2 {
            assert!(result.unwrap_err().is_connect());
        } else {
            let body: Value = result.unwrap().json().await.unwrap();
            assert_eq!(body["choices"][0]["message"]["content"], format!("r{i}"));
        }
    }
    assert!(peak.load(Ordering::SeqCst) <= 2);
}

/// Six requests, two at a time, on a client allowed two connections to
/// the host: each finished request must give its connection back before
/// the batch ends, or the third waits in the pool for a connection held by
/// a finished result, until the pool-wait timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_all_frees_each_connection_when_its_request_is_done() {
    let (server, peak) = counting_server().await;
    let client = Client::builder()
        .retry(RetryPolicy::none())
        .pool_max_per_host(2)
        .pool_wait_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let requests = (0..6).map(|i| {
        client
            .post(server.url("/v1/chat/completions"))
            .body(json!({"messages":[{"content":format!("r{i}")}]}).to_string())
    });
    let results = client.send_all(requests, 2).await;
    assert_eq!(results.len(), 6);
    let mut results = results.into_iter();
    // The buffered body read in small pieces, then whole.
    let mut first = results.next().unwrap().unwrap();
    let (mut piece, mut body) = ([0u8; 7], Vec::new());
    loop {
        let n = first.read(&mut piece).await.unwrap();
        if n == 0 {
            break;
        }
        body.extend_from_slice(&piece[..n]);
    }
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["choices"][0]["message"]["content"],
        "r0"
    );
    for (i, result) in results.enumerate().map(|(i, r)| (i + 1, r)) {
        let resp = result.unwrap_or_else(|e| panic!("request {i}: {e:?}"));
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["choices"][0]["message"]["content"], format!("r{i}"));
    }
    assert!(peak.load(Ordering::SeqCst) <= 2);
    assert!(server.accepted() <= 2, "{} connections", server.accepted());
}

/// The same bound for `chat_many`: two connections serve six calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_many_frees_each_connection_when_its_call_is_done() {
    let (server, _peak) = counting_server().await;
    let client = Client::builder()
        .pool_max_per_host(2)
        .pool_wait_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let chat = Chat::builder(Provider::Custom(server.url("/v1")))
        .model("m")
        .client(client)
        .retry(RetryPolicy::none())
        .build();
    let requests = (0..6).map(|i| ChatRequest::new(vec![Message::user(format!("m{i}"))]));
    let results = chat.chat_many(requests, 2).await;
    for (i, result) in results.iter().enumerate() {
        let reply = result
            .as_ref()
            .unwrap_or_else(|e| panic!("call {i}: {e:?}"));
        assert_eq!(reply.content, format!("m{i}"));
    }
    assert!(server.accepted() <= 2, "{} connections", server.accepted());
}
