//! HTTP proxies: the public [`Proxy`], the environment variables, and
//! which proxy (if any) a request goes through.
//!
//! | file | holds |
//! | --- | --- |
//! | `mod.rs` | [`Proxy`], a proxy's address and credentials, the client's proxy settings, the environment rules |
//! | `no_proxy.rs` | the `NO_PROXY` matcher |
//!
//! How a request uses a proxy is decided by its target's scheme, not the
//! proxy's (RFC 9110 §9.3.6, RFC 9112 §3.2.2):
//! - `http://` targets are sent to the proxy in absolute form
//!   (`GET http://host:port/path HTTP/1.1`), with `Proxy-Authorization`
//!   if the proxy has credentials. The proxy sees the whole request, as
//!   it would see it on any plain-text path.
//! - `https://` targets get a tunnel: `CONNECT host:port`, then TLS to the
//!   origin inside it, the certificate checked against the origin's name.
//!   The proxy sees only the CONNECT, which carries `Host`, `User-Agent`
//!   and `Proxy-Authorization`, never the request's own headers.

mod no_proxy;

pub(crate) use no_proxy::NoProxy;

use crate::error::Error;
use crate::header::HeaderValue;
use crate::url::{Host, Scheme, Url};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A proxy for some or all of a client's requests: set it with
/// [`ClientBuilder::proxy`](crate::ClientBuilder::proxy).
///
/// Only `http://` proxy URLs are supported (a plain-text hop to the proxy;
/// `https://` targets are still encrypted end to end through a CONNECT
/// tunnel). An `https://` proxy URL (TLS to the proxy itself) and `socks4`,
/// `socks5`, `socks5h` URLs are refused with an error for which
/// [`Error::is_builder`] is true. A URL without a scheme is read as
/// `http://`. Credentials in the URL (`http://user:pass@proxy:3128`,
/// percent-encoded) become Basic `Proxy-Authorization`.
///
/// ```
/// # fn run() -> Result<(), brisk::Error> {
/// let client = brisk::Client::builder()
///     .proxy(brisk::Proxy::all("http://proxy.internal:3128")?.basic_auth("me", "secret"))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Proxy {
    scope: Scope,
    endpoint: Arc<Endpoint>,
}

/// Which targets a [`Proxy`] is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    All,
    Http,
    Https,
}

impl Scope {
    fn covers(self, scheme: Scheme) -> bool {
        match self {
            Scope::All => true,
            Scope::Http => scheme == Scheme::Http,
            Scope::Https => scheme == Scheme::Https,
        }
    }
}

impl Proxy {
    /// A proxy for every request, `http://` and `https://` alike.
    pub fn all(url: impl AsRef<str>) -> Result<Proxy, Error> {
        Proxy::new(Scope::All, url.as_ref())
    }

    /// A proxy for `http://` requests only.
    pub fn http(url: impl AsRef<str>) -> Result<Proxy, Error> {
        Proxy::new(Scope::Http, url.as_ref())
    }

    /// A proxy for `https://` requests only (through CONNECT tunnels).
    pub fn https(url: impl AsRef<str>) -> Result<Proxy, Error> {
        Proxy::new(Scope::Https, url.as_ref())
    }

    /// Sends `Proxy-Authorization: Basic base64(user:password)` to the
    /// proxy (replacing credentials from the URL). It goes to the proxy
    /// only: on the CONNECT of an `https://` request, on each absolute-form
    /// `http://` request, and never to an origin.
    pub fn basic_auth(mut self, user: &str, password: &str) -> Proxy {
        Arc::make_mut(&mut self.endpoint).auth = Some(basic(user, password));
        self
    }

