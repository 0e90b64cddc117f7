//! Encoding and bounded decoding of snapshot documents.
//!
//! The server packs the entity records and the teleport list once per snapshot tick into a
//! [`SharedBlock`] (the part every recipient of that tick gets the same), then wraps each
//! recipient's `tick`/`ack` (and its private fields and movement, when there are any) around it with
//! [`encode_snapshot`]. Clients, bots and tests decode with [`decode_snapshot`], which checks every
//! length before it allocates and needs the record layout from `welcome.schema`.

use crate::protocol::limits::MAX_SNAPSHOT_BYTES;
use crate::schema::{FieldDef, FieldValue, pack_fields, unpack_fields};
use crate::snapshot::{EntityRecord, RecordHead, RecordLayout, Snapshot};

/// Why a snapshot could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// The document is larger than [`MAX_SNAPSHOT_BYTES`].
    #[error("snapshot of {0} bytes exceeds the {MAX_SNAPSHOT_BYTES}-byte limit")]
    TooLarge(usize),
    /// The bytes are not the MessagePack array `[tick, ack, bin, ...]`.
    #[error("malformed snapshot document: {0}")]
    Malformed(&'static str),
    /// A record's kind is not declared in the schema.
    #[error("entity record of undeclared kind {0}")]
    UnknownKind(u8),
    /// The entity block ends inside a record.
    #[error("entity block ends inside a record")]
    TruncatedRecord,
    /// The teleport list is not a whole number of 6-byte entries.
    #[error("teleport list of {0} bytes is not a multiple of 6")]
    RaggedTeleports(usize),
    /// The private block is shorter than the declared private fields.
    #[error("private block too short")]
    TruncatedPrivate,
    /// Bytes follow the document.
    #[error("{0} trailing bytes after the snapshot document")]
    Trailing(usize),
    /// A delta against a snapshot this decoder does not have (use a
    /// [`crate::receiver::SnapshotReceiver`], which keeps the received ones).
    #[error("delta against snapshot {0}, which this decoder does not have")]
    NoBaseline(u32),
    /// Two records with the same id.
    #[error("entity id {0} appears twice")]
    DuplicateId(u16),
    /// A delta block that does not fit its baseline.
    #[error("bad delta: {0}")]
    BadDelta(&'static str),
}

/// Appends one entity record: the head, then `values` bit-packed after the kind's `fields`.
pub fn write_record(head: &RecordHead, fields: &[FieldDef], values: &[FieldValue], out: &mut Vec<u8>) {
    head.write(out);
    pack_fields(fields, values.iter().copied(), out);
}

/// The part of a snapshot tick that is the same for every recipient, already in MessagePack.
#[derive(Debug, Clone, Default)]
pub struct SharedBlock {
    entities: Vec<u8>,
    teleports: Option<Vec<u8>>,
}

impl SharedBlock {
    /// Wraps the raw record block and the raw teleport entries (`id: u16, tick: u32` each, may be
    /// empty). Reuses this value's buffers.
    pub fn set(&mut self, records: &[u8], teleports: &[u8]) {
        self.entities.clear();
        write_bin(&mut self.entities, records);
        if teleports.is_empty() {
            self.teleports = None;
        } else {
            let mut t = self.teleports.take().unwrap_or_default();
            t.clear();
            write_bin(&mut t, teleports);
            self.teleports = Some(t);
        }
    }

    /// Bytes of the shared part.
    pub fn len(&self) -> usize {
        self.entities.len() + self.teleports.as_ref().map_or(0, Vec::len)
    }

    /// True when nothing was set.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }
}

fn write_bin(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len();
    if n < 256 {
        out.push(0xc4);
        out.push(n as u8);
    } else if n < 65536 {
        out.push(0xc5);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(b);
}

fn write_u32(out: &mut Vec<u8>, v: u32) {
    if v < 128 {
        out.push(v as u8);
    } else if v < 256 {
        out.extend_from_slice(&[0xcc, v as u8]);
    } else if v < 65536 {
        out.push(0xcd);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else {
        out.push(0xce);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// Encodes one recipient's document `[tick, ack, entities, teleports?, private?, movement?]`
/// around a shared block. Trailing absent elements are left out.
pub fn encode_snapshot(
    tick: u32,
    ack: u32,
    shared: &SharedBlock,
    private: Option<&[u8]>,
    movement: Option<[f32; 2]>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(shared.len() + 16 + private.map_or(0, |p| p.len() + 2));
    encode_snapshot_into(&mut out, tick, ack, shared, private, movement);
    out
}

/// [`encode_snapshot`] appending to a buffer.
pub fn encode_snapshot_into(
    out: &mut Vec<u8>,
    tick: u32,
    ack: u32,
    shared: &SharedBlock,
    private: Option<&[u8]>,
    movement: Option<[f32; 2]>,
) {
    encode_document(out, tick, ack, shared, private, movement, None);
}

/// Encodes a delta document `[tick, ack, changes, teleports, private, movement, base]`: `shared`
/// holds a delta block (see [`crate::delta`]) against the recipient's snapshot of tick `base`.
pub fn encode_delta_snapshot_into(
    out: &mut Vec<u8>,
    tick: u32,
    ack: u32,
    base: u32,
    shared: &SharedBlock,
    private: Option<&[u8]>,
    movement: Option<[f32; 2]>,
) {
    encode_document(out, tick, ack, shared, private, movement, Some(base));
}

fn encode_document(
    out: &mut Vec<u8>,
    tick: u32,
    ack: u32,
    shared: &SharedBlock,
    private: Option<&[u8]>,
    movement: Option<[f32; 2]>,
    base: Option<u32>,
) {
    let n = if base.is_some() {
        7
    } else if movement.is_some() {
        6
    } else if private.is_some() {
        5
    } else if shared.teleports.is_some() {
        4
    } else {
        3
    };
    out.push(0x90 | n);
    write_u32(out, tick);
    write_u32(out, ack);
    if shared.entities.is_empty() {
        out.extend_from_slice(&[0xc4, 0x00]);
    } else {
        out.extend_from_slice(&shared.entities);
    }
    if n >= 4 {
        match &shared.teleports {
            Some(t) => out.extend_from_slice(t),
            None => out.push(0xc0),
        }
    }
    if n >= 5 {
        match private {
            Some(p) => write_bin(out, p),
            None => out.push(0xc0),
        }
    }
    if let Some([speed, radius]) = movement {
        out.push(0x92);
        out.push(0xca);
        out.extend_from_slice(&speed.to_be_bytes());
        out.push(0xca);
        out.extend_from_slice(&radius.to_be_bytes());
    } else if n >= 6 {
        out.push(0xc0);
    }
    if let Some(b) = base {
        write_u32(out, b);
    }
}

/// Packs private field values for [`encode_snapshot`].
pub fn pack_private(fields: &[FieldDef], values: &[FieldValue], out: &mut Vec<u8>) {
    pack_fields(fields, values.iter().copied(), out);
}

/// Decodes a snapshot document with the record layout of `welcome.schema`.
///
/// # Errors
/// [`DecodeError`] on anything that is not a well-formed snapshot. Never panics, whatever the
/// bytes.
pub fn decode_snapshot(bytes: &[u8], layout: &RecordLayout) -> Result<Snapshot, DecodeError> {
    let parts = decode_parts(bytes, layout)?;
    if let Some(base) = parts.base {
        return Err(DecodeError::NoBaseline(base));
    }
    let entities = decode_records(parts.entities, layout)?;
    Ok(parts.into_snapshot(entities))
}

/// A snapshot document with its `entities` bin not yet read (it is a delta block when `base` is
/// set).
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotParts<'a> {
    /// Server tick.
    pub tick: u32,
    /// Last input processed for the recipient.
    pub ack: u32,
    /// The raw `entities` bin: records, or a delta block against `base`.
    pub entities: &'a [u8],
    /// Teleport entries.
    pub teleports: Vec<(u16, u32)>,
    /// Private field values.
    pub private: Vec<crate::schema::FieldValue>,
    /// Movement constants, when they differ from `welcome`.
    pub movement: Option<[f32; 2]>,
    /// The baseline tick of a delta document.
    pub base: Option<u32>,
}

impl SnapshotParts<'_> {
    /// The snapshot with these entities.
    pub fn into_snapshot(self, entities: Vec<EntityRecord>) -> Snapshot {
        Snapshot {
            tick: self.tick,
            ack: self.ack,
            entities,
            teleports: self.teleports,
            private: self.private,
            movement: self.movement,
        }
    }
}

/// Decodes a full `entities` block into records (in block order).
///
/// # Errors
/// [`DecodeError`] on a record of an undeclared kind or a block that ends inside a record.
pub fn decode_records(block: &[u8], layout: &RecordLayout) -> Result<Vec<EntityRecord>, DecodeError> {
    // Every record is at least the 7-byte head, and the block is bounded by MAX_SNAPSHOT_BYTES, so
    // this reserves at most what the bytes can hold.
    let mut entities = Vec::with_capacity(block.len() / RecordHead::SIZE);
    let mut at = block;
    while !at.is_empty() {
        let kind = *at.get(2).ok_or(DecodeError::TruncatedRecord)?;
        let (fields, len) = layout.kind(kind).ok_or(DecodeError::UnknownKind(kind & 0x7f))?;
        let rec = at.get(..len).ok_or(DecodeError::TruncatedRecord)?;
        let head_bytes: &[u8; RecordHead::SIZE] = rec
            .get(..RecordHead::SIZE)
            .and_then(|h| h.try_into().ok())
            .ok_or(DecodeError::TruncatedRecord)?;
        let values = if fields.is_empty() {
            Vec::new()
        } else {
            unpack_fields(fields, &rec[RecordHead::SIZE..]).ok_or(DecodeError::TruncatedRecord)?
        };
        entities.push(EntityRecord {
            head: RecordHead::read(head_bytes),
            fields: values,
        });
        at = &at[len..];
    }
    Ok(entities)
}

/// Decodes a snapshot document (full or delta) without reading its `entities` bin.
///
/// # Errors
/// [`DecodeError`] on anything that is not a well-formed snapshot document.
pub fn decode_parts<'a>(bytes: &'a [u8], layout: &RecordLayout) -> Result<SnapshotParts<'a>, DecodeError> {
    use crate::msgpack::{Number, Scalar, read_array_len, read_scalar};
    if bytes.len() > MAX_SNAPSHOT_BYTES {
        return Err(DecodeError::TooLarge(bytes.len()));
    }
    let mut rd = bytes;
    let n = read_array_len(&mut rd).map_err(|_| DecodeError::Malformed("not an array"))?;
    if !(3..=7).contains(&n) {
        return Err(DecodeError::Malformed("expected 3 to 7 elements"));
    }
    let uint = |rd: &mut &[u8]| match read_scalar(rd) {
        Ok(Scalar::Number(Number::Int(v))) => {
            u32::try_from(v).map_err(|_| DecodeError::Malformed("tick/ack out of range"))
        }
        _ => Err(DecodeError::Malformed("tick/ack is not an integer")),
    };
    let tick = uint(&mut rd)?;
    let ack = uint(&mut rd)?;
    let block = read_bin(&mut rd)?.ok_or(DecodeError::Malformed("entities is not bin"))?;
    let mut teleports = Vec::new();
    if n >= 4
        && let Some(t) = read_bin(&mut rd)?
    {
        if t.len() % 6 != 0 {
            return Err(DecodeError::RaggedTeleports(t.len()));
        }
        teleports = t
            .chunks_exact(6)
            .map(|c| {
                (
                    u16::from_le_bytes([c[0], c[1]]),
                    u32::from_le_bytes([c[2], c[3], c[4], c[5]]),
                )
            })
            .collect();
    }
    let mut private = Vec::new();
    if n >= 5
        && let Some(p) = read_bin(&mut rd)?
    {
        private = unpack_fields(layout.private(), p).ok_or(DecodeError::TruncatedPrivate)?;
    }
    let mut movement = None;
    if n >= 6 {
        if rd.first() == Some(&0xc0) {
            rd = &rd[1..];
        } else {
            if read_array_len(&mut rd) != Ok(2) {
                return Err(DecodeError::Malformed("movement is not [max_speed, radius]"));
            }
            let f = |rd: &mut &[u8]| match read_scalar(rd) {
                Ok(Scalar::Number(Number::Float(v))) => Ok(v as f32),
                Ok(Scalar::Number(Number::Int(v))) => Ok(v as f32),
                _ => Err(DecodeError::Malformed("movement is not numbers")),
            };
            movement = Some([f(&mut rd)?, f(&mut rd)?]);
        }
    }
    let base = if n >= 7 { Some(uint(&mut rd)?) } else { None };
    if !rd.is_empty() {
        return Err(DecodeError::Trailing(rd.len()));
    }
    Ok(SnapshotParts {
        tick,
        ack,
        entities: block,
        teleports,
        private,
        movement,
        base,
    })
}

/// Reads a `bin` (or nil, as `None`).
fn read_bin<'a>(rd: &mut &'a [u8]) -> Result<Option<&'a [u8]>, DecodeError> {
    let malformed = DecodeError::Malformed("expected bin or nil");
    let (&m, rest) = rd.split_first().ok_or(DecodeError::Malformed("truncated"))?;
    let (len, rest) = match m {
        0xc0 => {
            *rd = rest;
            return Ok(None);
        }
        0xc4 => (usize::from(*rest.first().ok_or(malformed)?), &rest[1..]),
        0xc5 => {
            let b = rest.get(..2).ok_or(DecodeError::Malformed("truncated"))?;
            (usize::from(u16::from_be_bytes([b[0], b[1]])), &rest[2..])
        }
        0xc6 => {
            let b = rest.get(..4).ok_or(DecodeError::Malformed("truncated"))?;
            (u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize, &rest[4..])
        }
        _ => return Err(malformed),
    };
    let body = rest
        .get(..len)
        .ok_or(DecodeError::Malformed("bin longer than the document"))?;
    *rd = &rest[len..];
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{FieldType, KindDef, SchemaDoc};

    fn schema() -> SchemaDoc {
        SchemaDoc {
            kinds: vec![
                KindDef {
                    id: 1,
                    name: "ship".into(),
                    fields: vec![
                        FieldDef {
                            name: "angle".into(),
                            ty: FieldType::Angle { bits: 8 },
                        },
                        FieldDef {
                            name: "vel".into(),
                            ty: FieldType::Velocity { max: 800.0, bits: 12 },
                        },
                        FieldDef {
                            name: "hp".into(),
                            ty: FieldType::Uint { max: 255 },
                        },
                    ],
                },
                KindDef {
                    id: 3,
                    name: "star".into(),
                    fields: vec![],
                },
            ],
            private: vec![FieldDef {
                name: "ammo".into(),
                ty: FieldType::Uint { max: 50 },
            }],
            ..SchemaDoc::default()
        }
    }

    fn head(id: u16, kind: u8) -> RecordHead {
        RecordHead {
            id,
            kind,
            away: false,
            x: id.wrapping_mul(3),
            y: id.wrapping_mul(5),
        }
    }

    fn block(n: u16, s: &SchemaDoc) -> (Vec<u8>, Vec<EntityRecord>) {
        let mut raw = Vec::new();
        let mut recs = Vec::new();
        for id in 1..=n {
            let kind = if id % 3 == 0 { 3 } else { 1 };
            let fields = &s.kind(kind).unwrap().fields;
            let values: Vec<FieldValue> = if kind == 1 {
                vec![
                    FieldValue::Angle(0.0),
                    FieldValue::Velocity([0.0, 0.0]),
                    FieldValue::Uint(u32::from(id % 200)),
                ]
            } else {
                vec![]
            };
            write_record(&head(id, kind), fields, &values, &mut raw);
            recs.push(EntityRecord {
                head: head(id, kind),
                fields: values,
            });
        }
        (raw, recs)
    }

    #[test]
    fn round_trip_with_every_element() {
        let s = schema();
        let layout = RecordLayout::new(&s);
        let (raw, recs) = block(50, &s);
        let mut shared = SharedBlock::default();
        shared.set(&raw, &[5, 0, 0x10, 0x27, 0, 0]);
        let mut private = Vec::new();
        pack_private(&s.private, &[FieldValue::Uint(42)], &mut private);
        let doc = encode_snapshot(123_456, 99, &shared, Some(&private), Some([0.0, 18.0]));
        let snap = decode_snapshot(&doc, &layout).unwrap();
        assert_eq!((snap.tick, snap.ack), (123_456, 99));
        assert_eq!(snap.entities, recs);
        assert_eq!(snap.teleports, vec![(5, 10_000)]);
        assert_eq!(snap.private, vec![FieldValue::Uint(42)]);
        assert_eq!(snap.movement, Some([0.0, 18.0]));
    }

    #[test]
    fn trailing_absent_elements_are_left_out() {
        let s = schema();
        let layout = RecordLayout::new(&s);
        let (raw, _) = block(3, &s);
        let mut shared = SharedBlock::default();
        shared.set(&raw, &[]);
        let doc = encode_snapshot(1, 2, &shared, None, None);
        assert_eq!(doc[0], 0x93, "[tick, ack, entities]");
        let with_private_only = encode_snapshot(1, 2, &shared, Some(&[7]), None);
        assert_eq!(
            with_private_only[0], 0x95,
            "a nil teleport list before the private block"
        );
        let snap = decode_snapshot(&with_private_only, &layout).unwrap();
        assert!(snap.teleports.is_empty());
        assert_eq!(snap.private, vec![FieldValue::Uint(7)]);
    }

    #[test]
    fn ship_records_meet_the_byte_budgets() {
        // position + angle: 8 bytes; position + angle + velocity + u8: 12 bytes.
        let angle_only = [FieldDef {
            name: "angle".into(),
            ty: FieldType::Angle { bits: 8 },
        }];
        let mut out = Vec::new();
        write_record(&head(1, 1), &angle_only, &[FieldValue::Angle(1.0)], &mut out);
        assert_eq!(out.len(), 8);
        let s = schema();
        let mut out = Vec::new();
        write_record(&head(1, 1), &s.kinds[0].fields, &[], &mut out);
        assert_eq!(out.len(), 12);
    }

    #[test]
    fn header_overhead_is_small() {
        let s = schema();
        for n in [10u16, 100, 1000] {
            let (raw, _) = block(n, &s);
            let mut shared = SharedBlock::default();
            shared.set(&raw, &[]);
            let doc = encode_snapshot(u32::MAX, u32::MAX, &shared, None, None);
            assert!(
                doc.len() <= raw.len() + 14,
                "{n} entities: {} bytes for {} of records",
                doc.len(),
                raw.len()
            );
        }
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        let layout = RecordLayout::new(&schema());
        let cases: &[&[u8]] = &[
            &[],
            &[0xc1],
            &[0x93, 0x01],
            &[0x93, 0x01, 0x02, 0xc4, 0x03, 1, 0, 3], // a star record cut short
            &[0x93, 0x01, 0x02, 0xc4, 0x07, 1, 0, 9, 0, 0, 0, 0], // undeclared kind 9
            &[0x93, 0x01, 0x02, 0xc6, 0xff, 0xff, 0xff, 0xff], // bin32 claiming 4 GiB
            &[0xdd, 0xff, 0xff, 0xff, 0xff],          // array32 claiming 4G elements
            &[0x93, 0xa1, b'x', 0x02, 0xc4, 0x00],    // tick is a string
            &[0x94, 0x01, 0x02, 0xc4, 0x00, 0xc4, 0x05, 1, 2, 3, 4, 5], // ragged teleports
            &[0x98, 0x01, 0x02, 0xc4, 0x00, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0], // too many elements
            &[0x96, 0x01, 0x02, 0xc4, 0x00, 0xc0, 0xc0, 0x91, 0x01], // movement of one number
        ];
        for c in cases {
            assert!(decode_snapshot(c, &layout).is_err(), "{c:02x?} should not decode");
        }
        let mut doc = encode_snapshot(1, 2, &SharedBlock::default(), None, None);
        doc.push(0);
        assert!(decode_snapshot(&doc, &layout).is_err());
        assert!(matches!(
            decode_snapshot(&vec![0u8; MAX_SNAPSHOT_BYTES + 1], &layout),
            Err(DecodeError::TooLarge(_))
        ));
    }
}
