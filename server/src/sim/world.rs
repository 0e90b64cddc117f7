//! The world: every entity of one room, keyed by a `slotmap` key, plus the static geometry.
//!
//! Each entity has an engine part (kind, position, box, speed, owner, network id) and the fields
//! its kind declares in the game's [`Schema`], read and written through typed [`Field`] handles.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use glam::Vec2;
use slotmap::SlotMap;
use tickstate_shared::schema::FieldValue;

use super::ids::{EntityKey, PlayerId};
use crate::schema::{Field, FieldKind, Kind, Schema};

/// An axis-aligned rectangle: top-left corner `(x, y)`, size `(w, h)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl Rect {
    /// A rectangle from its top-left corner and size.
    pub const fn new(x: f32, y: f32, w: f32, h: f32) -> Self {
        Self { x, y, w, h }
    }

    /// True when the square box of half-size `r` centred on `p` overlaps this rectangle
    /// (touching edges do not count).
    pub fn overlaps_box(&self, p: Vec2, r: f32) -> bool {
        p.x + r > self.x && p.x - r < self.x + self.w && p.y + r > self.y && p.y - r < self.y + self.h
    }
}

/// One thing in the world.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    kind: Kind,
    /// Centre position in world units. Rules may move an entity by writing it (a push); for a
    /// jump that clients should not glide across, use [`World::teleport`].
    pub pos: Vec2,
    /// Half-size of the entity's square box, for movement, overlap tests and ray casts.
    pub radius: f32,
    /// Speed of a player's entity in units per second (0 freezes it). Clients predict with it.
    pub speed: f32,
    owner: Option<PlayerId>,
    pub(crate) away: bool,
    net_id: u16,
    values: Vec<FieldValue>,
    velocity_slot: Option<u8>,
    /// Tick of the last teleport, for the snapshot's teleport list.
    pub(crate) teleported_at: Option<u64>,
}

impl Entity {
    /// The entity's kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The compact id clients know this entity by.
    pub fn net_id(&self) -> u16 {
        self.net_id
    }

    /// The player controlling this entity, if any.
    pub fn owner(&self) -> Option<PlayerId> {
        self.owner
    }

    /// True while the owning player is disconnected and its seat is held.
    pub fn is_away(&self) -> bool {
        self.away
    }

    /// True when this entity's box overlaps `other`'s.
    pub fn touches(&self, other: &Entity) -> bool {
        let d = (self.pos - other.pos).abs();
        let r = self.radius + other.radius;
        d.x < r && d.y < r
    }

    /// The value of one of this entity's fields; `None` when the field belongs to another kind.
    pub fn get<T: FieldKind>(&self, field: Field<T>) -> Option<T::Value> {
        if field.kind != self.kind.0 {
            return None;
        }
        self.values.get(usize::from(field.slot)).map(|v| T::from_value(*v))
    }

    /// Sets a field (clamped to its declared range, angles wrapped). Returns false when the field
    /// belongs to another kind.
    pub fn set<T: FieldKind>(&mut self, field: Field<T>, v: T::Value) -> bool {
        if field.kind != self.kind.0 {
            return false;
        }
        match self.values.get_mut(usize::from(field.slot)) {
            Some(slot) => {
                *slot = field.ty.normalize(T::to_value(v));
                true
            }
            None => false,
        }
    }

    /// Every field value in declaration order (what goes into the snapshot record).
    pub fn values(&self) -> &[FieldValue] {
        &self.values
    }

    /// The velocity the engine moves this entity with, if its kind declares one.
    pub fn velocity(&self) -> Option<Vec2> {
        match self.values.get(usize::from(self.velocity_slot?))? {
            FieldValue::Velocity([x, y]) => Some(Vec2::new(*x, *y)),
            _ => None,
        }
    }
}

/// Why the world refused a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    /// All 65,535 network ids are in use.
    #[error("the world is full: no free network id")]
    Full,
    /// The entity is a player's avatar; use `Ctx::despawn_player` for those.
    #[error("player entities are removed with Ctx::despawn_player or when the player leaves")]
    OwnedByPlayer,
    /// The player is not in the room.
    #[error("no such player in the room")]
    UnknownPlayer,
    /// The kind is not declared in this world's schema.
    #[error("kind {0} is not declared in the game's schema")]
    UndeclaredKind(u8),
}

