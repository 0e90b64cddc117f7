//! Property tests: simulation and input-handling invariants hold whatever the clients send.
//!
//! A real [`Room`] is stepped in memory (channels and a recording link, no sockets) with inputs that
//! proptest generates: NaN, ±Inf, `f32::MAX`, subnormals, huge values, random walls and world sizes,
//! duplicated, reordered and wrapping sequence numbers, jumps of 2^31. After every tick:
//!
//! - (a) every player's position is finite and inside the world bounds;
//! - (b) it moved at most `max_speed * dt` per applied input, and at most `max_inputs_per_tick`
//!   inputs were applied;
//! - (c) its box does not overlap any wall;
//! - (d) the snapshot `ack` is the last applied `seq`, applied seqs strictly increase (wrap-aware),
//!   no seq is applied twice within one lap of the sequence space, the ack a client sees does not go
//!   backwards, and once the queues are drained `applied + rejected + dropped == sent`.
//!
//! Cases default to a few dozen per property so this runs in seconds in a debug build; set
//! `PROPTEST_CASES=5000` for a longer search.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use glam::Vec2;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use tickstate_server::prelude::*;
use tickstate_server::room::{ConnId, Control, RoomPolicy, TickOutcome};
use tickstate_server::sim::Rect;
use tickstate_server::sim::movement::clamp_to_world;
use tickstate_server::stats::ClientStats;
use tickstate_shared::InputMsg;
use tickstate_shared::seq_newer;
use tickstate_testkit::room_driver::{JoinSpec, RecordingLink, RoomDriver};

// ---- the in-memory room --------------------------------------------------------------------------

/// One input the rules saw applied: the player's name (`c<conn>`), seq and validated direction.
type AppliedLog = Arc<Mutex<Vec<(String, u32, Vec2)>>>;

/// Rules that spawn every player at a fixed free spot and record the inputs applied each tick.
struct PropRules {
    cfg: RulesConfig,
    spawn: Vec2,
    log: AppliedLog,
}

impl GameRules for PropRules {
    fn config(&self) -> RulesConfig {
        self.cfg.clone()
    }
    fn on_join(&mut self, ctx: &mut Ctx<'_>, _p: PlayerId, _req: &JoinRequest<'_>) -> Option<Spawn> {
        Some(Spawn::at(ctx.schema().kind(1)?, self.spawn))
    }
    fn tick(&mut self, ctx: &mut Ctx<'_>, inputs: &[PlayerInput]) {
        let mut log = self.log.lock().unwrap();
        for i in inputs {
            let name = ctx.player(i.player).map(|p| p.name.to_owned()).unwrap_or_default();
            log.push((name, i.seq, i.dir));
        }
    }
}

/// How deep a box of half-size `r` at `p` is inside wall `w` (0 or less: no overlap).
fn penetration(w: &Rect, p: Vec2, r: f32) -> f32 {
    (p.x + r - w.x)
        .min(w.x + w.w - (p.x - r))
        .min(p.y + r - w.y)
        .min(w.y + w.h - (p.y - r))
}

/// A spot where a player's box lies inside the world and clear of every wall, if there is one.
fn free_spot(cfg: &RulesConfig) -> Option<Vec2> {
    let (size, r) = (cfg.world_size, cfg.player_radius);
    let n = 24;
    (0..=n)
        .flat_map(|i| (0..=n).map(move |j| (i, j)))
        .map(|(i, j)| {
            let p = Vec2::new(size.x * i as f32 / n as f32, size.y * j as f32 / n as f32);
            clamp_to_world(p, r, size)
        })
        .find(|p| !cfg.walls.iter().any(|w| w.overlaps_box(*p, r)))
}

struct Player {
    conn: ConnId,
    link: RecordingLink,
    client: Arc<ClientStats>,
    sent: u64,
    /// Position after the previous tick.
    pos: Vec2,
    /// Last ack seen in a snapshot once something was applied.
    ack: Option<u32>,
    /// Last applied seq and the total forward distance of all applied seqs so far.
    last_applied: Option<u32>,
    travelled: u64,
    /// Forward distance at which each seq was last applied.
    applied_at: HashMap<u32, u64>,
    /// Largest forward distance the ack moved in one tick.
    max_tick_span: u64,
}

struct Harness {
    d: RoomDriver,
    log: AppliedLog,
    cfg: RulesConfig,
    players: Vec<Player>,
    sent: u64,
    joined: u64,
}

