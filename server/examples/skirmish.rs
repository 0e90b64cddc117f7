//! **Test fixture**, not a demo: hosts the Skirmish shooter of `server/tests/common/skirmish.rs`
//! (the game stays written in the test file, against the public prelude) for the client's Node
//! compatibility test `client-phaser/tests/compat/skirmish.test.mjs`.
//!
//! It takes the flags `client-phaser/tests/support/server.mjs` passes, like `tickstate` does:
//! `--bind ADDR` (default 127.0.0.1:0), `--admin-bind ADDR|off` (default 127.0.0.1:0, loopback
//! only) and `--seed N`; it prints `listening on http://ADDR` and then
//! `admin listening on http://ADDR` (or `admin off`) on stdout, and stops on SIGTERM or ctrl-c.
//!
//! `cargo build -p tickstate-server --example skirmish` → `target/debug/examples/skirmish`.

#[path = "../tests/common/skirmish.rs"]
mod skirmish;

use std::io::Write;
use std::net::SocketAddr;

use anyhow::{Context, bail};
use tickstate_server::{AdminListener, Listeners, ServerConfig, run};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let (mut bind, mut admin_bind, mut seed): (SocketAddr, Option<SocketAddr>, Option<u64>) =
        (([127, 0, 0, 1], 0).into(), Some(([127, 0, 0, 1], 0).into()), None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bind" => bind = value()?.parse().context("--bind")?,
            "--admin-bind" => {
                let v = value()?;
                admin_bind = if v == "off" {
                    None
                } else {
                    Some(v.parse().context("--admin-bind")?)
                };
            }
            "--seed" => seed = Some(value()?.parse().context("--seed")?),
            other => bail!("unknown argument {other:?} (this fixture takes --bind, --admin-bind, --seed)"),
        }
    }
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("--bind {bind}"))?;
    let mut lines = format!("listening on http://{}\n", listener.local_addr()?);
    let mut listeners = Listeners::new(listener);
    match admin_bind {
        Some(a) => {
            let admin = AdminListener::new(TcpListener::bind(a).await?, None).context("--admin-bind")?;
            lines.push_str(&format!("admin listening on http://{}\n", admin.local_addr()?));
            listeners = listeners.with_admin(admin);
        }
        None => lines.push_str("admin off\n"),
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(lines.as_bytes())?;
    stdout.flush()?;
    drop(stdout);
    let config = ServerConfig {
        seed,
        ..ServerConfig::default()
    };
    run(listeners, config, skirmish::skirmish(), stopped()).await?;
    Ok(())
}

/// SIGTERM (how the Node tests stop it) or ctrl-c.
async fn stopped() {
    #[cfg(unix)]
    {
        let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
