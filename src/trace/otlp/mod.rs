//! The OTLP/HTTP JSON exporter (feature `otlp`): spans are queued by the
//! request that ends them, and a background task POSTs them in batches
//! to `{endpoint}/v1/traces` with `Content-Type: application/json`.
//!
//! - The queue is bounded: when it is full a span is dropped and counted
//!   ([`ExportStats::dropped`]), never waited for. A slow or dead
//!   collector costs requests nothing beyond the queue's memory.
//! - A batch goes when it is full, when the schedule delay has passed
//!   since the last one, on [`OtlpExporter::flush`], on
//!   [`OtlpExporter::shutdown`], and when the last handle is dropped. The
//!   task is woken for those alone, never once a span.
//! - An export is retried on 429, 502, 503 and 504 and on connection
//!   failures, with capped exponential backoff, honouring `Retry-After`
//!   (the OTLP specification's retryable answers), within the export
//!   timeout. Other answers fail the batch, which is counted.
//! - Its requests go through a client of its own, which never traces:
//!   exporting cannot make spans of its own.
//!
//! Settings come from the builder, or from the environment by
//! [`OtlpExporter::from_env`] (see `env.rs` for the variables).

mod env;
mod json;

use super::sink::SpanSink;
use super::span::Span;
use crate::error::Error;
use crate::header::{HeaderName, HeaderValue};
use crate::{Client, RetryPolicy};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, Notify};

pub use env::DEFAULT_ENDPOINT as DEFAULT_TRACES_ENDPOINT;

/// What an exporter has done with the spans it was given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportStats {
    /// Spans the collector accepted (a 2xx answer).
    pub exported: u64,
    /// Spans dropped because the queue was full, or the exporter shut down.
    pub dropped: u64,
    /// Spans in batches that could not be delivered (a non-retryable
    /// answer, retries exhausted, or the export timeout).
    pub failed: u64,
    /// Batches POSTed (each counted once, however often retried).
    pub batches: u64,
}

/// A request to the background task, beside the spans.
enum Control {
    Flush(oneshot::Sender<()>),
    Shutdown(oneshot::Sender<()>),
}

/// The bounded queue between the requests that end spans and the
/// background task. A span is pushed under a short lock; the task is woken
/// only when a batch is full (or for a flush, a shutdown, or the last
/// exporter handle gone), never once a span: a wake-up a span would cost
/// a task switch per request.
struct Queue {
    state: Mutex<QueueState>,
    capacity: usize,
    batch: usize,
    wake: Notify,
}

#[derive(Default)]
struct QueueState {
    spans: Vec<Span>,
    controls: Vec<Control>,
    /// Shut down: every span from now on is dropped.
    closed: bool,
    /// Every exporter handle is gone: send what is left, then stop.
    orphaned: bool,
}

/// The last handle's drop tells the task.
struct Handle {
    queue: Arc<Queue>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        crate::guard::lock(&self.queue.state).orphaned = true;
        self.queue.wake.notify_one();
    }
}

#[derive(Default)]
struct Counters {
    exported: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    batches: AtomicU64,
}

/// Sends spans to an OTLP/HTTP collector as JSON. A [`SpanSink`]: give it
/// to [`Tracer::new`](super::Tracer::new). Cheap to clone; the background
/// task ends when every clone is gone (after a last export) or at
/// [`shutdown`](OtlpExporter::shutdown).
///
/// ```no_run
/// # async fn run() -> Result<(), brisk::Error> {
/// use brisk::trace::{OtlpExporter, Tracer};
///
/// let exporter = OtlpExporter::from_env().build()?; // needs a tokio runtime
/// let client = brisk::Client::builder()
///     .tracing(Tracer::new(exporter.clone()))
///     .build()?;
/// client.get("http://example.com/").send().await?;
/// exporter.shutdown().await; // sends what is queued
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct OtlpExporter {
    handle: Arc<Handle>,
    counters: Arc<Counters>,
}