impl Harness {
    fn new(cfg: RulesConfig, spawn: Vec2) -> Self {
        let log = AppliedLog::default();
        let (rules_cfg, rules_log) = (cfg.clone(), log.clone());
        let game = Game::new("props", |s| s.kind(1, "ship").done())
            .rules(move |_, _| PropRules {
                cfg: rules_cfg.clone(),
                spawn,
                log: rules_log.clone(),
            })
            .unwrap();
        let d = RoomDriver::new(&game, RoomPolicy::default(), 1).unwrap();
        Self {
            d,
            log,
            cfg,
            players: Vec::new(),
            sent: 0,
            joined: 0,
        }
    }

    /// Joins and readies a player (one tick); returns its index.
    fn join(&mut self) -> usize {
        let link = self.d.link();
        let client = Arc::new(ClientStats::default());
        // Named after the connection id the driver will give it (ids are never reused).
        let conn_hint = self.joined + 1;
        self.joined = conn_hint;
        let name = format!("c{conn_hint}");
        let (conn, mut rx) = self.d.join_request(
            JoinSpec {
                name,
                ..JoinSpec::default()
            },
            Box::new(link.clone()),
            client.clone(),
        );
        assert_eq!(conn.0, conn_hint, "the driver numbers connections 1, 2, …");
        self.tick();
        rx.try_recv().unwrap().expect("join should be accepted");
        self.d.control(Control::Ready(conn));
        let pos = self.pos(conn).expect("a joined player has an entity");
        self.players.push(Player {
            conn,
            link,
            client,
            sent: 0,
            pos,
            ack: None,
            last_applied: None,
            travelled: 0,
            applied_at: HashMap::new(),
            max_tick_span: 0,
        });
        self.players.len() - 1
    }

    fn pos(&self, conn: ConnId) -> Option<Vec2> {
        let key = self.d.room().entity_of(conn)?;
        self.d.room().world().get(key).map(|e| e.pos)
    }

    /// Hands an input from player `idx` to the room.
    fn send(&mut self, idx: usize, input: InputMsg) {
        let p = &mut self.players[idx];
        self.d.input_counted(p.conn, input, p.client.clone());
        p.sent += 1;
        self.sent += 1;
    }

    fn tick(&mut self) {
        let outcome = self.d.tick();
        assert_eq!(outcome, TickOutcome::Continue, "the room should keep running");
    }

    /// One tick, then every invariant for every player.
    fn tick_and_check(&mut self) -> Result<(), TestCaseError> {
        self.tick();
        let applied = std::mem::take(&mut *self.log.lock().unwrap());
        let size = self.cfg.world_size;
        let r = self.cfg.player_radius;
        let rb = r.min(size.x / 2.0).min(size.y / 2.0);
        let max_step = self.cfg.max_speed / self.cfg.tick_rate as f32;
        let cap = self.d.room().settings().inputs.max_per_tick;
        let tick = self.d.room().tick_number();
        for i in 0..self.players.len() {
            let conn = self.players[i].conn;
            let name = format!("c{}", conn.0);
            let mine: Vec<(u32, Vec2)> = applied
                .iter()
                .filter(|(n, _, _)| *n == name)
                .map(|(_, s, d)| (*s, *d))
                .collect();
            let pos = self.pos(conn).expect("player entity should exist");
            let p = &mut self.players[i];
            // (a) finite and in bounds.
            prop_assert!(pos.is_finite(), "tick {tick}: {name} at non-finite {pos}");
            prop_assert!(
                pos.x >= rb && pos.x <= size.x - rb && pos.y >= rb && pos.y <= size.y - rb,
                "tick {tick}: {name} at {pos} is outside {size} (radius {r})"
            );
            // (b) speed: per applied input and per tick.
            prop_assert!(
                mine.len() <= cap,
                "tick {tick}: {} inputs applied, cap {cap}",
                mine.len()
            );
            for (seq, d) in &mine {
                prop_assert!(
                    d.is_finite() && d.length() <= 1.0 + 1e-5,
                    "seq {seq}: direction {d} not in the unit disc"
                );
            }
            let moved = (pos - p.pos).length();
            let eps = 1e-3 + size.max_element() * 2e-6;
            let allowed = mine.len() as f32 * max_step + eps;
            prop_assert!(
                moved <= allowed,
                "tick {tick}: {name} moved {moved} from {} to {pos} with {} inputs (at most {allowed})",
                p.pos,
                mine.len()
            );
            // (c) walls.
            for w in &self.cfg.walls {
                // Push-outs are computed in f32 (`wall.x - r` and so on), so with arbitrary float
                // geometry a box can end up overlapping by a rounding error; tolerated here (the
                // speed check above catches what that sliver leads to). A real overlap is not.
                prop_assert!(
                    penetration(w, pos, r) <= eps,
                    "tick {tick}: {name} at {pos} (from {}) overlaps wall {w:?}",
                    p.pos
                );
            }
            p.pos = pos;
            // (d) seqs: applied strictly newer, at most once per lap of the sequence space.
            let mut span = 0u64;
            for (seq, _) in &mine {
                if let Some(prev) = p.last_applied {
                    prop_assert!(
                        seq_newer(*seq, prev),
                        "tick {tick}: {name} applied seq {seq} after {prev}"
                    );
                    let d = u64::from(seq.wrapping_sub(prev));
                    p.travelled += d;
                    span += d;
                }
                if let Some(at) = p.applied_at.insert(*seq, p.travelled) {
                    prop_assert!(
                        p.travelled - at >= 1 << 32,
                        "tick {tick}: {name} applied seq {seq} twice within one lap"
                    );
                }
                p.last_applied = Some(*seq);
            }
            p.max_tick_span = p.max_tick_span.max(span);
        }
        Ok(())
    }

