//! The payloads of Arena's messages and events (what the TypeScript client gets from
//! `tickstate codegen`).

use serde::{Deserialize, Serialize};

use crate::prelude::*;

/// A weapon, as the kill feed names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Weapon {
    /// The projectile gun.
    Blaster,
    /// The hitscan rail.
    Rail,
}

/// The `chat` event: a line someone said, to everyone in the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChatLine {
    /// Network id of the speaker (its ship's id in snapshots, also while it is dead).
    pub id: u16,
    /// What was said: trimmed, at most 200 characters, control characters replaced by spaces.
    pub text: String,
}

/// Why a chat line was not passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ChatRefusal {
    /// Nothing left after trimming.
    Empty,
    /// More than 200 characters after trimming.
    TooLong,
    /// Sent faster than the chat rate (a burst of 4, then one every 2 s).
    RateLimited,
}

impl ChatRefusal {
    /// Every refusal, in counter order.
    pub const ALL: [ChatRefusal; 3] = [ChatRefusal::Empty, ChatRefusal::TooLong, ChatRefusal::RateLimited];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatRefusal::Empty => "empty",
            ChatRefusal::TooLong => "too_long",
            ChatRefusal::RateLimited => "rate_limited",
        }
    }
}

/// The `chat_refused` event, to the sender only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChatRefused {
    /// Why.
    pub reason: ChatRefusal,
}

/// The `kill` event (the kill feed), to everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Kill {
    /// Network id of the shooter.
    pub killer: u16,
    /// Network id of the ship that died.
    pub victim: u16,
    /// What killed it.
    pub weapon: Weapon,
}

/// One player's line on the scoreboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ScoreLine {
    /// The player's network id.
    pub id: u16,
    /// Display name.
    pub name: String,
    /// Ships it destroyed.
    pub kills: u32,
    /// Times it died.
    pub deaths: u32,
}

/// The `scoreboard` event: every player, most kills first (then fewest deaths, then id). Sent
/// to everyone when it changes, and to a player who joins or comes back.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct Scoreboard {
    /// The lines, in rank order.
    pub players: Vec<ScoreLine>,
}

/// The `rail` event: a rail shot's beam, to everyone (the client draws it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct RailShot {
    /// Network id of the shooter.
    pub by: u16,
    /// Where the beam starts (the shooter's position), world units.
    pub from: [f32; 2],
    /// Where it stopped: the ship it hit, a wall, or its full range.
    pub to: [f32; 2],
    /// Network id of the ship it hit, if any (a shielded ship stops the beam but takes nothing).
    pub hit: Option<u16>,
}
