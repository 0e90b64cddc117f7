//! Bot behaviours: what a load-test bot steers towards, one input per call.
//!
//! A behaviour is a small [`Behaviour`] impl. It sees the bot's last known view of the world
//! ([`BotView`], from the latest snapshot) and returns the next input's direction and buttons.
//! Behaviours never do I/O; the driver in [`crate::load`] sends what they return at the input rate.

use rand::Rng;
use rand::rngs::SmallRng;
use serde::Serialize;
use tickstate_shared::snapshot::EntityRecord;

/// Entity kind of a star in Star Collector (what [`ChaseStars`] chases).
pub const KIND_STAR: u8 = 3;

/// What a bot knows when it picks its next input.
#[derive(Debug, Clone, Copy)]
pub struct BotView<'a> {
    /// The bot's own position (world units), once a snapshot showed it.
    pub me: Option<(f32, f32)>,
    /// Entities of the latest snapshot (quantized).
    pub entities: &'a [EntityRecord],
    /// World width and height (from `welcome`).
    pub world: (f32, f32),
    /// The bot's own network id.
    pub my_id: u16,
    /// Inputs sent so far.
    pub inputs_sent: u64,
}

impl BotView<'_> {
    /// Dequantizes a record's position.
    pub fn position(&self, r: &EntityRecord) -> (f32, f32) {
        (
            f32::from(r.head.x) / 65535.0 * self.world.0,
            f32::from(r.head.y) / 65535.0 * self.world.1,
        )
    }
}

/// One input's direction and buttons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Steer {
    /// Direction x (the server clamps the vector to length 1).
    pub dx: f32,
    /// Direction y.
    pub dy: f32,
    /// Button bitfield.
    pub buttons: u32,
}

impl Steer {
    /// No movement.
    pub const STILL: Steer = Steer {
        dx: 0.0,
        dy: 0.0,
        buttons: 0,
    };
}

/// A bot's way of playing.
pub trait Behaviour: Send {
    /// Picks the next input.
    fn steer(&mut self, view: &BotView<'_>, rng: &mut SmallRng) -> Steer;
}

/// Which behaviour a bot runs (parsed from `--behaviour`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BehaviourKind {
    /// [`RandomWalk`].
    RandomWalk,
    /// [`ChaseStars`].
    ChaseStars,
    /// [`Idle`].
    Idle,
    /// [`StraightLines`].
    StraightLines,
}

impl BehaviourKind {
    /// Every kind, in the order `mix` assigns them.
    pub const ALL: [BehaviourKind; 4] = [
        BehaviourKind::RandomWalk,
        BehaviourKind::ChaseStars,
        BehaviourKind::Idle,
        BehaviourKind::StraightLines,
    ];

    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            BehaviourKind::RandomWalk => "random_walk",
            BehaviourKind::ChaseStars => "chase_stars",
            BehaviourKind::Idle => "idle",
            BehaviourKind::StraightLines => "straight_lines",
        }
    }

    /// A fresh behaviour of this kind.
    pub fn build(self) -> Box<dyn Behaviour> {
        match self {
            BehaviourKind::RandomWalk => Box::new(RandomWalk::default()),
            BehaviourKind::ChaseStars => Box::new(ChaseStars),
            BehaviourKind::Idle => Box::new(Idle),
            BehaviourKind::StraightLines => Box::new(StraightLines::default()),
        }
    }
}

/// The behaviour mix of a run: one kind for every bot, or `mix` (round robin over all kinds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BehaviourMix(pub Vec<BehaviourKind>);

impl BehaviourMix {
    /// The kind of bot number `i`.
    pub fn kind_of(&self, i: usize) -> BehaviourKind {
        self.0
            .get(i % self.0.len().max(1))
            .copied()
            .unwrap_or(BehaviourKind::RandomWalk)
    }
}

