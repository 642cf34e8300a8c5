//! What the server keeps of the requests it read, for
//! [`MockServer::requests`](super::MockServer::requests).

use serde_json::Value;
use std::collections::VecDeque;

/// One request the mock server received.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Recorded {
    /// The method, as sent (`POST`).
    pub method: String,
    /// The request target, as sent: path and query (`/v1/chat/completions`).
    pub path: String,
    /// Every header field in order, names as the client spelled them,
    /// values as sent (credentials included: see the module docs).
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    /// The body's length as received: more than `body.len()` when the
    /// [record byte limit](super::MockServerBuilder::record_bytes_limit)
    /// left the body out.
    pub body_len: usize,
    /// The body read as JSON, for a `POST` to a chat route (the chat path
    /// or an [`on_path`](super::MockServer::on_path) path) whose body is
    /// JSON; `None` for any other request, whose body is not parsed.
    pub json: Option<Value>,
    /// Which connection carried it: connections are numbered from 0 in
    /// the order they were accepted.
    pub connection: u64,
}

impl Recorded {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The parts of a `multipart/form-data` body (an upload to
    /// `/v1/audio/transcriptions` or `/v1/files`, or any other), read from
    /// the recorded body: an error if the request is not multipart, or
    /// its body is malformed, or was left out by the [record byte
    /// limit](super::MockServerBuilder::record_bytes_limit).
    pub fn form(&self) -> Result<Vec<super::FormPart<'_>>, super::FormError> {
        let boundary = self
            .header("content-type")
            .and_then(super::multipart::boundary)
            .ok_or(super::FormError::NotMultipart)?;
        if self.body.len() != self.body_len {
            return Err(super::FormError::Unterminated);
        }
        super::multipart::parse(&self.body, boundary)
    }

    /// The `model` the JSON body named.
    pub fn model(&self) -> Option<&str> {
        self.json.as_ref()?.get("model")?.as_str()
    }

    /// What keeping this request costs, in bytes: its strings' and body's
    /// capacities, and the parsed JSON's estimated size.
    fn retained_bytes(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(n, v)| size_of::<(String, String)>() + n.capacity() + v.capacity())
            .sum();
        size_of::<Recorded>()
            + self.method.capacity()
            + self.path.capacity()
            + headers
            + self.body.capacity()
            + self.json.as_ref().map_or(0, json_heap_bytes)
    }
}

/// The latest requests, oldest first, within both limits: `limit`
/// requests and `bytes_limit` bytes.
pub(crate) struct Record {
    requests: VecDeque<Recorded>,
    limit: usize,
    bytes_limit: usize,
    /// The sum of the requests' [`Recorded::retained_bytes`].
    bytes: usize,
}

impl Record {
    pub(crate) fn new(limit: usize, bytes_limit: usize) -> Record {
        Record {
            requests: VecDeque::new(),
            limit,
            bytes_limit,
            bytes: 0,
        }
    }

    /// Keeps `r`, forgetting the oldest requests until both limits hold.
    /// A request that alone is over the byte limit is kept without its
    /// body and JSON; one that is over it even so (a limit of a few bytes)
    /// is not kept.
    pub(crate) fn push(&mut self, mut r: Recorded) {
        if self.limit == 0 {
            return;
        }
        if r.retained_bytes() > self.bytes_limit {
            r.body = Vec::new();
            r.json = None;
        }
        let cost = r.retained_bytes();
        if cost > self.bytes_limit {
            return;
        }
        while self.requests.len() >= self.limit || self.bytes + cost > self.bytes_limit {
            let Some(old) = self.requests.pop_front() else {
                break;
            };
            self.bytes -= old.retained_bytes();
        }
        self.bytes += cost;
        self.requests.push_back(r);
    }

    pub(crate) fn to_vec(&self) -> Vec<Recorded> {
        self.requests.iter().cloned().collect()
    }

    pub(crate) fn clear(&mut self) {
        self.requests.clear();
        self.bytes = 0;
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

/// The heap a parsed JSON value holds, estimated from serde_json's layout:
/// every element's `Value`, every string's and key's bytes. (A map's tree
/// nodes cost a little more than counted.) Recursion is bounded: serde_json
/// refuses documents nested over 128 deep.
fn json_heap_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.capacity(),
        Value::Array(a) => {
            a.capacity() * size_of::<Value>() + a.iter().map(json_heap_bytes).sum::<usize>()
        }
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                size_of::<String>() + k.capacity() + size_of::<Value>() + json_heap_bytes(v)
            })
            .sum(),
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    }
}
