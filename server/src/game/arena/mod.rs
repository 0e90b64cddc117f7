//! **Arena**: a top-down shooter, written only against the public prelude ([`crate::prelude`]).
//!
//! Ships fly with the keys and turn to aim (the `aim` input). The **blaster** (`fire`, held)
//! shoots bolts: velocity entities the engine moves, stopped by walls, gone after a lifetime. The
//! **rail** (`rail`) is hitscan with a cooldown, and lag-compensated. Ships have health, die,
//! come back after a delay at a free spawn point with a short shield; kills and deaths go to a
//! scoreboard and a kill feed. Players chat; health pickups respawn. Every tunable number is in
//! [`tuning`], the map in [`map`].
//!
//! | Mechanic | File |
//! |---|---|
//! | declaration, room setup, the tick's order | `mod.rs` |
//! | every constant | `tuning.rs` |
//! | walls, spawn points, pickup pads | `map.rs` |
//! | aiming, blaster bolts, the rail | `weapons.rs` |
//! | damage, shields, death, respawn, scoreboard | `combat.rs` |
//! | health pickups | `pickups.rs` |
//! | chat limits and rate | `chat.rs` |
//! | rewinding ships for the rail | `lagcomp.rs` (on the engine's [`PositionHistory`]) |
//! | message and event payloads | `events.rs` |
//! | counters | `counters.rs` |
//!
//! ## The schema (what `welcome.schema` carries)
//! - kind 1 `ship`: `angle` (angle, 10 bits), `hp` (u8, 0..=100), `shield` (flag: the spawn
//!   shield is up, no damage taken);
//! - kind 2 `bolt`: `vel` (velocity, components within ±1000, 12 bits; the engine moves it),
//!   `owner` (u16: the shooter's network id, so a client can match its predicted bolts);
//! - kind 3 `health`: a health pickup (no fields);
//! - input fields after `[seq, dx, dy, buttons]`: `aim` (angle, 12 bits), `fire` (flag: blaster
//!   held), `rail` (flag: fire the rail), `view_tick` (u32: the tick the client was showing
//!   other ships at, see below; 0 = not given);
//! - private fields: `rail_cooldown` (fixed 0..=1.5 s, precision 0.05: time until the rail is
//!   ready), `respawn_in` (fixed 0..=2 s, precision 0.05: time until the ship comes back);
//! - message `chat`: a string (trimmed, at most 200 characters, rate-limited);
//! - events `chat` [`ChatLine`] `{ id, text }` (everyone), `chat_refused` [`ChatRefused`]
//!   `{ reason }` (the sender), `kill` [`Kill`] `{ killer, victim, weapon }`, `scoreboard`
//!   [`Scoreboard`] `{ players: [{ id, name, kills, deaths }] }`, `rail` [`RailShot`]
//!   `{ by, from, to, hit }`.
//!
//! ## Lag compensation
//! A client draws other ships interpolated, in the past; a hitscan shot at what it draws would
//! miss a moving target on the server's present. So each room records every ship's box each tick
//! in a [`PositionHistory`] (`--lag-history-ms`, default 1 s), and a rail shot's input carries
//! `view_tick`: the snapshot tick the client was rendering other ships at when it fired (its
//! interpolation time, rounded to the nearest tick). The server tests the beam against the other
//! ships' boxes on that tick (the shooter's own ship, which the client predicts, is where it is
//! now; walls never move). The rewind is capped (`--max-rewind-ms`, default 200 ms): an older
//! `view_tick` is tested at the cap and counted ([`CounterValues::rewinds_clamped`]), so a
//! client with a huge lag (or one lying about its view) cannot shoot far into the past. A
//! `view_tick` of 0, of the current tick or of a future tick is tested on the present.
//!
//! **Bolts are not rewound.** They live in the server's present: they fly visibly for every
//! player, everyone can dodge the bolt they see, and their hits are resolved where they meet a
//! ship on the server. Rewinding them would hit ships that had already dodged (the victim sees
//! the bolt miss and still takes damage), and mixing past and present for a projectile that
//! lives many ticks has no single right answer. The shooter's client shows its own bolts at once
//! (a predicted spawn, matched to the server's by `owner`), which hides most of the delay.

mod chat;
mod combat;
mod counters;
mod events;
mod lagcomp;
pub mod map;
mod pickups;
pub mod tuning;
mod weapons;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use counters::{CounterValues, Counters};
pub use events::{ChatLine, ChatRefusal, ChatRefused, Kill, RailShot, ScoreLine, Scoreboard, Weapon};
pub use lagcomp::{Rewind, rewind};
pub use map::Map;

use crate::prelude::*;
use chat::ChatBucket;
use combat::Hit;
use lagcomp::LagComp;
use pickups::Pad;
use tuning::*;
use weapons::Bolt;

