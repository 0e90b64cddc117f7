//! One simulation tick of a room with N entities, stepped in memory (no sockets).
//!
//! Every player sends one input per tick, and every tick is a snapshot tick (snapshot rate = tick
//! rate), so each measured tick runs all five stages: receive, validate, simulate, snapshot (one
//! document per player) and send (to a no-op link). Only `Room::tick` is timed; queueing the inputs
//! into the room's channel (the socket handlers' job) is not.
//!
//! Groups:
//! - `tick/players/N`: N players, all moving (N = 100, 1,000; 10,000 players would be 700 MB of
//!   snapshot documents per tick: full snapshots are O(players x entities)).
//! - `tick/100_players_plus_static/N`: 100 moving players + N-100 static entities (N = 100 … 10,000).
//! - `tick/star_collector_16`: the demo game at its capacity (16 players, 6 stars), rules included.
//! - `tick/deltas_200/K`: 200 moving players + 6 statics. K = 0: nobody acknowledges snapshots
//!   (full snapshots, for comparison); K = 1: every player acks every snapshot, so all are on the
//!   newest baseline (one delta encode per tick); K = 4: player `i` acks every `1 + i % 4` ticks
//!   (several baselines, one encode each).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::Rng;
use tickstate_server::game::star_collector;
use tickstate_server::prelude::*;
use tickstate_server::room::{ConnId, RoomPolicy, TickOutcome};
use tickstate_server::stats::ClientStats;
use tickstate_shared::InputMsg;
use tickstate_shared::codec::{SharedBlock, encode_snapshot};
use tickstate_shared::snapshot::RecordHead;
use tickstate_testkit::room_driver::RoomDriver;

/// Engine-only rules: Star Collector's field and walls, any number of players, `statics` static
/// entities, and an empty `tick` hook.
struct BenchRules {
    statics: usize,
    ship: Kind,
    star: Kind,
}

/// The engine-only game: kinds 1 (ship) and 3 (static), no fields.
fn bench_game(statics: usize) -> Game {
    Game::new("bench", |s| (s.kind(1, "ship").done(), s.kind(3, "static").done()))
        .rules(move |&(ship, star), _room| BenchRules { statics, ship, star })
        .expect("a valid declaration")
}

impl GameRules for BenchRules {
    fn config(&self) -> RulesConfig {
        // Star Collector's field, walls, speed and size, with every tick a snapshot tick and no
        // seat limit.
        RulesConfig {
            tick_rate: 60,
            snapshot_rate: 60,
            max_players: usize::MAX,
            ..star_collector().rules("bench").config()
        }
    }
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        for _ in 0..self.statics {
            let p = Vec2::new(
                ctx.rng().random_range(12.0..1588.0),
                ctx.rng().random_range(12.0..888.0),
            );
            ctx.world_mut().spawn(self.star, p, 12.0).expect("room for the statics");
        }
    }
    fn on_join(&mut self, ctx: &mut Ctx<'_>, _player: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
        let p = Vec2::new(
            ctx.rng().random_range(20.0..1580.0),
            ctx.rng().random_range(20.0..880.0),
        );
        Some(Spawn::at(self.ship, p))
    }
}

struct Bench {
    driver: RoomDriver,
    conns: Vec<(ConnId, Arc<ClientStats>)>,
    seq: u32,
    /// Players acknowledge snapshots: player `i` every `1 + i % classes` ticks.
    ack_classes: Option<u32>,
}

impl Bench {
    fn new(game: &Game, players: usize) -> Bench {
        let policy = RoomPolicy {
            tick_rate: Some(60),
            snapshot_rate: Some(60),
            max_players: Some(players.max(1)),
            ..RoomPolicy::default()
        };
        let mut driver = RoomDriver::new(game, policy, 1).unwrap();
        let mut conns = Vec::new();
        for i in 0..players {
            conns.push(driver.join_silent(&format!("p{i}")).expect("a seat"));
        }
        assert_eq!(driver.tick(), TickOutcome::Continue);
        assert_eq!(driver.room().player_count(), players);
        Bench {
            driver,
            conns,
            seq: 0,
            ack_classes: None,
        }
    }

    /// The same room with every player acknowledging snapshots (see [`Bench::ack_classes`]).
    fn acking(game: &Game, players: usize, classes: u32) -> Bench {
        let mut b = Bench::new(game, players);
        b.ack_classes = Some(classes.max(1));
        // Warm up: every player acks, so the timed ticks send deltas.
        for _ in 0..4 {
            b.tick();
        }
        b
    }

