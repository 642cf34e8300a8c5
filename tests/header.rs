//! The `header` module and `Method` on the wire: typed names and values,
//! maps, sensitive values across redirects, methods as constants and as
//! strings, response headers read the way reqwest code reads them, and
//! `Debug` output that never shows a secret.

mod support;

use brisk::header::{self, HeaderMap, HeaderName, HeaderValue};
use brisk::{Client, Method};
use support::server::{recording, redirecting_to, serve_each, Received, Scripted};

/// The head's field lines after the request line, in order.
fn fields(req: &Received) -> Vec<&str> {
    req.head
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .collect()
}

fn sensitive(value: &'static str) -> HeaderValue {
    let mut v = HeaderValue::from_static(value);
    v.set_sensitive(true);
    v
}

#[tokio::test]
async fn typed_names_values_and_maps_reach_the_wire() {
    let (server, mut seen) = recording("hi").await;
    let mut defaults = HeaderMap::new();
    defaults.insert(header::ACCEPT, HeaderValue::from_static("text/plain"));
    defaults.insert("x-default", HeaderValue::from_static("d"));
    defaults.insert("x-overridden", HeaderValue::from_static("client"));
    let client = Client::builder()
        .default_headers(defaults)
        .default_header(header::CACHE_CONTROL, "no-cache")
        .user_agent(HeaderValue::from_static("agent/1"))
        .build()
        .unwrap();
    let mut map = HeaderMap::new();
    map.append("X-Multi", HeaderValue::from_static("1"));
    map.append("x-multi", HeaderValue::from_static("2"));
    map.insert("X-Replaced", HeaderValue::from_static("new"));
    let resp = client
        .get(server.url("/"))
        .header(header::ACCEPT, HeaderValue::from_static("application/json"))
        .header("X-Replaced", "old")
        .header(HeaderName::from_static("X-Count"), 5u32)
        .header(&header::FROM, String::from("me@example.com"))
        .header("x-overridden", &HeaderValue::from_static("request"))
        .headers(map)
        .send()
        .await
        .unwrap();
    resp.bytes().await.unwrap();
    let req = seen.recv().await.unwrap();
    let host = format!("Host: {}", server.addr);
    let mut want = vec![
        host.as_str(),
        "User-Agent: agent/1",
        "x-default: d",
        "cache-control: no-cache",
    ];
    // Added when brisk can decode compressed answers.
    if cfg!(feature = "compression") {
        want.push("Accept-Encoding: gzip, deflate");
    }
    want.extend([
        "accept: application/json",
        "X-Replaced: new",
        "X-Count: 5",
        "from: me@example.com",
        "x-overridden: request",
        // Values of one name go under its first spelling.
        "X-Multi: 1",
        "X-Multi: 2",
    ]);
    assert_eq!(fields(&req), want);
}

#[tokio::test]
async fn a_sensitive_value_is_redacted_and_dropped_across_origins() {
    let (target, mut seen) = recording("landed").await;
    let from = redirecting_to(target.url("/landed")).await;
    let mut defaults = HeaderMap::new();
    defaults.insert("x-tenant-key", sensitive("client-secret"));
    defaults.insert("x-trace", HeaderValue::from_static("kept"));
    let builder = Client::builder().default_headers(defaults);
    let shown = format!("{builder:?}");
    assert!(!shown.contains("client-secret"), "{shown}");
    assert!(shown.contains("kept"), "{shown}");
    let client = builder.build().unwrap();

    let mut own = HeaderMap::new();
    own.insert("x-map-secret", sensitive("map-secret"));
    let resp = client
        .get(from.url("/"))
        .header("X-Session", sensitive("request-secret"))
        .headers(own)
        .header("X-Plain", "kept-too")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "landed");
    let landed = seen.recv().await.unwrap();
    let sent = fields(&landed).join("\n");
    for secret in ["client-secret", "request-secret", "map-secret"] {
        assert!(!sent.contains(secret), "{secret} crossed:\n{sent}");
    }
    assert!(sent.contains("x-trace: kept"), "{sent}");
    assert!(sent.contains("X-Plain: kept-too"), "{sent}");
}

#[tokio::test]
async fn a_sensitive_value_stays_on_a_same_origin_redirect() {
    let server = Scripted::start(|stream, _| async move {
        serve_each(stream, |req| {
            if req.head.starts_with("GET /start ") {
                b"HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n".to_vec()
            } else {
                let key = req.header("x-session").unwrap_or("none").to_string();
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{key}",
                    key.len()
                )
                .into_bytes()
            }
        })
        .await
    })
    .await;
    let resp = Client::new()
        .get(server.url("/start"))
        .header("x-session", sensitive("same-origin"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "same-origin");
}

#[tokio::test]
async fn methods_as_constants_and_as_strings_are_sent() {
    let (server, mut seen) = recording("").await;
    let client = Client::new();
    let own = String::from("PROPFIND");
    for (builder, line) in [
        (
            client.request(Method::OPTIONS, server.url("/")),
            "OPTIONS / ",
        ),
        (client.request("OPTIONS", server.url("/")), "OPTIONS / "),
        (client.request(&own, server.url("/")), "PROPFIND / "),
        (client.request(own.clone(), server.url("/")), "PROPFIND / "),
        (client.request(&Method::PATCH, server.url("/")), "PATCH / "),
    ] {
        builder.send().await.unwrap().bytes().await.unwrap();
        let req = seen.recv().await.unwrap();
        assert!(req.head.starts_with(line), "{}", req.head);
    }
}

