//! Snapshot cost for N entities (N = 100, 1,000, 10,000):
//! - `snapshot/build`: quantize and pack every entity of a world into the shared entity block;
//! - `snapshot/encode`: pack records and wrap the block in one recipient's `[tick, ack, bin]`
//!   document (the per-recipient part);
//! - `snapshot/decode`: what each client (and each load-test bot) does on arrival.
//!
//! Throughput is in encoded bytes, and each case prints its bytes per entity; the sizes are pinned by
//! the unit tests in `benches/src/sizes.rs`.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use glam::Vec2;
use tickstate_benches::sizes;
use tickstate_server::sim::World;
use tickstate_server::sim::snapshot::build_entity_block;
use tickstate_shared::codec::{decode_snapshot, encode_entities, encode_snapshot};
use tickstate_shared::snapshot::Quantizer;

const NS: [usize; 3] = [100, 1_000, 10_000];

fn snapshot(c: &mut Criterion) {
    let mut g = c.benchmark_group("snapshot");
    for n in NS {
        let doc = sizes::snapshot_document(n, 1 << 20, 1 << 20);
        eprintln!(
            "snapshot/{n}: {} B document, {:.4} B/entity",
            doc.len(),
            doc.len() as f64 / n as f64
        );
        g.throughput(Throughput::Bytes(doc.len() as u64));

        let size = Vec2::new(1600.0, 900.0);
        let mut world = World::new(size, vec![]);
        for i in 0..n {
            let p = Vec2::new((i * 37 % 1600) as f32, (i * 91 % 900) as f32);
            world.spawn((i % 3) as u8 + 1, p, 10.0).unwrap();
        }
        let q = Quantizer::new(size.x, size.y);
        g.bench_with_input(BenchmarkId::new("build", n), &world, |b, world| {
            let (mut recs, mut block) = (Vec::new(), Vec::new());
            b.iter(|| {
                build_entity_block(black_box(world), &q, &mut recs, &mut block);
                black_box(block.len())
            });
        });

        let recs = sizes::records(n);
        g.bench_with_input(BenchmarkId::new("encode", n), &recs, |b, recs| {
            let mut body = Vec::new();
            b.iter(|| {
                body.clear();
                encode_entities(black_box(recs), &mut body);
                black_box(encode_snapshot(1 << 20, 1 << 20, &body))
            });
        });

        g.bench_with_input(BenchmarkId::new("decode", n), &doc, |b, doc| {
            b.iter(|| black_box(decode_snapshot(black_box(doc)).unwrap().entities.len()));
        });
    }
    g.finish();
}

criterion_group!(benches, snapshot);
criterion_main!(benches);
