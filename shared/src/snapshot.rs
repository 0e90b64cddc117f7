//! Snapshots: what every client is told each snapshot tick.
//!
//! A snapshot is the MessagePack array `[tick, ack, entities]` (encoded by rmp-serde with structs as
//! arrays), sent as the single `bin` argument of the `snapshot` event:
//!
//! - `tick` (u32): the server tick the state belongs to.
//! - `ack` (u32): the last input `seq` the server applied for the recipient (0 before any).
//! - `entities` (bin): [`EntityRecord::SIZE`]-byte records packed back to back, little-endian:
//!   `id: u16`, `kind: u8`, `x: u16`, `y: u16`.
//!
//! Positions are quantized to 16 bits across the world's width and height ([`Quantizer`]), so a
//! full snapshot costs 7 bytes per entity plus a header of at most 15 bytes.

use serde::{Deserialize, Serialize};

/// One entity in a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntityRecord {
    /// Compact network id (never a server-side key); stable while the entity lives.
    pub id: u16,
    /// Entity kind as defined by the game rules (the demo: 1 red ship, 2 blue ship, 3 star).
    pub kind: u8,
    /// Quantized x, see [`Quantizer`].
    pub x: u16,
    /// Quantized y, see [`Quantizer`].
    pub y: u16,
}

impl EntityRecord {
    /// Bytes per record on the wire.
    pub const SIZE: usize = 7;

    /// Appends the record's wire form to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_le_bytes());
        out.push(self.kind);
        out.extend_from_slice(&self.x.to_le_bytes());
        out.extend_from_slice(&self.y.to_le_bytes());
    }

    /// Reads one record from exactly [`Self::SIZE`] bytes.
    pub fn read(b: &[u8; Self::SIZE]) -> Self {
        Self {
            id: u16::from_le_bytes([b[0], b[1]]),
            kind: b[2],
            x: u16::from_le_bytes([b[3], b[4]]),
            y: u16::from_le_bytes([b[5], b[6]]),
        }
    }
}

/// A decoded snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Server tick.
    pub tick: u32,
    /// Last input sequence number applied for the recipient.
    pub ack: u32,
    /// Every entity the recipient sees.
    pub entities: Vec<EntityRecord>,
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

fn q(unit: f32) -> u16 {
    // `as` saturates and maps NaN to 0, so every input gives a valid u16.
    (unit.clamp(0.0, 1.0) * 65535.0).round() as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_in_seven_bytes() {
        let r = EntityRecord {
            id: 0x0102,
            kind: 3,
            x: 0xfffe,
            y: 7,
        };
        let mut out = Vec::new();
        r.write(&mut out);
        assert_eq!(out, [0x02, 0x01, 3, 0xfe, 0xff, 7, 0]);
        let arr: [u8; 7] = out.as_slice().try_into().unwrap();
        assert_eq!(EntityRecord::read(&arr), r);
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
