//! The accept loop: connection limits, timeouts and per-connection bookkeeping in front of the
//! HTTP app.
//!
//! `axum::serve` has no header-read timeout and no connection caps, so Tickstate accepts TCP
//! connections itself and serves each with hyper's HTTP/1 server:
//! - a global and a per-IP cap on open connections, and a per-IP rate of new connections;
//! - `TCP_NODELAY` (small frames must not wait) and `TCP_USER_TIMEOUT` (a peer that stops
//!   acknowledging data is dropped by the kernel even when our send buffer is full);
//! - a header-read timeout on every request, the WebSocket upgrade included (slowloris, idle TCP);
//! - an optional `Origin` allow-list for `/socket.io/` (403 otherwise);
//! - a [`ConnInfo`] per connection, in every request's extensions, which records when the peer
//!   last sent bytes and whether our writes are stalled. A connection whose writes stay stalled past
//!   a bound is shut down as a slow consumer.
//! - [`Upgrades`]: a session that starts on HTTP long-polling keeps the handshake request's
//!   extensions after it upgrades, so the WebSocket's own [`ConnInfo`] is indexed by session id for
//!   the disconnect handler.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use super::bucket::TokenBucket;
use crate::config::ConnLimits;
use crate::stats::ConnStats;

fn clock_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// What the server knows about one TCP connection; found in each request's extensions.
#[derive(Debug)]
pub struct ConnInfo {
    /// The peer's address.
    pub peer: SocketAddr,
    last_read_ms: AtomicU64,
    /// 0 when writes are flowing, else the `clock_ms` at which a write first blocked (plus 1).
    write_blocked_since_ms: AtomicU64,
    slow_consumer: AtomicBool,
    /// The session id this connection upgraded from long-polling, once it did.
    upgraded_sid: OnceLock<Box<str>>,
    /// A duplicate of the socket, to shut it down from outside the connection's task.
    handle: std::net::TcpStream,
}

impl ConnInfo {
    /// How long ago the peer last sent us bytes.
    pub fn since_last_read(&self) -> Duration {
        Duration::from_millis(clock_ms().saturating_sub(self.last_read_ms.load(Relaxed)))
    }

    /// True once the connection was shut down as a slow consumer.
    pub fn was_slow_consumer(&self) -> bool {
        self.slow_consumer.load(Relaxed)
    }

    fn write_stalled_for(&self) -> Duration {
        match self.write_blocked_since_ms.load(Relaxed) {
            0 => Duration::ZERO,
            t => Duration::from_millis(clock_ms().saturating_sub(t - 1)),
        }
    }

    fn kill_slow_consumer(&self) {
        if !self.slow_consumer.swap(true, Relaxed) {
            tracing::warn!(peer = %self.peer, "writes blocked too long: closing slow consumer");
            let _ = self.handle.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// The connections that carry a session upgraded from long-polling to WebSocket, by session id.
///
/// Bounded: a connection is recorded at most once (its first upgrade request), entries go when the
/// session ends ([`Upgrades::take`]), and entries of closed connections are swept every 500 ms, so
/// there are never more than the open connections.
#[derive(Debug, Default)]
pub struct Upgrades {
    by_sid: Mutex<HashMap<Box<str>, Weak<ConnInfo>>>,
}

impl Upgrades {
    fn record(&self, sid: &str, info: &Arc<ConnInfo>) {
        if info.upgraded_sid.set(sid.into()).is_ok() {
            // The first connection to name a session keeps it: a request naming someone else's
            // session id cannot take over the entry of the connection that really upgraded it.
            let mut by_sid = self.by_sid.lock().unwrap_or_else(|p| p.into_inner());
            let entry = by_sid.entry(sid.into()).or_default();
            if entry.strong_count() == 0 {
                *entry = Arc::downgrade(info);
            }
        }
    }

    /// The WebSocket connection session `sid` upgraded to, forgetting it; `None` for a session
    /// that did not upgrade (it was WebSocket from the start, or stayed on polling).
    pub fn take(&self, sid: &str) -> Option<Arc<ConnInfo>> {
        self.by_sid
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(sid)?
            .upgrade()
    }

    fn sweep(&self) {
        self.by_sid
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, c| c.strong_count() > 0);
    }
}

/// The session id of a WebSocket upgrade request for an existing long-polling session
/// (`/socket.io/?EIO=4&transport=websocket&sid=…`).
fn upgrade_sid<B>(req: &Request<B>) -> Option<&str> {
    if !req.uri().path().starts_with("/socket.io") {
        return None;
    }
    let query = req.uri().query()?;
    let mut sid = None;
    let mut websocket = false;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("transport", "websocket")) => websocket = true,
            Some(("sid", v)) if !v.is_empty() && v.len() <= 64 => sid = Some(v),
            _ => {}
        }
    }
    sid.filter(|_| websocket)
}

