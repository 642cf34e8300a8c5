//! [`Jar`]: the cookie store behind
//! [`ClientBuilder::cookie_store`](crate::ClientBuilder::cookie_store),
//! RFC 6265bis §5.7 (storing) and §5.8 (sending), with brisk's host-only
//! policy for `Domain` (see the [module docs](super)).

use super::parse::{Cookie, SameSite};
use super::CookieStore;
use crate::guard::lock;
use crate::header::HeaderValue;
use crate::url::{Scheme, Url};
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// The most cookies a jar keeps for one host; past it, the one used least
/// recently goes (RFC 6265bis §5.7 asks for at least 50).
pub const MAX_COOKIES_PER_HOST: usize = 50;

/// The most cookies a jar keeps in all; past it, the one used least
/// recently goes (RFC 6265bis §5.7 asks for at least 3000).
pub const MAX_COOKIES: usize = 3000;

/// The longest a cookie is kept, whatever its `Expires` or `Max-Age` say:
/// 400 days (RFC 6265bis §5.5).
const MAX_LIFETIME: Duration = Duration::from_secs(400 * 24 * 3600);

/// A cookie jar: cookies from `Set-Cookie` fields, kept in memory and sent
/// back in `Cookie` (reqwest's `cookie::Jar`). Share one between clients
/// with [`ClientBuilder::cookie_provider`](crate::ClientBuilder::cookie_provider).
///
/// ```
/// use brisk::cookie::Jar;
/// use std::sync::Arc;
///
/// let url = "https://example.com/".parse::<brisk::Url>()?;
/// let jar = Arc::new(Jar::default());
/// jar.add_cookie_str("session=abc; Path=/", &url);
/// let client = brisk::Client::builder().cookie_provider(jar.clone()).build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct Jar {
    store: Mutex<Store>,
}

#[derive(Default)]
struct Store {
    /// Cookies by the host they were set by (every cookie is host-only).
    hosts: HashMap<String, Vec<Stored>>,
    /// Cookies in all hosts' lists.
    total: usize,
    /// A counter that orders creations and uses: RFC 6265bis orders by
    /// creation time, and evicts by last use, and two cookies set in one
    /// `SystemTime` tick must still have an order.
    tick: u64,
}

/// One cookie in the jar (RFC 6265bis §5.7's fields, less those brisk's
/// host-only policy makes constant).
struct Stored {
    name: String,
    value: String,
    path: String,
    /// `None`: a session cookie, kept as long as the jar.
    expires: Option<SystemTime>,
    secure: bool,
    // Kept, as the RFC says, though nothing here reads them: brisk runs no
    // scripts (HttpOnly) and starts no cross-site requests (SameSite).
    #[allow(dead_code)]
    http_only: bool,
    #[allow(dead_code)]
    same_site: Option<SameSite>,
    created: u64,
    used: u64,
}

impl Stored {
    fn expired(&self, now: SystemTime) -> bool {
        self.expires.is_some_and(|t| t <= now)
    }
}

impl fmt::Debug for Jar {
    /// The count only: cookie values are credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jar")
            .field("cookies", &lock(&self.store).total)
            .finish()
    }
}

impl Jar {
    /// An empty jar.
    pub fn new() -> Jar {
        Jar::default()
    }

    /// Stores `cookie` (a `Set-Cookie` field value) as if `url` had
    /// answered with it: the same rules apply as to a response's (see the
    /// [module docs](super)); a cookie they refuse is dropped in silence.
    pub fn add_cookie_str(&self, cookie: &str, url: &Url) {
        self.store_at(cookie.as_bytes(), url, SystemTime::now());
    }

    /// Stores one `Set-Cookie` field received from `url` at `now`.
    pub(crate) fn store_at(&self, field: &[u8], url: &Url, now: SystemTime) {
        if let Some(cookie) = Cookie::parse(field) {
            if let Some(stored) = admit(&cookie, url, now) {
                lock(&self.store).insert(url.host_text(), stored, now);
            }
        }
    }

