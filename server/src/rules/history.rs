//! [`PositionHistory`]: where entities were on recent ticks, for lag compensation.
//!
//! A client draws other players in the past (it interpolates between snapshots), so a hitscan
//! shot aimed at what it shows must be tested against where the targets were on the tick it
//! showed, not where they are now. Rules record the boxes they care about once per tick
//! ([`PositionHistory::record_world`]) and look a past tick up when a shot comes in
//! ([`PositionHistory::at_or_after`], [`PastFrame::raycast`]).
//!
//! The history is a ring of at most `capacity` frames. Once full, recording a tick reuses the
//! oldest frame's buffer, so a running room does not allocate per tick or per entity.

use std::collections::VecDeque;

use glam::Vec2;

use crate::sim::collide::segment_box;
use crate::sim::{Entity, EntityKey, World};

/// One entity's box on a past tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PastBox {
    /// The entity (it may be gone by now: check the world before using it).
    pub key: EntityKey,
    /// Its centre then.
    pub pos: Vec2,
    /// Its half-size then.
    pub radius: f32,
}

/// The recorded boxes of one tick.
#[derive(Debug, Clone, Default)]
pub struct PastFrame {
    tick: u64,
    boxes: Vec<PastBox>,
}

impl PastFrame {
    /// The tick this frame was recorded on.
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// Every recorded box, in the order they were recorded.
    pub fn boxes(&self) -> &[PastBox] {
        &self.boxes
    }

    /// One entity's box on this tick.
    pub fn get(&self, key: EntityKey) -> Option<&PastBox> {
        self.boxes.iter().find(|b| b.key == key)
    }

    /// The first box (for which `hits` is true) the segment `from -> to` enters, with the fraction
    /// of the segment at which it enters (0 when `from` is inside it). Walls are not tested: they
    /// do not move, so test them on the live world ([`World::segment_blocked`]).
    pub fn raycast(&self, from: Vec2, to: Vec2, mut hits: impl FnMut(&PastBox) -> bool) -> Option<(f32, PastBox)> {
        let mut best: Option<(f32, PastBox)> = None;
        for b in &self.boxes {
            if !hits(b) {
                continue;
            }
            if let Some(t) = segment_box(from, to, b.pos, b.radius)
                && best.is_none_or(|(bt, _)| t < bt)
            {
                best = Some((t, *b));
            }
        }
        best
    }
}

/// A bounded history of entity boxes, one [`PastFrame`] per recorded tick, oldest first.
#[derive(Debug, Clone)]
pub struct PositionHistory {
    frames: VecDeque<PastFrame>,
    capacity: usize,
}

