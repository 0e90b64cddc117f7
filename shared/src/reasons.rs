//! The protocol's closed vocabularies: why a join was refused, why the server closes a connection,
//! why a player left. Each is an enum serialized in `snake_case`; the TypeScript client has the
//! same lists (generated from these, see `client-phaser/sdk/src/generated/`).
//!
//! A refused connection gets Socket.IO's `connect_error`, which carries only a message string
//! (socketioxide 0.18). The message is the refusal's code, optionally followed by `": "` and a
//! human-readable detail: `room_full`, `protocol_mismatch: this server speaks protocol 2, the
//! client sent none`. A client reads the code up to the first `':'` ([`JoinRefusal::parse`]).

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),* }
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            /// The code on the wire (`snake_case`).
            pub const fn as_str(self) -> &'static str { match self { $($name::$v => $s),* } }
            /// The variant with this wire code.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($s => Some($name::$v),)* _ => None }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

vocabulary!(
    /// Why a connection was refused (the code of the `connect_error` message).
    Refusal {
        /// The connect auth is not a map of the documented fields, or a field is too long.
        InvalidAuth => "invalid_auth",
        /// The client did not state protocol 2 in its connect auth (`auth.protocol`).
        ProtocolMismatch => "protocol_mismatch",
        /// `auth.options` is too large, too deep, or the game rules could not read it.
        InvalidOptions => "invalid_options",
        /// The room name is not 1-32 characters of `A-Z a-z 0-9 _ -`.
        InvalidRoom => "invalid_room",
        /// The server requires a credential (`auth.credential`) and none was given, or it is
        /// invalid: forged, expired, malformed.
        Unauthorized => "unauthorized",
        /// The credential is valid but this identity may not play here (banned, wrong audience), or
        /// the game rules refused the player.
        Forbidden => "forbidden",
        /// The room has no free seat.
        RoomFull => "room_full",
        /// The game in this room has started and takes no new players.
        GameStarted => "game_started",
        /// Another player in the room already uses this name.
        NameTaken => "name_taken",
        /// The room stopped (its game rules failed) and cannot take players now.
        RoomUnavailable => "room_unavailable",
        /// The resume token is unknown, expired (its seat was released) or used up.
        InvalidToken => "invalid_token",
        /// The room does not exist and the server already runs its maximum number of rooms.
        TooManyRooms => "too_many_rooms",
        /// The server is shutting down.
        ShuttingDown => "shutting_down",
        /// The room did not answer the join in time.
        Busy => "busy",
    }
);

impl Refusal {
    /// Refusals a client should retry by itself after a short backoff: the condition is
    /// temporary and says nothing about the client.
    pub const fn is_transient(self) -> bool {
        matches!(self, Refusal::Busy | Refusal::ShuttingDown | Refusal::RoomUnavailable)
    }
}

/// A refusal with an optional human-readable detail, as sent in `connect_error`'s message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRefusal {
    /// The machine-readable code.
    pub reason: Refusal,
    /// Shown to a person; never parsed.
    pub detail: Option<String>,
}

impl JoinRefusal {
    /// Longest detail kept, in bytes (longer ones are cut at a character boundary).
    pub const MAX_DETAIL_BYTES: usize = 200;

    /// A refusal without detail.
    pub const fn new(reason: Refusal) -> Self {
        Self { reason, detail: None }
    }

    /// A refusal with a detail for people (cut to [`Self::MAX_DETAIL_BYTES`]; line breaks and
    /// control characters become spaces).
    pub fn with_detail(reason: Refusal, detail: impl Into<String>) -> Self {
        let mut d: String = detail
            .into()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if d.len() > Self::MAX_DETAIL_BYTES {
            let mut cut = Self::MAX_DETAIL_BYTES;
            while !d.is_char_boundary(cut) {
                cut -= 1;
            }
            d.truncate(cut);
        }
        Self {
            reason,
            detail: (!d.trim().is_empty()).then_some(d),
        }
    }

    /// Reads a `connect_error` message: the code before the first `':'`, the rest as detail.
    /// `None` when the code is not one of [`Refusal::ALL`] (a transport error, or a newer server).
    pub fn parse(message: &str) -> Option<Self> {
        let (code, detail) = match message.split_once(':') {
            Some((c, d)) => (c.trim(), Some(d.trim().to_owned()).filter(|d| !d.is_empty())),
            None => (message.trim(), None),
        };
        Refusal::from_code(code).map(|reason| Self { reason, detail })
    }
}

impl From<Refusal> for JoinRefusal {
    fn from(reason: Refusal) -> Self {
        Self::new(reason)
    }
}

impl fmt::Display for JoinRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}: {d}", self.reason),
            None => f.write_str(self.reason.as_str()),
        }
    }
}

impl std::error::Error for JoinRefusal {}

vocabulary!(
    /// Why the server is about to close a connection (`bye.reason`).
    ByeReason {
        /// The server is stopping; reconnect later.
        Shutdown => "shutdown",
        /// The game rules removed the player.
        Kicked => "kicked",
        /// The room's game rules failed; the room was stopped.
        RoomError => "room_error",
        /// Too many invalid or excess inputs or messages.
        Abuse => "abuse",
        /// The same player connected again with its token; the newest connection wins.
        Replaced => "replaced",
    }
);

impl ByeReason {
    /// A `bye` a client should answer by reconnecting after a backoff (the server or room is
    /// going away; nothing is wrong with the client).
    pub const fn is_transient(self) -> bool {
        matches!(self, ByeReason::Shutdown | ByeReason::RoomError)
    }
}

vocabulary!(
    /// Why a player left the room (`left.reason`).
    LeaveReason {
        /// The connection closed (or the client said goodbye).
        Disconnect => "disconnect",
        /// The game rules removed the player.
        Kicked => "kicked",
        /// The connection never finished joining, stopped taking messages, or its held seat
        /// expired.
        Timeout => "timeout",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_serde_and_text() {
        for r in Refusal::ALL {
            let bytes = rmp_serde::to_vec(r).unwrap();
            assert_eq!(rmp_serde::from_slice::<Refusal>(&bytes).unwrap(), *r);
            assert_eq!(Refusal::from_code(r.as_str()), Some(*r));
            assert!(r.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        for r in ByeReason::ALL {
            assert_eq!(serde_json::to_string(r).unwrap(), format!("\"{}\"", r.as_str()));
        }
        for r in LeaveReason::ALL {
            assert_eq!(LeaveReason::from_code(r.as_str()), Some(*r));
        }
    }

    #[test]
    fn refusal_messages_carry_a_code_and_an_optional_detail() {
        let plain = JoinRefusal::new(Refusal::RoomFull);
        assert_eq!(plain.to_string(), "room_full");
        assert_eq!(JoinRefusal::parse("room_full"), Some(plain));
        let detailed = JoinRefusal::with_detail(Refusal::ProtocolMismatch, "server 2,\nclient 1");
        assert_eq!(detailed.to_string(), "protocol_mismatch: server 2, client 1");
        assert_eq!(JoinRefusal::parse(&detailed.to_string()), Some(detailed));
        assert_eq!(JoinRefusal::parse("websocket error"), None);
        let long = JoinRefusal::with_detail(Refusal::Forbidden, "é".repeat(300));
        assert!(long.detail.as_ref().unwrap().len() <= JoinRefusal::MAX_DETAIL_BYTES);
        assert_eq!(JoinRefusal::with_detail(Refusal::Busy, "  ").detail, None);
    }
}
