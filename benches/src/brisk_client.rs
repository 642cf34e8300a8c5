//! Every line of the benches that touches brisk's client API, in one place,
//! behind the `brisk-client` feature (on by default). If that API moves,
//! this is the one file to fix; `--no-default-features` builds everything
//! else meanwhile.

use crate::clients::{BenchClient, BoxError, Options, Target};

/// `brisk::Client`, used as its documentation shows; with
/// `BRISK_BENCH_OTLP` set, traced, and its exporter's counts printed on
/// stderr when it is dropped.
pub struct Brisk(brisk::Client, Option<brisk::trace::OtlpExporter>);

/// A span sink that keeps nothing.
struct Discard;

impl brisk::trace::SpanSink for Discard {
    fn export(&self, _: brisk::trace::Span) {}
}

impl Drop for Brisk {
    fn drop(&mut self) {
        if let Some(exporter) = &self.1 {
            eprintln!("otlp: {:?}", exporter.stats());
        }
    }
}

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
        // Tracing on, every span exported as OTLP/JSON to the URL given
        // (the tracing cost in `ab.sh`: run one build with and without).
        // Tracing on, every span dropped as it ends: the cost of making
        // spans and propagating, without exporting them.
        if std::env::var_os("BRISK_BENCH_TRACE_DISCARD").is_some() {
            builder = builder.tracing(brisk::trace::Tracer::new(Discard));
        }
        let mut exporter = None;
        if let Ok(endpoint) = std::env::var("BRISK_BENCH_OTLP") {
            let e = brisk::trace::OtlpExporter::builder()
                .traces_endpoint(&endpoint)
                .build()?;
            builder = builder.tracing(brisk::trace::Tracer::new(e.clone()));
            exporter = Some(e);
        }
        Ok(Brisk(builder.build()?, exporter))
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
