//! `tickstate`: runs the Tickstate server with the Star Collector demo game.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use tickstate_server::game::StarCollector;
use tickstate_server::{ServerConfig, rules_of, run};
use tracing_subscriber::EnvFilter;

/// Authoritative game-state server for Phaser games (serves the Star Collector demo).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on (use 127.0.0.1:0 for any free port; the chosen address is printed).
    #[arg(long, env = "TICKSTATE_BIND", default_value = "0.0.0.0:3000")]
    bind: SocketAddr,
    /// Simulation ticks per second [default: the game's, 60 for Star Collector].
    #[arg(long, env = "TICKSTATE_TICK_RATE", value_parser = clap::value_parser!(u32).range(1..=1000))]
    tick_rate: Option<u32>,
    /// Snapshots per second, at most the tick rate [default: the game's, 30 for Star Collector].
    #[arg(long, env = "TICKSTATE_SNAPSHOT_RATE", value_parser = clap::value_parser!(u32).range(1..=1000))]
    snapshot_rate: Option<u32>,
    /// Folder with the built Phaser client, served at `/`.
    #[arg(long, env = "TICKSTATE_CLIENT_DIR", default_value = "client-phaser/dist")]
    client_dir: PathBuf,
    /// Seed for the rooms' random numbers (for reproducible runs).
    #[arg(long, env = "TICKSTATE_SEED")]
    seed: Option<u64>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    if let (Some(t), Some(s)) = (args.tick_rate, args.snapshot_rate) {
        anyhow::ensure!(s <= t, "--snapshot-rate ({s}) cannot be higher than --tick-rate ({t})");
    }
    let config = ServerConfig {
        tick_rate: args.tick_rate,
        snapshot_rate: args.snapshot_rate,
        client_dir: args.client_dir,
        seed: args.seed,
        ..ServerConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    if !config.client_dir.join("index.html").exists() {
        tracing::warn!(dir = %config.client_dir.display(), "Phaser client not built; `/` shows how to build it");
    }
    // The first stdout line is the address, for scripts and tests that bind port 0.
    println!("listening on http://{addr}");
    std::io::stdout().flush()?;
    tracing::info!(%addr, "tickstate listening");
    run(listener, config, rules_of::<StarCollector>(), shutdown_signal()).await?;
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
