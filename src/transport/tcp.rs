//! TCP connect: DNS through tokio, then Happy Eyeballs (RFC 8305) over the
//! resolved addresses.

use crate::deadline::Deadline;
use crate::error::{Error, Kind, Phase};
use crate::url::Host;
use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::task::Poll;
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How long an attempt runs alone before the next address is tried beside
/// it (RFC 8305 §5 recommends 250 ms).
const ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// What connecting cost, for [`Timings`](crate::Timings).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ConnectTimes {
    pub(crate) dns: Duration,
    pub(crate) connect: Duration,
}

/// How a client opens its connections: the addresses that replace DNS for
/// some names (`ClientBuilder::resolve`), and the socket's own settings.
#[derive(Clone, Debug, Default)]
pub(crate) struct Dialer {
    /// Lowercase host name to the addresses used instead of DNS's.
    pub(crate) overrides: HashMap<String, Vec<SocketAddr>>,
    pub(crate) socket: SocketSetup,
}

/// What is set on each socket before it connects.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SocketSetup {
    /// The local address to connect from (port chosen by the OS).
    pub(crate) local_address: Option<IpAddr>,
    /// `SO_KEEPALIVE`. tokio can turn it on but not set the idle time
    /// before the first probe, nor the probe interval: those stay the
    /// operating system's (Linux: `net.ipv4.tcp_keepalive_time`).
    pub(crate) keepalive: bool,
    /// `TCP_NODELAY`: requests go out at once instead of waiting on
    /// Nagle's algorithm for the ack of the previous segment.
    pub(crate) nodelay: bool,
}

impl Default for SocketSetup {
    fn default() -> Self {
        SocketSetup {
            local_address: None,
            keepalive: false,
            nodelay: true,
        }
    }
}

impl SocketSetup {
    /// A socket of `addr`'s family, set up, connected to `addr`.
    async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        if let Some(ip) = self.local_address {
            socket.bind(SocketAddr::new(ip, 0))?;
        }
        if self.keepalive {
            socket.set_keepalive(true)?;
        }
        socket.set_nodelay(self.nodelay)?;
        socket.connect(addr).await
    }
}

/// Resolves `host` (through `dialer`'s overrides first, then DNS) and
/// connects to one of its addresses. Both steps run under the connect
/// budget. `port` is the URL's (its own or its scheme's); an override's
/// address keeps its own port only when the URL names none
/// (`explicit_port` false) and that port is not 0, as in reqwest.
pub(crate) async fn connect(
    host: &Host,
    port: u16,
    explicit_port: bool,
    dialer: &Dialer,
    deadline: &Deadline,
) -> Result<(TcpStream, SocketAddr, ConnectTimes), Error> {
    let t0 = Instant::now();
    // DNS and connect share the connect budget.
    let end = deadline.end_of(Phase::Connect);
    let overridden = match host {
        Host::Domain(name) => dialer.overrides.get(&name.to_ascii_lowercase()),
        _ => None,
    };
    let addrs = match host {
        _ if overridden.is_some() => overridden
            .into_iter()
            .flatten()
            .map(|a| match a.port() {
                p if explicit_port || p == 0 => SocketAddr::new(a.ip(), port),
                _ => *a,
            })
            .collect(),
        Host::Ipv4(a) => vec![SocketAddr::new(IpAddr::V4(*a), port)],
        Host::Ipv6(a) => vec![SocketAddr::new(IpAddr::V6(*a), port)],
        Host::Domain(name) => {
            let name = name.clone();
            Deadline::run_until(end, Phase::Dns, async move {
                let found = tokio::net::lookup_host((name.as_str(), port))
                    .await
                    .map_err(|e| Error::io(Phase::Dns, e))?;
                Ok(found.collect::<Vec<_>>())
            })
            .await?
        }
    };
    let dns = t0.elapsed();
    if addrs.is_empty() {
        return Err(Error::new(Kind::Connect)
            .with_phase(Phase::Dns)
            .with_source("no addresses found"));
    }
    let setup = dialer.socket;
    // Bound to a local address, a socket reaches only addresses of that
    // address's family: the others are left out, not tried unbound.
    let mut addrs = addrs;
    if let Some(local) = setup.local_address {
        addrs.retain(|a| a.is_ipv4() == local.is_ipv4());
        if addrs.is_empty() {
            return Err(Error::new(Kind::Connect)
                .with_phase(Phase::Connect)
                .with_source("no address of the local address's family"));
        }
    }
    let t1 = Instant::now();
    let attempt = happy_eyeballs(interleave(addrs), setup);
    let (stream, addr) = Deadline::run_until(end, Phase::Connect, attempt).await?;
    let connect = t1.elapsed();
    Ok((stream, addr, ConnectTimes { dns, connect }))
}