impl fmt::Debug for OtlpExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpExporter")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Builds an [`OtlpExporter`].
#[derive(Debug, Clone)]
pub struct OtlpExporterBuilder {
    endpoint: String,
    headers: Vec<(String, String)>,
    service_name: String,
    resource: Vec<(String, String)>,
    queue: usize,
    batch: usize,
    delay: Duration,
    timeout: Duration,
    retry: (Duration, Duration),
}

impl Default for OtlpExporterBuilder {
    fn default() -> Self {
        OtlpExporterBuilder {
            endpoint: env::DEFAULT_ENDPOINT.to_owned(),
            headers: Vec::new(),
            service_name: "unknown_service".to_owned(),
            resource: Vec::new(),
            queue: 2048,
            batch: 512,
            delay: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            retry: (Duration::from_millis(500), Duration::from_secs(5)),
        }
    }
}

impl OtlpExporterBuilder {
    /// The collector's base URL: spans go to `{base}/v1/traces`, as with
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn endpoint(mut self, base: &str) -> Self {
        self.endpoint = env::traces_url(base);
        self
    }
    /// The full URL spans are POSTed to, used as it is (as with
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`).
    pub fn traces_endpoint(mut self, url: &str) -> Self {
        self.endpoint = url.to_owned();
        self
    }
    /// A header on every export (a vendor's API key, say); replaces one
    /// of the same name.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    /// The `service.name` resource attribute (default `unknown_service`).
    pub fn service_name(mut self, name: &str) -> Self {
        self.service_name = name.to_owned();
        self
    }
    /// Another resource attribute (`deployment.environment`, …).
    pub fn resource_attribute(mut self, key: &str, value: &str) -> Self {
        self.resource.retain(|(k, _)| k != key);
        self.resource.push((key.to_owned(), value.to_owned()));
        self
    }
    /// Spans the queue holds before it drops (default 2048, at least 1).
    pub fn queue_size(mut self, n: usize) -> Self {
        self.queue = n.max(1);
        self
    }
    /// Spans in one POST at most (default 512, at least 1).
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch = n.max(1);
        self
    }
    /// How long a partial batch waits before it is sent (default 5 s).
    pub fn schedule_delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
    /// The longest one export may take, retries included (default 10 s).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    /// The backoff between retries of one export: from `base`, doubling,
    /// up to `cap` (default 500 ms to 5 s). A `Retry-After` is honoured
    /// within the timeout.
    pub fn retry_backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.retry = (base, cap);
        self
    }

    /// The settings the environment gives through `var`, over these.
    fn with_env(mut self, var: impl Fn(&str) -> Option<String>) -> Self {
        let c = env::EnvConfig::read(var);
        if let Some(endpoint) = c.endpoint {
            self.endpoint = endpoint;
        }
        for (k, v) in c.headers {
            self = self.header(&k, &v);
        }
        for (k, v) in c.resource {
            if k == "service.name" {
                self.service_name = v;
            } else {
                self = self.resource_attribute(&k, &v);
            }
        }
        if let Some(name) = c.service_name {
            self.service_name = name;
        }
        if let Some(t) = c.timeout {
            self.timeout = t;
        }
        if let Some(n) = c.queue {
            self = self.queue_size(n);
        }
        if let Some(n) = c.batch {
            self = self.batch_size(n);
        }
        if let Some(d) = c.delay {
            self.delay = d;
        }
        self
    }

    /// Starts the background task on the current tokio runtime.
    ///
    /// # Errors
    /// Outside a tokio runtime, or with an endpoint that is not an
    /// `http://` or `https://` URL, or a header that is not valid
    /// ([`Error::is_builder`]).
    pub fn build(self) -> Result<OtlpExporter, Error> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::builder("the OTLP exporter needs a tokio runtime"))?;
        let url = crate::url::Url::parse(&self.endpoint).map_err(Error::builder)?;
        let mut headers = crate::header::HeaderMap::new();
        for (k, v) in &self.headers {
            let name = HeaderName::try_from(k.as_str()).map_err(Error::builder)?;
            let value = HeaderValue::try_from(v.as_str()).map_err(Error::builder)?;
            headers.insert(name, value);
        }
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        // The exporter's own client: no tracer (no recursion), its own
        // pool, and the OTLP retry rules.
        let retry = RetryPolicy::default()
            .attempts(5)
            .backoff(self.retry.0, self.retry.1)
            .retry_statuses(&[429, 502, 503, 504])
            .max_retry_after(self.timeout)
            .no_budget();
        let client = Client::builder().retry(retry).build()?;
        let mut resource = vec![
            ("service.name".to_owned(), self.service_name.clone()),
            ("telemetry.sdk.name".to_owned(), "brisk".to_owned()),
            ("telemetry.sdk.language".to_owned(), "rust".to_owned()),
            (
                "telemetry.sdk.version".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            ),
        ];
        resource.extend(self.resource.iter().cloned());
        let queue = Arc::new(Queue {
            state: Mutex::new(QueueState::default()),
            capacity: self.queue,
            batch: self.batch,
            wake: Notify::new(),
        });
        let counters = Arc::new(Counters::default());
        let task = Batcher {
            queue: queue.clone(),
            client,
            url,
            headers,
            resource,
            batch: self.batch,
            delay: self.delay,
            timeout: self.timeout,
            counters: counters.clone(),
        };
        runtime.spawn(task.run());
        Ok(OtlpExporter {
            handle: Arc::new(Handle { queue }),
            counters,
        })
    }
}

