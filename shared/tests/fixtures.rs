//! Golden MessagePack files shared with the TypeScript SDK's tests.
//!
//! Each `*.msgpack` file in `tests/fixtures/` is what the Rust side encodes for a known value, and
//! the `*.json` beside it is that value as a client should decode it. If the encoding changes,
//! this test fails; run it with `TICKSTATE_BLESS=1` to rewrite the files on purpose (and then bump
//! the protocol version if old clients can no longer read them).
#![allow(missing_docs, clippy::unwrap_used)]

use std::f32::consts::TAU;
use std::path::PathBuf;

use serde_json::{Value as Json, json};
use tickstate_shared::PROTOCOL_VERSION;
use tickstate_shared::codec::{
    SharedBlock, decode_snapshot, encode_delta_snapshot_into, encode_snapshot, pack_private, write_record,
};
use tickstate_shared::delta::{Baseline, encode_delta};
use tickstate_shared::input::InputMsg;
use tickstate_shared::protocol::{ConnectAuth, MovementInfo, PlayerInfo, Welcome, WorldInfo};
use tickstate_shared::receiver::SnapshotReceiver;
use tickstate_shared::schema::{FieldDef, FieldType, FieldValue, KindDef, MessageDef, SchemaDoc};
use tickstate_shared::snapshot::{Quantizer, RecordHead, RecordLayout};