/// RFC 8305 §4: alternate address families, IPv6 first.
fn interleave(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let (v6, v4): (Vec<_>, Vec<_>) = addrs.into_iter().partition(SocketAddr::is_ipv6);
    let mut out = Vec::with_capacity(v6.len() + v4.len());
    let (mut a, mut b) = (v6.into_iter(), v4.into_iter());
    loop {
        match (a.next(), b.next()) {
            (None, None) => return out,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
}

/// Starts an attempt on the first address; every [`ATTEMPT_DELAY`] without
/// success starts the next one beside those still running, and when every
/// running attempt has failed the next starts at once. The first to
/// connect wins; the rest are dropped (and so cancelled).
async fn happy_eyeballs(
    addrs: Vec<SocketAddr>,
    setup: SocketSetup,
) -> Result<(TcpStream, SocketAddr), Error> {
    // One address (the common case, and every IP literal): nothing to race.
    if let [addr] = addrs[..] {
        return match setup.connect(addr).await {
            Ok(stream) => Ok((stream, addr)),
            Err(e) => Err(Error::io(Phase::Connect, e)),
        };
    }
    let mut pending = addrs.into_iter();
    let mut running = JoinSet::new();
    let mut last_error: Option<io::Error> = None;
    let start = |running: &mut JoinSet<_>, addr: SocketAddr| {
        running.spawn(async move { (setup.connect(addr).await, addr) });
    };
    loop {
        if running.is_empty() {
            let Some(addr) = pending.next() else {
                let e = last_error.unwrap_or_else(|| io::Error::other("no address could be tried"));
                return Err(Error::io(Phase::Connect, e));
            };
            start(&mut running, addr);
        }
        // Wait for an attempt to finish, or for the delay after which the
        // next address joins the race.
        let more = pending.len() > 0;
        let mut delay = std::pin::pin!(tokio::time::sleep(ATTEMPT_DELAY));
        let finished = poll_fn(|cx| {
            if let Poll::Ready(done) = running.poll_join_next(cx) {
                return Poll::Ready(done);
            }
            if more && delay.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            Poll::Pending
        })
        .await;
        match finished {
            Some(Ok((Ok(stream), addr))) => return Ok((stream, addr)),
            Some(Ok((Err(e), _))) => last_error = Some(e),
            Some(Err(join)) => last_error = Some(io::Error::other(join)),
            None => {
                if let Some(addr) = pending.next() {
                    start(&mut running, addr);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_alternate_ipv6_first() {
        let a: Vec<SocketAddr> = ["1.1.1.1:1", "2.2.2.2:1", "[::1]:1", "[::2]:1", "3.3.3.3:1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let got: Vec<String> = interleave(a).iter().map(|s| s.to_string()).collect();
        assert_eq!(
            got,
            ["[::1]:1", "1.1.1.1:1", "[::2]:1", "2.2.2.2:1", "3.3.3.3:1"]
        );
    }

    #[tokio::test]
    async fn a_dead_address_does_not_stop_the_next() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let good = listener.local_addr().unwrap();
        // A port nobody listens on: refused at once, so the next address
        // is tried without waiting for the attempt delay.
        let dead = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let (_, addr) = happy_eyeballs(vec![dead, good], SocketSetup::default())
            .await
            .unwrap();
        assert_eq!(addr, good);
    }

    #[tokio::test]
    async fn nodelay_is_on_by_default_and_can_be_turned_off() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let on = SocketSetup::default().connect(addr).await.unwrap();
        assert!(on.nodelay().unwrap());
        let setup = SocketSetup {
            nodelay: false,
            ..SocketSetup::default()
        };
        let off = setup.connect(addr).await.unwrap();
        assert!(!off.nodelay().unwrap());
    }
}