impl OtlpExporter {
    /// A builder with the defaults (`http://localhost:4318/v1/traces`).
    pub fn builder() -> OtlpExporterBuilder {
        OtlpExporterBuilder::default()
    }

    /// A builder with the settings of the process environment's `OTEL_*`
    /// variables (endpoint, headers, timeout, service name, resource,
    /// batch settings), the defaults elsewhere.
    pub fn from_env() -> OtlpExporterBuilder {
        OtlpExporterBuilder::default().with_env(|name| std::env::var(name).ok())
    }

    /// Whether the environment names a collector
    /// (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
    /// and does not turn tracing off (`OTEL_SDK_DISABLED=true`,
    /// `OTEL_TRACES_EXPORTER=none`): a program can trace only when asked to.
    pub fn configured_in_env() -> bool {
        env::asks_for_export(|name| std::env::var(name).ok())
    }

    /// Counts so far.
    pub fn stats(&self) -> ExportStats {
        let c = &self.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ExportStats {
            exported: load(&c.exported),
            dropped: load(&c.dropped),
            failed: load(&c.failed),
            batches: load(&c.batches),
        }
    }

    /// Sends every span queued so far, and returns when that export is
    /// done (or failed).
    pub async fn flush(&self) {
        self.ask(Control::Flush).await;
    }

    /// Sends what is queued, then stops the background task; spans given
    /// later are dropped (and counted).
    pub async fn shutdown(&self) {
        self.ask(Control::Shutdown).await;
    }

    async fn ask(&self, control: impl FnOnce(oneshot::Sender<()>) -> Control) {
        let (done, wait) = oneshot::channel();
        let queue = &self.handle.queue;
        {
            let mut state = crate::guard::lock(&queue.state);
            if state.closed {
                return;
            }
            state.controls.push(control(done));
        }
        queue.wake.notify_one();
        let _ = wait.await;
    }
}