#[tokio::test]
async fn bad_strings_are_builder_errors_with_nothing_sent() {
    let (server, _seen) = recording("").await;
    let client = Client::new();
    let attempts = [
        client.get(server.url("/")).header("x", "a\r\nb"),
        client.get(server.url("/")).header("x", "a\nb"),
        client.get(server.url("/")).header("x\r\ny", "v"),
        client.get(server.url("/")).header("bad name", "v"),
        client
            .get(server.url("/"))
            .sensitive_header("x", String::from("a\0")),
        client.request("GE T", server.url("/")),
        client.request("", server.url("/")),
    ];
    for builder in attempts {
        let shown = format!("{builder:?}");
        let err = builder.send().await.unwrap_err();
        assert!(err.is_builder(), "{shown}: {err}");
    }
    assert_eq!(server.accepted(), 0);

    let err = Client::builder()
        .default_header("x", "a\r\nInjected: 1")
        .build()
        .unwrap_err();
    assert!(err.is_builder(), "{err}");
    assert!(Client::builder().user_agent("ua\n").build().is_err());
}

#[tokio::test]
async fn response_headers_read_as_reqwest_code_reads_them() {
    let long = "v".repeat(100);
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: a=1\r\n\
         X-Long: {long}\r\nset-cookie: b=2\r\nContent-Length: 2\r\n\r\n{{}}"
    );
    let server = Scripted::start(move |stream, _| {
        let head = head.clone();
        async move { serve_each(stream, move |_| head.clone().into_bytes()).await }
    })
    .await;
    let resp = Client::new().get(server.url("/")).send().await.unwrap();
    let headers = resp.headers();

    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    assert_eq!(kind, Some("application/json"));
    assert_eq!(
        headers.get("content-type"),
        Some(&HeaderValue::from_static("application/json"))
    );
    assert!(headers.contains_key(header::SET_COOKIE));
    let cookies: Vec<&str> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(headers["x-long"], *long);
    let seen: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                value.to_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(seen[0], ("content-type".into(), "application/json".into()));
    assert_eq!(seen.len(), 5);
    let mut copied = HeaderMap::new();
    for (name, value) in resp.headers() {
        copied.append(name, value.clone());
    }
    assert_eq!(&copied, resp.headers());
    assert_eq!(resp.text().await.unwrap(), "{}");
}

/// The client's default fields are checked once, when it is built (each
/// request then checks only its own): a default that no request could
/// carry fails `build()`, and a good one is sent, once, with the
/// request's own fields after it.
#[tokio::test]
async fn default_fields_are_checked_when_the_client_is_built() {
    let control = HeaderValue::from_bytes(b"a\x01b");
    if let Ok(v) = control {
        let err = Client::builder()
            .default_header("x-bad", v)
            .build()
            .unwrap_err();
        assert!(err.is_builder(), "{err:?}");
    }
    for (name, value) in [("content-length", "5"), ("transfer-encoding", "chunked")] {
        let err = Client::builder()
            .default_header(name, value)
            .build()
            .unwrap_err();
        assert!(err.is_builder(), "{name}: {err:?}");
    }
    let err = Client::builder()
        .default_header("host", "bad host")
        .build()
        .unwrap_err();
    assert!(err.is_builder(), "{err:?}");

    let (server, mut seen) = recording("ok").await;
    let client = Client::builder()
        .default_header("x-team", "brisk")
        .default_header("host", "api.example")
        .build()
        .unwrap();
    client
        .get(server.url("/"))
        .header("x-own", "1")
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    let f = fields(&req);
    assert_eq!(f[0], "Host: api.example");
    assert_eq!(f.iter().filter(|l| l.starts_with("Host:")).count(), 1);
    assert!(f.contains(&"x-team: brisk"), "{f:?}");
    assert_eq!(f.last(), Some(&"x-own: 1"));
    // A request's own Host replaces the default one.
    client
        .get(server.url("/"))
        .header("host", "own.example")
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    let f = fields(&req);
    assert_eq!(f[0], "Host: own.example");
    assert_eq!(f.iter().filter(|l| l.starts_with("Host:")).count(), 1);
}

#[test]
fn debug_output_never_shows_a_secret() {
    let builder = Client::builder()
        .default_header("Authorization", "Bearer sk-secret-1")
        .default_header("X-Api-Key", "sk-secret-2")
        .default_header("X-Tenant-Token", "sk-secret-3")
        .sensitive_header("X-Tenant-Token")
        .default_header("X-Trace", "visible");
    let shown = format!("{builder:?}");
    for secret in ["sk-secret-1", "sk-secret-2", "sk-secret-3"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("visible"), "{shown}");
    let client = builder.build().unwrap();
    let request = client
        .get("http://user:pw-secret@example.com/")
        .sensitive_header("X-Session", "sk-secret-4");
    let shown = format!("{client:?} {request:?}");
    for secret in ["pw-secret", "sk-secret"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}
