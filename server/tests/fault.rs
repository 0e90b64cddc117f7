//! A panic in game rules stops only that room: its players are told, the process goes on, and the
//! next player gets a fresh room.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use glam::Vec2;
use tickstate_server::ServerConfig;
use tickstate_server::prelude::*;
use tickstate_shared::protocol::Bye;
use tickstate_shared::{ConnectAuth, InputMsg};
use tickstate_testkit::client::{Client, Event, from_value};
use tickstate_testkit::{TestServer, get};

struct Fragile;

impl GameRules for Fragile {
    fn on_join(&mut self, ctx: &mut Ctx<'_>, _: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
        Some(Spawn::at(ctx.schema().kind(1)?, Vec2::new(100.0, 100.0)))
    }
    fn tick(&mut self, _: &mut Ctx<'_>, inputs: &[PlayerInput]) {
        if inputs.iter().any(|i| i.buttons == 0xdead) {
            panic!("the rules have a bug");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_room_stops_alone() {
    let rules = common::ship_game(|_: &str| Fragile);
    let server = TestServer::start_with_game(ServerConfig::default(), rules).await;
    let room = |r: &str| ConnectAuth {
        room: Some(r.into()),
        ..Default::default()
    };
    let mut doomed = Client::connect(&server.base, &room("doomed")).await.unwrap();
    let mut other = Client::connect(&server.base, &room("other")).await.unwrap();
    doomed.sender.input(InputMsg::new(1, 0.0, 0.0, 0xdead)).await.unwrap();
    let bye = doomed
        .wait_for(Duration::from_secs(2), "bye", |e| match e {
            Event::Message { event, data, .. } if event == "bye" => Some(from_value::<Bye>(data).unwrap()),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(bye.reason, tickstate_shared::ByeReason::RoomError);
    // The other room keeps ticking and the process keeps serving.
    let a = other.next_snapshot(Duration::from_secs(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let b = other.next_snapshot(Duration::from_secs(1)).await.unwrap();
    assert!(b.tick > a.tick, "the other room should keep ticking");
    assert_eq!(get(&format!("{}/healthz", server.base)).await.0, 200);
    // A new player asking for the failed room gets a fresh one.
    let mut again = Client::connect(&server.base, &room("doomed")).await.unwrap();
    again.next_snapshot(Duration::from_secs(2)).await.unwrap();
    server.stop().await.unwrap();
}
