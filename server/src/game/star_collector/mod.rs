//! **Star Collector**: the classic Phaser + Socket.IO tutorial game, done authoritatively.
//!
//! Ships on a 2D field with a few walls, split into two balanced teams (red and blue). Stars sit at
//! random free spots; a ship touching a star scores a point for its team and the star reappears
//! elsewhere. Scores go to every player as the `scores` event `{ red, blue }`.
//!
//! Everything here uses only the prelude a game author has. The engine does movement and
//! validation; these rules add teams, stars and scores. The kinds have no fields, so a record is
//! the 7-byte head.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::prelude::*;

const STARS: usize = 6;
const STAR_RADIUS: f32 = 12.0;
const WIDTH: f32 = 1600.0;
const HEIGHT: f32 = 900.0;

/// A team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Team {
    /// Starts on the left.
    Red,
    /// Starts on the right.
    Blue,
}

/// The `scores` event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Scores {
    /// Red team's points.
    pub red: u32,
    /// Blue team's points.
    pub blue: u32,
}

/// The declared kinds and event.
#[derive(Debug, Clone, Copy)]
pub struct Handles {
    /// A red ship (kind 1).
    pub red_ship: Kind,
    /// A blue ship (kind 2).
    pub blue_ship: Kind,
    /// A star (kind 3).
    pub star: Kind,
    /// `scores`.
    pub scores: EventType<Scores>,
}

fn declare(s: &mut SchemaBuilder) -> Handles {
    Handles {
        red_ship: s.kind(1, "red_ship").done(),
        blue_ship: s.kind(2, "blue_ship").done(),
        star: s.kind(3, "star").done(),
        scores: s.event::<Scores>("scores"),
    }
}

/// The Star Collector game.
pub fn star_collector() -> Game {
    // The declaration is fixed; the `declaration_is_valid` test builds it.
    #[allow(clippy::expect_used)]
    Game::new("star_collector", declare)
        .rules(|h, _room| StarCollector::new(*h))
        .expect("Star Collector's declaration is valid")
}

/// The Star Collector rules. One value per room.
#[derive(Debug)]
pub struct StarCollector {
    h: Handles,
    teams: BTreeMap<PlayerId, Team>,
    stars: Vec<EntityKey>,
    scores: Scores,
}

impl StarCollector {
    /// Rules using these handles.
    pub fn new(h: Handles) -> Self {
        Self {
            h,
            teams: BTreeMap::new(),
            stars: Vec::new(),
            scores: Scores::default(),
        }
    }

    /// The current scores.
    pub fn scores(&self) -> Scores {
        self.scores
    }

    /// A player's team.
    pub fn team_of(&self, player: PlayerId) -> Option<Team> {
        self.teams.get(&player).copied()
    }

    fn smaller_team(&self) -> Team {
        let red = self.teams.values().filter(|t| **t == Team::Red).count();
        let blue = self.teams.len() - red;
        if blue < red { Team::Blue } else { Team::Red }
    }

    fn place_star(ctx: &mut Ctx<'_>) -> Vec2 {
        ctx.random_free_spot(STAR_RADIUS * 2.0, 64)
            .unwrap_or(Vec2::new(WIDTH / 2.0, HEIGHT / 2.0))
    }
}

/// The demo's walls: a frame of islands that leaves lanes open.
pub fn walls() -> Vec<Rect> {
    vec![
        Rect::new(380.0, 160.0, 40.0, 220.0),
        Rect::new(1180.0, 520.0, 40.0, 220.0),
        Rect::new(640.0, 420.0, 320.0, 40.0),
        Rect::new(700.0, 120.0, 200.0, 32.0),
        Rect::new(700.0, 748.0, 200.0, 32.0),
        Rect::new(380.0, 600.0, 40.0, 140.0),
        Rect::new(1180.0, 160.0, 40.0, 140.0),
    ]
}

impl GameRules for StarCollector {
    fn config(&self) -> RulesConfig {
        RulesConfig {
            tick_rate: 60,
            snapshot_rate: 30,
            max_players: 16,
            world_size: Vec2::new(WIDTH, HEIGHT),
            walls: walls(),
            max_speed: 260.0,
            player_radius: 18.0,
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        for _ in 0..STARS {
            let p = Self::place_star(ctx);
            if let Ok(k) = ctx.world_mut().spawn(self.h.star, p, STAR_RADIUS) {
                self.stars.push(k);
            }
        }
    }

    fn on_join(&mut self, ctx: &mut Ctx<'_>, player: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
        let team = self.smaller_team();
        self.teams.insert(player, team);
        // Spawn on the team's own side of the field.
        let x_range = match team {
            Team::Red => 40.0..WIDTH * 0.3,
            Team::Blue => WIDTH * 0.7..WIDTH - 40.0,
        };
        let mut pos = Vec2::new((x_range.start + x_range.end) / 2.0, HEIGHT / 2.0);
        for _ in 0..64 {
            let Some(p) = ctx.random_free_spot(20.0, 1) else {
                continue;
            };
            if x_range.contains(&p.x) {
                pos = p;
                break;
            }
        }
        ctx.send(player, self.h.scores, &self.scores);
        let kind = match team {
            Team::Red => self.h.red_ship,
            Team::Blue => self.h.blue_ship,
        };
        Some(Spawn::at(kind, pos))
    }

    fn on_reconnect(&mut self, ctx: &mut Ctx<'_>, player: PlayerId) {
        ctx.send(player, self.h.scores, &self.scores);
    }

    fn on_leave(&mut self, _ctx: &mut Ctx<'_>, player: PlayerId, _reason: LeaveReason) {
        self.teams.remove(&player);
    }

    fn tick(&mut self, ctx: &mut Ctx<'_>, _inputs: &[PlayerInput]) {
        let mut scored = false;
        for (player, team) in &self.teams {
            let Some(ship) = ctx.entity_of(*player).and_then(|k| ctx.world().get(k)).cloned() else {
                continue;
            };
            for &star in &self.stars {
                let touching = ctx.world().get(star).is_some_and(|s| s.touches(&ship));
                if !touching {
                    continue;
                }
                match team {
                    Team::Red => self.scores.red += 1,
                    Team::Blue => self.scores.blue += 1,
                }
                scored = true;
                let to = Self::place_star(ctx);
                ctx.world_mut().teleport(star, to);
            }
        }
        if scored {
            ctx.broadcast(self.h.scores, &self.scores);
        }
    }
}
