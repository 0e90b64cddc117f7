//! # tickstate-server
//!
//! An authoritative game-state server for browser games made with Phaser. Clients connect with the
//! stock Socket.IO client (MessagePack parser), send **inputs** (never positions), and a fixed-rate
//! tick loop per room validates them, runs the game rules and sends compact binary **snapshots**
//! with each client's input acknowledgement. The wire format is in `PROTOCOL.md`.
//!
//! ## Layout
//! - [`prelude`]: everything a game author imports (`use tickstate_server::prelude::*;`).
//! - [`rules`]: the [`Game`] definition and the [`GameRules`] trait with its [`rules::Ctx`]: the
//!   extension point for your game.
//! - [`schema`]: declaring a game's state: kinds, typed fields, inputs, private fields, messages,
//!   events, and the typed handles to them.
//! - [`sim`]: world, movement validation, collisions, snapshot building. No async, no I/O, no clock.
//! - [`game`]: the built-in games (Star Collector, Arena), written only against the prelude.
//! - [`room`]: the room core (no I/O: inputs in, transmits out), its seats, input queue and tick
//!   stages; the runner that feeds it and the tick pool that steps every runner; the registry (matchmaking, disposal,
//!   sessions). The room core and its runner are public so that the test kit
//!   (`tickstate-testkit`, not published) can step a room in memory.
//! - `hub`: the running server's shared state (game, settings, rooms, counters, the connection
//!   registry), used by both `net` and `http`.
//! - [`net`]: Socket.IO handlers (they only enqueue into rooms) and the accept loop with its
//!   connection limits and timeouts.
//! - [`auth`]: the authenticator hook, and an HMAC JWT authenticator.
//! - `http`: the game port's router (Socket.IO, `/healthz`, `/rooms`, the static client) and the
//!   operator port's router (`/stats`, `/stats/clients`, `/metrics`, behind an optional token).
//! - [`stats`]: counters and timings behind the operator endpoints.
//! - [`codegen`]: TypeScript declarations generated from a game's Rust definitions.
//!
//! ## Running a server with your own game
//! ```no_run
//! use tickstate_server::{AdminListener, Listeners, ServerConfig, run, game::star_collector};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let game = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! // The operator endpoints on their own, local port (no token: it must be a loopback address).
//! let admin = AdminListener::new(tokio::net::TcpListener::bind("127.0.0.1:9100").await?, None)?;
//! run(Listeners::new(game).with_admin(admin), ServerConfig::default(), star_collector(), async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await?;
//! # Ok(())
//! # }
//! ```

pub mod auth;
pub mod codegen;
pub mod config;
pub mod game;
mod http;
mod hub;
pub mod net;
pub mod prelude;
pub mod room;
pub mod rules;
pub mod schema;
pub mod sim;
pub mod stats;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

pub use config::ServerConfig;
pub use http::admin::{AdminError, AdminListener, AdminToken, AdminTokenError, check_admin_addr};
pub use rules::{Game, GameRules};

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Accepting or serving connections failed.
    #[error("server I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The game's rooms cannot run with this configuration (checked before the server starts).
    #[error("the game {game:?} cannot run: {reason}")]
    BadGame {
        /// The game.
        game: String,
        /// What is wrong.
        reason: String,
    },
}

/// Checks that rooms of `game` can run with `config` (a probe room's rules config, resolved
/// against the server's overrides), so a bad game fails at start with a clear error instead of at
/// the first join.
///
/// # Errors
/// [`ServerError::BadGame`] naming the problem.
pub fn check_game(game: &Game, config: &ServerConfig) -> Result<(), ServerError> {
    let cfg = game.rules(&config.default_room).config();
    room::RoomSettings::resolve(&cfg, &config.room_policy()).map_err(|e| ServerError::BadGame {
        game: game.name().to_owned(),
        reason: e.to_string(),
    })?;
    Ok(())
}

