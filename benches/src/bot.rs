//! Bot behaviours: what a load-test bot steers towards, one input per call.
//!
//! A behaviour is a small [`Behaviour`] impl. It sees the bot's last known view of the world
//! ([`BotView`], from the latest snapshot) and returns the next input's direction and buttons.
//! Behaviours never do I/O; the driver in [`crate::load`] sends what they return at the input rate.
//!
//! A game with declared input fields (Arena's `aim`, `fire`, `rail`, `view_tick`) gets them from
//! [`Behaviour::input_values`], read right after each `steer`; game messages (Arena's `chat`) from
//! [`Behaviour::message`].

use rand::Rng;
use rand::rngs::SmallRng;
use serde::Serialize;
use tickstate_shared::schema::FieldValue;
use tickstate_shared::snapshot::EntityRecord;

/// Entity kind of a star in Star Collector (what [`ChaseStars`] chases).
pub const KIND_STAR: u8 = 3;
/// Entity kind of a ship in Arena (what [`ArenaFighter`] shoots at).
pub const KIND_ARENA_SHIP: u8 = 1;
/// Arena's snapshot interval in ticks (60 Hz ticks, 30 Hz snapshots).
const ARENA_TICKS_PER_SNAPSHOT: u32 = 2;
/// What an Arena bot says now and then.
const CHAT_LINES: [&str; 5] = ["gg", "nice shot", "over here!", "rail incoming", "who wants some?"];

/// The game a load test plays (`loadtest --game`): which behaviours make sense, and the name the
/// server's `welcome.game` must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum GameKind {
    /// Star Collector (the server's default game).
    #[default]
    StarCollector,
    /// Arena, the top-down shooter (`tickstate --game arena`).
    Arena,
}

impl GameKind {
    /// `welcome.game` of a server hosting it (and the name on the command line).
    pub fn as_str(self) -> &'static str {
        match self {
            GameKind::StarCollector => "star_collector",
            GameKind::Arena => "arena",
        }
    }

    /// The behaviour mix a run of this game uses when `--behaviour` is not given.
    pub fn default_behaviours(self) -> BehaviourMix {
        match self {
            GameKind::StarCollector => BehaviourMix(BehaviourKind::STAR_COLLECTOR.to_vec()),
            GameKind::Arena => BehaviourMix(vec![BehaviourKind::ArenaFighter]),
        }
    }
}

impl std::str::FromStr for GameKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "star_collector" | "star-collector" => Ok(GameKind::StarCollector),
            "arena" => Ok(GameKind::Arena),
            other => Err(format!("unknown game `{other}` (star_collector or arena)")),
        }
    }
}

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
    /// Tick of the latest snapshot (0 before the first).
    pub tick: u32,
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

    /// The game's input field values of the input `steer` just picked, in declaration order
    /// (none for a game without input fields).
    fn input_values(&self) -> &[FieldValue] {
        &[]
    }

    /// A game message to send along with that input: `(name, text)`, or `None`.
    fn message(&mut self, _rng: &mut SmallRng) -> Option<(&'static str, String)> {
        None
    }
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
    /// [`ArenaFighter`] (Arena only).
    ArenaFighter,
}

impl BehaviourKind {
    /// Every kind.
    pub const ALL: [BehaviourKind; 5] = [
        BehaviourKind::RandomWalk,
        BehaviourKind::ChaseStars,
        BehaviourKind::Idle,
        BehaviourKind::StraightLines,
        BehaviourKind::ArenaFighter,
    ];

