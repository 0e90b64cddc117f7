//! Event names, message types and limits of protocol v1.
//!
//! Every Socket.IO packet is MessagePack (the server runs socketioxide's msgpack parser, the
//! browser `socket.io-msgpack-parser`). Messages sent rarely (`welcome`, notices) are MessagePack
//! maps with the field names below; the hot paths are compact arrays: `input` is
//! `[seq, dx, dy, buttons]` and `snapshot` is a binary payload (see [`crate::snapshot`]).

use serde::{Deserialize, Serialize};

/// Event names used on namespace `/`.
pub mod events {
    /// server -> client, once after connect: [`super::Welcome`].
    pub const WELCOME: &str = "welcome";
    /// client -> server: [`super::InputMsg`] as `[seq, dx, dy, buttons]`.
    pub const INPUT: &str = "input";
    /// server -> client: one `bin` argument holding a [`crate::snapshot::Snapshot`] document.
    pub const SNAPSHOT: &str = "snapshot";
    /// server -> client: a player entered the room, [`super::PlayerInfo`].
    pub const JOINED: &str = "joined";
    /// server -> client: a player left the room, [`super::Left`].
    pub const LEFT: &str = "left";
    /// server -> client, just before the server closes the connection: [`super::Bye`].
    pub const BYE: &str = "bye";
    /// client -> server with an acknowledgement callback: the server acks with the same value
    /// (used for round-trip time).
    pub const PING: &str = "ping";
}

/// Limits that both sides enforce.
pub mod limits {
    /// Longest player name kept, in characters; longer names are cut.
    pub const MAX_NAME_CHARS: usize = 24;
    /// Longest room name accepted, in characters; a longer one is refused at connect.
    pub const MAX_ROOM_CHARS: usize = 32;
    /// Longest resume token accepted, in bytes.
    pub const MAX_TOKEN_BYTES: usize = 128;
    /// Largest snapshot document a decoder accepts, in bytes.
    pub const MAX_SNAPSHOT_BYTES: usize = 1 << 20;
}

/// Connect auth (`io(url, { auth })`); every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectAuth {
    /// Display name; cut to [`limits::MAX_NAME_CHARS`], control characters removed.
    pub name: Option<String>,
    /// Room to join; the default room when absent.
    pub room: Option<String>,
    /// Resume token from an earlier `welcome` (reserved for session resume).
    pub token: Option<String>,
}

/// The world's static geometry, sent once in [`Welcome`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldInfo {
    /// Width in world units (pixels in the demo); x runs from 0 to width.
    pub width: f32,
    /// Height in world units; y runs from 0 to height, downwards.
    pub height: f32,
    /// Static walls as `[x, y, w, h]` rectangles (top-left corner and size).
    pub walls: Vec<[f32; 4]>,
}

/// The constants a client needs to predict its own motion exactly as the server does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MovementInfo {
    /// Speed of a player entity moving with a unit direction, in world units per second.
    pub max_speed: f32,
    /// Half the side of a player's square collision box, in world units.
    pub radius: f32,
    /// Simulation step in seconds (`1 / tick_rate`); each applied input moves one step.
    pub dt: f32,
}

/// A player as listed in `welcome.players` and sent in `joined`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerInfo {
    /// Network id of the player's entity (the id used in snapshots).
    pub id: u16,
    /// Display name.
    pub name: String,
}

/// `welcome`: sent once to a client right after it connected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Welcome {
    /// Protocol version, [`crate::PROTOCOL_VERSION`].
    pub protocol: u32,
    /// Network id of this client's own entity.
    pub id: u16,
    /// The room joined.
    pub room: String,
    /// Opaque resume token (at least 128 random bits).
    pub token: String,
    /// Simulation ticks per second.
    pub tick_rate: u32,
    /// Snapshots per second.
    pub snapshot_rate: u32,
    /// The tick the server was at when it accepted the client.
    pub tick: u32,
    /// World size and walls.
    pub world: WorldInfo,
    /// Movement constants for client-side prediction.
    pub movement: MovementInfo,
    /// Players already in the room, this client included.
    pub players: Vec<PlayerInfo>,
}

/// `left`: a player left the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Left {
    /// Network id of the entity that was removed.
    pub id: u16,
    /// Why: `"disconnect"`, `"kicked"`, `"timeout"`, …
    pub reason: String,
}

/// `bye`: the server is about to close this connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bye {
    /// Machine-readable reason: `"shutdown"`, `"kicked"`, `"room_error"`, …
    pub reason: String,
    /// Human-readable explanation.
    pub message: String,
}

/// Bit of [`InputMsg::buttons`]: the primary action button (Space in the demo client).
pub const BUTTON_ACTION: u32 = 1;

