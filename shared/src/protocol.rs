//! Event names, message types and limits of protocol v2.
//!
//! Every Socket.IO packet is MessagePack (the server runs socketioxide's msgpack parser, the
//! browser `socket.io-msgpack-parser`). Messages sent rarely (`welcome`, notices) are MessagePack
//! maps with the field names below; the hot paths are compact: `input` is an array (see
//! [`crate::input`]) and `snapshot` a binary payload (see [`crate::snapshot`]).

use serde::{Deserialize, Serialize};

use crate::msgpack::{self, Number, ReadError, Scalar};
use crate::reasons::{ByeReason, LeaveReason, Refusal};
use crate::schema::SchemaDoc;

/// Event names used on namespace `/`.
pub mod events {
    /// server -> client, once after connect: [`super::Welcome`].
    pub const WELCOME: &str = "welcome";
    /// client -> server: [`crate::input::InputMsg`] as `[seq, dx, dy, buttons, ...fields]`.
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
    /// client -> server: one u32, the tick of a snapshot the client received and keeps as a
    /// baseline; a client that sends it gets delta snapshots (see [`crate::delta`]).
    pub const SNAPSHOT_ACK: &str = "snapshot_ack";
}

/// Limits that both sides enforce.
pub mod limits {
    /// Longest player name kept, in characters; longer names are cut.
    pub const MAX_NAME_CHARS: usize = 24;
    /// Longest name accepted in the connect auth before it is cleaned and cut, in bytes.
    pub const MAX_NAME_BYTES: usize = 256;
    /// Longest room name accepted, in characters; a longer one is refused at connect.
    pub const MAX_ROOM_CHARS: usize = 32;
    /// Longest resume token accepted, in bytes.
    pub const MAX_TOKEN_BYTES: usize = 128;
    /// Longest credential (`auth.credential`, e.g. a JWT) accepted, in bytes.
    pub const MAX_CREDENTIAL_BYTES: usize = 2048;
    /// Largest `auth.options` accepted, in bytes of MessagePack.
    pub const MAX_OPTIONS_BYTES: usize = 1024;
    /// Deepest nesting of containers accepted in `auth.options` and in message payloads.
    pub const MAX_PAYLOAD_DEPTH: usize = 8;
    /// Largest snapshot document a decoder accepts, in bytes.
    pub const MAX_SNAPSHOT_BYTES: usize = 1 << 20;
}

/// Connect auth (`io(url, { auth })`). `protocol` must be 2; every other field is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectAuth {
    /// The protocol version the client speaks; the server refuses anything but
    /// [`crate::PROTOCOL_VERSION`] with `protocol_mismatch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u32>,
    /// Display name; cut to [`limits::MAX_NAME_CHARS`], control characters removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Room to join; matchmaking when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// Resume token from an earlier `welcome`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// A credential for the server's authenticator (e.g. a signed JWT), at most
    /// [`limits::MAX_CREDENTIAL_BYTES`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// Join options for the game rules (a team, a class, a mode): any MessagePack map, at most
    /// [`limits::MAX_OPTIONS_BYTES`] and [`limits::MAX_PAYLOAD_DEPTH`] deep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<rmpv::Value>,
}

impl ConnectAuth {
    /// Auth for protocol v2 with a display name.
    pub fn named(name: &str) -> Self {
        Self {
            protocol: Some(crate::PROTOCOL_VERSION),
            name: Some(name.to_owned()),
            ..Self::default()
        }
    }

