//! Arena stepped deterministically in memory (projectiles, the rail and its lag compensation,
//! damage, death, respawn, the shield, pickups, chat, the score), then over the network with the
//! Rust Socket.IO client.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::f32::consts::{FRAC_PI_2, PI};
use std::time::Duration;

use rmpv::Value;
use tickstate_server::ServerConfig;
use tickstate_server::game::arena::tuning::*;
use tickstate_server::game::arena::{
    self, ArenaConfig, ArenaGame, ChatLine, ChatRefusal, ChatRefused, Kill, Map, RailShot, Scoreboard, Weapon,
};
use tickstate_server::prelude::{ClientMessage, EntityKey, Rect, Vec2};
use tickstate_server::room::RoomPolicy;
use tickstate_shared::schema::FieldValue;
use tickstate_shared::{InputMsg, Quantizer, Snapshot};
use tickstate_testkit::{
    Client, Event, NetConditions, NetProxy, RecordingLink, RoomDriver, TestServer, from_value, get_json, raw_input,
    snapshots_in, wait_stats,
};

const WAIT: Duration = Duration::from_secs(5);
/// Ticks until every spawn shield is down.
const SHIELD_TICKS: usize = 100;

fn map(spawns: &[(f32, f32)], walls: Vec<Rect>, pads: &[(f32, f32)]) -> Map {
    Map {
        size: Vec2::new(1600.0, 900.0),
        walls,
        spawns: spawns.iter().map(|&(x, y)| Vec2::new(x, y)).collect(),
        pads: pads.iter().map(|&(x, y)| Vec2::new(x, y)).collect(),
    }
}

fn config(map: Map) -> ArenaConfig {
    ArenaConfig {
        map,
        ..ArenaConfig::default()
    }
}

struct Pilot {
    conn: tickstate_server::room::ConnId,
    link: RecordingLink,
    id: u16,
    seq: u32,
}

struct Arena {
    d: RoomDriver,
    g: ArenaGame,
}

/// What one input says: a direction and the four Arena fields.
#[derive(Clone, Copy, Default)]
struct Act {
    dir: (f32, f32),
    aim: f32,
    fire: bool,
    rail: bool,
    view_tick: u32,
}

impl Arena {
    fn new(map: Map) -> Self {
        let g = arena::build(config(map));
        let d = RoomDriver::new(&g.game, RoomPolicy::default(), 7).unwrap();
        Self { d, g }
    }

    fn join(&mut self, name: &str) -> Pilot {
        let (conn, link, welcome) = self.d.join(name).unwrap();
        assert_eq!(welcome.game, "arena");
        Pilot {
            conn,
            link,
            id: welcome.id,
            seq: 0,
        }
    }

    fn send(&mut self, p: &mut Pilot, a: Act) {
        p.seq += 1;
        let input = InputMsg::new(p.seq, a.dir.0, a.dir.1, 0).with_values(&[
            FieldValue::Angle(a.aim),
            FieldValue::Flag(a.fire),
            FieldValue::Flag(a.rail),
            FieldValue::Uint(a.view_tick),
        ]);
        self.d.input(p.conn, input);
    }

    fn chat(&mut self, p: &Pilot, text: &str) {
        self.d
            .message(p.conn, ClientMessage::new(self.g.handles.chat_in, text.to_owned()));
    }

    /// The tick the next `tick()` runs.
    fn now(&self) -> u64 {
        self.d.room().tick_number()
    }

    fn ship(&self, p: &Pilot) -> Option<EntityKey> {
        self.d.room().entity_of(p.conn)
    }

    fn pos(&self, p: &Pilot) -> Vec2 {
        self.d.room().world().get(self.ship(p).unwrap()).unwrap().pos
    }

    fn hp(&self, p: &Pilot) -> u8 {
        self.d
            .room()
            .world()
            .field(self.ship(p).unwrap(), self.g.handles.hp)
            .unwrap()
    }

    fn shield(&self, p: &Pilot) -> bool {
        self.d
            .room()
            .world()
            .field(self.ship(p).unwrap(), self.g.handles.shield)
            .unwrap()
    }

    fn of_kind(&self, kind: u8) -> Vec<(EntityKey, Vec2)> {
        self.d
            .room()
            .world()
            .iter()
            .filter(|(_, e)| e.kind().id() == kind)
            .map(|(k, e)| (k, e.pos))
            .collect()
    }

    fn bolts(&self) -> Vec<(EntityKey, Vec2)> {
        self.of_kind(2)
    }

    fn pickups(&self) -> Vec<Vec2> {
        self.of_kind(3).into_iter().map(|(_, p)| p).collect()
    }