    /// Queues one input per player (not timed), then runs and times one tick.
    fn tick(&mut self) -> Duration {
        self.seq += 1;
        for (i, (conn, client)) in self.conns.iter().enumerate() {
            let a = (i as f32 * 0.7 + self.seq as f32 * 0.01) % std::f32::consts::TAU;
            let input = InputMsg::new(self.seq, a.cos(), a.sin(), 0);
            self.driver.input_counted(*conn, input, client.clone());
            // Every tick is a snapshot tick: the previous tick's snapshot went to everyone.
            if let Some(k) = self.ack_classes
                && self.seq.is_multiple_of(1 + i as u32 % k)
            {
                let sent = self.driver.room().tick_number().saturating_sub(1) as u32;
                self.driver.snapshot_ack(*conn, sent);
            }
        }
        let t = Instant::now();
        let out = self.driver.tick();
        let d = t.elapsed();
        black_box(out);
        d
    }

    fn entities(&self) -> usize {
        self.driver.room().world().len()
    }
}

/// Prints what one tick sends: the per-player snapshot document and its bytes per entity.
fn report_bytes(label: &str, b: &Bench) {
    let n = b.entities();
    let mut shared = SharedBlock::default();
    shared.set(&vec![0u8; n * RecordHead::SIZE], &[]);
    let doc = encode_snapshot(b.driver.room().tick_number() as u32, b.seq, &shared, None, None).len();
    eprintln!(
        "{label}: {n} entities, {} players: snapshot {doc} B per player ({:.3} B/entity), {:.1} KB per tick to all players",
        b.conns.len(),
        doc as f64 / n as f64,
        (doc * b.conns.len()) as f64 / 1024.0
    );
}

/// A benchmark case: its parameter and how to build its room.
type Case = (usize, Box<dyn Fn() -> Bench>);

fn run(c: &mut Criterion, group: &str, cases: &[Case]) {
    let mut g = c.benchmark_group(group);
    for (n, make) in cases {
        let mut b = make();
        report_bytes(&format!("{group}/{n}"), &b);
        g.throughput(Throughput::Elements(b.entities() as u64));
        g.bench_function(BenchmarkId::from_parameter(n), |bencher| {
            bencher.iter_custom(|iters| (0..iters).map(|_| b.tick()).sum());
        });
    }
    g.finish();
}

fn tick_players(c: &mut Criterion) {
    let cases: Vec<Case> = [100usize, 1_000]
        .into_iter()
        .map(|n| (n, Box::new(move || Bench::new(&bench_game(0), n)) as _))
        .collect();
    run(c, "tick/players", &cases);
}

fn tick_statics(c: &mut Criterion) {
    let cases: Vec<Case> = [100usize, 1_000, 10_000]
        .into_iter()
        .map(|n| (n, Box::new(move || Bench::new(&bench_game(n - 100), 100)) as _))
        .collect();
    run(c, "tick/100_players_plus_static", &cases);
}

fn tick_star_collector(c: &mut Criterion) {
    let cases: Vec<Case> = vec![(16, Box::new(|| Bench::new(&star_collector(), 16)))];
    run(c, "tick/star_collector", &cases);
}

fn tick_deltas(c: &mut Criterion) {
    let cases: Vec<Case> = [0u32, 1, 4]
        .into_iter()
        .map(|k| {
            let make = move || {
                if k == 0 {
                    Bench::new(&bench_game(6), 200)
                } else {
                    Bench::acking(&bench_game(6), 200, k)
                }
            };
            (k as usize, Box::new(make) as _)
        })
        .collect();
    let mut g = c.benchmark_group("tick/deltas_200");
    for (k, make) in &cases {
        let mut b = make();
        g.throughput(Throughput::Elements(b.entities() as u64));
        g.bench_function(BenchmarkId::from_parameter(k), |bencher| {
            bencher.iter_custom(|iters| (0..iters).map(|_| b.tick()).sum());
        });
        let gauges = b.driver.room().gauges();
        eprintln!(
            "tick/deltas_200/{k}: {} entities, {} snapshot encodes on the last tick, {} baseline bytes",
            b.entities(),
            gauges.snapshot_encodes.load(std::sync::atomic::Ordering::Relaxed),
            gauges.baseline_bytes.load(std::sync::atomic::Ordering::Relaxed),
        );
    }
    g.finish();
}

criterion_group!(benches, tick_players, tick_statics, tick_star_collector, tick_deltas);
criterion_main!(benches);
