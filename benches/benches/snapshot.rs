//! Snapshot cost for N entities (N = 100, 1,000, 10,000), position-only (Star Collector) and with
//! four declared fields (angle, hp, a flag, a velocity: a shooter's ship):
//! - `snapshot/build/<shape>`: quantize and pack every entity of a world into the shared block
//!   (once per snapshot tick per audience);
//! - `snapshot/encode`: wrap the shared block in one recipient's `[tick, ack, bin]` document (the
//!   per-recipient part);
//! - `snapshot/decode/<shape>`: what each client (and each load-test bot) does on arrival.
//!
//! Throughput is in encoded bytes, and each case prints its bytes per entity; the sizes are pinned by
//! the unit tests in `benches/src/sizes.rs`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use glam::Vec2;
use tickstate_benches::sizes::{self, Shape};
use tickstate_server::schema::SchemaBuilder;
use tickstate_server::sim::World;
use tickstate_server::sim::snapshot::SnapshotBuilder;
use tickstate_shared::RecordLayout;
use tickstate_shared::codec::{SharedBlock, decode_snapshot, encode_snapshot_into};
use tickstate_shared::snapshot::Quantizer;

const NS: [usize; 3] = [100, 1_000, 10_000];

/// A world of `n` entities of `shape` (kind 1) spread over 1600 × 900.
fn world(n: usize, shape: Shape) -> World {
    let mut s = SchemaBuilder::new("bench");
    let mut ship = s.kind(1, "ship");
    let fields = match shape {
        Shape::Position => None,
        Shape::FourFields => Some((
            ship.angle("angle", 8),
            ship.u8("hp", 100),
            ship.flag("shield"),
            ship.velocity("vel", 900.0, 12),
        )),
        other => panic!("no world for {other:?}"),
    };
    let ship = ship.done();
    let schema = Arc::new(s.build().unwrap());
    let size = Vec2::new(1600.0, 900.0);
    let mut world = World::new(size, vec![], schema);
    for i in 0..n {
        let p = Vec2::new((i * 37 % 1600) as f32, (i * 91 % 900) as f32);
        let key = world.spawn(ship, p, 10.0).unwrap();
        if let Some((angle, hp, shield, vel)) = fields {
            world.set(key, angle, i as f32 * 0.37);
            world.set(key, hp, (i % 101) as u8);
            world.set(key, shield, i.is_multiple_of(2));
            world.set(key, vel, Vec2::new((i % 900) as f32 - 450.0, 120.0));
        }
    }
    world
}

fn snapshot(c: &mut Criterion) {
    let mut g = c.benchmark_group("snapshot");
    let q = Quantizer::new(1600.0, 900.0);
    for n in NS {
        for (name, shape) in [("position", Shape::Position), ("four_fields", Shape::FourFields)] {
            let doc = sizes::snapshot_document_of(n, shape, 1 << 20, 1 << 20);
            eprintln!(
                "snapshot/{name}/{n}: {} B document, {:.4} B/entity",
                doc.len(),
                doc.len() as f64 / n as f64
            );
            g.throughput(Throughput::Bytes(doc.len() as u64));
            let w = world(n, shape);
            g.bench_with_input(BenchmarkId::new(format!("build/{name}"), n), &w, |b, w| {
                let mut sb = SnapshotBuilder::default();
                b.iter(|| black_box(sb.build(black_box(w), &q, 0).len()));
            });
            let layout = RecordLayout::new(&shape.schema());
            g.bench_with_input(BenchmarkId::new(format!("decode/{name}"), n), &doc, |b, doc| {
                b.iter(|| black_box(decode_snapshot(black_box(doc), &layout).unwrap().entities.len()));
            });
        }
        let mut shared = SharedBlock::default();
        shared.set(&sizes::record_block(n, Shape::Position), &[]);
        g.bench_with_input(BenchmarkId::new("encode", n), &shared, |b, shared| {
            let mut out = Vec::new();
            b.iter(|| {
                out.clear();
                encode_snapshot_into(&mut out, 1 << 20, 1 << 20, black_box(shared), None, None);
                black_box(out.len())
            });
        });
    }
    g.finish();
}

criterion_group!(benches, snapshot);
criterion_main!(benches);
