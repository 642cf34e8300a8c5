//! A counting allocator: wraps `System`, counts allocations and bytes while
//! switched on.
//!
//! The driver installs it as its `#[global_allocator]` and switches it on
//! only for the measured phase, so warm-up, connection set-up before the
//! measurement and result formatting are not counted. Threads marked with
//! [`exclude_this_thread`] (an in-process server) are never counted; every
//! other thread is (reqwest's DNS lookups run on tokio's blocking pool, and
//! that is the client's work).
//!
//! A `realloc` counts as one allocation of its new size: a growing `Vec`
//! that reallocates three times costs three allocations, as it does in time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// The counting allocator. Declare it in a binary:
///
/// ```ignore
/// #[global_allocator]
/// static ALLOC: brisk_benches::alloc_count::Counting = brisk_benches::alloc_count::Counting;
/// ```
pub struct Counting;

static ENABLED: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static EXCLUDED: Cell<bool> = const { Cell::new(false) };
}

/// Never count allocations made on the calling thread.
pub fn exclude_this_thread() {
    EXCLUDED.with(|e| e.set(true));
}

#[inline]
fn count(size: usize) {
    if ENABLED.load(Relaxed) && !EXCLUDED.try_with(Cell::get).unwrap_or(true) {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(size as u64, Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to `System`; counting touches
// only atomics and a const-initialised thread-local `Cell` (no allocation).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

/// Allocations and bytes counted so far.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
    pub allocs: u64,
    /// Bytes those calls asked for.
    pub bytes: u64,
}

/// Zeroes the counters and starts counting.
pub fn start() {
    ALLOCS.store(0, Relaxed);
    BYTES.store(0, Relaxed);
    ENABLED.store(true, Relaxed);
}

/// Stops counting and returns what was counted since [`start`].
pub fn stop() -> Counts {
    ENABLED.store(false, Relaxed);
    Counts {
        allocs: ALLOCS.load(Relaxed),
        bytes: BYTES.load(Relaxed),
    }
}
