//! The builder's settings for what each request carries beyond its own
//! fields and what the client notes of each exchange: cookies, `Referer`,
//! the case of header names on the wire, and the verbose log. By
//! reqwest's names.

use super::ClientBuilder;
use crate::cookie::{CookieStore, Jar};
use std::sync::Arc;

impl ClientBuilder {
    /// Keeps cookies in a [`Jar`] of the client's own (default: off, as
    /// in reqwest): every response's `Set-Cookie` fields are stored, on
    /// every redirect hop, and every request sends the cookies the jar
    /// holds for it in one `Cookie` field. See [`crate::cookie`] for the
    /// rules, among them brisk's policy for `Domain` (cookies are always
    /// host-only: no supercookies) and what happens to a `Cookie` field the
    /// request sets itself (it is sent alone). `false` removes a jar or
    /// provider set before.
    ///
    /// ```
    /// let client = brisk::Client::builder().cookie_store(true).build()?;
    /// # Ok::<(), brisk::Error>(())
    /// ```
    pub fn cookie_store(mut self, on: bool) -> Self {
        self.cookies = on.then(|| Arc::new(Jar::default()) as Arc<dyn CookieStore>);
        self
    }

    /// Keeps cookies in `store`: a [`Jar`] shared with other clients or
    /// filled beforehand, or a [`CookieStore`] of your own. Replaces
    /// [`cookie_store`](Self::cookie_store)'s jar.
    pub fn cookie_provider<C: CookieStore + 'static>(mut self, store: Arc<C>) -> Self {
        self.cookies = Some(store);
        self
    }

    /// Sends a `Referer` field on each redirect hop, naming the URL that
    /// redirected (default: on, as in reqwest). Its user name, password
    /// and fragment are left out, and none is sent from an `https` page to
    /// an `http` one (where it would travel in clear); a `Referer` from an
    /// earlier hop is then removed too. A `Referer` the request sets
    /// itself goes on the first hop as set, and is replaced on the next.
    pub fn referer(mut self, on: bool) -> Self {
        self.referer = on;
        self
    }

    /// Writes header names title-cased on the wire (`content-type` goes
    /// out as `Content-Type`, `x-request-id` as `X-Request-Id`), for
    /// servers that wrongly read names with case (reqwest's
    /// `http1_title_case_headers`). Only the bytes sent change: the
    /// request's [`HeaderMap`](crate::header::HeaderMap), hooks and
    /// traces see names as given. Without it, brisk sends each name in the
    /// case it was given (its own fields title-cased already).
    pub fn http1_title_case_headers(mut self) -> Self {
        self.title_case_headers = true;
        self
    }

    /// Hands the hook set with [`on_event`](Self::on_event) each
    /// request head as written and each response head as read, as
    /// [`Event::WireHead`](crate::Event::WireHead) (reqwest's
    /// `connection_verbose`, which logs the connection's bytes at the
    /// `TRACE` level of the `log` crate; brisk has no logger, so its hook
    /// is the log). Heads only, never bodies; sensitive values, such as
    /// `Authorization` and `Cookie`, are shown as `Sensitive`. Off by
    /// default; off, or without a hook, it costs one branch per head.
    pub fn connection_verbose(mut self, on: bool) -> Self {
        self.verbose = on;
        self
    }
}
