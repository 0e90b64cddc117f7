//! A TCP proxy that makes a loopback link behave like a player's network: one-way delay, jitter
//! with in-order delivery (late bytes hold back the bytes behind them, which then arrive in a
//! burst, as on a real link), a bandwidth cap, periodic stalls and an abrupt cut. `netem` needs
//! root and a kernel module; this runs anywhere the tests do.
//!
//! ```no_run
//! # async fn demo(server: std::net::SocketAddr) -> std::io::Result<()> {
//! use tickstate_testkit::netsim::{NetConditions, NetProxy};
//! let cond: NetConditions = "delay=80ms,jitter=30ms,stall=500ms/10s".parse().expect("valid");
//! let proxy = NetProxy::start(server, cond).await?;
//! println!("connect to {}", proxy.url());
//! # Ok(()) }
//! ```
//!
//! Each direction of each connection is one pipe: a reader stamps every chunk it reads with the
//! time it may be delivered, `max(previous, now + delay + U(0, jitter))`, pushed past a stall
//! window or the bandwidth cap when it falls in one, and a writer delivers the chunks at their
//! times. The queue between them is bounded, so a capped link pushes back on the sender through
//! TCP instead of buffering without limit. Stalls repeat every period with a random phase per
//! connection (players' links do not stall in step).

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Chunks in flight per direction before the reader stops reading (backpressure).
const QUEUE_CHUNKS: usize = 256;
/// Largest chunk read at once.
const CHUNK_BYTES: usize = 16 * 1024;

/// What the link does to the bytes, in each direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetConditions {
    /// One-way delay.
    pub delay: Duration,
    /// Extra delay per chunk, uniform in `[0, jitter]`; delivery stays in order.
    pub jitter: Duration,
    /// Bytes per second, per direction (`None`: unlimited).
    pub bandwidth: Option<u64>,
    /// A stall of `length` every `every` (nothing is delivered during it; it arrives after).
    pub stall: Option<Stall>,
    /// Seed of the jitter and the stall phases.
    pub seed: u64,
}

/// A periodic stall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    /// How long nothing is delivered.
    pub length: Duration,
    /// How often.
    pub every: Duration,
}

/// Why a conditions string does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetConditionsError {
    /// A part without `=`, or an unknown name.
    #[error("unknown part {0:?}: expected delay=, jitter=, bw=, stall=LEN/EVERY or seed=")]
    UnknownPart(String),
    /// A duration that is not `<number>us|ms|s`.
    #[error("bad duration {0:?}: expected e.g. 80ms, 1.5s, 500us")]
    BadDuration(String),
    /// A bandwidth that is not `<number>kbit|mbit|kB|MB` (per second).
    #[error("bad bandwidth {0:?}: expected e.g. 512kbit, 2mbit, 64kB, 1MB")]
    BadBandwidth(String),
    /// A stall whose length is not shorter than its period.
    #[error("bad stall {0:?}: expected LEN/EVERY with 0 < LEN < EVERY, e.g. 500ms/10s")]
    BadStall(String),
    /// A bad seed.
    #[error("bad seed {0:?}")]
    BadSeed(String),
}

fn parse_duration(s: &str) -> Result<Duration, NetConditionsError> {
    let bad = || NetConditionsError::BadDuration(s.to_owned());
    let (num, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        return Err(bad());
    };
    let v: f64 = num.parse().map_err(|_| bad())?;
    if !v.is_finite() || v < 0.0 || v * scale > 86_400.0 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(v * scale))
}

fn parse_bandwidth(s: &str) -> Result<u64, NetConditionsError> {
    let bad = || NetConditionsError::BadBandwidth(s.to_owned());
    let (num, bytes_per_unit) = if let Some(n) = s.strip_suffix("kbit") {
        (n, 1_000.0 / 8.0)
    } else if let Some(n) = s.strip_suffix("mbit") {
        (n, 1_000_000.0 / 8.0)
    } else if let Some(n) = s.strip_suffix("kB") {
        (n, 1_000.0)
    } else if let Some(n) = s.strip_suffix("MB") {
        (n, 1_000_000.0)
    } else {
        return Err(bad());
    };
    let v: f64 = num.parse().map_err(|_| bad())?;
    let b = v * bytes_per_unit;
    if !b.is_finite() || !(1.0..=1e12).contains(&b) {
        return Err(bad());
    }
    Ok(b as u64)
}