/// Settings of an Arena game that come from the server's flags (or a test).
#[derive(Debug, Clone, PartialEq)]
pub struct ArenaConfig {
    /// The furthest back a rail shot is tested (`--max-rewind-ms`); zero turns lag compensation
    /// off.
    pub max_rewind: Duration,
    /// How much position history each room keeps (`--lag-history-ms`); at least the rewind.
    pub lag_history: Duration,
    /// The map.
    pub map: Map,
}

impl Default for ArenaConfig {
    fn default() -> Self {
        Self {
            max_rewind: MAX_REWIND,
            lag_history: LAG_HISTORY,
            map: Map::standard(),
        }
    }
}

/// Everything the rules use from the declaration (tests read fields with it too).
#[derive(Debug, Clone, Copy)]
pub struct Handles {
    /// Kind 1, a player's ship.
    pub ship: Kind,
    /// Where the ship aims.
    pub angle: Field<Angle>,
    /// Its health.
    pub hp: Field<u8>,
    /// True while its spawn shield is up.
    pub shield: Field<bool>,
    /// Kind 2, a blaster bolt.
    pub bolt: Kind,
    /// A bolt's velocity (the engine moves it).
    pub bolt_vel: Field<Velocity>,
    /// Network id of the ship that fired it.
    pub bolt_owner: Field<u16>,
    /// Kind 3, a health pickup.
    pub health: Kind,
    /// Input: aim angle.
    pub aim: InputField<Angle>,
    /// Input: blaster trigger held.
    pub fire: InputField<bool>,
    /// Input: fire the rail.
    pub rail: InputField<bool>,
    /// Input: the tick the client was showing other ships at.
    pub view_tick: InputField<u32>,
    /// Private: seconds until the rail is ready.
    pub rail_cooldown: PrivateField<Fixed>,
    /// Private: seconds until a dead ship comes back.
    pub respawn_in: PrivateField<Fixed>,
    /// Message `chat`.
    pub chat_in: MessageType<String>,
    /// Event `chat`.
    pub chat: EventType<ChatLine>,
    /// Event `chat_refused`.
    pub chat_refused: EventType<ChatRefused>,
    /// Event `kill`.
    pub kill: EventType<Kill>,
    /// Event `scoreboard`.
    pub scoreboard: EventType<Scoreboard>,
    /// Event `rail`.
    pub rail_shot: EventType<RailShot>,
}

fn declare(s: &mut SchemaBuilder) -> Handles {
    let mut ship = s.kind(1, "ship");
    let (angle, hp, shield) = (ship.angle("angle", 10), ship.u8("hp", MAX_HP), ship.flag("shield"));
    let ship = ship.done();
    let mut bolt = s.kind(2, "bolt");
    let (bolt_vel, bolt_owner) = (bolt.velocity("vel", BOLT_VEL_MAX, 12), bolt.u16("owner", u16::MAX));
    let bolt = bolt.done();
    let health = s.kind(3, "health").done();
    let mut input = s.input();
    let (aim, fire, rail, view_tick) = (
        input.angle("aim", 12),
        input.flag("fire"),
        input.flag("rail"),
        input.u32("view_tick", u32::MAX),
    );
    let mut private = s.private();
    let rail_cooldown = private.fixed("rail_cooldown", 0.0, RAIL_COOLDOWN.as_secs_f32(), 0.05);
    let respawn_in = private.fixed("respawn_in", 0.0, RESPAWN_DELAY.as_secs_f32(), 0.05);
    Handles {
        ship,
        angle,
        hp,
        shield,
        bolt,
        bolt_vel,
        bolt_owner,
        health,
        aim,
        fire,
        rail,
        view_tick,
        rail_cooldown,
        respawn_in,
        chat_in: s.message_max::<String>("chat", CHAT_MAX_BYTES),
        chat: s.event::<ChatLine>("chat"),
        chat_refused: s.event::<ChatRefused>("chat_refused"),
        kill: s.event::<Kill>("kill"),
        scoreboard: s.event::<Scoreboard>("scoreboard"),
        rail_shot: s.event::<RailShot>("rail"),
    }
}

/// A built Arena game with the handles of its declaration and its counters.
#[derive(Debug, Clone)]
pub struct ArenaGame {
    /// The game, to serve or drive.
    pub game: Game,
    /// The declaration's handles (the same in every room).
    pub handles: Handles,
    /// The counters every room of this game adds to.
    pub counters: Arc<Counters>,
}