/// All entities of one room and its static geometry.
#[derive(Debug, Clone)]
pub struct World {
    entities: SlotMap<EntityKey, Entity>,
    by_net_id: HashMap<u16, EntityKey>,
    /// Network ids of players without an entity right now (dead, spectating): not handed out.
    reserved: HashSet<u16>,
    next_net_id: u16,
    size: Vec2,
    walls: Vec<Rect>,
    schema: Arc<Schema>,
    /// The room's current tick (set by the room before each stage), for teleport stamps.
    pub(crate) tick: u64,
    /// Entities the engine's velocity step stopped at a wall or the world's edge this tick.
    pub(crate) wall_hits: Vec<EntityKey>,
}

impl World {
    /// An empty world of `size` (width, height) with the given walls, for a game's schema.
    pub fn new(size: Vec2, walls: Vec<Rect>, schema: Arc<Schema>) -> Self {
        Self {
            entities: SlotMap::with_key(),
            by_net_id: HashMap::new(),
            reserved: HashSet::new(),
            next_net_id: 1,
            size,
            walls,
            schema,
            tick: 0,
            wall_hits: Vec::new(),
        }
    }

    /// Width and height.
    pub fn size(&self) -> Vec2 {
        self.size
    }

    /// The static walls.
    pub fn walls(&self) -> &[Rect] {
        &self.walls
    }

    /// The game's declaration.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// Adds an entity of `kind` at `pos` (clamped into the world) with box half-size `radius`;
    /// its fields start at their defaults.
    ///
    /// # Errors
    /// [`WorldError::Full`] when every network id is taken.
    pub fn spawn(&mut self, kind: Kind, pos: Vec2, radius: f32) -> Result<EntityKey, WorldError> {
        let net_id = self.alloc_net_id().ok_or(WorldError::Full)?;
        self.insert(kind, pos, radius, 0.0, None, net_id)
    }

    /// A player's entity with the player's reserved network id.
    pub(crate) fn spawn_player(
        &mut self,
        kind: Kind,
        pos: Vec2,
        radius: f32,
        speed: f32,
        owner: PlayerId,
        net_id: u16,
    ) -> Result<EntityKey, WorldError> {
        self.reserved.remove(&net_id);
        self.insert(kind, pos, radius, speed, Some(owner), net_id)
    }

    fn insert(
        &mut self,
        kind: Kind,
        pos: Vec2,
        radius: f32,
        speed: f32,
        owner: Option<PlayerId>,
        net_id: u16,
    ) -> Result<EntityKey, WorldError> {
        let layout = self
            .schema
            .kind_layout(kind.0)
            .ok_or(WorldError::UndeclaredKind(kind.0))?;
        let radius = if radius.is_finite() { radius.max(0.0) } else { 0.0 };
        let pos = crate::sim::movement::clamp_to_world(pos, radius, self.size);
        let key = self.entities.insert(Entity {
            kind,
            pos,
            radius,
            speed: if speed.is_finite() { speed.max(0.0) } else { 0.0 },
            owner,
            away: false,
            net_id,
            values: layout.defaults.clone(),
            velocity_slot: layout.velocity,
            teleported_at: None,
        });
        self.by_net_id.insert(net_id, key);
        Ok(key)
    }

    /// Reserves a network id for a player (kept while it is in the room, entity or not).
    pub(crate) fn reserve_net_id(&mut self) -> Option<u16> {
        let id = self.alloc_net_id()?;
        self.reserved.insert(id);
        Some(id)
    }

    /// Gives a player's reserved network id back (the player left).
    pub(crate) fn release_net_id(&mut self, id: u16) {
        self.reserved.remove(&id);
    }

    /// The network id the next spawn will get (if nothing else spawns first).
    pub fn peek_net_id(&self) -> u16 {
        let mut id = self.next_net_id;
        while self.taken(id) && self.by_net_id.len() + self.reserved.len() < usize::from(u16::MAX) {
            id = id.wrapping_add(1).max(1);
        }
        id
    }

    fn taken(&self, id: u16) -> bool {
        self.by_net_id.contains_key(&id) || self.reserved.contains(&id)
    }

    fn alloc_net_id(&mut self) -> Option<u16> {
        if self.by_net_id.len() + self.reserved.len() >= usize::from(u16::MAX) {
            return None;
        }
        // Ids run 1, 2, … and wrap, skipping 0 and live ids, so a client sees an id reused only
        // after 65,535 others.
        loop {
            let id = self.next_net_id;
            self.next_net_id = self.next_net_id.wrapping_add(1).max(1);
            if !self.taken(id) {
                return Some(id);
            }
        }
    }

