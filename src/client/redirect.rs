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

/// How redirects are followed (reqwest's `redirect::Policy`, also
/// `brisk::redirect::Policy`).
#[derive(Clone)]
pub struct RedirectPolicy {
    max: usize,
    allow_downgrade: bool,
    custom: Option<std::sync::Arc<CustomPolicy>>,
}

type CustomPolicy = dyn Fn(Attempt<'_>) -> Action + Send + Sync;

impl std::fmt::Debug for RedirectPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedirectPolicy")
            .field("max", &self.max)
            .field("allow_downgrade", &self.allow_downgrade)
            .field("custom", &self.custom.is_some())
            .finish()
    }
}

/// A redirect about to be followed, as a [custom
/// policy](RedirectPolicy::custom) sees it (reqwest's
/// `redirect::Attempt`).
#[derive(Debug)]
pub struct Attempt<'a> {
    status: crate::status::StatusCode,
    next: &'a Url,
    previous: &'a [Url],
}

impl<'a> Attempt<'a> {
    /// The redirect's status (301, 302, 303, 307 or 308).
    pub fn status(&self) -> crate::status::StatusCode {
        self.status
    }

    /// Where the redirect leads.
    pub fn url(&self) -> &Url {
        self.next
    }

    /// The URLs requested so far in this chain, the first request's
    /// first and the one that answered with this redirect last.
    pub fn previous(&self) -> &[Url] {
        self.previous
    }

    /// Follow the redirect.
    pub fn follow(self) -> Action {
        Action(Decision::Follow)
    }

    /// Do not follow: the redirect response is returned as it is.
    pub fn stop(self) -> Action {
        Action(Decision::Stop)
    }

    /// Fail the request with `error` as the source of a redirect error
    /// (`Error::is_redirect`).
    pub fn error<E>(self, error: E) -> Action
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Action(Decision::Error(error.into()))
    }
}

/// What a [custom policy](RedirectPolicy::custom) decided, made by
/// [`Attempt::follow`], [`Attempt::stop`] or [`Attempt::error`].
#[derive(Debug)]
pub struct Action(Decision);

#[derive(Debug)]
enum Decision {
    Follow,
    Stop,
    Error(Box<dyn std::error::Error + Send + Sync>),
}

impl RedirectPolicy {
    /// Follow up to `max` redirects (the default is 10).
    pub fn limited(max: usize) -> Self {
        RedirectPolicy {
            max,
            allow_downgrade: false,
            custom: None,
        }
    }

    /// A policy that asks `decide` about each redirect, as reqwest's
    /// `Policy::custom`: it sees the status, the next URL and those before
    /// it, and follows, stops or fails. It replaces the count: a chain
    /// ends only when `decide` says so (look at
    /// `attempt.previous().len()`). What brisk always does still holds:
    /// an https→http redirect fails unless
    /// [`allow_https_to_http`](Self::allow_https_to_http) is set (reqwest
    /// follows those), a `307`/`308` with a streamed body is returned as
    /// it is, and credentials never go to another origin.
    ///
    /// ```
    /// use brisk::redirect::Policy;
    ///
    /// let policy = Policy::custom(|attempt| {
    ///     if attempt.previous().len() > 5 {
    ///         attempt.error("too many redirects")
    ///     } else if attempt.url().host_str() == Some("example.com") {
    ///         attempt.stop()
    ///     } else {
    ///         attempt.follow()
    ///     }
    /// });
    /// let client = brisk::Client::builder().redirect(policy).build()?;
    /// # Ok::<(), brisk::Error>(())
    /// ```
    pub fn custom<F>(decide: F) -> Self
    where
        F: Fn(Attempt<'_>) -> Action + Send + Sync + 'static,
    {
        RedirectPolicy {
            max: usize::MAX,
            allow_downgrade: false,
            custom: Some(std::sync::Arc::new(decide)),
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

/// The name the `Referer` field is sent under (the RFC's spelling).
static REFERER: crate::header::HeaderName = crate::header::HeaderName::from_static("Referer");

/// The `Referer` for a hop from `previous` to `next`, as reqwest makes it:
/// the previous URL without user name, password or fragment (brisk's
/// `Url::as_str` never has them), and none from `https` to `http`, where
/// it would travel in clear (RFC 9110 §10.1.3).
fn referer(previous: &Url, next: &Url) -> Option<crate::header::HeaderValue> {
    if previous.scheme() == Scheme::Https && next.scheme() == Scheme::Http {
        return None;
    }
    crate::header::HeaderValue::from_str(previous.as_str()).ok()
}

impl Client {
    /// Decides whether `head` is a redirect to follow, adjusting `req` for
    /// the next hop (RFC 9110 §15.4).
    pub(super) fn follow(
        &self,
        head: &ResponseHead,
        req: &mut Request,
        followed: usize,
        visited: &[Url],
    ) -> Result<Option<Url>, Error> {
        let policy = &self.shared.redirect;
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
        if let Some(decide) = &policy.custom {
            let previous: Vec<Url> = visited.iter().chain([&req.url]).cloned().collect();
            let attempt = Attempt {
                status: crate::status::StatusCode(status),
                next: &next,
                previous: &previous,
            };
            match decide(attempt).0 {
                Decision::Follow => {}
                Decision::Stop => return Ok(None),
                Decision::Error(e) => {
                    return Err(Error::new(Kind::Redirect).or_url(&req.url).with_source(e))
                }
            }
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
        if self.shared.referer {
            match referer(&req.url, &next) {
                Some(value) => {
                    req.headers.insert(&REFERER, value);
                }
                None => {
                    req.headers.remove("referer");
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn the_referer_leaves_out_credentials_and_fragment() {
        let from = url("https://user:pw@a.example:8443/p/q?x=1#top");
        let value = referer(&from, &url("https://b.example/")).unwrap();
        assert_eq!(value, "https://a.example:8443/p/q?x=1");
        let value = referer(&url("http://a.example/"), &url("https://b.example/")).unwrap();
        assert_eq!(value, "http://a.example/");
    }

    #[test]
    fn no_referer_from_https_to_http() {
        assert!(referer(&url("https://a.example/"), &url("http://a.example/")).is_none());
    }
}