impl PositionHistory {
    /// A history keeping the last `ticks` recorded ticks (at least 1). For a duration, use
    /// `ctx.ticks(duration)`.
    pub fn new(ticks: usize) -> Self {
        let capacity = ticks.max(1);
        Self {
            frames: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// How many ticks it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Ticks recorded (at most the capacity).
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True before anything was recorded.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The oldest recorded tick.
    pub fn oldest_tick(&self) -> Option<u64> {
        self.frames.front().map(|f| f.tick)
    }

    /// The newest recorded tick.
    pub fn newest_tick(&self) -> Option<u64> {
        self.frames.back().map(|f| f.tick)
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.frames.clear();
    }

    /// Records the boxes of `tick`. Recording the newest tick again replaces it; a tick older
    /// than the newest (time went backwards) clears the history first.
    pub fn record(&mut self, tick: u64, boxes: impl IntoIterator<Item = PastBox>) {
        let mut frame = match self.frames.back() {
            Some(f) if f.tick == tick => self.frames.pop_back().unwrap_or_default(),
            Some(f) if f.tick > tick => {
                self.frames.clear();
                PastFrame::default()
            }
            _ if self.frames.len() >= self.capacity => self.frames.pop_front().unwrap_or_default(),
            _ => PastFrame::default(),
        };
        frame.tick = tick;
        frame.boxes.clear();
        frame.boxes.extend(boxes);
        self.frames.push_back(frame);
    }

    /// Records the box of every entity of `world` for which `keep` is true.
    pub fn record_world(&mut self, tick: u64, world: &World, mut keep: impl FnMut(EntityKey, &Entity) -> bool) {
        self.record(
            tick,
            world.iter().filter(|(k, e)| keep(*k, e)).map(|(key, e)| PastBox {
                key,
                pos: e.pos,
                radius: e.radius,
            }),
        );
    }

    /// The frame of exactly `tick`.
    pub fn at(&self, tick: u64) -> Option<&PastFrame> {
        let i = self.frames.binary_search_by_key(&tick, |f| f.tick).ok()?;
        self.frames.get(i)
    }

    /// The frame of `tick`, or the oldest one after it when `tick` was not recorded (older than
    /// the history, or skipped); `None` when every recorded tick is older than `tick`.
    pub fn at_or_after(&self, tick: u64) -> Option<&PastFrame> {
        let i = match self.frames.binary_search_by_key(&tick, |f| f.tick) {
            Ok(i) | Err(i) => i,
        };
        self.frames.get(i)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use super::*;
    use crate::schema::SchemaBuilder;
    use crate::sim::Rect;

    fn world() -> (World, crate::schema::Kind) {
        let mut s = SchemaBuilder::new("t");
        let k = s.kind(1, "box").done();
        let w = World::new(
            Vec2::new(500.0, 500.0),
            Vec::<Rect>::new(),
            Arc::new(s.build().unwrap()),
        );
        (w, k)
    }

    #[test]
    fn keeps_the_last_capacity_ticks_and_finds_them() {
        let (mut w, k) = world();
        let a = w.spawn(k, Vec2::new(10.0, 10.0), 5.0).unwrap();
        let mut h = PositionHistory::new(3);
        for t in 0..5u64 {
            w.get_mut(a).unwrap().pos.x = 10.0 + t as f32;
            h.record_world(t, &w, |_, _| true);
        }
        assert_eq!((h.len(), h.oldest_tick(), h.newest_tick()), (3, Some(2), Some(4)));
        assert_eq!(h.at(3).unwrap().get(a).unwrap().pos.x, 13.0);
        assert!(h.at(1).is_none(), "forgotten");
        assert_eq!(
            h.at_or_after(0).unwrap().tick(),
            2,
            "older than the history: the oldest"
        );
        assert!(h.at_or_after(5).is_none(), "newer than the history");
        h.record_world(4, &w, |_, _| false);
        assert!(h.at(4).unwrap().boxes().is_empty(), "the same tick again replaces it");
        h.record_world(1, &w, |_, _| true);
        assert_eq!(h.len(), 1, "time going backwards starts over");
    }

    #[test]
    fn raycasts_past_boxes() {
        let (mut w, k) = world();
        let near = w.spawn(k, Vec2::new(100.0, 50.0), 10.0).unwrap();
        let far = w.spawn(k, Vec2::new(200.0, 50.0), 10.0).unwrap();
        let mut h = PositionHistory::new(4);
        h.record_world(7, &w, |_, _| true);
        w.get_mut(near).unwrap().pos.y = 300.0;
        let f = h.at(7).unwrap();
        let (t, hit) = f
            .raycast(Vec2::new(0.0, 50.0), Vec2::new(400.0, 50.0), |_| true)
            .unwrap();
        assert_eq!(hit.key, near, "the past position counts, not the current one");
        assert!((t - 0.225).abs() < 1e-6);
        let (_, hit) = f
            .raycast(Vec2::new(0.0, 50.0), Vec2::new(400.0, 50.0), |b| b.key != near)
            .unwrap();
        assert_eq!(hit.key, far);
        assert!(
            f.raycast(Vec2::new(0.0, 90.0), Vec2::new(400.0, 90.0), |_| true)
                .is_none()
        );
    }
}
