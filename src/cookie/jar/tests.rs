use super::*;
use crate::cookie::MAX_NAME_VALUE_BYTES;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

const T0: SystemTime = SystemTime::UNIX_EPOCH;

fn at(secs: u64) -> SystemTime {
    T0 + Duration::from_secs(1_700_000_000 + secs)
}

/// The `Cookie` field sent to `to` at time `secs`, as a string.
fn sent(jar: &Jar, to: &str, secs: u64) -> Option<String> {
    jar.header_at(&url(to), at(secs))
        .map(|v| v.to_str().unwrap().to_owned())
}

fn set(jar: &Jar, from: &str, field: &str, secs: u64) {
    jar.store_at(field.as_bytes(), &url(from), at(secs));
}

#[test]
fn a_cookie_goes_back_to_its_host_only() {
    let jar = Jar::new();
    set(&jar, "http://a.example/", "id=1", 0);
    assert_eq!(sent(&jar, "http://a.example/x", 0).as_deref(), Some("id=1"));
    // Any port, as RFC 6265 says.
    assert_eq!(
        sent(&jar, "http://a.example:8080/", 0).as_deref(),
        Some("id=1")
    );
    assert_eq!(sent(&jar, "http://b.example/", 0), None);
    assert_eq!(sent(&jar, "http://sub.a.example/", 0), None);
    assert_eq!(sent(&jar, "http://example/", 0), None);
}

#[test]
fn a_parent_domain_stays_host_only_and_others_are_refused() {
    let jar = Jar::new();
    // Public suffixes and parents: kept, but only for the host that set
    // them (without the public suffix list they cannot be told apart).
    set(&jar, "http://a.co.uk/", "super=1; Domain=co.uk", 0);
    set(&jar, "http://a.co.uk/", "dot=1; Domain=.co.uk", 0);
    set(
        &jar,
        "http://www.example.com/",
        "parent=1; Domain=.example.com",
        0,
    );
    set(&jar, "http://www.example.com/", "tld=1; Domain=com", 0);
    assert_eq!(jar.count(), 4);
    assert_eq!(
        sent(&jar, "http://a.co.uk/", 0).as_deref(),
        Some("super=1; dot=1")
    );
    assert_eq!(
        sent(&jar, "http://www.example.com/", 0).as_deref(),
        Some("parent=1; tld=1")
    );
    for to in [
        "http://b.co.uk/",
        "http://co.uk/",
        "http://example.com/",
        "http://api.example.com/",
        "http://x.www.example.com/",
        "http://other.com/",
    ] {
        assert_eq!(sent(&jar, to, 0), None, "{to}");
    }
    // A Domain the host does not match: a child, a sibling, another name,
    // a suffix not on a label boundary. Ignored.
    for domain in [
        "x.www.example.com",
        "api.example.com",
        "other.com",
        "ww.example.com",
        "w.example.com",
    ] {
        set(
            &jar,
            "http://www.example.com/",
            &format!("no=1; Domain={domain}"),
            0,
        );
    }
    set(&jar, "http://www.example.com/", "no=1; Domain=mple.com", 0);
    assert_eq!(jar.count(), 4);
    // Equal to the host (any case, leading dot): kept, host-only.
    set(
        &jar,
        "http://www.example.com/",
        "same=1; Domain=.WWW.Example.com",
        0,
    );
    assert_eq!(
        sent(&jar, "http://www.example.com/", 0).as_deref(),
        Some("parent=1; tld=1; same=1")
    );
    assert_eq!(sent(&jar, "http://x.www.example.com/", 0), None);
}

