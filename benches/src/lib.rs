//! Support code for brisk's benchmarks: the loopback server, the clients
//! under comparison, and the measuring instruments. The binaries are
//! `server`, `compare` (one workload, one client, one JSON line) and
//! `summary` (JSON lines in, markdown table out); `benches/parse.rs` is the
//! criterion parser bench. See README.md.

pub mod alloc_count;
#[cfg(feature = "brisk-client")]
pub mod brisk_client;
pub mod clients;
pub mod measure;
pub mod server;
#[cfg(feature = "brisk-client")]
pub mod ws_clients;

/// Every workload, in the order `compare` accepts them and `summary`
/// prints them (`compare.sh` runs them in this order by default).
pub const WORKLOADS: &[&str] = &[
    "seq",
    "c100",
    "1m",
    "tls-new-conn",
    "slow",
    "tls-seq",
    "tls-c100",
    "stream-1m",
    "stream-100m",
    "slow10k",
];

/// Workloads `compare` accepts that `compare.sh` does not run by default,
/// for the clients that can do them: `gzip-20m` (a 20 MB JSON answer sent
/// gzip'd, decoded by the client) is for brisk and reqwest, which decode;
/// hyper and the raw floor would hand back the gzip.
pub const EXTRA_WORKLOADS: &[&str] = &["gzip-20m"];

/// The response head every parser bench parses: 298 bytes, 8 header fields,
/// the kind of head a JSON API behind nginx sends.
pub const RESPONSE_HEAD_298B: &[u8] = b"HTTP/1.1 200 OK\r\n\
Date: Mon, 24 Nov 2025 20:57:13 GMT\r\n\
Content-Type: application/json; charset=utf-8\r\n\
Content-Length: 1843\r\n\
Connection: keep-alive\r\n\
Server: nginx/1.27.3\r\n\
Cache-Control: private, max-age=0, must-revalidate\r\n\
X-Request-Id: 7f3c9a2e-51b4-4d0e-9c88-0b6f2d1a4e57\r\n\
Vary: Accept-Encoding\r\n\
\r\n";

/// The three ways of parsing [`RESPONSE_HEAD_298B`] that the parser bench
/// and `parse_instructions` compare. Each returns (status, header count,
/// head length) and panics if the parse fails.
pub mod parsers {
    use brisk::h1::{parse_head, Event, HeaderSpan, Limits, ResponseDecoder, Status};

    /// `httparse::Response::parse` into 16 stack header slots.
    pub fn httparse_head(buf: &[u8]) -> (u16, usize, usize) {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(buf) {
            Ok(httparse::Status::Complete(len)) => {
                (resp.code.unwrap_or(0), resp.headers.len(), len)
            }
            _ => panic!("httparse failed on the bench input"),
        }
    }

    /// `brisk::h1::parse_head` into 16 stack `HeaderSpan` slots.
    pub fn brisk_head(buf: &[u8], limits: &Limits) -> (u16, usize, usize) {
        let mut slots = [HeaderSpan::default(); 16];
        match parse_head(buf, &mut slots, limits) {
            Ok(Status::Complete(head)) => (head.status, head.headers.len(), head.len),
            _ => panic!("brisk::h1::parse_head failed on the bench input"),
        }
    }

    /// A fresh `brisk::h1::ResponseDecoder` decoding the head into an owned
    /// `ResponseHead` (allocates).
    pub fn brisk_decoder(buf: &[u8], limits: &Limits) -> (u16, usize, usize) {
        let mut dec = ResponseDecoder::new(limits.clone());
        match dec.decode(buf) {
            Ok(step) => match step.event {
                Some(Event::Head(head)) => (head.status, head.headers.len(), step.consumed),
                other => panic!("expected a head, got {other:?}"),
            },
            Err(e) => panic!("brisk::h1::ResponseDecoder failed on the bench input: {e}"),
        }
    }
}
