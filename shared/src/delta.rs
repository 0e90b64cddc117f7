//! Delta snapshots: a snapshot's entities as the changes from a snapshot the client acknowledged.
//!
//! A client that acknowledges snapshots (the `snapshot_ack` event, see PROTOCOL.md "Delta
//! snapshots") may be sent a document whose 7th element names a **baseline tick**: its `entities`
//! bin is then a delta against the client's copy of that snapshot ([`Baseline`]). The delta block
//! is a bit stream (LSB-first, like record fields) with one entry per baseline entity in ascending
//! id order, zero-padded to a whole byte, followed by the full records of the entities that are new
//! since the baseline (ascending id):
//!
//! | Bits | Entry |
//! |---|---|
//! | `0` | unchanged: 1 bit, nothing else |
//! | `1 0` | changed: a mask of `2 + fields` bits (bit 0 position, bit 1 away flag flips, bit `2 + i` field `i`), then the payload of each set bit in that order |
//! | `1 1 0` | removed |
//! | `1 1 1` | reserved (leaving the view, for interest management); a decoder of this version rejects it |
//!
//! Position payload: a 2-bit class `c`; for `c` = 0, 1, 2 the x then y change in zigzag form
//! (`(d << 1) ^ (d >> 31)`) in 4, 8 or 12 bits each; for `c` = 3 the new x and y in 16 bits each. A
//! field's payload is its new quantized value in the field's bits. An entity whose kind changed
//! is sent as removed plus new.

use std::collections::VecDeque;

use crate::codec::DecodeError;
use crate::schema::{BitWriter, FieldDef};
use crate::snapshot::{EntityRecord, RecordHead, RecordLayout};

/// Snapshots a server keeps per room as baselines, and a client keeps as received states: 32
/// snapshots, about one second at 30 snapshots per second. A client whose newest acknowledged
/// snapshot is older than that gets a keyframe.
pub const HISTORY: usize = 32;

/// One snapshot's entity records sorted by id: what a delta is encoded against and applied to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// The snapshot's tick.
    pub tick: u32,
    ids: Vec<u16>,
    /// Start of each record in `records` (the end is the next start, or the buffer's end).
    starts: Vec<u32>,
    records: Vec<u8>,
}

impl Baseline {
    /// The baseline of a raw record block (records back to back, in any order).
    ///
    /// # Errors
    /// [`DecodeError`] when the block is not whole records of declared kinds, or an id repeats.
    pub fn from_block(tick: u32, block: &[u8], layout: &RecordLayout) -> Result<Self, DecodeError> {
        let mut index: Vec<(u16, usize, usize)> = Vec::with_capacity(block.len() / RecordHead::SIZE);
        let mut at = 0;
        while at < block.len() {
            let kind = *block.get(at + 2).ok_or(DecodeError::TruncatedRecord)?;
            let (_, len) = layout.kind(kind).ok_or(DecodeError::UnknownKind(kind & 0x7f))?;
            if at + len > block.len() {
                return Err(DecodeError::TruncatedRecord);
            }
            index.push((u16::from_le_bytes([block[at], block[at + 1]]), at, len));
            at += len;
        }
        index.sort_unstable_by_key(|e| e.0);
        let mut b = Self {
            tick,
            ids: Vec::with_capacity(index.len()),
            starts: Vec::with_capacity(index.len()),
            records: Vec::with_capacity(block.len()),
        };
        for (id, start, len) in index {
            if b.ids.last() == Some(&id) {
                return Err(DecodeError::DuplicateId(id));
            }
            b.push(id, &block[start..start + len]);
        }
        Ok(b)
    }