    /// Star Collector's kinds, in the order `mix` assigns them.
    pub const STAR_COLLECTOR: [BehaviourKind; 4] = [
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
            BehaviourKind::ArenaFighter => "arena_fighter",
        }
    }

    /// A fresh behaviour of this kind.
    pub fn build(self) -> Box<dyn Behaviour> {
        match self {
            BehaviourKind::RandomWalk => Box::new(RandomWalk::default()),
            BehaviourKind::ChaseStars => Box::new(ChaseStars),
            BehaviourKind::Idle => Box::new(Idle),
            BehaviourKind::StraightLines => Box::new(StraightLines::default()),
            BehaviourKind::ArenaFighter => Box::new(ArenaFighter::default()),
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
    /// `mix` (Star Collector's four), one name, or a comma-separated list of names (assigned
    /// round robin).
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "mix" {
            return Ok(Self(BehaviourKind::STAR_COLLECTOR.to_vec()));
        }
        let kinds = s
            .split(',')
            .map(|n| {
                BehaviourKind::ALL
                    .into_iter()
                    .find(|k| k.as_str() == n.trim() || k.as_str().replace('_', "-") == n.trim())
                    .ok_or_else(|| {
                        format!(
                            "unknown behaviour `{n}` (random_walk, chase_stars, idle, straight_lines, \
                             arena_fighter or mix)"
                        )
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

/// Plays Arena: aims at the nearest other ship and holds the blaster while it is within range,
/// fires the rail at it every couple of seconds (with `view_tick` two snapshots back, like a
/// client drawing others interpolated), keeps a middle distance while strafing, and chats now and
/// then (well under the chat rate limit). Input fields: `[aim, fire, rail, view_tick]`.
#[derive(Debug)]
pub struct ArenaFighter {
    values: [FieldValue; 4],
    strafe: f32,
    strafe_left: u32,
    rail_in: u32,
    chat_in: u32,
    wander: RandomWalk,
}

impl Default for ArenaFighter {
    fn default() -> Self {
        Self {
            values: [
                FieldValue::Angle(0.0),
                FieldValue::Flag(false),
                FieldValue::Flag(false),
                FieldValue::Uint(0),
            ],
            strafe: 1.0,
            strafe_left: 0,
            rail_in: 0,
            chat_in: 0,
            wander: RandomWalk::default(),
        }
    }
}

impl Behaviour for ArenaFighter {
    fn steer(&mut self, view: &BotView<'_>, rng: &mut SmallRng) -> Steer {
        let view_tick = view.tick.saturating_sub(2 * ARENA_TICKS_PER_SNAPSHOT);
        let Some((mx, my)) = view.me else {
            // Dead (waiting to respawn) or not seen yet: nothing to aim or fire.
            self.values = [
                FieldValue::Angle(0.0),
                FieldValue::Flag(false),
                FieldValue::Flag(false),
                FieldValue::Uint(view_tick),
            ];
            return Steer::STILL;
        };
        let target = view
            .entities
            .iter()
            .filter(|e| e.head.kind == KIND_ARENA_SHIP && e.head.id != view.my_id)
            .map(|e| view.position(e))
            .map(|(x, y)| (x - mx, y - my))
            .min_by(|a, b| (a.0 * a.0 + a.1 * a.1).total_cmp(&(b.0 * b.0 + b.1 * b.1)));
        if self.strafe_left == 0 {
            self.strafe = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            self.strafe_left = rng.random_range(30..120);
        }
        self.strafe_left -= 1;
        self.rail_in = self.rail_in.saturating_sub(1);
        let Some((tx, ty)) = target else {
            let s = self.wander.steer(view, rng);
            self.values = [
                FieldValue::Angle(s.dy.atan2(s.dx).rem_euclid(std::f32::consts::TAU)),
                FieldValue::Flag(false),
                FieldValue::Flag(false),
                FieldValue::Uint(view_tick),
            ];
            return s;
        };
        let dist = (tx * tx + ty * ty).sqrt().max(1e-3);
        let (ux, uy) = (tx / dist, ty / dist);
        // Close in when far, back off when near, strafe sideways in between.
        let radial = if dist > 450.0 {
            1.0
        } else if dist < 180.0 {
            -1.0
        } else {
            0.0
        };
        let (px, py) = (-uy * self.strafe, ux * self.strafe);
        let (dx, dy) = (ux * radial + px * 0.8, uy * radial + py * 0.8);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let rail = dist < 900.0 && self.rail_in == 0;
        if rail {
            self.rail_in = rng.random_range(100..160);
        }
        self.values = [
            FieldValue::Angle(ty.atan2(tx).rem_euclid(std::f32::consts::TAU)),
            FieldValue::Flag(dist < 700.0),
            FieldValue::Flag(rail),
            FieldValue::Uint(view_tick),
        ];
        Steer {
            dx: dx / len,
            dy: dy / len,
            buttons: 0,
        }
    }

    fn input_values(&self) -> &[FieldValue] {
        &self.values
    }

    fn message(&mut self, rng: &mut SmallRng) -> Option<(&'static str, String)> {
        if self.chat_in == 0 {
            // Every 10-30 s at 60 inputs/s: far below the burst of 4 and 0.5 lines/s.
            self.chat_in = rng.random_range(600..1800);
            return None;
        }
        self.chat_in -= 1;
        if self.chat_in > 0 {
            return None;
        }
        let line = CHAT_LINES[rng.random_range(0..CHAT_LINES.len())];
        Some(("chat", line.to_owned()))
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
            tick: 100,
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
        let ents = [rec(1, 1, 10, 10), rec(2, KIND_ARENA_SHIP, 300, 10)];
        for _ in 0..200 {
            for x in &mut b {
                let s = x.steer(&view(Some((10.0, 10.0)), &ents), &mut rng);
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
        assert_eq!("arena".parse(), Ok(GameKind::Arena));
        assert_eq!(
            GameKind::Arena.default_behaviours().kind_of(5),
            BehaviourKind::ArenaFighter
        );
        assert_eq!(GameKind::StarCollector.default_behaviours().0.len(), 4);
    }

    #[test]
    fn arena_fighter_aims_fires_and_chats() {
        // Ship 2 is straight below the bot (id 1), 200 units away: aim +y, blaster held.
        let ents = [rec(1, KIND_ARENA_SHIP, 100, 100), rec(2, KIND_ARENA_SHIP, 100, 300)];
        let mut rng = SmallRng::seed_from_u64(3);
        let mut f = ArenaFighter::default();
        let mut rails = 0;
        let mut chats = 0;
        for _ in 0..4000 {
            let s = f.steer(&view(Some((100.0, 100.0)), &ents), &mut rng);
            assert!((s.dx * s.dx + s.dy * s.dy).sqrt() <= 1.0001);
            let v = f.input_values();
            assert_eq!(v.len(), 4);
            let FieldValue::Angle(aim) = v[0] else {
                panic!("aim is an angle: {v:?}")
            };
            assert!((aim - std::f32::consts::FRAC_PI_2).abs() < 1e-3, "aim {aim}");
            assert_eq!(v[1], FieldValue::Flag(true), "in range: blaster held");
            assert_eq!(v[3], FieldValue::Uint(96), "view_tick two snapshots back");
            if v[2] == FieldValue::Flag(true) {
                rails += 1;
            }
            if let Some((name, text)) = f.message(&mut rng) {
                assert_eq!(name, "chat");
                assert!(!text.is_empty() && text.len() <= 200);
                chats += 1;
            }
        }
        // The rail every 100-160 inputs, a chat line every 600-1800.
        assert!((25..=41).contains(&rails), "{rails} rail shots");
        assert!((2..=7).contains(&chats), "{chats} chat lines");
        // Dead: no target, nothing fired.
        f.steer(&view(None, &ents), &mut rng);
        assert_eq!(f.input_values()[1], FieldValue::Flag(false));
    }
}
