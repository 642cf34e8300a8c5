//! A chat client on brisk: one question to an OpenAI-compatible provider,
//! the reply printed whole or token by token.
//!
//! ```sh
//! chat [--provider openai|zhipu|qianfan|custom] [--base-url URL] [--model M]
//!      [--stream] [--system TEXT] [--tools FILE] [--json] MESSAGE
//! ```
//!
//! With the provider's key in the environment (`OPENAI_API_KEY`,
//! `ZHIPUAI_API_KEY`, `QIANFAN_API_KEY`) it talks to the provider. With
//! none (and no `--base-url`) it starts brisk's mock server on loopback and
//! says so on stderr, so it always runs offline (the mock needs the `mock`
//! feature, on by default: `cargo run --example chat -- "hello"`).
//!
//! A local or self-hosted server (Ollama, vLLM, llama.cpp, litellm) is
//! `--base-url URL` (the part before `/chat/completions`, such as
//! `http://127.0.0.1:11434/v1`): without the provider's key in the
//! environment the call goes out keyless, as `--provider custom` does;
//! with it, the key is sent, as openai-python sends `OPENAI_API_KEY` to any
//! base URL. The URL is checked before anything else. The model is
//! `--model`, else the provider's default (`gpt-4o-mini` for openai);
//! `--provider custom` has none, so it needs `--model`.
//!
//! `--tools FILE` reads a JSON array of tools, in OpenAI's form
//! (`{"type":"function","function":{...}}`) or flat (`{"name",
//! "description", "parameters"}`). `--json` prints the assembled reply as
//! one JSON object, its `tool_calls` in OpenAI's own shape (`{"id",
//! "type": "function", "function": {"name", "arguments"}}`), so that
//! `role`, `content` and `tool_calls` go back to any OpenAI-compatible API
//! as the assistant's message unchanged. An API error (quota, auth, a bad
//! reply) exits non-zero with its kind and message.

use brisk::chat::{
    Chat, ChatError, ChatRequest, ErrorKind, Message, Provider, Reply, StreamError, Tool,
};
use serde_json::{json, Value};
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

/// The parsed command line.
pub struct Args {
    provider: String,
    base_url: Option<String>,
    model: Option<String>,
    stream: bool,
    system: Option<String>,
    tools: Option<String>,
    json: bool,
    message: String,
}

const USAGE: &str = "usage: chat [--provider openai|zhipu|qianfan|custom] [--base-url URL] \
[--model M] [--stream] [--system TEXT] [--tools FILE] [--json] MESSAGE";

/// Parses the arguments (after the program name).
pub fn parse_args(words_in: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        provider: "openai".into(),
        base_url: None,
        model: None,
        stream: false,
        system: None,
        tools: None,
        json: false,
        message: String::new(),
    };
    let mut words = Vec::new();
    let mut it = words_in;
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--provider" => args.provider = value("--provider")?,
            "--base-url" => args.base_url = Some(value("--base-url")?),
            "--model" => args.model = Some(value("--model")?),
            "--system" => args.system = Some(value("--system")?),
            "--tools" => args.tools = Some(value("--tools")?),
            "--stream" => args.stream = true,
            "--json" => args.json = true,
            "-h" | "--help" => return Err(USAGE.into()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{USAGE}")),
            _ => words.push(a),
        }
    }
    if words.is_empty() {
        return Err(USAGE.into());
    }
    args.message = words.join(" ");
    Ok(args)
}

