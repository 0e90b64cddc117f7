//! L3: a tick that costs twice its budget for a while never builds a backlog, counts what it
//! skipped, applies no input twice, and the loop is back on rate right after.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use glam::Vec2;
use tickstate_server::ServerConfig;
use tickstate_server::prelude::*;
use tickstate_shared::InputMsg;
use tickstate_testkit::client::Event;
use tickstate_testkit::{TestServer, wait_stats};

struct Heavy(Arc<AtomicBool>);

impl GameRules for Heavy {
    fn on_join(&mut self, ctx: &mut Ctx<'_>, _: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
        Some(Spawn::at(ctx.schema().kind(1)?, Vec2::new(800.0, 450.0)))
    }
    fn tick(&mut self, _: &mut Ctx<'_>, _: &[PlayerInput]) {
        if self.0.load(SeqCst) {
            // Twice the 16.7 ms budget of a 60 Hz tick.
            std::thread::sleep(Duration::from_millis(33));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l3_overload_skips_ticks_and_recovers() {
    let heavy = Arc::new(AtomicBool::new(false));
    let flag = heavy.clone();
    let rules = common::ship_game(move |_: &str| Heavy(flag.clone()));
    let server = TestServer::start_with_game(ServerConfig::default(), rules).await;
    let mut c = server.connect("p").await;
    let sender = c.sender.clone();
    let feeder = tokio::spawn(async move {
        let mut iv = tokio::time::interval(Duration::from_millis(16));
        for seq in 1..=150u32 {
            iv.tick().await;
            sender.input(InputMsg::new(seq, 0.0, 0.0, 0)).await.unwrap();
        }
    });
    let before = server.stats().await;
    heavy.store(true, SeqCst);
    // Watch snapshot ticks: strictly increasing the whole time.
    let mut ticks = Vec::new();
    let end = tokio::time::Instant::now() + Duration::from_millis(1500);
    while let Ok(Some(ev)) = tokio::time::timeout_at(end, c.events.recv()).await {
        if let Event::Snapshot { snapshot, .. } = ev {
            ticks.push(snapshot.tick);
        }
    }
    heavy.store(false, SeqCst);
    let during = server.stats().await;
    assert!(
        ticks.windows(2).all(|w| w[1] > w[0]),
        "snapshot ticks should strictly increase"
    );
    let skipped =
        during["rooms"][0]["skipped_ticks"].as_u64().unwrap() - before["rooms"][0]["skipped_ticks"].as_u64().unwrap();
    let overruns = during["tick_overruns"].as_u64().unwrap();
    assert!(skipped > 0, "an overloaded loop skips ticks instead of queueing them");
    assert!(overruns > 0, "overruns are counted");
    // Recovery: within a second the loop runs at 60 Hz again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let a = server.stats().await["ticks"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let b = server.stats().await["ticks"].as_u64().unwrap();
    assert!(
        (54..=66).contains(&(b - a)),
        "back to ~60 ticks/s after the overload, got {}",
        b - a
    );
    feeder.await.unwrap();
    // No input applied twice: everything accounted for, applied <= sent.
    let s = wait_stats(&server, "150 inputs accounted for", |s| {
        s["inputs"]["received"] == 150 && s["inputs"]["in_flight"] == 0
    })
    .await;
    assert_eq!(
        s["inputs"]["applied"].as_u64().unwrap()
            + s["inputs"]["dropped"].as_u64().unwrap()
            + s["inputs"]["rejected"].as_u64().unwrap(),
        150
    );
    assert_eq!(s["inputs"]["dropped_by_reason"]["replay"], 0);
    server.stop().await.unwrap();
}
