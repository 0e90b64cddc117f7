//! Lag compensation for the rail: which past tick a shot is tested on, and the test itself,
//! against the ships' boxes the engine's [`PositionHistory`] recorded (see the module docs of
//! [`super`] for the design, and why bolts are not rewound).

use crate::prelude::*;

/// Which tick a shot is tested on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewind {
    /// The tick.
    pub tick: u64,
    /// How many ticks before the present.
    pub ticks_back: u64,
    /// The client's `view_tick` was older than the cap: tested at the cap instead.
    pub clamped: bool,
}

/// The tick a shot fired on tick `now` with `view_tick` is tested on, with at most `max_back`
/// ticks of rewind. `view_tick` is a snapshot tick (the low 32 bits of the room's tick, compared
/// wrap-aware); 0 means not given, and a tick at or after `now` is the present.
pub fn rewind(now: u64, view_tick: u32, max_back: u64) -> Rewind {
    let present = Rewind {
        tick: now,
        ticks_back: 0,
        clamped: false,
    };
    if view_tick == 0 {
        return present;
    }
    let back = (now as u32).wrapping_sub(view_tick);
    if back == 0 || back > u32::MAX / 2 {
        return present; // the present, or the future
    }
    let back = u64::from(back).min(now);
    let clamped = back > max_back;
    let back = back.min(max_back);
    Rewind {
        tick: now - back,
        ticks_back: back,
        clamped,
    }
}

/// A room's position history with its limits.
#[derive(Debug, Clone)]
pub(super) struct LagComp {
    history: PositionHistory,
    max_back: u64,
}

impl LagComp {
    /// Limits from durations, at `tick_rate`. The history always covers the cap.
    pub fn new(max_rewind: Duration, history: Duration, tick_rate: u32) -> Self {
        let ticks = |d: Duration| (d.as_secs_f64() * f64::from(tick_rate.max(1))).round() as u64;
        let max_back = ticks(max_rewind);
        let keep = ticks(history).max(max_back) + 1;
        Self {
            history: PositionHistory::new(usize::try_from(keep).unwrap_or(usize::MAX)),
            max_back,
        }
    }

    /// Most ticks of rewind.
    pub fn max_back(&self) -> u64 {
        self.max_back
    }

    /// Records every ship as it is now (the end of this tick: what its snapshot shows).
    pub fn record(&mut self, ctx: &Ctx<'_>, ship: Kind) {
        self.history
            .record_world(ctx.tick(), ctx.world(), |_, e| e.kind() == ship);
    }

    /// The ship (other than `shooter`) the segment `from -> to` meets first on the tick `rw`
    /// says (fired on tick `now`), with the fraction of the segment where it enters it. Only
    /// ships that still exist count. The present is the live world (this tick is recorded only
    /// at its end); a tick older than the history is tested on the oldest frame kept.
    pub fn first_ship(
        &self,
        world: &World,
        now: u64,
        rw: Rewind,
        (from, to): (Vec2, Vec2),
        ship: Kind,
        shooter: EntityKey,
    ) -> Option<(f32, EntityKey)> {
        let alive = |k: EntityKey| k != shooter && world.get(k).is_some_and(|e| e.kind() == ship);
        let past = (rw.tick < now)
            .then(|| self.history.at_or_after(rw.tick))
            .flatten()
            .filter(|f| f.tick() < now);
        if let Some(frame) = past {
            return frame.raycast(from, to, |b| alive(b.key)).map(|(t, b)| (t, b.key));
        }
        let mut best: Option<(f32, EntityKey)> = None;
        for (k, e) in world.iter() {
            if !alive(k) {
                continue;
            }
            if let Some(t) = segment_box(from, to, e.pos, e.radius)
                && best.is_none_or(|(b, _)| t < b)
            {
                best = Some((t, k));
            }
        }
        best
    }
}
