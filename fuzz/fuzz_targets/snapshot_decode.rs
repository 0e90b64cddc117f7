//! `decode_snapshot` on arbitrary bytes: never panics, and whatever decodes survives a round trip
//! through the encoder unchanged, with positions that dequantize inside the world.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tickstate_shared::Quantizer;
use tickstate_shared::codec::{decode_snapshot, encode_entities, encode_snapshot};

fuzz_target!(|data: &[u8]| {
    let Ok(snap) = decode_snapshot(data) else {
        return;
    };
    let mut body = Vec::new();
    encode_entities(&snap.entities, &mut body);
    assert_eq!(body.len(), snap.entities.len() * 7, "7 bytes per entity record");
    let doc = encode_snapshot(snap.tick, snap.ack, &body);
    let again = decode_snapshot(&doc).expect("a re-encoded snapshot should decode");
    assert_eq!(again, snap, "round trip changed the snapshot");
    // The encoder's output is canonical: encoding what it decodes gives the same bytes.
    let mut body2 = Vec::new();
    encode_entities(&again.entities, &mut body2);
    assert_eq!(encode_snapshot(again.tick, again.ack, &body2), doc);
    let q = Quantizer::new(1600.0, 900.0);
    for e in &snap.entities {
        let (x, y) = q.dequantize(e.x, e.y);
        assert!(
            x.is_finite() && y.is_finite() && (0.0..=1600.0).contains(&x) && (0.0..=900.0).contains(&y),
            "record {e:?} dequantized to ({x}, {y})"
        );
    }
});
