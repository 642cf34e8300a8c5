//! The upload endpoints, answered as OpenAI answers them:
//! `POST {base}/audio/transcriptions` and `POST {base}/files`, both
//! `multipart/form-data` (read by [`multipart`](super::multipart)).

use super::multipart::{self, FormPart};
use super::render::server_error;
use serde_json::json;

/// Which upload endpoint a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Upload {
    Transcription,
    File,
}

impl Upload {
    /// The endpoint at `path` under `base`, if it is one.
    pub(crate) fn at(path: &str, base: &str) -> Option<Upload> {
        let rest = path.strip_prefix(base)?;
        match rest {
            "/audio/transcriptions" => Some(Upload::Transcription),
            "/files" => Some(Upload::File),
            _ => None,
        }
    }
}

/// The reply to an upload: the status, the body, and whether it is plain
/// text (`response_format=text`) rather than JSON.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) text: bool,
}

fn invalid(message: &str) -> Reply {
    Reply {
        status: 400,
        body: server_error(message, "invalid_request_error"),
        text: false,
    }
}

/// Answers an upload of `body` (whose `Content-Type` is `content_type`),
/// the `n`-th request the server received, at `created` (Unix seconds).
///
/// - A transcription needs a `file` and a `model`. Its text is the file's
///   bytes when they are UTF-8 (upload a `.txt` "recording" and read it
///   back), else `mock transcription of NAME (N bytes)`. `response_format`
///   `text` answers `text/plain`; anything else `{"text": ...}`.
/// - A file needs a `file` and a `purpose`, and gets a file object back:
///   `id` `file-mock-N`, `bytes`, `filename`, `purpose`, `status`
///   `processed`.
pub(crate) fn answer(
    kind: Upload,
    content_type: Option<&str>,
    body: &[u8],
    n: u64,
    created: u64,
) -> Reply {
    let Some(boundary) = content_type.and_then(multipart::boundary) else {
        return invalid("mock: the body must be multipart/form-data with a boundary");
    };
    let parts = match multipart::parse(body, boundary) {
        Ok(parts) => parts,
        Err(e) => return invalid(&format!("mock: the multipart body is malformed: {e}")),
    };
    let field = |name: &str| parts.iter().find(|p| p.name == name);
    let text = |name: &str| field(name).and_then(FormPart::text);
    let Some(file) = field("file") else {
        return invalid("mock: the form has no `file` part");
    };
    let file_name = file.file_name.unwrap_or("file");
    match kind {
        Upload::Transcription => {
            if text("model").is_none() {
                return invalid("mock: the form has no `model` field");
            }
            let transcript = match file.text() {
                Some(t) => t.to_string(),
                None => format!(
                    "mock transcription of {file_name} ({} bytes)",
                    file.data.len()
                ),
            };
            if text("response_format") == Some("text") {
                return Reply {
                    status: 200,
                    body: transcript,
                    text: true,
                };
            }
            Reply {
                status: 200,
                body: json!({ "text": transcript }).to_string(),
                text: false,
            }
        }
        Upload::File => {
            let Some(purpose) = text("purpose") else {
                return invalid("mock: the form has no `purpose` field");
            };
            Reply {
                status: 200,
                body: json!({
                    "id": format!("file-mock-{n}"),
                    "object": "file",
                    "bytes": file.data.len(),
                    "created_at": created,
                    "filename": file_name,
                    "purpose": purpose,
                    "status": "processed",
                    "status_details": null,
                })
                .to_string(),
                text: false,
            }
        }
    }
}