    /// Checks the acks each client saw in this tick's snapshot. Only valid when every input sent was
    /// finite (a rejected non-finite input also moves the ack, and the rules never see it).
    fn check_acks(&mut self, strict_monotonic: bool) -> Result<(), TestCaseError> {
        let tick = self.d.room().tick_number();
        for p in &mut self.players {
            let Some((stick, ack)) = p.link.last_snapshot().map(|s| (s.tick, s.ack)) else {
                continue;
            };
            // Snapshot ticks are stamped before the tick counter advances.
            if u64::from(stick) + 1 != tick {
                continue;
            }
            prop_assert_eq!(
                ack,
                p.last_applied.unwrap_or(0),
                "tick {}: the ack should be the last applied seq",
                tick
            );
            if let Some(prev) = p.ack {
                let forward = ack == prev || seq_newer(ack, prev);
                if strict_monotonic {
                    prop_assert!(forward, "tick {tick}: ack went from {prev} back to {ack}");
                } else {
                    // Inputs applied in one tick can together move the ack 2^31 or more, which a
                    // client comparing acks reads as going backwards; every step is still forward.
                    prop_assert!(
                        forward || p.max_tick_span >= 1 << 31,
                        "tick {tick}: ack went from {prev} back to {ack}"
                    );
                }
            }
            if p.last_applied.is_some() {
                p.ack = Some(ack);
            }
        }
        Ok(())
    }

    /// Ticks until every sent input is accounted for (or gives up), then checks the identity.
    fn drain_and_check_accounting(&mut self) -> Result<(), TestCaseError> {
        for _ in 0..200 {
            let i = self.d.stats().inputs();
            if i.applied + i.rejected_total + i.dropped_total >= self.sent {
                break;
            }
            self.tick_and_check()?;
        }
        let i = self.d.stats().inputs();
        prop_assert_eq!(
            i.applied + i.rejected_total + i.dropped_total,
            self.sent,
            "every sent input should be applied, rejected or dropped: {:?}",
            i
        );
        for p in &self.players {
            let (_, applied, rejected, dropped) = p.client.read();
            prop_assert_eq!(applied + rejected + dropped, p.sent, "per-client accounting");
        }
        Ok(())
    }

    fn leave(&mut self, idx: usize) {
        let p = self.players.remove(idx);
        self.d.control(Control::Leave {
            conn: p.conn,
            reason: LeaveReason::Disconnect,
            hold: false,
        });
    }
}

// ---- strategies ----------------------------------------------------------------------------------

/// Direction components, weighted towards the hostile ones.
fn component() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => -1.5f32..1.5,
        1 => Just(0.0f32),
        1 => Just(-0.0f32),
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
        1 => Just(f32::MAX),
        1 => Just(f32::MIN),
        1 => Just(f32::MIN_POSITIVE),
        1 => Just(1e-40f32),
        1 => Just(-1e-45f32),
        1 => Just(1e30f32),
        1 => Just(-3e38f32),
        1 => Just(f32::EPSILON),
        2 => proptest::num::f32::ANY,
        2 => any::<u32>().prop_map(f32::from_bits),
    ]
}