    /// Ticks until `done`, at most `max` ticks; returns how many ran.
    fn until(&mut self, max: usize, mut done: impl FnMut(&Self) -> bool) -> usize {
        for n in 1..=max {
            self.d.tick();
            if done(self) {
                return n;
            }
        }
        panic!("not done within {max} ticks");
    }
}

/// Every `name` event a link got, decoded like a client does.
fn got<T: serde::de::DeserializeOwned>(link: &RecordingLink, name: &str) -> Vec<T> {
    link.typed(name)
}

fn aim_at(from: Vec2, to: Vec2) -> f32 {
    (to - from).to_angle()
}

#[test]
fn blaster_bolts_fly_with_their_owner_and_damage_the_ship_they_reach() {
    let mut a = Arena::new(map(&[(200.0, 450.0), (600.0, 450.0)], vec![], &[]));
    let mut ada = a.join("Ada");
    let bo = a.join("Bo");
    a.d.tick();
    assert_eq!(
        (a.pos(&ada), a.pos(&bo)),
        (Vec2::new(200.0, 450.0), Vec2::new(600.0, 450.0))
    );
    assert_eq!((a.hp(&ada), a.hp(&bo)), (MAX_HP, MAX_HP), "ships start at full health");
    a.d.ticks(SHIELD_TICKS);
    a.send(
        &mut ada,
        Act {
            fire: true,
            ..Act::default()
        },
    );
    a.d.tick();
    let bolts = a.bolts();
    assert_eq!(bolts.len(), 1, "one bolt per press");
    let (bolt, at) = bolts[0];
    assert!(
        (at.x - (200.0 + MUZZLE)).abs() < 1e-3,
        "the bolt starts at the muzzle: {at}"
    );
    let w = a.d.room().world();
    assert_eq!(w.field(bolt, a.g.handles.bolt_owner), Some(ada.id));
    let v = w.field(bolt, a.g.handles.bolt_vel).unwrap();
    assert!((v - Vec2::new(BOLT_SPEED, 0.0)).length() < 1e-3, "{v}");
    // The engine moves it; it reaches Bo and is gone, and Bo lost one bolt's damage.
    a.d.tick();
    let moved = a.d.room().world().get(bolt).unwrap().pos;
    assert!((moved.x - at.x - BOLT_SPEED / 60.0).abs() < 1e-3);
    let n = a.until(60, |a| a.bolts().is_empty());
    let flight = (600.0 - SHIP_RADIUS - BOLT_RADIUS - moved.x) / (BOLT_SPEED / 60.0);
    assert!(
        (n as f32 - flight).abs() <= 1.5,
        "hit after {n} ticks, expected about {flight}"
    );
    assert_eq!(a.hp(&bo), MAX_HP - BLASTER_DAMAGE);
    assert_eq!(a.hp(&ada), MAX_HP, "your own bolts never hit you");
    let c = a.g.counters.snapshot();
    assert_eq!((c.bolts_fired, c.bolt_hits), (1, 1));
    // Holding the trigger fires at the blaster's rate, not once per input.
    for _ in 0..30 {
        a.send(
            &mut ada,
            Act {
                fire: true,
                aim: PI, // away from Bo
                ..Act::default()
            },
        );
        a.d.tick();
    }
    let per_s = 1000 / BLASTER_COOLDOWN.as_millis() as u64;
    let fired = a.g.counters.snapshot().bolts_fired - 1;
    assert_eq!(fired, 30 * per_s / 60 + 1, "30 ticks of held trigger");
}

#[test]
fn bolts_stop_at_walls_and_fizzle_after_their_lifetime() {
    // A wall right above Ada; open space to her right.
    let wall = Rect::new(60.0, 200.0, 80.0, 40.0);
    let mut a = Arena::new(map(&[(100.0, 450.0), (1400.0, 850.0)], vec![wall], &[]));
    let mut ada = a.join("Ada");
    let _bo = a.join("Bo");
    a.d.ticks(SHIELD_TICKS);
    a.send(
        &mut ada,
        Act {
            fire: true,
            aim: -FRAC_PI_2,
            ..Act::default()
        },
    );
    a.d.tick();
    let (bolt, _) = a.bolts()[0];
    let mut last = Vec2::ZERO;
    let n = a.until(30, |a| match a.d.room().world().get(bolt) {
        Some(e) => {
            last = e.pos;
            false
        }
        None => true,
    });
    assert!(last.y >= 240.0 + BOLT_RADIUS - 1e-3, "never inside the wall: {last}");
    let expected = ((450.0 - MUZZLE) - (240.0 + BOLT_RADIUS)) / (BOLT_SPEED / 60.0);
    assert!(
        (n as f32 - expected).abs() <= 1.5,
        "stopped after {n} ticks, about {expected} expected"
    );

    // To the right nothing is in the way: the bolt flies its lifetime and is gone.
    a.d.ticks(20);
    a.send(
        &mut ada,
        Act {
            fire: true,
            ..Act::default()
        },
    );
    a.d.tick();
    let (bolt, _) = a.bolts()[0];
    let life = (BOLT_LIFETIME.as_secs_f32() * 60.0).round() as usize;
    a.d.ticks(life - 2);
    assert!(a.d.room().world().get(bolt).is_some(), "still flying");
    a.d.ticks(2);
    assert!(a.d.room().world().get(bolt).is_none(), "gone after its lifetime");
    assert_eq!(a.g.counters.snapshot().bolt_hits, 0);
}