#[test]
fn ip_hosts_take_only_their_own_address() {
    let jar = Jar::new();
    set(&jar, "http://127.0.0.1/", "a=1; Domain=0.0.1", 0);
    set(&jar, "http://127.0.0.1/", "b=1; Domain=127.0.0.2", 0);
    set(&jar, "http://10.1.2.3/", "c=1; Domain=2.3", 0);
    assert_eq!(jar.count(), 0);
    set(&jar, "http://127.0.0.1/", "d=1; Domain=127.0.0.1", 0);
    set(&jar, "http://127.0.0.1/", "e=1", 0);
    assert_eq!(
        sent(&jar, "http://127.0.0.1/", 0).as_deref(),
        Some("d=1; e=1")
    );
    assert_eq!(sent(&jar, "http://127.0.0.2/", 0), None);
    assert_eq!(sent(&jar, "http://1.127.0.0.1.example/", 0), None);
    set(&jar, "http://[::1]/", "v6=1", 0);
    assert_eq!(sent(&jar, "http://[::1]:81/", 0).as_deref(), Some("v6=1"));
}

#[test]
fn default_path_and_path_matching() {
    assert_eq!(default_path("/"), "/");
    assert_eq!(default_path("/a"), "/");
    assert_eq!(default_path("/a/"), "/a");
    assert_eq!(default_path("/a/b/c"), "/a/b");
    assert!(path_matches("/a", "/a"));
    assert!(path_matches("/a/b", "/a"));
    assert!(path_matches("/a/b", "/a/"));
    assert!(path_matches("/anything", "/"));
    assert!(!path_matches("/ab", "/a"));
    assert!(!path_matches("/", "/a"));

    let jar = Jar::new();
    // Set by /docs/page: default path /docs.
    set(&jar, "http://h/docs/page", "d=1", 0);
    set(&jar, "http://h/", "api=1; Path=/api", 0);
    assert_eq!(sent(&jar, "http://h/docs", 0).as_deref(), Some("d=1"));
    assert_eq!(sent(&jar, "http://h/docs/x/y", 0).as_deref(), Some("d=1"));
    assert_eq!(sent(&jar, "http://h/docsx", 0), None);
    assert_eq!(sent(&jar, "http://h/", 0), None);
    assert_eq!(
        sent(&jar, "http://h/api/v1?q=1", 0).as_deref(),
        Some("api=1")
    );
}

#[test]
fn order_is_longer_paths_then_earlier_creation() {
    let jar = Jar::new();
    set(&jar, "http://h/", "root=1; Path=/", 0);
    set(&jar, "http://h/", "deep=1; Path=/a/b", 1);
    set(&jar, "http://h/", "mid=1; Path=/a", 2);
    set(&jar, "http://h/", "root2=1; Path=/", 3);
    assert_eq!(
        sent(&jar, "http://h/a/b/c", 4).as_deref(),
        Some("deep=1; mid=1; root=1; root2=1")
    );
    // Replacing a cookie keeps its creation time, so its place.
    set(&jar, "http://h/", "root=2; Path=/", 5);
    assert_eq!(
        sent(&jar, "http://h/", 6).as_deref(),
        Some("root=2; root2=1")
    );
    // The same name on another path is another cookie.
    set(&jar, "http://h/", "root=3; Path=/a", 7);
    assert_eq!(
        sent(&jar, "http://h/a", 8).as_deref(),
        Some("mid=1; root=3; root=2; root2=1")
    );
}

