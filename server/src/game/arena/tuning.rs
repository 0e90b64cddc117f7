//! Every tunable number of Arena, in one place. Times are [`Duration`]s (the rules turn them into
//! ticks with `ctx.ticks`, so they hold at any `--tick-rate`); distances are world units.

use std::time::Duration;

// ---- the room ---------------------------------------------------------------------------------

/// Simulation ticks per second.
pub const TICK_RATE: u32 = 60;
/// Snapshots per second.
pub const SNAPSHOT_RATE: u32 = 30;
/// Players per room.
pub const MAX_PLAYERS: usize = 16;

// ---- ships ------------------------------------------------------------------------------------

/// Half-size of a ship's box.
pub const SHIP_RADIUS: f32 = 18.0;
/// Ship speed, units per second.
pub const SHIP_SPEED: f32 = 260.0;
/// Health of a fresh ship (the `hp` field's maximum).
pub const MAX_HP: u8 = 100;
/// How long a dead ship stays dead.
pub const RESPAWN_DELAY: Duration = Duration::from_secs(2);
/// How long the spawn shield lasts (firing drops it early).
pub const SPAWN_SHIELD: Duration = Duration::from_millis(1500);

// ---- the blaster (projectiles) ----------------------------------------------------------------

/// Damage of one bolt.
pub const BLASTER_DAMAGE: u8 = 10;
/// Time between two bolts while the fire button is held.
pub const BLASTER_COOLDOWN: Duration = Duration::from_millis(150);
/// Bolt speed, units per second.
pub const BOLT_SPEED: f32 = 900.0;
/// Largest bolt velocity component the `vel` field carries (above [`BOLT_SPEED`]).
pub const BOLT_VEL_MAX: f32 = 1000.0;
/// Half-size of a bolt's box.
pub const BOLT_RADIUS: f32 = 4.0;
/// How long a bolt flies before it fizzles.
pub const BOLT_LIFETIME: Duration = Duration::from_millis(1200);
/// How far in front of the ship's centre a bolt appears.
pub const MUZZLE: f32 = SHIP_RADIUS + BOLT_RADIUS + 2.0;

// ---- the rail (hitscan) -----------------------------------------------------------------------

/// Damage of one rail hit.
pub const RAIL_DAMAGE: u8 = 60;
/// Time between two rail shots.
pub const RAIL_COOLDOWN: Duration = Duration::from_millis(1500);
/// Length of the rail's beam.
pub const RAIL_RANGE: f32 = 1400.0;

// ---- lag compensation (defaults of the server flags) ------------------------------------------

/// Default `--max-rewind-ms`: the furthest back a rail shot is tested.
pub const MAX_REWIND: Duration = Duration::from_millis(200);
/// Default `--lag-history-ms`: how much position history a room keeps.
pub const LAG_HISTORY: Duration = Duration::from_secs(1);

// ---- pickups ----------------------------------------------------------------------------------

/// Health a pickup gives (up to [`MAX_HP`]).
pub const PICKUP_HEAL: u8 = 40;
/// How long a taken pickup takes to come back.
pub const PICKUP_RESPAWN: Duration = Duration::from_secs(8);
/// Half-size of a pickup's box.
pub const PICKUP_RADIUS: f32 = 14.0;

// ---- chat -------------------------------------------------------------------------------------

/// Longest chat line, in characters after trimming.
pub const CHAT_MAX_CHARS: usize = 200;
/// Largest `chat` payload in bytes of MessagePack (200 characters of up to 4 bytes each, and
/// some surrounding whitespace); anything larger is refused by the engine as `too_large`.
pub const CHAT_MAX_BYTES: u32 = 1024;
/// Chat lines a player may send at once.
pub const CHAT_BURST: f32 = 4.0;
/// Chat lines per second a player may send after the burst.
pub const CHAT_RATE: f32 = 0.5;
