//! L4 (scaled for CI): 150 clients receiving ~2 KiB snapshots at 30 Hz, 50 of which never read
//! what they are sent. Sending never blocks the tick: every reading client goes on receiving
//! snapshots (150 each, about 300 KiB, ticks strictly increasing) while the stalled sockets are
//! not read. A send that blocked would stop the room for everyone. (A short `socket_buffer` would
//! make the queues overflow sooner, but also starve a reading client's heartbeat on a busy machine.) How fast the room ticks meanwhile is not
//! asserted (it depends on how busy the machine is); timing figures (tick p99 with 500 clients,
//! release build) are the load harness's job: see BENCHMARKS.md.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use glam::Vec2;
use tickstate_server::ServerConfig;
use tickstate_server::prelude::*;
use tickstate_shared::ConnectAuth;
use tickstate_testkit::TestServer;
use tickstate_testkit::client::{Client, Event};

struct Big;

impl GameRules for Big {
    fn config(&self) -> RulesConfig {
        RulesConfig {
            max_players: 1000,
            ..RulesConfig::default()
        }
    }
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        let star = ctx.schema().kind(3).expect("kind 3 is declared");
        // 150 players + 150 static entities = 300 records, about 2.1 KiB per snapshot.
        for i in 0..150 {
            let _ = ctx.world_mut().spawn(
                star,
                Vec2::new(10.0 + (i % 30) as f32 * 50.0, 10.0 + (i / 30) as f32 * 150.0),
                1.0,
            );
        }
    }
    fn on_join(&mut self, ctx: &mut Ctx<'_>, _: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
        Some(Spawn::at(
            ctx.schema().kind(1)?,
            ctx.random_free_spot(8.0, 16).unwrap_or(Vec2::new(800.0, 450.0)),
        ))
    }
}

const CLIENTS: usize = 100;
const STALLED: usize = 50;
/// Snapshots each reading client must get (five seconds' worth at 30 Hz).
const WANT: u32 = 150;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l4_big_snapshots_to_many_clients_never_block_the_tick() {
    let rules = common::ship_game(|_: &str| Big);
    // All clients come from 127.0.0.1 at once: lift the per-IP connection rate.
    let limits = tickstate_server::config::ConnLimits {
        rate_per_ip: 0.0,
        ..Default::default()
    };
    let server = TestServer::start_with_game(
        ServerConfig {
            seed: Some(9),
            limits,
            ..ServerConfig::default()
        },
        rules,
    )
    .await;
    // Clients that join and then never read again.
    let mut stalled = Vec::new();
    for _ in 0..STALLED {
        stalled.push(tickstate_testkit::Raw::joined(&server.base).await);
    }
    let ticks_before = server.stats().await["ticks"].as_u64().unwrap();
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let base = server.base.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Client::connect(
                &base,
                &ConnectAuth {
                    name: Some(format!("b{i}")),
                    ..Default::default()
                },
            )
            .await
            .expect("every client connects");
            // Five seconds of snapshots at the nominal rate; however slow the machine, at most 60 s.
            let end = tokio::time::Instant::now() + Duration::from_secs(60);
            let (mut last, mut n, mut max_bytes) = (None::<u32>, 0u32, 0usize);
            while n < WANT {
                let Ok(Some(ev)) = tokio::time::timeout_at(end, c.events.recv()).await else {
                    panic!("client {i}: only {n} snapshots in 60 s: the room stopped sending");
                };
                match ev {
                    Event::Snapshot { snapshot, bytes, .. } => {
                        if let Some(l) = last {
                            assert!(snapshot.tick > l, "client {i}: tick {} after {l}", snapshot.tick);
                        }
                        last = Some(snapshot.tick);
                        n += 1;
                        max_bytes = max_bytes.max(bytes);
                    }
                    Event::Disconnected { reason } => panic!("client {i} disconnected: {reason}"),
                    _ => {}
                }
            }
            (n, max_bytes)
        }));
    }
    for t in tasks {
        let (n, max_bytes) = t.await.unwrap();
        assert_eq!(n, WANT, "every client gets its snapshots");
        assert!(max_bytes >= 2000, "snapshots should be about 2 KiB, got {max_bytes}");
    }
    let s = server.stats().await;
    assert_eq!(s["players"], CLIENTS + STALLED);
    // For the log: how fast the room ticked meanwhile (not asserted: it depends on the machine).
    let ticks = s["ticks"].as_u64().unwrap() - ticks_before;
    eprintln!(
        "{ticks} ticks in {:?}; tick p99 {} µs, lateness p99 {} µs, skipped {}, send buffers full {}",
        started.elapsed(),
        s["tick_duration_us"]["p99"],
        s["tick_lateness_us"]["p99"],
        s["rooms"][0]["skipped_ticks"],
        s["send_buffer_full"]
    );
    drop(stalled);
    server.stop().await.unwrap();
}
