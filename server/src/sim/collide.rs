//! Collision helpers for rules: box overlaps, and segments (hitscan weapons, line of sight)
//! against entity boxes and walls.
//!
//! Every shape is an axis-aligned square box (an entity's `pos` ± `radius`) or a wall rectangle,
//! the same shapes movement uses.

use glam::Vec2;

use super::ids::EntityKey;
use super::world::{Entity, Rect, World};

/// Where a segment first meets something.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RayHit {
    /// The entity hit (`None`: a wall or the world's edge).
    pub entity: Option<EntityKey>,
    /// How far along the segment, 0 at its start and 1 at its end.
    pub t: f32,
    /// The point of contact.
    pub point: Vec2,
}

/// The fraction `t` in `[0, 1]` at which the segment `from -> to` enters the box of half-size
/// `half` centred on `center` (0 when it starts inside), or `None` if it misses.
pub fn segment_box(from: Vec2, to: Vec2, center: Vec2, half: f32) -> Option<f32> {
    let d = to - from;
    let (mut t0, mut t1) = (0.0f32, 1.0f32);
    for axis in 0..2 {
        let (o, dir, lo, hi) = if axis == 0 {
            (from.x, d.x, center.x - half, center.x + half)
        } else {
            (from.y, d.y, center.y - half, center.y + half)
        };
        if dir.abs() < 1e-12 {
            if o < lo || o > hi {
                return None;
            }
            continue;
        }
        let (mut a, mut b) = ((lo - o) / dir, (hi - o) / dir);
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        t0 = t0.max(a);
        t1 = t1.min(b);
        if t0 > t1 {
            return None;
        }
    }
    Some(t0)
}

/// The fraction at which the segment enters a rectangle, or `None`.
pub fn segment_rect(from: Vec2, to: Vec2, r: &Rect) -> Option<f32> {
    // A rectangle is a box that is not square: scale y so it becomes one.
    let half_w = r.w / 2.0;
    if half_w <= 0.0 || r.h <= 0.0 {
        return None;
    }
    let k = r.w / r.h;
    let c = Vec2::new(r.x + half_w, (r.y + r.h / 2.0) * k);
    segment_box(Vec2::new(from.x, from.y * k), Vec2::new(to.x, to.y * k), c, half_w)
}