impl FromStr for NetConditions {
    type Err = NetConditionsError;

    /// `delay=80ms,jitter=30ms,bw=2mbit,stall=500ms/10s,seed=7`; every part is optional, an empty
    /// string is a perfect link.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut c = NetConditions::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| NetConditionsError::UnknownPart(part.to_owned()))?;
            match k.trim() {
                "delay" => c.delay = parse_duration(v.trim())?,
                "jitter" => c.jitter = parse_duration(v.trim())?,
                "bw" | "bandwidth" => c.bandwidth = Some(parse_bandwidth(v.trim())?),
                "stall" => {
                    let bad = || NetConditionsError::BadStall(v.to_owned());
                    let (len, every) = v.split_once('/').ok_or_else(bad)?;
                    let length = parse_duration(len.trim()).map_err(|_| bad())?;
                    let every = parse_duration(every.trim()).map_err(|_| bad())?;
                    if length.is_zero() || length >= every {
                        return Err(bad());
                    }
                    c.stall = Some(Stall { length, every });
                }
                "seed" => {
                    c.seed = v
                        .trim()
                        .parse()
                        .map_err(|_| NetConditionsError::BadSeed(v.to_owned()))?
                }
                _ => return Err(NetConditionsError::UnknownPart(part.to_owned())),
            }
        }
        Ok(c)
    }
}

impl fmt::Display for NetConditions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(f, "delay={}ms,jitter={}ms", ms(self.delay), ms(self.jitter))?;
        if let Some(b) = self.bandwidth {
            write!(f, ",bw={}kB", b as f64 / 1000.0)?;
        }
        if let Some(s) = self.stall {
            write!(f, ",stall={}ms/{}ms", ms(s.length), ms(s.every))?;
        }
        Ok(())
    }
}

impl NetConditions {
    /// The same delay and jitter everywhere, nothing else.
    pub fn delayed(delay: Duration, jitter: Duration) -> Self {
        Self {
            delay,
            jitter,
            ..Self::default()
        }
    }
}

/// Counters of a proxy (all connections, both directions).
#[derive(Debug, Default)]
pub struct NetStats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Bytes delivered.
    pub bytes: AtomicU64,
    /// Chunks held back by a stall.
    pub stalled_chunks: AtomicU64,
    /// Connections cut by [`NetProxy::cut`].
    pub cut: AtomicU64,
}