#[test]
fn a_ship_dies_the_killer_scores_and_it_respawns_after_the_delay_at_a_free_spot() {
    // The farthest spawn point from Ada (1500, 450) holds a pickup, so it is never free.
    let spawns = [(200.0, 450.0), (1000.0, 450.0), (1500.0, 450.0)];
    let mut a = Arena::new(map(&spawns, vec![], &[(1500.0, 450.0)]));
    let mut ada = a.join("Ada");
    let bo = a.join("Bo");
    a.d.tick();
    assert_eq!(
        a.pos(&bo),
        Vec2::new(1000.0, 450.0),
        "the free spawn point farthest from Ada"
    );
    let boards: Vec<Scoreboard> = bo.link.typed("scoreboard");
    assert_eq!(boards.last().unwrap().players.len(), 2, "joins update the scoreboard");
    a.d.ticks(SHIELD_TICKS);
    // The rail takes 60, four bolts the other 40.
    a.send(
        &mut ada,
        Act {
            rail: true,
            ..Act::default()
        },
    );
    a.d.tick();
    assert_eq!(a.hp(&bo), MAX_HP - RAIL_DAMAGE);
    for _ in 0..40 {
        a.send(
            &mut ada,
            Act {
                fire: true,
                ..Act::default()
            },
        );
        a.d.tick();
    }
    a.until(80, |a| a.ship(&bo).is_none());
    let kills = bo
        .link
        .record()
        .events
        .iter()
        .filter(|e| e.name == "kill")
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(kills.len(), 1);
    let kill: Kill = from_value(&kills[0].data).unwrap();
    assert_eq!(
        kill,
        Kill {
            killer: ada.id,
            victim: bo.id,
            weapon: Weapon::Blaster
        }
    );
    let died = u64::from(kills[0].tick.unwrap());
    let board = ada.link.typed::<Scoreboard>("scoreboard").pop().unwrap();
    let lines: Vec<(u16, &str, u32, u32)> = board
        .players
        .iter()
        .map(|l| (l.id, l.name.as_str(), l.kills, l.deaths))
        .collect();
    assert_eq!(lines, vec![(ada.id, "Ada", 1, 0), (bo.id, "Bo", 0, 1)]);
    // Dead for the respawn delay, then back with full health and a shield at a free spawn point.
    let delay = (RESPAWN_DELAY.as_secs_f32() * 60.0).round() as u64;
    a.until(delay as usize + 5, |a| a.ship(&bo).is_some());
    assert_eq!(a.now() - 1, died + delay, "respawned exactly the delay after dying");
    assert_eq!(a.pos(&bo), Vec2::new(1000.0, 450.0), "not the pickup's spot");
    assert_eq!((a.hp(&bo), a.shield(&bo)), (MAX_HP, true));
    let w = a.d.room().world();
    let me = w.get(a.ship(&bo).unwrap()).unwrap();
    assert!(
        w.iter()
            .filter(|(k, _)| Some(*k) != a.ship(&bo))
            .all(|(_, e)| !e.touches(me))
    );
    assert_eq!(
        a.d.room().world().get(a.ship(&bo).unwrap()).unwrap().net_id(),
        bo.id,
        "same id"
    );
    assert_eq!(a.g.counters.snapshot().kills, 1);
}

