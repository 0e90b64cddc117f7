//! **Skirmish**: a small shooter written only against the public prelude, for the tests of
//! game-defined state (protocol v2). Nothing here is engine code.
//!
//! - kind 1 `ship`: `angle` (8 bits), `hp` (u8, max 100), `shield` (flag), `vel` (velocity, max 900,
//!   12 bits per component);
//! - kind 5 `bullet`: `vel` (velocity, max 1200, 12 bits); the engine moves it each tick;
//! - input fields `aim` (angle, 10 bits), `fire` (flag), `weapon` (u8, max 3): weapon 2 raises the
//!   shield, weapon 3 freezes your own ship (speed 0);
//! - private fields `ammo` (u8, max 50) and `cooldown` (fixed 0..2 s, precision 0.01);
//! - message `chat` `{ text }` (at most 64 bytes), events `chat` `{ from, text }` and
//!   `kill` `{ victim, by }`;
//! - join option `team` (`"red"` or `"blue"`, optional); a bullet does 25 damage; a ship at 0 hp
//!   dies (its entity is removed) and respawns at [`RESPAWN_AT`] after [`RESPAWN_AFTER`].
//!
//! Players spawn on a row: the n-th player to join at `(200 + 400 n, 450)`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tickstate_server::prelude::*;

/// Bullet speed, units per second.
pub const BULLET_SPEED: f32 = 600.0;
/// Damage per hit.
pub const DAMAGE: u8 = 25;
/// Ammo at spawn.
pub const AMMO: u8 = 10;
/// Time between shots.
pub const COOLDOWN_S: f32 = 0.1;
/// Where a dead ship comes back.
pub const RESPAWN_AT: Vec2 = Vec2::new(800.0, 800.0);
/// How long a dead ship stays dead.
pub const RESPAWN_AFTER: Duration = Duration::from_millis(500);

/// `chat`, client to server.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Chat {
    /// What was said.
    pub text: String,
}

/// `chat`, server to clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ChatLine {
    /// Network id of the speaker's entity.
    pub from: u16,
    /// What was said.
    pub text: String,
}

/// `kill`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Kill {
    /// Network id of the dead ship.
    pub victim: u16,
    /// Network id of the shooter.
    pub by: u16,
}

/// The join options.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Options {
    team: Option<String>,
}

/// Everything the rules use from the declaration.
#[derive(Debug, Clone, Copy)]
pub struct Handles {
    pub ship: Kind,
    pub angle: Field<Angle>,
    pub hp: Field<u8>,
    pub shield: Field<bool>,
    pub vel: Field<Velocity>,
    pub bullet: Kind,
    pub bullet_vel: Field<Velocity>,
    pub aim: InputField<Angle>,
    pub fire: InputField<bool>,
    pub weapon: InputField<u8>,
    pub ammo: PrivateField<u8>,
    pub cooldown: PrivateField<Fixed>,
    pub chat_in: MessageType<Chat>,
    pub chat_out: EventType<ChatLine>,
    pub kill: EventType<Kill>,
}

fn declare(s: &mut SchemaBuilder) -> Handles {
    let mut ship = s.kind(1, "ship");
    let (angle, hp, shield, vel) = (
        ship.angle("angle", 8),
        ship.u8("hp", 100),
        ship.flag("shield"),
        ship.velocity("vel", 900.0, 12),
    );
    let ship = ship.done();
    let mut bullet = s.kind(5, "bullet");
    let bullet_vel = bullet.velocity("vel", 1200.0, 12);
    let bullet = bullet.done();
    let mut input = s.input();
    let (aim, fire, weapon) = (input.angle("aim", 10), input.flag("fire"), input.u8("weapon", 3));
    let mut private = s.private();
    let (ammo, cooldown) = (private.u8("ammo", 50), private.fixed("cooldown", 0.0, 2.0, 0.01));
    Handles {
        ship,
        angle,
        hp,
        shield,
        vel,
        bullet,
        bullet_vel,
        aim,
        fire,
        weapon,
        ammo,
        cooldown,
        chat_in: s.message_max::<Chat>("chat", 64),
        chat_out: s.event::<ChatLine>("chat"),
        kill: s.event::<Kill>("kill"),
    }
}

/// The Skirmish game.
pub fn skirmish() -> Game {
    Game::new("skirmish", declare)
        .rules(|h, _room| Skirmish {
            h: *h,
            joined: 0,
            shooters: HashMap::new(),
            dead: Vec::new(),
        })
        .expect("Skirmish's declaration is valid")
}

/// One room's rules.
pub struct Skirmish {
    h: Handles,
    joined: u32,
    /// Bullet -> who fired it and when it expires.
    shooters: HashMap<EntityKey, (PlayerId, Deadline)>,
    /// Dead players and when they respawn.
    dead: Vec<(PlayerId, Deadline)>,
}

impl Skirmish {
    fn spawn_ship(&self, at: Vec2) -> Spawn {
        Spawn::at(self.h.ship, at)
    }