    fn push(&mut self, id: u16, rec: &[u8]) {
        self.ids.push(id);
        self.starts.push(self.records.len() as u32);
        self.records.extend_from_slice(rec);
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when the snapshot had no entities.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The raw record of the `i`-th entity (ascending id).
    pub fn record(&self, i: usize) -> &[u8] {
        let start = self.starts[i] as usize;
        let end = self.starts.get(i + 1).map_or(self.records.len(), |e| *e as usize);
        &self.records[start..end]
    }

    /// The records back to back in ascending id order (a valid full `entities` block).
    pub fn block(&self) -> &[u8] {
        &self.records
    }

    /// Bytes this baseline holds (its memory cost, roughly).
    pub fn bytes(&self) -> usize {
        self.records.len() + self.ids.len() * 6
    }

    /// The decoded entities, ascending id.
    ///
    /// # Errors
    /// [`DecodeError`] when a record does not fit its kind (not for baselines built here).
    pub fn entities(&self, layout: &RecordLayout) -> Result<Vec<EntityRecord>, DecodeError> {
        (0..self.len())
            .map(|i| {
                let rec = self.record(i);
                let head: &[u8; RecordHead::SIZE] = rec
                    .get(..RecordHead::SIZE)
                    .and_then(|h| h.try_into().ok())
                    .ok_or(DecodeError::TruncatedRecord)?;
                let head = RecordHead::read(head);
                let fields = layout.fields(head.kind, rec).ok_or(DecodeError::TruncatedRecord)?;
                Ok(EntityRecord { head, fields })
            })
            .collect()
    }
}

const POS_WIDTHS: [u32; 3] = [4, 8, 12];

fn zigzag(d: i32) -> u32 {
    ((d << 1) ^ (d >> 31)) as u32
}

fn unzigzag(z: u32) -> i32 {
    ((z >> 1) as i32) ^ -((z & 1) as i32)
}

/// Reads the quantized fields of a record (after its head).
fn field_values(fields: &[FieldDef], rec: &[u8], out: &mut Vec<u64>) {
    out.clear();
    let mut r = crate::schema::BitReader::new(rec.get(RecordHead::SIZE..).unwrap_or(&[]));
    out.extend(fields.iter().map(|f| r.read(f.ty.bits())));
}

fn pos(rec: &[u8]) -> (u16, u16) {
    (
        u16::from_le_bytes([rec[3], rec[4]]),
        u16::from_le_bytes([rec[5], rec[6]]),
    )
}

/// Appends the delta block that turns `base` into `cur` (see the module docs).
pub fn encode_delta(base: &Baseline, cur: &Baseline, layout: &RecordLayout, out: &mut Vec<u8>) {
    let mut new: Vec<usize> = Vec::new();
    let (mut old_q, mut new_q) = (Vec::new(), Vec::new());
    {
        let mut w = BitWriter::new(out);
        let mut j = 0;
        for (i, &id) in base.ids.iter().enumerate() {
            while j < cur.ids.len() && cur.ids[j] < id {
                new.push(j);
                j += 1;
            }
            if j >= cur.ids.len() || cur.ids[j] != id {
                w.write(0b011, 3); // removed: bits 1, 1, 0
                continue;
            }
            let (a, b) = (base.record(i), cur.record(j));
            j += 1;
            if a == b {
                w.write(0, 1);
                continue;
            }
            if a[2] & 0x7f != b[2] & 0x7f {
                w.write(0b011, 3);
                new.push(j - 1);
                continue;
            }
            let Some((fields, _)) = layout.kind(b[2]) else {
                // Unreachable for baselines built from a layout: send it as removed plus new.
                w.write(0b011, 3);
                new.push(j - 1);
                continue;
            };
            field_values(fields, a, &mut old_q);
            field_values(fields, b, &mut new_q);
            let moved = a[3..7] != b[3..7];
            let mut mask = u64::from(moved) | u64::from((a[2] ^ b[2]) & 0x80 != 0) << 1;
            for (k, (o, n)) in old_q.iter().zip(&new_q).enumerate() {
                if o != n {
                    mask |= 1 << (k + 2);
                }
            }
            w.write(0b01, 2); // changed: bits 1, 0
            w.write(mask, 2 + fields.len() as u32);
            if moved {
                let ((ox, oy), (nx, ny)) = (pos(a), pos(b));
                let (zx, zy) = (
                    zigzag(i32::from(nx) - i32::from(ox)),
                    zigzag(i32::from(ny) - i32::from(oy)),
                );
                let m = zx.max(zy);
                match POS_WIDTHS.iter().position(|w| m < 1 << w) {
                    Some(c) => {
                        w.write(c as u64, 2);
                        w.write(u64::from(zx), POS_WIDTHS[c]);
                        w.write(u64::from(zy), POS_WIDTHS[c]);
                    }
                    None => {
                        w.write(3, 2);
                        w.write(u64::from(nx), 16);
                        w.write(u64::from(ny), 16);
                    }
                }
            }
            for (k, f) in fields.iter().enumerate() {
                if mask & (1 << (k + 2)) != 0 {
                    w.write(new_q[k], f.ty.bits());
                }
            }
        }
        new.extend(j..cur.ids.len());
        w.finish();
    }
    for j in new {
        out.extend_from_slice(cur.record(j));
    }
}

/// A bit reader that fails instead of reading past the end.
struct Bits<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn read(&mut self, bits: u32) -> Result<u64, DecodeError> {
        if self.pos + bits as usize > self.bytes.len() * 8 {
            return Err(DecodeError::BadDelta("the change list ends early"));
        }
        let mut v = 0u64;
        for k in 0..bits {
            let bit = (self.bytes[self.pos / 8] >> (self.pos % 8)) & 1;
            v |= u64::from(bit) << k;
            self.pos += 1;
        }
        Ok(v)
    }
}