#[test]
fn the_spawn_shield_takes_no_damage_and_drops_after_its_time_or_when_firing() {
    let mut a = Arena::new(map(&[(200.0, 450.0), (600.0, 450.0)], vec![], &[]));
    let mut ada = a.join("Ada");
    let bo = a.join("Bo");
    a.d.tick();
    assert!(a.shield(&ada) && a.shield(&bo));
    a.send(
        &mut ada,
        Act {
            rail: true,
            ..Act::default()
        },
    );
    a.d.tick();
    assert!(!a.shield(&ada), "firing drops your own shield");
    assert_eq!(a.hp(&bo), MAX_HP, "the shield takes the rail");
    let rail: RailShot = bo.link.typed("rail").pop().unwrap();
    assert_eq!(rail.hit, Some(bo.id), "a shielded ship still stops the beam");
    let shield_ticks = (SPAWN_SHIELD.as_secs_f32() * 60.0).round() as usize;
    a.d.ticks(shield_ticks - 3);
    assert!(a.shield(&bo));
    a.d.ticks(2);
    assert!(!a.shield(&bo), "down after its time");
    a.send(
        &mut ada,
        Act {
            fire: true,
            ..Act::default()
        },
    );
    a.until(60, |a| a.bolts().is_empty());
    assert_eq!(a.hp(&bo), MAX_HP - BLASTER_DAMAGE);
}

#[test]
fn health_pickups_heal_a_damaged_ship_and_come_back() {
    let mut a = Arena::new(map(&[(200.0, 450.0), (600.0, 450.0)], vec![], &[(660.0, 450.0)]));
    let mut ada = a.join("Ada");
    let mut bo = a.join("Bo");
    a.d.ticks(SHIELD_TICKS);
    assert_eq!(a.pickups(), vec![Vec2::new(660.0, 450.0)]);
    // Bo, at full health, drives onto the pickup and leaves it there.
    for _ in 0..8 {
        a.send(
            &mut bo,
            Act {
                dir: (1.0, 0.0),
                ..Act::default()
            },
        );
        a.d.tick();
    }
    assert!(a.pos(&bo).x > 660.0 - SHIP_RADIUS - PICKUP_RADIUS);
    assert_eq!(a.pickups().len(), 1, "a ship at full health does not take it");
    a.send(
        &mut ada,
        Act {
            rail: true,
            ..Act::default()
        },
    );
    a.d.tick();
    a.d.tick();
    assert_eq!(a.hp(&bo), MAX_HP - RAIL_DAMAGE + PICKUP_HEAL, "healed on the next tick");
    assert!(a.pickups().is_empty());
    assert_eq!(a.g.counters.snapshot().pickups_taken, 1);
    let back = (PICKUP_RESPAWN.as_secs_f32() * 60.0).round() as usize;
    a.d.ticks(back - 2);
    assert!(a.pickups().is_empty(), "still away");
    a.until(3, |a| !a.pickups().is_empty());
    assert_eq!(a.pickups(), vec![Vec2::new(660.0, 450.0)], "back on its pad");
}

#[test]
fn chat_reaches_everyone_with_the_sender_id_and_bad_lines_are_refused_and_counted() {
    let mut a = Arena::new(map(&[(200.0, 450.0), (600.0, 450.0), (1000.0, 450.0)], vec![], &[]));
    let ada = a.join("Ada");
    let bo = a.join("Bo");
    let cy = a.join("Cy");
    a.d.tick();
    a.chat(&ada, "  hello all \n");
    a.d.tick();
    for p in [&ada, &bo, &cy] {
        let lines: Vec<ChatLine> = p.link.typed("chat");
        assert_eq!(
            lines,
            vec![ChatLine {
                id: ada.id,
                text: "hello all".into()
            }]
        );
    }
    a.chat(&ada, " \t ");
    a.chat(&ada, &"x".repeat(CHAT_MAX_CHARS + 1));
    a.chat(&ada, &format!("  {}  ", "y".repeat(CHAT_MAX_CHARS)));
    a.d.tick();
    // The burst is CHAT_BURST lines; two are spent. Two more pass, the next is refused.
    for i in 0..3 {
        a.chat(&ada, &format!("line {i}"));
    }
    a.d.tick();
    let refused: Vec<ChatRefusal> = got::<ChatRefused>(&ada.link, "chat_refused")
        .into_iter()
        .map(|r| r.reason)
        .collect();
    assert_eq!(
        refused,
        vec![ChatRefusal::Empty, ChatRefusal::TooLong, ChatRefusal::RateLimited]
    );
    assert!(
        bo.link.events("chat_refused").is_empty(),
        "refusals go to the sender only"
    );
    let texts: Vec<String> = cy.link.typed::<ChatLine>("chat").into_iter().map(|l| l.text).collect();
    assert_eq!(texts.len(), 4);
    assert_eq!(
        texts[1].chars().count(),
        CHAT_MAX_CHARS,
        "200 characters after trimming pass"
    );
    let c = a.g.counters.snapshot();
    assert_eq!(
        (c.chat_lines, c.chat_empty, c.chat_too_long, c.chat_rate_limited),
        (4, 1, 1, 1)
    );
    // The allowance comes back with time; others were never limited.
    a.d.ticks((60.0 / CHAT_RATE) as usize + 1);
    a.chat(&ada, "later");
    a.chat(&bo, "hi");
    a.d.tick();
    let last: Vec<ChatLine> = cy.link.typed("chat");
    assert_eq!(
        last[last.len() - 2..].iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![ada.id, bo.id]
    );
}

