//! Input handling: direction validation (NaN/Inf rejection, clamping to the unit disc) and decoding
//! the `input` MessagePack array, per input.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tickstate_server::sim::movement::validate_direction;
use tickstate_shared::InputMsg;
use tickstate_shared::schema::{FieldDef, FieldType, FieldValue};

/// A mix like real traffic plus hostile values: unit vectors, zero, diagonals > 1, huge, NaN, Inf.
fn directions(n: usize) -> Vec<(f32, f32)> {
    (0..n)
        .map(|i| match i % 8 {
            0 => (0.0, 0.0),
            1 => (1.0, 1.0),
            2 => (f32::MAX, -f32::MAX),
            3 => (f32::NAN, 0.0),
            4 => (0.0, f32::INFINITY),
            _ => {
                let a = i as f32 * 0.37;
                (a.cos(), a.sin())
            }
        })
        .collect()
}

fn validate(c: &mut Criterion) {
    let dirs = directions(1024);
    let mut g = c.benchmark_group("input");
    g.throughput(Throughput::Elements(dirs.len() as u64));
    g.bench_function("validate_direction_x1024", |b| {
        b.iter(|| {
            let mut ok = 0u32;
            for &(x, y) in black_box(&dirs) {
                ok += u32::from(validate_direction(x, y).is_ok());
            }
            ok
        });
    });
    // What arrives on the wire: `[seq, dx, dy, buttons]` with f32 or f64 directions.
    let docs: Vec<Vec<u8>> = (0..1024u32)
        .map(|i| {
            let a = i as f32 * 0.37;
            if i % 2 == 0 {
                rmp_serde::to_vec(&InputMsg::new(i, a.cos(), a.sin(), i & 1)).unwrap()
            } else {
                rmp_serde::to_vec(&(i, f64::from(a.cos()), f64::from(a.sin()), 0u32)).unwrap()
            }
        })
        .collect();
    let bytes: usize = docs.iter().map(Vec::len).sum();
    eprintln!(
        "input: {:.1} B per encoded input on average (f32/f64 mix), e.g. {} B with f32",
        bytes as f64 / docs.len() as f64,
        docs[0].len()
    );
    g.bench_function("decode_x1024", |b| {
        b.iter(|| {
            let mut ok = 0u32;
            for d in black_box(&docs) {
                ok += u32::from(InputMsg::decode(d, &[]).is_ok());
            }
            ok
        });
    });
    // A shooter's input: `[seq, dx, dy, buttons, aim, fire, weapon]`, decoded against its fields.
    let fields = [
        FieldDef {
            name: "aim".into(),
            ty: FieldType::Angle { bits: 10 },
        },
        FieldDef {
            name: "fire".into(),
            ty: FieldType::Flag,
        },
        FieldDef {
            name: "weapon".into(),
            ty: FieldType::Uint { max: 3 },
        },
    ];
    let with_fields: Vec<Vec<u8>> = (0..1024u32)
        .map(|i| {
            let a = i as f32 * 0.37;
            let values = [
                FieldValue::Angle(a),
                FieldValue::Flag(i % 3 == 0),
                FieldValue::Uint(i % 4),
            ];
            rmp_serde::to_vec(&InputMsg::new(i, a.cos(), a.sin(), 0).with_values(&values)).unwrap()
        })
        .collect();
    eprintln!("input: {} B for an input with 3 game fields", with_fields[0].len());
    g.bench_function("decode_with_fields_x1024", |b| {
        b.iter(|| {
            let mut ok = 0u32;
            for d in black_box(&with_fields) {
                ok += u32::from(InputMsg::decode(d, &fields).is_ok());
            }
            ok
        });
    });
    g.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
