//! The game-rules extension point.
//!
//! A game is a type implementing [`GameRules`]. The server creates one value per room and calls its
//! hooks only from that room's tick thread, one at a time, never concurrently and never from async
//! code, so rules need no locks. Rules never read the clock: time is the tick number and the fixed
//! `dt` in the [`Ctx`]; randomness comes from [`Ctx::rng`], seeded per room.
//!
//! Before any hook sees an input the engine has already validated it (finite numbers, direction
//! clamped to the unit disc, replays dropped, at most a few per player per tick) and moved the
//! player's entity with the movement step from `PROTOCOL.md`. Rules add what makes the game:
//! scoring, pickups, teams, custom events.
//!
//! A panic inside a hook is caught: the room stops, its players get `bye` with reason `room_error`
//! and the hook's name is logged. The process and every other room go on.
//!
//! See [`crate::game::StarCollector`] for a worked example.

use std::fmt;

use glam::Vec2;
use rand::Rng;
use rand::rngs::SmallRng;
use serde::Serialize;

use crate::sim::{EntityKey, Rect, World};

/// A player's identity within a room; never reused while the room lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlayerId(pub(crate) u32);

impl fmt::Display for PlayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

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
    /// Player speed in units per second.
    pub max_speed: f32,
    /// Half-size of a player's square collision box.
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

/// What a player asked when joining.
#[derive(Debug, Clone)]
pub struct JoinRequest<'a> {
    /// The display name (already sanitized).
    pub name: &'a str,
}

/// Where and as what a joining player's entity appears.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spawn {
    /// Entity kind sent in snapshots.
    pub kind: u8,
    /// Start position (clamped into the world).
    pub pos: Vec2,
}

/// Why a player left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveReason {
    /// The connection closed.
    Disconnected,
    /// The rules kicked the player.
    Kicked,
    /// The connection never finished joining, stopped taking messages, or did not come back
    /// within the hold period.
    Timeout,
}

impl LeaveReason {
    /// The reason as sent in the `left` event.
    pub fn as_str(self) -> &'static str {
        match self {
            LeaveReason::Disconnected => "disconnect",
            LeaveReason::Kicked => "kicked",
            LeaveReason::Timeout => "timeout",
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
}

/// A read-only view of a player in the room.
#[derive(Debug, Clone, Copy)]
pub struct PlayerView<'a> {
    /// The player's id.
    pub id: PlayerId,
    /// Display name.
    pub name: &'a str,
    /// The player's entity.
    pub entity: EntityKey,
}

