//! Files as request bodies over real sockets: `Body::from(tokio::fs::File)`
//! goes with `Content-Length` from the file's metadata, from the file's
//! position on; and a file that grows or shrinks while it is uploaded
//! (alone, or as a multipart part) fails the request, with the server
//! never receiving a complete body: neither cut short nor run long.

mod support;

use brisk::multipart::Form;
use brisk::{Body, Client, RequestBuilder};
use std::io::Seek;
use support::server::recording;
use support::server::Scripted;
use support::temp_dir::{pattern, TempDir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

#[tokio::test]
async fn a_file_body_goes_with_content_length_from_its_metadata() {
    let dir = TempDir::new("file-body");
    let path = dir.join("data.bin");
    let data = pattern(300_000);
    std::fs::write(&path, &data).unwrap();
    let (server, mut seen) = recording("ok").await;
    let file = tokio::fs::File::open(&path).await.unwrap();
    Client::new()
        .put(server.url("/object"))
        .body(file)
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(req.header("content-length"), Some("300000"));
    assert_eq!(req.header("transfer-encoding"), None);
    assert!(req.body == data);

    // From the file's position on, as a reader of the file would.
    let mut std_file = std::fs::File::open(&path).unwrap();
    std_file.seek(std::io::SeekFrom::Start(1000)).unwrap();
    let file = tokio::fs::File::from_std(std_file);
    Client::new()
        .put(server.url("/object"))
        .body(file)
        .send()
        .await
        .unwrap();
    let req = seen.recv().await.unwrap();
    assert_eq!(req.header("content-length"), Some("299000"));
    assert!(req.body == data[1000..]);
}

/// What the pausing server saw of one request.
#[derive(Debug)]
struct Seen {
    declared: usize,
    received: usize,
    /// Every body byte received was the file's byte at that offset (the
    /// body's first `skip` bytes, a multipart head, aside).
    intact: bool,
}

/// A server that reads a request's head and the first 64 KiB of its body,
/// reports that on `paused`, waits for `resume`, then reads until the
/// body is complete or the client closes, checking each byte against
/// the file's pattern from body offset `skip` on. It answers only a
/// complete request.
async fn pausing_server(
    skip: usize,
) -> (
    Scripted,
    mpsc::UnboundedReceiver<oneshot::Sender<()>>,
    mpsc::UnboundedReceiver<Seen>,
) {
    let (paused_tx, paused) = mpsc::unbounded_channel();
    let (seen_tx, seen) = mpsc::unbounded_channel();
    let server = Scripted::start(move |mut stream, _| {
        let (paused_tx, seen_tx) = (paused_tx.clone(), seen_tx.clone());
        async move {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 64 * 1024];
            let head_end = loop {
                if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                match stream.read(&mut buf).await {
                    Ok(n @ 1..) => got.extend_from_slice(&buf[..n]),
                    _ => return,
                }
            };
            let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
            let declared: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap();
            let mut body = got.split_off(head_end);
            let mut intact = true;
            let mut received = 0;
            let mut check = |bytes: &[u8], received: &mut usize| {
                for &b in bytes {
                    let at = *received;
                    *received += 1;
                    if at >= skip && at - skip < FILE_LEN {
                        intact &= b == ((at - skip) % 251) as u8;
                    }
                }
            };
            while body.len() < 64 * 1024 {
                match stream.read(&mut buf).await {
                    Ok(n @ 1..) => body.extend_from_slice(&buf[..n]),
                    _ => break,
                }
            }
            check(&body, &mut received);
            let (resume_tx, resume) = oneshot::channel();
            let _ = paused_tx.send(resume_tx);
            let _ = resume.await;
            while received < declared {
                match stream.read(&mut buf).await {
                    Ok(n @ 1..) => check(&buf[..n], &mut received),
                    _ => break,
                }
            }
            if received == declared {
                let _ = stream.write_all(&support::server::ok("stored")).await;
            }
            let _ = seen_tx.send(Seen {
                declared,
                received,
                intact,
            });
        }
    })
    .await;
    (server, paused, seen)
}

const FILE_LEN: usize = 64 * 1024 * 1024;

#[derive(Clone, Copy, Debug)]
enum Change {
    Grow,
    Shrink,
}

/// Uploads a 64 MiB file with `request`, changes its length while the
/// server holds the upload paused (past what socket buffers can take
/// ahead), and checks that the request fails as a body error and the
/// server never received a complete body.
async fn upload_while_the_file_changes(
    change: Change,
    skip: usize,
    request: impl FnOnce(&Client, String, std::path::PathBuf) -> RequestBuilderFuture,
) {
    let dir = TempDir::new("file-change");
    let path = dir.join("big.bin");
    std::fs::write(&path, pattern(FILE_LEN)).unwrap();
    let (server, mut paused, mut seen) = pausing_server(skip).await;
    let client = Client::new();
    let builder = request(&client, server.url("/upload"), path.clone()).await;
    let send = tokio::spawn(builder.send());
    let resume = paused.recv().await.unwrap();
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    match change {
        Change::Grow => std::io::Write::write_all(&mut &file, b"appended").unwrap(),
        Change::Shrink => file.set_len(FILE_LEN as u64 * 3 / 4).unwrap(),
    }
    drop(file);
    resume.send(()).unwrap();
    let err = send.await.unwrap().unwrap_err();
    assert!(err.is_body(), "{change:?}: {err:?}");
    let seen = seen.recv().await.unwrap();
    assert!(
        seen.received < seen.declared,
        "{change:?}: the server received a complete body: {seen:?}"
    );
    assert!(
        seen.intact,
        "{change:?}: bytes changed on the way: {seen:?}"
    );
    assert!(seen.declared >= FILE_LEN, "{seen:?}");
}

type RequestBuilderFuture = std::pin::Pin<Box<dyn std::future::Future<Output = RequestBuilder>>>;

fn file_body(client: &Client, url: String, path: std::path::PathBuf) -> RequestBuilderFuture {
    let client = client.clone();
    Box::pin(async move {
        let file = tokio::fs::File::open(path).await.unwrap();
        client.put(url).body(Body::from(file))
    })
}

fn file_part(client: &Client, url: String, path: std::path::PathBuf) -> RequestBuilderFuture {
    let client = client.clone();
    Box::pin(async move {
        let form = Form::new().file("file", path).await.unwrap();
        client.post(url).multipart(form)
    })
}

/// The multipart head before the file's bytes: the delimiter line and the
/// part's two header lines.
fn part_head_len(boundary_len: usize) -> usize {
    format!(
        "--{}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n",
        "x".repeat(boundary_len)
    )
    .len()
}

#[tokio::test]
async fn a_file_body_that_grows_mid_upload_fails_and_never_arrives_whole() {
    upload_while_the_file_changes(Change::Grow, 0, file_body).await;
}

#[tokio::test]
async fn a_file_body_that_shrinks_mid_upload_fails_and_never_arrives_whole() {
    upload_while_the_file_changes(Change::Shrink, 0, file_body).await;
}

#[tokio::test]
async fn a_file_part_that_grows_mid_upload_fails_and_never_arrives_whole() {
    let skip = part_head_len(Form::new().boundary().len());
    upload_while_the_file_changes(Change::Grow, skip, file_part).await;
}

#[tokio::test]
async fn a_file_part_that_shrinks_mid_upload_fails_and_never_arrives_whole() {
    let skip = part_head_len(Form::new().boundary().len());
    upload_while_the_file_changes(Change::Shrink, skip, file_part).await;
}
