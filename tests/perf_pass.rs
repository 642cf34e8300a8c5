//! What the performance pass of issue 13 could have weakened, found by an
//! adversarial review of it (066b160..dbf8f3c): each test failed on the
//! pass and passed before it.

mod support;

use brisk::header::{HeaderMap, HeaderValue};
use brisk::Client;
use support::server::{recording, redirecting_to};

/// A default `Host` marked sensitive is a default like any other: the
/// builder's docs promise it is dropped when a redirect leads to another
/// origin, so the next origin gets its own authority as `Host`.
/// `Request::encode_head` now finds the `Host` value itself, from the
/// client's defaults, without the cross-origin filter that `HeaderIter`
/// applies to every other default field.
#[tokio::test]
async fn a_sensitive_default_host_does_not_cross_origins() {
    let (target, mut seen) = recording("landed").await;
    let from = redirecting_to(target.url("/landed")).await;
    let mut defaults = HeaderMap::new();
    let mut host = HeaderValue::from_static("tenant-a.internal");
    host.set_sensitive(true);
    defaults.insert("host", host);
    let client = Client::builder().default_headers(defaults).build().unwrap();
    let resp = client.get(from.url("/")).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "landed");
    let landed = seen.recv().await.unwrap();
    assert_eq!(
        landed.header("host"),
        Some(target.addr.to_string().as_str()),
        "{}",
        landed.head
    );
}

/// The same through `sensitive_header("host")` on the builder.
#[tokio::test]
async fn a_host_named_sensitive_does_not_cross_origins() {
    let (target, mut seen) = recording("landed").await;
    let from = redirecting_to(target.url("/landed")).await;
    let client = Client::builder()
        .default_header("Host", "tenant-a.internal")
        .sensitive_header("host")
        .build()
        .unwrap();
    let resp = client.get(from.url("/")).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "landed");
    let landed = seen.recv().await.unwrap();
    assert_eq!(
        landed.header("host"),
        Some(target.addr.to_string().as_str()),
        "{}",
        landed.head
    );
}

/// `Url::parse` now writes through a thread-local scratch buffer (and
/// `&str` URLs go through a thread-local memo). A thread-local that is
/// already destroyed panics when touched, and a panic in a thread-local
/// destructor aborts the process. Parsing a URL from another
/// thread-local's destructor (a logger flushing to an endpoint on thread
/// exit, say) used to work. Run in a child process, since the failure is
/// an abort.
#[test]
fn a_url_parses_in_a_thread_local_destructor() {
    if std::env::var_os("BRISK_PASS13_CHILD").is_some() {
        struct ParseOnDrop;
        impl Drop for ParseOnDrop {
            fn drop(&mut self) {
                let url = brisk::Url::parse("http://example.com/on-exit").unwrap();
                assert_eq!(url.path(), "/on-exit");
                // Text given to a request goes through the thread's memo.
                let req = brisk::Client::new()
                    .get("http://example.com/on-exit")
                    .build()
                    .unwrap();
                assert_eq!(req.url().path(), "/on-exit");
            }
        }
        thread_local! {
            static GUARD: ParseOnDrop = const { ParseOnDrop };
        }
        std::thread::spawn(|| {
            // Registered first, so destroyed after brisk's own.
            GUARD.with(|_| {});
            brisk::Url::parse("http://example.com/").unwrap();
            let _ = brisk::Client::new().get("http://example.com/").build();
        })
        .join()
        .unwrap();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_url_parses_in_a_thread_local_destructor",
            "--nocapture",
        ])
        .env("BRISK_PASS13_CHILD", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