/// The listeners a server runs on.
///
/// A bare [`TcpListener`] converts into `Listeners` with no operator listener, so
/// `run(listener, …)` serves the game port only and the operator endpoints nowhere.
#[derive(Debug)]
pub struct Listeners {
    /// The public game port: the client, Socket.IO, `/healthz` and `/rooms`.
    pub game: TcpListener,
    /// The operator port: `/stats`, `/stats/clients` and `/metrics`; `None` serves them nowhere.
    pub admin: Option<AdminListener>,
}

impl Listeners {
    /// The game port only.
    pub fn new(game: TcpListener) -> Self {
        Self { game, admin: None }
    }

    /// Adds the operator listener.
    #[must_use]
    pub fn with_admin(mut self, admin: AdminListener) -> Self {
        self.admin = Some(admin);
        self
    }
}

impl From<TcpListener> for Listeners {
    fn from(game: TcpListener) -> Self {
        Self::new(game)
    }
}

/// Connection limits of the operator listener: a few scrapers and operators, not the public.
fn admin_limits(game: &config::ConnLimits) -> config::ConnLimits {
    config::ConnLimits {
        max_connections: 64,
        max_per_ip: 0,
        rate_per_ip: 0.0,
        burst_per_ip: 0.0,
        allowed_origins: Vec::new(),
        header_read_timeout: game.header_read_timeout,
        ..config::ConnLimits::default()
    }
}

/// Serves Tickstate on already bound listeners until `shutdown` completes, then shuts down
/// gracefully: rooms stop taking players, every client gets `bye` (`shutdown`) and is disconnected,
/// and the function returns once connections are closed or `config.shutdown_deadline` passed.
///
/// Binding is the caller's job, so tests can bind `127.0.0.1:0`. `listeners` is a
/// [`TcpListener`] (the game port only) or [`Listeners`] with an [`AdminListener`] for the
/// operator endpoints.
///
/// # Errors
/// [`ServerError::Io`] when a listener fails.
pub async fn run(
    listeners: impl Into<Listeners>,
    config: ServerConfig,
    game: Game,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    check_game(&game, &config)?;
    let Listeners { game: listener, admin } = listeners.into();
    let deadline = config.shutdown_deadline;
    let limits = config.limits.clone();
    let hub = hub::Hub::new(config, game);
    let (layer, io) = net::socket_layer(hub.clone());
    let (stop_admin, admin_stopped) = tokio::sync::oneshot::channel::<()>();
    let admin_task = admin.map(|admin| {
        let (listener, token) = admin.into_parts();
        let app = http::admin::router(hub.clone(), io.clone(), token);
        let limits = admin_limits(&limits);
        tokio::spawn(async move {
            let stopped = async {
                let _ = admin_stopped.await;
            };
            net::listener::serve(listener, app, limits, Arc::default(), Arc::default(), stopped).await
        })
    });
    let app = http::game_router(hub.clone(), layer);
    let conns = hub.conns.clone();
    let served = net::listener::serve(listener, app, limits, conns.clone(), hub.upgrades.clone(), shutdown).await;
    // The operator endpoints stop taking connections with the game port.
    let _ = stop_admin.send(());
    if let Some(task) = admin_task {
        match task.await {
            Ok(Err(e)) => tracing::warn!(error = %e, "operator listener failed"),
            Err(e) => tracing::warn!(error = %e, "operator listener task failed"),
            Ok(Ok(())) => {}
        }
    }
    served?;
    tracing::info!("shutting down: notifying clients");
    let drain = async {
        hub.rooms.shutdown_all().await;
        io.close().await;
    };
    if tokio::time::timeout(deadline, drain).await.is_err() {
        tracing::warn!(?deadline, "shutdown deadline passed before every client was told");
    }
    // Give the transports a moment to flush the goodbyes and close; a peer that does not finish
    // the close handshake is not waited for.
    let linger = async {
        while conns.open.load(std::sync::atomic::Ordering::Relaxed) > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    if tokio::time::timeout(Duration::from_secs(1).min(deadline), linger)
        .await
        .is_err()
    {
        tracing::debug!(
            open = conns.open.load(std::sync::atomic::Ordering::Relaxed),
            "connections still open at exit"
        );
    }
    tracing::info!("server stopped");
    Ok(())
}

/// The README's Rust examples, compiled as doctests so they cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