/// Applies a delta block to `base`, giving the snapshot of `tick`.
///
/// # Errors
/// [`DecodeError`] when the block does not fit the baseline (ends early, a reserved entry, a
/// position outside 0..=65535, a new record of an undeclared kind, an id twice). Never panics, and
/// the result is at most the baseline plus the block in size.
pub fn apply_delta(base: &Baseline, tick: u32, block: &[u8], layout: &RecordLayout) -> Result<Baseline, DecodeError> {
    let mut r = Bits { bytes: block, pos: 0 };
    let mut kept = Baseline {
        tick,
        ids: Vec::with_capacity(base.len()),
        starts: Vec::with_capacity(base.len()),
        records: Vec::with_capacity(base.records.len()),
    };
    let mut q = Vec::new();
    let mut rec = Vec::new();
    for i in 0..base.len() {
        let a = base.record(i);
        if r.read(1)? == 0 {
            kept.push(base.ids[i], a);
            continue;
        }
        if r.read(1)? == 1 {
            if r.read(1)? == 1 {
                return Err(DecodeError::BadDelta("reserved entry (leaving the view)"));
            }
            continue; // removed
        }
        let (fields, _) = layout.kind(a[2]).ok_or(DecodeError::UnknownKind(a[2] & 0x7f))?;
        let mask = r.read(2 + fields.len() as u32)?;
        let (mut x, mut y) = pos(a);
        if mask & 1 != 0 {
            let c = r.read(2)? as usize;
            if let Some(&w) = POS_WIDTHS.get(c) {
                let dx = unzigzag(r.read(w)? as u32);
                let dy = unzigzag(r.read(w)? as u32);
                let nx = i32::from(x) + dx;
                let ny = i32::from(y) + dy;
                x = u16::try_from(nx).map_err(|_| DecodeError::BadDelta("position outside the world"))?;
                y = u16::try_from(ny).map_err(|_| DecodeError::BadDelta("position outside the world"))?;
            } else {
                x = r.read(16)? as u16;
                y = r.read(16)? as u16;
            }
        }
        field_values(fields, a, &mut q);
        for (k, f) in fields.iter().enumerate() {
            if mask & (1 << (k + 2)) != 0 {
                q[k] = r.read(f.ty.bits())?;
            }
        }
        rec.clear();
        rec.extend_from_slice(&a[..2]);
        rec.push(if mask & 2 != 0 { a[2] ^ 0x80 } else { a[2] });
        rec.extend_from_slice(&x.to_le_bytes());
        rec.extend_from_slice(&y.to_le_bytes());
        let mut w = BitWriter::new(&mut rec);
        for (k, f) in fields.iter().enumerate() {
            w.write(q[k], f.ty.bits());
        }
        w.finish();
        kept.push(base.ids[i], &rec);
    }
    let tail = block.get(r.pos.div_ceil(8)..).unwrap_or(&[]);
    let added = Baseline::from_block(tick, tail, layout)?;
    // The new records come in ascending id order; merge them with the kept ones.
    let mut at = 0;
    let mut prev: Option<u16> = None;
    while at < tail.len() {
        let id = u16::from_le_bytes([tail[at], tail[at + 1]]);
        if prev.is_some_and(|p| p >= id) {
            return Err(DecodeError::BadDelta("new records are not in ascending id order"));
        }
        prev = Some(id);
        let (_, len) = layout
            .kind(tail[at + 2])
            .ok_or(DecodeError::UnknownKind(tail[at + 2] & 0x7f))?;
        at += len;
    }
    if added.is_empty() {
        return Ok(kept);
    }
    let mut out = Baseline {
        tick,
        ids: Vec::with_capacity(kept.len() + added.len()),
        starts: Vec::with_capacity(kept.len() + added.len()),
        records: Vec::with_capacity(kept.records.len() + added.records.len()),
    };
    let (mut i, mut j) = (0, 0);
    while i < kept.len() || j < added.len() {
        let take_kept = j >= added.len() || (i < kept.len() && kept.ids[i] < added.ids[j]);
        if take_kept {
            out.push(kept.ids[i], kept.record(i));
            i += 1;
        } else {
            if i < kept.len() && kept.ids[i] == added.ids[j] {
                return Err(DecodeError::DuplicateId(added.ids[j]));
            }
            out.push(added.ids[j], added.record(j));
            j += 1;
        }
    }
    Ok(out)
}

/// The last [`HISTORY`] snapshots, by tick: the server's baselines for a room, or the states a
/// client received.
#[derive(Debug, Clone, Default)]
pub struct History {
    ring: VecDeque<Baseline>,
}

impl History {
    /// Keeps `b`, forgetting the oldest beyond [`HISTORY`].
    pub fn push(&mut self, b: Baseline) {
        if self.ring.len() >= HISTORY {
            self.ring.pop_front();
        }
        self.ring.push_back(b);
    }

    /// The snapshot of `tick`, if still kept.
    pub fn get(&self, tick: u32) -> Option<&Baseline> {
        self.ring.iter().rev().find(|b| b.tick == tick)
    }

    /// The newest snapshot kept.
    pub fn latest(&self) -> Option<&Baseline> {
        self.ring.back()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.ring.clear();
    }

    /// Bytes held (roughly).
    pub fn bytes(&self) -> usize {
        self.ring.iter().map(Baseline::bytes).sum()
    }
}
