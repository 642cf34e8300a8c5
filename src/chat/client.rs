//! [`Chat`]: a configured chat client, and the calls it makes.

use super::assemble::DEFAULT_MAX_REPLY_BYTES;
use super::error::{error_body, quota_is_final, ChatError};
use super::parse::parse_reply;
use super::provider::{redact_userinfo, Provider};
use super::reply::Reply;
use super::request::{ChatOptions, ChatRequest, Wire};
use super::stream::ChatStream;
use super::suggest::{DefaultSuggest, Suggest};
use super::trace::ChatSpan;
use crate::{Client, RequestBuilder, RetryPolicy, Timeouts};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The default total deadline of a chat call: long answers from large
/// models take tens of seconds (the seed service used 60 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// An API key: never shown by `Debug`.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A chat client for one provider, model and key. Cheap to clone (clones
/// share the settings and the HTTP client's pool); make one and share it.
///
/// See the [module docs](super) for an example.
#[derive(Clone)]
pub struct Chat {
    inner: Arc<Inner>,
    /// The caller's span, parent of every call's span ([`Chat::trace_parent`]).
    parent: Option<Arc<crate::trace::TraceContext>>,
}

struct Inner {
    client: Client,
    provider: Provider,
    base: String,
    /// `{base}/chat/completions`.
    url: String,
    key: Option<Secret>,
    model: String,
    system: Option<String>,
    timeout: Duration,
    retry: RetryPolicy,
    retryable: bool,
    suggest: Arc<dyn Suggest>,
    /// Prompts and completions go into spans ([`ChatBuilder::trace_content`]).
    trace_content: bool,
}

impl fmt::Debug for Chat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Chat")
            .field("provider", &i.provider)
            .field("base_url", &redact_userinfo(&i.base))
            .field("model", &i.model)
            .field("key", &i.key.as_ref().map(|_| "[redacted]"))
            .field("timeout", &i.timeout)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`Chat`], from [`Chat::builder`].
pub struct ChatBuilder {
    provider: Provider,
    key: Option<Secret>,
    base: Option<String>,
    model: Option<String>,
    system: Option<String>,
    timeout: Duration,
    client: Option<Client>,
    retry: RetryPolicy,
    retryable: bool,
    suggest: Arc<dyn Suggest>,
    /// Prompts and completions go into spans ([`ChatBuilder::trace_content`]).
    trace_content: bool,
}

