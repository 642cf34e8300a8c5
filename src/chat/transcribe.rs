//! [`Chat::transcribe`]: speech to text through the provider's
//! `/audio/transcriptions`, the one upload a chat program most often
//! needs. A thin call on the public API: a multipart form
//! ([`crate::multipart`]) with the file streamed from disk, the
//! client's key, deadline and error handling.

use super::client::Chat;
use super::error::{error_body, ChatError};
use crate::multipart::Form;
use std::path::Path;

impl Chat {
    /// Transcribes the audio file at `path` with `model` (OpenAI's
    /// `whisper-1` or `gpt-4o-transcribe`, a local server's own) and
    /// returns the text: `POST {base_url}/audio/transcriptions` with the
    /// file and the model as `multipart/form-data`, as OpenAI's API takes
    /// it. The file is streamed from disk, never read whole; its type is
    /// guessed from its extension (`.mp3`, `.wav`, `.m4a`, `.webm`, ...).
    ///
    /// Errors are the chat calls' own ([`ChatError`]): the provider's
    /// answer classified, or a timeout under the client's deadline. A file
    /// that cannot be opened is a [`Config`](super::ErrorKind::Config)
    /// error, nothing sent. Like every upload of a file, the call is not
    /// retried.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), brisk::chat::ChatError> {
    /// use brisk::chat::{Chat, Provider};
    ///
    /// let chat = Chat::new(Provider::OpenAi);
    /// let text = chat.transcribe("meeting.m4a", "whisper-1").await?;
    /// println!("{text}");
    /// # Ok(()) }
    /// ```
    pub async fn transcribe(
        &self,
        path: impl AsRef<Path>,
        model: &str,
    ) -> Result<String, ChatError> {
        let path = path.as_ref();
        let form = Form::new()
            .text("model", model.to_string())
            .file("file", path)
            .await
            .map_err(|e| ChatError::config(format!("reading {}: {e}", path.display())))?;
        let url = format!("{}/audio/transcriptions", self.base_url());
        let mut resp = self
            .authorized(self.http_client().post(url))?
            .multipart(form)
            .timeout(self.timeout())
            .send()
            .await
            .map_err(ChatError::from_http)?;
        let (status, headers) = (resp.status(), resp.headers().clone());
        if !status.is_success() {
            let body = error_body(&mut resp).await;
            return Err(ChatError::from_answer(status, &headers, &body, self.key()));
        }
        let reply: serde_json::Value = resp.json().await.map_err(ChatError::from_http)?;
        match reply.get("text").and_then(|t| t.as_str()) {
            Some(text) => Ok(text.to_string()),
            None => Err(ChatError::decode(
                "text",
                "a transcription has a string `text`",
            )),
        }
    }
}
