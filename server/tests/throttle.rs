//! F2: a throttled link. The client keeps getting the freshest snapshots at a lower rate, is not
//! disconnected, and converges when the throttle lifts.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use glam::Vec2;
use tickstate_server::ServerConfig;
use tickstate_server::config::ConnLimits;
use tickstate_server::prelude::*;
use tickstate_shared::{ConnectAuth, InputMsg};
use tickstate_testkit::TestServer;
use tickstate_testkit::client::{Client, Event};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};

/// 300 static entities, so a snapshot is about 2 KiB and a slow link is easy to fill.
struct Crowded;

impl GameRules for Crowded {
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        let star = ctx.schema().kind(3).expect("kind 3 is declared");
        for i in 0..300 {
            let _ = ctx.world_mut().spawn(
                star,
                Vec2::new(20.0 + (i % 30) as f32 * 50.0, 20.0 + (i / 30) as f32 * 80.0),
                2.0,
            );
        }
    }
    fn on_join(&mut self, ctx: &mut Ctx<'_>, _: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
        Some(Spawn::at(ctx.schema().kind(1)?, Vec2::new(800.0, 450.0)))
    }
}

/// A TCP proxy whose server-to-client direction is limited to `rate` bytes per second (0 = no
/// limit), with small buffers so that the limit pushes back on the server quickly.
async fn throttling_proxy(upstream: std::net::SocketAddr, rate: Arc<AtomicU64>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((down, _)) = listener.accept().await {
            let rate = rate.clone();
            tokio::spawn(async move {
                let sock = TcpSocket::new_v4().unwrap();
                sock.set_recv_buffer_size(4096).unwrap();
                let up = sock.connect(upstream).await.unwrap();
                down.set_nodelay(true).unwrap();
                up.set_nodelay(true).unwrap();
                let (mut up_r, mut up_w) = up.into_split();
                let (mut down_r, mut down_w) = down.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut down_r, &mut up_w).await;
                });
                let mut buf = vec![0u8; 512];
                loop {
                    let n = match up_r.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let r = rate.load(Relaxed);
                    if r > 0 {
                        tokio::time::sleep(Duration::from_secs_f64(n as f64 / r as f64)).await;
                    }
                    if down_w.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// Snapshots received in `window` and the lag of the last one behind the server's tick counter.
async fn watch(c: &mut Client, window: Duration) -> (u32, Option<u32>, bool) {
    let end = tokio::time::Instant::now() + window;
    let (mut n, mut last, mut disconnected) = (0, None, false);
    while let Ok(Some(ev)) = tokio::time::timeout_at(end, c.events.recv()).await {
        match ev {
            Event::Snapshot { snapshot, .. } => {
                n += 1;
                last = Some(snapshot.tick);
            }
            Event::Disconnected { .. } => disconnected = true,
            _ => {}
        }
    }
    (n, last, disconnected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_a_throttled_client_gets_fresh_snapshots_at_a_lower_rate_and_recovers() {
    let config = ServerConfig {
        limits: ConnLimits {
            send_buffer_bytes: 4096,
            ..ConnLimits::default()
        },
        ..ServerConfig::default()
    };
    let rules = common::ship_game(|_: &str| Crowded);
    let server = TestServer::start_with_game(config, rules).await;
    let upstream: std::net::SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let rate = Arc::new(AtomicU64::new(0));
    let proxy = throttling_proxy(upstream, rate.clone()).await;
    let mut c = Client::connect(&format!("http://{proxy}"), &ConnectAuth::default())
        .await
        .unwrap();
    let (free, _, _) = watch(&mut c, Duration::from_secs(1)).await;
    assert!(free >= 25, "unthrottled: ~30 snapshots/s, got {free}");

    // Throttle to 12 KB/s: a third of the ~60 KB/s the snapshots need.
    rate.store(12_000, Relaxed);
    let (slow, last, disconnected) = watch(&mut c, Duration::from_secs(4)).await;
    assert!(!disconnected, "a slow link is not disconnected");
    let per_s = slow as f64 / 4.0;
    assert!(
        (2.0..20.0).contains(&per_s),
        "throttled: fewer snapshots, but some ({per_s}/s)"
    );
    // Fresh, not queued: the last one received is close to the server's current tick.
    let now = server.stats().await["ticks"].as_u64().unwrap() as i64;
    let lag = now - i64::from(last.unwrap());
    eprintln!("throttled: {per_s}/s, lag {lag} ticks");
    assert!(
        lag < 120,
        "the newest snapshot should be at most ~2 s old, it is {lag} ticks behind"
    );

    // Lift the throttle: back to the full rate, and a new input is acknowledged promptly.
    rate.store(0, Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (back, _, _) = watch(&mut c, Duration::from_secs(1)).await;
    assert!(back >= 25, "after the throttle: ~30 snapshots/s again, got {back}");
    c.sender.input(InputMsg::new(1, 1.0, 0.0, 0)).await.unwrap();
    let sent = std::time::Instant::now();
    c.wait_for(Duration::from_secs(1), "ack 1", |e| match e {
        Event::Snapshot { snapshot, .. } if snapshot.ack == 1 => Some(()),
        _ => None,
    })
    .await
    .unwrap();
    assert!(
        sent.elapsed() < Duration::from_millis(300),
        "acked after {:?}",
        sent.elapsed()
    );
    server.stop().await.unwrap();
}
