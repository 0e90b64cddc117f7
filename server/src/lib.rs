//! # tickstate-server
//!
//! An authoritative game-state server for browser games made with Phaser. Clients connect with the
//! stock Socket.IO client (MessagePack parser), send **inputs** (never positions), and a fixed-rate
//! tick loop per room validates them, runs the game rules and sends compact binary **snapshots**
//! with each client's input acknowledgement. The wire format is in `PROTOCOL.md`.
//!
//! ## Layout
//! - [`sim`]: world, movement validation, snapshot building. No async, no I/O, no clock.
//! - [`rules`]: the [`GameRules`] trait: the extension point for your game.
//! - [`game`]: the demo game, Star Collector, written only against the public rules API.
//! - [`room`]: one world + one rules value + one tick loop on its own thread; the tick stages;
//!   the registry (matchmaking, disposal, sessions); [`room::driver`] steps a room in memory.
//! - [`net`]: Socket.IO handlers (they only enqueue into rooms) and the accept loop with its
//!   connection limits and timeouts.
//! - [`app`]: the HTTP router: Socket.IO, `/healthz`, `/stats`, `/stats/clients`, `/rooms`,
//!   `/metrics`, the static client.
//! - [`metrics`]: the Prometheus text format of `/metrics`.
//! - [`client`]: a small Socket.IO client (msgpack) for tests and load bots.
//! - [`stats`]: counters behind `/stats`.
//!
//! ## Running a server with your own rules
//! ```no_run
//! use std::sync::Arc;
//! use tickstate_server::{ServerConfig, run, game::StarCollector};
//! # async fn demo() -> Result<(), tickstate_server::ServerError> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! run(listener, ServerConfig::default(), Arc::new(|_room: &str| Box::new(StarCollector::default()) as _), async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```

pub mod app;
pub mod client;
pub mod config;
pub mod game;
pub mod metrics;
pub mod net;
pub mod room;
pub mod rules;
pub mod sim;
pub mod stats;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::ServerConfig;
pub use room::RulesFactory;
pub use rules::GameRules;

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Accepting or serving connections failed.
    #[error("server I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves Tickstate on an already bound listener until `shutdown` completes, then shuts down
/// gracefully: rooms stop taking players, every client gets `bye` (`shutdown`) and is disconnected,
/// and the function returns once connections are closed or `config.shutdown_deadline` passed.
///
/// Binding is the caller's job, so tests can bind `127.0.0.1:0`.
///
/// # Errors
/// [`ServerError::Io`] when the listener fails.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    rules: RulesFactory,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let deadline = config.shutdown_deadline;
    let limits = config.limits.clone();
    let state = app::AppState::new(config, rules);
    let (router, io) = app::router(state.clone());
    let conns = state.conn_stats.clone();
    net::listener::serve(listener, router, limits, conns.clone(), shutdown).await?;
    tracing::info!("shutting down: notifying clients");
    let drain = async {
        state.rooms.shutdown_all().await;
        io.close().await;
    };
    if tokio::time::timeout(deadline, drain).await.is_err() {
        tracing::warn!(?deadline, "shutdown deadline passed before every client was told");
    }
    // Give the transports a moment to flush the goodbyes and close; a peer that does not finish
    // the close handshake is not waited for.
    let linger = async {
        while conns.open.load(std::sync::atomic::Ordering::Relaxed) > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    if tokio::time::timeout(std::time::Duration::from_secs(1).min(deadline), linger)
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

/// A [`RulesFactory`] for one rules type.
pub fn rules_of<R: GameRules + Default>() -> RulesFactory {
    Arc::new(|_room: &str| Box::new(R::default()))
}

/// The README's Rust examples, compiled as doctests so they cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