/// A world config: size, radius, speed, tick rate and a few walls anywhere (also across the edges).
///
/// With `exact` the walls and the radius are multiples of 1/4 (exact sums in f32, as in the demo
/// game) and a step is at most two radii long. Without it the geometry is arbitrary floats and steps
/// can be up to 100 radii (the swept step must still never cross a wall).
fn config(exact: bool) -> impl Strategy<Value = RulesConfig> {
    let q = move |v: f32| if exact { (v * 4.0).round() / 4.0 } else { v };
    (64.0f32..3000.0, 64.0f32..3000.0, 10u32..=240)
        .prop_flat_map(move |(w, h, tick_rate)| {
            let rmax = w.min(h) / 8.0;
            let wall = (-50.0f32..w + 50.0, -50.0f32..h + 50.0, 0.5f32..w / 3.0, 0.5f32..h / 3.0)
                .prop_map(move |(x, y, ww, hh)| Rect::new(q(x), q(y), q(ww), q(hh)));
            (
                Just((w, h, tick_rate)),
                (0.5f32..rmax).prop_map(q),
                // Speed as radii per tick.
                if exact {
                    prop_oneof![0.0f32..2.0, Just(2.0f32)].boxed()
                } else {
                    prop_oneof![3 => 0.0f32..2.0, 1 => 2.0f32..100.0].boxed()
                },
                proptest::collection::vec(wall, 0..6),
            )
        })
        .prop_map(move |((w, h, tick_rate), radius, radii_per_tick, walls)| RulesConfig {
            tick_rate,
            snapshot_rate: tick_rate,
            max_players: 8,
            world_size: Vec2::new(w, h),
            walls,
            max_speed: radii_per_tick * radius * tick_rate as f32,
            player_radius: radius,
        })
}

/// The demo game's geometry: integer walls, the default speed and size.
fn demo_config() -> RulesConfig {
    RulesConfig {
        snapshot_rate: 60,
        walls: vec![
            Rect::new(300.0, 200.0, 40.0, 300.0),
            Rect::new(700.0, 0.0, 40.0, 350.0),
            Rect::new(700.0, 550.0, 40.0, 350.0),
            Rect::new(1100.0, 400.0, 300.0, 40.0),
        ],
        ..RulesConfig::default()
    }
}

/// How the next seq is made from the previous one.
#[derive(Debug, Clone, Copy)]
enum SeqOp {
    Next,
    Same,
    Back(u32),
    Ahead(u32),
    Add(u32),
    Random(u32),
}

fn seq_op() -> impl Strategy<Value = SeqOp> {
    prop_oneof![
        12 => Just(SeqOp::Next),
        2 => Just(SeqOp::Same),
        2 => (1u32..6).prop_map(SeqOp::Back),
        2 => (2u32..12).prop_map(SeqOp::Ahead),
        1 => Just(SeqOp::Add(1 << 31)),
        1 => Just(SeqOp::Add((1 << 31) - 1)),
        1 => Just(SeqOp::Add((1 << 31) + 1)),
        1 => Just(SeqOp::Add(1 << 30)),
        1 => any::<u32>().prop_map(SeqOp::Random),
    ]
}

fn seq_start() -> impl Strategy<Value = u32> {
    prop_oneof![Just(1u32), Just(0u32), (u32::MAX - 20)..=u32::MAX, any::<u32>()]
}

fn apply(op: SeqOp, s: u32) -> u32 {
    match op {
        SeqOp::Next => s.wrapping_add(1),
        SeqOp::Same => s,
        SeqOp::Back(k) => s.wrapping_sub(k),
        SeqOp::Ahead(k) | SeqOp::Add(k) => s.wrapping_add(k),
        SeqOp::Random(v) => v,
    }
}

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        // Failures are turned into the named regression tests at the bottom of this file.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

// ---- properties ----------------------------------------------------------------------------------

