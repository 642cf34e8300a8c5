//! One GET with brisk; prints the status and the body's length.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://example.com/".into());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = brisk::Client::new();
        let resp = client.get(&url).send().await?;
        let status = resp.status().as_u16();
        let body: Vec<u8> = resp.bytes().await?;
        println!("{status} {} bytes", body.len());
        Ok(())
    })
}
