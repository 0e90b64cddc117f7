//! The operator listener: `/stats`, `/stats/clients` and `/metrics`, off the public game port.
//!
//! These endpoints name every connected player and describe the whole server, so they are served
//! on their own listener ([`AdminListener`]), which the `tickstate` binary binds to
//! `127.0.0.1:9100` by default. An optional bearer token ([`AdminToken`]) guards them; without one
//! the listener must be on a loopback address ([`check_admin_addr`]), so the endpoints are never
//! open to the network by accident. A request with a missing or wrong token gets `401` and is
//! counted (`admin.unauthorized` on `/stats`) and logged with the peer's address, never the token.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use socketioxide::SocketIo;
use tickstate_shared::stats_doc::{AdminCounts, StatsDoc};
use tokio::net::TcpListener;

use super::{metrics, stats};
use crate::hub::Hub;
use crate::net::listener::ConnInfo;

/// A bearer token for the operator endpoints. Its `Debug` output never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(Arc<str>);

/// Why a string cannot be an [`AdminToken`]. The messages never repeat the string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminTokenError {
    /// Shorter than [`AdminToken::MIN_LEN`].
    #[error(
        "the admin token must be at least {} characters long (e.g. `openssl rand -hex 32`)",
        AdminToken::MIN_LEN
    )]
    TooShort,
    /// Longer than [`AdminToken::MAX_LEN`].
    #[error("the admin token must be at most {} characters long", AdminToken::MAX_LEN)]
    TooLong,
    /// Holds a character that cannot be sent in an `Authorization` header.
    #[error("the admin token may only hold visible ASCII characters (no spaces)")]
    BadCharacter,
}

impl AdminToken {
    /// Shortest token accepted: a guessable token on a reachable port is no protection.
    pub const MIN_LEN: usize = 16;
    /// Longest token accepted.
    pub const MAX_LEN: usize = 512;

    /// A token; visible ASCII only (it travels in an `Authorization: Bearer` header).
    ///
    /// # Errors
    /// [`AdminTokenError`] when it is too short, too long or holds other characters.
    pub fn new(secret: impl Into<String>) -> Result<Self, AdminTokenError> {
        let s: String = secret.into();
        if s.len() < Self::MIN_LEN {
            return Err(AdminTokenError::TooShort);
        }
        if s.len() > Self::MAX_LEN {
            return Err(AdminTokenError::TooLong);
        }
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AdminTokenError::BadCharacter);
        }
        Ok(Self(s.into()))
    }

    /// Whether `presented` is this token, in time that depends only on the token's length (and on
    /// the length of `presented`, which the sender knows anyway).
    pub fn matches(&self, presented: &[u8]) -> bool {
        let expected = self.0.as_bytes();
        let mut diff = u8::from(presented.len() != expected.len());
        for (i, e) in expected.iter().enumerate() {
            let p = presented.get(i).copied().unwrap_or(0);
            diff |= std::hint::black_box(e ^ p);
        }
        std::hint::black_box(diff) == 0
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// Why an operator listener is refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Not a loopback address and no token: anyone who can reach it could read the player list.
    #[error(
        "the operator endpoints (/stats, /stats/clients, /metrics) would be reachable from other machines on {0} \
         without a token: set a bearer token (--admin-token / TICKSTATE_ADMIN_TOKEN), bind a loopback address \
         (e.g. --admin-bind 127.0.0.1:9100) or turn them off (--admin-bind off)"
    )]
    OpenWithoutToken(SocketAddr),
    /// The listener's address could not be read.
    #[error("operator listener: {0}")]
    Io(#[from] io::Error),
}

/// Refuses an operator address that other machines can reach when there is no token.
///
/// # Errors
/// [`AdminError::OpenWithoutToken`].
pub fn check_admin_addr(addr: SocketAddr, token: Option<&AdminToken>) -> Result<(), AdminError> {
    if token.is_none() && !addr.ip().to_canonical().is_loopback() {
        return Err(AdminError::OpenWithoutToken(addr));
    }
    Ok(())
}

/// An already bound listener for the operator endpoints, with its optional token.
///
/// Binding is the caller's job (so tests can bind `127.0.0.1:0`); [`AdminListener::new`] checks
/// the address against the token.
#[derive(Debug)]
pub struct AdminListener {
    listener: TcpListener,
    token: Option<AdminToken>,
}

impl AdminListener {
    /// Serves the operator endpoints on `listener`, guarded by `token` when there is one.
    ///
    /// # Errors
    /// [`AdminError::OpenWithoutToken`] when there is no token and the listener is not on a
    /// loopback address; [`AdminError::Io`] when its address cannot be read.
    pub fn new(listener: TcpListener, token: Option<AdminToken>) -> Result<Self, AdminError> {
        check_admin_addr(listener.local_addr()?, token.as_ref())?;
        Ok(Self { listener, token })
    }

    /// The address it listens on.
    ///
    /// # Errors
    /// When the OS cannot tell.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Whether requests need a bearer token.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    pub(crate) fn into_parts(self) -> (TcpListener, Option<AdminToken>) {
        (self.listener, self.token)
    }
}