impl fmt::Debug for ChatBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatBuilder")
            .field("provider", &self.provider)
            .field("key", &self.key)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl ChatBuilder {
    /// Settings for `provider`, with its key (and, for OpenAI, its base)
    /// from the process environment (see [`Provider`]).
    pub fn new(provider: Provider) -> ChatBuilder {
        ChatBuilder::with_env(provider, |name| std::env::var(name).ok())
    }

    /// As [`ChatBuilder::new`], reading the environment through `lookup`:
    /// tests give a map, and never change the process's environment.
    pub(crate) fn with_env(
        provider: Provider,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> ChatBuilder {
        let (key, base) = provider.env_settings(lookup);
        ChatBuilder {
            key: key.map(Secret),
            base,
            model: None,
            system: None,
            timeout: DEFAULT_TIMEOUT,
            client: None,
            retry: RetryPolicy::default(),
            retryable: true,
            suggest: Arc::new(DefaultSuggest::default()),
            trace_content: false,
            provider,
        }
    }

    /// The API key, instead of the environment's. Sent as
    /// `Authorization: Bearer <key>`, never shown by `Debug`, and scrubbed
    /// from the provider's error messages.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(Secret(key.into()));
        self
    }

    /// The base URL (the part before `/chat/completions`), instead of the
    /// provider's or `OPENAI_BASE_URL`.
    pub fn base_url(mut self, base: impl Into<String>) -> Self {
        self.base = Some(base.into());
        self
    }

    /// The model, instead of the provider's default.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// The system prompt sent first when a call gives none of its own.
    /// Default: none.
    pub fn system_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.system = Some(prompt.into());
        self
    }

    /// The total deadline of each call, retries included. Default: 60 s.
    pub fn timeout(mut self, total: Duration) -> Self {
        self.timeout = total;
        self
    }

    /// The HTTP client to send with, shared with the rest of the program
    /// (its pool, limits, breaker and events). Default: a new client.
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The retry policy of chat calls, in place of the client's. Default:
    /// [`RetryPolicy::default`]. Whatever the policy, a quota error is
    /// never retried: the chat layer adds its veto
    /// ([`RetryPolicy::never_retry_if`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Whether a call that may have reached the provider may be sent
    /// again (on a 5xx, a timeout waiting for the answer, or a 429).
    /// Default: true.
    ///
    /// A chat completion is a POST and not idempotent: sent twice, it is
    /// generated (and billed) twice. But it changes nothing on the
    /// provider's side besides the bill, the two answers are equally
    /// good, and a 429 or 503 means it was not served at all; so, like
    /// the OpenAI SDKs (and the service this layer replaces), brisk
    /// retries by default. Set false to never pay twice: then only
    /// failures before a byte was sent are retried.
    pub fn retryable(mut self, yes: bool) -> Self {
        self.retryable = yes;
        self
    }

    /// The rule behind [`Chat::chat_with_suggestions`]. Default:
    /// [`DefaultSuggest`].
    pub fn suggestions(mut self, rule: impl Suggest + 'static) -> Self {
        self.suggest = Arc::new(rule);
        self
    }

    /// Records prompts and completions in the chat spans
    /// (`gen_ai.input.messages`, `gen_ai.output.messages`) when the HTTP
    /// client traces. Off by default: they may hold personal data.
    pub fn trace_content(mut self, yes: bool) -> Self {
        self.trace_content = yes;
        self
    }

    /// The chat client. Misconfiguration (a hosted provider without a
    /// key, a custom one without a model) does not fail here: every call
    /// then fails with [`ErrorKind::Config`](super::ErrorKind::Config)
    /// before sending anything, so building never needs a `?`.
    pub fn build(self) -> Chat {
        let base = self
            .base
            .unwrap_or_else(|| self.provider.base_url().to_string());
        let base = base.trim_end_matches('/').to_string();
        Chat {
            parent: None,
            inner: Arc::new(Inner {
                client: self.client.unwrap_or_default(),
                url: format!("{base}/chat/completions"),
                base,
                key: self.key,
                model: self
                    .model
                    .or_else(|| self.provider.default_model().map(str::to_string))
                    .unwrap_or_default(),
                system: self.system,
                timeout: self.timeout,
                retry: self.retry.never_retry_if(quota_is_final),
                retryable: self.retryable,
                suggest: self.suggest,
                trace_content: self.trace_content,
                provider: self.provider,
            }),
        }
    }
}

/// A reply and the follow-up questions made from it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Suggested {
    /// The reply.
    pub reply: Reply,
    /// Follow-up questions, best first.
    pub suggestions: Vec<String>,
}

impl Chat {
    /// Settings for `provider`; see [`ChatBuilder`].
    pub fn builder(provider: Provider) -> ChatBuilder {
        ChatBuilder::new(provider)
    }

    /// A chat client for `provider` with its defaults and its key from the
    /// environment.
    pub fn new(provider: Provider) -> Chat {
        ChatBuilder::new(provider).build()
    }

    /// The model calls use when they name none.
    pub fn model(&self) -> &str {
        &self.inner.model
    }

    /// The URL calls are sent to.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// Asks one question with the default system prompt.
    pub async fn chat(&self, message: &str) -> Result<Reply, ChatError> {
        self.chat_with(message, ChatOptions::default()).await
    }

