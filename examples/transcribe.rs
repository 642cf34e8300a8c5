//! Speech to text with `Chat::transcribe`: the file streamed in a
//! multipart upload to `/audio/transcriptions`, the text printed.
//!
//! ```sh
//! cargo run --example transcribe -- FILE [MODEL]
//! ```
//!
//! With `OPENAI_API_KEY` set it asks OpenAI (model `whisper-1` unless
//! MODEL says otherwise). Without it, it starts brisk's mock server on
//! loopback and says so on stderr; the mock "transcribes" a UTF-8 file as
//! its own text and anything else as its name and size, so
//! `cargo run --example transcribe -- README.md` runs offline.

use brisk::chat::{Chat, Provider};
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: transcribe FILE [MODEL]");
        return ExitCode::from(2);
    };
    let model = args.next().unwrap_or_else(|| "whisper-1".to_string());
    let mut mock = None;
    let chat = if std::env::var_os("OPENAI_API_KEY").is_some() {
        Chat::new(Provider::OpenAi)
    } else {
        let server = match brisk::mock::MockServer::start().await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("transcribe: starting the mock server: {e}");
                return ExitCode::FAILURE;
            }
        };
        eprintln!(
            "transcribe: no OPENAI_API_KEY, using the mock at {}",
            server.base_url()
        );
        let chat = Chat::builder(Provider::Custom(server.base_url())).build();
        mock = Some(server);
        chat
    };
    let result = chat.transcribe(&file, &model).await;
    drop(mock);
    match result {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("transcribe: {e}");
            ExitCode::FAILURE
        }
    }
}