/// Ada at (200, 450) and Bo at (900, 450), shields down; Bo then flies down for 30 ticks. Returns
/// the room and where Bo was at the end of each tick.
fn moving_target() -> (Arena, Pilot, Pilot, Vec<(u64, Vec2)>) {
    let mut a = Arena::new(map(&[(200.0, 450.0), (900.0, 450.0)], vec![], &[]));
    let ada = a.join("Ada");
    let mut bo = a.join("Bo");
    a.d.ticks(SHIELD_TICKS);
    let mut seen = Vec::new();
    for _ in 0..30 {
        a.send(
            &mut bo,
            Act {
                dir: (0.0, 1.0),
                ..Act::default()
            },
        );
        let t = a.now();
        a.d.tick();
        seen.push((t, a.pos(&bo)));
    }
    (a, ada, bo, seen)
}

/// Ada fires the rail at where Bo was `aimed_back` ticks ago, saying her view is `view_back`
/// ticks old, while Bo keeps flying. Returns the rail event.
fn rail_at_the_past(aimed_back: u64, view_back: u64) -> (Arena, Pilot, RailShot) {
    let (mut a, mut ada, mut bo, seen) = moving_target();
    let now = a.now();
    let target = seen.iter().find(|(t, _)| *t == now - aimed_back).unwrap().1;
    let aim = aim_at(a.pos(&ada), target);
    a.send(
        &mut bo,
        Act {
            dir: (0.0, 1.0),
            ..Act::default()
        },
    );
    a.send(
        &mut ada,
        Act {
            aim,
            rail: true,
            view_tick: (now - view_back) as u32,
            ..Act::default()
        },
    );
    a.d.tick();
    assert!(
        (a.pos(&bo) - target).length() > 2.0 * SHIP_RADIUS,
        "Bo has moved well away from there"
    );
    let shot: RailShot = ada.link.typed("rail").pop().unwrap();
    (a, bo, shot)
}

#[test]
fn a_rail_shot_at_a_target_seen_150_ms_ago_hits_and_the_same_shot_without_rewind_misses() {
    let back = 9; // 150 ms at 60 Hz
    let (a, bo, shot) = rail_at_the_past(back, back);
    assert_eq!(shot.hit, Some(bo.id), "rewound to what Ada saw: {shot:?}");
    assert_eq!(a.hp(&bo), MAX_HP - RAIL_DAMAGE);
    let c = a.g.counters.snapshot();
    assert_eq!(
        (c.rail_shots, c.rail_hits, c.rewound_shots, c.rewinds_clamped),
        (1, 1, 1, 0)
    );

    let (a, bo, shot) = rail_at_the_past(back, 0); // view_tick = the current tick
    assert_eq!(shot.hit, None, "tested on the present, Bo is elsewhere: {shot:?}");
    assert_eq!(a.hp(&bo), MAX_HP);
    let c = a.g.counters.snapshot();
    assert_eq!((c.rail_shots, c.rail_hits, c.rewound_shots), (1, 0, 0));
}

#[test]
fn a_rewind_past_the_cap_is_tested_at_the_cap_and_counted() {
    let cap = (MAX_REWIND.as_secs_f32() * 60.0).round() as u64; // 12 ticks
    // Ada says she saw Bo 500 ms ago and aims there: tested 200 ms ago, where Bo was not.
    let (a, bo, shot) = rail_at_the_past(30, 30);
    assert_eq!(shot.hit, None, "{shot:?}");
    assert_eq!(a.hp(&bo), MAX_HP);
    let c = a.g.counters.snapshot();
    assert_eq!((c.rewound_shots, c.rewinds_clamped), (1, 1));
    // Aiming where Bo was at the cap, with the same too-old view, hits: the test ran at the cap.
    let (a, bo, shot) = rail_at_the_past(cap, 30);
    assert_eq!(shot.hit, Some(bo.id), "{shot:?}");
    assert_eq!(a.g.counters.snapshot().rewinds_clamped, 1);
}

