//! TCP connect: DNS through tokio, then Happy Eyeballs (RFC 8305) over the
//! resolved addresses.

use crate::deadline::Deadline;
use crate::error::{Error, Kind, Phase};
use crate::url::Host;
use std::future::{poll_fn, Future};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::task::Poll;
use std::time::Duration;
use tokio::net::TcpStream;
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

/// Resolves `host` and connects to one of its addresses, with `TCP_NODELAY`
/// set. Both steps run under the connect budget.
pub(crate) async fn connect(
    host: &Host,
    port: u16,
    deadline: &Deadline,
) -> Result<(TcpStream, SocketAddr, ConnectTimes), Error> {
    let t0 = Instant::now();
    // DNS and connect share the connect budget.
    let end = deadline.end_of(Phase::Connect);
    let addrs = match host {
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
    let t1 = Instant::now();
    let (stream, addr) =
        Deadline::run_until(end, Phase::Connect, happy_eyeballs(interleave(addrs))).await?;
    let connect = t1.elapsed();
    stream
        .set_nodelay(true)
        .map_err(|e| Error::io(Phase::Connect, e))?;
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
async fn happy_eyeballs(addrs: Vec<SocketAddr>) -> Result<(TcpStream, SocketAddr), Error> {
    // One address (the common case, and every IP literal): nothing to race.
    if let [addr] = addrs[..] {
        return match TcpStream::connect(addr).await {
            Ok(stream) => Ok((stream, addr)),
            Err(e) => Err(Error::io(Phase::Connect, e)),
        };
    }
    let mut pending = addrs.into_iter();
    let mut running = JoinSet::new();
    let mut last_error: Option<io::Error> = None;
    let start = |running: &mut JoinSet<_>, addr: SocketAddr| {
        running.spawn(async move { (TcpStream::connect(addr).await, addr) });
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
        let (_, addr) = happy_eyeballs(vec![dead, good]).await.unwrap();
        assert_eq!(addr, good);
    }
}
