//! One GET with ureq; prints the status and the body's length.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "https://example.com/".into());
    let mut resp = ureq::get(&url).call()?;
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_vec()?;
    println!("{status} {} bytes", body.len());
    Ok(())
}
