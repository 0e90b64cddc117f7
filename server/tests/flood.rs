//! B8, B10: input floods and sequence games. Excess is dropped as `rate`, sustained abuse is
//! disconnected, and nobody moves faster than max speed.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tickstate_shared::InputMsg;
use tickstate_shared::protocol::Bye;
use tickstate_shared::snapshot::Quantizer;
use tickstate_testkit::client::{Event, from_value};
use tickstate_testkit::{TestServer, snapshots_in, wait_stats};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b8_a_sustained_flood_is_dropped_then_disconnected() {
    let server = TestServer::start().await;
    let mut healthy = server.connect("healthy").await;
    let mut flood = server.connect("flood").await;
    let w = flood.welcome.clone();
    let qz = Quantizer::new(w.world.width, w.world.height);
    let start = flood.next_snapshot(Duration::from_secs(2)).await.unwrap();
    let me = |s: &tickstate_shared::Snapshot| {
        let r = s.entities.iter().find(|e| e.head.id == w.id).unwrap();
        qz.dequantize(r.head.x, r.head.y)
    };
    let p0 = me(&start);
    // 1,000 inputs per second, moving up, for up to 3 s (stops when disconnected).
    let sender = flood.sender.clone();
    let feeder = tokio::spawn(async move {
        let mut seq = 0u32;
        let mut iv = tokio::time::interval(Duration::from_millis(10));
        for _ in 0..300 {
            iv.tick().await;
            for _ in 0..10 {
                seq += 1;
                if sender.input(InputMsg::new(seq, 0.0, -1.0, 0)).await.is_err() {
                    return seq;
                }
            }
        }
        seq
    });
    // Meanwhile, the healthy client keeps at least 80% of its snapshot rate.
    let n = snapshots_in(&mut healthy, Duration::from_secs(1)).await;
    assert!(n >= 24, "healthy client got {n} snapshots in 1 s during the flood");
    // The flooder is told why and disconnected.
    let mut last_pos = p0;
    let bye = flood
        .wait_for(Duration::from_secs(5), "bye", |e| match e {
            Event::Message { event, data, .. } if event == "bye" => Some(from_value::<Bye>(data).unwrap()),
            Event::Snapshot { snapshot, .. } => {
                last_pos = me(snapshot);
                None
            }
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(bye.reason, tickstate_shared::ByeReason::Abuse);
    feeder.abort();
    let s = wait_stats(&server, "the flooder gone", |s| {
        s["players"] == 1 && s["disconnects"]["abuse"] == 1
    })
    .await;
    let dropped_rate = s["inputs"]["dropped_by_reason"]["rate"].as_u64().unwrap();
    assert!(
        dropped_rate > 500,
        "excess inputs should be dropped as rate, got {dropped_rate}"
    );
    // Distance: applied inputs are bounded by the rate (75/s + burst 30), each one step.
    let applied = s["inputs"]["applied"].as_u64().unwrap() as f32;
    let moved = p0.1 - last_pos.1;
    assert!(
        moved <= applied * w.movement.max_speed * w.movement.dt + 0.1,
        "moved {moved} with {applied} applied inputs"
    );
    assert!(
        applied < 75.0 * 3.0 + 30.0,
        "at most the rate's worth of inputs is applied, got {applied}"
    );
    server.assert_live().await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b8_a_single_burst_is_trimmed_but_not_punished() {
    let server = TestServer::start().await;
    let mut c = server.connect("bursty").await;
    for seq in 1..=500u32 {
        c.sender.input(InputMsg::new(seq, 1.0, 0.0, 0)).await.unwrap();
    }
    let s = wait_stats(&server, "500 inputs accounted for", |s| {
        s["inputs"]["received"] == 500 && s["inputs"]["in_flight"] == 0
    })
    .await;
    let rate = s["inputs"]["dropped_by_reason"]["rate"].as_u64().unwrap();
    assert!(
        (400..=480).contains(&rate),
        "all but about a burst (30) should be dropped, got {rate}"
    );
    let applied_then = s["inputs"]["applied"].as_u64().unwrap();
    // At most 3 applied per tick: the burst takes several ticks to apply.
    assert!(applied_then <= 100);
    // Still connected: snapshots keep coming and nothing says bye.
    let n = snapshots_in(&mut c, Duration::from_millis(300)).await;
    assert!(n >= 5, "still connected");
    assert_eq!(server.stats().await["disconnects"]["abuse"], 0);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b10_replays_jumps_and_wraparound() {
    let server = TestServer::start().await;
    let mut c = server.connect("seq").await;
    let send = |seq: u32| {
        let s = c.sender.clone();
        async move { s.input(InputMsg::new(seq, 1.0, 0.0, 0)).await.unwrap() }
    };
    // Start near the top of u32, wrap, then replay old ones and jump by 2^31.
    for seq in [u32::MAX - 2, u32::MAX - 1, u32::MAX, 0, 1, 2] {
        send(seq).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for seq in [u32::MAX, 1, 2, 2 + (1 << 31)] {
        send(seq).await;
    }
    let s = wait_stats(&server, "10 inputs accounted for", |s| {
        s["inputs"]["received"] == 10 && s["inputs"]["in_flight"] == 0
    })
    .await;
    assert_eq!(s["inputs"]["applied"], 6);
    assert_eq!(s["inputs"]["dropped_by_reason"]["replay"], 4);
    let ack = c
        .wait_for(Duration::from_secs(2), "ack 2", |e| match e {
            Event::Snapshot { snapshot, .. } if snapshot.ack == 2 => Some(2),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(ack, 2);
    server.stop().await.unwrap();
}
