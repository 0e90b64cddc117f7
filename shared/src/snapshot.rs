//! Snapshots: what every client is told each snapshot tick.
//!
//! A snapshot is one `bin` argument of the `snapshot` event holding the MessagePack array
//! `[tick, ack, entities, teleports?, private?, movement?]` (see [`crate::codec`] and PROTOCOL.md):
//!
//! - `entities` (bin): one record per entity, back to back: a 7-byte head ([`RecordHead`]:
//!   `id: u16`, `kind: u8` with bit 7 = away, `x: u16`, `y: u16`, little-endian) followed by the
//!   kind's declared fields bit-packed ([`crate::schema::pack_fields`]). A record's length follows
//!   from its kind, so the block needs no separators.
//! - `teleports` (nil or bin): 6-byte entries `id: u16, tick: u32` for entities the server moved
//!   against their motion (teleport, respawn) during the last second; clients do not glide
//!   across such a jump (and a client whose own entity is listed snaps its prediction).
//! - `private` (nil or bin): the recipient's private fields, bit-packed.
//! - `movement` (nil or `[max_speed, radius]`): the recipient's own movement constants when they
//!   differ from `welcome.movement` (a frozen player has speed 0).
//!
//! Trailing nil elements are left out, so a game without teleports, private state or movement
//! changes sends `[tick, ack, entities]`.

use crate::schema::{FieldDef, FieldValue, KindDef, SchemaDoc, packed_len, unpack_fields};

/// Bit 7 of a record's kind byte: the entity's player is away (its seat is held).
pub const AWAY_BIT: u8 = 0x80;

/// The fixed first 7 bytes of every entity record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordHead {
    /// Compact network id (never a server-side key); stable while the entity lives.
    pub id: u16,
    /// Entity kind, 1..=127, as declared by the game.
    pub kind: u8,
    /// The entity's player is away (bit 7 of the kind byte).
    pub away: bool,
    /// Quantized x, see [`Quantizer`].
    pub x: u16,
    /// Quantized y, see [`Quantizer`].
    pub y: u16,
}

impl RecordHead {
    /// Bytes of the head on the wire.
    pub const SIZE: usize = 7;

    /// Appends the head's wire form to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_le_bytes());
        out.push((self.kind & 0x7f) | if self.away { AWAY_BIT } else { 0 });
        out.extend_from_slice(&self.x.to_le_bytes());
        out.extend_from_slice(&self.y.to_le_bytes());
    }

    /// The head's wire form in the low [`Self::SIZE`] bytes of a little-endian word (the top byte
    /// is zero), for writers that store whole words.
    #[inline]
    pub fn word(&self) -> u64 {
        let kind = (self.kind & 0x7f) | if self.away { AWAY_BIT } else { 0 };
        u64::from(self.id) | u64::from(kind) << 16 | u64::from(self.x) << 24 | u64::from(self.y) << 40
    }

    /// Reads a head from exactly [`Self::SIZE`] bytes.
    pub fn read(b: &[u8; Self::SIZE]) -> Self {
        Self {
            id: u16::from_le_bytes([b[0], b[1]]),
            kind: b[2] & 0x7f,
            away: b[2] & AWAY_BIT != 0,
            x: u16::from_le_bytes([b[3], b[4]]),
            y: u16::from_le_bytes([b[5], b[6]]),
        }
    }
}

/// One decoded entity: its head and its declared fields.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRecord {
    /// Id, kind, away flag and quantized position.
    pub head: RecordHead,
    /// The kind's fields in declaration order.
    pub fields: Vec<FieldValue>,
}

/// A decoded snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Server tick.
    pub tick: u32,
    /// Last input sequence number processed for the recipient.
    pub ack: u32,
    /// Every entity the recipient sees.
    pub entities: Vec<EntityRecord>,
    /// `(id, tick)` of entities moved against their motion during the last second.
    pub teleports: Vec<(u16, u32)>,
    /// The recipient's private fields (empty when the game declares none).
    pub private: Vec<FieldValue>,
    /// The recipient's movement constants `[max_speed, radius]` when they differ from `welcome`.
    pub movement: Option<[f32; 2]>,
}

impl Snapshot {
    /// The record of the entity with network id `id`.
    pub fn entity(&self, id: u16) -> Option<&EntityRecord> {
        self.entities.iter().find(|e| e.head.id == id)
    }
}

/// Per-kind record sizes and field lists, looked up by kind byte while decoding.
#[derive(Debug, Clone)]
pub struct RecordLayout {
    kinds: Vec<Option<(Vec<FieldDef>, usize)>>,
    private: Vec<FieldDef>,
}

impl RecordLayout {
    /// The layout a schema describes.
    pub fn new(schema: &SchemaDoc) -> Self {
        let mut kinds: Vec<Option<(Vec<FieldDef>, usize)>> = vec![None; 128];
        for KindDef { id, fields, .. } in &schema.kinds {
            if let Some(slot) = kinds.get_mut(usize::from(*id)) {
                *slot = Some((fields.clone(), RecordHead::SIZE + packed_len(fields)));
            }
        }
        Self {
            kinds,
            private: schema.private.clone(),
        }
    }