/// The provider the command line names, with the base URL checked
/// first. A `--base-url` without the named provider's key in the
/// environment is a keyless custom server, keeping the named provider's
/// default model; with the key, it is that provider at another address.
fn provider(
    name: &str,
    base_url: Option<&str>,
    has_key: impl Fn(&Provider) -> bool,
) -> Result<(Provider, Option<&'static str>), String> {
    if let Some(url) = base_url {
        brisk::Url::parse(url).map_err(|e| format!("--base-url {url:?}: {e}"))?;
    }
    let named = match name {
        "openai" => Provider::OpenAi,
        "zhipu" => Provider::Zhipu,
        "qianfan" => Provider::Qianfan,
        "custom" => match base_url {
            Some(url) => Provider::Custom(url.to_string()),
            None => return Err("--provider custom needs --base-url URL".into()),
        },
        other => {
            return Err(format!(
                "unknown provider {other}: openai, zhipu, qianfan or custom"
            ))
        }
    };
    let model = named.default_model();
    Ok(match base_url {
        Some(url) if !has_key(&named) => (Provider::Custom(url.to_string()), model),
        _ => (named, model),
    })
}

/// Tools from a file: OpenAI's form or the flat one.
fn read_tools(path: &str) -> Result<Vec<Tool>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let list: Vec<Value> = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    list.into_iter()
        .map(|t| {
            let f = t.get("function").unwrap_or(&t);
            let name = f["name"]
                .as_str()
                .ok_or(format!("{path}: a tool has no name"))?;
            Ok(Tool {
                name: name.to_string(),
                description: f["description"].as_str().map(str::to_string),
                parameters: f
                    .get("parameters")
                    .cloned()
                    .unwrap_or(json!({"type": "object"})),
            })
        })
        .collect()
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(args, &mut std::io::stdout()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Asks the question; the reply goes to `out`, notes to stderr.
pub async fn run(args: Args, out: &mut dyn Write) -> Result<(), String> {
    let has_key = |p: &Provider| std::env::var(p.key_variable()).is_ok_and(|k| !k.is_empty());
    let (provider, default_model) = provider(&args.provider, args.base_url.as_deref(), has_key)?;
    if matches!(provider, Provider::Custom(_)) && args.model.is_none() && default_model.is_none() {
        return Err("--provider custom needs --model (the model the server serves)".into());
    }
    let tools = match &args.tools {
        Some(path) => read_tools(path)?,
        None => Vec::new(),
    };
    let mut builder = Chat::builder(provider.clone());
    // Kept alive for the whole call: the mock stops when dropped.
    #[cfg(feature = "mock")]
    let mut _mock = None;
    if let Some(url) = &args.base_url {
        builder = builder.base_url(url.clone());
        if let (Provider::Custom(_), Some(model)) = (&provider, default_model) {
            builder = builder.model(model);
        }
    } else if !has_key(&provider) {
        #[cfg(feature = "mock")]
        {
            let server = offline_server(&tools).await?;
            eprintln!(
                "chat: no {} set: answering from brisk's mock server at {} (offline)",
                provider.key_variable(),
                server.base_url()
            );
            builder = Chat::builder(Provider::Custom(server.base_url())).model("mock-1");
            _mock = Some(server);
        }
        #[cfg(not(feature = "mock"))]
        return Err(format!(
            "no {} set; to run offline on the mock server, build with --features mock",
            provider.key_variable()
        ));
    }
    if let Some(model) = &args.model {
        builder = builder.model(model.clone());
    }
    let chat = builder.build();

    let mut messages = Vec::new();
    messages.extend(args.system.clone().map(Message::system));
    messages.push(Message::user(args.message.clone()));
    let mut request = ChatRequest::new(messages);
    request.tools = tools;

    let started = Instant::now();
    let reply = if args.stream {
        stream(&chat, request, args.json, started, out).await?
    } else {
        chat.send(request).await.map_err(describe)?
    };
    let written = if args.json {
        writeln!(out, "{}", reply_json(&reply))
    } else if !args.stream {
        print_reply(&reply, out)
    } else {
        Ok(())
    };
    written.map_err(|e| format!("writing the reply: {e}"))
}

/// The reply's text, then its tool calls, one a line.
fn print_reply(reply: &Reply, out: &mut dyn Write) -> std::io::Result<()> {
    if !reply.content.is_empty() || reply.tool_calls.is_empty() {
        writeln!(out, "{}", reply.content)?;
    }
    print_tool_calls(reply, out)
}

fn print_tool_calls(reply: &Reply, out: &mut dyn Write) -> std::io::Result<()> {
    for call in &reply.tool_calls {
        writeln!(
            out,
            "[tool call {}] {}({})",
            call.id, call.name, call.arguments
        )?;
    }
    Ok(())
}

/// Prints tokens as they arrive (unless the whole reply is wanted as
/// JSON) and returns the assembled reply.
async fn stream(
    chat: &Chat,
    request: ChatRequest,
    json: bool,
    started: Instant,
    out: &mut dyn Write,
) -> Result<Reply, String> {
    let write_err = |e: std::io::Error| format!("writing the reply: {e}");
    let mut stream = chat.stream_request(request).await.map_err(describe)?;
    let mut first = None;
    while let Some(delta) = stream.next().await {
        let delta = delta.map_err(describe_stream)?;
        if !delta.text().is_empty() {
            first.get_or_insert_with(|| started.elapsed());
            if !json {
                write!(out, "{}", delta.text()).map_err(write_err)?;
                out.flush().map_err(write_err)?;
            }
        }
    }
    let reply = stream.into_reply();
    if !json {
        writeln!(out).map_err(write_err)?;
        print_tool_calls(&reply, out).map_err(write_err)?;
        if let Some(t) = first {
            eprintln!("chat: first token after {:.0} ms", t.as_secs_f64() * 1e3);
        }
    }
    Ok(reply)
}

/// The reply as one JSON object: `role`, `content` and `tool_calls` as an
/// assistant message in OpenAI's shape, then what brisk learned besides.
pub fn reply_json(reply: &Reply) -> Value {
    json!({
        "role": "assistant",
        "content": reply.content,
        "reasoning": reply.reasoning,
        "tool_calls": reply.tool_calls.iter().map(|c| json!({
            "id": c.id,
            "type": "function",
            "function": {"name": c.name, "arguments": c.arguments},
        })).collect::<Vec<_>>(),
        "finish_reason": reply.finish_reason,
        "usage": reply.usage.map(|u| json!({
            "prompt_tokens": u.prompt_tokens,
            "completion_tokens": u.completion_tokens,
            "total_tokens": u.total_tokens,
            "cached_tokens": u.cached_tokens,
            "reasoning_tokens": u.reasoning_tokens,
        })),
        "request_id": reply.request_id,
        "attempts": reply.attempts,
    })
}

/// A clear line for an API error: its kind first (quota, auth...).
fn describe(e: ChatError) -> String {
    let hint = match e.kind() {
        ErrorKind::QuotaExhausted => " (the account is out of credit: retrying will not help)",
        ErrorKind::Authentication => " (check the API key)",
        ErrorKind::RateLimited => " (rate limited: try again later)",
        _ => "",
    };
    format!("{e}{hint}")
}

fn describe_stream(e: StreamError) -> String {
    let partial = e.partial().content.clone();
    let msg = describe(e.into());
    if partial.is_empty() {
        msg
    } else {
        format!("{msg}\n(received before the error: {partial:?})")
    }
}

/// The mock server for an offline run: it echoes the question, streamed
/// word by word, or asks for the first tool when tools were given.
#[cfg(feature = "mock")]
async fn offline_server(tools: &[Tool]) -> Result<brisk::mock::MockServer, String> {
    use brisk::mock::{Answer, MockServer};
    use std::time::Duration;
    let answer = match tools.first() {
        Some(tool) => Answer::tool_call(tool.name.clone(), "{}"),
        None => Answer::echo().token_delay(Duration::from_millis(30)),
    };
    let server = MockServer::start()
        .await
        .map_err(|e| format!("starting the mock server: {e}"))?;
    server.set_default(answer);
    Ok(server)
}
