//! [`Ctx`]: what a hook can see and do.

use std::time::Duration;

use glam::Vec2;
use rand::Rng;
use rand::rngs::SmallRng;
use serde::Serialize;

use super::message::to_msgpack_value;
use super::roster::{PlayerView, Roster};
use super::{Outgoing, Spawn};
use crate::schema::{EventType, FieldKind, PrivateField, Schema};
use crate::sim::{EntityKey, PlayerId, World, WorldError};

/// A tick in the future, from [`Ctx::deadline`]; compare with [`Ctx::reached`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline(pub u64);

/// Room defaults for player entities.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlayerDefaults {
    pub speed: f32,
    pub radius: f32,
}

/// What a hook can see and do. Hooks get a fresh `Ctx` for each call.
pub struct Ctx<'a> {
    pub(crate) tick: u64,
    pub(crate) tick_rate: u32,
    pub(crate) world: &'a mut World,
    pub(crate) roster: &'a mut Roster,
    pub(crate) outbox: &'a mut Vec<Outgoing>,
    pub(crate) rng: &'a mut SmallRng,
    pub(crate) schema: &'a Schema,
    pub(crate) defaults: PlayerDefaults,
}

impl<'a> Ctx<'a> {
    // ---- time ------------------------------------------------------------------------------

    /// The current tick number (starts at 0 when the room is created).
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// Ticks per second of this room (the game's, or the server's `--tick-rate`).
    pub fn tick_rate(&self) -> u32 {
        self.tick_rate
    }

    /// Seconds per tick.
    pub fn dt(&self) -> f32 {
        1.0 / self.tick_rate as f32
    }

    /// Game time: the tick number times `dt`.
    pub fn time(&self) -> Duration {
        Duration::from_secs_f64(self.tick as f64 / f64::from(self.tick_rate))
    }

    /// How many ticks `d` lasts at this room's rate (rounded, at least 1 for a non-zero `d`).
    pub fn ticks(&self, d: Duration) -> u64 {
        let t = (d.as_secs_f64() * f64::from(self.tick_rate)).round() as u64;
        if d.is_zero() { 0 } else { t.max(1) }
    }

    /// True on one tick in every `period` (from tick 0): `if ctx.every(Duration::from_secs(1))`.
    /// Correct at any `--tick-rate`.
    pub fn every(&self, period: Duration) -> bool {
        let p = self.ticks(period).max(1);
        self.tick.is_multiple_of(p)
    }

    /// The tick `after` from now.
    pub fn deadline(&self, after: Duration) -> Deadline {
        Deadline(self.tick + self.ticks(after))
    }

    /// True once the current tick is at or past `d`.
    pub fn reached(&self, d: Deadline) -> bool {
        self.tick >= d.0
    }

    // ---- the world and players -------------------------------------------------------------

    /// The world, read-only.
    pub fn world(&self) -> &World {
        self.world
    }

    /// The world, to spawn, move and remove entities and set their fields.
    pub fn world_mut(&mut self) -> &mut World {
        self.world
    }

    /// The game's declaration.
    pub fn schema(&self) -> &Schema {
        self.schema
    }

    /// The room's random number generator (seeded per room).
    pub fn rng(&mut self) -> &mut SmallRng {
        self.rng
    }