#[test]
fn max_age_and_expires() {
    let jar = Jar::new();
    set(&jar, "http://h/", "short=1; Max-Age=10", 0);
    set(&jar, "http://h/", "session=1", 0);
    assert_eq!(
        sent(&jar, "http://h/", 9).as_deref(),
        Some("short=1; session=1")
    );
    assert_eq!(sent(&jar, "http://h/", 10).as_deref(), Some("session=1"));
    assert_eq!(jar.count(), 1, "the expired cookie was dropped");

    // Max-Age wins over Expires, in either order.
    set(
        &jar,
        "http://h/",
        "a=1; Max-Age=100; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        0,
    );
    set(
        &jar,
        "http://h/",
        "b=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=100",
        0,
    );
    assert_eq!(
        sent(&jar, "http://h/", 50).as_deref(),
        Some("session=1; a=1; b=1")
    );
    set(
        &jar,
        "http://h/",
        "c=1; Max-Age=0; Expires=Fri, 01 Jan 2100 00:00:00 GMT",
        50,
    );
    assert_eq!(
        sent(&jar, "http://h/", 51).as_deref(),
        Some("session=1; a=1; b=1")
    );

    // Max-Age=0 or below deletes; so does an Expires in the past.
    set(&jar, "http://h/", "a=gone; Max-Age=0", 60);
    set(&jar, "http://h/", "b=gone; Max-Age=-1", 60);
    assert_eq!(sent(&jar, "http://h/", 60).as_deref(), Some("session=1"));
    set(
        &jar,
        "http://h/",
        "session=x; Expires=Sun, 06 Nov 1994 08:49:37 GMT",
        61,
    );
    assert_eq!(sent(&jar, "http://h/", 61), None);
    assert_eq!(jar.count(), 0);

    // An Expires in the future is kept until then; a bad date is ignored.
    set(
        &jar,
        "http://h/",
        "until=1; Expires=Tue, 14 Nov 2023 22:13:30 GMT",
        0,
    );
    set(&jar, "http://h/", "bad=1; Expires=someday", 0);
    // 1_700_000_000 is 2023-11-14 22:13:20 UTC.
    assert_eq!(
        sent(&jar, "http://h/", 9).as_deref(),
        Some("until=1; bad=1")
    );
    assert_eq!(sent(&jar, "http://h/", 10).as_deref(), Some("bad=1"));
}

#[test]
fn lifetimes_are_capped_at_400_days() {
    let jar = Jar::new();
    set(&jar, "http://h/", "a=1; Max-Age=999999999999", 0);
    set(
        &jar,
        "http://h/",
        "b=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
        0,
    );
    let day = 24 * 3600;
    assert_eq!(
        sent(&jar, "http://h/", 400 * day - 1).as_deref(),
        Some("a=1; b=1")
    );
    assert_eq!(sent(&jar, "http://h/", 400 * day), None);
}

#[test]
fn secure_cookies_stay_on_https() {
    let jar = Jar::new();
    set(&jar, "https://h/", "s=1; Secure", 0);
    set(&jar, "https://h/", "p=1", 0);
    assert_eq!(sent(&jar, "https://h/", 0).as_deref(), Some("s=1; p=1"));
    assert_eq!(sent(&jar, "http://h/", 0).as_deref(), Some("p=1"));
    // Not even to loopback.
    set(&jar, "https://127.0.0.1/", "s=1; Secure", 0);
    assert_eq!(sent(&jar, "http://127.0.0.1/", 0), None);
    // A Secure cookie from plain http is ignored...
    set(&jar, "http://other/", "s=1; Secure", 0);
    assert_eq!(sent(&jar, "https://other/", 0), None);
    // ...and plain http cannot replace a Secure one.
    set(&jar, "http://h/", "s=evil", 0);
    assert_eq!(sent(&jar, "https://h/", 0).as_deref(), Some("s=1; p=1"));
    // https can.
    set(&jar, "https://h/", "s=2", 0);
    assert_eq!(sent(&jar, "http://h/", 0).as_deref(), Some("s=2; p=1"));
}

#[test]
fn name_prefixes_are_enforced() {
    let jar = Jar::new();
    set(&jar, "https://h/", "__Secure-a=1", 0);
    set(&jar, "https://h/", "__Host-b=1; Secure; Path=/x", 0);
    set(
        &jar,
        "https://h/",
        "__Host-c=1; Secure; Path=/; Domain=h",
        0,
    );
    set(&jar, "https://h/", "__host-d=1", 0);
    assert_eq!(jar.count(), 0);
    set(&jar, "https://h/", "__Secure-a=1; Secure", 0);
    set(&jar, "https://h/", "__Host-b=1; Secure; Path=/", 0);
    assert_eq!(
        sent(&jar, "https://h/", 0).as_deref(),
        Some("__Secure-a=1; __Host-b=1")
    );
}

#[test]
fn nameless_cookies_are_sent_as_their_value() {
    let jar = Jar::new();
    set(&jar, "http://h/", "token", 0);
    set(&jar, "http://h/", "a=1", 0);
    assert_eq!(sent(&jar, "http://h/", 0).as_deref(), Some("token; a=1"));
}

