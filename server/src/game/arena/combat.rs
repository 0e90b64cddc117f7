//! Damage, the spawn shield, death, respawn at a free spot, and the score (kills, deaths, the
//! kill feed and the scoreboard).

use super::ArenaRules;
use super::counters::Count;
use super::events::{Kill, ScoreLine, Scoreboard, Weapon};
use super::tuning::*;
use crate::prelude::*;

/// Damage about to be dealt to a ship.
#[derive(Debug, Clone, Copy)]
pub(super) struct Hit {
    pub victim: EntityKey,
    pub by: PlayerId,
    /// The shooter's network id (it may have left since it fired).
    pub by_id: u16,
    pub damage: u8,
    pub weapon: Weapon,
}

impl ArenaRules {
    /// Deals a hit: nothing through a shield; at 0 hp the ship dies.
    pub(super) fn hurt(&mut self, ctx: &mut Ctx<'_>, hit: Hit) {
        let Some(ship) = ctx.world().get(hit.victim) else {
            return; // already gone (two hits on one tick)
        };
        if ship.get(self.h.shield).unwrap_or(false) {
            return;
        }
        let hp = ship.get(self.h.hp).unwrap_or(0).saturating_sub(hit.damage);
        ctx.world_mut().set(hit.victim, self.h.hp, hp);
        if hp == 0 {
            self.kill(ctx, hit);
        }
    }

    fn kill(&mut self, ctx: &mut Ctx<'_>, hit: Hit) {
        let Some(dead) = ctx.owner_of(hit.victim) else {
            return;
        };
        let victim = ctx.player(dead).map_or(0, |p| p.net_id);
        ctx.despawn_player(dead);
        let respawn_at = ctx.deadline(RESPAWN_DELAY);
        if let Some(p) = self.pilots.get_mut(&dead) {
            p.deaths += 1;
            p.respawn_at = Some(respawn_at);
            p.shield_until = None;
        }
        if hit.by != dead
            && let Some(p) = self.pilots.get_mut(&hit.by)
        {
            p.kills += 1;
        }
        self.counters.bump(Count::Kills);
        self.scoreboard_dirty = true;
        ctx.broadcast(
            self.h.kill,
            &Kill {
                killer: hit.by_id,
                victim,
                weapon: hit.weapon,
            },
        );
    }

    /// Full health and the spawn shield for a ship that just appeared.
    fn arm(&mut self, ctx: &mut Ctx<'_>, player: PlayerId, ship: EntityKey) {
        let w = ctx.world_mut();
        w.set(ship, self.h.hp, MAX_HP);
        w.set(ship, self.h.shield, true);
        let until = ctx.deadline(SPAWN_SHIELD);
        if let Some(p) = self.pilots.get_mut(&player) {
            p.fresh = false;
            p.shield_until = Some(until);
        }
    }

    /// Arms the ships of players who joined since the last tick.
    pub(super) fn arm_fresh_ships(&mut self, ctx: &mut Ctx<'_>) {
        self.due.clear();
        self.due
            .extend(self.pilots.iter().filter(|(_, p)| p.fresh).map(|(id, _)| *id));
        for i in 0..self.due.len() {
            let player = self.due[i];
            if let Some(ship) = ctx.entity_of(player) {
                self.arm(ctx, player, ship);
            }
        }
    }

    /// Lowers the shields whose time is up.
    pub(super) fn expire_shields(&mut self, ctx: &mut Ctx<'_>) {
        for (id, p) in &mut self.pilots {
            if p.shield_until.is_some_and(|d| ctx.reached(d)) {
                p.shield_until = None;
                if let Some(ship) = ctx.entity_of(*id) {
                    ctx.world_mut().set(ship, self.h.shield, false);
                }
            }
        }
    }

    /// Lowers a player's shield now (it fired).
    pub(super) fn drop_shield(&mut self, ctx: &mut Ctx<'_>, player: PlayerId) {
        if let Some(p) = self.pilots.get_mut(&player)
            && p.shield_until.take().is_some()
            && let Some(ship) = ctx.entity_of(player)
        {
            ctx.world_mut().set(ship, self.h.shield, false);
        }
    }

    /// Brings back the dead whose delay is over.
    pub(super) fn respawns(&mut self, ctx: &mut Ctx<'_>) {
        self.due.clear();
        self.due.extend(
            self.pilots
                .iter()
                .filter(|(_, p)| p.respawn_at.is_some_and(|d| ctx.reached(d)))
                .map(|(id, _)| *id),
        );
        for i in 0..self.due.len() {
            let player = self.due[i];
            if let Some(p) = self.pilots.get_mut(&player) {
                p.respawn_at = None;
            }
            let at = self.free_spawn(ctx);
            match ctx.respawn(player, Spawn::at(self.h.ship, at)) {
                Ok(ship) => self.arm(ctx, player, ship),
                Err(e) => tracing::warn!(?player, error = %e, "arena: cannot respawn a ship"),
            }
        }
    }

    /// The map's spawn point farthest from every living ship among those clear of walls and
    /// entities (the first on a tie); a random free spot if none is clear.
    pub(super) fn free_spawn(&self, ctx: &mut Ctx<'_>) -> Vec2 {
        let world = ctx.world();
        let mut best: Option<(f32, Vec2)> = None;
        for &p in &self.config.map.spawns {
            if !world.is_free(p, SHIP_RADIUS) {
                continue;
            }
            let nearest = world
                .iter()
                .filter(|(_, e)| e.kind() == self.h.ship)
                .map(|(_, e)| e.pos.distance_squared(p))
                .fold(f32::INFINITY, f32::min);
            if best.is_none_or(|(d, _)| nearest > d) {
                best = Some((nearest, p));
            }
        }
        if let Some((_, p)) = best {
            return p;
        }
        let fallback = self.config.map.size / 2.0;
        ctx.random_free_spot(SHIP_RADIUS, 64).unwrap_or(fallback)
    }

    /// Sets each player's private fields: rail cooldown and respawn countdown.
    pub(super) fn update_private(&mut self, ctx: &mut Ctx<'_>) {
        let (now, dt) = (ctx.tick(), ctx.dt());
        let left = |d: Deadline| d.0.saturating_sub(now) as f32 * dt;
        for (id, p) in &self.pilots {
            ctx.set_private(*id, self.h.rail_cooldown, left(p.rail_ready));
            ctx.set_private(*id, self.h.respawn_in, p.respawn_at.map_or(0.0, left));
        }
    }

    /// The scoreboard: most kills first, then fewest deaths, then network id.
    pub(super) fn scoreboard(&self, ctx: &Ctx<'_>) -> Scoreboard {
        let mut players: Vec<ScoreLine> = ctx
            .players()
            .filter_map(|v| {
                let p = self.pilots.get(&v.id)?;
                Some(ScoreLine {
                    id: v.net_id,
                    name: v.name.to_owned(),
                    kills: p.kills,
                    deaths: p.deaths,
                })
            })
            .collect();
        players.sort_by(|a, b| {
            b.kills
                .cmp(&a.kills)
                .then(a.deaths.cmp(&b.deaths))
                .then(a.id.cmp(&b.id))
        });
        Scoreboard { players }
    }
}