    /// The `Cookie` field for a request to `url` at `now`, if any cookie
    /// goes with it (RFC 6265bis §5.8.3).
    pub(crate) fn header_at(&self, url: &Url, now: SystemTime) -> Option<HeaderValue> {
        let mut store = lock(&self.store);
        let Store { hosts, total, tick } = &mut *store;
        let list = hosts.get_mut(url.host_text())?;
        let before = list.len();
        list.retain(|c| !c.expired(now));
        *total -= before - list.len();
        let https = url.scheme() == Scheme::Https;
        let path = url.path();
        let mut chosen: Vec<&mut Stored> = list
            .iter_mut()
            .filter(|c| (https || !c.secure) && path_matches(path, &c.path))
            .collect();
        // §5.8.3 step 2: longer paths first, then earlier creations.
        chosen.sort_by(|a, b| (b.path.len().cmp(&a.path.len())).then(a.created.cmp(&b.created)));
        *tick += 1;
        let mut field = String::new();
        for c in chosen {
            c.used = *tick;
            if !field.is_empty() {
                field.push_str("; ");
            }
            // A cookie without a name is sent as its value alone.
            if !c.name.is_empty() {
                field.push_str(&c.name);
                field.push('=');
            }
            field.push_str(&c.value);
        }
        if list.is_empty() {
            hosts.remove(url.host_text());
        }
        if field.is_empty() {
            return None;
        }
        // Checked when parsed: no control byte can be in it.
        let mut value = HeaderValue::try_from(field).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// Cookies in the jar now, expired ones included until the next
    /// request to their host.
    pub(crate) fn count(&self) -> usize {
        lock(&self.store).total
    }
}

impl CookieStore for Jar {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        let now = SystemTime::now();
        for field in cookie_headers {
            self.store_at(field.as_bytes(), url, now);
        }
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        self.header_at(url, SystemTime::now())
    }
}

/// Whether `url`'s host domain-matches a `Domain` attribute (RFC 6265bis
/// §5.1.3, ASCII case ignored): the same host, or, for a name (never an IP
/// address), a name ending in `.` and the attribute.
fn domain_matches(url: &Url, domain: &str) -> bool {
    let host = url.host_text();
    if host.eq_ignore_ascii_case(domain) {
        return true;
    }
    let Some(name) = url.domain() else {
        return false;
    };
    name.len() > domain.len() + 1
        && name.as_bytes()[name.len() - domain.len() - 1] == b'.'
        && name[name.len() - domain.len()..].eq_ignore_ascii_case(domain)
        && !domain.is_empty()
}

