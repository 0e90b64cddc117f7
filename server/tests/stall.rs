//! F1, F3: a client that stops reading and a peer that goes silent are detected and dropped with
//! the right reason, while the others play on.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{Raw, TestServer, snapshots_in, wait_stats};
use tickstate_server::ServerConfig;
use tickstate_server::client::{Event, from_value};
use tickstate_shared::protocol::Left;

fn config() -> ServerConfig {
    ServerConfig {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(300),
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
    let s = wait_stats(&server, "5 slow consumers dropped", |s| {
        s["disconnects"]["slow_consumer"] == 5
    })
    .await;
    assert_eq!(s["players"], 1);
    let rss = s["process"]["rss_bytes"].as_u64().unwrap();
    assert!(rss < 200 << 20, "server memory stays bounded ({rss} bytes)");
    drop(writer.await);
    server.assert_live().await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f3_a_silent_peer_is_detected_within_ping_interval_plus_timeout() {
    let server = TestServer::start_with(config()).await;
    let mut watcher = server.connect("watcher").await;
    let silent = Raw::joined(&server.base).await;
    let started = std::time::Instant::now();
    // The silent peer neither reads nor writes from now on.
    let left = watcher
        .wait_for(Duration::from_secs(3), "left", |e| match e {
            Event::Message { event, data } if event == "left" => Some(from_value::<Left>(data).unwrap()),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(left.reason, "timeout");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "detected after {:?}",
        started.elapsed()
    );
    let s = wait_stats(&server, "one heartbeat timeout", |s| {
        s["disconnects"]["heartbeat_timeout"] == 1
    })
    .await;
    assert_eq!(s["players"], 1, "the leave is handled once");
    drop(silent);
    server.stop().await.unwrap();
}
