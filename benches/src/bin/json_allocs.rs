//! Allocations of one typed JSON round trip, brisk against reqwest: an
//! LLM-style request struct sent with `.json(&req)`, the 1 KiB chat
//! completion of the loopback server's `/chat` decoded with
//! `.json::<Reply>()` into a derived struct. Also the same call made
//! through `serde_json::Value` (`to_value`, then `from_value`), which is
//! what typed code had to do while brisk's JSON API took only a `Value`.
//!
//! ```text
//! json_allocs [--requests N] [--warmup N]
//! ```
//!
//! One current-thread runtime, the server in-process on its own thread
//! (not counted), one client per case, warmed up on its connection first;
//! then N sequential calls are counted by the counting allocator, as
//! `compare` counts its workloads. The request struct is built once, so
//! what is counted is the client's work and the reply's own `String`s.
//! Prints one markdown table.

use brisk_benches::alloc_count::{self, Counting};
use brisk_benches::clients::BoxError;
use brisk_benches::server::{self, CHAT_REPLY};
use serde::{Deserialize, Serialize};
use std::future::Future;

#[global_allocator]
static ALLOC: Counting = Counting;

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [Message<'a>],
    max_tokens: u32,
    temperature: f32,
    stream: bool,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Deserialize)]
#[allow(dead_code)] // decoded as a user's code would, read only in part
struct Reply {
    id: String,
    model: String,
    choices: Vec<Choice>,
    usage: Usage,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Choice {
    index: u32,
    message: ReplyMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct ReplyMessage {
    role: String,
    content: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Usage {
    prompt_tokens: u32,
    completion_tokens: u32,
    total_tokens: u32,
}

fn content_len(reply: &Reply) -> usize {
    reply.choices[0]
        .message
        .content
        .as_deref()
        .map_or(0, str::len)
}

/// `warm` calls, then `n` counted calls; allocations and bytes per call.
async fn per_call<F, Fut>(n: usize, warm: usize, mut call: F) -> Result<(f64, f64), BoxError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, BoxError>>,
{
    for _ in 0..warm {
        call().await?;
    }
    alloc_count::start();
    let mut len = 0;
    for _ in 0..n {
        len += call().await?;
    }
    let counts = alloc_count::stop();
    if len == 0 {
        return Err("the reply had no content".into());
    }
    Ok((
        counts.allocs as f64 / n as f64,
        counts.bytes as f64 / n as f64,
    ))
}

fn main() -> Result<(), BoxError> {
    let (mut n, mut warm) = (2_000usize, 200usize);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--requests" => n = value()?.parse()?,
            "--warmup" => warm = value()?.parse()?,
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let server = server::spawn(0, false)?;
    let url = format!("http://{}/chat", server.addr);
    let messages = [
        Message {
            role: "system",
            content: "You are a concise assistant for network engineers.",
        },
        Message {
            role: "user",
            content: "Why does connection pooling matter for LLM API clients?",
        },
    ];
    let req = ChatRequest {
        model: "gpt-4o-mini",
        messages: &messages,
        max_tokens: 256,
        temperature: 0.2,
        stream: false,
    };
    let body_len = serde_json::to_vec(&req)?.len();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let rows = rt.block_on(async {
        let brisk = brisk::Client::new();
        let reqwest = reqwest::Client::builder().no_proxy().build()?;
        let (url, req, brisk, reqwest) = (&url, &req, &brisk, &reqwest);
        let mut rows = Vec::new();
        let typed = per_call(n, warm, || async move {
            let reply: Reply = brisk.post(url).json(req).send().await?.json().await?;
            Ok(content_len(&reply))
        })
        .await?;
        rows.push(("brisk", "typed: `.json(&req)`, `.json::<Reply>()`", typed));
        let typed = per_call(n, warm, || async move {
            let reply: Reply = reqwest.post(url).json(req).send().await?.json().await?;
            Ok(content_len(&reply))
        })
        .await?;
        rows.push(("reqwest", "typed: `.json(&req)`, `.json::<Reply>()`", typed));
        let value = per_call(n, warm, || async move {
            let v = serde_json::to_value(req)?;
            let back: serde_json::Value = brisk.post(url).json(&v).send().await?.json().await?;
            let reply: Reply = serde_json::from_value(back)?;
            Ok(content_len(&reply))
        })
        .await?;
        rows.push(("brisk", "through `serde_json::Value`", value));
        let value = per_call(n, warm, || async move {
            let v = serde_json::to_value(req)?;
            let back: serde_json::Value = reqwest.post(url).json(&v).send().await?.json().await?;
            let reply: Reply = serde_json::from_value(back)?;
            Ok(content_len(&reply))
        })
        .await?;
        rows.push(("reqwest", "through `serde_json::Value`", value));
        Ok::<_, BoxError>(rows)
    })?;

    // The reply's own `String`s and `Vec`, which every client pays alike:
    // decoding the same bytes with no client around them.
    alloc_count::start();
    let reply: Reply = serde_json::from_slice(CHAT_REPLY.as_bytes())?;
    let own = alloc_count::stop().allocs;
    drop(reply);

    println!(
        "One chat call: a {body_len}-byte request, a {}-byte reply; {n} calls counted after {warm} warm-up calls.",
        CHAT_REPLY.len()
    );
    println!("Decoding the reply into `Reply` alone allocates {own} times (its own strings and vector), in every row.\n");
    println!("| client | JSON | allocations per call | bytes allocated per call |");
    println!("|---|---|---|---|");
    for (client, how, (allocs, bytes)) in rows {
        println!("| {client} | {how} | {allocs:.1} | {bytes:.0} |");
    }
    Ok(())
}