/// Builds Arena with `config`, keeping its handles and counters.
pub fn build(config: ArenaConfig) -> ArenaGame {
    let counters = Arc::new(Counters::default());
    let config = Arc::new(config);
    let mut handles = None;
    let shared = counters.clone();
    // The declaration is fixed; the `declaration_is_valid` test builds it.
    #[allow(clippy::expect_used)]
    let game = Game::new("arena", |s| {
        let h = declare(s);
        handles = Some(h);
        h
    })
    .rules(move |h, _room| ArenaRules::new(*h, config.clone(), shared.clone()))
    .expect("Arena's declaration is valid");
    #[allow(clippy::expect_used)]
    let handles = handles.expect("the declaration ran");
    ArenaGame {
        game,
        handles,
        counters,
    }
}

/// Arena with `config`.
pub fn game(config: ArenaConfig) -> Game {
    build(config).game
}

/// Arena with the default settings.
pub fn arena() -> Game {
    game(ArenaConfig::default())
}

/// One player's state beyond its ship.
#[derive(Debug, Clone)]
struct Pilot {
    kills: u32,
    deaths: u32,
    /// Joined, its ship not armed yet (full health, shield).
    fresh: bool,
    blaster_ready: Deadline,
    rail_ready: Deadline,
    shield_until: Option<Deadline>,
    respawn_at: Option<Deadline>,
    chat: ChatBucket,
}

/// The Arena rules. One value per room.
#[derive(Debug)]
pub struct ArenaRules {
    h: Handles,
    config: Arc<ArenaConfig>,
    counters: Arc<Counters>,
    pilots: BTreeMap<PlayerId, Pilot>,
    bolts: Vec<Bolt>,
    pads: Vec<Pad>,
    lag: LagComp,
    scoreboard_dirty: bool,
    /// Reused buffers (no allocation per tick once warm).
    hits: Vec<Hit>,
    due: Vec<PlayerId>,
}

impl ArenaRules {
    fn new(h: Handles, config: Arc<ArenaConfig>, counters: Arc<Counters>) -> Self {
        Self {
            h,
            lag: LagComp::new(config.max_rewind, config.lag_history, TICK_RATE),
            config,
            counters,
            pilots: BTreeMap::new(),
            bolts: Vec::new(),
            pads: Vec::new(),
            scoreboard_dirty: false,
            hits: Vec::new(),
            due: Vec::new(),
        }
    }
}

impl GameRules for ArenaRules {
    fn config(&self) -> RulesConfig {
        RulesConfig {
            tick_rate: TICK_RATE,
            snapshot_rate: SNAPSHOT_RATE,
            max_players: MAX_PLAYERS,
            world_size: self.config.map.size,
            walls: self.config.map.walls.clone(),
            max_speed: SHIP_SPEED,
            player_radius: SHIP_RADIUS,
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<'_>) {
        // The tick rate may be the server's (`--tick-rate`): size the history for it.
        self.lag = LagComp::new(self.config.max_rewind, self.config.lag_history, ctx.tick_rate());
        self.start_pads(ctx);
    }

    fn on_join(&mut self, ctx: &mut Ctx<'_>, player: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
        let now = Deadline(ctx.tick());
        self.pilots.insert(
            player,
            Pilot {
                kills: 0,
                deaths: 0,
                fresh: true,
                blaster_ready: now,
                rail_ready: now,
                shield_until: None,
                respawn_at: None,
                chat: ChatBucket::full(ctx.tick()),
            },
        );
        self.scoreboard_dirty = true;
        Some(Spawn::at(self.h.ship, self.free_spawn(ctx)))
    }

    fn on_reconnect(&mut self, ctx: &mut Ctx<'_>, player: PlayerId) {
        let board = self.scoreboard(ctx);
        ctx.send(player, self.h.scoreboard, &board);
    }

    fn on_leave(&mut self, _ctx: &mut Ctx<'_>, player: PlayerId, _reason: LeaveReason) {
        self.pilots.remove(&player);
        self.scoreboard_dirty = true;
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_>, from: PlayerId, msg: &ClientMessage) {
        if let Some(text) = msg.get(self.h.chat_in) {
            self.on_chat(ctx, from, text);
        }
    }

    fn tick(&mut self, ctx: &mut Ctx<'_>, inputs: &[PlayerInput]) {
        self.arm_fresh_ships(ctx);
        self.expire_shields(ctx);
        for i in inputs {
            self.handle_input(ctx, i);
        }
        self.step_bolts(ctx);
        self.step_pads(ctx);
        self.respawns(ctx);
        self.update_private(ctx);
        // What this tick's snapshot shows, for rail shots that come in later.
        self.lag.record(ctx, self.h.ship);
        if std::mem::take(&mut self.scoreboard_dirty) {
            let board = self.scoreboard(ctx);
            ctx.broadcast(self.h.scoreboard, &board);
        }
    }
}

#[cfg(test)]
mod tests;
