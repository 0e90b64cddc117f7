//! Golden MessagePack files shared with the browser client's tests.
//!
//! Each `*.msgpack` file in `tests/fixtures/` is what the Rust side encodes for a known value, and
//! the `*.json` beside it is that value as the client should decode it. If the encoding changes,
//! this test fails; run it with `TICKSTATE_BLESS=1` to rewrite the files on purpose (and then bump
//! the protocol version if old clients can no longer read them).
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::PathBuf;
use tickstate_shared::PROTOCOL_VERSION;
use tickstate_shared::codec::{decode_snapshot, encode_entities, encode_snapshot};
use tickstate_shared::protocol::{InputMsg, MovementInfo, PlayerInfo, Welcome, WorldInfo};
use tickstate_shared::snapshot::{EntityRecord, Quantizer};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn check(name: &str, bytes: &[u8], json: serde_json::Value) {
    let bin = dir().join(format!("{name}.msgpack"));
    let js = dir().join(format!("{name}.json"));
    let pretty = serde_json::to_string_pretty(&json).unwrap() + "\n";
    if std::env::var_os("TICKSTATE_BLESS").is_some() {
        std::fs::create_dir_all(dir()).unwrap();
        std::fs::write(&bin, bytes).unwrap();
        std::fs::write(&js, &pretty).unwrap();
    }
    let golden = std::fs::read(&bin)
        .unwrap_or_else(|e| panic!("{} should exist (TICKSTATE_BLESS=1 writes it): {e}", bin.display()));
    assert_eq!(
        golden, bytes,
        "{name}.msgpack should match what the codec encodes today"
    );
    let golden_json = std::fs::read_to_string(&js).unwrap();
    assert_eq!(golden_json, pretty, "{name}.json should describe the same value");
}

#[test]
fn snapshot_fixture() {
    let qz = Quantizer::new(1600.0, 1200.0);
    let positions = [
        (1u16, 1u8, 100.0f32, 200.0f32),
        (2, 2, 1500.25, 1100.5),
        (300, 3, 800.0, 600.0),
    ];
    let recs: Vec<EntityRecord> = positions
        .iter()
        .map(|&(id, kind, x, y)| {
            let (qx, qy) = qz.quantize(x, y);
            EntityRecord { id, kind, x: qx, y: qy }
        })
        .collect();
    let mut body = Vec::new();
    encode_entities(&recs, &mut body);
    let doc = encode_snapshot(4242, 77, &body);
    assert_eq!(decode_snapshot(&doc).unwrap().entities, recs);
    let json = serde_json::json!({
        "world": { "width": 1600.0, "height": 1200.0 },
        "tick": 4242,
        "ack": 77,
        "entities": recs.iter().map(|r| {
            let (x, y) = qz.dequantize(r.x, r.y);
            serde_json::json!({ "id": r.id, "kind": r.kind, "qx": r.x, "qy": r.y, "x": x, "y": y })
        }).collect::<Vec<_>>(),
    });
    check("snapshot_v1", &doc, json);
}

fn sample_welcome() -> Welcome {
    Welcome {
        protocol: PROTOCOL_VERSION,
        id: 5,
        room: "main".into(),
        token: "00112233445566778899aabbccddeeff".into(),
        tick_rate: 60,
        snapshot_rate: 30,
        tick: 1000,
        world: WorldInfo {
            width: 1600.0,
            height: 1200.0,
            walls: vec![[100.0, 200.0, 300.0, 32.0]],
        },
        movement: MovementInfo {
            max_speed: 240.0,
            radius: 16.0,
            dt: 1.0 / 60.0,
        },
        players: vec![
            PlayerInfo {
                id: 5,
                name: "Ada".into(),
            },
            PlayerInfo {
                id: 9,
                name: "Linus".into(),
            },
        ],
    }
}

#[test]
fn welcome_fixture() {
    // socketioxide's msgpack parser writes structs as maps with field names, like to_vec_named.
    let w = sample_welcome();
    let bytes = rmp_serde::to_vec_named(&w).unwrap();
    let back: Welcome = rmp_serde::from_slice(&bytes).unwrap();
    assert_eq!(back, w);
    check("welcome_v1", &bytes, serde_json::to_value(&w).unwrap());
}

#[test]
fn input_fixture() {
    let i = InputMsg(12, 0.6, -0.8, 1);
    let bytes = rmp_serde::to_vec(&i).unwrap();
    check("input_v1", &bytes, serde_json::json!([12, 0.6f32, -0.8f32, 1]));
}
