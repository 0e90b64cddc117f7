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
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use glam::Vec2;
use rand::Rng;
use tickstate_server::game::StarCollector;
use tickstate_server::room::{
    ConnId, Control, InputEnvelope, JoinTicket, LinkError, Overrides, PlayerLink, Room, TickOutcome,
};
use tickstate_server::rules::{Ctx, GameRules, PlayerId, RulesConfig, Spawn};
use tickstate_server::stats::{ClientStats, Stats};
use tickstate_shared::codec::encode_snapshot;
use tickstate_shared::protocol::{InputMsg, Welcome};
use tickstate_shared::snapshot::EntityRecord;

/// A link that drops everything (the cost of the socket layer is not part of a tick).
struct NullLink;

impl PlayerLink for NullLink {
    fn send_snapshot(&self, doc: Bytes) -> Result<(), LinkError> {
        black_box(doc);
        Ok(())
    }
    fn emit(&self, _event: &str, _data: &rmpv::Value) -> Result<(), LinkError> {
        Ok(())
    }
    fn close(&self) {}
}

/// Engine-only rules: Star Collector's field and walls, any number of players, `statics` static
/// entities, and an empty `tick` hook.
struct BenchRules {
    statics: usize,
}

impl GameRules for BenchRules {
    fn config(&self) -> RulesConfig {
        // Star Collector's field, walls, speed and size, with every tick a snapshot tick and no
        // seat limit.
        RulesConfig {
            tick_rate: 60,
            snapshot_rate: 60,
            max_players: usize::MAX,
            ..StarCollector::default().config()
        }
    }
    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        for _ in 0..self.statics {
            let p = Vec2::new(
                ctx.rng().random_range(12.0..1588.0),
                ctx.rng().random_range(12.0..888.0),
            );
            ctx.world_mut().spawn(3, p, 12.0).expect("room for the statics");
        }
    }
    fn on_join(&mut self, ctx: &mut Ctx<'_>, player: PlayerId, _name: &str) -> Spawn {
        let p = Vec2::new(
            ctx.rng().random_range(20.0..1580.0),
            ctx.rng().random_range(20.0..880.0),
        );
        let _ = player;
        Spawn { kind: 1, pos: p }
    }
}

struct Bench {
    room: Room,
    control: Receiver<Control>,
    inputs_rx: Receiver<InputEnvelope>,
    inputs_tx: SyncSender<InputEnvelope>,
    _control_tx: Sender<Control>,
    conns: Vec<(ConnId, Arc<ClientStats>)>,
    seq: u32,
    _welcomes: Vec<tokio::sync::oneshot::Receiver<Result<Welcome, tickstate_server::room::Refusal>>>,
}

impl Bench {
    fn new(rules: Box<dyn GameRules>, players: usize) -> Bench {
        let overrides = Overrides {
            tick_rate: Some(60),
            snapshot_rate: Some(60),
            ..Overrides::default()
        };
        let mut room = Room::new("bench", rules, overrides, Arc::new(Stats::default()), Arc::default(), 1).unwrap();
        let (control_tx, control) = channel();
        let (inputs_tx, inputs_rx) = sync_channel(players * 4 + 16);
        let mut welcomes = Vec::new();
        let conns: Vec<(ConnId, Arc<ClientStats>)> = (0..players as u64)
            .map(|i| (ConnId(i + 1), Arc::new(ClientStats::default())))
            .collect();
        for (conn, client) in &conns {
            let (reply, rx) = tokio::sync::oneshot::channel();
            welcomes.push(rx);
            control_tx
                .send(Control::Join(JoinTicket {
                    conn: *conn,
                    name: String::new(),
                    link: Box::new(NullLink),
                    client: client.clone(),
                    resume: None,
                    reply,
                }))
                .unwrap();
        }
        assert_eq!(room.tick(&control, &inputs_rx, &mut |_| {}), TickOutcome::Continue);
        for (conn, _) in &conns {
            control_tx.send(Control::Ready(*conn)).unwrap();
        }
        assert_eq!(room.tick(&control, &inputs_rx, &mut |_| {}), TickOutcome::Continue);
        assert_eq!(room.player_count(), players);
        Bench {
            room,
            control,
            inputs_rx,
            inputs_tx,
            _control_tx: control_tx,
            conns,
            seq: 0,
            _welcomes: welcomes,
        }
    }

    /// Queues one input per player (not timed), then runs and times one tick.
    fn tick(&mut self) -> Duration {
        self.seq += 1;
        for (i, (conn, client)) in self.conns.iter().enumerate() {
            let a = (i as f32 * 0.7 + self.seq as f32 * 0.01) % std::f32::consts::TAU;
            let input = InputMsg(self.seq, a.cos(), a.sin(), 0);
            let client = client.clone();
            self.inputs_tx
                .try_send(InputEnvelope {
                    conn: *conn,
                    input,
                    client,
                })
                .unwrap();
        }
        let t = Instant::now();
        let out = self.room.tick(&self.control, &self.inputs_rx, &mut |_| {});
        let d = t.elapsed();
        black_box(out);
        d
    }

    fn entities(&self) -> usize {
        self.room.world().len()
    }
}

/// Prints what one tick sends: the per-player snapshot document and its bytes per entity.
fn report_bytes(label: &str, b: &Bench) {
    let n = b.entities();
    let block = vec![0u8; n * EntityRecord::SIZE];
    let doc = encode_snapshot(b.room.tick_number() as u32, b.seq, &block).len();
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
        .map(|n| {
            (
                n,
                Box::new(move || Bench::new(Box::new(BenchRules { statics: 0 }), n)) as _,
            )
        })
        .collect();
    run(c, "tick/players", &cases);
}

fn tick_statics(c: &mut Criterion) {
    let cases: Vec<Case> = [100usize, 1_000, 10_000]
        .into_iter()
        .map(|n| {
            (
                n,
                Box::new(move || Bench::new(Box::new(BenchRules { statics: n - 100 }), 100)) as _,
            )
        })
        .collect();
    run(c, "tick/100_players_plus_static", &cases);
}

fn tick_star_collector(c: &mut Criterion) {
    let cases: Vec<Case> = vec![(16, Box::new(|| Bench::new(Box::new(StarCollector::default()), 16)))];
    run(c, "tick/star_collector", &cases);
}

criterion_group!(benches, tick_players, tick_statics, tick_star_collector);
criterion_main!(benches);
