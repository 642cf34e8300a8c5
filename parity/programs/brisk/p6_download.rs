//! 6. A download in chunks, with progress from Content-Length.
use tokio::io::AsyncWriteExt;

pub async fn run(url: &str, out: &mut (impl tokio::io::AsyncWrite + Unpin)) -> Result<u64, Box<dyn std::error::Error>> {
    let mut resp = brisk::get(url).await?.error_for_status()?;
    let total = resp.content_length();
    let mut done = 0u64;
    while let Some(chunk) = resp.chunk().await? {
        out.write_all(&chunk).await?;
        done += chunk.len() as u64;
        if let Some(total) = total {
            eprint!("\r{done}/{total}");
        }
    }
    Ok(done)
}
