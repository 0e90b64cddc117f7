//! The arena's map: its size, walls, spawn points and pickup pads. A map is data, so tests (and
//! other modes) can bring their own ([`super::ArenaConfig::map`]).

use crate::prelude::*;

/// A map: what [`Map::standard`] returns, or one built by hand.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    /// World width and height.
    pub size: Vec2,
    /// Static walls (they stop ships and bolts and block the rail).
    pub walls: Vec<Rect>,
    /// Where ships (re)appear: the free point farthest from every living ship is taken.
    pub spawns: Vec<Vec2>,
    /// Where health pickups sit (one each, back [`super::tuning::PICKUP_RESPAWN`] after taken).
    pub pads: Vec<Vec2>,
}

impl Default for Map {
    fn default() -> Self {
        Self::standard()
    }
}

impl Map {
    /// The standard arena: 1600 x 900, a central cross of cover, four corner pillars and two
    /// side walls, spawn points around the edge and four health pads.
    pub fn standard() -> Self {
        let (w, h) = (1600.0, 900.0);
        Self {
            size: Vec2::new(w, h),
            walls: vec![
                // The central cross.
                Rect::new(760.0, 330.0, 80.0, 240.0),
                Rect::new(640.0, 410.0, 120.0, 80.0),
                Rect::new(840.0, 410.0, 120.0, 80.0),
                // Corner pillars.
                Rect::new(300.0, 180.0, 60.0, 60.0),
                Rect::new(1240.0, 180.0, 60.0, 60.0),
                Rect::new(300.0, 660.0, 60.0, 60.0),
                Rect::new(1240.0, 660.0, 60.0, 60.0),
                // Side walls.
                Rect::new(140.0, 380.0, 30.0, 140.0),
                Rect::new(1430.0, 380.0, 30.0, 140.0),
                // Top and bottom cover.
                Rect::new(700.0, 110.0, 200.0, 30.0),
                Rect::new(700.0, 760.0, 200.0, 30.0),
            ],
            spawns: vec![
                Vec2::new(80.0, 80.0),
                Vec2::new(w - 80.0, h - 80.0),
                Vec2::new(w - 80.0, 80.0),
                Vec2::new(80.0, h - 80.0),
                Vec2::new(w / 2.0, 50.0),
                Vec2::new(w / 2.0, h - 50.0),
                Vec2::new(60.0, h / 2.0),
                Vec2::new(w - 60.0, h / 2.0),
                Vec2::new(480.0, 450.0),
                Vec2::new(1120.0, 450.0),
            ],
            pads: vec![
                Vec2::new(w / 2.0, 230.0),
                Vec2::new(w / 2.0, 670.0),
                Vec2::new(330.0, 450.0),
                Vec2::new(1270.0, 450.0),
            ],
        }
    }

    /// True when every spawn point and pad lies inside the world and clear of the walls, with
    /// room for a ship (spawns) or a pickup (pads).
    pub fn is_valid(&self) -> bool {
        let clear = |p: Vec2, r: f32| {
            p.x - r >= 0.0
                && p.y - r >= 0.0
                && p.x + r <= self.size.x
                && p.y + r <= self.size.y
                && !self.walls.iter().any(|w| w.overlaps_box(p, r))
        };
        !self.spawns.is_empty()
            && self.spawns.iter().all(|p| clear(*p, super::tuning::SHIP_RADIUS))
            && self.pads.iter().all(|p| clear(*p, super::tuning::PICKUP_RADIUS))
    }
}
