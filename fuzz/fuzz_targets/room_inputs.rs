//! Arbitrary bytes become a world (size, radius, speed, walls), then a script of joins, leaves,
//! inputs (any `seq`, any `f32` direction) and ticks, run against a real in-memory `Room`. After every
//! tick each player is finite, inside the world, out of every wall, moved at most `max_speed * dt`
//! per applied input with at most `max_inputs_per_tick` applied, no seq is applied more often than it
//! was sent, and the ack is the last seq applied; every snapshot decodes and snapshot ticks increase.
//! At the end, with the queues drained, `applied + rejected + dropped == sent`.
//!
//! Worlds mix exact geometry (walls and radius on a 1/4 grid, as in the demo) with arbitrary f32
//! walls and radius, and steps of up to 20 radii: the swept movement step must stop at every wall.
#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use libfuzzer_sys::arbitrary::{Result as AResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use tickstate_server::prelude::*;
use tickstate_testkit::room_driver::{JoinSpec, RoomDriver};
use tickstate_server::room::{ConnId, Control, LinkError, PlayerLink, RoomPolicy, TickOutcome};
use tickstate_server::sim::movement::clamp_to_world;
use tickstate_server::stats::ClientStats;
use tickstate_shared::codec::decode_snapshot;
use tickstate_shared::{InputMsg, RecordLayout};

#[derive(Default)]
struct LinkRecord {
    last_tick: Option<u32>,
    last_ack: u32,
    closed: bool,
}

#[derive(Clone)]
struct FakeLink(Arc<Mutex<LinkRecord>>, Arc<RecordLayout>);

impl PlayerLink for FakeLink {
    fn send_snapshot(&self, doc: Bytes) -> Result<(), LinkError> {
        let mut r = self.0.lock().unwrap();
        if r.closed {
            return Err(LinkError::Closed);
        }
        let s = decode_snapshot(&doc, &self.1).expect("server snapshots should decode");
        if let Some(t) = r.last_tick {
            assert!(s.tick > t, "snapshot tick {} after {t}", s.tick);
        }
        r.last_tick = Some(s.tick);
        r.last_ack = s.ack;
        Ok(())
    }
    fn emit(&self, _event: &str, _data: &rmpv::Value, _tick: Option<u32>) -> Result<(), LinkError> {
        if self.0.lock().unwrap().closed {
            return Err(LinkError::Closed);
        }
        Ok(())
    }
    fn close(&self) {
        self.0.lock().unwrap().closed = true;
    }
}

type AppliedLog = Arc<Mutex<Vec<(String, u32, Vec2)>>>;

struct FuzzRules {
    cfg: RulesConfig,
    spawn: Vec2,
    log: AppliedLog,
}

