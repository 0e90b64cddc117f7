//! The game-rules extension point.
//!
//! A game is a [`Game`]: a name, a declaration of its state ([`SchemaBuilder`]: entity kinds
//! with typed fields, input fields, private per-player fields, messages, events) and a factory
//! that makes one [`GameRules`] value per room. The server calls a room's hooks only from that
//! room's tick, one at a time, never concurrently and never from async code, so rules need no
//! locks. Rules never read the clock: time is the tick number and the fixed `dt` in the [`Ctx`]
//! (with [`Ctx::every`] and [`Ctx::deadline`] for schedules); randomness comes from [`Ctx::rng`],
//! seeded per room.
//!
//! Before any hook sees an input the engine has already validated it (finite numbers, direction
//! clamped to the unit disc, game fields in their declared ranges, replays dropped, at most a few
//! per player per tick) and moved the player's entity with the movement step from `PROTOCOL.md`.
//! Rules add what makes the game: scoring, weapons, health, pickups, teams, chat.
//!
//! A panic inside a hook is caught: the room stops, its players get `bye` with reason `room_error`
//! and the hook's name is logged. The process and every other room go on.
//!
//! See [`crate::game`] for the demo games.

mod ctx;
mod game;
mod history;
mod message;
mod roster;

use glam::Vec2;
use tickstate_shared::input::InputValues;

pub use crate::schema::{
    Angle, EventType, Field, FieldKind, Fixed, InputField, Kind, MessageType, PrivateField, Schema, SchemaBuilder,
    Velocity,
};
pub use crate::sim::PlayerId;
pub(crate) use ctx::PlayerDefaults;
pub use ctx::{Ctx, Deadline};
pub use game::{Game, GameBuilder};
pub use history::{PastBox, PastFrame, PositionHistory};
pub use message::ClientMessage;
pub(crate) use message::{Outgoing, to_msgpack_value};
pub use roster::PlayerView;
pub(crate) use roster::{Roster, RosterEntry};
pub use tickstate_shared::reasons::{JoinRefusal, LeaveReason, Refusal};

use crate::sim::Rect;

/// Settings a game chooses for each of its rooms.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesConfig {
    /// Simulation ticks per second (each applied input is one tick of movement).
    pub tick_rate: u32,
    /// Snapshots per second sent to every player; at most `tick_rate`.
    pub snapshot_rate: u32,
    /// Players a room takes; further joins are refused with `room_full`.
    pub max_players: usize,
    /// World width and height.
    pub world_size: Vec2,
    /// Static walls.
    pub walls: Vec<Rect>,
    /// Default speed of a player's entity in units per second (rules can change it per entity).
    pub max_speed: f32,
    /// Default half-size of a player entity's square collision box.
    pub player_radius: f32,
}

impl Default for RulesConfig {
    fn default() -> Self {
        Self {
            tick_rate: 60,
            snapshot_rate: 30,
            max_players: 32,
            world_size: Vec2::new(1600.0, 900.0),
            walls: Vec::new(),
            max_speed: 240.0,
            player_radius: 16.0,
        }
    }
}

/// Who the server's authenticator says a player is (see [`crate::auth`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// A stable account id (a JWT's `sub`).
    pub subject: String,
    /// Every claim of the credential, for the rules to read (roles, a display name, …).
    pub claims: serde_json::Value,
}

/// The connect auth's `options` map: join options for the rules (a team, a class, a mode).
/// Bounded in size and depth before it gets here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JoinOptions(pub(crate) Option<rmpv::Value>);

impl JoinOptions {
    /// Options from a value (tests and tools).
    pub fn new(v: Option<rmpv::Value>) -> Self {
        Self(v)
    }

    /// The raw map, if the client sent one.
    pub fn value(&self) -> Option<&rmpv::Value> {
        self.0.as_ref()
    }

    /// One option by key.
    pub fn get(&self, key: &str) -> Option<&rmpv::Value> {
        self.0
            .as_ref()?
            .as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The options read as a `T` (a struct with `#[serde(default)]` makes every option optional).
    /// No options read as an empty map.
    ///
    /// # Errors
    /// [`JoinRefusal`] `invalid_options` with the decoder's message as its detail.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, JoinRefusal> {
        let v = self.0.clone().unwrap_or(rmpv::Value::Map(Vec::new()));
        rmpv::ext::from_value(v).map_err(|e| JoinRefusal::with_detail(Refusal::InvalidOptions, e.to_string()))
    }
}

