//! Aiming and the two weapons: the blaster's bolts (engine-moved velocity entities, stopped by
//! walls, with a lifetime; not rewound) and the lag-compensated rail.

use super::ArenaRules;
use super::combat::Hit;
use super::counters::Count;
use super::events::{RailShot, Weapon};
use super::tuning::*;
use crate::prelude::*;

/// A bolt in flight.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bolt {
    key: EntityKey,
    owner: PlayerId,
    owner_id: u16,
    /// Where it was at the end of the last tick (its shooter's centre on the tick it was fired,
    /// so a point-blank shot hits): this tick's sweep starts here.
    last: Vec2,
    expires: Deadline,
}

impl ArenaRules {
    /// One applied input: turn the ship, fire what is ready.
    pub(super) fn handle_input(&mut self, ctx: &mut Ctx<'_>, i: &PlayerInput) {
        let Some(ship) = ctx.entity_of(i.player) else {
            return; // dead: nothing to aim or fire
        };
        let aim = i.get(self.h.aim);
        ctx.world_mut().set(ship, self.h.angle, aim);
        let Some(pilot) = self.pilots.get_mut(&i.player) else {
            return;
        };
        let blaster = i.get(self.h.fire) && ctx.reached(pilot.blaster_ready);
        let rail = i.get(self.h.rail) && ctx.reached(pilot.rail_ready);
        if blaster {
            pilot.blaster_ready = ctx.deadline(BLASTER_COOLDOWN);
        }
        if rail {
            pilot.rail_ready = ctx.deadline(RAIL_COOLDOWN);
        }
        if blaster || rail {
            self.drop_shield(ctx, i.player);
        }
        if blaster {
            self.fire_bolt(ctx, i.player, ship, aim);
        }
        if rail {
            self.fire_rail(ctx, i.player, ship, aim, i.get(self.h.view_tick));
        }
    }

    fn fire_bolt(&mut self, ctx: &mut Ctx<'_>, player: PlayerId, ship: EntityKey, aim: f32) {
        let Some(from) = ctx.world().get(ship).map(|e| e.pos) else {
            return;
        };
        self.counters.bump(Count::BoltsFired);
        let dir = Vec2::from_angle(aim);
        let muzzle = from + dir * MUZZLE;
        if ctx.world().segment_blocked(from, muzzle).is_some() {
            return; // the ship is against a wall: the bolt hits it at once
        }
        let owner_id = ctx.player(player).map_or(0, |p| p.net_id);
        let Ok(key) = ctx.world_mut().spawn(self.h.bolt, muzzle, BOLT_RADIUS) else {
            return;
        };
        let w = ctx.world_mut();
        w.set(key, self.h.bolt_vel, dir * BOLT_SPEED);
        w.set(key, self.h.bolt_owner, owner_id);
        let expires = ctx.deadline(BOLT_LIFETIME);
        self.bolts.push(Bolt {
            key,
            owner: player,
            owner_id,
            last: from,
            expires,
        });
    }

    fn fire_rail(&mut self, ctx: &mut Ctx<'_>, player: PlayerId, ship: EntityKey, aim: f32, view_tick: u32) {
        let Some(from) = ctx.world().get(ship).map(|e| e.pos) else {
            return;
        };
        self.counters.bump(Count::RailShots);
        let now = ctx.tick();
        let rw = super::rewind(now, view_tick, self.lag.max_back());
        if rw.ticks_back > 0 {
            self.counters.bump(Count::RewoundShots);
        }
        if rw.clamped {
            self.counters.bump(Count::RewindsClamped);
            tracing::debug!(
                ?player,
                view_tick,
                now,
                max_ticks = self.lag.max_back(),
                "arena: rail rewind clamped to the cap"
            );
        }
        let to = from + Vec2::from_angle(aim) * RAIL_RANGE;
        let wall = ctx.world().segment_blocked(from, to).unwrap_or(1.0);
        let target = self
            .lag
            .first_ship(ctx.world(), now, rw, (from, to), self.h.ship, ship)
            .filter(|(t, _)| *t <= wall);
        let by = ctx.player(player).map_or(0, |p| p.net_id);
        let (t, hit) = match target {
            Some((t, victim)) => {
                self.counters.bump(Count::RailHits);
                (t, Some(victim))
            }
            None => (wall, None),
        };
        let end = from.lerp(to, t);
        let hit_id = hit.and_then(|k| ctx.world().get(k)).map(|e| e.net_id());
        ctx.broadcast(
            self.h.rail_shot,
            &RailShot {
                by,
                from: from.to_array(),
                to: end.to_array(),
                hit: hit_id,
            },
        );
        if let Some(victim) = hit {
            self.hurt(
                ctx,
                Hit {
                    victim,
                    by: player,
                    by_id: by,
                    damage: RAIL_DAMAGE,
                    weapon: Weapon::Rail,
                },
            );
        }
    }

    /// Moves every bolt's sweep on by this tick: a bolt that crossed a ship (other than its
    /// shooter's) hits it; one the engine stopped at a wall, or past its lifetime, is gone.
    pub(super) fn step_bolts(&mut self, ctx: &mut Ctx<'_>) {
        let ship_kind = self.h.ship;
        let mut i = 0;
        while i < self.bolts.len() {
            let b = self.bolts[i];
            let Some(now_at) = ctx.world().get(b.key).map(|e| e.pos) else {
                self.bolts.swap_remove(i);
                continue;
            };
            let mine = ctx.entity_of(b.owner);
            let mut best: Option<(f32, EntityKey)> = None;
            for (k, e) in ctx.world().iter() {
                if e.kind() != ship_kind || Some(k) == mine {
                    continue;
                }
                if let Some(t) = segment_box(b.last, now_at, e.pos, e.radius + BOLT_RADIUS)
                    && best.is_none_or(|(bt, _)| t < bt)
                {
                    best = Some((t, k));
                }
            }
            let gone = match best {
                Some((_, victim)) => {
                    self.counters.bump(Count::BoltHits);
                    self.hits.push(Hit {
                        victim,
                        by: b.owner,
                        by_id: b.owner_id,
                        damage: BLASTER_DAMAGE,
                        weapon: Weapon::Blaster,
                    });
                    true
                }
                None => ctx.world().wall_hits().contains(&b.key) || ctx.reached(b.expires),
            };
            if gone {
                let _ = ctx.world_mut().despawn(b.key);
                self.bolts.swap_remove(i);
            } else {
                self.bolts[i].last = now_at;
                i += 1;
            }
        }
        let mut hits = std::mem::take(&mut self.hits);
        for h in hits.drain(..) {
            self.hurt(ctx, h);
        }
        self.hits = hits;
    }
}
