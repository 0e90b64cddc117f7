//! Rooms stepped tick by tick, in memory, with recording links instead of sockets (the test kit's
//! [`RoomDriver`]).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use glam::Vec2;
use tickstate_server::room::{ConnId, Control, JoinRequest, JoinTicket, RoomPolicy, TickOutcome};
use tickstate_server::rules::{
    Ctx, Game, GameRules, JoinRefusal, JoinRequest as RulesJoin, LeaveReason, PlayerId, PlayerInput, Refusal,
    RulesConfig, Spawn,
};
use tickstate_server::sim::Rect;
use tickstate_server::stats::{DropReason, RejectReason, Stats};
use tickstate_shared::InputMsg;
use tickstate_shared::protocol::{Bye, Left, Welcome};
use tickstate_shared::reasons::ByeReason;
use tickstate_testkit::{JoinSpec, RecordingLink, RoomDriver, from_value};

type FakeLink = RecordingLink;

/// A game of plain boxes (kind 1) for the rules under test.
fn test_game<R: GameRules>(make: impl Fn() -> R + Send + Sync + 'static) -> Game {
    Game::new("test", |s| {
        s.kind(1, "box").done();
    })
    .rules(move |_, _| make())
    .unwrap()
}

fn box_kind(ctx: &Ctx<'_>) -> tickstate_server::schema::Kind {
    ctx.schema().kind(1).unwrap()
}

/// Plain rules: open field, spawn in the middle.
#[derive(Default, Clone)]
struct Open {
    panic_in_tick_at: Option<u64>,
}

impl GameRules for Open {
    fn config(&self) -> RulesConfig {
        RulesConfig {
            world_size: Vec2::new(1000.0, 1000.0),
            max_players: 3,
            walls: vec![Rect::new(600.0, 0.0, 50.0, 1000.0)],
            ..RulesConfig::default()
        }
    }
    fn on_join(&mut self, ctx: &mut Ctx<'_>, _p: PlayerId, _r: &RulesJoin<'_>) -> Option<Spawn> {
        Some(Spawn::at(box_kind(ctx), Vec2::new(500.0, 500.0)))
    }
    fn tick(&mut self, ctx: &mut Ctx<'_>, _inputs: &[PlayerInput]) {
        if Some(ctx.tick()) == self.panic_in_tick_at {
            panic!("boom at tick {}", ctx.tick());
        }
    }
}

fn open() -> Game {
    test_game(Open::default)
}

struct Harness {
    d: RoomDriver,
    stats: Arc<Stats>,
}

impl Harness {
    fn new(game: Game) -> Self {
        let d = RoomDriver::new(&game, RoomPolicy::default(), 7).unwrap();
        let stats = d.stats().clone();
        Self { d, stats }
    }

    fn tick(&mut self) -> TickOutcome {
        self.d.tick()
    }

    fn ticks(&mut self, n: usize) {
        self.d.ticks(n);
    }

    /// Joins and readies a player; returns its connection, link and welcome.
    fn join(&mut self, name: &str) -> (ConnId, FakeLink, Welcome) {
        self.d.join(name).expect("join should be accepted")
    }

    fn join_request(
        &mut self,
        name: &str,
    ) -> (
        ConnId,
        FakeLink,
        tokio::sync::oneshot::Receiver<Result<Welcome, JoinRefusal>>,
    ) {
        let link = self.d.link();
        let (conn, rx) = self.d.join_request(
            JoinSpec {
                name: name.into(),
                ..JoinSpec::default()
            },
            Box::new(link.clone()),
            Arc::default(),
        );
        (conn, link, rx)
    }

    fn input(&mut self, conn: ConnId, seq: u32, dx: f32, dy: f32) {
        self.d.input(conn, InputMsg::new(seq, dx, dy, 0));
    }

    fn leave(&mut self, conn: ConnId, hold: bool) {
        self.d.control(Control::Leave {
            conn,
            reason: LeaveReason::Disconnect,
            hold,
        });
    }

    fn pos(&self, conn: ConnId) -> Vec2 {
        self.d
            .room()
            .world()
            .get(self.d.room().entity_of(conn).unwrap())
            .unwrap()
            .pos
    }