#[test]
fn a_nameless_cookie_cannot_pose_as_a_named_one() {
    // Found by the cookie fuzz target: `=sid=evil` has no name, so it is
    // sent as its value, which a server reads as `sid=evil`.
    let jar = Jar::new();
    set(&jar, "https://h/", "sid=1; Secure", 0);
    set(&jar, "http://h/", "=sid=evil", 0);
    set(&jar, "https://h/", "=x=y", 0);
    assert_eq!(sent(&jar, "https://h/", 0).as_deref(), Some("sid=1"));
    assert_eq!(sent(&jar, "http://h/", 0), None);
}

#[test]
fn oversized_cookies_are_ignored() {
    let jar = Jar::new();
    let big = format!("n={}", "v".repeat(MAX_NAME_VALUE_BYTES));
    set(&jar, "http://h/", &big, 0);
    assert_eq!(jar.count(), 0);
    let fits = format!("n={}", "v".repeat(MAX_NAME_VALUE_BYTES - 1));
    set(&jar, "http://h/", &fits, 0);
    assert_eq!(jar.count(), 1);
}

#[test]
fn per_host_limit_evicts_the_least_recently_used() {
    let jar = Jar::new();
    for i in 0..MAX_COOKIES_PER_HOST {
        set(&jar, "http://h/", &format!("c{i}=1; Path=/p{i}"), 0);
    }
    // c0 is sent (used), so c1 is now the least recently used.
    assert_eq!(sent(&jar, "http://h/p0", 1).as_deref(), Some("c0=1"));
    set(&jar, "http://h/", "new=1; Path=/new", 2);
    assert_eq!(jar.count(), MAX_COOKIES_PER_HOST);
    assert_eq!(sent(&jar, "http://h/p0", 3).as_deref(), Some("c0=1"));
    assert_eq!(sent(&jar, "http://h/p1", 3), None);
    assert_eq!(sent(&jar, "http://h/new", 3).as_deref(), Some("new=1"));
    // Expired cookies go before any live one.
    set(&jar, "http://h/", "brief=1; Path=/b; Max-Age=1", 4);
    assert_eq!(jar.count(), MAX_COOKIES_PER_HOST);
    assert_eq!(sent(&jar, "http://h/p2", 4), None, "p2 made room for brief");
    set(&jar, "http://h/", "late=1; Path=/late", 10);
    assert_eq!(sent(&jar, "http://h/p3", 10).as_deref(), Some("c3=1"));
    assert_eq!(sent(&jar, "http://h/late", 10).as_deref(), Some("late=1"));
}

#[test]
fn the_jar_as_a_whole_is_bounded() {
    let jar = Jar::new();
    let hosts = MAX_COOKIES / MAX_COOKIES_PER_HOST + 2;
    for h in 0..hosts {
        for i in 0..MAX_COOKIES_PER_HOST {
            set(
                &jar,
                &format!("http://h{h}/"),
                &format!("c{i}=1; Path=/{i}"),
                0,
            );
        }
    }
    assert_eq!(jar.count(), MAX_COOKIES);
    // The first hosts' cookies, the least recently used, went first.
    assert_eq!(sent(&jar, "http://h0/0", 1), None);
    let last = format!("http://h{}/0", hosts - 1);
    assert_eq!(sent(&jar, &last, 1).as_deref(), Some("c0=1"));
}

#[test]
fn the_cookie_field_is_sensitive_and_debug_hides_values() {
    let jar = Jar::new();
    set(&jar, "http://h/", "secret=hunter2", 0);
    let v = jar.header_at(&url("http://h/"), at(0)).unwrap();
    assert!(v.is_sensitive());
    let debug = format!("{jar:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
}

#[test]
fn the_store_trait_reads_every_field() {
    let jar = Jar::new();
    let fields = [
        HeaderValue::from_static("a=1"),
        HeaderValue::from_static("="),
        HeaderValue::from_static("b=2; Path=/"),
    ];
    jar.set_cookies(&mut fields.iter(), &url("http://h/x"));
    assert_eq!(
        jar.cookies(&url("http://h/")).unwrap().to_str().unwrap(),
        "a=1; b=2"
    );
}