    /// Asks one question: the system prompt (the options', else the
    /// client's default, else none), the history, then `message` as the
    /// user's turn.
    pub async fn chat_with(&self, message: &str, options: ChatOptions) -> Result<Reply, ChatError> {
        self.send(self.simple_request(message, options)).await
    }

    /// As [`chat_with`](Self::chat_with), plus follow-up questions made
    /// locally by the client's [`Suggest`] rule: no second call.
    pub async fn chat_with_suggestions(
        &self,
        message: &str,
        options: ChatOptions,
    ) -> Result<Suggested, ChatError> {
        let reply = self.chat_with(message, options).await?;
        let suggestions = self.inner.suggest.suggest(message, &reply);
        Ok(Suggested { reply, suggestions })
    }

    /// The request a simple call sends.
    fn simple_request(&self, message: &str, options: ChatOptions) -> ChatRequest {
        options.into_request(self.inner.system.as_deref(), message)
    }

    /// Sends a request in its full form and reads the reply.
    ///
    /// `stream` must not be `true` here (the reply would be an event
    /// stream): such a request fails with a configuration error.
    pub async fn send(&self, request: ChatRequest) -> Result<Reply, ChatError> {
        let span = self.span(&request);
        let result = self.send_under(request, span.as_deref()).await;
        match (span, &result) {
            (Some(span), Ok(reply)) => span.reply(reply),
            (Some(span), Err(e)) => span.failed(e),
            (None, _) => {}
        }
        result
    }

    /// A copy of this chat whose calls are children of `parent` (the
    /// caller's span): with a tracing client, each call's span has it as
    /// its parent; without one, the calls' requests carry it as it is.
    pub fn trace_parent(&self, parent: &crate::trace::TraceContext) -> Chat {
        Chat {
            inner: self.inner.clone(),
            parent: Some(Arc::new(parent.clone())),
        }
    }

    /// The span of a call of `request`, if the client traces.
    fn span(&self, request: &ChatRequest) -> Option<Box<ChatSpan>> {
        let inner = &self.inner;
        let model = request.model.as_deref().unwrap_or(&inner.model);
        let input = (inner.trace_content && inner.client.shared.tracer.is_some())
            .then(|| serde_json::to_string(&request.messages).unwrap_or_default());
        let mut span = ChatSpan::start(
            &inner.client,
            &inner.provider,
            &inner.url,
            model,
            self.parent.as_deref(),
            input,
        )?;
        span.records_content(inner.trace_content);
        Some(span)
    }

    /// [`send`](Chat::send), with the call's span as the parent of its
    /// HTTP request.
    async fn send_under(
        &self,
        request: ChatRequest,
        span: Option<&ChatSpan>,
    ) -> Result<Reply, ChatError> {
        let inner = &self.inner;
        if request.stream == Some(true) {
            return Err(ChatError::config(
                "stream: true needs the streaming call, not send",
            ));
        }
        let http = self.prepare(&request, false, span)?;
        let key = inner.key.as_ref().map(|k| k.0.as_str());
        let mut resp = http.send().await.map_err(ChatError::from_http)?;
        let attempts = resp.attempts();
        let status = resp.status();
        let headers = resp.headers().clone();
        if !status.is_success() {
            let body = error_body(&mut resp).await;
            return Err(
                ChatError::from_answer(status, &headers, &body, key).with_attempts(attempts)
            );
        }
        let body = reply_body(resp)
            .await
            .map_err(|e| e.with_attempts(attempts))?;
        let header_id = super::error::header(&headers, "x-request-id");
        let mut reply = parse_reply(&body, header_id).map_err(|e| {
            e.with_request_id(header_id.map(str::to_string))
                .with_attempts(attempts)
        })?;
        reply.attempts = attempts;
        Ok(reply)
    }