    fn assert_accounted(&self, received: u64) {
        let i = self.stats.inputs();
        assert_eq!(
            i.applied + i.rejected_total + i.dropped_total,
            received,
            "every input should be accounted for: {i:?}"
        );
    }
}

#[test]
fn join_gives_a_complete_welcome_and_an_entity() {
    let mut h = Harness::new(open());
    let (conn, _link, w) = h.join("Ada");
    assert_eq!(w.protocol, tickstate_shared::PROTOCOL_VERSION);
    assert_eq!((w.tick_rate, w.snapshot_rate), (60, 30));
    assert_eq!((w.world.width, w.world.height), (1000.0, 1000.0));
    assert_eq!(w.world.walls, vec![[600.0, 0.0, 50.0, 1000.0]]);
    assert_eq!(w.movement.max_speed, 240.0);
    assert_eq!(w.token.len(), 32, "token should be 128 bits in hex");
    assert_eq!(w.players.len(), 1);
    assert_eq!(w.players[0].name, "Ada");
    let e = h.d.room().world().get(h.d.room().entity_of(conn).unwrap()).unwrap();
    assert_eq!(e.net_id(), w.id);
}

#[test]
fn unnamed_players_are_named_after_their_network_id() {
    let mut h = Harness::new(tickstate_server::game::star_collector());
    let (_, _, w) = h.join("");
    let me = w.players.iter().find(|p| p.id == w.id).unwrap();
    assert_eq!(me.name, format!("Player {}", w.id));
}

#[test]
fn inputs_arriving_in_pairs_are_applied_one_per_tick() {
    let mut h = Harness::new(open());
    let (conn, _, w) = h.join("Ada");
    let step = w.movement.max_speed * w.movement.dt;
    let mut seq = 0;
    let mut last = h.pos(conn);
    // Two inputs every other tick (the same rate as one per tick, but bunched by the network).
    for t in 0..20 {
        if t % 2 == 0 {
            for _ in 0..2 {
                seq += 1;
                h.input(conn, seq, 1.0, 0.0);
            }
        }
        h.tick();
        let moved = (h.pos(conn) - last).length();
        last = h.pos(conn);
        assert!(
            (moved - step).abs() < 1e-3,
            "tick {t}: should move exactly one step, moved {moved}"
        );
    }
}

#[test]
fn snapshots_go_out_at_the_snapshot_rate_with_strictly_increasing_ticks() {
    let mut h = Harness::new(open());
    let (_, link, _) = h.join("Ada");
    h.ticks(60);
    let snaps = link.record().snapshots.clone();
    assert!(
        (29..=31).contains(&snaps.len()),
        "60 ticks at 60/30 Hz should give ~30 snapshots, got {}",
        snaps.len()
    );
    assert!(snaps.windows(2).all(|w| w[1].tick > w[0].tick));
}

#[test]
fn inputs_move_at_most_max_speed_and_the_ack_advances() {
    let mut h = Harness::new(open());
    let (conn, link, w) = h.join("Ada");
    h.tick();
    let start = h.pos(conn);
    let step = w.movement.max_speed * w.movement.dt;
    for seq in 1..=10 {
        h.input(conn, seq, -1.0, 0.0);
        let before = h.pos(conn);
        h.tick();
        let moved = (h.pos(conn) - before).length();
        assert!(
            moved <= step + 1e-3,
            "one input should move at most {step}, moved {moved}"
        );
    }
    assert!((h.pos(conn).x - (start.x - 10.0 * step)).abs() < 1e-3);
    h.ticks(2);
    assert_eq!(link.last_snapshot().unwrap().ack, 10);
    h.assert_accounted(10);
}

#[test]
fn at_most_three_inputs_apply_per_tick_and_the_rest_wait() {
    let mut h = Harness::new(open());
    let (conn, _, w) = h.join("Ada");
    let step = w.movement.max_speed * w.movement.dt;
    let start = h.pos(conn);
    for seq in 1..=5 {
        h.input(conn, seq, 0.0, 1.0);
    }
    h.tick();
    assert!(
        (h.pos(conn).y - start.y - 3.0 * step).abs() < 1e-3,
        "three inputs this tick"
    );
    h.tick();
    assert!(
        (h.pos(conn).y - start.y - 4.0 * step).abs() < 1e-3,
        "with two waiting, one per tick"
    );
    h.tick();
    assert!((h.pos(conn).y - start.y - 5.0 * step).abs() < 1e-3, "and the last one");
    h.assert_accounted(5);
}