    /// Removes an entity that no player owns. Returns the entity, or `Ok(None)` for a stale key.
    ///
    /// # Errors
    /// [`WorldError::OwnedByPlayer`] for a player's entity (use `Ctx::despawn_player`).
    pub fn despawn(&mut self, key: EntityKey) -> Result<Option<Entity>, WorldError> {
        match self.entities.get(key) {
            Some(e) if e.owner.is_some() => Err(WorldError::OwnedByPlayer),
            Some(_) => Ok(self.remove(key)),
            None => Ok(None),
        }
    }

    /// Removes any entity; a player's network id stays reserved for it.
    pub(crate) fn remove(&mut self, key: EntityKey) -> Option<Entity> {
        let e = self.entities.remove(key)?;
        self.by_net_id.remove(&e.net_id);
        if e.owner.is_some() {
            self.reserved.insert(e.net_id);
        }
        Some(e)
    }

    /// The entity behind `key`, if it still exists.
    pub fn get(&self, key: EntityKey) -> Option<&Entity> {
        self.entities.get(key)
    }

    /// Mutable access to an entity. Positions are clamped back into the world after the rules run.
    pub fn get_mut(&mut self, key: EntityKey) -> Option<&mut Entity> {
        self.entities.get_mut(key)
    }

    /// A field of an entity (`None` for a stale key or a field of another kind).
    pub fn field<T: FieldKind>(&self, key: EntityKey, field: Field<T>) -> Option<T::Value> {
        self.entities.get(key)?.get(field)
    }

    /// Sets a field of an entity (clamped to its declared range). False for a stale key or a field
    /// of another kind.
    pub fn set<T: FieldKind>(&mut self, key: EntityKey, field: Field<T>, v: T::Value) -> bool {
        self.entities.get_mut(key).is_some_and(|e| e.set(field, v))
    }

    /// Changes an entity's kind; its fields are reset to the new kind's defaults.
    ///
    /// # Errors
    /// [`WorldError::UndeclaredKind`] is impossible for a [`Kind`] of this world's schema.
    pub fn set_kind(&mut self, key: EntityKey, kind: Kind) -> Result<(), WorldError> {
        let layout = self
            .schema
            .kind_layout(kind.0)
            .ok_or(WorldError::UndeclaredKind(kind.0))?;
        if let Some(e) = self.entities.get_mut(key) {
            e.kind = kind;
            e.values = layout.defaults.clone();
            e.velocity_slot = layout.velocity;
        }
        Ok(())
    }

    /// Moves an entity to `pos` as a jump: clients do not glide across it, and a player's own
    /// prediction snaps to it (it is listed in the snapshot's teleports for a second).
    pub fn teleport(&mut self, key: EntityKey, pos: Vec2) {
        let size = self.size;
        if let Some(e) = self.entities.get_mut(key) {
            let p = if pos.is_finite() { pos } else { size / 2.0 };
            e.pos = crate::sim::movement::clamp_to_world(p, e.radius, size);
        }
        self.mark_teleport(key);
    }

    pub(crate) fn mark_teleport(&mut self, key: EntityKey) {
        let tick = self.tick;
        if let Some(e) = self.entities.get_mut(key) {
            e.teleported_at = Some(tick);
        }
    }

    /// The entity with a given network id.
    pub fn by_net_id(&self, net_id: u16) -> Option<EntityKey> {
        self.by_net_id.get(&net_id).copied()
    }

    /// Every entity with its key.
    pub fn iter(&self) -> impl Iterator<Item = (EntityKey, &Entity)> {
        self.entities.iter()
    }

    /// Every entity with its key, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (EntityKey, &mut Entity)> {
        self.entities.iter_mut()
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// True when there are no entities.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// Entities the engine's velocity step stopped at a wall or the world's edge this tick (a
    /// projectile's impact): rules usually despawn them.
    pub fn wall_hits(&self) -> &[EntityKey] {
        &self.wall_hits
    }

    /// True when a box of half-size `r` at `p` lies inside the world, clear of every wall and
    /// of every entity's box.
    pub fn is_free(&self, p: Vec2, r: f32) -> bool {
        let inside = p.x - r >= 0.0 && p.y - r >= 0.0 && p.x + r <= self.size.x && p.y + r <= self.size.y;
        inside
            && !self.walls.iter().any(|w| w.overlaps_box(p, r))
            && !self.entities.values().any(|e| {
                let d = (e.pos - p).abs();
                d.x < e.radius + r && d.y < e.radius + r
            })
    }

