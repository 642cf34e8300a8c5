//! Wraps each line of `uses.txt` in a function of its own, so that a line
//! that does not compile fails alone and `check.sh` can count it.
use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=uses.txt");
    let uses = std::fs::read_to_string("uses.txt").expect("uses.txt");
    let mut out = String::new();
    for (i, line) in uses.lines().enumerate() {
        // One function per line of uses.txt, on one line of the output:
        // an error on output line N is use N.
        writeln!(
            out,
            "pub async fn use_{n:03}(c: reqwest::Client, resp: reqwest::Response, err: reqwest::Error, url: reqwest::Url, rb: reqwest::RequestBuilder) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {{ {line}; Ok(()) }}",
            n = i + 1
        )
        .unwrap();
    }
    let dir = std::env::var("OUT_DIR").unwrap();
    std::fs::write(format!("{dir}/uses.rs"), out).unwrap();
}