    /// Decodes the connect auth from the MessagePack bytes the server received, checking every
    /// limit before anything is built: a map (or nil/absent: empty auth) whose `protocol` is an
    /// integer, whose `name`, `room`, `token` and `credential` are strings within their limits, and
    /// whose `options` is a map within size and depth. Unknown keys are ignored.
    ///
    /// # Errors
    /// [`Refusal::InvalidAuth`] for a malformed auth, [`Refusal::InvalidOptions`] for bad options.
    pub fn decode(bytes: Option<&[u8]>) -> Result<Self, Refusal> {
        let Some(bytes) = bytes else {
            return Ok(Self::default());
        };
        let bad = |_| Refusal::InvalidAuth;
        let mut rd = bytes;
        let entries = match rd.first() {
            Some(0xc0) | None => return Ok(Self::default()),
            Some(m) if (0x80..=0x8f).contains(m) => {
                rd = &rd[1..];
                u32::from(m & 0x0f)
            }
            Some(0xde) => {
                let b = rd.get(1..3).ok_or(Refusal::InvalidAuth)?;
                rd = &rd[3..];
                u32::from(u16::from_be_bytes([b[0], b[1]]))
            }
            _ => return Err(Refusal::InvalidAuth),
        };
        let mut auth = Self::default();
        for _ in 0..entries {
            let key = msgpack::read_str(&mut rd).map_err(bad)?;
            let string = |rd: &mut &[u8], max: usize| -> Result<Option<String>, Refusal> {
                if rd.first() == Some(&0xc0) {
                    *rd = &rd[1..];
                    return Ok(None);
                }
                let s = msgpack::read_str(rd).map_err(bad)?;
                if s.len() > max {
                    return Err(Refusal::InvalidAuth);
                }
                Ok(Some(s.to_owned()))
            };
            match key {
                "protocol" => {
                    auth.protocol = match msgpack::read_scalar(&mut rd).map_err(bad)? {
                        Scalar::Number(Number::Int(v)) => Some(u32::try_from(v).unwrap_or(u32::MAX)),
                        Scalar::Nil => None,
                        _ => return Err(Refusal::InvalidAuth),
                    }
                }
                "name" => auth.name = string(&mut rd, limits::MAX_NAME_BYTES)?,
                "room" => auth.room = string(&mut rd, 4 * limits::MAX_ROOM_CHARS)?,
                "token" => auth.token = string(&mut rd, limits::MAX_TOKEN_BYTES)?,
                "credential" => auth.credential = string(&mut rd, limits::MAX_CREDENTIAL_BYTES)?,
                "options" => {
                    let start = rd;
                    msgpack::skip_value(&mut rd, limits::MAX_PAYLOAD_DEPTH).map_err(|e| match e {
                        ReadError::TooDeep => Refusal::InvalidOptions,
                        _ => Refusal::InvalidAuth,
                    })?;
                    let raw = &start[..start.len() - rd.len()];
                    if raw.len() > limits::MAX_OPTIONS_BYTES {
                        return Err(Refusal::InvalidOptions);
                    }
                    // Depth and size are checked, so building the value tree is bounded.
                    let v = rmpv::decode::read_value(&mut &raw[..]).map_err(|_| Refusal::InvalidOptions)?;
                    auth.options = match v {
                        rmpv::Value::Nil => None,
                        rmpv::Value::Map(_) => Some(v),
                        _ => return Err(Refusal::InvalidOptions),
                    };
                }
                _ => msgpack::skip_value(&mut rd, limits::MAX_PAYLOAD_DEPTH).map_err(bad)?,
            }
        }
        Ok(auth)
    }
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
    /// Speed of the client's own entity moving with a unit direction, in world units per second.
    /// Snapshots carry a new value when the rules change it (0 while frozen).
    pub max_speed: f32,
    /// Half the side of the entity's square collision box, in world units.
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
    /// The game this server hosts (`star_collector`, `arena`).
    pub game: String,
    /// Network id of this client's own entity (kept across the entity's deaths and respawns).
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
    /// The game's declared kinds, fields, inputs, private state, messages and events.
    pub schema: SchemaDoc,
    /// Players already in the room, this client included.
    pub players: Vec<PlayerInfo>,
    /// Delta snapshots: how many recent snapshots the server keeps as baselines
    /// ([`crate::delta::HISTORY`]); 0 (absent) when the server sends only full snapshots.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub deltas: u32,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// `left`: a player left the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Left {
    /// Network id of the player's entity.
    pub id: u16,
    /// Why.
    pub reason: LeaveReason,
}

/// `bye`: the server is about to close this connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bye {
    /// Machine-readable reason.
    pub reason: ByeReason,
    /// Human-readable explanation.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: &impl Serialize) -> Vec<u8> {
        rmp_serde::to_vec_named(v).unwrap()
    }

    #[test]
    fn auth_decodes_every_field_and_ignores_unknown_keys() {
        let sent = ConnectAuth {
            protocol: Some(2),
            name: Some("Ada".into()),
            room: Some("arena-1".into()),
            token: Some("ab".repeat(16)),
            credential: Some("x.y.z".into()),
            options: Some(rmpv::Value::Map(vec![("team".into(), "red".into())])),
        };
        assert_eq!(ConnectAuth::decode(Some(&enc(&sent))), Ok(sent));
        let extra = enc(&std::collections::BTreeMap::from([("protocol", 2), ("color", 5)]));
        assert_eq!(ConnectAuth::decode(Some(&extra)).unwrap().protocol, Some(2));
        assert_eq!(ConnectAuth::decode(None), Ok(ConnectAuth::default()));
        assert_eq!(ConnectAuth::decode(Some(&[0x80])), Ok(ConnectAuth::default()));
        assert_eq!(ConnectAuth::decode(Some(&[0xc0])), Ok(ConnectAuth::default()));
    }

    #[test]
    fn malformed_auth_is_refused() {
        let cases: Vec<(Vec<u8>, Refusal)> = vec![
            (enc(&vec![1, 2]), Refusal::InvalidAuth),
            (
                enc(&std::collections::BTreeMap::from([("name", 5)])),
                Refusal::InvalidAuth,
            ),
            (
                enc(&std::collections::BTreeMap::from([("token", "t".repeat(129))])),
                Refusal::InvalidAuth,
            ),
            (
                enc(&std::collections::BTreeMap::from([("credential", "c".repeat(3000))])),
                Refusal::InvalidAuth,
            ),
            (
                enc(&std::collections::BTreeMap::from([("options", 5)])),
                Refusal::InvalidOptions,
            ),
            (
                enc(&std::collections::BTreeMap::from([("options", vec!["x".repeat(1100)])])),
                Refusal::InvalidOptions,
            ),
            (vec![0x81, 0xa4, b'n', b'a', b'm', b'e'], Refusal::InvalidAuth),
        ];
        for (bytes, want) in cases {
            assert_eq!(ConnectAuth::decode(Some(&bytes)), Err(want), "{bytes:02x?}");
        }
        // 100,000 nested arrays in options: refused by depth, without recursion.
        let mut deep = vec![0x81, 0xa7];
        deep.extend_from_slice(b"options");
        deep.extend(std::iter::repeat_n(0x91u8, 100_000));
        assert_eq!(ConnectAuth::decode(Some(&deep)), Err(Refusal::InvalidOptions));
    }

    #[test]
    fn notices_use_snake_case_reasons() {
        let bye = Bye {
            reason: ByeReason::RoomError,
            message: "m".into(),
        };
        let v: serde_json::Value = serde_json::to_value(&bye).unwrap();
        assert_eq!(v["reason"], "room_error");
        let left: Left = rmp_serde::from_slice(&enc(&Left {
            id: 3,
            reason: LeaveReason::Timeout,
        }))
        .unwrap();
        assert_eq!(left.reason, LeaveReason::Timeout);
    }
}
