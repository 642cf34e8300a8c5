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
    /// The body read as JSON, if it is JSON.
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

    /// The `model` the JSON body named.
    pub fn model(&self) -> Option<&str> {
        self.json.as_ref()?.get("model")?.as_str()
    }
}

/// The latest requests, oldest first, up to `limit` of them.
pub(crate) struct Record {
    requests: VecDeque<Recorded>,
    limit: usize,
}

impl Record {
    pub(crate) fn new(limit: usize) -> Record {
        Record {
            requests: VecDeque::new(),
            limit,
        }
    }

    /// Keeps `r`, forgetting the oldest request if the record is full.
    pub(crate) fn push(&mut self, r: Recorded) {
        if self.limit == 0 {
            return;
        }
        if self.requests.len() == self.limit {
            self.requests.pop_front();
        }
        self.requests.push_back(r);
    }

    pub(crate) fn to_vec(&self) -> Vec<Recorded> {
        self.requests.iter().cloned().collect()
    }

    pub(crate) fn clear(&mut self) {
        self.requests.clear();
    }
}
