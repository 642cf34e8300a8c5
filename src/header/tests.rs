//! Tests of the map and of how names and values meet in it.

use super::*;
use crate::h1::{parse_head, HeaderSpan, Limits, Status};

fn v(s: &'static str) -> HeaderValue {
    HeaderValue::from_static(s)
}

/// A map as a response head's parser builds it.
fn parsed(fields: &str) -> HeaderMap {
    let head = format!("HTTP/1.1 200 OK\r\n{fields}\r\n");
    let mut slots = [HeaderSpan::default(); 32];
    let Ok(Status::Complete(raw)) = parse_head(head.as_bytes(), &mut slots, &Limits::default())
    else {
        panic!("a valid head")
    };
    HeaderMap::from_head(raw.bytes, raw.headers)
}

#[test]
fn lookups_ignore_case_and_take_any_name() {
    let mut m = HeaderMap::new();
    m.insert(CONTENT_TYPE, v("text/plain"));
    let name = HeaderName::from_static("Content-Type");
    assert_eq!(m.get(CONTENT_TYPE), Some(&v("text/plain")));
    assert_eq!(m.get(&name), Some(&v("text/plain")));
    assert_eq!(m.get("CONTENT-TYPE"), Some(&v("text/plain")));
    assert_eq!(m.get(String::from("content-type")), Some(&v("text/plain")));
    let owned = String::from("content-type");
    assert_eq!(m.get(&owned), Some(&v("text/plain")));
    assert!(m.contains_key("Content-type"));
    assert!(!m.contains_key(ACCEPT));
    assert_eq!(m["content-type"], "text/plain");
    assert_eq!(
        m.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("text/plain")
    );
}

#[test]
#[should_panic(expected = "no header field of that name")]
fn index_panics_on_a_missing_name() {
    let _ = &HeaderMap::new()["content-type"];
}

#[test]
fn insert_replaces_all_and_append_adds() {
    let mut m = HeaderMap::new();
    assert!(!m.append("x", v("1")));
    m.append("y", v("y"));
    assert!(m.append("X", v("2")));
    assert_eq!(m.len(), 3);
    assert_eq!(m.keys_len(), 2);
    assert_eq!(m.insert("x", v("3")), Some(v("1")));
    let fields: Vec<_> = m.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    assert_eq!(fields, [("x", v("3")), ("y", v("y"))]);
    assert_eq!(m.insert("z", v("z")), None);
    assert_eq!(m.remove("X"), Some(v("3")));
    assert_eq!(m.remove("x"), None);
    assert_eq!(m.len(), 2);
    m.clear();
    assert!(m.is_empty());
}

#[test]
fn get_all_keys_values_and_iteration() {
    let m = parsed("Set-Cookie: a=1\r\nDate: d\r\nset-cookie: b=2\r\n");
    let all = m.get_all(SET_COOKIE);
    assert_eq!(all.iter().collect::<Vec<_>>(), [&v("a=1"), &v("b=2")]);
    assert_eq!((&all).into_iter().count(), 2);
    assert_eq!(m.get_all("nothing").iter().count(), 0);
    let keys: Vec<&str> = m.keys().map(|k| k.as_str()).collect();
    assert_eq!(keys, ["set-cookie", "date"]);
    assert_eq!(m.values().count(), 3);
    let pairs: Vec<(&str, &str)> = (&m)
        .into_iter()
        .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
        .collect();
    assert_eq!(
        pairs,
        [("set-cookie", "a=1"), ("date", "d"), ("set-cookie", "b=2")]
    );
    assert!(m.has_token("SET-COOKIE", "b=2"));
}

#[test]
fn owned_iteration_groups_names_and_extend_replaces() {
    let m = parsed("A: 1\r\nB: 2\r\nA: 3\r\n");
    let owned: Vec<_> = m.clone().into_iter().collect();
    assert_eq!(
        owned,
        [
            (Some(HeaderName::from_static("a")), v("1")),
            (None, v("3")),
            (Some(HeaderName::from_static("b")), v("2")),
        ]
    );
    let mut base = parsed("A: old\r\nC: kept\r\n");
    base.extend(m);
    let fields: Vec<_> = base.iter().map(|(n, v)| format!("{n}={v:?}")).collect();
    assert_eq!(fields, ["a=\"1\"", "c=\"kept\"", "a=\"3\"", "b=\"2\""]);

    let collected: HeaderMap = [(ACCEPT, v("x")), (ACCEPT, v("y"))].into_iter().collect();
    assert_eq!(collected.get_all(ACCEPT).iter().count(), 2);
    let mut more = collected.clone();
    more.extend([(ACCEPT, v("z"))]);
    assert_eq!(more.len(), 3);
}

#[test]
fn parsed_names_are_lowercase_and_long_parts_share_one_buffer() {
    let long_name = "X-Very-Long-Header-Name-That-Goes-Past-Inline";
    let long_value = "v".repeat(120);
    let m = parsed(&format!(
        "Content-Type: text/html\r\n{long_name}: {long_value}\r\nServer: s\r\nX-Two: {long_value}2\r\n"
    ));
    let names: Vec<&str> = m.keys().map(|n| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "content-type",
            &*long_name.to_ascii_lowercase(),
            "server",
            "x-two"
        ]
    );
    assert_eq!(m[long_name], *long_value);
    assert_eq!(m["x-two"], format!("{long_value}2"));
    let shared: Vec<_> = m
        .iter()
        .flat_map(|(n, v)| [n.as_bytes(), v.as_bytes()])
        .filter(|b| b.len() > 38)
        .collect();
    assert_eq!(shared.len(), 3);
    assert_eq!(m["server"], "s");
}

#[test]
fn debug_redacts_sensitive_values_and_credentials() {
    let mut m = HeaderMap::new();
    let mut secret = v("tenant-secret");
    secret.set_sensitive(true);
    m.insert("x-tenant", secret);
    m.insert(AUTHORIZATION, v("Bearer sk"));
    m.insert("x-trace", v("visible"));
    let shown = format!("{m:?}");
    assert!(
        !shown.contains("tenant-secret") && !shown.contains("Bearer"),
        "{shown}"
    );
    assert!(shown.contains("visible"), "{shown}");
    assert_eq!(
        shown,
        r#"{"x-tenant": Sensitive, "authorization": Sensitive, "x-trace": "visible"}"#
    );
}

#[test]
fn field_sizes_stay_small() {
    assert_eq!(std::mem::size_of::<HeaderName>(), 40);
    assert_eq!(std::mem::size_of::<HeaderValue>(), 48);
}