/// A running proxy; dropping it stops it and closes every connection.
#[derive(Debug)]
pub struct NetProxy {
    addr: SocketAddr,
    conditions: watch::Sender<NetConditions>,
    cut: watch::Sender<u64>,
    stats: Arc<NetStats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for NetProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl NetProxy {
    /// Listens on `127.0.0.1:0` and forwards every connection to `upstream` under `conditions`.
    ///
    /// # Errors
    /// When the listener cannot be bound.
    pub async fn start(upstream: SocketAddr, conditions: NetConditions) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (cond_tx, cond_rx) = watch::channel(conditions);
        let (cut_tx, cut_rx) = watch::channel(0u64);
        let stats = Arc::new(NetStats::default());
        let task = tokio::spawn(accept_loop(listener, upstream, cond_rx, cut_rx, stats.clone()));
        Ok(Self {
            addr,
            conditions: cond_tx,
            cut: cut_tx,
            stats,
            task,
        })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://` + [`NetProxy::addr`].
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The counters.
    pub fn stats(&self) -> &NetStats {
        &self.stats
    }

    /// Changes the conditions for bytes read from now on (open connections included).
    pub fn set_conditions(&self, c: NetConditions) {
        self.conditions.send_replace(c);
    }

    /// Cuts every open connection abruptly (both sides get a reset; bytes in flight are lost).
    /// New connections are accepted as before.
    pub fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    cond: watch::Receiver<NetConditions>,
    cut: watch::Receiver<u64>,
    stats: Arc<NetStats>,
) {
    let mut conns = JoinSet::new();
    let seq = Arc::new(Mutex::new(0u64));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                stats.connections.fetch_add(1, Relaxed);
                let n = {
                    let mut s = seq.lock().unwrap_or_else(|p| p.into_inner());
                    *s += 1;
                    *s
                };
                conns.spawn(connection(client, upstream, cond.clone(), cut.clone(), stats.clone(), n));
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

async fn connection(
    client: TcpStream,
    upstream: SocketAddr,
    cond: watch::Receiver<NetConditions>,
    mut cut: watch::Receiver<u64>,
    stats: Arc<NetStats>,
    n: u64,
) {
    let Ok(server) = connect_as(&client, upstream).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let seed = cond.borrow().seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let mut pipes = JoinSet::new();
    pipes.spawn(pipe(cr, sw, cond.clone(), stats.clone(), seed));
    pipes.spawn(pipe(sr, cw, cond, stats.clone(), seed ^ 1));
    cut.mark_unchanged();
    tokio::select! {
        // Either direction ending (EOF or error) ends the connection once the other drains.
        _ = async { while pipes.join_next().await.is_some() {} } => {}
        _ = cut.changed() => {
            stats.cut.fetch_add(1, Relaxed);
            // Dropping the halves with linger 0 resets both sockets.
            pipes.abort_all();
        }
    }
}

/// Connects to `upstream` from the client's own address when both are loopback, so the server's
/// per-IP limits see each client's address (`loadtest --local-addrs`) and not the proxy's.
async fn connect_as(client: &TcpStream, upstream: SocketAddr) -> io::Result<TcpStream> {
    let from = client.peer_addr()?.ip();
    if !(from.is_loopback() && upstream.ip().is_loopback() && from.is_ipv4() == upstream.is_ipv4()) {
        return TcpStream::connect(upstream).await;
    }
    let socket = if from.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(upstream).await
}

/// Moves bytes from `r` to `w` under the conditions.
async fn pipe(
    mut r: OwnedReadHalf,
    mut w: OwnedWriteHalf,
    cond: watch::Receiver<NetConditions>,
    stats: Arc<NetStats>,
    seed: u64,
) {
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(QUEUE_CHUNKS);
    let reader_stats = stats.clone();
    let reader = async move {
        let mut rng = SmallRng::seed_from_u64(seed);
        let start = Instant::now();
        // Each connection's stalls start at a random point of the period.
        let phase = rng.random::<f64>();
        let mut last = start;
        let mut link_free = start;
        loop {
            let mut buf = vec![0u8; CHUNK_BYTES];
            let got = match r.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            buf.truncate(got);
            let c = *cond.borrow();
            let now = Instant::now();
            let jitter = if c.jitter.is_zero() {
                Duration::ZERO
            } else {
                c.jitter.mul_f64(rng.random::<f64>())
            };
            let mut at = (now + c.delay + jitter).max(last);
            if let Some(b) = c.bandwidth {
                // The link sends one chunk after another at `b` bytes per second.
                let send = Duration::from_secs_f64(got as f64 / b as f64);
                let begin = link_free.max(now);
                link_free = begin + send;
                at = at.max(link_free + c.delay);
            }
            if let Some(s) = c.stall {
                let offset = s.every.mul_f64(phase);
                let since = (at - start + offset).as_nanos();
                let every = s.every.as_nanos().max(1);
                let into = since % every;
                let stall_from = every - s.length.as_nanos();
                if into >= stall_from {
                    at += Duration::from_nanos((every - into) as u64);
                    reader_stats.stalled_chunks.fetch_add(1, Relaxed);
                }
            }
            last = at;
            if tx.send((at, buf)).await.is_err() {
                break;
            }
        }
    };
    let writer = async move {
        while let Some((at, buf)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            if w.write_all(&buf).await.is_err() {
                return;
            }
            stats.bytes.fetch_add(buf.len() as u64, Relaxed);
        }
        let _ = w.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn conditions_parse_and_reject_nonsense() {
        let c: NetConditions = "delay=80ms, jitter=30ms,stall=500ms/10s,bw=2mbit,seed=9"
            .parse()
            .unwrap();
        assert_eq!(c.delay, Duration::from_millis(80));
        assert_eq!(c.jitter, Duration::from_millis(30));
        assert_eq!(c.bandwidth, Some(250_000));
        assert_eq!(
            c.stall,
            Some(Stall {
                length: Duration::from_millis(500),
                every: Duration::from_secs(10)
            })
        );
        assert_eq!(c.seed, 9);
        assert_eq!("".parse::<NetConditions>().unwrap(), NetConditions::default());
        assert_eq!("bw=64kB".parse::<NetConditions>().unwrap().bandwidth, Some(64_000));
        for bad in [
            "delay",
            "delay=80",
            "delay=-1ms",
            "loss=5%",
            "stall=10s/1s",
            "stall=1s",
            "bw=fast",
            "bw=0kbit",
        ] {
            assert!(bad.parse::<NetConditions>().is_err(), "{bad} should not parse");
        }
        let shown = c.to_string();
        assert!(
            shown.contains("delay=80ms") && shown.contains("stall=500ms/10000ms"),
            "{shown}"
        );
    }

    async fn echo_server() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = s.into_split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        addr
    }

    #[tokio::test(start_paused = true)]
    async fn bytes_arrive_in_order_after_the_delay() {
        let proxy = NetProxy::start(
            echo_server().await,
            NetConditions::delayed(Duration::from_millis(50), Duration::from_millis(40)),
        )
        .await
        .unwrap();
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        let t0 = Instant::now();
        let mut sent = Vec::new();
        for i in 0..50u8 {
            s.write_all(&[i]).await.unwrap();
            sent.push(i);
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        let mut got = vec![0u8; sent.len()];
        s.read_exact(&mut got).await.unwrap();
        assert_eq!(got, sent, "jitter never reorders");
        // There and back: at least twice the delay.
        assert!(t0.elapsed() >= Duration::from_millis(100));
        assert!(proxy.stats().bytes.load(Relaxed) >= 100);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stall_holds_bytes_back_and_then_delivers_them() {
        let cond: NetConditions = "stall=400ms/1s,seed=3".parse().unwrap();
        let proxy = NetProxy::start(echo_server().await, cond).await.unwrap();
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        let mut longest = Duration::ZERO;
        for i in 0..40u8 {
            let t = Instant::now();
            s.write_all(&[i]).await.unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).await.unwrap();
            assert_eq!(b[0], i);
            longest = longest.max(t.elapsed());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            longest >= Duration::from_millis(100),
            "some round trip hit a stall: {longest:?}"
        );
        assert!(longest <= Duration::from_millis(900), "a stall ends: {longest:?}");
        assert!(proxy.stats().stalled_chunks.load(Relaxed) > 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_bandwidth_cap_paces_a_burst() {
        let cond: NetConditions = "bw=100kB".parse().unwrap();
        let proxy = NetProxy::start(echo_server().await, cond).await.unwrap();
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        let t0 = Instant::now();
        let data = vec![7u8; 50_000];
        let (mut r, mut w) = s.split();
        let send = async { w.write_all(&data).await.unwrap() };
        let mut got = vec![0u8; data.len()];
        let recv = async { r.read_exact(&mut got).await.unwrap() };
        tokio::join!(send, recv);
        // 50 kB through a 100 kB/s link each way: about half a second (both directions pipeline).
        assert!(t0.elapsed() >= Duration::from_millis(450), "{:?}", t0.elapsed());
    }

    #[tokio::test]
    async fn a_cut_resets_open_connections_and_new_ones_work() {
        let proxy = NetProxy::start(echo_server().await, NetConditions::default())
            .await
            .unwrap();
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        s.write_all(b"hi").await.unwrap();
        let mut b = [0u8; 2];
        s.read_exact(&mut b).await.unwrap();
        proxy.cut();
        let mut rest = Vec::new();
        let ended = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await;
        assert!(ended.is_ok(), "the cut connection ends");
        // From another loopback address: the upstream connection keeps it.
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind("127.0.0.7:0".parse().unwrap()).unwrap();
        let mut s2 = sock.connect(proxy.addr()).await.unwrap();
        s2.write_all(b"ok").await.unwrap();
        s2.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"ok");
        assert_eq!(proxy.stats().cut.load(Relaxed), 1);
    }
}