struct Tracker {
    limits: ConnLimits,
    stats: Arc<ConnStats>,
    per_ip: Mutex<HashMap<IpAddr, (usize, TokenBucket)>>,
    live: Mutex<HashMap<u64, Weak<ConnInfo>>>,
    upgrades: Arc<Upgrades>,
    next: AtomicU64,
}

/// Decrements the counts when the connection (or the WebSocket it became) is dropped.
struct ConnGuard {
    tracker: Arc<Tracker>,
    ip: IpAddr,
    id: u64,
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.tracker.stats.open.fetch_sub(1, Relaxed);
        let mut m = self.tracker.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = m.get_mut(&self.ip) {
            e.0 = e.0.saturating_sub(1);
        }
        drop(m);
        self.tracker
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

impl Tracker {
    /// Admits a new connection from `ip`, or says why not.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<(), &'static str> {
        let l = &self.limits;
        if l.max_connections > 0 && self.stats.open.load(Relaxed) >= l.max_connections {
            self.stats.refused_global_cap.fetch_add(1, Relaxed);
            return Err("global connection cap");
        }
        let now = Instant::now();
        let mut m = self.per_ip.lock().unwrap_or_else(|p| p.into_inner());
        // Forget idle addresses so the map cannot grow without bound.
        if m.len() > 65_536 {
            m.retain(|_, e| e.0 > 0);
        }
        let e = m
            .entry(ip)
            .or_insert_with(|| (0, TokenBucket::new(l.rate_per_ip, l.burst_per_ip, now)));
        if l.max_per_ip > 0 && e.0 >= l.max_per_ip {
            self.stats.refused_per_ip_cap.fetch_add(1, Relaxed);
            return Err("per-IP connection cap");
        }
        if !e.1.take(now) {
            self.stats.refused_rate.fetch_add(1, Relaxed);
            return Err("per-IP connection rate");
        }
        e.0 += 1;
        self.stats.open.fetch_add(1, Relaxed);
        self.stats.accepted.fetch_add(1, Relaxed);
        Ok(())
    }

    fn sweep(&self) {
        self.upgrades.sweep();
        let live: Vec<Arc<ConnInfo>> = self
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter_map(Weak::upgrade)
            .collect();
        for c in live {
            if c.write_stalled_for() > self.limits.write_stall_limit && !c.was_slow_consumer() {
                self.stats.slow_consumers.fetch_add(1, Relaxed);
                c.kill_slow_consumer();
            }
        }
    }
}

/// The TCP stream, instrumented: it records reads and blocked writes in its [`ConnInfo`] and
/// carries the [`ConnGuard`], so the counts drop when the stream (HTTP or WebSocket) is dropped.
struct TrackedStream {
    inner: TcpStream,
    info: Arc<ConnInfo>,
    _guard: ConnGuard,
}

impl AsyncRead for TrackedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.info.last_read_ms.store(clock_ms(), Relaxed);
        }
        r
    }
}

