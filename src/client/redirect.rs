//! Redirects (RFC 9110 §15.4): the policy, and what changes from one hop
//! to the next (method, body, credentials).

use super::request::{is_credential, Body, Request};
use super::Client;
use crate::error::{Error, Kind};
use crate::h1::ResponseHead;
use crate::url::{Scheme, Url};
use std::borrow::Cow;

/// A redirect's body up to this size is read (and dropped) to keep its
/// connection; a larger one closes it.
pub(super) const REDIRECT_BODY_MAX: usize = 64 * 1024;

/// How redirects are followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedirectPolicy {
    max: usize,
    allow_downgrade: bool,
}

impl RedirectPolicy {
    /// Follow up to `max` redirects (the default is 10).
    pub fn limited(max: usize) -> Self {
        RedirectPolicy {
            max,
            allow_downgrade: false,
        }
    }

    /// Never follow: a 3xx response is returned as it is.
    pub fn none() -> Self {
        RedirectPolicy::limited(0)
    }

    /// Whether a redirect from `https` to `http` may be followed (default:
    /// no, it fails with an error for which `is_redirect()` is true).
    pub fn allow_https_to_http(mut self, allow: bool) -> Self {
        self.allow_downgrade = allow;
        self
    }
}

impl Default for RedirectPolicy {
    fn default() -> Self {
        RedirectPolicy::limited(10)
    }
}

impl Client {
    /// Decides whether `head` is a redirect to follow, adjusting `req` for
    /// the next hop (RFC 9110 §15.4).
    pub(super) fn follow(
        &self,
        head: &ResponseHead,
        req: &mut Request,
        followed: usize,
    ) -> Result<Option<Url>, Error> {
        let policy = self.shared.redirect;
        let status = head.status;
        if policy.max == 0 || !matches!(status, 301 | 302 | 303 | 307 | 308) {
            return Ok(None);
        }
        let Some(location) = head.headers.get("location") else {
            return Ok(None);
        };
        let redirect_error = |msg: &'static str| {
            Error::new(Kind::Redirect)
                .with_url(&req.url)
                .with_source(msg)
        };
        let next = req
            .url
            .join(location)
            .map_err(|e| Error::new(Kind::Redirect).with_url(&req.url).with_source(e))?;
        if followed >= policy.max {
            return Err(redirect_error("too many redirects"));
        }
        if req.url.scheme() == Scheme::Https
            && next.scheme() == Scheme::Http
            && !policy.allow_downgrade
        {
            return Err(redirect_error("refused redirect from https to http"));
        }
        let keeps_method = matches!(status, 307 | 308);
        if keeps_method {
            // The body must be sent again: impossible for a stream.
            if !req.body.is_replayable() {
                return Ok(None);
            }
        } else if status == 303 || (req.method != "GET" && req.method != "HEAD") {
            // 303, and 301/302 after a POST (as browsers, curl -L and
            // reqwest do), turn into a GET without a body. HEAD stays HEAD.
            if req.method != "HEAD" {
                req.method = Cow::Borrowed("GET");
            }
            req.body = Body::empty();
            req.headers.retain(|(n, _)| {
                !n.get(..8)
                    .is_some_and(|p| p.eq_ignore_ascii_case("content-"))
            });
        }
        if !req.url.same_origin(&next) {
            // Credentials belong to the origin they were given for, and a
            // Host set by the caller named the old one.
            req.cross_origin = true;
            req.headers
                .retain(|(n, _)| !is_credential(n) && !n.eq_ignore_ascii_case("host"));
        }
        Ok(Some(next))
    }
}