    /// Moves a player's entity one movement step in the validated direction `dir`, with the
    /// entity's own speed and radius (the step clients predict).
    pub(crate) fn step_entity(&mut self, key: EntityKey, dir: Vec2, dt: f32) {
        let size = self.size;
        let walls = &self.walls;
        if let Some(e) = self.entities.get_mut(key) {
            let params = crate::sim::MoveParams {
                max_speed: e.speed,
                radius: e.radius,
                dt,
            };
            e.pos = crate::sim::movement::step(e.pos, dir, &params, size, walls);
        }
    }

    /// Moves every entity without a player that has a velocity by one tick of it, with the same
    /// swept step as players (its own radius; direction and speed from the velocity). Entities the
    /// step cut short (a wall or the world's edge) are recorded in [`World::wall_hits`].
    pub(crate) fn step_velocities(&mut self, dt: f32) {
        self.wall_hits.clear();
        let size = self.size;
        let walls = &self.walls;
        for (key, e) in self.entities.iter_mut() {
            if e.owner.is_some() {
                continue;
            }
            let Some(v) = e.velocity() else { continue };
            let speed = v.length();
            if !(speed.is_finite() && speed > 0.0) {
                continue;
            }
            let params = crate::sim::MoveParams {
                max_speed: speed,
                radius: e.radius,
                dt,
            };
            let from = e.pos;
            let to = crate::sim::movement::step(from, v / speed, &params, size, walls);
            let (want, got) = (v * dt, to - from);
            const SLACK: f32 = 1e-3;
            if (got.x - want.x).abs() > SLACK || (got.y - want.y).abs() > SLACK {
                self.wall_hits.push(key);
            }
            e.pos = to;
        }
    }