#[test]
fn the_rail_has_a_cooldown_shown_in_a_private_field() {
    let mut a = Arena::new(map(&[(200.0, 450.0), (600.0, 450.0)], vec![], &[]));
    let mut ada = a.join("Ada");
    let _bo = a.join("Bo");
    a.d.tick();
    for _ in 0..10 {
        a.send(
            &mut ada,
            Act {
                rail: true,
                ..Act::default()
            },
        );
        a.d.tick();
    }
    assert_eq!(a.g.counters.snapshot().rail_shots, 1);
    a.d.tick(); // a snapshot tick (every other tick at 30 Hz)
    let s = ada.link.last_snapshot().unwrap();
    let [FieldValue::Fixed(cooldown), FieldValue::Fixed(respawn)] = s.private[..] else {
        panic!("private fields: {:?}", s.private);
    };
    let left = RAIL_COOLDOWN.as_secs_f32() - 11.0 / 60.0;
    assert!(
        (cooldown - left).abs() <= 0.05,
        "{cooldown} s left, about {left} expected"
    );
    assert_eq!(respawn, 0.0);
}

#[test]
fn arena_shrugs_off_odd_but_valid_action_values() {
    let mut a = Arena::new(Map::standard());
    let mut ada = a.join("Ada");
    let mut bo = a.join("Bo");
    a.d.ticks(5);
    for (i, view_tick) in [u32::MAX, 1, 0, 123_456_789, u32::MAX / 2].into_iter().enumerate() {
        a.send(
            &mut ada,
            Act {
                dir: (1.0, 1.0),
                aim: 1e30 * i as f32,
                fire: true,
                rail: true,
                view_tick,
            },
        );
        a.send(
            &mut bo,
            Act {
                aim: -7.0,
                rail: i % 2 == 0,
                ..Act::default()
            },
        );
        a.chat(&bo, "\u{0}\u{202e}zalgo\u{0301}\u{0301}");
        a.d.ticks(100);
    }
    assert!(!a.d.room().is_stopped(), "the rules never panicked");
    assert!(a.ship(&ada).is_some() || a.ship(&bo).is_some());
    assert!(ada.link.snapshot_count() > 200);
    assert_eq!(a.d.room().player_count(), 2);
}

// ---- over the network ---------------------------------------------------------------------

async fn server() -> TestServer {
    TestServer::start_with_game(
        ServerConfig {
            seed: Some(3),
            ..ServerConfig::default()
        },
        arena::game(config(map(
            &[(200.0, 450.0), (600.0, 450.0)],
            vec![],
            &[(400.0, 800.0)],
        ))),
    )
    .await
}

fn net_input(seq: u32, aim: f32, fire: bool, rail: bool, view_tick: u32) -> InputMsg {
    InputMsg::new(seq, 0.0, 0.0, 0).with_values(&[
        FieldValue::Angle(aim),
        FieldValue::Flag(fire),
        FieldValue::Flag(rail),
        FieldValue::Uint(view_tick),
    ])
}

async fn snapshot_where(c: &mut Client, what: &'static str, pick: impl Fn(&Snapshot) -> bool) -> Snapshot {
    c.wait_for(WAIT, what, |e| match e {
        Event::Snapshot { snapshot, .. } if pick(snapshot) => Some(snapshot.clone()),
        _ => None,
    })
    .await
    .unwrap_or_else(|e| panic!("{what}: {e}"))
}

