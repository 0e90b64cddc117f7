//! Building the part of a snapshot every recipient shares: the entity records and the teleport
//! list, packed once per snapshot tick.

use tickstate_shared::codec::SharedBlock;
use tickstate_shared::snapshot::{Quantizer, RecordHead};

use super::world::World;

/// Reusable buffers for [`SnapshotBuilder::build`].
#[derive(Debug, Default)]
pub struct SnapshotBuilder {
    records: Vec<u8>,
    teleports: Vec<u8>,
    shared: SharedBlock,
}

impl SnapshotBuilder {
    /// Packs every entity of `world` and the teleports at or after tick `since` into the shared
    /// block (returned, and kept for the next call's buffers).
    pub fn build(&mut self, world: &World, quantizer: &Quantizer, since: u64) -> &SharedBlock {
        self.teleports.clear();
        let schema = world.schema();
        // Records are written a word at a time into a buffer sized for the longest record (plus
        // the 8 bytes a word may spill past the last one), then cut to what was written.
        self.records.clear();
        self.records.resize(world.len() * schema.max_record_bytes() + 8, 0);
        let mut pos = 0;
        for (_, e) in world.iter() {
            let (x, y) = quantizer.quantize(e.pos.x, e.pos.y);
            let head = RecordHead {
                id: e.net_id(),
                kind: e.kind().id(),
                away: e.is_away(),
                x,
                y,
            };
            let Some(word) = self.records.get_mut(pos..pos + 8) else {
                break; // unreachable: the buffer is sized for every entity
            };
            word.copy_from_slice(&head.word().to_le_bytes());
            pos += RecordHead::SIZE;
            // Stored values are normalized when set, so they are packed without normalizing again.
            if let Some(layout) = schema.kind_layout(e.kind().id()) {
                pos = layout.packer.pack_at(e.values(), &mut self.records, pos);
            }
            if let Some(t) = e.teleported_at.filter(|t| *t >= since) {
                self.teleports.extend_from_slice(&e.net_id().to_le_bytes());
                self.teleports.extend_from_slice(&(t as u32).to_le_bytes());
            }
        }
        self.records.truncate(pos);
        self.shared.set(&self.records, &self.teleports);
        &self.shared
    }

    /// The block of the last [`SnapshotBuilder::build`].
    pub fn shared(&self) -> &SharedBlock {
        &self.shared
    }

    /// The raw entity records of the last build (without MessagePack framing).
    pub fn records(&self) -> &[u8] {
        &self.records
    }

    /// The raw teleport entries of the last build.
    pub fn teleports(&self) -> &[u8] {
        &self.teleports
    }

    /// Bytes of entity records in the last build (without MessagePack framing).
    pub fn record_bytes(&self) -> usize {
        self.records.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use glam::Vec2;
    use tickstate_shared::codec::{decode_snapshot, encode_snapshot, write_record};
    use tickstate_shared::schema::FieldValue;

    use super::*;
    use crate::schema::SchemaBuilder;

    #[test]
    fn block_holds_every_entity_with_its_fields_and_the_recent_teleports() {
        let mut s = SchemaBuilder::new("t");
        let mut ship = s.kind(1, "ship");
        let angle = ship.angle("angle", 8);
        let ship = ship.done();
        let star = s.kind(3, "star").done();
        let schema = Arc::new(s.build().unwrap());
        let mut w = World::new(Vec2::new(1000.0, 500.0), vec![], schema.clone());
        let a = w.spawn(ship, Vec2::new(250.0, 125.0), 5.0).unwrap();
        w.set(a, angle, std::f32::consts::PI);
        let b = w.spawn(star, Vec2::new(999.0, 1.0), 0.5).unwrap();
        w.tick = 10;
        w.teleport(b, Vec2::new(500.0, 250.0));
        let qz = Quantizer::new(1000.0, 500.0);
        let mut sb = SnapshotBuilder::default();
        sb.build(&w, &qz, 0);
        assert_eq!(sb.record_bytes(), 8 + 7);
        // The word-at-a-time builder writes what the reference encoder of `shared` writes.
        let mut want = Vec::new();
        for (_, e) in w.iter() {
            let (x, y) = qz.quantize(e.pos.x, e.pos.y);
            let head = RecordHead {
                id: e.net_id(),
                kind: e.kind().id(),
                away: e.is_away(),
                x,
                y,
            };
            let fields = &schema.doc().kind(e.kind().id()).unwrap().fields;
            write_record(&head, fields, e.values(), &mut want);
        }
        assert_eq!(sb.records, want);
        let doc = encode_snapshot(9, 0, sb.shared(), None, None);
        let snap = decode_snapshot(&doc, schema.record_layout()).unwrap();
        let ra = snap.entity(w.get(a).unwrap().net_id()).unwrap();
        let (x, y) = qz.dequantize(ra.head.x, ra.head.y);
        assert!((x - 250.0).abs() < 0.01 && (y - 125.0).abs() < 0.01);
        assert_eq!(ra.head.kind, 1);
        let FieldValue::Angle(got) = ra.fields[0] else { panic!() };
        assert!((got - std::f32::consts::PI).abs() < 0.02);
        assert_eq!(snap.teleports, vec![(w.get(b).unwrap().net_id(), 10)]);
        sb.build(&w, &qz, 11);
        let doc = encode_snapshot(70, 0, sb.shared(), None, None);
        assert!(
            decode_snapshot(&doc, schema.record_layout())
                .unwrap()
                .teleports
                .is_empty(),
            "old teleports age out"
        );
    }
}
