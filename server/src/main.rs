//! `tickstate`: runs the Tickstate server with one of the built-in games (`--game`), or writes the
//! TypeScript generated from the games' definitions (`tickstate codegen`).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tickstate_server::auth::jwt::HmacJwt;
use tickstate_server::config::{AuthConfig, ConnLimits, InputPolicy, MessagePolicy};
use tickstate_server::{AdminListener, AdminToken, Listeners, ServerConfig, check_admin_addr, codegen, game, run};
use tracing_subscriber::EnvFilter;

/// Authoritative game-state server for Phaser games.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// The game to host.
    #[arg(long, env = "TICKSTATE_GAME", default_value = "star_collector", value_parser = clap::builder::PossibleValuesParser::new(game::NAMES))]
    game: String,
    /// Arena: the furthest back a rail shot is tested for lag compensation, in milliseconds
    /// (0 = no lag compensation). An older `view_tick` is tested at this cap and counted.
    #[arg(long, env = "TICKSTATE_MAX_REWIND_MS", default_value_t = 200, value_parser = clap::value_parser!(u64).range(0..=1000))]
    max_rewind_ms: u64,
    /// Arena: how much position history each room keeps for lag compensation, in milliseconds
    /// (at least --max-rewind-ms).
    #[arg(long, env = "TICKSTATE_LAG_HISTORY_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(100..=10_000))]
    lag_history_ms: u64,
    /// Require players to present an HMAC-SHA256 JWT (`auth.credential`) signed with this secret
    /// (at least 32 bytes; prefer the environment variable, so it does not show in `ps`).
    #[arg(long, env = "TICKSTATE_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Game messages (chat, …) per second a client may send.
    #[arg(long, env = "TICKSTATE_MESSAGE_RATE", default_value_t = 20.0)]
    message_rate: f64,
    /// Game messages a client may send at once beyond the rate.
    #[arg(long, env = "TICKSTATE_MESSAGE_BURST", default_value_t = 20.0)]
    message_burst: f64,
    /// Address to listen on (use 127.0.0.1:0 for any free port; the chosen address is printed).
    #[arg(long, env = "TICKSTATE_BIND", default_value = "0.0.0.0:3000")]
    bind: SocketAddr,
    /// Address of the operator endpoints (/stats, /stats/clients, /metrics), or `off`. Without
    /// --admin-token it must be a loopback address. Its address is the second stdout line.
    #[arg(long, env = "TICKSTATE_ADMIN_BIND", default_value = "127.0.0.1:9100", value_parser = parse_admin_bind)]
    admin_bind: AdminBind,
    /// Bearer token the operator endpoints require (at least 16 visible ASCII characters, e.g.
    /// `openssl rand -hex 32`); prefer the environment variable, which `ps` does not show.
    #[arg(long, env = "TICKSTATE_ADMIN_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    admin_token: Option<Secret>,
    /// Simulation ticks per second [default: the game's, 60 for Star Collector].
    #[arg(long, env = "TICKSTATE_TICK_RATE", value_parser = clap::value_parser!(u32).range(1..=1000))]
    tick_rate: Option<u32>,
    /// Snapshots per second, at most the tick rate [default: the game's, 30 for Star Collector].
    #[arg(long, env = "TICKSTATE_SNAPSHOT_RATE", value_parser = clap::value_parser!(u32).range(1..=1000))]
    snapshot_rate: Option<u32>,
    /// Players per room [default: the game's, 16 for Star Collector].
    #[arg(long, env = "TICKSTATE_MAX_PLAYERS")]
    max_players: Option<usize>,
    /// Rooms that may exist at once (0 = unlimited).
    #[arg(long, env = "TICKSTATE_MAX_ROOMS", default_value_t = 100)]
    max_rooms: usize,
    /// Threads that step the rooms, each room on its own deadline (0 = one per core).
    #[arg(long, env = "TICKSTATE_TICK_WORKERS", default_value_t = 0)]
    tick_workers: usize,
    /// How long a dropped player's seat and entity are held for it to resume, in milliseconds (0 = not held).
    #[arg(long, env = "TICKSTATE_SESSION_HOLD_MS", default_value_t = 20_000)]
    session_hold_ms: u64,
    /// How long an empty room lives before it is disposed of, in milliseconds (0 = never).
    #[arg(long, env = "TICKSTATE_ROOM_IDLE_MS", default_value_t = 30_000)]
    room_idle_ms: u64,
    /// Folder with the built Phaser client, served at `/`.
    #[arg(long, env = "TICKSTATE_CLIENT_DIR", default_value = "client-phaser/dist")]
    client_dir: PathBuf,
    /// Seed for the rooms' random numbers (for reproducible runs).
    #[arg(long, env = "TICKSTATE_SEED")]
    seed: Option<u64>,
    /// Open connections in total (0 = unlimited).
    #[arg(long, env = "TICKSTATE_MAX_CONNS", default_value_t = 10_000)]
    max_conns: usize,
    /// Open connections from one IP address (0 = unlimited). Behind a proxy every client has the
    /// proxy's address: raise or disable this there.
    #[arg(long, env = "TICKSTATE_MAX_CONNS_PER_IP", default_value_t = 256)]
    max_conns_per_ip: usize,
    /// New connections per second from one IP address, with a burst of twice as many (0 = unlimited).
    #[arg(long, env = "TICKSTATE_CONN_RATE_PER_IP", default_value_t = 50.0)]
    conn_rate_per_ip: f64,
    /// Comma-separated `Origin` values allowed to open Socket.IO connections (default: any).
    #[arg(long, env = "TICKSTATE_ALLOWED_ORIGINS", value_delimiter = ',')]
    allowed_origins: Vec<String>,
    /// Inputs per second a client may send [default: 1.25 x the tick rate].
    #[arg(long, env = "TICKSTATE_INPUT_RATE")]
    input_rate: Option<f64>,
    /// Inputs a client may send at once beyond the rate [default: half the tick rate].
    #[arg(long, env = "TICKSTATE_INPUT_BURST")]
    input_burst: Option<f64>,
    /// Largest WebSocket message (and frame, and long-polling request body) accepted from a
    /// client, in bytes.
    #[arg(long, env = "TICKSTATE_MAX_MESSAGE_BYTES", default_value_t = 4096)]
    max_message_bytes: usize,
    /// Refuse HTTP long-polling: only clients with `transports: ["websocket"]` can connect.
    #[arg(long, env = "TICKSTATE_NO_POLLING")]
    no_polling: bool,
    /// Engine.IO ping interval in milliseconds.
    #[arg(long, env = "TICKSTATE_PING_INTERVAL_MS", default_value_t = 5000)]
    ping_interval_ms: u64,
    /// Engine.IO ping timeout in milliseconds (a peer is dropped after interval + timeout).
    #[arg(long, env = "TICKSTATE_PING_TIMEOUT_MS", default_value_t = 5000)]
    ping_timeout_ms: u64,
    /// Time allowed between the WebSocket upgrade and the Socket.IO CONNECT, in milliseconds.
    #[arg(long, env = "TICKSTATE_CONNECT_TIMEOUT_MS", default_value_t = 5000)]
    connect_timeout_ms: u64,
    /// Time allowed to send a request's headers, the WebSocket upgrade included, in milliseconds.
    #[arg(long, env = "TICKSTATE_HEADER_TIMEOUT_MS", default_value_t = 5000)]
    header_timeout_ms: u64,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Writes the TypeScript generated from the Rust definitions: the SDK's vocabulary and each
    /// built-in game's schema file.
    Codegen {
        /// The client folder to write into.
        #[arg(long, default_value = "client-phaser")]
        out: PathBuf,
        /// Only check that the files are up to date (exit 1 when one is stale).
        #[arg(long)]
        check: bool,
    },
}

