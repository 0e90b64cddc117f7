//! Encoding and bounded decoding of snapshot documents.
//!
//! The server encodes the entity records once per tick ([`encode_entities`]) and stamps each
//! recipient's `tick`/`ack` header on a copy ([`encode_snapshot`]); clients and bots decode with
//! [`decode_snapshot`], which checks sizes before it allocates.

use crate::protocol::limits::MAX_SNAPSHOT_BYTES;
use crate::snapshot::{EntityRecord, Snapshot};

/// Why a snapshot could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// The document is larger than [`MAX_SNAPSHOT_BYTES`].
    #[error("snapshot of {0} bytes exceeds the {MAX_SNAPSHOT_BYTES}-byte limit")]
    TooLarge(usize),
    /// The bytes are not the MessagePack array `[tick, ack, bin]`.
    #[error("malformed snapshot document: {0}")]
    Malformed(String),
    /// The entity block is not a whole number of records.
    #[error("entity block of {0} bytes is not a multiple of {size}", size = EntityRecord::SIZE)]
    RaggedEntities(usize),
    /// Bytes follow the document.
    #[error("{0} trailing bytes after the snapshot document")]
    Trailing(usize),
}

/// Packs entity records into the snapshot's entity block.
pub fn encode_entities(records: &[EntityRecord], out: &mut Vec<u8>) {
    out.reserve(records.len() * EntityRecord::SIZE);
    for r in records {
        r.write(out);
    }
}

/// Encodes the document `[tick, ack, bin(entities)]` around an already packed entity block.
pub fn encode_snapshot(tick: u32, ack: u32, entities: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entities.len() + 16);
    // Writing into a Vec cannot fail, and a (u32, u32, bytes) tuple always serializes.
    #[allow(clippy::expect_used)]
    rmp_serde::encode::write(&mut out, &(tick, ack, serde_bytes::Bytes::new(entities)))
        .expect("encoding into a Vec is infallible");
    out
}

/// Decodes a snapshot document.
///
/// # Errors
/// [`DecodeError`] when the input is too large, not `[u32, u32, bin]`, has a ragged entity block or
/// trailing bytes. Never panics, whatever the bytes.
pub fn decode_snapshot(bytes: &[u8]) -> Result<Snapshot, DecodeError> {
    if bytes.len() > MAX_SNAPSHOT_BYTES {
        return Err(DecodeError::TooLarge(bytes.len()));
    }
    let mut rd = bytes;
    let mut de = rmp_serde::Deserializer::new(&mut rd);
    let (tick, ack, body): (u32, u32, serde_bytes::ByteBuf) =
        serde::Deserialize::deserialize(&mut de).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if !rd.is_empty() {
        return Err(DecodeError::Trailing(rd.len()));
    }
    if body.len() % EntityRecord::SIZE != 0 {
        return Err(DecodeError::RaggedEntities(body.len()));
    }
    let entities = body
        .chunks_exact(EntityRecord::SIZE)
        .filter_map(|c| <&[u8; EntityRecord::SIZE]>::try_from(c).ok())
        .map(EntityRecord::read)
        .collect();
    Ok(Snapshot { tick, ack, entities })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: u16) -> EntityRecord {
        EntityRecord {
            id,
            kind: 1,
            x: id.wrapping_mul(3),
            y: id.wrapping_mul(5),
        }
    }

    #[test]
    fn round_trip() {
        let recs: Vec<_> = (0..50).map(rec).collect();
        let mut body = Vec::new();
        encode_entities(&recs, &mut body);
        let doc = encode_snapshot(123_456, 99, &body);
        let snap = decode_snapshot(&doc).unwrap();
        assert_eq!(snap.tick, 123_456);
        assert_eq!(snap.ack, 99);
        assert_eq!(snap.entities, recs);
    }

    #[test]
    fn full_snapshot_costs_at_most_eight_bytes_per_entity() {
        for n in [10usize, 100, 1000] {
            let recs: Vec<_> = (0..n as u16).map(rec).collect();
            let mut body = Vec::new();
            encode_entities(&recs, &mut body);
            let doc = encode_snapshot(u32::MAX, u32::MAX, &body);
            // Header: fixarray(1) + u32(5) + u32(5) + bin8/16 header (2 or 3).
            assert!(
                doc.len() <= n * EntityRecord::SIZE + 14,
                "{n} entities: {} bytes",
                doc.len()
            );
            if n >= 20 {
                // The header is amortized from about 20 entities on.
                assert!(
                    doc.len() <= n * 8,
                    "{n} entities should fit in 8 bytes each, got {}",
                    doc.len()
                );
            }
        }
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        let cases: &[&[u8]] = &[
            &[],
            &[0xc1],
            &[0x93, 0x01],
            &[0x93, 0x01, 0x02, 0xc4, 0x03, 1, 2, 3], // 3-byte block: ragged
            &[0x93, 0x01, 0x02, 0xc6, 0xff, 0xff, 0xff, 0xff], // bin32 claiming 4 GiB
            &[0xdd, 0xff, 0xff, 0xff, 0xff],          // array32 claiming 4G elements
            &[0x93, 0xa1, b'x', 0x02, 0xc4, 0x00],    // tick is a string
        ];
        for c in cases {
            assert!(decode_snapshot(c).is_err(), "{c:02x?} should not decode");
        }
        let mut doc = encode_snapshot(1, 2, &[]);
        doc.push(0);
        assert_eq!(decode_snapshot(&doc), Err(DecodeError::Trailing(1)));
        assert!(matches!(
            decode_snapshot(&vec![0u8; MAX_SNAPSHOT_BYTES + 1]),
            Err(DecodeError::TooLarge(_))
        ));
    }
}