async fn event(c: &mut Client, name: &'static str) -> Value {
    c.wait_for(WAIT, name, |e| match e {
        Event::Message { event, data, .. } if event == name => Some(data.clone()),
        _ => None,
    })
    .await
    .unwrap_or_else(|e| panic!("event {name}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_client_joins_arena_fires_and_decodes_snapshots_from_the_welcome_schema() {
    let server = server().await;
    let mut a = server.connect("Ada").await;
    let mut b = server.connect("Bo").await;
    let board: Scoreboard = from_value(&event(&mut b, "scoreboard").await).unwrap();
    let names_on_board: Vec<&str> = board.players.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names_on_board, ["Ada", "Bo"], "a join updates everyone's scoreboard");
    let w = &a.welcome;
    assert_eq!((w.protocol, w.game.as_str()), (2, "arena"));
    let names = |id: u8| -> Vec<String> {
        w.schema
            .kind(id)
            .unwrap()
            .fields
            .iter()
            .map(|f| f.name.clone())
            .collect()
    };
    assert_eq!(names(1), ["angle", "hp", "shield"]);
    assert_eq!(names(2), ["vel", "owner"]);
    assert!(names(3).is_empty());
    let input: Vec<&str> = w.schema.input.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(input, ["aim", "fire", "rail", "view_tick"]);
    assert_eq!(w.schema.events, ["chat", "chat_refused", "kill", "scoreboard", "rail"]);
    let lobby = get_json(&format!("{}/rooms", server.base)).await;
    assert_eq!(lobby["game"], "arena", "{lobby}");
    let (aid, bid) = (a.welcome.id, b.welcome.id);
    let q = Quantizer::new(w.world.width, w.world.height);

    // Ada aims down-right a little and fires the blaster once.
    let aim = 0.3_f32;
    let s = snapshot_where(&mut a, "a snapshot", |_| true).await;
    a.sender.input(net_input(1, aim, true, false, s.tick)).await.unwrap();
    let s = snapshot_where(&mut a, "Ada's bolt", |s| {
        s.ack >= 1 && s.entities.iter().any(|e| e.head.kind == 2)
    })
    .await;
    let bolt = s.entities.iter().find(|e| e.head.kind == 2).unwrap();
    let [FieldValue::Velocity([vx, vy]), FieldValue::Uint(owner)] = bolt.fields[..] else {
        panic!("bolt fields: {:?}", bolt.fields);
    };
    assert_eq!(owner, u32::from(aid));
    let step = 2.0 * BOLT_VEL_MAX / 4095.0;
    assert!((vx - BOLT_SPEED * aim.cos()).abs() <= step && (vy - BOLT_SPEED * aim.sin()).abs() <= step);
    let me = s.entity(aid).unwrap();
    let [FieldValue::Angle(angle), FieldValue::Uint(hp), FieldValue::Flag(shield)] = me.fields[..] else {
        panic!("ship fields: {:?}", me.fields);
    };
    assert!((angle - aim).abs() < 0.01, "the ship turned to its aim: {angle}");
    assert_eq!((hp, shield), (u32::from(MAX_HP), false), "firing dropped the shield");
    let (x, y) = q.dequantize(me.head.x, me.head.y);
    assert!((x - 200.0).abs() < 0.1 && (y - 450.0).abs() < 0.1);
    assert!(
        matches!(s.private[..], [FieldValue::Fixed(_), FieldValue::Fixed(_)]),
        "{:?}",
        s.private
    );
    assert!(
        s.entities.iter().any(|e| e.head.kind == 3),
        "the pickup is in the snapshot"
    );

    // The rail's beam goes to everyone; chat too, with the speaker's id.
    a.sender.input(net_input(2, 0.0, false, true, s.tick)).await.unwrap();
    let shot: RailShot = from_value(&event(&mut b, "rail").await).unwrap();
    assert_eq!((shot.by, shot.hit), (aid, Some(bid)));
    b.sender.message("chat", &"gg").await.unwrap();
    let line: ChatLine = from_value(&event(&mut a, "chat").await).unwrap();
    assert_eq!(
        line,
        ChatLine {
            id: bid,
            text: "gg".into()
        }
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_action_values_are_counted_rejects_and_arena_stays_healthy() {
    let server = server().await;
    let mut healthy = server.connect("healthy").await;
    let bad = server.connect("bad").await;
    let s = &bad.sender;
    let ok = || vec![Value::F64(0.5), true.into(), true.into()];
    s.emit("input", raw_input(1, vec![Value::F64(f64::NAN)])).await.unwrap(); // aim NaN
    s.emit("input", raw_input(2, vec![Value::F64(f64::INFINITY)]))
        .await
        .unwrap(); // aim Inf
    let mut neg = ok();
    neg.push((-1).into());
    s.emit("input", raw_input(3, neg)).await.unwrap(); // view_tick < 0
    let mut big = ok();
    big.push(Value::from(u64::from(u32::MAX) + 1));
    s.emit("input", raw_input(4, big)).await.unwrap(); // view_tick > u32
    s.emit("input", raw_input(5, vec![Value::F64(0.5), "yes".into()]))
        .await
        .unwrap(); // fire: wrong type
    // Still-good inputs, and a too-large chat.
    s.emit("input", raw_input(6, ok())).await.unwrap();
    s.emit("chat", Value::from("z".repeat(2000))).await.unwrap();
    s.emit("chat", Value::from(5)).await.unwrap();
    let st = wait_stats(&server, "every bad action counted", |s| {
        s["inputs"]["in_flight"] == 0 && s["inputs"]["applied"].as_u64() >= Some(1) && s["messages"]["received"] == 2
    })
    .await;
    let r = &st["inputs"]["rejected_by_reason"];
    assert_eq!(
        (
            r["non_finite"].as_u64(),
            r["out_of_range"].as_u64(),
            r["wrong_type"].as_u64()
        ),
        (Some(2), Some(2), Some(1)),
        "{st:#}"
    );
    let m = &st["messages"]["rejected_by_reason"];
    assert_eq!(
        (m["too_large"].as_u64(), m["bad_payload"].as_u64()),
        (Some(1), Some(1)),
        "{st:#}"
    );
    let n = snapshots_in(&mut healthy, Duration::from_secs(1)).await;
    assert!(n >= 20, "the healthy client keeps ~30 snapshots/s, got {n}");
    assert_eq!(server.stats().await["players"], 2);
    server.assert_live().await;
    server.stop().await.unwrap();
}

// ---- lag compensation end to end, through a slow network -----------------------------------

/// One server with `max_rewind`: Bo (direct) flies up and down; Ada, behind a proxy that delays
/// every byte 150 ms each way, aims the rail at where she draws Bo (two snapshot intervals behind
/// her newest snapshot, like an interpolating client) and says that tick. Returns the shot.
async fn rail_through_150ms_each_way(max_rewind: Duration) -> (RailShot, u16) {
    let server = TestServer::start_with_game(
        ServerConfig {
            seed: Some(5),
            ..ServerConfig::default()
        },
        arena::game(ArenaConfig {
            max_rewind,
            lag_history: Duration::from_secs(2),
            ..config(map(&[(200.0, 450.0), (900.0, 450.0)], vec![], &[]))
        }),
    )
    .await;
    let upstream: std::net::SocketAddr = server.base.trim_start_matches("http://").parse().unwrap();
    let proxy = NetProxy::start(
        upstream,
        NetConditions::delayed(Duration::from_millis(150), Duration::ZERO),
    )
    .await
    .unwrap();
    let mut ada = Client::connect(&proxy.url(), &tickstate_shared::ConnectAuth::named("Ada"))
        .await
        .unwrap();
    let bo = server.connect("Bo").await;
    let (aid, bid) = (ada.welcome.id, bo.welcome.id);
    let q = Quantizer::new(ada.welcome.world.width, ada.welcome.world.height);
    // Bo flies down at full speed for 1.5 s (one input per tick), then holds still.
    let sender = bo.sender.clone();
    let flying = tokio::spawn(async move {
        let mut iv = tokio::time::interval(Duration::from_secs(1) / TICK_RATE);
        for seq in 1..=(TICK_RATE * 20) {
            iv.tick().await;
            let dy = if seq <= TICK_RATE * 3 / 2 { 1.0 } else { 0.0 };
            if sender.input(InputMsg::new(seq, 0.0, dy, 0)).await.is_err() {
                return;
            }
        }
    });
    let pos = |s: &Snapshot, id: u16| {
        let e = s.entity(id)?;
        let (x, y) = q.dequantize(e.head.x, e.head.y);
        Some(Vec2::new(x, y))
    };
    // Ada draws Bo as of two snapshot intervals behind her newest snapshot; she fires once she
    // draws him 30 units down his path, still moving (he flies on for about a second more).
    let back = 2 * (TICK_RATE / SNAPSHOT_RATE);
    let mut seen: Vec<Snapshot> = Vec::new();
    let drawn = loop {
        let s = snapshot_where(&mut ada, "Ada's snapshots", |_| true).await;
        let newest = s.tick;
        seen.push(s);
        if let Some(d) = seen.iter().rev().find(|s| s.tick + back <= newest)
            && pos(d, bid).is_some_and(|p| p.y > 480.0)
        {
            break d.clone();
        }
        assert!(seen.len() < 300, "Bo never got 30 units down in Ada's view");
    };
    let (Some(me), Some(target)) = (pos(&drawn, aid), pos(&drawn, bid)) else {
        panic!("both ships are in the snapshot Ada draws");
    };
    ada.sender
        .input(net_input(1, aim_at(me, target), false, true, drawn.tick))
        .await
        .unwrap();
    let shot = loop {
        let shot: RailShot = from_value(&event(&mut ada, "rail").await).unwrap();
        if shot.by == aid {
            break shot;
        }
    };
    flying.abort();
    server.stop().await.unwrap();
    (shot, bid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_150_ms_each_way_a_rail_aimed_at_what_the_client_draws_hits_the_moving_target() {
    // Ada's view is at least 300 ms old when her shot lands (both ways, plus the interpolation
    // delay); Bo moves 260 units/s, with a radius of 18: without the rewind the beam misses him by
    // some 80 units. The cap is raised to 1 s so a busy machine's extra delay cannot clamp it.
    let (shot, bo) = rail_through_150ms_each_way(Duration::from_secs(1)).await;
    assert_eq!(shot.hit, Some(bo), "the rewound shot hits: {shot:?}");
    let (shot, _) = rail_through_150ms_each_way(Duration::ZERO).await;
    assert_eq!(
        shot.hit, None,
        "the same shot without lag compensation misses: {shot:?}"
    );
}
