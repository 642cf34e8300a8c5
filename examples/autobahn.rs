//! The standard Autobahn|Testsuite client loop, against its fuzzing
//! server: `getCaseCount`, then every case echoing each text and binary
//! message back until the server closes, then `updateReports`.
//!
//! `cargo run --release --example autobahn -- [--url ws://127.0.0.1:9001] [--agent brisk]`
//! (`tests/autobahn/run.sh` starts the server and judges the report.)

use brisk::ws::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut url = "ws://127.0.0.1:9001".to_owned();
    let mut agent = "brisk".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--url", Some(v)) => url = v,
            ("--agent", Some(v)) => agent = v,
            _ => {
                eprintln!("usage: autobahn [--url URL] [--agent NAME]");
                std::process::exit(2);
            }
        }
    }
    let client = brisk::Client::new();
    let count = case_count(&client, &url).await;
    eprintln!("{count} cases");
    for case in 1..=count {
        let case_url = format!("{url}/runCase?case={case}&agent={agent}");
        if let Err(e) = run_case(&client, &case_url).await {
            eprintln!("case {case}: {e}");
        }
    }
    let reports = format!("{url}/updateReports?agent={agent}");
    let mut ws = client
        .websocket(&reports)
        .connect()
        .await
        .expect("updateReports");
    while let Ok(Some(_)) = ws.recv().await {}
}

async fn case_count(client: &brisk::Client, url: &str) -> u32 {
    let mut ws = client
        .websocket(format!("{url}/getCaseCount"))
        .connect()
        .await
        .expect("getCaseCount: is the fuzzing server running?");
    let mut count = 0;
    while let Ok(Some(message)) = ws.recv().await {
        if let Message::Text(text) = message {
            count = text.trim().parse().expect("a case count");
        }
    }
    count
}

/// Echoes until the server closes; errors are the case's to judge.
async fn run_case(client: &brisk::Client, url: &str) -> Result<(), brisk::Error> {
    let mut ws = client.websocket(url).connect().await?;
    while let Some(message) = ws.recv().await? {
        match message {
            Message::Text(_) | Message::Binary(_) => ws.send(message).await?,
            _ => {}
        }
    }
    Ok(())
}
