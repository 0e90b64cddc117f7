//! Building the snapshot entity block from the world.

use tickstate_shared::codec::encode_entities;
use tickstate_shared::snapshot::{EntityRecord, Quantizer};

use super::world::World;

/// Writes every entity of `world` as snapshot records into `out` (cleared first).
///
/// Called once per snapshot tick; the block is shared by every recipient, each getting its own
/// `tick`/`ack` header around it.
pub fn build_entity_block(world: &World, quantizer: &Quantizer, records: &mut Vec<EntityRecord>, out: &mut Vec<u8>) {
    records.clear();
    records.extend(world.iter().map(|(_, e)| {
        let (x, y) = quantizer.quantize(e.pos.x, e.pos.y);
        EntityRecord {
            id: e.net_id(),
            // Bit 7 marks an entity whose player is away (seat held); kinds use bits 0-6.
            kind: (e.kind & 0x7f) | if e.is_away() { 0x80 } else { 0 },
            x,
            y,
        }
    }));
    out.clear();
    encode_entities(records, out);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use glam::Vec2;
    use tickstate_shared::codec::{decode_snapshot, encode_snapshot};

    #[test]
    fn block_holds_every_entity_quantized() {
        let mut w = World::new(Vec2::new(1000.0, 500.0), vec![]);
        let a = w.spawn(1, Vec2::new(250.0, 125.0), 5.0).unwrap();
        w.spawn(3, Vec2::new(999.0, 1.0), 0.5).unwrap();
        let qz = Quantizer::new(1000.0, 500.0);
        let (mut recs, mut block) = (Vec::new(), Vec::new());
        build_entity_block(&w, &qz, &mut recs, &mut block);
        assert_eq!(block.len(), 2 * EntityRecord::SIZE);
        let snap = decode_snapshot(&encode_snapshot(9, 0, &block)).unwrap();
        let ra = snap
            .entities
            .iter()
            .find(|r| r.id == w.get(a).unwrap().net_id())
            .unwrap();
        let (x, y) = qz.dequantize(ra.x, ra.y);
        assert!((x - 250.0).abs() < 0.01 && (y - 125.0).abs() < 0.01);
        assert_eq!(ra.kind, 1);
    }
}
