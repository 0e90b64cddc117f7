//! Many rooms stepped in memory, the way the tick pool steps them: 1,000 Star Collector rooms of
//! 16 players each (16,000 players), one second of game time (60 ticks, 30 of them snapshot ticks)
//! per iteration, every player sending one input per tick, snapshots to no-op links.
//!
//! `pool/1000_rooms_x_16/T` splits the rooms over T threads (1, and one per core), so the time is
//! the CPU a server needs per second of game time for this many players, without sockets. Under
//! 1 s per iteration on T threads means the rooms keep up.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tickstate_server::game::star_collector;
use tickstate_server::room::{ConnId, RoomPolicy, TickOutcome};
use tickstate_server::stats::ClientStats;
use tickstate_shared::InputMsg;
use tickstate_testkit::room_driver::RoomDriver;

const ROOMS: usize = 1_000;
const PLAYERS: usize = 16;
const TICK_RATE: u32 = 60;

struct BenchRoom {
    driver: RoomDriver,
    conns: Vec<(ConnId, Arc<ClientStats>)>,
    seq: u32,
}

impl BenchRoom {
    fn new(seed: u64) -> Self {
        let policy = RoomPolicy {
            tick_rate: Some(TICK_RATE),
            snapshot_rate: Some(30),
            max_players: Some(PLAYERS),
            ..RoomPolicy::default()
        };
        let mut driver = RoomDriver::new(&star_collector(), policy, seed).unwrap();
        let conns = (0..PLAYERS)
            .map(|i| driver.join_silent(&format!("p{i}")).expect("a seat"))
            .collect();
        assert_eq!(driver.tick(), TickOutcome::Continue);
        Self { driver, conns, seq: 0 }
    }

    /// One tick: one input per player (each turning slowly), then the tick.
    fn step(&mut self) {
        self.seq += 1;
        for (i, (conn, client)) in self.conns.iter().enumerate() {
            let a = (i as f32 * 0.7 + self.seq as f32 * 0.02) % std::f32::consts::TAU;
            self.driver
                .input_counted(*conn, InputMsg::new(self.seq, a.cos(), a.sin(), 0), client.clone());
        }
        self.driver.tick();
    }
}

/// One second of game time for every room, the rooms split over `threads` threads.
fn game_second(rooms: &mut [BenchRoom], threads: usize) -> Duration {
    let t = Instant::now();
    let chunk = rooms.len().div_ceil(threads);
    std::thread::scope(|s| {
        for part in rooms.chunks_mut(chunk) {
            s.spawn(move || {
                for _ in 0..TICK_RATE {
                    for r in part.iter_mut() {
                        r.step();
                    }
                }
            });
        }
    });
    t.elapsed()
}

fn pool(c: &mut Criterion) {
    let mut rooms: Vec<BenchRoom> = (0..ROOMS as u64).map(BenchRoom::new).collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut g = c.benchmark_group("pool/1000_rooms_x_16");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    let mut threads = vec![1];
    if cores > 1 {
        threads.push(cores);
    }
    for t in threads {
        g.bench_function(BenchmarkId::from_parameter(t), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| game_second(&mut rooms, t)).sum());
        });
    }
    g.finish();
}

criterion_group!(benches, pool);
criterion_main!(benches);