/// The token check and its counter.
#[derive(Debug)]
struct Gate {
    token: Option<AdminToken>,
    unauthorized: AtomicU64,
}

/// State of the operator router.
#[derive(Clone)]
pub struct AdminState {
    /// The server's shared state.
    pub hub: Arc<Hub>,
    /// The Socket.IO handle, for the socket count.
    pub io: SocketIo,
    gate: Arc<Gate>,
}

impl AdminState {
    /// The `/stats` document now.
    pub fn stats_doc(&self) -> StatsDoc {
        let admin = AdminCounts {
            unauthorized: self.gate.unauthorized.load(Relaxed),
        };
        stats::stats_doc(&self.hub, self.io.sockets().len() as u64, admin)
    }
}

/// The operator app: `/stats`, `/stats/clients`, `/metrics`; everything behind the token when
/// there is one (unknown paths included, so nothing is learnt without it).
pub fn router(hub: Arc<Hub>, io: SocketIo, token: Option<AdminToken>) -> Router {
    let gate = Arc::new(Gate {
        token,
        unauthorized: AtomicU64::new(0),
    });
    let state = AdminState {
        hub,
        io,
        gate: gate.clone(),
    };
    Router::new()
        .route("/stats", get(stats::stats))
        .route("/stats/clients", get(stats::clients))
        .route("/metrics", get(metrics::metrics))
        .fallback(not_found)
        .with_state(state)
        .layer(middleware::from_fn_with_state(gate, require_token))
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found\n")
}

/// The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let space = value.iter().position(|b| *b == b' ')?;
    let (scheme, rest) = value.split_at(space);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    Some(rest.trim_ascii())
}

async fn require_token(State(gate): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    let Some(token) = &gate.token else {
        return next.run(req).await;
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| bearer(v.as_bytes()));
    if presented.is_some_and(|p| token.matches(p)) {
        return next.run(req).await;
    }
    gate.unauthorized.fetch_add(1, Relaxed);
    let peer = req.extensions().get::<Arc<ConnInfo>>().map(|c| c.peer);
    let why = if presented.is_some() {
        "wrong token"
    } else {
        "no bearer token"
    };
    tracing::warn!(?peer, path = %req.uri().path(), why, "operator request refused");
    let challenge = if presented.is_some() {
        r#"Bearer realm="tickstate", error="invalid_token""#
    } else {
        r#"Bearer realm="tickstate""#
    };
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, challenge)],
        "unauthorized: send Authorization: Bearer <token>\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn tokens_are_checked_and_never_shown() {
        assert_eq!(AdminToken::new("short"), Err(AdminTokenError::TooShort));
        assert_eq!(AdminToken::new("x".repeat(513)), Err(AdminTokenError::TooLong));
        assert_eq!(
            AdminToken::new("has a space in it!"),
            Err(AdminTokenError::BadCharacter)
        );
        assert_eq!(
            AdminToken::new("naïve-but-long-enough"),
            Err(AdminTokenError::BadCharacter)
        );
        let t = AdminToken::new("0123456789abcdef").unwrap();
        assert!(!format!("{t:?}").contains("0123"));
        for e in [
            AdminTokenError::TooShort,
            AdminTokenError::TooLong,
            AdminTokenError::BadCharacter,
        ] {
            assert!(!e.to_string().contains("0123"));
        }
    }

    #[test]
    fn matches_only_the_exact_token() {
        let t = AdminToken::new("0123456789abcdef").unwrap();
        assert!(t.matches(b"0123456789abcdef"));
        assert!(!t.matches(b"0123456789abcdeF"));
        assert!(!t.matches(b"0123456789abcde"));
        assert!(!t.matches(b"0123456789abcdef0"));
        assert!(!t.matches(b"0123456789abcdef\0"));
        assert!(!t.matches(b""));
    }

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"bearer   abc  "), Some(&b"abc"[..]));
        assert_eq!(bearer(b"BEARER abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"Basic abc"), None);
        assert_eq!(bearer(b"Bearerabc"), None);
        assert_eq!(bearer(b"abc"), None);
    }

    #[test]
    fn only_loopback_may_go_without_a_token() {
        let token = AdminToken::new("0123456789abcdef").unwrap();
        for ok in ["127.0.0.1:9100", "127.0.0.2:0", "[::1]:9100", "[::ffff:127.0.0.1]:9100"] {
            assert!(check_admin_addr(ok.parse().unwrap(), None).is_ok(), "{ok}");
        }
        for open in ["0.0.0.0:9100", "[::]:9100", "10.0.0.5:9100", "192.0.2.1:0"] {
            let addr: SocketAddr = open.parse().unwrap();
            let e = check_admin_addr(addr, None).unwrap_err();
            assert!(e.to_string().contains("--admin-token"), "{e}");
            assert!(check_admin_addr(addr, Some(&token)).is_ok(), "{open} with a token");
        }
    }
}