    /// A player in the room.
    pub fn player(&self, id: PlayerId) -> Option<PlayerView<'_>> {
        self.roster.get(id).map(PlayerView::from)
    }

    /// Every player in the room, in id order (no allocation).
    pub fn players(&self) -> impl Iterator<Item = PlayerView<'_>> + '_ {
        self.roster.iter().map(PlayerView::from)
    }

    /// Number of players in the room (held seats included).
    pub fn player_count(&self) -> usize {
        self.roster.len()
    }

    /// The entity a player controls now, if it has one.
    pub fn entity_of(&self, id: PlayerId) -> Option<EntityKey> {
        self.roster.get(id)?.entity
    }

    /// The player who controls an entity.
    pub fn owner_of(&self, key: EntityKey) -> Option<PlayerId> {
        self.world.get(key)?.owner()
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

    /// Removes a player's entity (it died): it leaves every snapshot, the player stays in the room
    /// with its network id reserved, and gets no movement until [`Ctx::respawn`]. Returns false if
    /// the player had no entity.
    pub fn despawn_player(&mut self, id: PlayerId) -> bool {
        let Some(key) = self.roster.get_mut(id).and_then(|p| p.entity.take()) else {
            return false;
        };
        self.world.remove(key).is_some()
    }

    /// Gives a player a (new) entity: removes the one it has, if any, and spawns `spawn` with the
    /// player's network id. Clients see it as a teleport (no glide from where it died), and the
    /// player's own prediction snaps to it.
    ///
    /// # Errors
    /// [`WorldError::UnknownPlayer`] for a player not in the room.
    pub fn respawn(&mut self, id: PlayerId, spawn: Spawn) -> Result<EntityKey, WorldError> {
        let Some(entry) = self.roster.get_mut(id) else {
            return Err(WorldError::UnknownPlayer);
        };
        if let Some(old) = entry.entity.take() {
            self.world.remove(old);
        }
        let pos = if spawn.pos.is_finite() {
            spawn.pos
        } else {
            self.world.size() / 2.0
        };
        let key = self.world.spawn_player(
            spawn.kind,
            pos,
            spawn.radius.unwrap_or(self.defaults.radius),
            spawn.speed.unwrap_or(self.defaults.speed),
            id,
            entry.net_id,
        )?;
        if entry.away
            && let Some(e) = self.world.get_mut(key)
        {
            e.away = true;
        }
        entry.entity = Some(key);
        self.world.mark_teleport(key);
        Ok(key)
    }

    /// A player's private field (sent only to that player).
    pub fn private<T: FieldKind>(&self, id: PlayerId, field: PrivateField<T>) -> Option<T::Value> {
        let p = self.roster.get(id)?;
        p.private.get(usize::from(field.slot)).map(|v| T::from_value(*v))
    }

    /// Sets a player's private field (clamped to its declared range).
    pub fn set_private<T: FieldKind>(&mut self, id: PlayerId, field: PrivateField<T>, v: T::Value) {
        if let Some(slot) = self
            .roster
            .get_mut(id)
            .and_then(|p| p.private.get_mut(usize::from(field.slot)))
        {
            *slot = field.normalize(v);
        }
    }

    // ---- output ----------------------------------------------------------------------------

    /// Sends a game event to every ready player (held players get it when they resume). Clients
    /// receive `(data, tick)`.
    pub fn broadcast<T: Serialize>(&mut self, event: EventType<T>, data: &T) {
        if let Some(data) = self.encode(event.index, data) {
            self.outbox.push(Outgoing::Broadcast {
                event: event.index,
                data,
                tick: self.tick as u32,
            });
        }
    }

    /// Sends a game event to one player.
    pub fn send<T: Serialize>(&mut self, player: PlayerId, event: EventType<T>, data: &T) {
        if let Some(data) = self.encode(event.index, data) {
            self.outbox.push(Outgoing::To {
                player,
                event: event.index,
                data,
                tick: self.tick as u32,
            });
        }
    }

    /// Removes a player from the room at the end of this hook: it gets `bye` (`kicked`, with
    /// `detail` as the message) and its connection is closed.
    pub fn kick(&mut self, player: PlayerId, detail: &str) {
        self.outbox.push(Outgoing::Kick {
            player,
            detail: detail.to_owned(),
        });
    }

    fn encode<T: Serialize>(&self, index: u16, data: &T) -> Option<rmpv::Value> {
        match to_msgpack_value(data) {
            Ok(v) => Some(v),
            Err(e) => {
                let name = self.schema.event_name(index).map_or("?", |n| &**n);
                tracing::warn!(event = name, error = %e, "game rules sent an event that cannot be encoded; dropped");
                None
            }
        }
    }
}
