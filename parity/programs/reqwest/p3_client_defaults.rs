//! 3. A shared client with default headers, a user agent and timeouts;
//! the status decides what to do.
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION};
use reqwest::StatusCode;
use std::time::Duration;

pub fn client(token: &str) -> Result<reqwest::Client, Box<dyn std::error::Error>> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/vnd.github+json"));
    let mut auth = HeaderValue::from_str(&format!("Bearer {token}"))?;
    auth.set_sensitive(true);
    headers.insert(AUTHORIZATION, auth);
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .user_agent("my-app/1.0")
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()?)
}

pub async fn run(client: &reqwest::Client) -> Result<Option<String>, reqwest::Error> {
    let resp = client.get("https://api.github.com/repos/rust-lang/rust").send().await?;
    match resp.status() {
        StatusCode::OK => Ok(Some(resp.text().await?)),
        StatusCode::NOT_FOUND => Ok(None),
        s if s.is_server_error() => Err(resp.error_for_status().unwrap_err()),
        _ => Ok(None),
    }
}
