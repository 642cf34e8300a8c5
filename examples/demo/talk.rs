//! Steps 6 and 7: a streamed reply, token by token, and a reply with
//! follow-up questions made locally.

use crate::console::{heading, human};
use crate::{Demo, DemoResult};
use brisk::chat::ChatOptions;
use brisk::mock::Answer;
use brisk::Client;
use std::io::Write;
use std::time::Instant;

const STORY: &str = "Pingyao keeps its Ming-era walls whole: six gates, seventy-two \
watchtowers, and lanes of courtyard houses where the first Chinese banks \
cashed drafts across the empire.";

/// Step 6: a streamed reply printed as its tokens arrive, through
/// `Chat::stream` (a `ChatStream`: the event stream read with
/// `brisk::sse`, each chunk a `Delta`, the reply assembled as it goes).
pub async fn streaming(demo: &mut Demo) -> DemoResult<()> {
    let cfg = &demo.cfg;
    heading(6, "Streaming: tokens as they arrive");
    demo.server.on_model(
        "storyteller",
        Answer::text(STORY)
            .delay(cfg.first_token)
            .token_delay(cfg.token_gap),
    );
    let client = Client::new();
    let chat = demo.chat(&client, "storyteller");
    println!(
        "chat.stream(..): the server waits {} before the first token, then {} between tokens",
        human(cfg.first_token),
        human(cfg.token_gap)
    );
    let t0 = Instant::now();
    let mut stream = chat
        .stream("Tell me about Pingyao.", ChatOptions::default())
        .await?;
    let mut first = None;
    let mut tokens = 0;
    let mut out = std::io::stdout();
    print!("  ");
    while let Some(delta) = stream.next().await {
        let delta = delta?;
        let text = delta.text();
        if text.is_empty() {
            continue;
        }
        first.get_or_insert_with(|| t0.elapsed());
        tokens += 1;
        print!("{text}");
        out.flush()?;
    }
    println!();
    let total = t0.elapsed();
    let reply = stream.into_reply();
    let ttft = first.ok_or("the stream brought no tokens")?;
    println!(
        "time to first token {}, {tokens} tokens in {} ({:.0} tokens/s after the first); \
         finish {:?}, usage {} tokens",
        human(ttft),
        human(total),
        (tokens.max(1) - 1) as f64 / (total - ttft).as_secs_f64().max(1e-9),
        reply.finish_reason.as_deref().unwrap_or("none"),
        reply.usage.map_or(0, |u| u.completion_tokens)
    );
    if reply.content != STORY {
        return Err("the assembled reply differs from what was sent".into());
    }
    // The first token cannot come before the server sent it: a lower
    // bound holds on any machine.
    demo.checks.behaviour(
        tokens > 1 && ttft >= cfg.first_token,
        format!(
            "stream: {tokens} tokens, the first after {} (the server waited {})",
            human(ttft),
            human(cfg.first_token)
        ),
    );
    Ok(())
}

/// Step 7: `chat_with_suggestions`: the reply, and follow-up questions made
/// from its structure, with no second call.
pub async fn suggestions(demo: &mut Demo) -> DemoResult<()> {
    heading(7, "Chat with suggestions: follow-ups made locally");
    demo.server.on_model(
        "guide",
        Answer::text(
            "Pingyao is at its best in autumn.\n\
             \n\
             - Autumn: mild days, clear skies, few tour groups\n\
             - Spring: blossom, but dusty winds\n\
             - Winter: cold and quiet, the cheapest rooms",
        )
        .delay(demo.cfg.call),
    );
    let client = Client::new();
    let chat = demo.chat(&client, "guide");
    let question = "When is Pingyao at its best?";
    let seen = demo.server.request_count();
    let t0 = Instant::now();
    let out = chat
        .chat_with_suggestions(question, ChatOptions::default())
        .await?;
    println!("Q: {question}");
    for (i, line) in out.reply.content.lines().enumerate() {
        println!("{} {line}", if i == 0 { "A:" } else { "  " });
    }
    println!("follow-ups (DefaultSuggest, no second call):");
    for s in &out.suggestions {
        println!("  - {s}");
    }
    let seen = demo.server.request_count() - seen;
    println!(
        "{} in all; the server saw {seen} request(s) for it",
        human(t0.elapsed()),
    );
    demo.checks.behaviour(
        out.suggestions.len() == 3 && seen == 1,
        format!(
            "{} suggestions from {seen} request (3 from 1)",
            out.suggestions.len()
        ),
    );
    Ok(())
}