impl TrackedStream {
    fn note_write<T>(&self, r: &Poll<io::Result<T>>) {
        match r {
            Poll::Pending => {
                let _ = self
                    .info
                    .write_blocked_since_ms
                    .compare_exchange(0, clock_ms() + 1, Relaxed, Relaxed);
            }
            Poll::Ready(_) => self.info.write_blocked_since_ms.store(0, Relaxed),
        }
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.note_write(&r);
        r
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.note_write(&r);
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.note_write(&r);
        r
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn origin_allowed<B>(req: &Request<B>, allowed: &[String]) -> bool {
    if allowed.is_empty() || !req.uri().path().starts_with("/socket.io") {
        return true;
    }
    // Browsers always send `Origin` on a WebSocket upgrade; programs that send none are not
    // browsers and could forge any value, so the allow-list does not apply to them.
    match req.headers().get(header::ORIGIN) {
        None => true,
        Some(o) => o
            .to_str()
            .is_ok_and(|o| allowed.iter().any(|a| a.eq_ignore_ascii_case(o))),
    }
}

fn prepare(stream: TcpStream, limits: &ConnLimits) -> io::Result<(TcpStream, std::net::TcpStream)> {
    stream.set_nodelay(true)?;
    let sock = socket2::SockRef::from(&stream);
    sock.set_tcp_user_timeout(Some(limits.tcp_user_timeout))?;
    if limits.send_buffer_bytes > 0 {
        sock.set_send_buffer_size(limits.send_buffer_bytes)?;
    }
    let std = stream.into_std()?;
    let handle = std.try_clone()?;
    Ok((TcpStream::from_std(std)?, handle))
}

/// Accepts connections on `listener` and serves `app` on each until `stop` completes; connections
/// still open then keep being served by their own tasks. WebSocket upgrades of long-polling
/// sessions are recorded in `upgrades`.
///
/// # Errors
/// Only when accepting fails in a way that is not about one connection.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    stats: Arc<ConnStats>,
    upgrades: Arc<Upgrades>,
    stop: impl std::future::Future<Output = ()>,
) -> io::Result<()> {
    let tracker = Arc::new(Tracker {
        limits: limits.clone(),
        stats,
        per_ip: Mutex::new(HashMap::new()),
        live: Mutex::new(HashMap::new()),
        upgrades,
        next: AtomicU64::new(1),
    });
    let sweeper = {
        let t = Arc::downgrade(&tracker);
        tokio::spawn(async move {
            let mut iv = tokio::time::interval(Duration::from_millis(500));
            loop {
                iv.tick().await;
                match t.upgrade() {
                    Some(t) => t.sweep(),
                    None => break,
                }
            }
        })
    };
    let origins: Arc<[String]> = limits.allowed_origins.clone().into();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut stop => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Per-connection errors (reset before accept) and fd exhaustion: keep going.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        if let Err(why) = tracker.admit(peer.ip()) {
            tracing::debug!(%peer, why, "connection refused");
            drop(stream);
            continue;
        }
        let id = tracker.next.fetch_add(1, Relaxed);
        let guard = ConnGuard {
            tracker: tracker.clone(),
            ip: peer.ip(),
            id,
        };
        let (stream, handle) = match prepare(stream, &limits) {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "could not set up connection");
                continue;
            }
        };
        let info = Arc::new(ConnInfo {
            peer,
            last_read_ms: AtomicU64::new(clock_ms()),
            write_blocked_since_ms: AtomicU64::new(0),
            slow_consumer: AtomicBool::new(false),
            upgraded_sid: OnceLock::new(),
            handle,
        });
        tracker
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, Arc::downgrade(&info));
        let io = TokioIo::new(TrackedStream {
            inner: stream,
            info: info.clone(),
            _guard: guard,
        });
        let app = app.clone();
        let origins = origins.clone();
        let conn_stats = tracker.stats.clone();
        let upgrades = tracker.upgrades.clone();
        let svc = tower::service_fn(move |mut req: Request<hyper::body::Incoming>| {
            let app = app.clone();
            let info = info.clone();
            let allowed = origin_allowed(&req, &origins);
            if allowed && let Some(sid) = upgrade_sid(&req) {
                upgrades.record(sid, &info);
            }
            let conn_stats = conn_stats.clone();
            async move {
                if !allowed {
                    conn_stats.refused_origin.fetch_add(1, Relaxed);
                    return Ok::<Response, std::convert::Infallible>(
                        (StatusCode::FORBIDDEN, "origin not allowed\n").into_response(),
                    );
                }
                req.extensions_mut().insert(info);
                app.oneshot(req).await
            }
        });
        let conn = builder
            .serve_connection(io, TowerToHyperService::new(svc))
            .with_upgrades();
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    sweeper.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str) -> Request<()> {
        Request::builder().uri(uri).body(()).unwrap_or_default()
    }

    #[test]
    fn only_websocket_requests_with_a_session_id_are_upgrades() {
        let sid = |u: &str| upgrade_sid(&req(u)).map(str::to_owned);
        assert_eq!(sid("/socket.io/?EIO=4&transport=websocket&sid=abc"), Some("abc".into()));
        assert_eq!(sid("/socket.io/?sid=abc&EIO=4&transport=websocket"), Some("abc".into()));
        assert_eq!(sid("/socket.io/?EIO=4&transport=websocket"), None, "a fresh WebSocket");
        assert_eq!(sid("/socket.io/?EIO=4&transport=polling&sid=abc"), None, "a poll");
        assert_eq!(sid("/rooms?transport=websocket&sid=abc"), None, "not Socket.IO");
        assert_eq!(
            sid(&format!("/socket.io/?transport=websocket&sid={}", "x".repeat(65))),
            None,
            "too long"
        );
    }
}
