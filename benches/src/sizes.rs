//! Encoded sizes of protocol messages, pinned by unit tests so that a size regression fails CI.
//!
//! The figures are counts, not timings: they do not depend on the machine. The criterion benches
//! print the same bytes-per-entity figures next to their timings.

use tickstate_shared::codec::{SharedBlock, encode_snapshot, write_record};
use tickstate_shared::schema::{FieldDef, FieldType, FieldValue, KindDef, SchemaDoc};
use tickstate_shared::snapshot::RecordHead;

/// Which fields the entities of a sized snapshot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Position only (Star Collector's ships and stars): a 7-byte record.
    Position,
    /// Position and an 8-bit angle (a ship that turns): 8 bytes.
    Angle,
    /// Position, an 8-bit angle, a velocity of 2 × 12 bits and a u8 (hp): 12 bytes.
    AngleVelocityU8,
    /// Four fields: angle (8 bits), hp (uint ≤ 100), a flag and a velocity (2 × 12 bits): 12 bytes.
    FourFields,
}

impl Shape {
    /// The fields of the kind with this shape.
    pub fn fields(self) -> Vec<FieldDef> {
        let angle = FieldDef {
            name: "angle".into(),
            ty: FieldType::Angle { bits: 8 },
        };
        let vel = FieldDef {
            name: "vel".into(),
            ty: FieldType::Velocity { max: 900.0, bits: 12 },
        };
        match self {
            Shape::Position => vec![],
            Shape::Angle => vec![angle],
            Shape::AngleVelocityU8 => vec![
                angle,
                vel,
                FieldDef {
                    name: "hp".into(),
                    ty: FieldType::Uint { max: 255 },
                },
            ],
            Shape::FourFields => vec![
                angle,
                FieldDef {
                    name: "hp".into(),
                    ty: FieldType::Uint { max: 100 },
                },
                FieldDef {
                    name: "shield".into(),
                    ty: FieldType::Flag,
                },
                vel,
            ],
        }
    }

    /// A schema with this shape's kind as kind 1.
    pub fn schema(self) -> SchemaDoc {
        SchemaDoc {
            kinds: vec![KindDef {
                id: 1,
                name: "ship".into(),
                fields: self.fields(),
            }],
            ..SchemaDoc::default()
        }
    }

    /// Plausible values for entity `i`.
    pub fn values(self, i: usize) -> Vec<FieldValue> {
        let a = FieldValue::Angle(i as f32 * 0.37);
        let v = FieldValue::Velocity([(i % 900) as f32 - 450.0, 120.0]);
        match self {
            Shape::Position => vec![],
            Shape::Angle => vec![a],
            Shape::AngleVelocityU8 => vec![a, v, FieldValue::Uint((i % 256) as u32)],
            Shape::FourFields => vec![
                a,
                FieldValue::Uint((i % 101) as u32),
                FieldValue::Flag(i.is_multiple_of(2)),
                v,
            ],
        }
    }
}

/// The head of entity `i` of a sized snapshot: ids 1..=n, kind 1, spread over the quantized range.
pub fn head(i: usize) -> RecordHead {
    let i16 = (i % 65_535) as u16;
    RecordHead {
        id: i16.wrapping_add(1),
        kind: 1,
        away: false,
        x: i16.wrapping_mul(7919),
        y: i16.wrapping_mul(39_193),
    }
}

/// The raw record block for `n` entities of the given shape.
pub fn record_block(n: usize, shape: Shape) -> Vec<u8> {
    let fields = shape.fields();
    let mut block = Vec::new();
    for i in 0..n {
        write_record(&head(i), &fields, &shape.values(i), &mut block);
    }
    block
}

/// The snapshot document (`[tick, ack, bin]`) for `n` entities of `shape`.
pub fn snapshot_document_of(n: usize, shape: Shape, tick: u32, ack: u32) -> Vec<u8> {
    let mut shared = SharedBlock::default();
    shared.set(&record_block(n, shape), &[]);
    encode_snapshot(tick, ack, &shared, None, None)
}

/// The position-only snapshot document for `n` entities.
pub fn snapshot_document(n: usize, tick: u32, ack: u32) -> Vec<u8> {
    snapshot_document_of(n, Shape::Position, tick, ack)
}

/// Bytes per entity of a full snapshot of `n` entities of `shape` in a long-running room (tick and
/// ack above 65,535, so both take their 5-byte MessagePack form: the worst case).
pub fn bytes_per_entity_of(n: usize, shape: Shape) -> f64 {
    snapshot_document_of(n, shape, 1 << 20, 1 << 20).len() as f64 / n.max(1) as f64
}

/// [`bytes_per_entity_of`] for position-only entities.
pub fn bytes_per_entity(n: usize) -> f64 {
    bytes_per_entity_of(n, Shape::Position)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickstate_shared::RecordLayout;
    use tickstate_shared::codec::decode_snapshot;

    /// Document sizes: 7 bytes per entity + fixarray(1) + tick + ack + bin header (2, 3 or 5).
    #[test]
    fn snapshot_sizes_are_pinned() {
        let worst = |n| snapshot_document(n, u32::MAX, u32::MAX).len();
        assert_eq!(worst(0), 13);
        assert_eq!(worst(1), 20);
        assert_eq!(worst(20), 153);
        assert_eq!(worst(100), 714);
        assert_eq!(worst(1_000), 7_014);
        assert_eq!(worst(10_000), 70_016);
        // A young room: tick < 65,536 (3 bytes), ack < 128 (1 byte).
        assert_eq!(snapshot_document(100, 4_242, 77).len(), 708);
        assert_eq!(snapshot_document(16 + 6, 1_000, 500).len(), 1 + 3 + 3 + 2 + 22 * 7);
    }

    #[test]
    fn record_sizes_per_shape_are_pinned() {
        // The budget: <= 8 B with position + angle, <= 12 B with angle, velocity and a u8.
        let per_record = |s: Shape| record_block(100, s).len() / 100;
        assert_eq!(per_record(Shape::Position), 7);
        assert_eq!(per_record(Shape::Angle), 8);
        assert_eq!(per_record(Shape::AngleVelocityU8), 12);
        assert_eq!(per_record(Shape::FourFields), 12);
    }

    #[test]
    fn bytes_per_entity_meets_the_target() {
        // performance-plan.md: <= 8 B per moving entity for a full snapshot.
        for n in [20, 100, 1_000, 10_000] {
            assert!(bytes_per_entity(n) <= 8.0, "{n}: {}", bytes_per_entity(n));
            assert!(bytes_per_entity_of(n, Shape::Angle) <= 9.0);
            assert!(bytes_per_entity_of(n, Shape::AngleVelocityU8) <= 13.0);
        }
        assert_eq!(format!("{:.3}", bytes_per_entity(100)), "7.140");
        assert_eq!(format!("{:.4}", bytes_per_entity(10_000)), "7.0016");
        assert_eq!(format!("{:.4}", bytes_per_entity_of(10_000, Shape::Angle)), "8.0016");
    }

    #[test]
    fn documents_decode_with_their_fields() {
        for shape in [Shape::Position, Shape::Angle, Shape::AngleVelocityU8, Shape::FourFields] {
            let doc = snapshot_document_of(1_000, shape, 9, 8);
            let layout = RecordLayout::new(&shape.schema());
            let s = decode_snapshot(&doc, &layout).unwrap();
            assert_eq!((s.tick, s.ack, s.entities.len()), (9, 8, 1_000));
            assert_eq!(s.entities[3].head, head(3));
            assert_eq!(s.entities[3].fields.len(), shape.fields().len());
        }
    }
}