/// What a player asked when joining.
#[derive(Debug, Clone)]
pub struct JoinRequest<'a> {
    /// The display name (already cleaned; the engine names unnamed players `Player <id>`).
    pub name: &'a str,
    /// Join options from the connect auth.
    pub options: &'a JoinOptions,
    /// The authenticated identity, when the server has an authenticator.
    pub identity: Option<&'a Identity>,
}

/// Where and as what a player's entity appears.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spawn {
    /// Entity kind.
    pub kind: Kind,
    /// Start position (clamped into the world).
    pub pos: Vec2,
    /// Half-size of its box; `None` takes [`RulesConfig::player_radius`].
    pub radius: Option<f32>,
    /// Its speed; `None` takes [`RulesConfig::max_speed`].
    pub speed: Option<f32>,
}

impl Spawn {
    /// A spawn with the room's default radius and speed.
    pub fn at(kind: Kind, pos: Vec2) -> Self {
        Self {
            kind,
            pos,
            radius: None,
            speed: None,
        }
    }
}

/// One validated, applied input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayerInput {
    /// Who sent it.
    pub player: PlayerId,
    /// Its sequence number.
    pub seq: u32,
    /// The direction after validation (finite, length at most 1).
    pub dir: Vec2,
    /// Buttons bitfield as sent.
    pub buttons: u32,
    pub(crate) values: InputValues,
}

impl PlayerInput {
    /// The value of a declared input field.
    pub fn get<T: FieldKind>(&self, field: InputField<T>) -> T::Value {
        T::from_value(
            self.values
                .get(usize::from(field.slot))
                .unwrap_or(tickstate_shared::FieldValue::Uint(0)),
        )
    }
}

/// The hooks of a game. Every method but [`GameRules::on_join`] has a default that does nothing.
pub trait GameRules: Send + 'static {
    /// Room settings; called once when the room is created (and once when the server starts, to
    /// check them).
    fn config(&self) -> RulesConfig {
        RulesConfig::default()
    }

    /// The room was created: spawn the initial entities.
    fn on_start(&mut self, _ctx: &mut Ctx<'_>) {}

    /// A player asks to join. Return `Err` to refuse: the client gets `connect_error` with the
    /// refusal's code (and detail). Capacity (`max_players`) is checked before this is called.
    ///
    /// # Errors
    /// The refusal sent to the client.
    fn on_join_attempt(&mut self, _ctx: &mut Ctx<'_>, _req: &JoinRequest<'_>) -> Result<(), JoinRefusal> {
        Ok(())
    }

    /// A player was accepted: say where its entity appears and as what kind, or `None` for a
    /// player without an entity for now (a spectator, or one that picks a class first; spawn it
    /// later with [`Ctx::respawn`]).
    fn on_join(&mut self, ctx: &mut Ctx<'_>, player: PlayerId, req: &JoinRequest<'_>) -> Option<Spawn>;

    /// A player is leaving; its entity still exists during this call and is removed right after.
    fn on_leave(&mut self, _ctx: &mut Ctx<'_>, _player: PlayerId, _reason: LeaveReason) {}

    /// A player's connection dropped; its seat and entity are held for the hold period (20 s by
    /// default). The entity stays in the world and is shown as away. Pause the player here, or not.
    fn on_disconnect(&mut self, _ctx: &mut Ctx<'_>, _player: PlayerId) {}

    /// A held player came back with its resume token: same player, same entity. Events sent to it
    /// while it was away are delivered first; the engine then sends a full snapshot.
    fn on_reconnect(&mut self, _ctx: &mut Ctx<'_>, _player: PlayerId) {}

    /// A declared message from a player, already decoded (see [`ClientMessage::get`]). Messages
    /// from one player arrive in the order it sent them, before that tick's [`GameRules::tick`].
    fn on_message(&mut self, _ctx: &mut Ctx<'_>, _from: PlayerId, _msg: &ClientMessage) {}

    /// One simulation tick. `inputs` are every input applied this tick, in order per player; the
    /// engine has already moved the players' entities for them, and moved every velocity entity.
    fn tick(&mut self, _ctx: &mut Ctx<'_>, _inputs: &[PlayerInput]) {}

    /// The room is closing (server shutdown); players are still connected during this call.
    fn on_shutdown(&mut self, _ctx: &mut Ctx<'_>) {}
}
