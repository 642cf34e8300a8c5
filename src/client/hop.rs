//! What one hop of a request is made of, shared by the call that runs it
//! (`call.rs`), the attempt that fetches it (`exchange.rs`) and the
//! response that reads its body (`response.rs`): where it goes, which try
//! this is, what it got, and what the request has been through so far.

use super::Timings;
use crate::conn::Conn;
use crate::error::Error;
use crate::h1::ResponseHead;
use crate::pool::{HostEntry, Slot};
use crate::proxy::Endpoint;
use crate::retry::{Progress, RetryRecord};
use std::sync::Arc;

/// Where a hop goes: the pool's entry for its origin (for the pair of
/// proxy and origin, through a proxy), and that proxy. Chosen once per
/// hop: a redirect may lead to a host that `NO_PROXY` exempts. The proxy
/// is boxed: a direct request carries a pointer's width for it, not an
/// endpoint's.
pub(super) struct Route {
    pub(super) host: Arc<HostEntry>,
    pub(super) proxy: Option<Box<Endpoint>>,
}

/// Which try of a hop an attempt is.
#[derive(Clone, Copy)]
pub(super) struct Turn {
    /// The attempt's number, from 1 (a free re-send keeps its number).
    pub(super) number: u32,
    /// A free re-send: it must go on a fresh connection.
    pub(super) fresh: bool,
    /// The clock reading the attempt starts at.
    pub(super) now: tokio::time::Instant,
}

impl Turn {
    /// A hop's first try, starting at `now`.
    pub(super) fn first(now: tokio::time::Instant) -> Turn {
        Turn {
            number: 1,
            fresh: false,
            now,
        }
    }
}

/// One response head and the connection it came on.
pub(super) struct Hop {
    pub(super) head: ResponseHead,
    pub(super) conn: Box<Conn>,
    pub(super) slot: Slot,
    pub(super) reused: bool,
    pub(super) timings: Timings,
    /// The request said `Connection: close`.
    pub(super) close: bool,
}

/// An attempt that failed, and how far it got.
pub(super) struct Failed {
    pub(super) error: Error,
    pub(super) progress: Progress,
    /// The connection had served an earlier request.
    pub(super) reused: bool,
}

/// What a request has been through so far.
#[derive(Default)]
pub(super) struct Tries {
    /// Attempts made on the current hop (free re-sends not counted).
    pub(super) attempts: u32,
    /// Every retry and re-send, over all hops.
    pub(super) records: Vec<RetryRecord>,
    /// Redirects followed so far.
    pub(super) followed: usize,
    /// DNS, connect and TLS of earlier hops, added to the final one's.
    pub(super) earlier: Timings,
}