impl World {
    /// Every other entity whose box overlaps the box of `key`.
    pub fn overlapping(&self, key: EntityKey) -> impl Iterator<Item = (EntityKey, &Entity)> + '_ {
        let me = self.get(key).cloned();
        self.iter()
            .filter(move |(k, e)| *k != key && me.as_ref().is_some_and(|m| m.touches(e)))
    }

    /// Every entity whose box overlaps the box of half-size `half` centred on `center`.
    pub fn in_box(&self, center: Vec2, half: f32) -> impl Iterator<Item = (EntityKey, &Entity)> + '_ {
        self.iter().filter(move |(_, e)| {
            let d = (e.pos - center).abs();
            d.x < e.radius + half && d.y < e.radius + half
        })
    }

    /// True when the box of `key` overlaps a wall.
    pub fn touches_wall(&self, key: EntityKey) -> bool {
        self.get(key)
            .is_some_and(|e| self.walls().iter().any(|w| w.overlaps_box(e.pos, e.radius)))
    }

    /// Where the segment `from -> to` first meets a wall or leaves the world, as a fraction of
    /// its length; `None` when the whole segment is clear.
    pub fn segment_blocked(&self, from: Vec2, to: Vec2) -> Option<f32> {
        let mut best: Option<f32> = None;
        for w in self.walls() {
            if let Some(t) = segment_rect(from, to, w) {
                best = Some(best.map_or(t, |b| b.min(t)));
            }
        }
        let size = self.size();
        let inside = |p: Vec2| p.x >= 0.0 && p.y >= 0.0 && p.x <= size.x && p.y <= size.y;
        if !inside(to) {
            // The segment leaves the world somewhere: find where (bounded bisection is plenty).
            let (mut lo, mut hi) = (0.0f32, 1.0f32);
            if inside(from) {
                for _ in 0..24 {
                    let mid = (lo + hi) / 2.0;
                    if inside(from.lerp(to, mid)) {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
            } else {
                hi = 0.0;
            }
            best = Some(best.map_or(hi, |b| b.min(hi)));
        }
        best
    }

    /// Casts the segment `from -> to` and returns what it meets first: an entity for which `hits`
    /// is true (its box), or a wall or the world's edge. `None` when it meets nothing.
    pub fn raycast(&self, from: Vec2, to: Vec2, mut hits: impl FnMut(EntityKey, &Entity) -> bool) -> Option<RayHit> {
        let wall = self.segment_blocked(from, to);
        let mut best: Option<(f32, EntityKey)> = None;
        for (k, e) in self.iter() {
            if !hits(k, e) {
                continue;
            }
            if let Some(t) = segment_box(from, to, e.pos, e.radius)
                && best.is_none_or(|(b, _)| t < b)
            {
                best = Some((t, k));
            }
        }
        match (best, wall) {
            (Some((t, k)), w) if w.is_none_or(|w| t <= w) => Some(RayHit {
                entity: Some(k),
                t,
                point: from.lerp(to, t),
            }),
            (_, Some(w)) => Some(RayHit {
                entity: None,
                t: w,
                point: from.lerp(to, w),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use super::*;
    use crate::schema::SchemaBuilder;

    #[test]
    fn segments_enter_boxes_at_the_right_fraction() {
        let c = Vec2::new(10.0, 0.0);
        assert_eq!(segment_box(Vec2::ZERO, Vec2::new(20.0, 0.0), c, 2.0), Some(0.4));
        assert_eq!(segment_box(Vec2::ZERO, Vec2::new(20.0, 20.0), c, 2.0), None);
        assert_eq!(
            segment_box(Vec2::new(10.0, 0.0), Vec2::new(20.0, 0.0), c, 2.0),
            Some(0.0),
            "starts inside"
        );
        assert_eq!(segment_box(Vec2::ZERO, Vec2::new(5.0, 0.0), c, 2.0), None, "too short");
        let wall = Rect::new(10.0, -50.0, 4.0, 100.0);
        assert_eq!(segment_rect(Vec2::ZERO, Vec2::new(20.0, 0.0), &wall), Some(0.5));
        assert_eq!(segment_rect(Vec2::new(0.0, 60.0), Vec2::new(20.0, 60.0), &wall), None);
    }

    #[test]
    fn raycasts_stop_at_walls_and_pick_the_nearest_entity() {
        let mut s = SchemaBuilder::new("t");
        let k = s.kind(1, "box").done();
        let schema = Arc::new(s.build().unwrap());
        let mut w = World::new(
            Vec2::new(200.0, 100.0),
            vec![Rect::new(100.0, 0.0, 10.0, 100.0)],
            schema,
        );
        let near = w.spawn(k, Vec2::new(50.0, 50.0), 5.0).unwrap();
        let far = w.spawn(k, Vec2::new(80.0, 50.0), 5.0).unwrap();
        let behind_wall = w.spawn(k, Vec2::new(150.0, 50.0), 5.0).unwrap();
        let from = Vec2::new(10.0, 50.0);
        let hit = w.raycast(from, Vec2::new(190.0, 50.0), |_, _| true).unwrap();
        assert_eq!(hit.entity, Some(near));
        let hit = w.raycast(from, Vec2::new(190.0, 50.0), |key, _| key != near).unwrap();
        assert_eq!(hit.entity, Some(far));
        let hit = w
            .raycast(from, Vec2::new(190.0, 50.0), |key, _| key == behind_wall)
            .unwrap();
        assert_eq!(hit.entity, None, "the wall is in the way");
        assert!((hit.point.x - 100.0).abs() < 1e-3);
        let out = w
            .raycast(Vec2::new(150.0, 20.0), Vec2::new(150.0, -50.0), |_, _| false)
            .unwrap();
        assert!(out.point.y.abs() < 0.01, "leaving the world counts as blocked: {out:?}");
        assert!(w.overlapping(near).next().is_none());
        w.get_mut(far).unwrap().pos = Vec2::new(55.0, 50.0);
        assert_eq!(w.overlapping(near).map(|(k, _)| k).collect::<Vec<_>>(), vec![far]);
    }
}