#[test]
fn replays_duplicates_and_reordering_are_handled_by_seq() {
    let mut h = Harness::new(open());
    let (conn, link, _) = h.join("Ada");
    for seq in [2, 1, 2, 3] {
        h.input(conn, seq, -1.0, 0.0);
    }
    h.tick();
    h.input(conn, 3, -1.0, 0.0); // old
    h.input(conn, 1, -1.0, 0.0); // old
    h.tick();
    h.ticks(2);
    assert_eq!(link.last_snapshot().unwrap().ack, 3);
    assert_eq!(h.stats.dropped(DropReason::Replay), 3);
    assert_eq!(h.stats.inputs_applied.load(Relaxed), 3);
    h.assert_accounted(6);
}

#[test]
fn sequence_numbers_wrap_around() {
    let mut h = Harness::new(open());
    let (conn, link, _) = h.join("Ada");
    for seq in [u32::MAX - 1, u32::MAX, 0, 1] {
        h.input(conn, seq, 1.0, 0.0);
        h.tick();
    }
    h.ticks(2);
    assert_eq!(link.last_snapshot().unwrap().ack, 1);
    assert_eq!(h.stats.inputs_applied.load(Relaxed), 4);
    // A jump of 2^31 is not newer: dropped.
    h.input(conn, 1 + (1 << 31), 1.0, 0.0);
    h.tick();
    assert_eq!(h.stats.dropped(DropReason::Replay), 1);
}

#[test]
fn non_finite_inputs_are_rejected_and_oversize_clamped() {
    let mut h = Harness::new(open());
    let (conn, _, w) = h.join("Ada");
    let start = h.pos(conn);
    h.input(conn, 1, f32::NAN, 0.0);
    h.input(conn, 2, 0.0, f32::INFINITY);
    h.input(conn, 3, -1000.0, -1000.0);
    h.tick();
    assert_eq!(h.stats.rejected(RejectReason::NonFinite), 2);
    let moved = (h.pos(conn) - start).length();
    let step = w.movement.max_speed * w.movement.dt;
    assert!(
        (moved - step).abs() < 1e-3,
        "the oversize input should move exactly one full step, moved {moved}"
    );
    h.assert_accounted(3);
}

#[test]
fn a_flooding_client_loses_its_oldest_inputs_beyond_the_buffer() {
    let mut h = Harness::new(open());
    let (conn, _, _) = h.join("Ada");
    for seq in 1..=50 {
        h.input(conn, seq, 0.0, -1.0);
    }
    h.tick();
    let dropped = h.stats.dropped(DropReason::BufferFull);
    assert_eq!(dropped, 18, "32 kept of 50");
    h.ticks(20);
    h.assert_accounted(50);
}

#[test]
fn walls_and_bounds_hold_for_every_input() {
    let mut h = Harness::new(open());
    let (conn, _, w) = h.join("Ada");
    let r = w.movement.radius;
    for seq in 1..=300 {
        h.input(conn, seq, 1.0, 0.3);
        h.tick();
        let p = h.pos(conn);
        assert!(p.x + r <= 600.0 + 1e-3, "should stop at the wall, at {p}");
        assert!(p.y + r <= 1000.0 && p.y - r >= 0.0);
    }
}

#[test]
fn leaving_removes_the_entity_and_tells_the_others() {
    let mut h = Harness::new(open());
    let (a, _, wa) = h.join("Ada");
    let (_b, link_b, wb) = h.join("Bob");
    assert_eq!(wb.players.len(), 2);
    h.tick();
    assert_eq!(h.d.room().world().len(), 2);
    h.leave(a, false);
    h.ticks(2);
    assert_eq!(h.d.room().world().len(), 1);
    let left = link_b.events("left");
    assert_eq!(left.len(), 1);
    assert_eq!(from_value::<Left>(&left[0]).unwrap().id, wa.id);
    assert!(
        link_b
            .last_snapshot()
            .unwrap()
            .entities
            .iter()
            .all(|e| e.head.id != wa.id)
    );
    // A stale connection's inputs go nowhere.
    h.input(a, 1, 1.0, 0.0);
    h.tick();
    assert_eq!(h.stats.dropped(DropReason::UnknownPlayer), 1);
}