impl SpanSink for OtlpExporter {
    /// Queues the span, or drops and counts it when the queue is full (or
    /// shut down).
    fn export(&self, span: Span) {
        let queue = &self.handle.queue;
        let mut state = crate::guard::lock(&queue.state);
        if state.closed || state.spans.len() >= queue.capacity {
            drop(state);
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        state.spans.push(span);
        let full = state.spans.len() == queue.batch;
        drop(state);
        if full {
            queue.wake.notify_one();
        }
    }
}

/// The background task: batches the queue and POSTs each batch.
struct Batcher {
    queue: Arc<Queue>,
    client: Client,
    url: crate::url::Url,
    headers: crate::header::HeaderMap,
    resource: json::Resource,
    batch: usize,
    delay: Duration,
    timeout: Duration,
    counters: Arc<Counters>,
}

impl Batcher {
    /// Wakes for a full batch, a flush, a shutdown, the last handle gone,
    /// or the schedule delay; each time takes what is queued and sends it.
    async fn run(self) {
        let mut due = tokio::time::Instant::now() + self.delay;
        loop {
            let timed_out = tokio::time::timeout_at(due, self.queue.wake.notified())
                .await
                .is_err();
            let (mut spans, controls, orphaned) = {
                let mut state = crate::guard::lock(&self.queue.state);
                let shutdown = state
                    .controls
                    .iter()
                    .any(|c| matches!(c, Control::Shutdown(_)));
                if shutdown {
                    state.closed = true;
                }
                let take =
                    match timed_out || shutdown || state.orphaned || !state.controls.is_empty() {
                        // Everything queued.
                        true => state.spans.len(),
                        // Whole batches; the rest waits for the delay.
                        false => state.spans.len() / self.batch * self.batch,
                    };
                let spans: Vec<Span> = state.spans.drain(..take).collect();
                (spans, std::mem::take(&mut state.controls), state.orphaned)
            };
            if timed_out {
                due = tokio::time::Instant::now() + self.delay;
            }
            self.send(&mut spans).await;
            let mut stop = orphaned;
            for control in controls {
                match control {
                    Control::Flush(done) => drop(done.send(())),
                    Control::Shutdown(done) => {
                        stop = true;
                        let _ = done.send(());
                    }
                }
            }
            if stop {
                // Spans queued while the last batch was being sent, after
                // the shutdown: dropped and counted.
                let mut state = crate::guard::lock(&self.queue.state);
                state.closed = true;
                let left = state.spans.len() as u64;
                state.spans.clear();
                for control in state.controls.drain(..) {
                    match control {
                        Control::Flush(done) | Control::Shutdown(done) => drop(done.send(())),
                    }
                }
                self.counters.dropped.fetch_add(left, Ordering::Relaxed);
                return;
            }
        }
    }

    /// POSTs `spans` in batches of at most `batch`, emptying it.
    async fn send(&self, spans: &mut Vec<Span>) {
        while !spans.is_empty() {
            let take = spans.len().min(self.batch);
            let batch: Vec<Span> = spans.drain(..take).collect();
            let n = batch.len() as u64;
            self.counters.batches.fetch_add(1, Ordering::Relaxed);
            let body = json::encode(&batch, &self.resource);
            let sent = self
                .client
                .post(self.url.clone())
                .headers(self.headers.clone())
                .body(body)
                .retryable(true)
                .timeout(self.timeout)
                .send()
                .await;
            // The body (an `ExportTraceServiceResponse`, perhaps with a
            // partial success, or an error's `Status`) is read whatever the
            // answer, so that the connection can carry the next batch.
            let delivered = match sent {
                Ok(resp) => {
                    let ok = resp.status().is_success();
                    resp.bytes().await.is_ok() && ok
                }
                Err(_) => false,
            };
            let counter = match delivered {
                true => &self.counters.exported,
                false => &self.counters.failed,
            };
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_overrides_the_defaults() {
        let vars = [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=k1"),
            ("OTEL_SERVICE_NAME", "checkout"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.name=other,env=prod"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "7"),
        ];
        let b = OtlpExporterBuilder::default().with_env(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        });
        assert_eq!(b.endpoint, "http://collector:4318/v1/traces");
        assert_eq!(b.headers, vec![("api-key".to_owned(), "k1".to_owned())]);
        assert_eq!(b.service_name, "checkout");
        assert_eq!(b.resource, vec![("env".to_owned(), "prod".to_owned())]);
        assert_eq!(b.batch, 7);
    }

    #[test]
    fn building_outside_a_runtime_is_a_builder_error() {
        let e = OtlpExporter::builder().build().unwrap_err();
        assert!(e.is_builder());
    }
}
