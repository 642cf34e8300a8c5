//! Every line of the benches that touches brisk's client API, in one place,
//! behind the `brisk-client` feature (on by default). If that API moves,
//! this is the one file to fix; `--no-default-features` builds everything
//! else meanwhile.

use crate::clients::{BenchClient, BoxError, Options, Target};

/// `brisk::Client`, used as its documentation shows.
pub struct Brisk(brisk::Client);

impl Brisk {
    /// Builds the client: the pool size, and the server's self-signed
    /// certificate as a trusted root for TLS targets.
    pub fn new(options: &Options) -> Result<Self, BoxError> {
        let mut builder =
            brisk::Client::builder().pool_max_idle_per_host(options.pool_max_idle_per_host);
        if let Some(der) = &options.root_der {
            // Trust only the bench server's certificate, as the other
            // clients do: no built-in roots to load per client.
            builder = builder
                .tls_built_in_root_certs(false)
                .add_root_certificate(brisk::Certificate::from_der(der)?);
        }
        Ok(Brisk(builder.build()?))
    }
}

impl BenchClient for Brisk {
    async fn get(&self, target: &Target) -> Result<usize, BoxError> {
        let resp = self.0.get(target.url.as_str()).send().await?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(format!("unexpected status {status}").into());
        }
        let body: Vec<u8> = resp.bytes().await?;
        Ok(body.len())
    }

    async fn stream(&self, target: &Target, buf: &mut [u8]) -> Result<u64, BoxError> {
        let mut resp = self.0.get(target.url.as_str()).send().await?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(format!("unexpected status {status}").into());
        }
        // `read` fills the caller's buffer and says 0 at the end of the
        // body: one buffer, reused for every download, whatever its size.
        let mut n = 0u64;
        loop {
            match resp.read(buf).await? {
                0 => return Ok(n),
                k => n += k as u64,
            }
        }
    }

    fn connections_opened(&self) -> Option<u64> {
        Some(self.0.stats().connections_opened)
    }
}
