//! 8. Through a proxy; a request built once, cloned and sent twice, with a
//! header changed on the copy.
use brisk::header::{HeaderValue, ACCEPT};
use brisk::{Method, Proxy};
use std::time::Duration;

pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let client = brisk::Client::builder()
        .proxy(Proxy::https("http://proxy.internal:3128")?.basic_auth("me", "pw"))
        .build()?;
    let req = client
        .request(Method::GET, "https://example.com/items")
        .timeout(Duration::from_secs(10))
        .build()?;
    let mut again = req.try_clone().expect("no streamed body");
    again.headers_mut().insert(ACCEPT, HeaderValue::from_static("application/json"));
    let first = client.execute(req).await?;
    let second = client.execute(again).await?;
    println!("{} {}", first.status(), second.status());
    Ok(())
}