#[test]
fn joined_is_sent_to_the_others_only() {
    let mut h = Harness::new(open());
    let (_, link_a, _) = h.join("Ada");
    let (_, link_b, _) = h.join("Bob");
    h.tick();
    assert_eq!(link_a.events("joined").len(), 1);
    assert_eq!(link_b.events("joined").len(), 0);
}

#[test]
fn a_full_room_refuses_with_room_full() {
    let mut h = Harness::new(open());
    for n in ["a", "b", "c"] {
        h.join(n);
    }
    let (_, _, rx) = h.join_request("d");
    h.tick();
    assert_eq!(rx.blocking_recv().unwrap(), Err(JoinRefusal::new(Refusal::RoomFull)));
}

#[test]
fn a_connection_that_never_becomes_ready_is_removed() {
    let mut h = Harness::new(open());
    let (_, _, rx) = h.join_request("ghost");
    h.tick();
    assert!(rx.blocking_recv().unwrap().is_ok());
    assert_eq!(h.d.room().player_count(), 1);
    h.ticks(60 * 5 + 5);
    assert_eq!(h.d.room().player_count(), 0);
    assert_eq!(h.d.room().world().len(), 0);
}

#[test]
fn an_abandoned_join_leaves_nothing_behind() {
    let mut h = Harness::new(open());
    let (_, link_b, _) = h.join("Bob");
    // The connection gives up (its reply channel is gone) before the room answers.
    let (reply, rx) = tokio::sync::oneshot::channel();
    drop(rx);
    let conn = h.d.next_conn();
    let link = h.d.link();
    h.d.control(Control::Join(JoinTicket {
        request: JoinRequest {
            conn,
            name: "gone".into(),
            client: Arc::default(),
            resume: None,
            options: Default::default(),
            identity: None,
        },
        link: Box::new(link),
        reply,
    }));
    h.tick();
    assert_eq!(h.d.room().player_count(), 1);
    assert!(
        link_b.events("joined").is_empty() && link_b.events("left").is_empty(),
        "nobody heard of it"
    );
    h.leave(h.d.room().player_of(conn).map_or(conn, |_| conn), false);
    assert_eq!(h.d.room().world().len(), 1);
}

#[test]
fn a_panic_in_rules_stops_only_the_room_and_tells_its_players() {
    let mut h = Harness::new(test_game(|| Open {
        panic_in_tick_at: Some(5),
    }));
    let (_, link, _) = h.join("Ada");
    let mut outcome = TickOutcome::Continue;
    for _ in 0..10 {
        outcome = h.tick();
    }
    assert_eq!(outcome, TickOutcome::Stopped);
    assert!(h.d.room().is_stopped());
    let bye = link.events("bye");
    assert_eq!(bye.len(), 1);
    let bye: Bye = from_value(&bye[0]).unwrap();
    assert_eq!(bye.reason, ByeReason::RoomError);
    assert!(
        bye.message.contains("tick"),
        "message should name the hook: {}",
        bye.message
    );
    assert!(link.record().closed);
}

#[test]
fn shutdown_says_bye_to_everyone() {
    let mut h = Harness::new(open());
    let (_, a, _) = h.join("Ada");
    let (_, b, _) = h.join("Bob");
    h.tick();
    h.d.control(Control::Shutdown);
    assert_eq!(h.tick(), TickOutcome::Stopped);
    for l in [a, b] {
        assert_eq!(l.events("bye").len(), 1);
        assert!(l.record().closed);
    }
}

