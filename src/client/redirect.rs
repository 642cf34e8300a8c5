//! Redirects (RFC 9110 §15.4): the policy, and what changes from one hop
//! to the next (method, body, credentials).

use super::body::Body;
use super::request::Request;
use super::Client;
use crate::error::{Error, Kind};
use crate::h1::ResponseHead;
use crate::method::Method;
use crate::url::{Scheme, Url};
use std::time::Duration;

/// A redirect's body framed by a `Content-Length` of up to this size, or
/// chunked, is read (and dropped) to keep its connection, up to this many
/// bytes; anything else closes it.
pub(super) const REDIRECT_BODY_MAX: usize = 64 * 1024;

/// The longest a redirect's body is waited for: keeping a connection is
/// not worth delaying the next hop.
pub(super) const REDIRECT_DRAIN_WAIT: Duration = Duration::from_millis(500);

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
        // A Location with bytes past ASCII is still followed if it is
        // UTF-8: the URL parser percent-encodes them.
        let Some(location) = head
            .headers
            .get("location")
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
        else {
            return Ok(None);
        };
        let redirect_error =
            |msg: &'static str| Error::new(Kind::Redirect).or_url(&req.url).with_source(msg);
        let next = req
            .url
            .join(location)
            .map_err(|e| Error::new(Kind::Redirect).or_url(&req.url).with_source(e))?;
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
        } else {
            // 301, 302 and 303 are followed without a body (as reqwest
            // does; browsers and curl -L turn a POST into a GET): a POST or
            // any other method becomes a GET, GET and HEAD stay. A
            // streamed body, already spent, is never needed again.
            if req.method != "HEAD" && req.method != "GET" {
                req.method = Method::GET;
            }
            req.body = Body::empty();
            req.headers.retain(|n, _| {
                !n.as_bytes()
                    .get(..8)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"content-"))
            });
        }
        if !req.url.same_origin(&next) {
            // Credentials belong to the origin they were given for (the
            // built-in ones, the API-key headers, and any marked sensitive
            // on the request or the client), and a Host set by the caller
            // named the old one.
            req.cross_origin = true;
            let client = &self.shared.default_headers;
            req.headers
                .retain(|n, v| !(client.is_sensitive(n, v) || n == "host"));
        }
        Ok(Some(next))
    }
}
