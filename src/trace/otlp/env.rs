//! The exporter's settings from the environment, as the OpenTelemetry
//! specification names them ("OpenTelemetry Protocol Exporter" and "SDK
//! environment variables"):
//!
//! | variable | meaning |
//! | --- | --- |
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | the full URL spans are POSTed to, used as it is |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | a base URL: `v1/traces` is appended (after a `/`) |
//! | `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, `OTEL_EXPORTER_OTLP_HEADERS` | `key=value,key=value`, values percent-decoded; the traces list wins for a key in both |
//! | `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, `OTEL_EXPORTER_OTLP_TIMEOUT` | milliseconds an export may take, retries included (default 10000) |
//! | `OTEL_SERVICE_NAME` | `service.name`; wins over `OTEL_RESOURCE_ATTRIBUTES` |
//! | `OTEL_RESOURCE_ATTRIBUTES` | `key=value,...`, percent-decoded |
//! | `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, `OTEL_BSP_SCHEDULE_DELAY` | queue (2048), batch (512), and the wait in ms before a partial batch goes (5000) |
//!
//! `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn export off
//! for a program that asks [`OtlpExporter::configured_in_env`](super::OtlpExporter::configured_in_env).
//!
//! Without an endpoint the default is `http://localhost:4318/v1/traces`.
//! Only `http/json` is spoken: an `OTEL_EXPORTER_OTLP_PROTOCOL` naming
//! protobuf or gRPC is not honoured (the collector's OTLP/HTTP receiver
//! takes JSON at the same path).

use std::time::Duration;

/// Where spans go when nothing says otherwise (OTLP/HTTP's default port).
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318/v1/traces";

/// What the environment says; `None` where it is silent.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct EnvConfig {
    pub(crate) endpoint: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) service_name: Option<String>,
    pub(crate) resource: Vec<(String, String)>,
    pub(crate) queue: Option<usize>,
    pub(crate) batch: Option<usize>,
    pub(crate) delay: Option<Duration>,
}

impl EnvConfig {
    /// Reads the variables through `var` (the process environment, or a
    /// test's map). Empty values count as unset, as the specification says.
    pub(crate) fn read(var: impl Fn(&str) -> Option<String>) -> EnvConfig {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let endpoint = match var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            Some(full) => Some(full.trim().to_owned()),
            None => var("OTEL_EXPORTER_OTLP_ENDPOINT").map(|base| traces_url(base.trim())),
        };
        let mut headers = var("OTEL_EXPORTER_OTLP_HEADERS")
            .map(|v| pairs(&v))
            .unwrap_or_default();
        for (k, v) in var("OTEL_EXPORTER_OTLP_TRACES_HEADERS")
            .map(|v| pairs(&v))
            .unwrap_or_default()
        {
            headers.retain(|(have, _)| !have.eq_ignore_ascii_case(&k));
            headers.push((k, v));
        }
        let millis = |name: &str| {
            var(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_millis)
        };
        let count = |name: &str| var(name).and_then(|v| v.trim().parse::<usize>().ok());
        let resource = var("OTEL_RESOURCE_ATTRIBUTES")
            .map(|v| pairs(&v))
            .unwrap_or_default();
        EnvConfig {
            endpoint,
            headers,
            timeout: millis("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")
                .or_else(|| millis("OTEL_EXPORTER_OTLP_TIMEOUT")),
            service_name: var("OTEL_SERVICE_NAME").map(|s| s.trim().to_owned()),
            resource,
            queue: count("OTEL_BSP_MAX_QUEUE_SIZE"),
            batch: count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
            delay: millis("OTEL_BSP_SCHEDULE_DELAY"),
        }
    }
}

/// Whether the variables name a collector and do not turn tracing off.
pub(crate) fn asks_for_export(var: impl Fn(&str) -> Option<String>) -> bool {
    let is =
        |name: &str, value: &str| var(name).is_some_and(|v| v.trim().eq_ignore_ascii_case(value));
    let named = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|n| var(n).is_some_and(|v| !v.trim().is_empty()));
    named && !is("OTEL_SDK_DISABLED", "true") && !is("OTEL_TRACES_EXPORTER", "none")
}

/// The traces URL under a base endpoint: `v1/traces` appended, with one
/// `/` between.
pub(crate) fn traces_url(base: &str) -> String {
    match base.ends_with('/') {
        true => format!("{base}v1/traces"),
        false => format!("{base}/v1/traces"),
    }
}

/// `key=value,key=value` (the W3C Baggage format the specification uses
/// for headers and resource attributes): OWS trimmed, values
/// percent-decoded, malformed members skipped.
fn pairs(list: &str) -> Vec<(String, String)> {
    list.split(',')
        .filter_map(|member| {
            let (k, v) = member.split_once('=')?;
            let k = k.trim();
            (!k.is_empty()).then(|| (k.to_owned(), percent_decode(v.trim())))
        })
        .collect()
}

/// `%XX` escapes decoded; a malformed escape is kept as it is.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> EnvConfig {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EnvConfig::read(|name| map.get(name).cloned())
    }

    #[test]
    fn the_base_endpoint_gets_v1_traces_and_the_traces_one_is_used_as_it_is() {
        let c = read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]);
        assert_eq!(
            c.endpoint.as_deref(),
            Some("http://collector:4318/v1/traces")
        );
        let c = read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/base/")]);
        assert_eq!(
            c.endpoint.as_deref(),
            Some("http://collector:4318/base/v1/traces")
        );
        let c = read(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://other:9999/custom",
            ),
        ]);
        assert_eq!(c.endpoint.as_deref(), Some("http://other:9999/custom"));
        assert_eq!(read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "")]).endpoint, None);
    }

    #[test]
    fn headers_are_decoded_and_the_traces_list_wins() {
        let c = read(&[
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "api-key=abc%20def , x-team=core,bad",
            ),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "X-Team=traces"),
        ]);
        assert_eq!(
            c.headers,
            vec![
                ("api-key".to_owned(), "abc def".to_owned()),
                ("X-Team".to_owned(), "traces".to_owned()),
            ]
        );
    }

    #[test]
    fn service_name_timeout_and_batch_settings() {
        let c = read(&[
            ("OTEL_SERVICE_NAME", "checkout"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.name=ignored,deployment.environment=prod",
            ),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
            ("OTEL_BSP_SCHEDULE_DELAY", "not a number"),
        ]);
        assert_eq!(c.service_name.as_deref(), Some("checkout"));
        assert_eq!(c.resource.len(), 2);
        assert_eq!(c.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(c.queue, Some(100));
        assert_eq!(c.delay, None);
    }

    #[test]
    fn an_endpoint_asks_for_export_unless_tracing_is_off() {
        let asks = |vars: &[(&str, &str)]| {
            asks_for_export(|n| {
                vars.iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            })
        };
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318");
        assert!(asks(&[endpoint]));
        assert!(asks(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://c/t"
        )]));
        assert!(!asks(&[]));
        assert!(!asks(&[endpoint, ("OTEL_SDK_DISABLED", "TRUE")]));
        assert!(!asks(&[endpoint, ("OTEL_TRACES_EXPORTER", "none")]));
        assert!(asks(&[endpoint, ("OTEL_SDK_DISABLED", "false")]));
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%2Cb"), "a,b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