/// The hooks of a game. Every method but [`GameRules::on_join`] has a default that does nothing.
pub trait GameRules: Send + 'static {
    /// Room settings; called once when the room is created.
    fn config(&self) -> RulesConfig {
        RulesConfig::default()
    }

    /// The room was created: spawn the initial entities.
    fn on_start(&mut self, _ctx: &mut Ctx<'_>) {}

    /// A player asks to join. Return `Err(reason)` to refuse; the client gets `connect_error` with
    /// `reason` as its message. Capacity (`max_players`) is checked before this is called.
    ///
    /// # Errors
    /// The refusal reason sent to the client.
    fn on_join_attempt(&mut self, _ctx: &mut Ctx<'_>, _req: &JoinRequest<'_>) -> Result<(), String> {
        Ok(())
    }

    /// A player was accepted: say where its entity appears and as what kind.
    fn on_join(&mut self, ctx: &mut Ctx<'_>, player: PlayerId, name: &str) -> Spawn;

    /// A player is leaving; its entity still exists during this call and is removed right after.
    fn on_leave(&mut self, _ctx: &mut Ctx<'_>, _player: PlayerId, _reason: LeaveReason) {}

    /// A player's connection dropped; its seat and entity are held for the hold period (20 s by
    /// default). The entity stays in the world and is shown as away. Pause the player here, or not.
    fn on_disconnect(&mut self, _ctx: &mut Ctx<'_>, _player: PlayerId) {}

    /// A held player came back with its resume token: same player, same entity. Send it the game
    /// state it missed here (the engine sends the roster and a full snapshot).
    fn on_reconnect(&mut self, _ctx: &mut Ctx<'_>, _player: PlayerId) {}

    /// One simulation tick. `inputs` are every input applied this tick, in order per player; the
    /// engine has already moved the players' entities for them.
    fn tick(&mut self, _ctx: &mut Ctx<'_>, _inputs: &[PlayerInput]) {}

    /// The room is closing (server shutdown); players are still connected during this call.
    fn on_shutdown(&mut self, _ctx: &mut Ctx<'_>) {}
}

/// A message the rules asked to send, delivered in the tick's send stage.
#[derive(Debug, Clone)]
pub(crate) enum Outgoing {
    Broadcast {
        event: String,
        data: rmpv::Value,
    },
    To {
        player: PlayerId,
        event: String,
        data: rmpv::Value,
    },
    Kick {
        player: PlayerId,
        reason: String,
    },
}

/// Encodes a value the way socketioxide's msgpack parser would (structs as maps).
pub(crate) fn to_msgpack_value<T: Serialize + ?Sized>(data: &T) -> Result<rmpv::Value, String> {
    let bytes = rmp_serde::to_vec_named(data).map_err(|e| e.to_string())?;
    rmpv::decode::read_value(&mut bytes.as_slice()).map_err(|e| e.to_string())
}

/// What a hook can see and do.
pub struct Ctx<'a> {
    pub(crate) tick: u64,
    pub(crate) dt: f32,
    pub(crate) world: &'a mut World,
    pub(crate) players: &'a dyn PlayerDirectory,
    pub(crate) outbox: &'a mut Vec<Outgoing>,
    pub(crate) rng: &'a mut SmallRng,
}

/// How [`Ctx`] looks players up (implemented by the room).
pub(crate) trait PlayerDirectory {
    fn view(&self, id: PlayerId) -> Option<PlayerView<'_>>;
    fn all(&self) -> Vec<PlayerView<'_>>;
}

impl<'a> Ctx<'a> {
    /// The current tick number (starts at 0 when the room is created).
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// Seconds per tick.
    pub fn dt(&self) -> f32 {
        self.dt
    }

    /// The world, read-only.
    pub fn world(&self) -> &World {
        self.world
    }

    /// The world, to spawn, move and remove entities.
    pub fn world_mut(&mut self) -> &mut World {
        self.world
    }

    /// The room's random number generator.
    pub fn rng(&mut self) -> &mut SmallRng {
        self.rng
    }

    /// A player in the room.
    pub fn player(&self, id: PlayerId) -> Option<PlayerView<'_>> {
        self.players.view(id)
    }

    /// Every player in the room.
    pub fn players(&self) -> Vec<PlayerView<'_>> {
        self.players.all()
    }

    /// A random position where a box of half-size `r` is inside the world and clear of walls and
    /// entities, or `None` after `tries` failed attempts.
    pub fn random_free_spot(&mut self, r: f32, tries: usize) -> Option<Vec2> {
        let size = self.world.size();
        if size.x <= 2.0 * r || size.y <= 2.0 * r {
            return None;
        }
        (0..tries).find_map(|_| {
            let p = Vec2::new(
                self.rng.random_range(r..size.x - r),
                self.rng.random_range(r..size.y - r),
            );
            self.world.is_free(p, r).then_some(p)
        })
    }

    /// Sends an event to every ready player in the room (written as MessagePack, structs as maps).
    pub fn broadcast<T: Serialize + ?Sized>(&mut self, event: &str, data: &T) {
        if let Some(data) = self.encode(event, data) {
            self.outbox.push(Outgoing::Broadcast {
                event: event.to_owned(),
                data,
            });
        }
    }

    /// Sends an event to one player.
    pub fn send<T: Serialize + ?Sized>(&mut self, player: PlayerId, event: &str, data: &T) {
        if let Some(data) = self.encode(event, data) {
            self.outbox.push(Outgoing::To {
                player,
                event: event.to_owned(),
                data,
            });
        }
    }

    /// Removes a player from the room at the end of this hook: it gets `bye` (`kicked`, `reason`)
    /// and its connection is closed.
    pub fn kick(&mut self, player: PlayerId, reason: &str) {
        self.outbox.push(Outgoing::Kick {
            player,
            reason: reason.to_owned(),
        });
    }

    fn encode<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Option<rmpv::Value> {
        match to_msgpack_value(data) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(event, error = %e, "game rules sent an event that cannot be encoded; dropped");
                None
            }
        }
    }
}