impl GameRules for FuzzRules {
    fn config(&self) -> RulesConfig {
        self.cfg.clone()
    }
    fn on_join(&mut self, ctx: &mut Ctx<'_>, _p: PlayerId, _r: &JoinRequest<'_>) -> Option<Spawn> {
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

struct Player {
    conn: ConnId,
    name: String,
    link: FakeLink,
    client: Arc<ClientStats>,
    seq: u32,
    pos: Vec2,
    /// Times each seq was sent and applied.
    seqs: HashMap<u32, (u32, u32)>,
    /// Whether any non-finite direction was sent (its seq can then be the ack).
    sent_non_finite: bool,
}

struct Harness {
    d: RoomDriver,
    layout: Arc<RecordLayout>,
    log: AppliedLog,
    cfg: RulesConfig,
    players: Vec<Player>,
    next_conn: u64,
    sent: u64,
}

fn penetration(w: &Rect, p: Vec2, r: f32) -> f32 {
    (p.x + r - w.x)
        .min(w.x + w.w - (p.x - r))
        .min(p.y + r - w.y)
        .min(w.y + w.h - (p.y - r))
}

impl Harness {
    fn tick(&mut self) {
        let outcome = self.d.tick();
        assert_eq!(outcome, TickOutcome::Continue, "the room stopped");
        let applied = std::mem::take(&mut *self.log.lock().unwrap());
        let size = self.cfg.world_size;
        let r = self.cfg.player_radius;
        let rb = r.min(size.x / 2.0).min(size.y / 2.0);
        let max_step = self.cfg.max_speed / self.cfg.tick_rate as f32;
        let cap = self.d.room().settings().inputs.max_per_tick;
        let eps = 1e-3 + size.max_element() * 2e-6;
        let tick = self.d.room().tick_number();
        for p in &mut self.players {
            let Some(pos) = self
                .d
                .room()
                .entity_of(p.conn)
                .and_then(|k| self.d.room().world().get(k))
                .map(|e| e.pos)
            else {
                panic!("tick {tick}: {} has no entity", p.name);
            };
            let mine: Vec<(u32, Vec2)> = applied
                .iter()
                .filter(|(n, _, _)| *n == p.name)
                .map(|(_, s, d)| (*s, *d))
                .collect();
            assert!(pos.is_finite(), "tick {tick}: {} at {pos}", p.name);
            assert!(
                pos.x >= rb && pos.x <= size.x - rb && pos.y >= rb && pos.y <= size.y - rb,
                "tick {tick}: {} at {pos} outside {size}",
                p.name
            );
            assert!(mine.len() <= cap, "tick {tick}: {} inputs applied", mine.len());
            let moved = (pos - p.pos).length();
            let allowed = mine.len() as f32 * max_step + eps;
            assert!(
                moved <= allowed,
                "tick {tick}: {} moved {moved} from {} to {pos}, at most {allowed}",
                p.name,
                p.pos
            );
            for w in &self.cfg.walls {
                assert!(
                    penetration(w, pos, r) <= eps,
                    "tick {tick}: {} at {pos} inside {w:?}",
                    p.name
                );
            }
            p.pos = pos;
            // Seqs: no seq is applied more often than it was sent, and the snapshot's ack is the
            // last seq consumed (applied or rejected), so with only finite inputs sent it is the
            // last one applied. (Order across ticks is checked in server/tests/sim_props.rs with
            // finite inputs: here one tick can consume more than 2^32 of sequence space through
            // rejected inputs, so wrap-aware distances are ambiguous.)
            let ack = p.link.0.lock().unwrap().last_ack;
            for &(seq, d) in &mine {
                assert!(d.is_finite() && d.length() <= 1.0 + 1e-5, "seq {seq}: direction {d}");
                let e = p.seqs.entry(seq).or_default();
                e.1 += 1;
                assert!(
                    e.1 <= e.0,
                    "tick {tick}: {} applied seq {seq} {} times, sent {}",
                    p.name,
                    e.1,
                    e.0
                );
            }
            if let Some(&(last, _)) = mine.last() {
                assert!(
                    ack == last || p.sent_non_finite,
                    "tick {tick}: {} ack {ack}, last applied {last}",
                    p.name
                );
            }
        }
    }

    fn join(&mut self) {
        let name = format!("c{}", self.next_conn);
        self.next_conn += 1;
        let client = Arc::new(ClientStats::default());
        let link = FakeLink(Arc::default(), self.layout.clone());
        let spec = JoinSpec {
            name: name.clone(),
            ..JoinSpec::default()
        };
        let (conn, mut rx) = self.d.join_request(spec, Box::new(link.clone()), client.clone());
        self.tick();
        if rx.try_recv().is_ok_and(|r| r.is_ok()) {
            self.d.control(Control::Ready(conn));
            let pos = self
                .d
                .room()
                .entity_of(conn)
                .and_then(|k| self.d.room().world().get(k))
                .unwrap()
                .pos;
            self.players.push(Player {
                conn,
                name,
                link,
                client,
                seq: 0,
                pos,
                seqs: HashMap::new(),
                sent_non_finite: false,
            });
        }
    }
}

fn config(u: &mut Unstructured<'_>) -> AResult<RulesConfig> {
    let w = 64.0 + f32::from(u.int_in_range(0u16..=2936)?);
    let h = 64.0 + f32::from(u.int_in_range(0u16..=2936)?);
    let tick_rate = u.int_in_range(10u32..=240)?;
    let unit = |u: &mut Unstructured<'_>| -> AResult<f32> { Ok(f32::from(u.arbitrary::<u16>()?) / 65535.0) };
    // Half the worlds have walls and radius on a 1/4 grid (exact sums, like the demo game), half
    // arbitrary floats.
    let exact: bool = u.arbitrary()?;
    let quarter = |v: f32| if exact { (v * 4.0).round() / 4.0 } else { v };
    let radius = quarter(0.5 + unit(u)? * (w.min(h) / 8.0 - 0.5)).max(0.25);
    // Steps of up to 20 radii: long steps must not pass through walls either.
    let radii_per_tick = unit(u)? * 20.0;
    let mut walls = Vec::new();
    for _ in 0..u.int_in_range(0u8..=5)? {
        let x = quarter(-50.0 + unit(u)? * (w + 100.0));
        let y = quarter(-50.0 + unit(u)? * (h + 100.0));
        let ww = quarter(0.5 + unit(u)? * w / 3.0).max(0.25);
        let hh = quarter(0.5 + unit(u)? * h / 3.0).max(0.25);
        walls.push(Rect::new(x, y, ww, hh));
    }
    Ok(RulesConfig {
        tick_rate,
        snapshot_rate: tick_rate,
        max_players: 6,
        world_size: Vec2::new(w, h),
        walls,
        max_speed: radii_per_tick * radius * tick_rate as f32,
        player_radius: radius,
    })
}

const SPECIAL: [f32; 14] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::MAX,
    f32::MIN,
    f32::MIN_POSITIVE,
    1e-40,
    -1e-45,
    1e30,
    f32::EPSILON,
];

fn component(u: &mut Unstructured<'_>) -> AResult<f32> {
    Ok(match u.int_in_range(0u8..=3)? {
        0 => SPECIAL[u.choose_index(SPECIAL.len())?],
        1 => f32::from_bits(u.arbitrary()?),
        _ => f32::from(u.arbitrary::<i8>()?) / 64.0,
    })
}

fn run(u: &mut Unstructured<'_>) -> AResult<()> {
    let cfg = config(u)?;
    let (size, r) = (cfg.world_size, cfg.player_radius);
    let spawn = (0..=16)
        .flat_map(|i| (0..=16).map(move |j| (i, j)))
        .map(|(i, j)| clamp_to_world(Vec2::new(size.x * i as f32 / 16.0, size.y * j as f32 / 16.0), r, size))
        .find(|p| !cfg.walls.iter().any(|w| w.overlaps_box(*p, r)));
    let Some(spawn) = spawn else { return Ok(()) };
    let log = AppliedLog::default();
    let (rcfg, rlog) = (cfg.clone(), log.clone());
    let game = Game::new("fuzz", |s| {
        s.kind(1, "box").done();
    })
    .rules(move |_, _| FuzzRules {
        cfg: rcfg.clone(),
        spawn,
        log: rlog.clone(),
    })
    .expect("a valid declaration");
    let d = RoomDriver::new(&game, RoomPolicy::default(), 3).expect("valid settings");
    let mut h = Harness {
        d,
        layout: Arc::new(game.schema().record_layout().clone()),
        log,
        cfg,
        players: Vec::new(),
        next_conn: 1,
        sent: 0,
    };
    h.join();
    for _ in 0..400 {
        if u.is_empty() {
            break;
        }
        match u.int_in_range(0u8..=15)? {
            0 if h.players.len() < 4 => h.join(),
            1 if !h.players.is_empty() => {
                let p = h.players.remove(u.choose_index(h.players.len())?);
                h.d.control(Control::Leave {
                    conn: p.conn,
                    reason: LeaveReason::Disconnect,
                    hold: false,
                });
            }
            2..=4 => h.tick(),
            _ if !h.players.is_empty() => {
                let i = u.choose_index(h.players.len())?;
                let p = &mut h.players[i];
                p.seq = match u.int_in_range(0u8..=9)? {
                    0 => p.seq,
                    1 => p.seq.wrapping_sub(u.int_in_range(1..=8)?),
                    2 => p.seq.wrapping_add(1 << 31),
                    3 => p.seq.wrapping_add((1 << 31) - 1),
                    4 => u.arbitrary()?,
                    _ => p.seq.wrapping_add(1),
                };
                let input = InputMsg::new(p.seq, component(u)?, component(u)?, u.arbitrary()?);
                h.d.input_counted(p.conn, input, p.client.clone());
                h.sent += 1;
                p.seqs.entry(input.seq).or_default().0 += 1;
                p.sent_non_finite |= !input.dx.is_finite() || !input.dy.is_finite();
            }
            _ => {}
        }
    }
    // Leavers' inputs may still be queued: drain, then every input sent is accounted for.
    for _ in 0..100 {
        h.tick();
    }
    let i = h.d.stats().inputs();
    assert_eq!(
        i.applied + i.rejected_total + i.dropped_total,
        h.sent,
        "accounting: {i:?}"
    );
    for p in &h.players {
        let (_, a, rj, d) = p.client.read();
        assert!(a + rj + d <= h.sent, "per-client accounting");
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