/// An entity of the v2 fixtures: id, kind, away, x, y and its field values.
type Entity = (u16, u8, bool, f32, f32, Vec<FieldValue>);
fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn check(name: &str, bytes: &[u8], json: Json) {
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

fn field(name: &str, ty: FieldType) -> FieldDef {
    FieldDef { name: name.into(), ty }
}

/// A schema that uses every field type: what a small shooter declares.
fn sample_schema() -> SchemaDoc {
    SchemaDoc {
        kinds: vec![
            KindDef {
                id: 1,
                name: "ship".into(),
                fields: vec![
                    field("angle", FieldType::Angle { bits: 8 }),
                    field("hp", FieldType::Uint { max: 100 }),
                    field("shield", FieldType::Flag),
                    field("vel", FieldType::Velocity { max: 900.0, bits: 12 }),
                ],
            },
            KindDef {
                id: 3,
                name: "star".into(),
                fields: vec![],
            },
            KindDef {
                id: 5,
                name: "bullet".into(),
                fields: vec![
                    field("vel", FieldType::Velocity { max: 1200.0, bits: 12 }),
                    field("heat", FieldType::fixed(0.0, 1.0, 0.01)),
                    field("team", FieldType::Int { min: -1, max: 2 }),
                ],
            },
        ],
        input: vec![
            field("aim", FieldType::Angle { bits: 16 }),
            field("fire", FieldType::Flag),
            field("weapon", FieldType::Uint { max: 3 }),
            field("view_tick", FieldType::Uint { max: u32::MAX }),
        ],
        private: vec![
            field("ammo", FieldType::Uint { max: 50 }),
            field("cooldown", FieldType::fixed(0.0, 2.0, 0.01)),
        ],
        messages: vec![MessageDef {
            name: "chat".into(),
            max_bytes: 256,
        }],
        events: vec!["chat".into(), "kill".into()],
    }
}

fn json_value(v: FieldValue) -> Json {
    match v {
        FieldValue::Angle(a) | FieldValue::Fixed(a) => json!(a),
        FieldValue::Uint(u) => json!(u),
        FieldValue::Int(i) => json!(i),
        FieldValue::Flag(b) => json!(b),
        FieldValue::Velocity([x, y]) => json!([x, y]),
    }
}

fn named(defs: &[FieldDef], values: &[FieldValue]) -> Json {
    Json::Object(
        defs.iter()
            .zip(values)
            .map(|(d, v)| (d.name.clone(), json_value(*v)))
            .collect(),
    )
}

#[test]
fn snapshot_fixture() {
    let schema = sample_schema();
    let layout = RecordLayout::new(&schema);
    let qz = Quantizer::new(1600.0, 1200.0);
    let ship = &schema.kinds[0].fields;
    let bullet = &schema.kinds[2].fields;
    let entities: Vec<Entity> = vec![
        (
            1,
            1,
            false,
            100.0,
            200.0,
            vec![
                FieldValue::Angle(TAU / 4.0),
                FieldValue::Uint(73),
                FieldValue::Flag(true),
                FieldValue::Velocity([260.0, -130.0]),
            ],
        ),
        (
            2,
            1,
            true,
            1500.25,
            1100.5,
            vec![
                FieldValue::Angle(3.0),
                FieldValue::Uint(100),
                FieldValue::Flag(false),
                FieldValue::Velocity([0.0, 0.0]),
            ],
        ),
        (300, 3, false, 800.0, 600.0, vec![]),
        (
            301,
            5,
            false,
            410.0,
            220.5,
            vec![
                FieldValue::Velocity([-1200.0, 37.5]),
                FieldValue::Fixed(0.35),
                FieldValue::Int(-1),
            ],
        ),
    ];
    // The records of `list`, back to back, as the server packs them.
    let records = |list: &[Entity]| {
        let mut out = Vec::new();
        for (id, kind, away, x, y, values) in list {
            let (qx, qy) = qz.quantize(*x, *y);
            let head = RecordHead {
                id: *id,
                kind: *kind,
                away: *away,
                x: qx,
                y: qy,
            };
            write_record(&head, &schema.kind(*kind).unwrap().fields, values, &mut out);
        }
        out
    };
    let raw = records(&entities);
    let teleports: Vec<u8> = [2u16.to_le_bytes().as_slice(), 4200u32.to_le_bytes().as_slice()].concat();
    let mut shared = SharedBlock::default();
    shared.set(&raw, &teleports);
    let mut private = Vec::new();
    pack_private(
        &schema.private,
        &[FieldValue::Uint(17), FieldValue::Fixed(0.5)],
        &mut private,
    );
    let doc = encode_snapshot(4242, 77, &shared, Some(&private), Some([0.0, 18.0]));
    let snap = decode_snapshot(&doc, &layout).unwrap();
    assert_eq!(snap.entities.len(), 4);
    let json = json!({
        "world": { "width": 1600.0, "height": 1200.0 },
        "schema": schema,
        "tick": 4242,
        "ack": 77,
        "entities": snap.entities.iter().map(|r| {
            let (x, y) = qz.dequantize(r.head.x, r.head.y);
            let defs = if r.head.kind == 1 { ship } else if r.head.kind == 5 { bullet } else { &schema.kinds[1].fields };
            json!({
                "id": r.head.id, "kind": r.head.kind, "away": r.head.away,
                "qx": r.head.x, "qy": r.head.y, "x": x, "y": y,
                "fields": named(defs, &r.fields),
            })
        }).collect::<Vec<_>>(),
        "teleports": snap.teleports.iter().map(|(id, t)| json!({ "id": id, "tick": t })).collect::<Vec<_>>(),
        "private": named(&schema.private, &snap.private),
        "movement": snap.movement.map(|[s, r]| json!({ "max_speed": s, "radius": r })),
    });
    check("snapshot_v2", &doc, json);

    // A delta at tick 4244 against that snapshot (the keyframe): ship 1 moved 10 units right and
    // lost 3 hp, ship 2 did not change, star 300 is gone, bullet 301 flew, star 302 is new.
    let base = Baseline::from_block(4242, &raw, &layout).unwrap();
    let mut moved = entities.clone();
    moved[0].3 += 10.0;
    moved[0].5[1] = FieldValue::Uint(70);
    moved[3].3 -= 80.0;
    moved.remove(2);
    moved.push((302, 3, false, 1200.0, 300.0, vec![]));
    let next = records(&moved);
    let cur = Baseline::from_block(4244, &next, &layout).unwrap();
    let mut changes = Vec::new();
    encode_delta(&base, &cur, &layout, &mut changes);
    shared.set(&changes, &[]);
    let mut delta_doc = Vec::new();
    encode_delta_snapshot_into(&mut delta_doc, 4244, 78, 4242, &shared, None, None);
    let mut rx = SnapshotReceiver::new(layout.clone());
    rx.receive(&doc).unwrap();
    let applied = rx.receive(&delta_doc).unwrap();
    assert_eq!(rx.latest().unwrap(), &cur);
    let entity_json = |r: &tickstate_shared::EntityRecord| {
        let (x, y) = qz.dequantize(r.head.x, r.head.y);
        json!({
            "id": r.head.id, "kind": r.head.kind, "away": r.head.away,
            "qx": r.head.x, "qy": r.head.y, "x": x, "y": y,
            "fields": named(&schema.kind(r.head.kind).unwrap().fields, &r.fields),
        })
    };
    check(
        "snapshot_delta_v2",
        &delta_doc,
        json!({
            "world": { "width": 1600.0, "height": 1200.0 },
            "schema": schema,
            "baseline": "snapshot_v2",
            "base": 4242,
            "tick": 4244,
            "ack": 78,
            "entities": applied.entities.iter().map(entity_json).collect::<Vec<_>>(),
        }),
    );

    // The minimal form: no teleports, no private fields, no movement change.
    shared.set(&raw[..0], &[]);
    let empty = encode_snapshot(9, 0, &shared, None, None);
    check(
        "snapshot_v2_empty",
        &empty,
        json!({ "tick": 9, "ack": 0, "entities": [] }),
    );
}

fn sample_welcome() -> Welcome {
    Welcome {
        protocol: PROTOCOL_VERSION,
        game: "fixture_shooter".into(),
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
        schema: sample_schema(),
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
        deltas: 0,
    }
}

#[test]
fn welcome_fixture() {
    // socketioxide's msgpack parser writes structs as maps with field names, like to_vec_named.
    let w = sample_welcome();
    let bytes = rmp_serde::to_vec_named(&w).unwrap();
    let back: Welcome = rmp_serde::from_slice(&bytes).unwrap();
    assert_eq!(back, w);
    check("welcome_v2", &bytes, serde_json::to_value(&w).unwrap());
}

#[test]
fn input_fixture() {
    let schema = sample_schema();
    let i = InputMsg::new(12, 0.6, -0.8, 1).with_values(&[
        FieldValue::Angle(1.25),
        FieldValue::Flag(true),
        FieldValue::Uint(2),
        FieldValue::Uint(4100),
    ]);
    let bytes = rmp_serde::to_vec(&i).unwrap();
    assert_eq!(InputMsg::decode(&bytes, &schema.input).unwrap(), i);
    check(
        "input_v2",
        &bytes,
        json!({ "input": [12, 0.6f32, -0.8f32, 1, 1.25f32, true, 2, 4100], "schema": schema.input }),
    );
}

#[test]
fn connect_auth_fixture() {
    let auth = ConnectAuth {
        protocol: Some(PROTOCOL_VERSION),
        name: Some("Ada".into()),
        room: Some("arena".into()),
        token: None,
        credential: Some("header.payload.signature".into()),
        options: Some(rmpv::Value::Map(vec![
            ("team".into(), "blue".into()),
            ("class".into(), 2.into()),
        ])),
    };
    let bytes = rmp_serde::to_vec_named(&auth).unwrap();
    assert_eq!(ConnectAuth::decode(Some(&bytes)).unwrap(), auth);
    check(
        "auth_v2",
        &bytes,
        json!({ "protocol": 2, "name": "Ada", "room": "arena", "credential": "header.payload.signature",
                "options": { "team": "blue", "class": 2 } }),
    );
}
