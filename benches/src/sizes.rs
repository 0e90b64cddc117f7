//! Encoded sizes of protocol messages, pinned by unit tests so that a size regression fails CI.
//!
//! The figures are counts, not timings: they do not depend on the machine. The criterion benches
//! print the same bytes-per-entity figures next to their timings.

use tickstate_shared::codec::{encode_entities, encode_snapshot};
use tickstate_shared::snapshot::EntityRecord;

/// `n` entity records spread over the quantized range (ids 1..=n, kinds 1–3).
pub fn records(n: usize) -> Vec<EntityRecord> {
    (0..n)
        .map(|i| {
            let i16 = (i % 65_535) as u16;
            EntityRecord {
                id: i16.wrapping_add(1),
                kind: (i % 3) as u8 + 1,
                x: i16.wrapping_mul(7919),
                y: i16.wrapping_mul(39_193),
            }
        })
        .collect()
}

/// The snapshot document (`[tick, ack, bin]`) for `n` entities with the given header values.
pub fn snapshot_document(n: usize, tick: u32, ack: u32) -> Vec<u8> {
    let mut block = Vec::new();
    encode_entities(&records(n), &mut block);
    encode_snapshot(tick, ack, &block)
}

/// Bytes per entity of a full snapshot of `n` entities in a long-running room (tick and ack above
/// 65,535, so both take their 5-byte MessagePack form: the worst case).
pub fn bytes_per_entity(n: usize) -> f64 {
    snapshot_document(n, 1 << 20, 1 << 20).len() as f64 / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn bytes_per_entity_meets_the_target() {
        // performance-plan.md: <= 8 B per moving entity for a full snapshot.
        for n in [20, 100, 1_000, 10_000] {
            assert!(bytes_per_entity(n) <= 8.0, "{n}: {}", bytes_per_entity(n));
        }
        assert_eq!(format!("{:.3}", bytes_per_entity(100)), "7.140");
        assert_eq!(format!("{:.4}", bytes_per_entity(10_000)), "7.0016");
    }

    #[test]
    fn documents_decode() {
        let doc = snapshot_document(1_000, 9, 8);
        let s = tickstate_shared::codec::decode_snapshot(&doc).unwrap();
        assert_eq!((s.tick, s.ack, s.entities.len()), (9, 8, 1_000));
    }
}