    fn fire(&mut self, ctx: &mut Ctx<'_>, player: PlayerId, ship: EntityKey, aim: f32) {
        let ammo = ctx.private(player, self.h.ammo).unwrap_or(0);
        let cooldown = ctx.private(player, self.h.cooldown).unwrap_or(0.0);
        if ammo == 0 || cooldown > 0.0 {
            return;
        }
        let Some(pos) = ctx.world().get(ship).map(|e| e.pos) else {
            return;
        };
        let dir = Vec2::new(aim.cos(), aim.sin());
        let Ok(b) = ctx.world_mut().spawn(self.h.bullet, pos + dir * 24.0, 3.0) else {
            return;
        };
        ctx.world_mut().set(b, self.h.bullet_vel, dir * BULLET_SPEED);
        let expires = ctx.deadline(Duration::from_secs(2));
        self.shooters.insert(b, (player, expires));
        ctx.set_private(player, self.h.ammo, ammo - 1);
        ctx.set_private(player, self.h.cooldown, COOLDOWN_S);
    }

    fn bullets(&mut self, ctx: &mut Ctx<'_>) {
        let hits: Vec<EntityKey> = ctx.world().wall_hits().to_vec();
        let mut gone: Vec<EntityKey> = hits;
        let mut damage: Vec<(EntityKey, PlayerId)> = Vec::new();
        for (&b, &(shooter, expires)) in &self.shooters {
            if ctx.reached(expires) {
                gone.push(b);
                continue;
            }
            let shooter_ship = ctx.entity_of(shooter);
            let victim = ctx
                .world()
                .overlapping(b)
                .find(|(k, e)| e.kind() == self.h.ship && Some(*k) != shooter_ship)
                .map(|(k, _)| k);
            if let Some(v) = victim {
                damage.push((v, shooter));
                gone.push(b);
            }
        }
        for b in gone {
            self.shooters.remove(&b);
            let _ = ctx.world_mut().despawn(b);
        }
        for (victim, shooter) in damage {
            let Some(hp) = ctx.world().field(victim, self.h.hp) else {
                continue;
            };
            let hp = hp.saturating_sub(DAMAGE);
            ctx.world_mut().set(victim, self.h.hp, hp);
            if hp == 0
                && let Some(dead) = ctx.owner_of(victim)
            {
                let victim_id = ctx.player(dead).map_or(0, |p| p.net_id);
                let by = ctx.player(shooter).map_or(0, |p| p.net_id);
                ctx.despawn_player(dead);
                ctx.broadcast(self.h.kill, &Kill { victim: victim_id, by });
                let at = ctx.deadline(RESPAWN_AFTER);
                self.dead.push((dead, at));
            }
        }
    }

    fn respawns(&mut self, ctx: &mut Ctx<'_>) {
        let due: Vec<PlayerId> = self
            .dead
            .iter()
            .filter(|(_, at)| ctx.reached(*at))
            .map(|(p, _)| *p)
            .collect();
        self.dead.retain(|(p, _)| !due.contains(p));
        for p in due {
            if let Ok(k) = ctx.respawn(p, self.spawn_ship(RESPAWN_AT)) {
                ctx.world_mut().set(k, self.h.hp, 100);
            }
        }
    }
}

impl GameRules for Skirmish {
    fn on_join_attempt(&mut self, _ctx: &mut Ctx<'_>, req: &JoinRequest<'_>) -> Result<(), JoinRefusal> {
        let o: Options = req.options.decode()?;
        match o.team.as_deref() {
            None | Some("red" | "blue") => Ok(()),
            Some(other) => Err(JoinRefusal::with_detail(
                Refusal::InvalidOptions,
                format!("no team called {other:?}: red or blue"),
            )),
        }
    }

    fn on_join(&mut self, ctx: &mut Ctx<'_>, player: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
        let at = Vec2::new(200.0 + 400.0 * self.joined as f32, 450.0);
        self.joined += 1;
        ctx.set_private(player, self.h.ammo, AMMO);
        Some(self.spawn_ship(at))
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_>, from: PlayerId, msg: &ClientMessage) {
        if let Some(chat) = msg.get(self.h.chat_in) {
            let from = ctx.player(from).map_or(0, |p| p.net_id);
            let line = ChatLine {
                from,
                text: chat.text.clone(),
            };
            ctx.broadcast(self.h.chat_out, &line);
        }
    }

    fn tick(&mut self, ctx: &mut Ctx<'_>, inputs: &[PlayerInput]) {
        // New ships get full health.
        let fresh: Vec<EntityKey> = ctx
            .players()
            .filter_map(|p| p.entity)
            .filter(|k| ctx.world().field(*k, self.h.hp) == Some(0))
            .collect();
        for k in fresh {
            ctx.world_mut().set(k, self.h.hp, 100);
        }
        let dt = ctx.dt();
        let ids: Vec<PlayerId> = ctx.players().map(|p| p.id).collect();
        for p in ids {
            let cd = ctx.private(p, self.h.cooldown).unwrap_or(0.0);
            ctx.set_private(p, self.h.cooldown, (cd - dt).max(0.0));
        }
        for i in inputs {
            let Some(ship) = ctx.entity_of(i.player) else {
                continue;
            };
            let aim = i.get(self.h.aim);
            let weapon = i.get(self.h.weapon);
            let w = ctx.world_mut();
            w.set(ship, self.h.angle, aim);
            w.set(ship, self.h.shield, weapon == 2);
            if let Some(e) = w.get_mut(ship) {
                e.speed = if weapon == 3 { 0.0 } else { 240.0 };
                let v = i.dir * e.speed;
                w.set(ship, self.h.vel, v);
            }
            if i.get(self.h.fire) {
                self.fire(ctx, i.player, ship, aim);
            }
        }
        self.bullets(ctx);
        self.respawns(ctx);
    }
}