/// `input`: one sampled intent, the MessagePack array `[seq, dx, dy, buttons]`.
///
/// Each applied input moves the sender's entity by one simulation step of `dt` in direction
/// `(dx, dy)`, clamped to the unit disc. `seq` increases by one per input and wraps at `u32::MAX`.
///
/// Decoding takes the first four elements and ignores any further ones (a newer client's extra
/// fields, or a timestamp: the server's fixed `dt` is all that counts), but a shorter array or a
/// map is an error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InputMsg(pub u32, pub f32, pub f32, pub u32);

impl<'de> Deserialize<'de> for InputMsg {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = InputMsg;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array [seq, dx, dy, buttons]")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<InputMsg, A::Error> {
                use serde::de::Error;
                let seq = a.next_element()?.ok_or_else(|| A::Error::invalid_length(0, &self))?;
                let dx = a.next_element()?.ok_or_else(|| A::Error::invalid_length(1, &self))?;
                let dy = a.next_element()?.ok_or_else(|| A::Error::invalid_length(2, &self))?;
                let buttons = a.next_element()?.ok_or_else(|| A::Error::invalid_length(3, &self))?;
                // Bounded by the message size cap; each ignored element is skipped, not stored.
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(InputMsg(seq, dx, dy, buttons))
            }
        }
        d.deserialize_seq(V)
    }
}

impl InputMsg {
    /// Sequence number.
    pub fn seq(&self) -> u32 {
        self.0
    }
    /// Direction x component.
    pub fn dx(&self) -> f32 {
        self.1
    }
    /// Direction y component.
    pub fn dy(&self) -> f32 {
        self.2
    }
    /// Buttons bitfield.
    pub fn buttons(&self) -> u32 {
        self.3
    }
}

/// True when sequence number `a` comes after `b`, allowing for wrap-around (RFC 1982 style:
/// `a` is newer when it is less than 2^31 steps ahead of `b`).
pub fn seq_newer(a: u32, b: u32) -> bool {
    let d = a.wrapping_sub(b);
    d != 0 && d < (1 << 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_newer_handles_wrap() {
        assert!(seq_newer(2, 1));
        assert!(!seq_newer(1, 2));
        assert!(!seq_newer(7, 7));
        assert!(seq_newer(0, u32::MAX), "0 should follow u32::MAX");
        assert!(seq_newer(3, u32::MAX - 2));
        assert!(!seq_newer(u32::MAX, 0));
        // A jump of exactly 2^31 is ambiguous and treated as old.
        assert!(!seq_newer(1 << 31, 0));
        assert!(seq_newer((1 << 31) - 1, 0));
    }

    #[test]
    fn input_is_a_four_element_array() {
        let bytes = rmp_serde::to_vec(&InputMsg(7, 1.0, -0.5, BUTTON_ACTION)).unwrap();
        // fixarray(4), 7, float32 1.0, float32 -0.5, 1
        assert_eq!(bytes[0], 0x94);
        let back: InputMsg = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, InputMsg(7, 1.0, -0.5, 1));
    }

    #[test]
    fn input_accepts_integers_and_doubles_as_directions() {
        // What a JavaScript encoder sends for [3, 1, -0.25, 0]: 1 as an int, -0.25 as float64.
        let bytes = [0x94, 0x03, 0x01, 0xcb, 0xbf, 0xd0, 0, 0, 0, 0, 0, 0, 0x00];
        let back: InputMsg = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, InputMsg(3, 1.0, -0.25, 0));
    }

    #[test]
    fn input_rejects_negative_seq_and_strings() {
        let neg = [0x94, 0xff, 0x01, 0x01, 0x00]; // seq = -1
        assert!(rmp_serde::from_slice::<InputMsg>(&neg).is_err());
        let s = [0x94, 0x01, 0xa1, b'1', 0x01, 0x00]; // dx = "1"
        assert!(rmp_serde::from_slice::<InputMsg>(&s).is_err());
    }

    #[test]
    fn extra_trailing_elements_are_ignored_but_short_arrays_and_maps_are_not() {
        // [5, 1.0, 0, 0, 1e12 (a timestamp), {"dt": 1}]
        let v = (
            5u32,
            1.0f64,
            0u8,
            0u8,
            1e12f64,
            std::collections::BTreeMap::from([("dt", 1)]),
        );
        let bytes = rmp_serde::to_vec(&v).unwrap();
        assert_eq!(
            rmp_serde::from_slice::<InputMsg>(&bytes).unwrap(),
            InputMsg(5, 1.0, 0.0, 0)
        );
        let short = rmp_serde::to_vec(&(5u32, 1.0f32, 0.0f32)).unwrap();
        assert!(rmp_serde::from_slice::<InputMsg>(&short).is_err());
        let map = rmp_serde::to_vec_named(&std::collections::BTreeMap::from([("seq", 1)])).unwrap();
        assert!(rmp_serde::from_slice::<InputMsg>(&map).is_err());
    }

    #[test]
    fn auth_fields_are_optional() {
        let empty: ConnectAuth = rmp_serde::from_slice(&[0x80]).unwrap();
        assert_eq!(empty, ConnectAuth::default());
    }
}