/// What a cookie received from `url` becomes in the jar, or `None` if it
/// is refused (RFC 6265bis §5.7, with brisk's policy for `Domain`). An
/// expired one is returned too: storing it deletes its namesake.
fn admit(cookie: &Cookie<'_>, url: &Url, now: SystemTime) -> Option<Incoming> {
    let https = url.scheme() == Scheme::Https;
    // §5.7 step 8: a Secure cookie from a plain-text origin is ignored.
    if cookie.secure && !https {
        return None;
    }
    // No supercookies: every cookie is host-only. A Domain equal to the
    // host, or naming a parent of it (`example.com` from `www.example.com`,
    // but also `co.uk` from `a.co.uk`: without the public suffix list the
    // two cannot be told apart), is kept on the host that set it and never
    // widened. A Domain the host does not domain-match (another name, or
    // anything but the address itself for an IP host) is refused, as
    // RFC 6265bis §5.7 says.
    if cookie.domain.is_some_and(|d| !domain_matches(url, d)) {
        return None;
    }
    // A cookie without a name is sent as its value alone, so a value with
    // `=` in it would reach the server as another cookie's name and value:
    // `=sid=evil` from plain http would read as `sid=evil`, beside (or
    // instead of) a Secure `sid` that http could not touch. Refused, as
    // browsers do.
    if cookie.name.is_empty() && cookie.value.contains('=') {
        return None;
    }
    // §5.7 steps 20–21: the name prefixes promise what the cookie is.
    let prefixed = |prefix: &str| {
        let name = if cookie.name.is_empty() {
            cookie.value
        } else {
            cookie.name
        };
        name.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    if prefixed("__Secure-") && (!cookie.secure || cookie.name.is_empty()) {
        return None;
    }
    if prefixed("__Host-")
        && (!cookie.secure
            || cookie.domain.is_some()
            || cookie.path != Some("/")
            || cookie.name.is_empty())
    {
        return None;
    }
    let path = cookie.path.unwrap_or_else(|| default_path(url.path()));
    // §5.7 step 3 and §5.5: Max-Age wins over Expires; both are capped.
    let latest = now.checked_add(MAX_LIFETIME);
    let (expires, gone) = match (cookie.max_age, cookie.expires) {
        (Some(secs), _) if secs <= 0 => (Some(now), true),
        (Some(secs), _) => {
            let lifetime = Duration::from_secs(secs.unsigned_abs()).min(MAX_LIFETIME);
            (now.checked_add(lifetime), false)
        }
        (None, Some(at)) if at <= now => (Some(at), true),
        (None, Some(at)) => (Some(latest.map_or(at, |l| at.min(l))), false),
        (None, None) => (None, false),
    };
    Some(Incoming {
        cookie: Stored {
            name: cookie.name.to_owned(),
            value: cookie.value.to_owned(),
            path: path.to_owned(),
            expires,
            secure: cookie.secure,
            http_only: cookie.http_only,
            same_site: cookie.same_site,
            created: 0,
            used: 0,
        },
        gone,
        https,
    })
}

/// A cookie on its way into the jar.
struct Incoming {
    cookie: Stored,
    /// Already expired: storing it deletes its namesake, nothing more.
    gone: bool,
    /// It came from an `https` origin.
    https: bool,
}

impl Store {
    /// Stores a cookie `host` sent (one already expired only deletes its
    /// namesake), then keeps the jar within its limits.
    fn insert(&mut self, host: &str, incoming: Incoming, now: SystemTime) {
        let Incoming {
            mut cookie,
            gone,
            https,
        } = incoming;
        let list = self.hosts.entry(host.to_owned()).or_default();
        // §5.7 step 16: from a plain-text origin, a cookie may not shadow
        // a Secure one of the same name (set over https to this host).
        let shadows_secure = || {
            list.iter().any(|old| {
                old.secure && old.name == cookie.name && path_matches(&cookie.path, &old.path)
            })
        };
        if !https && shadows_secure() {
            return;
        }
        // §5.7 step 22: a cookie of the same name and path is replaced,
        // keeping its creation time (and so its place in the `Cookie`
        // field).
        self.tick += 1;
        cookie.created = self.tick;
        cookie.used = self.tick;
        if let Some(i) = list
            .iter()
            .position(|old| old.name == cookie.name && old.path == cookie.path)
        {
            cookie.created = list.remove(i).created;
            self.total -= 1;
        }
        if !gone {
            list.push(cookie);
            self.total += 1;
        }
        if list.is_empty() {
            self.hosts.remove(host);
            return;
        }
        if list.len() > MAX_COOKIES_PER_HOST {
            let before = list.len();
            list.retain(|c| !c.expired(now));
            self.total -= before - list.len();
            while list.len() > MAX_COOKIES_PER_HOST {
                evict_least_used(list);
                self.total -= 1;
            }
        }
        if self.total > MAX_COOKIES {
            for list in self.hosts.values_mut() {
                let before = list.len();
                list.retain(|c| !c.expired(now));
                self.total -= before - list.len();
            }
            while self.total > MAX_COOKIES {
                let oldest = self
                    .hosts
                    .iter()
                    .filter_map(|(h, list)| list.iter().map(|c| c.used).min().map(|u| (u, h)))
                    .min()
                    .map(|(_, h)| h.clone());
                let Some(host) = oldest else { break };
                if let Some(list) = self.hosts.get_mut(&host) {
                    evict_least_used(list);
                    self.total -= 1;
                }
            }
            self.hosts.retain(|_, list| !list.is_empty());
        }
    }
}

/// Removes the cookie of `list` used least recently.
fn evict_least_used(list: &mut Vec<Stored>) {
    if let Some(i) = (0..list.len()).min_by_key(|&i| list[i].used) {
        list.remove(i);
    }
}

/// The default path of a cookie set by a response to `path` (RFC 6265bis
/// §5.1.4): the request path up to, not including, its last `/`, or `/`.
fn default_path(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) if path.starts_with('/') => &path[..i],
        Some(_) => "/",
    }
}

/// Whether a request for `request_path` gets a cookie of `cookie_path`
/// (RFC 6265bis §5.1.4): the same path, or one below it, at a `/`.
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

#[cfg(test)]
mod tests;
