//! `decode_snapshot` on arbitrary bytes, with a schema that uses every field type: never panics,
//! and whatever decodes survives a round trip through the encoder unchanged (fields re-quantize to
//! the same values), with positions that dequantize inside the world.
//!
//! The same bytes as a delta: as a whole document to a receiver holding a keyframe (tick 1), and
//! as a raw delta block against that keyframe. Neither panics, and a block that applies gives a
//! state that re-encodes into a delta giving the same state again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tickstate_shared::codec::{SharedBlock, decode_snapshot, encode_snapshot, pack_private, write_record};
use tickstate_shared::delta::{Baseline, apply_delta, encode_delta};
use tickstate_shared::receiver::SnapshotReceiver;
use tickstate_shared::schema::FieldValue;
use tickstate_shared::schema::{FieldDef, FieldType, KindDef, SchemaDoc};
use tickstate_shared::{Quantizer, RecordLayout, Snapshot};

fn schema() -> SchemaDoc {
    let f = |n: &str, ty| FieldDef { name: n.into(), ty };
    SchemaDoc {
        kinds: vec![
            KindDef { id: 1, name: "ship".into(), fields: vec![
                f("angle", FieldType::Angle { bits: 8 }),
                f("hp", FieldType::Uint { max: 100 }),
                f("shield", FieldType::Flag),
                f("vel", FieldType::Velocity { max: 900.0, bits: 12 }),
            ] },
            KindDef { id: 3, name: "star".into(), fields: vec![] },
            KindDef { id: 5, name: "bullet".into(), fields: vec![
                f("vel", FieldType::Velocity { max: 1200.0, bits: 16 }),
                f("heat", FieldType::fixed(0.0, 1.0, 0.01)),
                f("team", FieldType::Int { min: -1, max: 2 }),
                f("big", FieldType::Uint { max: u32::MAX }),
            ] },
        ],
        private: vec![f("ammo", FieldType::Uint { max: 50 }), f("cd", FieldType::fixed(0.0, 2.0, 0.01))],
        ..SchemaDoc::default()
    }
}

fn encode(s: &Snapshot, schema: &SchemaDoc) -> Vec<u8> {
    let mut raw = Vec::new();
    for e in &s.entities {
        let fields = &schema.kind(e.head.kind).expect("decoded kinds are declared").fields;
        write_record(&e.head, fields, &e.fields, &mut raw);
    }
    let mut tele = Vec::new();
    for (id, t) in &s.teleports {
        tele.extend_from_slice(&id.to_le_bytes());
        tele.extend_from_slice(&t.to_le_bytes());
    }
    let mut shared = SharedBlock::default();
    shared.set(&raw, &tele);
    let mut private = Vec::new();
    pack_private(&schema.private, &s.private, &mut private);
    let private = (!s.private.is_empty()).then_some(private.as_slice());
    encode_snapshot(s.tick, s.ack, &shared, private, s.movement)
}

fn same(a: &Snapshot, b: &Snapshot) -> bool {
    let mv = |m: Option<[f32; 2]>| m.map(|[x, y]| [x.to_bits(), y.to_bits()]);
    a.tick == b.tick
        && a.ack == b.ack
        && a.entities == b.entities
        && a.teleports == b.teleports
        && a.private == b.private
        && mv(a.movement) == mv(b.movement)
}

/// A keyframe of tick 1: two ships, a star and a bullet.
fn keyframe(schema: &SchemaDoc) -> Vec<u8> {
    use tickstate_shared::RecordHead;
    let mut raw = Vec::new();
    let head = |id: u16, kind: u8| RecordHead { id, kind, away: id == 2, x: id.wrapping_mul(997), y: id.wrapping_mul(31) };
    let ship = &schema.kinds[0].fields;
    let values = [FieldValue::Angle(1.0), FieldValue::Uint(50), FieldValue::Flag(true), FieldValue::Velocity([10.0, -5.0])];
    write_record(&head(1, 1), ship, &values, &mut raw);
    write_record(&head(2, 1), ship, &values, &mut raw);
    write_record(&head(7, 3), &[], &[], &mut raw);
    write_record(&head(9, 5), &schema.kinds[2].fields, &[], &mut raw);
    raw
}

fn deltas(data: &[u8], schema: &SchemaDoc, layout: &RecordLayout) {
    let raw = keyframe(schema);
    let base = Baseline::from_block(1, &raw, layout).expect("the keyframe is well-formed");
    let mut shared = SharedBlock::default();
    shared.set(&raw, &[]);
    let mut rx = SnapshotReceiver::new(layout.clone());
    rx.receive(&encode_snapshot(1, 0, &shared, None, None)).expect("the keyframe decodes");
    let _ = rx.receive(data);
    if let Ok(state) = apply_delta(&base, 2, data, layout) {
        assert!(state.block().len() <= raw.len() + data.len(), "a delta grew the state beyond its bytes");
        let mut again = Vec::new();
        encode_delta(&base, &state, layout, &mut again);
        let rebuilt = apply_delta(&base, 2, &again, layout).expect("a re-encoded delta applies");
        // Compared decoded: a new record's padding bits are copied as sent, a changed one's are zero.
        assert_eq!(rebuilt.entities(layout), state.entities(layout), "re-encoding a delta changed the state");
    }
}

fuzz_target!(|data: &[u8]| {
    let schema = schema();
    let layout = RecordLayout::new(&schema);
    deltas(data, &schema, &layout);
    let Ok(snap) = decode_snapshot(data, &layout) else {
        return;
    };
    let doc = encode(&snap, &schema);
    let again = decode_snapshot(&doc, &layout).expect("a re-encoded snapshot should decode");
    assert!(same(&again, &snap), "round trip changed the snapshot: {snap:?} -> {again:?}");
    // The encoder's output is canonical: encoding what it decodes gives the same bytes.
    assert_eq!(encode(&again, &schema), doc);
    let q = Quantizer::new(1600.0, 900.0);
    for e in &snap.entities {
        let (x, y) = q.dequantize(e.head.x, e.head.y);
        assert!(
            x.is_finite() && y.is_finite() && (0.0..=1600.0).contains(&x) && (0.0..=900.0).contains(&y),
            "record {e:?} dequantized to ({x}, {y})"
        );
    }
});