/// Sends each tick's `(player, dx, dy)` inputs with consecutive seqs and checks (a)-(c) every tick.
fn run_movement(cfg: RulesConfig, players: usize, ticks: &[Vec<(usize, f32, f32)>]) -> Result<(), TestCaseError> {
    let Some(spawn) = free_spot(&cfg) else {
        return Ok(());
    };
    let mut h = Harness::new(cfg, spawn);
    let mut seqs = vec![0u32; players];
    for _ in 0..players {
        h.join();
    }
    h.tick_and_check()?;
    for inputs in ticks {
        for &(who, dx, dy) in inputs {
            let who = who % players;
            seqs[who] = seqs[who].wrapping_add(1);
            h.send(who, InputMsg::new(seqs[who], dx, dy, 0));
        }
        h.tick_and_check()?;
    }
    h.drain_and_check_accounting()
}

proptest! {
    #![proptest_config(cases(48))]

    /// (a), (b), (c) in random worlds with random walls and hostile directions.
    #[test]
    fn positions_stay_finite_in_bounds_out_of_walls_and_within_speed(
        cfg in config(true),
        players in 1usize..=3,
        ticks in proptest::collection::vec(
            proptest::collection::vec((0usize..3, component(), component()), 0..6),
            1..50,
        ),
    ) {
        run_movement(cfg, players, &ticks)?;
    }

    /// As above with walls and radius at arbitrary f32 values and steps up to 100 radii.
    #[test]
    fn arbitrary_float_geometry_keeps_the_invariants(
        cfg in config(false),
        players in 1usize..=3,
        ticks in proptest::collection::vec(
            proptest::collection::vec((0usize..3, component(), component()), 0..6),
            1..50,
        ),
    ) {
        run_movement(cfg, players, &ticks)?;
    }

    /// (a), (b), (c) in the demo game's world: pushing into walls, edges and corners at full speed.
    #[test]
    fn demo_world_walls_and_edges_hold(
        spawn_at in 0usize..4,
        ticks in proptest::collection::vec(
            proptest::collection::vec(
                (0usize..2, prop_oneof![Just(1.0f32), Just(-1.0f32), component()],
                 prop_oneof![Just(1.0f32), Just(-1.0f32), component()]),
                1..4,
            ),
            1..200,
        ),
    ) {
        let cfg = demo_config();
        // Next to a wall or in a corner, so the walls are reached within the run.
        let spawn = [
            Vec2::new(280.0, 300.0),
            Vec2::new(760.0, 450.0),
            Vec2::new(1250.0, 380.0),
            Vec2::new(20.0, 20.0),
        ][spawn_at];
        let mut h = Harness::new(cfg.clone(), spawn);
        let mut seqs = [0u32; 2];
        h.join();
        h.join();
        h.tick_and_check()?;
        for inputs in &ticks {
            for &(who, dx, dy) in inputs {
                seqs[who] = seqs[who].wrapping_add(1);
                h.send(who, InputMsg::new(seqs[who], dx, dy, 0));
            }
            h.tick_and_check()?;
        }
        h.drain_and_check_accounting()?;
    }

    /// (d) duplicates, reorders, wrap-around, jumps of 2^31: acks, at-most-once, accounting.
    #[test]
    fn seqs_apply_once_in_order_and_every_input_is_accounted_for(
        starts in proptest::collection::vec(seq_start(), 1..=2),
        ticks in proptest::collection::vec(
            proptest::collection::vec((0usize..2, seq_op(), -1.0f32..1.0), 0..10),
            1..60,
        ),
        leave_at in proptest::option::of(0usize..60),
    ) {
        let cfg = RulesConfig { snapshot_rate: 60, ..RulesConfig::default() };
        let mut h = Harness::new(cfg, Vec2::new(800.0, 450.0));
        let mut cursor = starts.clone();
        for _ in &starts {
            h.join();
        }
        for (t, inputs) in ticks.iter().enumerate() {
            for &(who, op, dx) in inputs {
                let who = who % h.players.len().max(1);
                if who >= h.players.len() {
                    continue;
                }
                let seq = cursor[who];
                h.send(who, InputMsg::new(seq, dx, 0.5, 0));
                cursor[who] = apply(op, seq);
            }
            h.tick_and_check()?;
            h.check_acks(false)?;
            if leave_at == Some(t) && h.players.len() > 1 {
                // The leaver's queued inputs must still be accounted for (dropped).
                h.leave(1);
                cursor.truncate(1);
            }
        }
        h.drain_and_check_accounting()?;
    }
}

// ---- fixed cases ---------------------------------------------------------------------------------

