//! The world: every entity of one room, keyed by a `slotmap` key, plus the static geometry.

use std::collections::HashMap;

use glam::Vec2;
use slotmap::{SlotMap, new_key_type};

use crate::rules::PlayerId;

new_key_type! {
    /// Server-side handle of an entity. A key of a removed entity resolves to nothing, even after
    /// its slot is reused. Keys never go on the wire: clients see [`Entity::net_id`].
    pub struct EntityKey;
}

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
    /// Game-defined kind, sent in snapshots.
    pub kind: u8,
    /// Centre position in world units.
    pub pos: Vec2,
    /// Half-size of the entity's square box, for overlap tests.
    pub radius: f32,
    /// The player controlling this entity, if any.
    pub owner: Option<PlayerId>,
    /// The owning player's connection dropped and its seat is held (sent as bit 7 of the kind).
    pub(crate) away: bool,
    net_id: u16,
}

impl Entity {
    /// The compact id clients know this entity by.
    pub fn net_id(&self) -> u16 {
        self.net_id
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
}

/// Why the world refused a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    /// All 65,535 network ids are in use.
    #[error("the world is full: no free network id")]
    Full,
    /// The entity is a player's avatar; only the engine removes those.
    #[error("player entities are removed by the engine when the player leaves")]
    OwnedByPlayer,
}

/// All entities of one room and its static geometry.
#[derive(Debug, Clone)]
pub struct World {
    entities: SlotMap<EntityKey, Entity>,
    by_net_id: HashMap<u16, EntityKey>,
    next_net_id: u16,
    size: Vec2,
    walls: Vec<Rect>,
}

