//! Rooms on the tick pool: a bounded number of threads whatever the number of rooms, and a room
//! stuck in its tick does not stop the others (a spare thread takes over, and retires after).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use glam::Vec2;
use tickstate_server::ServerConfig;
use tickstate_server::prelude::*;
use tickstate_shared::{ConnectAuth, InputMsg};
use tickstate_testkit::client::Client;
use tickstate_testkit::{TestServer, wait_stats};

type Gate = (Mutex<bool>, Condvar);

/// Held shut while a test wants the stuck room's tick to stay stuck (one gate per test).
static GATE: Gate = (Mutex::new(false), Condvar::new());
static GATE2: Gate = (Mutex::new(false), Condvar::new());

fn open_gate(gate: &Gate) {
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
}

const STICK: u32 = 0xb10c;

/// Blocks its tick (until its gate opens, at most 30 s) when a player presses `STICK`.
struct Sticky(&'static Gate);

impl GameRules for Sticky {
    fn on_join(&mut self, ctx: &mut Ctx<'_>, _: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
        Some(Spawn::at(ctx.schema().kind(1)?, Vec2::new(100.0, 100.0)))
    }
    fn tick(&mut self, _: &mut Ctx<'_>, inputs: &[PlayerInput]) {
        if inputs.iter().any(|i| i.buttons == STICK) {
            let open = self.0.0.lock().unwrap();
            let _ = self
                .0
                .1
                .wait_timeout_while(open, Duration::from_secs(30), |open| !*open);
        }
    }
}

fn room(name: &str) -> ConnectAuth {
    ConnectAuth {
        room: Some(name.into()),
        ..Default::default()
    }
}

fn pool(s: &serde_json::Value, key: &str) -> u64 {
    s["tick_pool"][key].as_u64().unwrap_or(u64::MAX)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_room_does_not_stop_the_others() {
    let config = ServerConfig {
        tick_workers: 1,
        ..Default::default()
    };
    let server = TestServer::start_with_game(config, common::ship_game(|_: &str| Sticky(&GATE))).await;
    let mut stuck = Client::connect(&server.base, &room("stuck")).await.unwrap();
    let mut other = Client::connect(&server.base, &room("other")).await.unwrap();
    other.next_snapshot(Duration::from_secs(5)).await.unwrap();
    stuck.sender.input(InputMsg::new(1, 0.0, 0.0, STICK)).await.unwrap();
    // The only worker is now stuck in "stuck"'s tick: the watchdog starts a spare...
    let s = wait_stats(&server, "a stuck tick thread and a spare", |s| {
        pool(s, "stuck") >= 1 && pool(s, "threads") == 2
    })
    .await;
    assert_eq!(pool(&s, "workers"), 1, "{s:#}");
    // ...which keeps the other room ticking.
    let a = other.next_snapshot(Duration::from_secs(5)).await.unwrap();
    let b = loop {
        let b = other.next_snapshot(Duration::from_secs(5)).await.unwrap();
        if b.tick > a.tick + 5 {
            break b;
        }
    };
    assert!(b.tick > a.tick, "the other room should go on while one room is stuck");
    // Released, the stuck room plays on and the spare retires.
    open_gate(&GATE);
    stuck.next_snapshot(Duration::from_secs(5)).await.unwrap();
    let s = wait_stats(&server, "the spare retired", |s| pool(s, "threads") == 1).await;
    assert_eq!(pool(&s, "rooms"), 2, "{s:#}");
    server.stop().await.unwrap();
}

/// The one room of a one-worker pool gets stuck, a spare starts (and finds nothing to do), the room
/// comes back, the extra thread retires: the room must go on ticking on the thread that stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_goes_on_after_its_stuck_thread_retires() {
    let config = ServerConfig {
        tick_workers: 1,
        ..Default::default()
    };
    let server = TestServer::start_with_game(config, common::ship_game(|_: &str| Sticky(&GATE2))).await;
    let mut c = Client::connect(&server.base, &room("alone")).await.unwrap();
    c.next_snapshot(Duration::from_secs(5)).await.unwrap();
    c.sender.input(InputMsg::new(1, 0.0, 0.0, STICK)).await.unwrap();
    wait_stats(&server, "a spare for the stuck thread", |s| pool(s, "threads") == 2).await;
    open_gate(&GATE2);
    wait_stats(&server, "the extra thread retired", |s| pool(s, "threads") == 1).await;
    // Long after the retirement, snapshots still come.
    let a = c.next_snapshot(Duration::from_secs(5)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let b = loop {
        let b = c.next_snapshot(Duration::from_secs(5)).await.unwrap();
        if b.tick > a.tick + 20 {
            break b;
        }
    };
    assert!(b.tick > a.tick);
    server.stop().await.unwrap();
}

fn os_threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_rooms_run_on_a_few_threads() {
    const ROOMS: usize = 60;
    let config = ServerConfig {
        tick_workers: 2,
        max_rooms: 0,
        ..Default::default()
    };
    let server = TestServer::start_with(config).await;
    // One room first, so the pool's threads exist before counting.
    let mut clients = vec![Client::connect(&server.base, &room("r0")).await.unwrap()];
    clients[0].next_snapshot(Duration::from_secs(5)).await.unwrap();
    let before = os_threads();
    for i in 1..ROOMS {
        clients.push(Client::connect(&server.base, &room(&format!("r{i}"))).await.unwrap());
    }
    for c in &mut clients {
        let a = c.next_snapshot(Duration::from_secs(5)).await.unwrap();
        let b = c.next_snapshot(Duration::from_secs(5)).await.unwrap();
        assert!(b.tick > a.tick, "every room ticks");
    }
    let s = server.stats().await;
    assert_eq!(pool(&s, "rooms"), ROOMS as u64, "{s:#}");
    assert_eq!(pool(&s, "threads"), 2, "{s:#}");
    let after = os_threads();
    assert!(
        after < before + 8,
        "{ROOMS} rooms should not add threads: {before} before, {after} after"
    );
    server.stop().await.unwrap();
}

/// A room that ends (here: disposed of when idle) leaves the pool. (A room whose rules panic ends
/// alone: `fault.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_rooms_leave_the_pool() {
    let config = ServerConfig {
        tick_workers: 2,
        room_idle: Duration::from_millis(200),
        session_hold: Duration::ZERO,
        ..Default::default()
    };
    let server = TestServer::start_with(config).await;
    let mut a = Client::connect(&server.base, &room("a")).await.unwrap();
    a.next_snapshot(Duration::from_secs(5)).await.unwrap();
    wait_stats(&server, "one room on the pool", |s| pool(s, "rooms") == 1).await;
    a.sender.disconnect().await;
    wait_stats(&server, "the idle room gone from the pool", |s| pool(s, "rooms") == 0).await;
    server.stop().await.unwrap();
}