/// Consecutive seqs across the wrap keep the ack moving forward and apply each seq once.
#[test]
fn wrap_around_with_duplicates_and_reorders() {
    let mut h = Harness::new(
        RulesConfig {
            snapshot_rate: 60,
            ..RulesConfig::default()
        },
        Vec2::new(800.0, 450.0),
    );
    h.join();
    let seqs = [u32::MAX - 2, u32::MAX - 1, u32::MAX - 2, 0, u32::MAX, 1, 1, 0, 2, 3, 2];
    for chunk in seqs.chunks(2) {
        for &s in chunk {
            h.send(0, InputMsg::new(s, 1.0, 0.0, 0));
        }
        h.tick_and_check().unwrap();
        h.check_acks(true).unwrap();
    }
    h.drain_and_check_accounting().unwrap();
    assert_eq!(h.players[0].last_applied, Some(3));
}

/// Regression, found by `arbitrary_float_geometry_keeps_the_invariants` when the step was a move
/// followed by a push-out: a step longer than `2 * radius + wall thickness` passed through a wall
/// (and near an edge the clamp then put the box into a wall). The step is now a sweep.
#[test]
fn regression_long_steps_tunnelled_through_thin_walls() {
    let cfg = RulesConfig {
        tick_rate: 10,
        snapshot_rate: 10,
        world_size: Vec2::new(64.0, 64.0),
        walls: vec![Rect::new(0.0, 0.0, 0.5, 0.5)],
        max_speed: 3638.7866,
        player_radius: 0.5,
        ..RulesConfig::default()
    };
    let mut h = Harness::new(cfg.clone(), Vec2::new(0.5, 2.6666667));
    h.join();
    h.send(0, InputMsg::new(1, 0.0, -0.41853637, 0));
    h.tick();
    let pos = h.pos(h.players[0].conn).unwrap();
    assert!(
        !cfg.walls[0].overlaps_box(pos, cfg.player_radius),
        "ended at {pos}, inside the corner wall"
    );
}

/// Regression (fixed by the swept movement step), found by `arbitrary_float_geometry_keeps_the_invariants` (minimised by hand):
/// a player pushed out below a wall whose bottom edge is `200 + 40.3` rests at `y = 240.3 + 16`,
/// rounded in f32 so that `y - r` is a hair less than `240.3`: the strict overlap test still sees the
/// box inside the wall. Its next sideways input then takes the x push-out branch and puts it on the
/// far side of the wall: 216 units in one input whose limit is `240 / 60 = 4`.
/// Reachable with the default speed and radius and any wall whose edges are not exact in f32.
#[test]
fn regression_push_out_rounding_let_a_player_cross_a_wall() {
    let cfg = RulesConfig {
        snapshot_rate: 60,
        walls: vec![Rect::new(100.0, 200.0, 400.0, 40.3)],
        ..RulesConfig::default()
    };
    let mut h = Harness::new(cfg, Vec2::new(300.0, 300.0));
    h.join();
    h.tick_and_check().unwrap();
    let mut seq = 0;
    for _ in 0..30 {
        seq += 1;
        h.send(0, InputMsg::new(seq, 0.0, -1.0, 0)); // up, against the wall's underside
        h.tick_and_check().unwrap();
    }
    h.send(0, InputMsg::new(seq + 1, -1.0, 0.0, 0)); // one step left
    h.tick_and_check().unwrap();
}

/// Regression (fixed by the swept movement step), found by `positions_stay_finite_in_bounds_out_of_walls_and_within_speed`: with a wall less than a player's width from the world's edge,
/// a step along the edge tests the walls at an x beyond the edge, misses the wall, and the clamp at
/// the end then moves the box into it. Here (default speed and radius 16, a wall 30 units from the
/// left edge) a player slides down into the wall, and a later straight-down input pushes it out
/// through the wall's top: a jump far beyond 4 units.
#[test]
fn regression_clamp_pushed_a_player_into_a_wall_near_the_edge() {
    let cfg = RulesConfig {
        snapshot_rate: 60,
        walls: vec![Rect::new(30.0, 100.0, 40.0, 200.0)],
        ..RulesConfig::default()
    };
    let mut h = Harness::new(cfg, Vec2::new(16.0, 84.0));
    h.join();
    h.tick_and_check().unwrap();
    for seq in 1..=20 {
        let (dx, dy) = if seq < 10 { (-1.0, 1.0) } else { (0.0, 1.0) };
        h.send(0, InputMsg::new(seq, dx, dy, 0));
        h.tick_and_check().unwrap();
    }
}
