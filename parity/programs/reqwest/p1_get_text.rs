//! 1. The one-liner: fetch a page as text.
pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let body = reqwest::get("https://www.rust-lang.org").await?.text().await?;
    println!("{} bytes", body.len());
    Ok(())
}