#[test]
fn rules_cannot_place_entities_outside_the_world() {
    struct Wild;
    impl GameRules for Wild {
        fn on_join(&mut self, ctx: &mut Ctx<'_>, _: PlayerId, _: &RulesJoin<'_>) -> Option<Spawn> {
            Some(Spawn::at(box_kind(ctx), Vec2::new(f32::NAN, 1e30)))
        }
        fn tick(&mut self, ctx: &mut Ctx<'_>, _: &[PlayerInput]) {
            let keys: Vec<_> = ctx.world().iter().map(|(k, _)| k).collect();
            for k in keys {
                ctx.world_mut().get_mut(k).unwrap().pos = Vec2::new(-5e9, f32::INFINITY);
            }
        }
    }
    let mut h = Harness::new(test_game(|| Wild));
    let (_, link, _) = h.join("Ada");
    h.ticks(3);
    let size = h.d.room().world().size();
    for (_, e) in h.d.room().world().iter() {
        assert!(
            e.pos.is_finite() && e.pos.x >= 0.0 && e.pos.x <= size.x && e.pos.y >= 0.0 && e.pos.y <= size.y,
            "{:?}",
            e.pos
        );
    }
    assert!(link.snapshot_count() > 0);
}

#[test]
fn rules_can_kick_a_player() {
    struct Kicker;
    impl GameRules for Kicker {
        fn on_join(&mut self, ctx: &mut Ctx<'_>, _: PlayerId, _: &RulesJoin<'_>) -> Option<Spawn> {
            Some(Spawn::at(box_kind(ctx), Vec2::new(50.0, 50.0)))
        }
        fn tick(&mut self, ctx: &mut Ctx<'_>, inputs: &[PlayerInput]) {
            for i in inputs {
                if i.buttons & 1 == 1 {
                    ctx.kick(i.player, "pressed the red button");
                }
            }
        }
    }
    let mut h = Harness::new(test_game(|| Kicker));
    let (a, link_a, _) = h.join("Ada");
    let (_, link_b, _) = h.join("Bob");
    h.d.input(a, InputMsg::new(1, 0.0, 0.0, 1));
    h.ticks(2);
    let bye: Bye = from_value(&link_a.events("bye")[0]).unwrap();
    assert_eq!(
        (bye.reason, bye.message.as_str()),
        (ByeReason::Kicked, "pressed the red button")
    );
    assert!(link_a.record().closed);
    let left: Left = from_value(&link_b.events("left")[0]).unwrap();
    assert_eq!(left.reason, LeaveReason::Kicked);
    assert_eq!(h.d.room().player_count(), 1);
}

// ---- sessions: hold, resume, replace, expire; room disposal --------------------------------

impl Harness {
    fn resume(&mut self, token: &str) -> (ConnId, FakeLink, Result<Welcome, JoinRefusal>) {
        match self.d.resume(token) {
            Ok((conn, link, w)) => (conn, link, Ok(w)),
            Err(e) => (ConnId(0), self.d.link(), Err(e)),
        }
    }
}

#[test]
fn a_dropped_player_is_held_then_resumes_the_same_entity_and_inputs_apply_once() {
    let mut h = Harness::new(open());
    let (a, _, wa) = h.join("Ada");
    let (_, link_b, _) = h.join("Bob");
    for seq in 1..=5 {
        h.input(a, seq, 1.0, 0.0);
        h.tick();
    }
    let entity = h.d.room().entity_of(a).unwrap();
    let pos = h.d.room().world().get(entity).unwrap().pos;
    h.leave(a, true);
    h.ticks(4);
    // Others see the ship as away (bit 7 of the kind), nobody got `left`.
    let seen = link_b
        .last_snapshot()
        .unwrap()
        .entities
        .into_iter()
        .find(|e| e.head.id == wa.id)
        .unwrap();
    assert!(seen.head.away && seen.head.kind == 1);
    assert!(link_b.events("left").is_empty());
    assert_eq!(h.d.room().player_count(), 2, "the seat is held");
    // Resume: same id, same entity, same place; a full snapshot arrives at once.
    let (a2, link_a2, w) = h.resume(&wa.token);
    let w = w.expect("the token should resume the session");
    assert_eq!(w.id, wa.id);
    assert_eq!(h.d.room().entity_of(a2), Some(entity));
    assert_eq!(h.d.room().world().get(entity).unwrap().pos, pos);
    h.tick();
    let first = link_a2.last_snapshot().unwrap();
    assert_eq!(first.ack, 5, "the ack survives the reconnect");
    assert!(
        !first.entities.iter().find(|e| e.head.id == wa.id).unwrap().head.away,
        "no longer away"
    );
    // The client resends what it had not seen acknowledged (4, 5 were applied) plus new ones.
    for seq in 4..=8 {
        h.input(a2, seq, 1.0, 0.0);
    }
    h.ticks(5);
    assert_eq!(h.stats.dropped(DropReason::Replay), 2, "4 and 5 are not applied twice");
    assert_eq!(h.stats.inputs_applied.load(Relaxed), 8, "each seq applied exactly once");
}

