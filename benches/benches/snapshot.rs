//! Snapshot encoding cost for N entities (placeholder until the bench-harness issue adds the rest).
#![allow(missing_docs)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tickstate_shared::codec::{encode_entities, encode_snapshot};
use tickstate_shared::snapshot::EntityRecord;

fn snapshot_encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("snapshot_encode");
    for n in [100u16, 1_000, 10_000] {
        let recs: Vec<EntityRecord> = (0..n)
            .map(|i| EntityRecord {
                id: i,
                kind: 1,
                x: i.wrapping_mul(7),
                y: i.wrapping_mul(13),
            })
            .collect();
        g.throughput(Throughput::Elements(u64::from(n)));
        g.bench_with_input(BenchmarkId::from_parameter(n), &recs, |b, recs| {
            let mut body = Vec::new();
            b.iter(|| {
                body.clear();
                encode_entities(black_box(recs), &mut body);
                black_box(encode_snapshot(1, 2, &body))
            });
        });
    }
    g.finish();
}

criterion_group!(benches, snapshot_encode);
criterion_main!(benches);
