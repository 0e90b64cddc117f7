//! Health pickups: one on each of the map's pads. A damaged ship that touches one takes
//! [`PICKUP_HEAL`] health (a ship at full health leaves it); the pad is empty for
//! [`PICKUP_RESPAWN`], then a new pickup appears.

use super::ArenaRules;
use super::counters::Count;
use super::tuning::*;
use crate::prelude::*;

/// A pad and what is on it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pad {
    pos: Vec2,
    item: Option<EntityKey>,
    back_at: Deadline,
}

impl ArenaRules {
    /// Puts a pickup on every pad.
    pub(super) fn start_pads(&mut self, ctx: &mut Ctx<'_>) {
        self.pads.clear();
        for &pos in &self.config.map.pads {
            let item = ctx.world_mut().spawn(self.h.health, pos, PICKUP_RADIUS).ok();
            self.pads.push(Pad {
                pos,
                item,
                back_at: Deadline(0),
            });
        }
    }

    /// Hands out touched pickups and brings back the ones whose time is up.
    pub(super) fn step_pads(&mut self, ctx: &mut Ctx<'_>) {
        let h = self.h;
        for pad in &mut self.pads {
            let Some(item) = pad.item else {
                if ctx.reached(pad.back_at) {
                    pad.item = ctx.world_mut().spawn(h.health, pad.pos, PICKUP_RADIUS).ok();
                }
                continue;
            };
            let Some(it) = ctx.world().get(item) else {
                pad.item = None;
                continue;
            };
            let taker = ctx
                .world()
                .iter()
                .find(|(_, e)| e.kind() == h.ship && e.touches(it) && e.get(h.hp).is_some_and(|hp| hp < MAX_HP))
                .map(|(k, e)| (k, e.get(h.hp).unwrap_or(0)));
            let Some((ship, hp)) = taker else { continue };
            let w = ctx.world_mut();
            w.set(ship, h.hp, hp.saturating_add(PICKUP_HEAL).min(MAX_HP));
            let _ = w.despawn(item);
            pad.item = None;
            pad.back_at = ctx.deadline(PICKUP_RESPAWN);
            self.counters.bump(Count::PickupsTaken);
        }
    }
}