#[test]
fn the_newest_connection_wins_and_the_old_one_is_told() {
    let mut h = Harness::new(open());
    let (a, link_a, wa) = h.join("Ada");
    let (a2, _, w) = h.resume(&wa.token);
    assert_eq!(w.unwrap().id, wa.id);
    let bye: Bye = from_value(&link_a.events("bye")[0]).unwrap();
    assert_eq!(bye.reason, ByeReason::Replaced);
    assert!(link_a.record().closed);
    // The old connection's late Leave does not remove the player.
    h.leave(a, true);
    h.ticks(2);
    assert_eq!(h.d.room().player_count(), 1);
    assert!(h.d.room().entity_of(a2).is_some());
    assert_eq!(h.d.room().world().len(), 1, "exactly one entity");
}

#[test]
fn a_held_seat_expires_and_its_token_stops_working() {
    let mut h = Harness::new(open());
    let (a, _, wa) = h.join("Ada");
    let (_, link_b, _) = h.join("Bob");
    h.leave(a, true);
    h.ticks(20 * 60 + 5);
    assert_eq!(h.d.room().player_count(), 1);
    let left: Left = from_value(&link_b.events("left")[0]).unwrap();
    assert_eq!((left.id, left.reason), (wa.id, LeaveReason::Timeout));
    let (_, _, again) = h.resume(&wa.token);
    assert_eq!(again.unwrap_err(), JoinRefusal::new(Refusal::InvalidToken));
    let (_, _, bad) = h.resume("not-a-token");
    assert_eq!(bad.unwrap_err(), JoinRefusal::new(Refusal::InvalidToken));
    assert_eq!(h.d.room().player_count(), 1, "bad tokens create nothing");
}

#[test]
fn an_empty_room_disposes_of_itself_after_its_idle_period() {
    let mut h = Harness::new(open());
    let (a, _, _) = h.join("Ada");
    h.leave(a, false);
    let mut ticks = 0;
    while h.tick() == TickOutcome::Continue {
        ticks += 1;
        assert!(ticks < 60 * 31, "the room should stop after 30 s empty");
    }
    assert!(ticks >= 60 * 30, "not before its idle period ({ticks} ticks)");
}

#[test]
fn a_standing_input_queue_drains_instead_of_adding_a_tick_of_latency_forever() {
    let mut h = Harness::new(open());
    let (conn, link, _) = h.join("Ada");
    // One bunched arrival (two inputs at once), then exactly one input per tick, for a second.
    h.input(conn, 1, 1.0, 0.0);
    let mut seq = 1;
    for _ in 0..60 {
        seq += 1;
        h.input(conn, seq, 1.0, 0.0);
        h.tick();
    }
    // The extra input no longer waits: the last one sent is applied in the tick it arrived.
    let ack = link.last_snapshot().unwrap().ack;
    assert!(
        ack >= seq - 1,
        "ack {ack} should be within a snapshot interval of {seq}"
    );
    h.tick();
    assert_eq!(
        h.stats.inputs_applied.load(Relaxed),
        u64::from(seq),
        "all applied, none waiting"
    );
    // And for the next second each input is applied in its own tick: the acks track the sends.
    for _ in 0..10 {
        seq += 1;
        h.input(conn, seq, 1.0, 0.0);
        h.tick();
        assert_eq!(h.stats.inputs_applied.load(Relaxed), u64::from(seq));
    }
}