fn write_codegen(out: &std::path::Path, check: bool) -> anyhow::Result<()> {
    let mut files = vec![(out.join("sdk/src/generated/vocabulary.ts"), codegen::vocabulary_ts())];
    for name in game::NAMES {
        let g = game::by_name(name).context("a listed game should exist")?;
        let dir = name.replace('_', "-");
        files.push((
            out.join(format!("src/games/{dir}/schema.generated.ts")),
            codegen::game_ts(&g),
        ));
    }
    let mut stale = Vec::new();
    for (path, text) in files {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == text {
            continue;
        }
        if check {
            stale.push(path.display().to_string());
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    anyhow::ensure!(
        stale.is_empty(),
        "stale generated files (run `tickstate codegen`): {}",
        stale.join(", ")
    );
    Ok(())
}

/// The games' settings from the flags.
fn game_options(args: &Args) -> anyhow::Result<game::GameOptions> {
    anyhow::ensure!(
        args.lag_history_ms >= args.max_rewind_ms,
        "--lag-history-ms ({}) must be at least --max-rewind-ms ({})",
        args.lag_history_ms,
        args.max_rewind_ms
    );
    Ok(game::GameOptions {
        arena: game::ArenaConfig {
            max_rewind: Duration::from_millis(args.max_rewind_ms),
            lag_history: Duration::from_millis(args.lag_history_ms),
            ..game::ArenaConfig::default()
        },
    })
}

/// `--admin-bind`: an address, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AdminBind {
    Off,
    Addr(SocketAddr),
}

fn parse_admin_bind(s: &str) -> Result<AdminBind, String> {
    if s.trim().eq_ignore_ascii_case("off") {
        return Ok(AdminBind::Off);
    }
    s.trim()
        .parse()
        .map(AdminBind::Addr)
        .map_err(|_| format!("`{s}` is neither an address like 127.0.0.1:9100 nor `off`"))
}

/// A secret from the command line or the environment: never printed, not even by `Debug`, and
/// not validated by clap (whose error would repeat it).
#[derive(Clone)]
struct Secret(String);

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(Command::Codegen { out, check }) = &args.command {
        return write_codegen(out, *check);
    }
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    if let (Some(t), Some(s)) = (args.tick_rate, args.snapshot_rate) {
        anyhow::ensure!(s <= t, "--snapshot-rate ({s}) cannot be higher than --tick-rate ({t})");
    }
    let options = game_options(&args)?;
    let defaults = ServerConfig::default();
    let config = ServerConfig {
        tick_rate: args.tick_rate,
        snapshot_rate: args.snapshot_rate,
        client_dir: args.client_dir,
        max_players: args.max_players,
        max_rooms: args.max_rooms,
        tick_workers: args.tick_workers,
        session_hold: Duration::from_millis(args.session_hold_ms),
        room_idle: Duration::from_millis(args.room_idle_ms),
        seed: args.seed,
        max_message_bytes: args.max_message_bytes.max(256),
        polling: !args.no_polling,
        ping_interval: Duration::from_millis(args.ping_interval_ms.max(100)),
        ping_timeout: Duration::from_millis(args.ping_timeout_ms.max(100)),
        connect_timeout: Duration::from_millis(args.connect_timeout_ms.max(100)),
        limits: ConnLimits {
            header_read_timeout: Duration::from_millis(args.header_timeout_ms.max(100)),
            max_connections: args.max_conns,
            max_per_ip: args.max_conns_per_ip,
            rate_per_ip: args.conn_rate_per_ip,
            burst_per_ip: args.conn_rate_per_ip * 2.0,
            allowed_origins: args.allowed_origins.into_iter().filter(|o| !o.is_empty()).collect(),
            ..defaults.limits.clone()
        },
        inputs: InputPolicy {
            rate: args.input_rate,
            burst: args.input_burst,
            ..defaults.inputs
        },
        messages: MessagePolicy {
            rate: args.message_rate.max(0.0),
            burst: args.message_burst.max(0.0),
        },
        auth: match args.jwt_secret.as_deref() {
            Some(secret) => AuthConfig(Some(std::sync::Arc::new(
                HmacJwt::hs256(secret.as_bytes()).context("--jwt-secret")?,
            ))),
            None => AuthConfig(None),
        },
        ..defaults
    };
    // An empty token (e.g. `TICKSTATE_ADMIN_TOKEN=`) is no token.
    let token = match args.admin_token.filter(|t| !t.0.is_empty()) {
        Some(t) => Some(AdminToken::new(t.0).context("--admin-token (TICKSTATE_ADMIN_TOKEN)")?),
        None => None,
    };
    // Refuse an open operator address before anything is bound.
    if let AdminBind::Addr(a) = args.admin_bind {
        check_admin_addr(a, token.as_ref()).context("refusing to start")?;
    } else if token.is_some() {
        tracing::warn!("--admin-token is ignored: the operator endpoints are off (--admin-bind off)");
    }
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {} (--bind)", args.bind))?;
    let addr = listener.local_addr()?;
    let admin = match args.admin_bind {
        AdminBind::Off => None,
        AdminBind::Addr(a) => {
            let l = tokio::net::TcpListener::bind(a).await.with_context(|| {
                format!(
                    "cannot listen on {a} for the operator endpoints (--admin-bind); pick another address \
                     or turn them off with --admin-bind off"
                )
            })?;
            Some(AdminListener::new(l, token).context("refusing to start")?)
        }
    };
    if !config.client_dir.join("index.html").exists() {
        tracing::warn!(dir = %config.client_dir.display(), "Phaser client not built; `/` shows how to build it");
    }
    // The first stdout line is the game address and the second the operator address, for
    // scripts and tests that bind port 0. Both go out in one write, and a closed stdout (a reader
    // that took the first line and left) does not stop the server.
    let game = game::build(&args.game, &options).with_context(|| format!("unknown game {:?}", args.game))?;
    let mut lines = format!("listening on http://{addr}\n");
    tracing::info!(%addr, game = game.name(), "tickstate listening");
    let mut listeners = Listeners::new(listener);
    match admin {
        Some(admin) => {
            let admin_addr = admin.local_addr()?;
            lines.push_str(&format!("admin listening on http://{admin_addr}\n"));
            tracing::info!(addr = %admin_addr, token = admin.has_token(), "operator endpoints listening");
            listeners = listeners.with_admin(admin);
        }
        None => {
            lines.push_str("admin off\n");
            tracing::info!("operator endpoints off (--admin-bind off)");
        }
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(lines.as_bytes()).and_then(|()| stdout.flush()) {
        tracing::warn!(error = %e, "cannot print the addresses on stdout");
    }
    drop(stdout);
    run(listeners, config, game, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("ctrl-c received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_game_and_its_lag_compensation_flags_reach_the_game() {
        let args = Args::try_parse_from(["tickstate", "--game", "arena", "--max-rewind-ms", "150"]).unwrap();
        assert_eq!(args.game, "arena");
        let o = game_options(&args).unwrap();
        assert_eq!(o.arena.max_rewind, Duration::from_millis(150));
        assert_eq!(o.arena.lag_history, Duration::from_secs(1), "the default");
        assert_eq!(game::build(&args.game, &o).unwrap().name(), "arena");
        let args = Args::try_parse_from(["tickstate"]).unwrap();
        assert_eq!(args.game, "star_collector", "the default game");
        assert_eq!(
            game_options(&args).unwrap().arena.max_rewind,
            Duration::from_millis(200)
        );
        let short = Args::try_parse_from(["tickstate", "--max-rewind-ms", "500", "--lag-history-ms", "300"]).unwrap();
        assert!(game_options(&short).is_err(), "the history must cover the cap");
        assert!(Args::try_parse_from(["tickstate", "--game", "chess"]).is_err());
        assert!(Args::try_parse_from(["tickstate", "--max-rewind-ms", "5000"]).is_err());
    }
}