impl std::str::FromStr for BehaviourMix {
    type Err = String;
    /// `mix`, one name, or a comma-separated list of names (assigned round robin).
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "mix" {
            return Ok(Self(BehaviourKind::ALL.to_vec()));
        }
        let kinds = s
            .split(',')
            .map(|n| {
                BehaviourKind::ALL
                    .into_iter()
                    .find(|k| k.as_str() == n.trim() || k.as_str().replace('_', "-") == n.trim())
                    .ok_or_else(|| {
                        format!("unknown behaviour `{n}` (random_walk, chase_stars, idle, straight_lines or mix)")
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(kinds))
    }
}

/// Holds a random direction for a random 0.25–1 s worth of inputs, then picks another.
#[derive(Debug, Default)]
pub struct RandomWalk {
    dir: (f32, f32),
    left: u32,
}

impl Behaviour for RandomWalk {
    fn steer(&mut self, _view: &BotView<'_>, rng: &mut SmallRng) -> Steer {
        if self.left == 0 {
            let a: f32 = rng.random_range(0.0..std::f32::consts::TAU);
            self.dir = (a.cos(), a.sin());
            self.left = rng.random_range(15..60);
        }
        self.left -= 1;
        Steer {
            dx: self.dir.0,
            dy: self.dir.1,
            buttons: 0,
        }
    }
}

/// Heads for the nearest star (entity kind 3); stands still when it sees none.
#[derive(Debug, Default)]
pub struct ChaseStars;

impl Behaviour for ChaseStars {
    fn steer(&mut self, view: &BotView<'_>, _rng: &mut SmallRng) -> Steer {
        let Some((mx, my)) = view.me else {
            return Steer::STILL;
        };
        let nearest = view
            .entities
            .iter()
            .filter(|e| e.head.kind == KIND_STAR)
            .map(|e| view.position(e))
            .map(|(x, y)| (x - mx, y - my))
            .min_by(|a, b| (a.0 * a.0 + a.1 * a.1).total_cmp(&(b.0 * b.0 + b.1 * b.1)));
        match nearest {
            Some((dx, dy)) => {
                let len = (dx * dx + dy * dy).sqrt();
                if len < 1.0 {
                    Steer::STILL
                } else {
                    Steer {
                        dx: dx / len,
                        dy: dy / len,
                        buttons: 0,
                    }
                }
            }
            None => Steer::STILL,
        }
    }
}

/// Sends an input every tick that does not move (what a player who holds no key sends).
#[derive(Debug, Default)]
pub struct Idle;

impl Behaviour for Idle {
    fn steer(&mut self, _view: &BotView<'_>, _rng: &mut SmallRng) -> Steer {
        Steer::STILL
    }
}

/// Moves along one of the 8 compass directions until it stops moving (a wall or the edge), then
/// turns to another.
#[derive(Debug, Default)]
pub struct StraightLines {
    dir: Option<(f32, f32)>,
    last: Option<(f32, f32)>,
    stuck: u32,
}

impl Behaviour for StraightLines {
    fn steer(&mut self, view: &BotView<'_>, rng: &mut SmallRng) -> Steer {
        if let (Some(me), Some(last)) = (view.me, self.last) {
            let moved = (me.0 - last.0).abs() + (me.1 - last.1).abs();
            self.stuck = if moved < 0.01 { self.stuck + 1 } else { 0 };
        }
        self.last = view.me;
        // Snapshots come every other tick or so: several unchanged inputs in a row mean blocked.
        if self.dir.is_none() || self.stuck > 4 {
            let a = rng.random_range(0..8u8) as f32 * std::f32::consts::FRAC_PI_4;
            self.dir = Some((a.cos(), a.sin()));
            self.stuck = 0;
        }
        let (dx, dy) = self.dir.unwrap_or((1.0, 0.0));
        Steer { dx, dy, buttons: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rec(id: u16, kind: u8, x: u16, y: u16) -> EntityRecord {
        EntityRecord {
            head: tickstate_shared::RecordHead {
                id,
                kind,
                away: false,
                x,
                y,
            },
            fields: vec![],
        }
    }

    fn view<'a>(me: Option<(f32, f32)>, entities: &'a [EntityRecord]) -> BotView<'a> {
        BotView {
            me,
            entities,
            world: (65535.0, 65535.0),
            my_id: 1,
            inputs_sent: 0,
        }
    }

    #[test]
    fn chase_heads_for_the_nearest_star() {
        let ents = [
            rec(1, 1, 100, 100),
            rec(2, KIND_STAR, 100, 300),
            rec(3, KIND_STAR, 5000, 100),
        ];
        let mut rng = SmallRng::seed_from_u64(1);
        let s = ChaseStars.steer(&view(Some((100.0, 100.0)), &ents), &mut rng);
        assert!(s.dx.abs() < 1e-3 && (s.dy - 1.0).abs() < 1e-3, "{s:?}");
        assert_eq!(ChaseStars.steer(&view(None, &ents), &mut rng), Steer::STILL);
    }

    #[test]
    fn walkers_send_unit_directions() {
        let mut rng = SmallRng::seed_from_u64(7);
        let mut b: Vec<Box<dyn Behaviour>> = BehaviourKind::ALL.iter().map(|k| k.build()).collect();
        for _ in 0..200 {
            for x in &mut b {
                let s = x.steer(&view(Some((10.0, 10.0)), &[]), &mut rng);
                let len = (s.dx * s.dx + s.dy * s.dy).sqrt();
                assert!(len <= 1.0001 && s.dx.is_finite() && s.dy.is_finite());
            }
        }
    }

    #[test]
    fn mix_parses() {
        let m: BehaviourMix = "mix".parse().unwrap();
        assert_eq!(m.0.len(), 4);
        let m: BehaviourMix = "idle,chase-stars".parse().unwrap();
        assert_eq!(m.kind_of(3), BehaviourKind::ChaseStars);
        assert!("fly".parse::<BehaviourMix>().is_err());
    }
}
