//! 2. An LLM call: typed JSON in and out, bearer auth, a timeout.
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<Message>,
    temperature: Option<f32>,
}

#[derive(Serialize, Deserialize)]
struct Message {
    role: String,
    content: String,
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
}

pub async fn run(api_key: &str) -> Result<String, reqwest::Error> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let req = ChatRequest {
        model: "gpt-4o-mini",
        messages: vec![Message { role: "user".into(), content: "Hello".into() }],
        temperature: Some(0.2),
    };
    let resp: ChatResponse = client
        .post("https://api.openai.com/v1/chat/completions")
        .bearer_auth(api_key)
        .json(&req)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(resp.choices.into_iter().next().map(|c| c.message.content).unwrap_or_default())
}