    fn new(scope: Scope, url: &str) -> Result<Proxy, Error> {
        Ok(Proxy {
            scope,
            endpoint: Arc::new(Endpoint::parse(url)?),
        })
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("scope", &self.scope)
            .field("proxy", &self.endpoint.authority)
            .field("auth", &self.endpoint.auth.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn basic(user: &str, password: &str) -> HeaderValue {
    let creds = format!("{user}:{password}");
    let mut value =
        HeaderValue::try_from(format!("Basic {}", crate::base64::encode(creds.as_bytes())))
            .expect("base64 is a valid header value");
    value.set_sensitive(true);
    value
}

/// A proxy's address and credentials.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub(crate) host: Host,
    pub(crate) port: u16,
    /// `host:port`, always with the port: for error messages and pool keys.
    pub(crate) authority: String,
    /// The `Proxy-Authorization` value, if any (marked sensitive: never
    /// shown by `Debug`).
    pub(crate) auth: Option<HeaderValue>,
}

impl Endpoint {
    /// Reads a proxy URL: `http://[user:pass@]host[:port][/]`, or the same
    /// without a scheme.
    fn parse(input: &str) -> Result<Endpoint, Error> {
        let input = input.trim();
        let with_scheme;
        let url = match input.split_once("://") {
            Some((scheme, _)) => {
                let scheme = scheme.to_ascii_lowercase();
                match scheme.as_str() {
                    "http" => input,
                    "https" => {
                        return Err(Error::builder(
                            "https:// proxy URLs (TLS to the proxy) are not supported: \
                             use an http:// proxy URL (https targets are still tunnelled with CONNECT)",
                        ))
                    }
                    s if s.starts_with("socks") => {
                        return Err(Error::builder("socks proxies are not supported"))
                    }
                    _ => return Err(Error::builder("unsupported proxy URL scheme")),
                }
            }
            None => {
                with_scheme = format!("http://{input}");
                &with_scheme
            }
        };
        let url = Url::parse(url)?;
        let auth = (!url.username().is_empty() || url.password().is_some())
            .then(|| basic(url.username(), url.password().unwrap_or("")));
        Ok(Endpoint {
            host: url.host(),
            port: url.effective_port(),
            authority: format!("{}:{}", url.host_text(), url.effective_port()),
            auth,
        })
    }

    /// The pool key for `url` through this proxy: a connection (a tunnel,
    /// or a plain one carrying absolute-form requests) serves one origin
    /// through one proxy with one set of credentials. The credentials are
    /// hashed, so that the key can be shown without them.
    pub(crate) fn pool_key(&self, url: &Url) -> String {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.auth.hash(&mut h);
        format!(
            "{} via {} ({:016x})",
            url.origin(),
            self.authority,
            h.finish()
        )
    }

    /// Names this proxy in a failure to reach it.
    pub(crate) fn name_in(&self, e: Error) -> Error {
        let proxy = self.authority.clone();
        e.map_source(|cause| Box::new(ViaProxy { proxy, cause }))
    }
}

/// The cause of a failure to reach a proxy: which proxy, and why.
#[derive(Debug)]
struct ViaProxy {
    proxy: String,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl fmt::Display for ViaProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "proxy {}", self.proxy)?;
        // Display does not repeat `source()`, but a caller printing only
        // the top error should still see why the proxy failed.
        if let Some(cause) = &self.cause {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ViaProxy {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// A caller's stand-in for `std::env::var`.
pub(crate) type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where a client reads proxy settings from the environment, if at all.
#[derive(Clone, Default)]
pub(crate) enum EnvSource {
    /// The process environment, read once when the client is built.
    #[default]
    Process,
    /// A caller's lookup (tests, or settings from elsewhere).
    Lookup(Lookup),
    /// None.
    Off,
}

/// A client's proxy settings: the explicit proxies, in the order they were
/// added (the first that covers a request's scheme wins), then the
/// environment's.
#[derive(Clone, Default)]
pub(crate) struct Proxies {
    explicit: Vec<Proxy>,
    env: Option<EnvProxies>,
}

impl Proxies {
    pub(crate) fn new(explicit: Vec<Proxy>, env: &EnvSource) -> Proxies {
        let env = match env {
            EnvSource::Process => EnvProxies::read(|name| std::env::var(name).ok()),
            EnvSource::Lookup(f) => EnvProxies::read(|name| f(name)),
            EnvSource::Off => None,
        };
        Proxies { explicit, env }
    }

    /// The proxy `url` goes through, or `None` to go direct. An error if
    /// the environment names a proxy brisk cannot use (a `socks5://` URL,
    /// say): going direct instead could send traffic where the user meant
    /// it never to go.
    pub(crate) fn route(&self, url: &Url) -> Result<Option<&Endpoint>, Error> {
        if let Some(p) = self.explicit.iter().find(|p| p.scope.covers(url.scheme())) {
            return Ok(Some(&p.endpoint));
        }
        match &self.env {
            Some(env) => env.route(url),
            None => Ok(None),
        }
    }
}

impl fmt::Debug for Proxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxies")
            .field("explicit", &self.explicit)
            .field("env", &self.env)
            .finish()
    }
}

/// The proxies the environment names.
#[derive(Clone, Debug, PartialEq, Eq)]
struct EnvProxies {
    http: Option<EnvEntry>,
    https: Option<EnvEntry>,
    no_proxy: NoProxy,
}

/// A variable's proxy, or why it cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
enum EnvEntry {
    Usable(Box<Endpoint>),
    Unusable { var: &'static str, why: String },
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("proxy", &self.authority)
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl EnvProxies {
    /// Reads the variables through `get`; `None` if no proxy is named.
    ///
    /// For each scheme the first variable set (and not empty) wins, the
    /// lowercase spelling before the uppercase (as curl and Go do):
    /// `http_proxy`, `HTTP_PROXY`, then `all_proxy`, `ALL_PROXY`; the same
    /// with `https_proxy`. `HTTP_PROXY` is skipped when `REQUEST_METHOD`
    /// is set: under CGI, a request's `Proxy:` header arrives as
    /// `HTTP_PROXY` (httpoxy, CVE-2016-5385).
    fn read(get: impl Fn(&str) -> Option<String>) -> Option<EnvProxies> {
        let set = |name: &'static str| {
            get(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (name, v))
        };
        let cgi = get("REQUEST_METHOD").is_some();
        let all = || set("all_proxy").or_else(|| set("ALL_PROXY"));
        let http = set("http_proxy")
            .or_else(|| if cgi { None } else { set("HTTP_PROXY") })
            .or_else(all);
        let https = set("https_proxy")
            .or_else(|| set("HTTPS_PROXY"))
            .or_else(all);
        if http.is_none() && https.is_none() {
            return None;
        }
        let entry = |(var, value): (&'static str, String)| match Endpoint::parse(&value) {
            Ok(e) => EnvEntry::Usable(Box::new(e)),
            Err(e) => EnvEntry::Unusable {
                var,
                why: std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string()),
            },
        };
        let no_proxy = set("no_proxy")
            .or_else(|| set("NO_PROXY"))
            .map_or_else(NoProxy::default, |(_, v)| NoProxy::parse(&v));
        Some(EnvProxies {
            http: http.map(entry),
            https: https.map(entry),
            no_proxy,
        })
    }

    fn route(&self, url: &Url) -> Result<Option<&Endpoint>, Error> {
        let entry = match url.scheme() {
            Scheme::Http => &self.http,
            Scheme::Https => &self.https,
        };
        let Some(entry) = entry else {
            return Ok(None);
        };
        if self.no_proxy.matches(url) {
            return Ok(None);
        }
        match entry {
            EnvEntry::Usable(e) => Ok(Some(e)),
            EnvEntry::Unusable { var, why } => Err(Error::builder(format!(
                "the proxy in {var} cannot be used ({why}); \
                 exclude this host with NO_PROXY or use ClientBuilder::no_proxy"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> Option<EnvProxies> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EnvProxies::read(|name| map.get(name).cloned())
    }

    fn proxy_for(vars: &[(&str, &str)], url: &str) -> Option<String> {
        let env = env(vars)?;
        let url = Url::parse(url).unwrap();
        env.route(&url).unwrap().map(|e| e.authority.clone())
    }

    #[test]
    fn proxy_urls() {
        let e = Endpoint::parse("http://proxy.example:3128").unwrap();
        assert_eq!(e.authority, "proxy.example:3128");
        assert_eq!(e.auth, None);
        // No scheme: http; no port: 80.
        assert_eq!(
            Endpoint::parse("proxy.example").unwrap().authority,
            "proxy.example:80"
        );
        assert_eq!(
            Endpoint::parse(" HTTP://[::1]:8080/ ").unwrap().authority,
            "[::1]:8080"
        );
        let e = Endpoint::parse("http://us%20er:p%40ss@proxy:1").unwrap();
        assert_eq!(e.auth, Some(basic("us er", "p@ss")));
        for bad in [
            "https://proxy:443",
            "socks5://proxy:1080",
            "socks5h://p:1",
            "ftp://p",
        ] {
            assert!(Endpoint::parse(bad).unwrap_err().is_builder(), "{bad}");
        }
        assert!(Endpoint::parse("http://").is_err());
    }

    #[test]
    fn basic_auth_replaces_url_credentials_and_is_redacted() {
        let p = Proxy::all("http://a:b@proxy:1")
            .unwrap()
            .basic_auth("Aladdin", "open sesame");
        assert_eq!(
            p.endpoint.auth.as_ref().unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        let shown = format!("{p:?}");
        assert!(
            !shown.contains("QWxh") && shown.contains("redacted"),
            "{shown}"
        );
    }

    #[test]
    fn scopes() {
        let explicit = vec![
            Proxy::https("http://tls-proxy:1").unwrap(),
            Proxy::all("http://any-proxy:2").unwrap(),
        ];
        let p = Proxies::new(explicit, &EnvSource::Off);
        let via = |u: &str| {
            let url = Url::parse(u).unwrap();
            p.route(&url).unwrap().map(|e| e.authority.clone())
        };
        assert_eq!(via("https://a/").as_deref(), Some("tls-proxy:1"));
        assert_eq!(via("http://a/").as_deref(), Some("any-proxy:2"));
        // Explicit proxies apply to loopback too: the caller named them.
        assert_eq!(via("http://127.0.0.1/").as_deref(), Some("any-proxy:2"));
    }

    #[test]
    fn variables_by_scheme_with_lowercase_first() {
        let vars = [
            ("HTTP_PROXY", "http://upper-http:1"),
            ("https_proxy", "http://lower-https:2"),
            ("HTTPS_PROXY", "http://upper-https:3"),
        ];
        assert_eq!(
            proxy_for(&vars, "http://a/").as_deref(),
            Some("upper-http:1")
        );
        assert_eq!(
            proxy_for(&vars, "https://a/").as_deref(),
            Some("lower-https:2")
        );
        let vars = [
            ("http_proxy", "http://lower:1"),
            ("HTTP_PROXY", "http://upper:2"),
        ];
        assert_eq!(proxy_for(&vars, "http://a/").as_deref(), Some("lower:1"));
        // Not for https.
        assert_eq!(proxy_for(&vars, "https://a/"), None);
    }

    #[test]
    fn all_proxy_fills_in_and_empty_values_are_unset() {
        let vars = [
            ("http_proxy", ""),
            ("ALL_PROXY", "http://upper-all:1"),
            ("all_proxy", "http://lower-all:2"),
        ];
        assert_eq!(
            proxy_for(&vars, "http://a/").as_deref(),
            Some("lower-all:2")
        );
        assert_eq!(
            proxy_for(&vars, "https://a/").as_deref(),
            Some("lower-all:2")
        );
        let vars = [("HTTPS_PROXY", "http://s:1"), ("ALL_PROXY", "http://all:2")];
        assert_eq!(proxy_for(&vars, "https://a/").as_deref(), Some("s:1"));
        assert_eq!(proxy_for(&vars, "http://a/").as_deref(), Some("all:2"));
        assert!(env(&[("NO_PROXY", "*"), ("http_proxy", " ")]).is_none());
    }

    #[test]
    fn uppercase_http_proxy_is_ignored_under_cgi() {
        let vars = [("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")];
        assert!(env(&vars).is_none());
        // The lowercase one cannot come from a request header.
        let vars = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://evil:1"),
            ("http_proxy", "http://good:2"),
        ];
        assert_eq!(proxy_for(&vars, "http://a/").as_deref(), Some("good:2"));
        let vars = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://evil:1"),
            ("ALL_PROXY", "http://all:3"),
        ];
        assert_eq!(proxy_for(&vars, "http://a/").as_deref(), Some("all:3"));
    }

    #[test]
    fn no_proxy_and_loopback() {
        let vars = [
            ("HTTP_PROXY", "http://p:1"),
            ("no_proxy", "internal.example, 10.0.0.0/8"),
            ("NO_PROXY", "ignored.example"),
        ];
        assert_eq!(proxy_for(&vars, "http://x.internal.example/"), None);
        assert_eq!(proxy_for(&vars, "http://10.1.1.1/"), None);
        assert_eq!(
            proxy_for(&vars, "http://ignored.example/").as_deref(),
            Some("p:1")
        );
        assert_eq!(proxy_for(&vars, "http://localhost:8080/"), None);
        assert_eq!(proxy_for(&vars, "http://127.0.0.1:8080/"), None);
        let vars = [("HTTP_PROXY", "http://p:1"), ("NO_PROXY", "<-loopback>")];
        assert_eq!(
            proxy_for(&vars, "http://127.0.0.1:8080/").as_deref(),
            Some("p:1")
        );
    }

    #[test]
    fn an_unusable_proxy_fails_the_requests_it_would_carry() {
        let env = env(&[
            ("ALL_PROXY", "socks5://s:1080"),
            ("NO_PROXY", "direct.example"),
        ])
        .unwrap();
        let e = env
            .route(&Url::parse("https://a.example/").unwrap())
            .unwrap_err();
        assert!(e.is_builder());
        let shown = format!("{e:#}");
        assert!(
            shown.contains("ALL_PROXY") && shown.contains("socks"),
            "{shown}"
        );
        assert!(env
            .route(&Url::parse("https://direct.example/").unwrap())
            .unwrap()
            .is_none());
    }
}
