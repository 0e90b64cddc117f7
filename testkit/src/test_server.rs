//! The real server in-process on `127.0.0.1:0`, for integration tests: [`TestServer`] spawns
//! [`tickstate_server::run`] on the current Tokio runtime with an operator listener of its own,
//! and [`wait_stats`] polls its `/stats` until a condition holds.
//!
//! ```no_run
//! # async fn demo() {
//! use tickstate_testkit::TestServer;
//! let server = TestServer::start().await;
//! let mut c = server.connect("Ada").await;
//! c.next_snapshot(std::time::Duration::from_secs(2)).await.expect("a snapshot");
//! server.stop().await.expect("a clean stop");
//! # }
//! ```
//!
//! Every helper here panics with a message when something goes wrong: they are for tests.

use std::time::Duration;

use tickstate_server::game::star_collector;
use tickstate_server::{AdminListener, AdminToken, Game, Listeners, ServerConfig, ServerError, run};
use tickstate_shared::ConnectAuth;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::client::Client;
use crate::http_get::get_json;

/// A server running in this process until [`TestServer::stop`] (or until the test's runtime ends).
pub struct TestServer {
    /// The game port: the client, Socket.IO, `/healthz`, `/rooms`.
    pub base: String,
    /// The operator port: `/stats`, `/stats/clients`, `/metrics`.
    pub admin: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServerError>>>,
}

impl TestServer {
    /// Star Collector with the default config and seed 1.
    pub async fn start() -> Self {
        Self::start_with(ServerConfig {
            seed: Some(1),
            ..ServerConfig::default()
        })
        .await
    }

    /// Star Collector with `config`.
    pub async fn start_with(config: ServerConfig) -> Self {
        Self::start_with_game(config, star_collector()).await
    }

    /// `game` with `config`.
    pub async fn start_with_game(config: ServerConfig, game: Game) -> Self {
        Self::start_full(config, game, None).await
    }

    /// Star Collector whose operator endpoints want the bearer `token`.
    ///
    /// # Panics
    /// When `token` is not a usable admin token.
    pub async fn start_with_admin_token(config: ServerConfig, token: &str) -> Self {
        let token = AdminToken::new(token).expect("a usable admin token");
        Self::start_full(config, star_collector(), Some(token)).await
    }

    async fn start_full(config: ServerConfig, game: Game, token: Option<AdminToken>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the game port should bind");
        let base = format!("http://{}", listener.local_addr().expect("a bound address"));
        let admin_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the operator port should bind");
        let admin = format!("http://{}", admin_listener.local_addr().expect("a bound address"));
        let admin_listener = AdminListener::new(admin_listener, token).expect("a loopback operator listener");
        let listeners = Listeners::new(listener).with_admin(admin_listener);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(listeners, config, game, async move {
            let _ = stopped.await;
        }));
        Self {
            base,
            admin,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Connects a client named `name`.
    ///
    /// # Panics
    /// When the client cannot connect.
    pub async fn connect(&self, name: &str) -> Client {
        Client::connect(&self.base, &ConnectAuth::named(name))
            .await
            .expect("client should connect")
    }

    /// `/stats` from the operator port.
    pub async fn stats(&self) -> serde_json::Value {
        get_json(&format!("{}/stats", self.admin)).await
    }

    /// Stops the server and waits until `run` returns.
    ///
    /// # Errors
    /// What `run` returned.
    ///
    /// # Panics
    /// When the server does not stop within 10 s, or its task panicked.
    pub async fn stop(mut self) -> Result<(), ServerError> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let task = self.task.take().expect("the server task is taken only by stop");
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("server should stop within 10 s")
            .expect("the server task should not panic")
    }

    /// Asserts the server is alive and a fresh client can join and get snapshots.
    ///
    /// # Panics
    /// When it is not.
    pub async fn assert_live(&self) {
        let mut c = self.connect("probe").await;
        c.next_snapshot(Duration::from_secs(2))
            .await
            .expect("a fresh client should get snapshots");
        c.sender.disconnect().await;
    }
}

/// Waits until `/stats` satisfies `pred` (for at most 5 s) and returns it.
///
/// # Panics
/// When it does not in time, naming `what` and showing the last `/stats`.
pub async fn wait_stats(
    server: &TestServer,
    what: &str,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let s = server.stats().await;
        if pred(&s) {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "stats should show {what} within 5 s; last: {s:#}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
