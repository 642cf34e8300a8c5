//! What went wrong with a chat call, typed: the provider's API error (read
//! from any of the three error shapes), the client's transport and timeout
//! errors, and a reply that could not be read.

use crate::retry::parse_go_duration;
use crate::{Headers, StatusCode};
use serde_json::Value;
use std::fmt;
use std::time::Duration;

/// What kind of failure a [`ChatError`] is. Match on it to decide what to
/// do: wait and try later, fix the key, top up the account, shorten the
/// prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The key is missing, wrong, expired or not allowed (HTTP 401 or
    /// 403, OpenAI `invalid_api_key`, Zhipu codes 1000–1004).
    Authentication,
    /// Too many requests for now (HTTP 429 that is not a quota error,
    /// Zhipu 1302, 1303 and 1305): try again after
    /// [`ChatError::retry_after`]. The client has already retried as its
    /// policy allows.
    RateLimited,
    /// The account's quota or balance is spent (OpenAI
    /// `insufficient_quota`, Zhipu `1113`, both sent with HTTP 429). Never
    /// retried: only a top-up helps.
    QuotaExhausted,
    /// The provider's content filter refused the prompt or the reply
    /// (Zhipu `1301`, OpenAI `content_filter` and
    /// `content_policy_violation`).
    ContentFiltered,
    /// The prompt does not fit the model's context window (OpenAI
    /// `context_length_exceeded`, or a message saying so).
    ContextTooLong,
    /// Any other error the provider returned (bad request, unknown model,
    /// a server error).
    Api,
    /// The request did not complete: connect, TLS, I/O or protocol
    /// failure ([`ChatError::http`] has brisk's error).
    Transport,
    /// A timeout fired ([`ChatError::http`] names the phase).
    Timeout,
    /// The reply was not the JSON a chat completion is: the message says
    /// which field.
    Decode,
    /// The chat client was misconfigured (no key, no model, a bad URL);
    /// nothing was sent.
    Config,
}

impl ErrorKind {
    fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Authentication => "authentication failed",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::QuotaExhausted => "quota exhausted",
            ErrorKind::ContentFiltered => "content filtered",
            ErrorKind::ContextTooLong => "context too long",
            ErrorKind::Api => "api error",
            ErrorKind::Transport => "transport error",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Decode => "unreadable reply",
            ErrorKind::Config => "chat client misconfigured",
        }
    }
}

/// A failed chat call: its [`ErrorKind`], and what the provider said (HTTP
/// status, error type and code, message, request id), or the client's
/// [`crate::Error`] underneath.
///
/// The API key never appears in it: a provider message that echoes the
/// key has it replaced with `[redacted]`.
#[derive(Debug)]
pub struct ChatError(Box<Details>);

/// Boxed, so that a `Result<_, ChatError>` stays one pointer wide on the
/// error side.
#[derive(Debug)]
struct Details {
    kind: ErrorKind,
    status: Option<StatusCode>,
    error_type: Option<String>,
    code: Option<String>,
    message: String,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    attempts: u32,
    http: Option<crate::Error>,
}

