//! F1, F3: a client that stops reading and a peer that goes silent are detected and dropped with
//! the right reason, while the others play on.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tickstate_server::ServerConfig;
use tickstate_shared::protocol::Left;
use tickstate_testkit::client::{Event, from_value};
use tickstate_testkit::{Raw, TestServer, snapshots_in, wait_stats};

fn config() -> ServerConfig {
    ServerConfig {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(300),
        session_hold: Duration::from_millis(800),
        ..ServerConfig::default()
    }
}

fn input(seq: u32) -> Vec<u8> {
    let mut data = Vec::new();
    let v = rmpv::Value::Array(vec![
        "input".into(),
        rmpv::Value::Array(vec![seq.into(), 0.into(), 0.into(), 0.into()]),
    ]);
    rmpv::encode::write_value(&mut data, &v).unwrap();
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f1_a_client_that_stops_reading_is_dropped_as_a_slow_consumer() {
    let server = TestServer::start_with(config()).await;
    let mut healthy = server.connect("healthy").await;
    let mut stalled = Vec::new();
    for _ in 0..5 {
        stalled.push(Raw::joined(&server.base).await);
    }
    // They keep sending inputs (so they are alive) but never read again.
    let writer = tokio::spawn(async move {
        for seq in 1..=150u32 {
            for r in &mut stalled {
                r.event_raw(&input(seq)).await;
            }
            tokio::time::sleep(Duration::from_millis(16)).await;
        }
        stalled
    });
    let n = snapshots_in(&mut healthy, Duration::from_secs(1)).await;
    assert!(n >= 24, "the healthy client keeps >= 80% of its snapshots ({n}/s)");
    wait_stats(&server, "5 slow consumers dropped", |s| {
        s["disconnects"]["slow_consumer"] == 5
    })
    .await;
    // Their seats are held for the hold period, then released.
    let s = wait_stats(&server, "held seats released", |s| s["players"] == 1).await;
    let rss = s["process"]["rss_bytes"].as_u64().unwrap();
    assert!(rss < 200 << 20, "server memory stays bounded ({rss} bytes)");
    drop(writer.await);
    server.assert_live().await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f3_a_silent_peer_is_detected_its_seat_held_then_released() {
    let server = TestServer::start_with(config()).await;
    let mut watcher = server.connect("watcher").await;
    let silent = Raw::joined(&server.base).await;
    let started = std::time::Instant::now();
    let id = watcher
        .wait_for(Duration::from_secs(2), "joined", |e| match e {
            Event::Message { event, data, .. } if event == "joined" => {
                Some(from_value::<tickstate_shared::protocol::PlayerInfo>(data).unwrap().id)
            }
            _ => None,
        })
        .await
        .unwrap();
    // The silent peer neither reads nor writes from now on. Within ping interval + timeout it is
    // detected; its entity stays, marked away (bit 7), with its last state.
    let away = watcher
        .wait_for(Duration::from_secs(2), "away", |e| match e {
            Event::Snapshot { snapshot, .. } => snapshot
                .entities
                .iter()
                .find(|r| r.head.id == id && r.head.away)
                .cloned(),
            _ => None,
        })
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "detected after {:?}",
        started.elapsed()
    );
    let s = wait_stats(&server, "one heartbeat timeout", |s| {
        s["disconnects"]["heartbeat_timeout"] == 1
    })
    .await;
    assert_eq!(s["players"], 2, "the seat is held");
    // After the hold period the player leaves, once.
    let left = watcher
        .wait_for(Duration::from_secs(3), "left", |e| match e {
            Event::Message { event, data, .. } if event == "left" => Some(from_value::<Left>(data).unwrap()),
            Event::Snapshot { snapshot, .. } => {
                if let Some(r) = snapshot.entities.iter().find(|r| r.head.id == id) {
                    assert_eq!(
                        (r.head.x, r.head.y),
                        (away.head.x, away.head.y),
                        "a held entity keeps its last state"
                    );
                }
                None
            }
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!((left.id, left.reason.as_str()), (id, "timeout"));
    let s = wait_stats(&server, "released", |s| s["players"] == 1).await;
    assert_eq!(s["disconnects"]["heartbeat_timeout"], 1, "the leave is handled once");
    drop(silent);
    server.stop().await.unwrap();
}
