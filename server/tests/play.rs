//! Two players in the real server: inputs move an entity, the other player sees it, acks advance,
//! leaving removes it.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tickstate_shared::InputMsg;
use tickstate_shared::protocol::{Left, PlayerInfo};
use tickstate_shared::snapshot::Quantizer;
use tickstate_testkit::client::{Event, from_value};
use tickstate_testkit::{TestServer, is_message};

const WAIT: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_player_sees_the_first_move_at_no_more_than_max_speed() {
    let server = TestServer::start().await;
    let mut a = server.connect("Ada").await;
    let mut b = server.connect("Bob").await;
    assert_ne!(a.welcome.id, b.welcome.id);
    assert!(
        b.welcome
            .players
            .iter()
            .any(|p| p.id == a.welcome.id && p.name == "Ada"),
        "welcome should list players already in the room"
    );
    // A learns that B joined.
    let joined = a
        .wait_for(WAIT, "joined", |e| match e {
            Event::Message { event, data, .. } if event == "joined" => Some(from_value::<PlayerInfo>(data).unwrap()),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!((joined.id, joined.name.as_str()), (b.welcome.id, "Bob"));

    let w = a.welcome.clone();
    let qz = Quantizer::new(w.world.width, w.world.height);
    let pos_in = |snap: &tickstate_shared::Snapshot, id: u16| {
        let r = snap
            .entities
            .iter()
            .find(|e| e.head.id == id)
            .expect("entity should be in the snapshot");
        qz.dequantize(r.head.x, r.head.y)
    };
    let first = b.next_snapshot(WAIT).await.unwrap();
    let start = pos_in(&first, w.id);

    // A sends 60 inputs at the tick rate, moving up.
    let sender = a.sender.clone();
    let feeder = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs_f32(w.movement.dt));
        for seq in 1..=60u32 {
            tick.tick().await;
            sender.input(InputMsg::new(seq, 0.0, -1.0, 0)).await.unwrap();
        }
    });
    // B watches A's entity; every observed displacement stays within max speed for the ticks elapsed.
    let max_step = w.movement.max_speed * w.movement.dt;
    let mut last = (first.tick, start);
    let mut moved = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
    while tokio::time::Instant::now() < deadline {
        let s = b.next_snapshot(WAIT).await.unwrap();
        let p = pos_in(&s, w.id);
        let ticks = s.tick.wrapping_sub(last.0) as f32;
        let dist = ((p.0 - last.1.0).powi(2) + (p.1 - last.1.1).powi(2)).sqrt();
        // An input is one step; at most 3 inputs apply per tick, but over the elapsed ticks the
        // distance cannot exceed one step per input sent in that time plus quantization error.
        assert!(dist <= ticks * max_step * 3.0 + 0.05, "moved {dist} in {ticks} ticks");
        if (p.1 - start.1).abs() > 1.0 {
            moved = true;
        }
        last = (s.tick, p);
        if (start.1 - p.1) >= 60.0 * max_step - 0.05 || p.1 <= w.movement.radius + 0.05 {
            break;
        }
    }
    feeder.await.unwrap();
    assert!(moved, "B should see A move");
    let total = start.1 - last.1.1;
    assert!(
        total <= 60.0 * max_step + 0.05,
        "60 inputs move at most 60 steps, moved {total}"
    );

    // A's snapshots acknowledge its inputs, up to the last one.
    let ack = a
        .wait_for(WAIT, "ack 60", |e| match e {
            Event::Snapshot { snapshot, .. } if snapshot.ack == 60 => Some(snapshot.ack),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(ack, 60);

    // A leaves: B is told and A's entity is gone from B's snapshots.
    a.sender.disconnect().await;
    let left = b
        .wait_for(WAIT, "left", |e| match e {
            Event::Message { event, data, .. } if event == "left" => Some(from_value::<Left>(data).unwrap()),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(left.id, w.id);
    let s = b.next_snapshot(WAIT).await.unwrap();
    assert!(
        s.entities.iter().all(|e| e.head.id != w.id),
        "A's entity should be gone"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ack_advances_with_every_applied_input() {
    let server = TestServer::start().await;
    let mut a = server.connect("Ada").await;
    let mut last_ack = 0;
    for seq in 1..=20u32 {
        a.sender.input(InputMsg::new(seq, 1.0, 0.0, 0)).await.unwrap();
        let ack = a
            .wait_for(WAIT, "ack", |e| match e {
                Event::Snapshot { snapshot, .. } if snapshot.ack >= seq => Some(snapshot.ack),
                _ => None,
            })
            .await
            .unwrap();
        assert!(ack >= last_ack, "acks should never go back");
        last_ack = ack;
    }
    assert_eq!(last_ack, 20);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_arrive_at_the_announced_rate() {
    let server = TestServer::start().await;
    let mut a = server.connect("Ada").await;
    let rate = a.welcome.snapshot_rate as f64;
    a.next_snapshot(WAIT).await.unwrap();
    let window = Duration::from_secs(2);
    let end = tokio::time::Instant::now() + window;
    let mut n = 0u32;
    let mut ticks = Vec::new();
    while tokio::time::Instant::now() < end {
        match tokio::time::timeout_at(end, a.events.recv()).await {
            Ok(Some(Event::Snapshot { snapshot, bytes, .. })) => {
                n += 1;
                ticks.push(snapshot.tick);
                assert!(
                    bytes <= snapshot.entities.len() * 7 + 15,
                    "snapshot should be 7 bytes per entity plus a small header"
                );
            }
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    let got = f64::from(n) / window.as_secs_f64();
    assert!(
        (got - rate).abs() <= rate * 0.15,
        "expected {rate}/s within 15%, got {got}/s"
    );
    assert!(
        ticks.windows(2).all(|w| w[1] > w[0]),
        "snapshot ticks should strictly increase"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_reach_a_joining_player() {
    let server = TestServer::start().await;
    let mut a = server.connect("Ada").await;
    let ev = a
        .wait_for(WAIT, "scores", |e| is_message(e, "scores").then(|| e.clone()))
        .await
        .unwrap();
    let Event::Message { data, .. } = ev else {
        unreachable!()
    };
    let map = data.as_map().expect("scores should be a map");
    let keys: Vec<_> = map.iter().filter_map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["red", "blue"]);
    server.stop().await.unwrap();
}
