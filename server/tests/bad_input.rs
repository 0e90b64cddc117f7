//! Malformed and hostile inputs over a real connection: rejected, counted, and nobody else notices.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use rmpv::Value;
use tickstate_shared::InputMsg;
use tickstate_shared::snapshot::Quantizer;
use tickstate_testkit::client::Event;
use tickstate_testkit::{TestServer, wait_stats};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_inputs_are_rejected_and_every_input_is_accounted_for() {
    let server = TestServer::start().await;
    let mut bad = server.connect("Mallory").await;
    let mut good = server.connect("Alice").await;
    let w = bad.welcome.clone();
    let s = &bad.sender;
    // Parse errors: wrong types, wrong shapes, a position instead of a direction.
    s.emit("input", Value::Array(vec![1.into(), "1".into(), 0.into(), 0.into()]))
        .await
        .unwrap();
    s.emit(
        "input",
        Value::Array(vec![Value::from(-1), 1.into(), 0.into(), 0.into()]),
    )
    .await
    .unwrap();
    s.emit(
        "input",
        Value::Map(vec![("x".into(), 100.into()), ("y".into(), 100.into())]),
    )
    .await
    .unwrap();
    s.emit("input", Value::Array(vec![1.into(), 1.into()])).await.unwrap();
    s.emit("input", Value::Nil).await.unwrap();
    // Non-finite directions.
    s.input(InputMsg::new(1, f32::NAN, 0.0, 0)).await.unwrap();
    s.input(InputMsg::new(2, 0.0, f32::INFINITY, 0)).await.unwrap();
    s.emit(
        "input",
        Value::Array(vec![3.into(), Value::F64(1e300), 0.into(), 0.into()]),
    )
    .await
    .unwrap();
    // A speed hack: direction (1000, 1000) is clamped to the unit disc.
    s.input(InputMsg::new(4, 1000.0, 1000.0, 0)).await.unwrap();
    // A replay.
    s.input(InputMsg::new(4, 1.0, 0.0, 0)).await.unwrap();
    // Unknown events.
    for i in 0..5 {
        s.emit(&format!("teleport{i}"), Value::Array(vec![1.into(), 2.into()]))
            .await
            .unwrap();
    }
    let st = wait_stats(&server, "10 inputs accounted for", |st| {
        st["inputs"]["received"] == 10 && st["inputs"]["in_flight"] == 0
    })
    .await;
    let i = &st["inputs"];
    assert_eq!(i["rejected_by_reason"]["parse"], 5);
    assert_eq!(
        i["rejected_by_reason"]["non_finite"], 3,
        "1e300 becomes infinity as f32"
    );
    assert_eq!(i["applied"], 1);
    assert_eq!(i["dropped_by_reason"]["replay"], 1);
    assert_eq!(
        i["received"].as_u64().unwrap(),
        i["applied"].as_u64().unwrap() + i["rejected"].as_u64().unwrap() + i["dropped"].as_u64().unwrap()
    );
    let st = wait_stats(&server, "unknown events counted", |st| st["unknown_events"] == 5).await;
    assert_eq!(st["players"], 2, "nobody was disconnected");

    // The hacked input moved at most one step.
    let qz = Quantizer::new(w.world.width, w.world.height);
    let snap = bad
        .wait_for(Duration::from_secs(2), "ack 4", |e| match e {
            Event::Snapshot { snapshot, .. } if snapshot.ack == 4 => Some(snapshot.clone()),
            _ => None,
        })
        .await
        .unwrap();
    let me = snap.entities.iter().find(|e| e.head.id == w.id).unwrap();
    let (x, y) = qz.dequantize(me.head.x, me.head.y);
    assert!(x.is_finite() && y.is_finite());
    assert!(x >= 0.0 && x <= w.world.width && y >= 0.0 && y <= w.world.height);
    // The other player keeps getting snapshots.
    good.next_snapshot(Duration::from_secs(1)).await.unwrap();
    server.assert_live().await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_is_acknowledged_with_the_same_value() {
    let server = TestServer::start().await;
    let mut c = server.connect("Ada").await;
    c.sender.emit_with_ack("ping", Value::F64(1234.5), 7).await.unwrap();
    let v = c
        .wait_for(Duration::from_secs(2), "ack", |e| match e {
            Event::Ack { id: 7, data } => Some(data.clone()),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(v.as_f64(), Some(1234.5));
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s1_inputs_that_name_another_player_move_nobody_else() {
    let server = TestServer::start().await;
    let mut a = server.connect("Mallory").await;
    let mut b = server.connect("Bob").await;
    let bid = b.welcome.id;
    let before = b.next_snapshot(Duration::from_secs(2)).await.unwrap();
    let pos_b = |s: &tickstate_shared::Snapshot| s.entities.iter().find(|e| e.head.id == bid).unwrap().clone();
    let s = &a.sender;
    // B's id in every place it could be smuggled: extra array elements, a map, the event args.
    s.emit(
        "input",
        Value::Array(vec![1.into(), 1.into(), 0.into(), 0.into(), u64::from(bid).into()]),
    )
    .await
    .unwrap();
    s.emit(
        "input",
        Value::Map(vec![
            ("seq".into(), 2.into()),
            ("dx".into(), 1.into()),
            ("entity".into(), u64::from(bid).into()),
        ]),
    )
    .await
    .unwrap();
    for seq in 3..=20u32 {
        s.input(InputMsg::new(seq, -1.0, 0.0, u32::from(bid))).await.unwrap(); // B's id as the buttons field
    }
    wait_stats(&server, "20 inputs accounted for", |st| {
        st["inputs"]["received"] == 20 && st["inputs"]["in_flight"] == 0
    })
    .await;
    let after = b.next_snapshot(Duration::from_secs(2)).await.unwrap();
    assert_eq!(pos_b(&before), pos_b(&after), "B's entity should not have moved");
    // A's own inputs were processed: its ack reaches 20.
    let ack = a
        .wait_for(Duration::from_secs(2), "ack 20", |e| match e {
            Event::Snapshot { snapshot, .. } if snapshot.ack == 20 => Some(snapshot.ack),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(ack, 20);
    server.stop().await.unwrap();
}

/// B9: timestamps and a `dt` field change nothing: the server's fixed dt rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b9_client_timestamps_and_dt_have_no_effect() {
    use tickstate_server::prelude::*;
    use tickstate_testkit::client::Client;
    struct Open;
    impl GameRules for Open {
        fn on_join(&mut self, ctx: &mut Ctx<'_>, _: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
            Some(Spawn::at(ctx.schema().kind(1)?, glam::Vec2::new(400.0, 450.0)))
        }
    }
    let rules = common::ship_game(|_: &str| Open);
    let server = TestServer::start_with_game(tickstate_server::ServerConfig::default(), rules).await;
    let room = |r: &str| tickstate_shared::ConnectAuth {
        room: Some(r.into()),
        ..Default::default()
    };
    let mut plain = Client::connect(&server.base, &room("plain")).await.unwrap();
    let mut timed = Client::connect(&server.base, &room("timed")).await.unwrap();
    for seq in 1..=20u32 {
        plain.sender.input(InputMsg::new(seq, 1.0, 0.0, 0)).await.unwrap();
        let far_future = Value::F64(4.0e12 + f64::from(seq) * 1e9);
        let dt = Value::Map(vec![("dt".into(), Value::F64(10.0))]);
        timed
            .sender
            .emit(
                "input",
                Value::Array(vec![seq.into(), 1.into(), 0.into(), 0.into(), far_future, dt]),
            )
            .await
            .unwrap();
    }
    let mut positions = Vec::new();
    for c in [&mut plain, &mut timed] {
        let id = c.welcome.id;
        let snap = c
            .wait_for(Duration::from_secs(3), "ack 20", |e| match e {
                Event::Snapshot { snapshot, .. } if snapshot.ack == 20 => Some(snapshot.clone()),
                _ => None,
            })
            .await
            .unwrap();
        positions.push(snap.entities.iter().find(|e| e.head.id == id).unwrap().clone());
    }
    assert_eq!(
        (positions[0].head.x, positions[0].head.y),
        (positions[1].head.x, positions[1].head.y),
        "same inputs, same place"
    );
    let s = server.stats().await;
    assert_eq!(s["inputs"]["applied"], 40);
    server.stop().await.unwrap();
}