impl ChatError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The HTTP status of the provider's answer, if one came.
    pub fn status(&self) -> Option<StatusCode> {
        self.0.status
    }

    /// The provider's error `type` (`insufficient_quota`,
    /// `invalid_request_error`), if it sent one.
    pub fn error_type(&self) -> Option<&str> {
        self.0.error_type.as_deref()
    }

    /// The provider's error `code`, as text (`invalid_api_key`, Zhipu's
    /// `1113`), if it sent one.
    pub fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// The provider's message, or what went wrong here.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The provider's request id (`x-request-id`, or the body's
    /// `request_id` or `id`), for a support ticket.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// How long the provider asked to wait, for a rate limit: from
    /// `retry-after-ms`, else `Retry-After` in seconds, else the longest
    /// `x-ratelimit-reset-*` (`6m0s`, `1.5s`, `20ms`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// Whether trying again later may succeed: rate limits, timeouts,
    /// transport failures and 5xx server errors. Never a quota, key,
    /// filter or context error.
    pub fn is_retryable(&self) -> bool {
        match self.0.kind {
            ErrorKind::RateLimited | ErrorKind::Timeout | ErrorKind::Transport => true,
            ErrorKind::Api => self.0.status.is_some_and(|s| s.as_u16() >= 500),
            _ => false,
        }
    }

    /// HTTP attempts the call took (0 if nothing was sent).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// The client's error underneath a transport, timeout or
    /// configuration failure, or a reply that could not be read (a
    /// [decode error](crate::Error::is_decode) that names the field).
    pub fn http(&self) -> Option<&crate::Error> {
        self.0.http.as_ref()
    }

    fn bare(kind: ErrorKind, message: impl Into<String>) -> ChatError {
        ChatError(Box::new(Details {
            kind,
            status: None,
            error_type: None,
            code: None,
            message: message.into(),
            request_id: None,
            retry_after: None,
            attempts: 0,
            http: None,
        }))
    }

    pub(crate) fn config(message: impl Into<String>) -> ChatError {
        ChatError::bare(ErrorKind::Config, message)
    }

    /// A reply that is not a chat completion: `path` names the field that
    /// is missing or wrong (`choices[0].message`; empty for the whole
    /// body), `detail` what is wrong with it. The path lives in the
    /// source, the client's decode error, as it does for a chunk that
    /// serde_json refused and for [`Response::json`](crate::Response::json).
    pub(crate) fn decode(
        path: &str,
        detail: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> ChatError {
        ChatError::from_http(crate::Error::decode(path.to_string(), detail))
    }

    pub(crate) fn with_request_id(mut self, id: Option<String>) -> ChatError {
        self.0.request_id = id;
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> ChatError {
        self.0.attempts = attempts;
        self
    }

    /// The client failed: a transport failure, a timeout, or (for a
    /// request it refused to build) a configuration error.
    pub(crate) fn from_http(e: crate::Error) -> ChatError {
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else if e.is_builder() {
            ErrorKind::Config
        } else if e.is_decode() {
            ErrorKind::Decode
        } else {
            ErrorKind::Transport
        };
        // A decode error's path and what was wrong there are its point:
        // the message is the whole chain ("… at choices[0].message:
        // missing").
        let message = if kind == ErrorKind::Decode {
            format!("{e:#}")
        } else {
            e.to_string()
        };
        let mut err = ChatError::bare(kind, message);
        err.0.attempts = e.attempts();
        err.0.status = e.status();
        err.0.http = Some(e);
        err
    }

    /// The provider's answer with status `status`, its `headers` and
    /// `body`: any of the three error shapes, or a body that is not JSON
    /// at all (a gateway's HTML page). `key` is scrubbed from the message.
    pub(crate) fn from_answer(
        status: StatusCode,
        headers: &Headers,
        body: &[u8],
        key: Option<&str>,
    ) -> ChatError {
        let fields = ApiFields::read(body);
        let kind = classify(
            status.as_u16(),
            fields.error_type.as_deref(),
            fields.code.as_deref(),
            &fields.message,
        );
        let mut message = if fields.message.is_empty() {
            status.canonical_reason().unwrap_or("error").to_string()
        } else {
            fields.message
        };
        if let Some(key) = key.filter(|k| !k.is_empty()) {
            message = message.replace(key, "[redacted]");
        }
        let header_id = header(headers, "x-request-id").map(str::to_string);
        ChatError(Box::new(Details {
            kind,
            status: Some(status),
            error_type: fields.error_type,
            code: fields.code,
            message,
            request_id: header_id.or(fields.request_id),
            retry_after: (kind == ErrorKind::RateLimited)
                .then(|| retry_after(headers))
                .flatten(),
            attempts: 1,
            http: None,
        }))
    }
}

impl fmt::Display for ChatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.kind.as_str())?;
        if let Some(status) = self.0.status {
            let number = status.as_u16().to_string();
            write!(f, " (HTTP {number}")?;
            // Some servers (vLLM) send the status again as the code: say
            // it once, and name the error's type instead.
            let named = [self.0.code.as_deref(), self.0.error_type.as_deref()]
                .into_iter()
                .flatten()
                .find(|c| *c != number);
            if let Some(code) = named {
                write!(f, ", {code}")?;
            }
            f.write_str(")")?;
        }
        if !self.0.message.is_empty() {
            write!(f, ": {}", self.0.message)?;
        }
        if let Some(id) = &self.0.request_id {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ChatError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .http
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The fields of a provider's error body, whichever shape it came in:
///
/// - OpenAI: `{"error":{"message":…,"type":…,"param":…,"code":…}}`;
/// - Zhipu: `{"error":{"code":"1113","message":…}}` (a string code);
/// - Qianfan v2: `{"error":{"code":…,"message":…,"type":…},"id":…}`;
/// - and, leniently, `{"error":"text"}` (Ollama) and a bare
///   `{"code":…,"message":…}` or Qianfan v1's `error_code`/`error_msg`.
///
/// A code may be a number or a string; it is kept as text.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ApiFields {
    pub(crate) error_type: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) message: String,
    pub(crate) request_id: Option<String>,
}

