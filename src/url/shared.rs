//! [`Url::parse_shared`]: the URLs this thread parsed last, shared with
//! whoever gives the same text again.

use super::{Url, UrlError};

/// URLs a thread keeps for [`Url::parse_shared`], and the longest kept.
const RECENT_SLOTS: usize = 4;
const RECENT_MAX_LEN: usize = 512;

/// The URLs this thread parsed last (round robin).
#[derive(Default)]
struct Recent {
    urls: [Option<Url>; RECENT_SLOTS],
    next: usize,
}

thread_local! {
    static RECENT: std::cell::RefCell<Recent> = std::cell::RefCell::default();
}

impl Url {
    /// Parses `input`, or, if this thread parsed the same text recently,
    /// shares that URL (no parsing, no allocation). Only canonical text
    /// is recognised, the kind `as_str()` gives back (a lowercase host, no
    /// default port, no userinfo or fragment, already encoded), which is
    /// how an API's endpoint is usually written; anything else is parsed.
    /// Sound because parsing is a pure function of the text, and
    /// `Url::parse(url.as_str())` gives `url` back for a URL without
    /// userinfo (the tests check both).
    pub(crate) fn parse_shared(input: &str) -> Result<Url, UrlError> {
        // While the thread ends (a destructor sending a request), the
        // memo may be gone: then the text is just parsed.
        let shared = RECENT.try_with(|cell| {
            let mut recent = cell.try_borrow_mut().ok()?;
            if let Some(url) = recent
                .urls
                .iter()
                .flatten()
                .find(|u| &*u.serialization == input)
            {
                return Some(Ok(url.clone()));
            }
            let url = match Url::parse(input) {
                Ok(url) => url,
                Err(e) => return Some(Err(e)),
            };
            if &*url.serialization == input && input.len() <= RECENT_MAX_LEN {
                let slot = recent.next;
                recent.urls[slot] = Some(url.clone());
                recent.next = (slot + 1) % RECENT_SLOTS;
            }
            Some(Ok(url))
        });
        shared.ok().flatten().unwrap_or_else(|| Url::parse(input))
    }
}