    /// Record length and fields of a kind, if it is declared.
    pub fn kind(&self, kind: u8) -> Option<(&[FieldDef], usize)> {
        self.kinds
            .get(usize::from(kind & 0x7f))?
            .as_ref()
            .map(|(f, n)| (f.as_slice(), *n))
    }

    /// Reads the fields of one record whose head is at the start of `rec` (`rec` is exactly the
    /// record).
    pub fn fields(&self, kind: u8, rec: &[u8]) -> Option<Vec<FieldValue>> {
        let (fields, _) = self.kind(kind)?;
        unpack_fields(fields, rec.get(RecordHead::SIZE..)?)
    }

    /// The private field declarations.
    pub fn private(&self) -> &[FieldDef] {
        &self.private
    }
}

/// Maps world positions to 16-bit integers and back.
///
/// `q = round(clamp(x / width, 0, 1) * 65535)`, and `x = q / 65535 * width`; the same for y with
/// the height. The error is at most half a step (`width / 131070`), 0.012 units for a 1600-wide world.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantizer {
    width: f32,
    height: f32,
}

impl Quantizer {
    /// A quantizer for a world of the given size; non-positive or non-finite sizes become 1.
    pub fn new(width: f32, height: f32) -> Self {
        let fix = |v: f32| if v.is_finite() && v > 0.0 { v } else { 1.0 };
        Self {
            width: fix(width),
            height: fix(height),
        }
    }

    /// Quantizes a position; values outside the world are clamped to its edge, NaN maps to 0.
    #[inline]
    pub fn quantize(&self, x: f32, y: f32) -> (u16, u16) {
        (q(x / self.width), q(y / self.height))
    }

    /// The world position a quantized pair stands for.
    pub fn dequantize(&self, qx: u16, qy: u16) -> (f32, f32) {
        (
            f32::from(qx) / 65535.0 * self.width,
            f32::from(qy) / 65535.0 * self.height,
        )
    }

    /// Largest error quantization can add along x, in world units.
    pub fn max_error_x(&self) -> f32 {
        self.width / 65535.0 / 2.0
    }
}

#[inline]
fn q(unit: f32) -> u16 {
    // `round_unsigned` is `f32::round` without the libm call and maps NaN to 0; the clamp keeps
    // the result within u16. (A precomputed `65535 / width` would save the division but moves
    // positions on exact halves, such as the middle of the world, by one step.)
    crate::schema::round_unsigned(unit.clamp(0.0, 1.0) * 65535.0) as u16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::FieldType;

    #[test]
    fn head_round_trips_in_seven_bytes() {
        let r = RecordHead {
            id: 0x0102,
            kind: 3,
            away: true,
            x: 0xfffe,
            y: 7,
        };
        let mut out = Vec::new();
        r.write(&mut out);
        assert_eq!(out, [0x02, 0x01, 0x83, 0xfe, 0xff, 7, 0]);
        let arr: [u8; 7] = out.as_slice().try_into().unwrap();
        assert_eq!(RecordHead::read(&arr), r);
        assert_eq!(
            r.word().to_le_bytes()[..RecordHead::SIZE],
            out[..],
            "the word form is the same bytes"
        );
        assert_eq!(r.word() >> 56, 0);
    }

    #[test]
    fn layout_gives_each_kind_its_record_size() {
        let schema = SchemaDoc {
            kinds: vec![
                KindDef {
                    id: 1,
                    name: "ship".into(),
                    fields: vec![FieldDef {
                        name: "angle".into(),
                        ty: FieldType::Angle { bits: 8 },
                    }],
                },
                KindDef {
                    id: 3,
                    name: "star".into(),
                    fields: vec![],
                },
            ],
            ..SchemaDoc::default()
        };
        let l = RecordLayout::new(&schema);
        assert_eq!(l.kind(1).map(|k| k.1), Some(8));
        assert_eq!(l.kind(3).map(|k| k.1), Some(7));
        assert_eq!(l.kind(0x83).map(|k| k.1), Some(7), "the away bit is ignored");
        assert!(l.kind(2).is_none());
    }

    #[test]
    fn quantization_error_is_within_half_a_step() {
        let qz = Quantizer::new(1600.0, 1200.0);
        let mut x = 0.0f32;
        while x <= 1600.0 {
            let (qx, qy) = qz.quantize(x, x * 0.75);
            let (bx, by) = qz.dequantize(qx, qy);
            assert!((bx - x).abs() <= qz.max_error_x() + 1e-3, "x {x} came back as {bx}");
            assert!((by - x * 0.75).abs() <= 1200.0 / 65535.0 / 2.0 + 1e-3);
            x += 0.37;
        }
    }

    #[test]
    fn quantization_clamps_out_of_range_and_nan() {
        let qz = Quantizer::new(100.0, 100.0);
        assert_eq!(qz.quantize(-5.0, 1e9), (0, 65535));
        assert_eq!(qz.quantize(f32::NAN, f32::INFINITY), (0, 65535));
        assert_eq!(qz.quantize(100.0, 0.0), (65535, 0));
    }

    #[test]
    fn degenerate_world_size_does_not_divide_by_zero() {
        let qz = Quantizer::new(0.0, f32::NAN);
        assert_eq!(qz.quantize(0.5, 0.5), (32768, 32768));
    }
}
