//! Typed JSON, query and form over a real loopback socket: the exact bytes
//! brisk sends for a user's derived types, and what it makes of a body of
//! the wrong shape.

mod support;

use brisk::Client;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use support::server::recording;

/// `RequestBuilder::json` and `Response::json` (the `json` feature).
#[cfg(feature = "json")]
mod typed_json {
    use crate::support::server::{recording, serve_each, Scripted};
    use brisk::Client;
    use serde::{Deserialize, Serialize};
    use std::collections::HashMap;

    /// A server that answers every request with its own body, as JSON.
    async fn echo() -> Scripted {
        Scripted::start(|stream, _| async move {
            serve_each(stream, |req| {
                let mut reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    req.body.len()
                )
                .into_bytes();
                reply.extend_from_slice(&req.body);
                reply
            })
            .await
        })
        .await
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct ChatRequest {
        model: String,
        messages: Vec<Message>,
        max_tokens: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        temperature: Option<f32>,
        stream: bool,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Message {
        role: String,
        content: String,
    }

    fn chat() -> ChatRequest {
        ChatRequest {
            model: "gpt-4o-mini".into(),
            messages: vec![Message {
                role: "user".into(),
                content: "héllo \"you\"".into(),
            }],
            max_tokens: 64,
            temperature: None,
            stream: false,
        }
    }

    #[tokio::test]
    async fn derived_types_go_out_in_field_order_and_come_back() {
        let (server, mut seen) = recording(r#"{"ok":true}"#).await;
        Client::new()
            .post(server.url("/v1/chat/completions"))
            .json(&chat())
            .send()
            .await
            .unwrap();
        let req = seen.recv().await.unwrap();
        // The struct's own order, not sorted (`serde_json::Value` would sort).
        let want = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"héllo \"you\""}],"max_tokens":64,"stream":false}"#;
        assert_eq!(String::from_utf8(req.body.clone()).unwrap(), want);
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.header("content-length"), Some(&*want.len().to_string()));
        assert_eq!(
            req.head
                .to_ascii_lowercase()
                .matches("content-type")
                .count(),
            1
        );

        let server = echo().await;
        let back: ChatRequest = Client::new()
            .post(server.url("/"))
            .json(&chat())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(back, chat());

        // Unsized values and `serde_json::Value` still work.
        let raw: &[u32] = &[1, 2, 3];
        let value: serde_json::Value = Client::new()
            .post(server.url("/"))
            .json(raw)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(value, serde_json::json!([1, 2, 3]));
    }

    #[tokio::test]
    async fn a_content_type_set_earlier_is_kept() {
        let (server, mut seen) = recording("").await;
        let client = Client::new();
        for name in ["Content-Type", "content-type", "CONTENT-TYPE"] {
            client
                .post(server.url("/"))
                .header(name, "application/vnd.api+json")
                .json(&chat())
                .send()
                .await
                .unwrap();
            let req = seen.recv().await.unwrap();
            assert_eq!(req.header("content-type"), Some("application/vnd.api+json"));
            assert_eq!(
                req.head
                    .to_ascii_lowercase()
                    .matches("content-type")
                    .count(),
                1
            );
        }
        client
            .post(server.url("/"))
            .header("Content-Type", "text/plain; charset=utf-8")
            .form(&[("a", "b")])
            .send()
            .await
            .unwrap();
        let req = seen.recv().await.unwrap();
        assert_eq!(
            req.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(req.body, b"a=b");
    }

    #[tokio::test]
    async fn a_body_of_the_wrong_shape_names_the_field() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Reply {
            choices: Vec<Choice>,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Choice {
            message: Message,
        }

        let null_content =
            r#"{"id":"c1","choices":[{"index":0,"message":{"role":"assistant","content":null}}]}"#;
        let (server, _seen) = recording(null_content).await;
        let err = Client::new()
            .get(server.url("/"))
            .send()
            .await
            .unwrap()
            .json::<Reply>()
            .await
            .unwrap_err();
        assert!(err.is_decode(), "{err:?}");
        assert!(!err.is_builder());
        let shown = err.to_string();
        assert!(shown.contains("choices[0].message.content"), "{shown}");
        // What was wrong there is the source: serde_json's own error.
        let source = std::error::Error::source(&err).unwrap();
        let json_err = source.downcast_ref::<serde_json::Error>().unwrap();
        assert!(json_err.is_data());
        assert!(
            source
                .to_string()
                .starts_with("invalid type: null, expected a string"),
            "{source}"
        );
        assert_eq!(err.url().map(|u| u.path()), Some("/"));

        // A missing field: the object that lacks it.
        let (server, _seen) = recording(r#"{"choices":[{"message":{"role":"assistant"}}]}"#).await;
        let err = Client::new()
            .get(server.url("/"))
            .send()
            .await
            .unwrap()
            .json::<Reply>()
            .await
            .unwrap_err();
        assert!(err.is_decode());
        assert!(err.to_string().contains("choices[0].message"), "{err}");
        let source = std::error::Error::source(&err).unwrap().to_string();
        assert!(source.contains("missing field `content`"), "{source}");

        // Not JSON at all (an HTML error page): a decode error too.
        let (server, _seen) = recording("<html>502 Bad Gateway</html>").await;
        let err = Client::new()
            .get(server.url("/"))
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap_err();
        assert!(err.is_decode());
        assert!(std::error::Error::source(&err)
            .unwrap()
            .downcast_ref::<serde_json::Error>()
            .unwrap()
            .is_syntax());
    }

    #[tokio::test]
    async fn a_value_that_cannot_be_serialized_fails_at_send_and_sends_nothing() {
        let (server, mut seen) = recording("").await;
        // JSON object keys must be strings.
        let bad: HashMap<(u8, u8), u8> = HashMap::from([((1, 2), 3)]);
        let err = Client::new()
            .post(server.url("/"))
            .json(&bad)
            .send()
            .await
            .unwrap_err();
        assert!(err.is_builder(), "{err:?}");
        assert!(std::error::Error::source(&err)
            .unwrap()
            .downcast_ref::<serde_json::Error>()
            .is_some());
        assert_eq!(server.accepted(), 0);
        assert!(seen.try_recv().is_err());
    }
}

#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum Order {
    Asc,
    Desc,
}

