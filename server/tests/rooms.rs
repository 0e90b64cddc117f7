//! Rooms: matchmaking, the lobby list, independence under overload, disposal when empty.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use glam::Vec2;
use tickstate_server::ServerConfig;
use tickstate_server::prelude::*;
use tickstate_shared::ConnectAuth;
use tickstate_testkit::client::Client;
use tickstate_testkit::{TestServer, get_json, wait_stats};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matchmaking_fills_the_fullest_room_with_a_free_seat() {
    let config = ServerConfig {
        max_players: Some(2),
        ..ServerConfig::default()
    };
    let server = TestServer::start_with(config).await;
    let mut rooms = Vec::new();
    let mut clients = Vec::new();
    for i in 0..5 {
        let c = server.connect(&format!("p{i}")).await;
        rooms.push(c.welcome.room.clone());
        clients.push(c);
        // Let the room publish its player count before the next choice.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rooms, ["main", "main", "main-2", "main-2", "main-3"]);
    // A seat frees up in main: the next player goes to the fullest room with a free seat, which is
    // main (1 of 2) or main-3 (1 of 2); both are as full, the first by name wins.
    clients.remove(0).sender.disconnect().await;
    wait_stats(&server, "p0 gone", |s| s["players"] == 4).await;
    let c = server.connect("late").await;
    assert_eq!(c.welcome.room, "main");
    let lobby = get_json(&format!("{}/rooms", server.base)).await;
    let list = lobby["rooms"].as_array().unwrap();
    let ids: Vec<_> = list.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["main", "main-2", "main-3"]);
    for r in list {
        assert_eq!(r["capacity"], 2);
        assert_eq!(r["tick_rate"], 60);
        assert!(r["players"].as_u64().unwrap() <= 2);
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_in_different_rooms_do_not_see_each_other() {
    let server = TestServer::start().await;
    let room = |r: &str| ConnectAuth {
        room: Some(r.into()),
        ..Default::default()
    };
    let mut a1 = Client::connect(&server.base, &room("a")).await.unwrap();
    let a2 = Client::connect(&server.base, &room("a")).await.unwrap();
    let b = Client::connect(&server.base, &room("b")).await.unwrap();
    let a2_id = a2.welcome.id;
    let s = a1
        .wait_for(Duration::from_secs(2), "a snapshot with a2", |e| match e {
            tickstate_testkit::client::Event::Snapshot { snapshot, .. }
                if snapshot.entities.iter().any(|r| r.head.id == a2_id) =>
            {
                Some(snapshot.clone())
            }
            _ => None,
        })
        .await
        .unwrap();
    let ids: Vec<u16> = s
        .entities
        .iter()
        .filter(|e| e.head.kind != 3)
        .map(|e| e.head.id)
        .collect();
    assert_eq!(ids.len(), 2, "room a holds two ships, not b's");
    assert_eq!(b.welcome.players.len(), 1);
    server.stop().await.unwrap();
}

struct MaybeSlow(bool);

impl GameRules for MaybeSlow {
    fn on_join(&mut self, ctx: &mut Ctx<'_>, _: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
        Some(Spawn::at(ctx.schema().kind(1)?, Vec2::new(100.0, 100.0)))
    }
    fn tick(&mut self, _: &mut Ctx<'_>, _: &[PlayerInput]) {
        if self.0 {
            std::thread::sleep(Duration::from_millis(40));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overloaded_room_does_not_slow_the_others() {
    let rules = common::ship_game(|room: &str| MaybeSlow(room == "slow"));
    let server = TestServer::start_with_game(ServerConfig::default(), rules).await;
    let room = |r: &str| ConnectAuth {
        room: Some(r.into()),
        ..Default::default()
    };
    let _slow = Client::connect(&server.base, &room("slow")).await.unwrap();
    let _fast = Client::connect(&server.base, &room("fast")).await.unwrap();
    let ticks = |s: &serde_json::Value, name: &str| {
        s["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["ticks"]
            .as_u64()
            .unwrap()
    };
    let s0 = server.stats().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let s1 = server.stats().await;
    let fast = ticks(&s1, "fast") - ticks(&s0, "fast");
    let slow = ticks(&s1, "slow") - ticks(&s0, "slow");
    assert!((55..=65).contains(&fast), "the fast room keeps 60 ticks/s, got {fast}");
    assert!(slow < 30, "the slow room cannot keep up ({slow} ticks/s)");
    let fast_room = s1["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "fast")
        .unwrap()
        .clone();
    assert!(
        fast_room["tick_lateness_us"]["p50"].as_u64().unwrap() < 2_000,
        "fast room starts its ticks on time: {fast_room}"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_room_is_disposed_of_after_its_idle_period() {
    let config = ServerConfig {
        room_idle: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let server = TestServer::start_with(config).await;
    let room = |r: &str| ConnectAuth {
        room: Some(r.into()),
        ..Default::default()
    };
    let a = Client::connect(&server.base, &room("brief")).await.unwrap();
    assert_eq!(
        get_json(&format!("{}/rooms", server.base)).await["rooms"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    a.sender.disconnect().await;
    wait_stats(&server, "the room disposed of", |s| {
        s["rooms"].as_array().unwrap().is_empty()
    })
    .await;
    assert!(
        get_json(&format!("{}/rooms", server.base)).await["rooms"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The name can be used again: a new room is made.
    let again = Client::connect(&server.base, &room("brief")).await.unwrap();
    assert_eq!(again.welcome.room, "brief");
    server.stop().await.unwrap();
}