impl ApiFields {
    pub(crate) fn read(body: &[u8]) -> ApiFields {
        let Ok(Value::Object(top)) = serde_json::from_slice::<Value>(body) else {
            // Not JSON: a proxy's page. Its first line says enough.
            let text = String::from_utf8_lossy(body);
            let line = text.trim().lines().next().unwrap_or("");
            return ApiFields {
                message: truncate(line, 200).to_string(),
                ..ApiFields::default()
            };
        };
        let request_id = ["request_id", "id"]
            .iter()
            .find_map(|k| top.get(*k).and_then(Value::as_str).map(str::to_string));
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let (error_type, code, message) = match top.get("error") {
            Some(Value::Object(e)) => (
                text(e.get("type")),
                text(e.get("code")),
                text(e.get("message")),
            ),
            Some(Value::String(s)) => (None, None, Some(s.clone())),
            _ => (
                text(top.get("type")),
                text(top.get("code")).or_else(|| text(top.get("error_code"))),
                text(top.get("message")).or_else(|| text(top.get("error_msg"))),
            ),
        };
        ApiFields {
            error_type,
            code,
            message: message.unwrap_or_default(),
            request_id,
        }
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// What kind of API error a status, type, code and message make. The body
/// decides before the status: Zhipu's `1113` (arrears) and OpenAI's
/// `insufficient_quota` both come with 429, and are not rate limits.
pub(crate) fn classify(
    status: u16,
    error_type: Option<&str>,
    code: Option<&str>,
    message: &str,
) -> ErrorKind {
    let is = |names: &[&str]| {
        code.is_some_and(|c| names.contains(&c)) || error_type.is_some_and(|t| names.contains(&t))
    };
    if is(&["insufficient_quota", "1113"]) {
        ErrorKind::QuotaExhausted
    } else if is(&["1301", "content_filter", "content_policy_violation"]) {
        ErrorKind::ContentFiltered
    } else if is(&["context_length_exceeded", "model_context_window_exceeded"])
        || message.contains("maximum context length")
    {
        ErrorKind::ContextTooLong
    } else if is(&["invalid_api_key", "1000", "1001", "1002", "1003", "1004"])
        || status == 401
        || status == 403
    {
        ErrorKind::Authentication
    } else if is(&["rate_limit_exceeded", "1302", "1303", "1305"]) || status == 429 {
        ErrorKind::RateLimited
    } else {
        ErrorKind::Api
    }
}

/// The retry policy's veto for chat calls: a response the status would
/// have retried whose body is a quota error is final.
pub(crate) fn quota_is_final(status: StatusCode, _headers: &Headers, body: &[u8]) -> bool {
    let f = ApiFields::read(body);
    classify(
        status.as_u16(),
        f.error_type.as_deref(),
        f.code.as_deref(),
        &f.message,
    ) == ErrorKind::QuotaExhausted
}

/// A field's value as text, if it is there and visible ASCII.
pub(crate) fn header<'h>(headers: &'h Headers, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The wait a rate-limited answer asks for: `retry-after-ms`, else
/// `Retry-After` seconds, else the longest `x-ratelimit-reset-*`.
fn retry_after(headers: &Headers) -> Option<Duration> {
    // A hostile value (`1e300`) must not panic: `try_from_secs_f64`.
    if let Some(wait) = header(headers, "retry-after-ms")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
    {
        return Some(wait);
    }
    if let Some(s) = header(headers, "retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(s));
    }
    ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]
        .iter()
        .filter_map(|name| header(headers, name).and_then(parse_go_duration))
        .max()
}

impl From<super::StreamError> for ChatError {
    /// A stream's error as a chat error: an error event is classified like
    /// an error answer (a quota error inside a stream is still
    /// [`ErrorKind::QuotaExhausted`]); a read failure is the client's; an
    /// event or reply past its bound, or a body cut inside an event, is a
    /// transport or decode error. The partial reply is dropped: keep the
    /// [`StreamError`](super::StreamError) itself to read it.
    fn from(e: super::StreamError) -> ChatError {
        use super::StreamErrorKind as K;
        match e.into_kind() {
            K::Api(ev) => {
                let status = ev.status.unwrap_or(200);
                let kind = classify(status, ev.kind.as_deref(), ev.code.as_deref(), &ev.message);
                ChatError(Box::new(Details {
                    kind,
                    status: ev.status.and_then(|s| StatusCode::from_u16(s).ok()),
                    error_type: ev.kind,
                    code: ev.code,
                    message: ev.message,
                    request_id: ev.request_id,
                    retry_after: None,
                    attempts: 1,
                    http: None,
                }))
            }
            K::Read(err) | K::Decode(err) => ChatError::from_http(err),
            K::Event(pe) => ChatError::bare(ErrorKind::Transport, pe.to_string()),
            K::Truncated => {
                ChatError::bare(ErrorKind::Transport, "the stream ended inside an event")
            }
            K::Overflow(o) => ChatError::bare(ErrorKind::Decode, o.to_string()),
        }
    }
}

/// JSON objects, and a gateway's endless page must not hold the call.
const ERROR_BODY_MAX: usize = 64 * 1024;
/// The longest wait for an error answer's body, however it arrives: the
/// read timeout alone would let a server that drips a byte per read
/// budget hold the call for `ERROR_BODY_MAX` budgets.
const ERROR_BODY_WAIT: Duration = Duration::from_secs(2);

/// At most [`ERROR_BODY_MAX`] bytes of an error answer's body, waiting at
/// most [`ERROR_BODY_WAIT`]; whatever arrived by then (an endless or
/// stalled body, or one that failed midway, is classified on its start).
/// Both a call's error status and a [`ChatStream`](super::ChatStream)'s read it here.
pub(super) async fn error_body(resp: &mut crate::Response) -> Vec<u8> {
    let mut body = Vec::new();
    let _ = tokio::time::timeout(ERROR_BODY_WAIT, async {
        while body.len() < ERROR_BODY_MAX {
            match resp.chunk().await {
                Ok(Some(piece)) => {
                    let room = ERROR_BODY_MAX - body.len();
                    body.extend_from_slice(&piece[..piece.len().min(room)]);
                }
                _ => break,
            }
        }
    })
    .await;
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_error_shapes() {
        let zhipu = ApiFields::read(r#"{"error":{"code":"1113","message":"欠费"}}"#.as_bytes());
        assert_eq!(zhipu.code.as_deref(), Some("1113"));
        assert_eq!(zhipu.message, "欠费");
        let qianfan = ApiFields::read(
            br#"{"error":{"code":"invalid_model","message":"no such model","type":"invalid_request_error"},"id":"as-1"}"#,
        );
        assert_eq!(qianfan.code.as_deref(), Some("invalid_model"));
        assert_eq!(qianfan.error_type.as_deref(), Some("invalid_request_error"));
        assert_eq!(qianfan.request_id.as_deref(), Some("as-1"));
        let openai = ApiFields::read(
            br#"{"error":{"message":"quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
        );
        assert_eq!(openai.error_type.as_deref(), Some("insufficient_quota"));
        assert_eq!(openai.code.as_deref(), Some("insufficient_quota"));
        // Numeric codes, plain-string errors, and pages that are not JSON.
        assert_eq!(
            ApiFields::read(br#"{"error":{"code":1302}}"#)
                .code
                .as_deref(),
            Some("1302")
        );
        assert_eq!(
            ApiFields::read(br#"{"error":"model not found"}"#).message,
            "model not found"
        );
        assert_eq!(
            ApiFields::read(b"<html>502 Bad Gateway</html>\n<body>").message,
            "<html>502 Bad Gateway</html>"
        );
    }

    #[test]
    fn classification() {
        use ErrorKind::*;
        assert_eq!(classify(429, None, Some("1113"), ""), QuotaExhausted);
        assert_eq!(
            classify(
                429,
                Some("insufficient_quota"),
                Some("insufficient_quota"),
                ""
            ),
            QuotaExhausted
        );
        assert_eq!(
            classify(429, Some("requests"), Some("rate_limit_exceeded"), ""),
            RateLimited
        );
        assert_eq!(classify(429, None, Some("1302"), ""), RateLimited);
        assert_eq!(classify(429, None, None, ""), RateLimited);
        assert_eq!(classify(400, None, Some("1301"), ""), ContentFiltered);
        assert_eq!(
            classify(401, None, Some("invalid_api_key"), ""),
            Authentication
        );
        assert_eq!(classify(401, None, None, ""), Authentication);
        assert_eq!(
            classify(400, None, Some("context_length_exceeded"), ""),
            ContextTooLong
        );
        assert_eq!(
            classify(
                400,
                None,
                None,
                "This model's maximum context length is 8192 tokens"
            ),
            ContextTooLong
        );
        assert_eq!(classify(500, None, None, ""), Api);
        assert_eq!(classify(404, None, Some("model_not_found"), ""), Api);
    }

    #[test]
    fn veto_refuses_only_quota() {
        let h = Headers::default();
        let s = StatusCode::TOO_MANY_REQUESTS;
        assert!(quota_is_final(
            s,
            &h,
            br#"{"error":{"code":"1113","message":"x"}}"#
        ));
        assert!(quota_is_final(
            s,
            &h,
            br#"{"error":{"type":"insufficient_quota"}}"#
        ));
        assert!(!quota_is_final(
            s,
            &h,
            br#"{"error":{"code":"1302","message":"x"}}"#
        ));
        assert!(!quota_is_final(s, &h, b"not json"));
        assert!(!quota_is_final(s, &h, b""));
    }

    #[test]
    fn reset_durations() {
        let d = |s| parse_go_duration(s);
        assert_eq!(d("2s"), Some(Duration::from_secs(2)));
        assert_eq!(d("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(d("1h2m3.5s"), Some(Duration::from_millis(3_723_500)));
        assert_eq!(d("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(d("7"), Some(Duration::from_secs(7)));
        assert_eq!(d(""), None);
        assert_eq!(d("2x"), None);
        assert_eq!(d("s"), None);
    }

    #[test]
    fn key_is_scrubbed_from_messages() {
        let e = ChatError::from_answer(
            StatusCode::UNAUTHORIZED,
            &Headers::default(),
            br#"{"error":{"message":"Incorrect API key provided: sk-secret-123.","code":"invalid_api_key"}}"#,
            Some("sk-secret-123"),
        );
        assert_eq!(e.kind(), ErrorKind::Authentication);
        assert!(!e.to_string().contains("sk-secret-123"), "{e}");
        assert!(!format!("{e:?}").contains("sk-secret-123"));
    }
}