impl World {
    /// An empty world of `size` (width, height) with the given walls.
    pub fn new(size: Vec2, walls: Vec<Rect>) -> Self {
        Self {
            entities: SlotMap::with_key(),
            by_net_id: HashMap::new(),
            next_net_id: 1,
            size,
            walls,
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

    /// Adds an entity at `pos` (clamped into the world) and gives it a fresh network id.
    ///
    /// # Errors
    /// [`WorldError::Full`] when every network id is taken.
    pub fn spawn(&mut self, kind: u8, pos: Vec2, radius: f32) -> Result<EntityKey, WorldError> {
        self.spawn_owned(kind, pos, radius, None)
    }

    pub(crate) fn spawn_owned(
        &mut self,
        kind: u8,
        pos: Vec2,
        radius: f32,
        owner: Option<PlayerId>,
    ) -> Result<EntityKey, WorldError> {
        let net_id = self.alloc_net_id().ok_or(WorldError::Full)?;
        let pos = crate::sim::movement::clamp_to_world(pos, radius, self.size);
        let key = self.entities.insert(Entity {
            kind,
            pos,
            radius,
            owner,
            away: false,
            net_id,
        });
        self.by_net_id.insert(net_id, key);
        Ok(key)
    }

    /// The network id the next spawn will get (if nothing else spawns first).
    pub fn peek_net_id(&self) -> u16 {
        let mut id = self.next_net_id;
        while self.by_net_id.contains_key(&id) && self.by_net_id.len() < usize::from(u16::MAX) {
            id = id.wrapping_add(1).max(1);
        }
        id
    }

    fn alloc_net_id(&mut self) -> Option<u16> {
        if self.by_net_id.len() >= usize::from(u16::MAX) {
            return None;
        }
        // Ids run 1, 2, … and wrap, skipping 0 and live ids, so a client sees an id reused only
        // after 65,535 others.
        loop {
            let id = self.next_net_id;
            self.next_net_id = self.next_net_id.wrapping_add(1).max(1);
            if !self.by_net_id.contains_key(&id) {
                return Some(id);
            }
        }
    }

    /// Removes an entity that no player owns. Returns the entity, or `Ok(None)` for a stale key.
    ///
    /// # Errors
    /// [`WorldError::OwnedByPlayer`] for a player's avatar.
    pub fn despawn(&mut self, key: EntityKey) -> Result<Option<Entity>, WorldError> {
        match self.entities.get(key) {
            Some(e) if e.owner.is_some() => Err(WorldError::OwnedByPlayer),
            Some(_) => Ok(self.remove(key)),
            None => Ok(None),
        }
    }

    pub(crate) fn remove(&mut self, key: EntityKey) -> Option<Entity> {
        let e = self.entities.remove(key)?;
        self.by_net_id.remove(&e.net_id);
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

    /// The entity with a given network id.
    pub fn by_net_id(&self, net_id: u16) -> Option<EntityKey> {
        self.by_net_id.get(&net_id).copied()
    }

    /// Every entity with its key.
    pub fn iter(&self) -> impl Iterator<Item = (EntityKey, &Entity)> {
        self.entities.iter()
    }

    /// Number of entities.
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// True when there are no entities.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
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

    /// Forces every entity back inside the world and replaces non-finite positions by the centre.
    /// Run by the engine after the game rules, so a rules bug cannot put bad numbers on the wire.
    pub(crate) fn enforce_bounds(&mut self) {
        let size = self.size;
        for e in self.entities.values_mut() {
            if !e.pos.is_finite() {
                e.pos = size / 2.0;
            }
            e.pos = crate::sim::movement::clamp_to_world(e.pos, e.radius, size);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn world() -> World {
        World::new(Vec2::new(100.0, 100.0), vec![Rect::new(40.0, 40.0, 20.0, 20.0)])
    }

    #[test]
    fn stale_keys_resolve_to_nothing_after_slot_reuse() {
        let mut w = world();
        let a = w.spawn(3, Vec2::new(10.0, 10.0), 2.0).unwrap();
        w.despawn(a).unwrap();
        let b = w.spawn(3, Vec2::new(20.0, 20.0), 2.0).unwrap();
        assert!(w.get(a).is_none(), "a removed key should not find the new entity");
        assert!(w.get(b).is_some());
        assert_eq!(w.despawn(a), Ok(None));
    }

    #[test]
    fn net_ids_are_not_reused_right_away() {
        let mut w = world();
        let a = w.spawn(3, Vec2::new(10.0, 10.0), 2.0).unwrap();
        let id_a = w.get(a).unwrap().net_id();
        w.despawn(a).unwrap();
        let b = w.spawn(3, Vec2::new(10.0, 10.0), 2.0).unwrap();
        assert_ne!(w.get(b).unwrap().net_id(), id_a);
        assert_eq!(w.by_net_id(id_a), None);
        assert_eq!(w.by_net_id(w.get(b).unwrap().net_id()), Some(b));
    }

    #[test]
    fn player_entities_cannot_be_despawned_by_rules() {
        let mut w = world();
        let k = w.spawn_owned(1, Vec2::new(10.0, 10.0), 2.0, Some(PlayerId(1))).unwrap();
        assert_eq!(w.despawn(k), Err(WorldError::OwnedByPlayer));
        assert!(w.remove(k).is_some());
    }

    #[test]
    fn is_free_checks_bounds_walls_and_entities() {
        let mut w = world();
        assert!(w.is_free(Vec2::new(10.0, 10.0), 5.0));
        assert!(!w.is_free(Vec2::new(2.0, 10.0), 5.0), "out of bounds");
        assert!(!w.is_free(Vec2::new(50.0, 50.0), 5.0), "inside a wall");
        w.spawn(3, Vec2::new(20.0, 20.0), 5.0).unwrap();
        assert!(!w.is_free(Vec2::new(25.0, 25.0), 5.0), "on an entity");
    }

    #[test]
    fn enforce_bounds_repairs_bad_positions() {
        let mut w = world();
        let k = w.spawn(3, Vec2::new(10.0, 10.0), 2.0).unwrap();
        w.get_mut(k).unwrap().pos = Vec2::new(f32::NAN, 5.0);
        w.enforce_bounds();
        assert_eq!(w.get(k).unwrap().pos, Vec2::new(50.0, 50.0));
        w.get_mut(k).unwrap().pos = Vec2::new(-1e30, 1e30);
        w.enforce_bounds();
        assert_eq!(w.get(k).unwrap().pos, Vec2::new(2.0, 98.0));
    }
}
