//! 5. Errors: timeouts, connection failures, status errors, and a
//! rate limit with its Retry-After header.
use brisk::StatusCode;
use std::time::Duration;

pub async fn run(client: &brisk::Client, url: &str) -> Result<String, Box<dyn std::error::Error>> {
    let resp = match client.get(url).send().await {
        Ok(resp) => resp,
        Err(e) if e.is_timeout() => return Err(format!("timed out: {e}").into()),
        Err(e) if e.is_connect() => return Err(format!("cannot connect: {e}").into()),
        Err(e) => return Err(e.into()),
    };
    if resp.status() == StatusCode::TOO_MANY_REQUESTS {
        let wait = resp
            .headers()
            .get(brisk::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(1);
        tokio::time::sleep(Duration::from_secs(wait)).await;
        return Err("rate limited".into());
    }
    if let Err(e) = resp.error_for_status_ref() {
        eprintln!("status {:?} for {:?}", e.status(), e.url().map(|u| u.as_str()));
    }
    let ct = resp
        .headers()
        .get(brisk::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp.error_for_status()?.text().await?;
    Ok(format!("{ct}: {body}"))
}