    /// Forces every entity back inside the world and replaces non-finite positions by the centre.
    /// Run by the engine after the game rules, so a rules bug cannot put bad numbers on the wire.
    pub(crate) fn enforce_bounds(&mut self) {
        let size = self.size;
        for e in self.entities.values_mut() {
            if !e.pos.is_finite() {
                e.pos = size / 2.0;
            }
            if !e.radius.is_finite() || e.radius < 0.0 {
                e.radius = 0.0;
            }
            if !e.speed.is_finite() || e.speed < 0.0 {
                e.speed = 0.0;
            }
            e.pos = crate::sim::movement::clamp_to_world(e.pos, e.radius, size);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::schema::{Angle, SchemaBuilder, Velocity};

    struct H {
        ship: Kind,
        star: Kind,
        angle: Field<Angle>,
        hp: Field<u8>,
        vel: Field<Velocity>,
    }

    fn world() -> (World, H) {
        let mut s = SchemaBuilder::new("t");
        let mut ship = s.kind(1, "ship");
        let angle = ship.angle("angle", 8);
        let hp = ship.u8("hp", 100);
        let ship = ship.done();
        let mut star = s.kind(3, "star");
        let vel = star.velocity("vel", 100.0, 8);
        let star = star.done();
        let schema = Arc::new(s.build().unwrap());
        let w = World::new(Vec2::new(100.0, 100.0), vec![Rect::new(40.0, 40.0, 20.0, 20.0)], schema);
        (
            w,
            H {
                ship,
                star,
                angle,
                hp,
                vel,
            },
        )
    }

    #[test]
    fn stale_keys_resolve_to_nothing_after_slot_reuse() {
        let (mut w, h) = world();
        let a = w.spawn(h.star, Vec2::new(10.0, 10.0), 2.0).unwrap();
        w.despawn(a).unwrap();
        let b = w.spawn(h.star, Vec2::new(20.0, 20.0), 2.0).unwrap();
        assert!(w.get(a).is_none(), "a removed key should not find the new entity");
        assert!(w.get(b).is_some());
        assert_eq!(w.despawn(a), Ok(None));
    }

    #[test]
    fn net_ids_are_not_reused_right_away() {
        let (mut w, h) = world();
        let a = w.spawn(h.star, Vec2::new(10.0, 10.0), 2.0).unwrap();
        let id_a = w.get(a).unwrap().net_id();
        w.despawn(a).unwrap();
        let b = w.spawn(h.star, Vec2::new(10.0, 10.0), 2.0).unwrap();
        assert_ne!(w.get(b).unwrap().net_id(), id_a);
        assert_eq!(w.by_net_id(id_a), None);
        assert_eq!(w.by_net_id(w.get(b).unwrap().net_id()), Some(b));
    }

    #[test]
    fn a_dead_players_net_id_stays_reserved() {
        let (mut w, h) = world();
        let id = w.reserve_net_id().unwrap();
        let k = w
            .spawn_player(h.ship, Vec2::new(10.0, 10.0), 2.0, 100.0, PlayerId(1), id)
            .unwrap();
        assert_eq!(w.despawn(k), Err(WorldError::OwnedByPlayer));
        w.remove(k);
        for _ in 0..70_000 {
            let s = w.spawn(h.star, Vec2::new(10.0, 10.0), 1.0).unwrap();
            assert_ne!(w.get(s).unwrap().net_id(), id, "a reserved id is never handed out");
            w.despawn(s).unwrap();
        }
        let back = w
            .spawn_player(h.ship, Vec2::new(20.0, 20.0), 2.0, 100.0, PlayerId(1), id)
            .unwrap();
        assert_eq!(w.get(back).unwrap().net_id(), id);
    }

    #[test]
    fn fields_are_typed_per_kind_and_clamped() {
        let (mut w, h) = world();
        let ship = w.spawn(h.ship, Vec2::new(10.0, 10.0), 2.0).unwrap();
        let star = w.spawn(h.star, Vec2::new(80.0, 80.0), 2.0).unwrap();
        assert_eq!(w.field(ship, h.hp), Some(0), "fields start at their defaults");
        assert!(w.set(ship, h.hp, 250));
        assert_eq!(w.field(ship, h.hp), Some(100), "clamped to the declared max");
        assert!(w.set(ship, h.angle, -1.0));
        assert!((w.field(ship, h.angle).unwrap() - (std::f32::consts::TAU - 1.0)).abs() < 1e-5);
        assert!(!w.set(star, h.hp, 5), "a ship field does not apply to a star");
        assert_eq!(w.field(star, h.hp), None);
        assert!(w.set(star, h.vel, Vec2::new(3.0, -4.0)));
        assert_eq!(w.get(star).unwrap().velocity(), Some(Vec2::new(3.0, -4.0)));
        assert_eq!(w.get(ship).unwrap().velocity(), None);
        w.set_kind(ship, h.star).unwrap();
        assert_eq!(w.get(ship).unwrap().kind(), h.star);
        assert_eq!(
            w.get(ship).unwrap().velocity(),
            Some(Vec2::ZERO),
            "a new kind starts from its defaults"
        );
    }

    #[test]
    fn teleports_are_stamped_with_the_tick() {
        let (mut w, h) = world();
        let k = w.spawn(h.star, Vec2::new(10.0, 10.0), 2.0).unwrap();
        w.tick = 42;
        w.teleport(k, Vec2::new(90.0, 5.0));
        let e = w.get(k).unwrap();
        assert_eq!(e.pos, Vec2::new(90.0, 5.0));
        assert_eq!(e.teleported_at, Some(42));
    }

    #[test]
    fn is_free_checks_bounds_walls_and_entities() {
        let (mut w, h) = world();
        assert!(w.is_free(Vec2::new(10.0, 10.0), 5.0));
        assert!(!w.is_free(Vec2::new(2.0, 10.0), 5.0), "out of bounds");
        assert!(!w.is_free(Vec2::new(50.0, 50.0), 5.0), "inside a wall");
        w.spawn(h.star, Vec2::new(20.0, 20.0), 5.0).unwrap();
        assert!(!w.is_free(Vec2::new(25.0, 25.0), 5.0), "on an entity");
    }

    #[test]
    fn enforce_bounds_repairs_bad_positions() {
        let (mut w, h) = world();
        let k = w.spawn(h.star, Vec2::new(10.0, 10.0), 2.0).unwrap();
        w.get_mut(k).unwrap().pos = Vec2::new(f32::NAN, 5.0);
        w.enforce_bounds();
        assert_eq!(w.get(k).unwrap().pos, Vec2::new(50.0, 50.0));
        w.get_mut(k).unwrap().pos = Vec2::new(-1e30, 1e30);
        w.get_mut(k).unwrap().speed = f32::NAN;
        w.enforce_bounds();
        assert_eq!(w.get(k).unwrap().pos, Vec2::new(2.0, 98.0));
        assert_eq!(w.get(k).unwrap().speed, 0.0);
    }
}
