//! Arbitrary bytes through every decoder a client's packet meets on the server:
//!
//! - socketioxide's MessagePack parser (`MsgPackParser::decode_bin`) on the whole Socket.IO packet,
//!   then, for an event, `read_event` and `InputMsg::decode_event` against declared input fields
//!   exactly as the `input` extractor does, the message path's bounded `skip_value`, and for a
//!   CONNECT `ConnectAuth::decode` as the connect middleware does; a decoded packet re-encodes
//!   without panicking;
//! - the same bytes as an input argument (`InputMsg::decode`) and as connect auth;
//! - every decoded direction through `validate_direction`: finite and in the unit disc, or
//!   rejected; every decoded game field in its declared range.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use socketioxide_core::packet::PacketData;
use socketioxide_core::parser::{Parse, ParseConfig, ParserState};
use socketioxide_parser_msgpack::MsgPackParser;
use tickstate_server::sim::movement::validate_direction;
use tickstate_shared::msgpack::check_one_value;
use tickstate_shared::schema::{FieldDef, FieldType, FieldValue};
use tickstate_shared::{ConnectAuth, InputMsg};

fn fields() -> Vec<FieldDef> {
    let f = |n: &str, ty| FieldDef { name: n.into(), ty };
    vec![
        f("aim", FieldType::Angle { bits: 16 }),
        f("fire", FieldType::Flag),
        f("weapon", FieldType::Uint { max: 3 }),
        f("throttle", FieldType::fixed(-1.0, 1.0, 0.01)),
        f("team", FieldType::Int { min: -2, max: 2 }),
        f("push", FieldType::Velocity { max: 10.0, bits: 8 }),
    ]
}

fn check_input(i: &InputMsg) {
    match validate_direction(i.dx, i.dy) {
        Ok(d) => assert!(d.is_finite() && d.length() <= 1.0 + 1e-6, "({}, {}) validated to {d}", i.dx, i.dy),
        Err(_) => assert!(!i.dx.is_finite() || !i.dy.is_finite(), "finite {i:?} rejected"),
    }
    for v in i.values.as_slice() {
        match *v {
            FieldValue::Angle(a) => assert!((0.0..std::f32::consts::TAU).contains(&a), "{a}"),
            FieldValue::Uint(u) => assert!(u <= 3),
            FieldValue::Fixed(x) => assert!((-1.0..=1.0).contains(&x)),
            FieldValue::Int(n) => assert!((-2..=2).contains(&n)),
            FieldValue::Velocity([x, y]) => assert!(x.abs() <= 10.0 && y.abs() <= 10.0),
            FieldValue::Flag(_) => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let fields = fields();
    let p = MsgPackParser;
    let cfg = ParseConfig::default();
    if let Ok(packet) = p.decode_bin(&cfg, &ParserState::default(), Bytes::copy_from_slice(data)) {
        let mut inner = packet.inner.clone();
        match &mut inner {
            PacketData::Event(v, _) | PacketData::BinaryEvent(v, _) => {
                let _ = p.read_event(v);
                if let Some(b) = v.as_bytes() {
                    if let Ok(input) = InputMsg::decode_event(b, &fields) {
                        check_input(&input);
                    }
                    let _ = check_one_value(b, 8);
                }
            }
            PacketData::Connect(v) => {
                let _ = ConnectAuth::decode(v.as_ref().and_then(|v| v.as_bytes()).map(|b| &b[..]));
            }
            _ => {}
        }
        // Re-encoding must not panic. Its output is not asserted to decode to the same packet:
        // socketioxide's parser accepts packets with unknown keys and trailing bytes whose
        // re-encoding does not decode (seeds/input_decode/roundtrip-trailing-bytes-*.bin, see
        // FUZZING.md); the server never re-encodes a client's packet, so that is not a server bug.
        let _ = p.encode(packet);
    }
    if let Ok(input) = InputMsg::decode(data, &fields) {
        check_input(&input);
    }
    if let Ok(input) = InputMsg::decode(data, &[]) {
        check_input(&input);
    }
    let _ = ConnectAuth::decode(Some(data));
});
