//! Liveness without a kept peek handle, when the process is out of file
//! descriptors: a test binary of its own, since it lowers the kept-handle
//! limit and exhausts descriptors for the whole process.

mod support;

use brisk::{Client, Event};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Past the first 256 connections, the liveness check duplicates the
/// socket for each check. When that fails (EMFILE: the state a process
/// holding thousands of connections is most likely to be in), the check
/// falls back to tokio's readiness, which has not seen a FIN that arrived
/// while the reactor did not turn, and the request is written into a
/// connection the server closed. Before 148133c every connection kept the
/// handle it made at connect time, so the check asked the kernel whatever
/// the descriptor count was later.
#[tokio::test]
async fn out_of_descriptors_a_closed_idle_connection_is_not_reused() {
    brisk::fuzzing::set_kept_peek_handles(0);
    // The FIN follows the answer once the client has pooled the
    // connection, while the client's reactor is not turning.
    let server = support::server::FinAfterResponse::start(b"");
    // Armed for the second request: its hook fills the descriptor table
    // just before the checkout, and frees it once a connection is chosen.
    let exhaust = Arc::new(AtomicBool::new(false));
    let held: Arc<Mutex<Vec<std::fs::File>>> = Arc::default();
    let reused = Arc::new(Mutex::new(Vec::new()));
    let (arm, files, seen) = (exhaust.clone(), held.clone(), reused.clone());
    let client = Client::builder()
        .on_event(move |event| match event {
            Event::RequestStart { .. } if arm.swap(false, Ordering::SeqCst) => {
                let mut files = files.lock().unwrap();
                // Bounded: under a huge limit the table is not filled,
                // and the test proves nothing but does no harm.
                while files.len() < 65_536 {
                    match std::fs::File::open("/dev/null") {
                        Ok(f) => files.push(f),
                        Err(_) => break,
                    }
                }
            }
            Event::Connected { reused, .. } => {
                seen.lock().unwrap().push(*reused);
                files.lock().unwrap().clear();
            }
            Event::Error { .. } => files.lock().unwrap().clear(),
            _ => {}
        })
        .build()
        .unwrap();
    let url = format!("http://{}/", server.addr);
    let first = client.get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(first, "done");
    // Busy synchronous work: the FIN arrives, the reactor does not turn.
    server.close_and_wait();
    exhaust.store(true, Ordering::SeqCst);
    let _ = client.get(&url).send().await;
    held.lock().unwrap().clear();
    drop(client);
    assert_eq!(
        server.written_after_close(),
        0,
        "a request was written into a connection the server had closed \
         (connections chosen, reused or not: {:?})",
        reused.lock().unwrap()
    );
}