    /// Asks one question and streams the reply: the same request as
    /// [`chat_with`](Self::chat_with), sent with `"stream": true` and
    /// `"stream_options": {"include_usage": true}`. Read the deltas as
    /// they arrive with [`ChatStream::next`], or the whole reply with
    /// [`ChatStream::collect_reply`].
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use brisk::chat::{Chat, ChatOptions, Provider};
    /// use std::io::Write;
    ///
    /// let chat = Chat::new(Provider::OpenAi);
    /// let mut stream = chat.stream("Tell me a story", ChatOptions::default()).await?;
    /// while let Some(delta) = stream.next().await {
    ///     print!("{}", delta?.text());
    ///     std::io::stdout().flush()?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn stream(
        &self,
        message: &str,
        options: ChatOptions,
    ) -> Result<ChatStream, ChatError> {
        self.stream_request(self.simple_request(message, options))
            .await
    }

    /// Sends a request in its full form as a stream (its `stream` field is
    /// set to `true`; `stream_options` asks for usage unless the request
    /// says otherwise).
    ///
    /// The client's timeout bounds the wait for the first byte and each
    /// wait between events (the read budget), not the whole stream: a
    /// long reply that keeps coming is not cut. An error status is
    /// returned here as a typed [`ChatError`]; an error inside the stream
    /// ends it with a [`StreamError`](super::StreamError) that keeps the
    /// text so far and converts into a `ChatError`.
    pub async fn stream_request(&self, request: ChatRequest) -> Result<ChatStream, ChatError> {
        let span = self.span(&request);
        match self.stream_under(request, span.as_deref()).await {
            Ok(stream) => Ok(match span {
                Some(span) => stream.traced(span),
                None => stream,
            }),
            Err(e) => {
                if let Some(span) = span {
                    span.failed(&e);
                }
                Err(e)
            }
        }
    }

    /// [`stream_request`](Chat::stream_request), with the call's span as
    /// the parent of its HTTP request.
    async fn stream_under(
        &self,
        mut request: ChatRequest,
        span: Option<&ChatSpan>,
    ) -> Result<ChatStream, ChatError> {
        request.stream = Some(true);
        if request.stream_options.is_none() {
            request.stream_options = Some(serde_json::json!({"include_usage": true}));
        }
        let http = self
            .prepare(&request, true, span)?
            .header("Accept", "text/event-stream");
        let mut resp = http.send().await.map_err(ChatError::from_http)?;
        let status = resp.status();
        if !status.is_success() {
            let attempts = resp.attempts();
            let headers = resp.headers().clone();
            let key = self.inner.key.as_ref().map(|k| k.0.as_str());
            let body = error_body(&mut resp).await;
            return Err(
                ChatError::from_answer(status, &headers, &body, key).with_attempts(attempts)
            );
        }
        let key = self.inner.key.as_ref().map(|k| k.0.as_str());
        Ok(ChatStream::new(resp).redacting(key))
    }

    /// The HTTP request for `request`: the key and model checks, the body,
    /// auth, retries and timeouts. A stream's timeout is a read budget,
    /// not a total.
    fn prepare(
        &self,
        request: &ChatRequest,
        streaming: bool,
        span: Option<&ChatSpan>,
    ) -> Result<RequestBuilder, ChatError> {
        let inner = &self.inner;
        let key = inner.key.as_ref().map(|k| k.0.as_str());
        if key.is_none() && inner.provider.needs_key() {
            return Err(ChatError::config(format!(
                "no API key: set {} or call api_key",
                inner.provider.key_variable()
            )));
        }
        let model = request.model.as_deref().unwrap_or(&inner.model);
        if model.is_empty() {
            return Err(ChatError::config("no model: set one with model()"));
        }
        let mut http = inner
            .client
            .post(&inner.url)
            .json(&Wire {
                req: request,
                model,
            })
            .retry(inner.retry.clone())
            .retryable(inner.retryable);
        http = if streaming {
            http.timeouts(Timeouts {
                read: Some(inner.timeout),
                ..Timeouts::default()
            })
        } else {
            http.timeout(inner.timeout)
        };
        if let Some(key) = key {
            http = http.bearer_auth(key);
        }
        match (span, &self.parent) {
            (Some(span), _) => http = http.trace_parent(span.context()),
            (None, Some(parent)) => http = http.trace_parent(parent),
            (None, None) => {}
        }
        Ok(http)
    }

    /// `http` with the client's key as a bearer token; an error if the
    /// provider needs a key and there is none. For the calls beside chat
    /// ([`transcribe`](Chat::transcribe)).
    pub(super) fn authorized(&self, http: RequestBuilder) -> Result<RequestBuilder, ChatError> {
        let inner = &self.inner;
        match self.key() {
            Some(key) => Ok(http.bearer_auth(key)),
            None if inner.provider.needs_key() => Err(ChatError::config(format!(
                "no API key: set {} or call api_key",
                inner.provider.key_variable()
            ))),
            None => Ok(http),
        }
    }

    /// The base URL (`https://api.openai.com/v1`), without a final `/`.
    pub(super) fn base_url(&self) -> &str {
        &self.inner.base
    }

    pub(super) fn http_client(&self) -> &Client {
        &self.inner.client
    }

    /// The total deadline of a call.
    pub(super) fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    pub(super) fn key(&self) -> Option<&str> {
        self.inner.key.as_ref().map(|k| k.0.as_str())
    }

    /// Sends many requests, at most `concurrency` at a time, and returns
    /// each one's result in the order of `requests`, failures included:
    /// one failed call stops nothing. Built on the same bounded runner as
    /// [`Client::send_all`]. Each call reads its reply whole before its
    /// place frees, so its connection is back in the pool by then: a
    /// batch needs no more connections than `concurrency`.
    pub async fn chat_many(
        &self,
        requests: impl IntoIterator<Item = ChatRequest>,
        concurrency: usize,
    ) -> Vec<Result<Reply, ChatError>> {
        let calls = requests.into_iter().map(|req| {
            let chat = self.clone();
            async move { chat.send(req).await }
        });
        crate::client::run_bounded(calls, concurrency).await
    }
}