#[derive(Serialize)]
struct Search<'a> {
    q: &'a str,
    limit: u32,
    cursor: Option<&'a str>,
    order: Order,
    exact: Option<bool>,
}

#[tokio::test]
async fn query_takes_structs_maps_and_pairs_and_appends() {
    let (server, mut seen) = recording("").await;
    let client = Client::new();
    let search = Search {
        q: "a b&c",
        limit: 10,
        cursor: None,
        order: Order::Desc,
        exact: Some(true),
    };
    let one: BTreeMap<&str, i64> = BTreeMap::from([("page", -2)]);
    let hash: HashMap<String, String> = HashMap::from([("k é".to_string(), "v+w".to_string())]);
    client
        .get(server.url("/s?x=1"))
        .query(&search)
        .query(&one)
        .query(&hash)
        .query(&[("limit", 10)])
        .query(&vec![("t".to_string(), "u".to_string())])
        .query(&[("q", "a b&c")][..])
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    let target = req.head.split(' ').nth(1).unwrap();
    assert_eq!(
        target,
        "/s?x=1&q=a+b%26c&limit=10&order=desc&exact=true&page=-2&k+%C3%A9=v%2Bw&limit=10&t=u&q=a+b%26c"
    );

    // No query yet: `?` is added once.
    client
        .get(server.url("/p"))
        .query(&[("a", Some(1)), ("b", None)])
        .query(&[("c", 'd')])
        .send()
        .await
        .unwrap();
    assert!(seen
        .recv()
        .await
        .unwrap()
        .head
        .starts_with("GET /p?a=1&c=d HTTP/1.1\r\n"));
}

#[tokio::test]
async fn form_takes_structs_maps_and_pairs() {
    let (server, mut seen) = recording("").await;
    let client = Client::new();
    let search = Search {
        q: "rust http",
        limit: 5,
        cursor: None,
        order: Order::Asc,
        exact: None,
    };
    client
        .post(server.url("/f"))
        .form(&search)
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(req.body, b"q=rust+http&limit=5&order=asc");
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(req.header("content-length"), Some("29"));

    let map = HashMap::from([("name", "brisk é")]);
    client
        .post(server.url("/f"))
        .form(&map)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.recv().await.unwrap().body, b"name=brisk+%C3%A9");

    client
        .post(server.url("/f"))
        .form(&[("n", 1.5)])
        .send()
        .await
        .unwrap();
    assert_eq!(seen.recv().await.unwrap().body, b"n=1.5");
}

#[tokio::test]
async fn nested_values_are_builder_errors() {
    #[derive(Serialize)]
    struct Tags {
        tags: Vec<&'static str>,
    }
    let (server, mut seen) = recording("").await;
    let client = Client::new();
    let err = client
        .get(server.url("/"))
        .query(&Tags { tags: vec!["a"] })
        .send()
        .await
        .unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("`tags`"), "{source}");

    let err = client
        .post(server.url("/"))
        .form(&[("m", HashMap::from([("k", "v")]))])
        .send()
        .await
        .unwrap_err();
    assert!(err.is_builder());
    let err = client
        .post(server.url("/"))
        .form("just a string")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_builder());
    assert_eq!(server.accepted(), 0);
    assert!(seen.try_recv().is_err());
}
