//! Arbitrary bytes through every decoder a client's packet meets on the server:
//!
//! - socketioxide's MessagePack parser (`MsgPackParser::decode_bin`) on the whole Socket.IO packet,
//!   then, for an event, `read_event` and `decode_value::<(InputMsg,)>(v, true)` exactly as the
//!   `input` extractor (`TryData<(InputMsg,)>`) does, and for a CONNECT `decode_default::<Option<ConnectAuth>>`
//!   as the connect middleware does; a decoded packet re-encodes without panicking;
//! - the same bytes as the event's argument list (`rmp_serde::from_slice::<(InputMsg,)>`) and as
//!   connect auth (`rmp_serde::from_slice::<Option<ConnectAuth>>`);
//! - every decoded direction through `validate_direction`: finite and in the unit disc, or rejected.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use socketioxide_core::packet::PacketData;
use socketioxide_core::parser::{Parse, ParseConfig, ParserState};
use socketioxide_parser_msgpack::MsgPackParser;
use tickstate_server::sim::movement::validate_direction;
use tickstate_shared::{ConnectAuth, InputMsg};

fn check_input(i: &InputMsg) {
    match validate_direction(i.dx(), i.dy()) {
        Ok(d) => assert!(
            d.is_finite() && d.length() <= 1.0 + 1e-6,
            "({}, {}) validated to {d}",
            i.dx(),
            i.dy()
        ),
        Err(_) => assert!(!i.dx().is_finite() || !i.dy().is_finite(), "finite {i:?} rejected"),
    }
}

fuzz_target!(|data: &[u8]| {
    let p = MsgPackParser;
    let cfg = ParseConfig::default();
    if let Ok(packet) = p.decode_bin(&cfg, &ParserState::default(), Bytes::copy_from_slice(data)) {
        let mut inner = packet.inner.clone();
        match &mut inner {
            PacketData::Event(v, _) | PacketData::BinaryEvent(v, _) => {
                let _ = p.read_event(v);
                if let Ok((input,)) = p.decode_value::<(InputMsg,)>(v, true) {
                    check_input(&input);
                }
            }
            PacketData::Connect(v) => {
                let _ = p.decode_default::<Option<ConnectAuth>>(v.as_ref());
            }
            _ => {}
        }
        // Re-encoding must not panic. Its output is not asserted to decode to the same packet:
        // socketioxide's parser accepts packets with unknown keys and trailing bytes whose
        // re-encoding does not decode (seeds/input_decode/roundtrip-trailing-bytes-*.bin, see
        // FUZZING.md); the server never re-encodes a client's packet, so that is not a server bug.
        let _ = p.encode(packet);
    }
    if let Ok((input,)) = rmp_serde::from_slice::<(InputMsg,)>(data) {
        check_input(&input);
    }
    if let Ok(input) = rmp_serde::from_slice::<InputMsg>(data) {
        check_input(&input);
    }
    let _ = rmp_serde::from_slice::<Option<ConnectAuth>>(data);
});