/// The most of an error answer's body that is read: error bodies are small
/// A completion's body, refused past [`DEFAULT_MAX_REPLY_BYTES`]: the
/// total timeout bounds its time, this its memory.
async fn reply_body(mut resp: crate::Response) -> Result<Vec<u8>, ChatError> {
    let mut body = Vec::new();
    while let Some(piece) = resp.chunk().await.map_err(ChatError::from_http)? {
        if body.len() + piece.len() > DEFAULT_MAX_REPLY_BYTES {
            return Err(ChatError::decode(
                "",
                format!("a reply over {DEFAULT_MAX_REPLY_BYTES} bytes"),
            ));
        }
        if body.is_empty() {
            body = piece;
        } else {
            body.extend_from_slice(&piece);
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let env = |name: &str| (name == "ZHIPUAI_API_KEY").then(|| "zk.secret-1".to_string());
        let chat = ChatBuilder::with_env(Provider::Zhipu, env).build();
        let shown = format!("{chat:?}");
        assert!(!shown.contains("secret-1"), "{shown}");
        assert!(shown.contains("glm-4-flash"), "{shown}");
        let builder = ChatBuilder::with_env(Provider::Zhipu, env).api_key("sk-other");
        assert!(!format!("{builder:?}").contains("sk-other"));
    }

    #[test]
    fn base_from_env_and_explicit() {
        let env = |name: &str| (name == "OPENAI_BASE_URL").then(|| "http://gw/v1/".to_string());
        let chat = ChatBuilder::with_env(Provider::OpenAi, env).build();
        assert_eq!(chat.url(), "http://gw/v1/chat/completions");
        let chat = ChatBuilder::with_env(Provider::OpenAi, env)
            .base_url("http://other/v1")
            .build();
        assert_eq!(chat.url(), "http://other/v1/chat/completions");
        assert_eq!(chat.model(), "gpt-4o-mini");
    }
}
