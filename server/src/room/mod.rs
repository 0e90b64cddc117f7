//! Rooms: one world, one game-rules value and one tick loop each.
//!
//! [`Room`] is the room's core. It does no I/O and never reads the clock: the runner
//! ([`runner`]) hands it what arrived (`handle_event`, `handle_input`, `handle_message`), calls
//! [`Room::tick`] at the room's rate, and takes what is to be sent out with
//! [`Room::poll_transmit`]. Socket handlers never touch a room; they enqueue into its channels
//! ([`RoomHandle`]).
//!
//! ## The tick, stage by stage
//! 1. **receive** (runner): joins, leaves, inputs and messages are handed to the room. Joins and
//!    leaves change the world here; inputs wait in each seat's queue, messages in the room's.
//! 2. **validate**: per player, replays dropped, non-finite directions rejected, directions
//!    clamped to the unit disc, at most a few inputs picked in `seq` order (the jitter buffer,
//!    [`input_queue`]).
//! 3. **simulate**: the movement step for each picked input (the entity's own speed and size),
//!    then the engine's velocity step for projectiles, then the rules' `on_message` for each
//!    message and `tick`; then world bounds are enforced. Only this stage (and joins/leaves in
//!    stage 1) changes the world.
//! 4. **snapshot**: on snapshot ticks, the world's records are packed once into a shared block,
//!    and each recipient's `tick`/`ack` (and private fields and movement) are wrapped around it.
//!    Clients that acknowledge snapshots get a delta against their newest acknowledged one, still
//!    kept in the room's history ([`tickstate_shared::delta::History`]); the delta is encoded once
//!    per baseline tick and shared by every client on that baseline.
//! 5. **send** (runner): the queued transmits (events, snapshots, closes) go to the links.
//!
//! Rooms run on the server's tick pool ([`pool`]): a few threads step every room on its own
//! absolute deadline.

pub mod acks;
pub mod hooks;
pub mod inbound;
pub mod input_queue;
pub mod link;
pub mod mailbox;
pub mod pool;
pub mod registry;
pub mod runner;
mod seats;
pub mod settings;
pub mod stage;

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tickstate_shared::PROTOCOL_VERSION;
use tickstate_shared::codec::{SharedBlock, encode_delta_snapshot_into, encode_snapshot_into, pack_private};
use tickstate_shared::delta::{Baseline, HISTORY, History, encode_delta};
use tickstate_shared::protocol::{Bye, Left, MovementInfo, PlayerInfo, Welcome, WorldInfo, events};
use tickstate_shared::reasons::{ByeReason, JoinRefusal, LeaveReason, Refusal};
use tickstate_shared::snapshot::Quantizer;

pub use link::{LinkError, PlayerLink};
pub use mailbox::{ConnId, Control, Event, InputEnvelope, JoinRequest, JoinTicket, MessageEnvelope, Transmit};
pub use pool::{PoolGauges, TickPool};
pub use registry::Rooms;
pub use runner::{Inbound, RoomHandle};
pub use seats::Sessions;
pub use settings::{RoomError, RoomPolicy, RoomSettings};
pub use stage::{RoomGauges, Stage, TickOutcome};

use hooks::{Hook, panic_message};
use input_queue::Taken;
use seats::{Deferred, Seat, SeatState, Seats};

use crate::rules::{
    ClientMessage, Ctx, Game, GameRules, Outgoing, PlayerDefaults, PlayerId, PlayerInput, Roster, RosterEntry,
    to_msgpack_value,
};
use crate::schema::Schema;
use crate::sim::World;
use crate::sim::snapshot::SnapshotBuilder;
use crate::stats::{DropReason, RejectReason, Stats};

/// One room's state. See the module docs for the tick stages.
pub struct Room {
    name: String,
    settings: RoomSettings,
    schema: Arc<Schema>,
    world_info: WorldInfo,
    quantizer: Quantizer,
    world: World,
    rules: Box<dyn GameRules>,
    roster: Roster,
    seats: Seats,
    next_player: u32,
    tick: u64,
    rng: SmallRng,
    outbox: Vec<Outgoing>,
    transmits: VecDeque<Transmit>,
    messages: Vec<(PlayerId, ClientMessage)>,
    stats: Arc<Stats>,
    gauges: Arc<RoomGauges>,
    sessions: Arc<Sessions>,
    empty_ticks: u64,
    stopped: bool,
    // Scratch buffers reused every tick.
    batch: Vec<PlayerInput>,
    snap: SnapshotBuilder,
    private_buf: Vec<u8>,
    /// The last snapshots sent, the baselines of delta snapshots (shared by the room's clients).
    history: History,
    /// This tick's delta blocks, one per baseline tick in use.
    deltas: Vec<(u32, SharedBlock)>,
    delta_buf: Vec<u8>,
    /// The records of the last snapshot while no client acks (a copy), so that the first ack has
    /// a baseline.
    last_records: Vec<u8>,
    last_tick: u32,
}

impl Room {
    /// Creates a room for `game` and runs its rules' `on_start` hook.
    ///
    /// # Errors
    /// [`RoomError::InvalidSettings`] when the rules' rates, world size or speeds are unusable.
    pub fn new(
        name: &str,
        game: &Game,
        policy: RoomPolicy,
        stats: Arc<Stats>,
        sessions: Arc<Sessions>,
        seed: u64,
    ) -> Result<Self, RoomError> {
        let rules = game.rules(name);
        let cfg = rules.config();
        let settings = RoomSettings::resolve(&cfg, &policy)?;
        let size = cfg.world_size;
        let schema = game.schema().clone();
        let mut room = Self {
            name: name.to_owned(),
            world_info: WorldInfo {
                width: size.x,
                height: size.y,
                walls: cfg.walls.iter().map(|w| [w.x, w.y, w.w, w.h]).collect(),
            },
            quantizer: Quantizer::new(size.x, size.y),
            world: World::new(size, cfg.walls.clone(), schema.clone()),
            schema,
            rules,
            roster: Roster::default(),
            seats: Seats::default(),
            next_player: 1,
            tick: 0,
            rng: SmallRng::seed_from_u64(seed),
            outbox: Vec::new(),
            transmits: VecDeque::new(),
            messages: Vec::new(),
            stats,
            gauges: Arc::new(RoomGauges::default()),
            sessions,
            empty_ticks: 0,
            stopped: false,
            batch: Vec::new(),
            snap: SnapshotBuilder::default(),
            private_buf: Vec::new(),
            history: History::default(),
            deltas: Vec::new(),
            delta_buf: Vec::new(),
            last_records: Vec::new(),
            last_tick: 0,
            settings,
        };
        room.hook(Hook::OnStart, |rules, ctx| rules.on_start(ctx));
        room.flush_outbox();
        Ok(room)
    }

    /// The room's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Resolved settings.
    pub fn settings(&self) -> &RoomSettings {
        &self.settings
    }
    /// The world (read-only), for tests and tools.
    pub fn world(&self) -> &World {
        &self.world
    }
    /// The current tick number.
    pub fn tick_number(&self) -> u64 {
        self.tick
    }
    /// Number of players (held seats included).
    pub fn player_count(&self) -> usize {
        self.roster.len()
    }
    /// True once the room stopped (shutdown, failed rules or idle).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }
    /// Gauges for `/stats`.
    pub fn gauges(&self) -> Arc<RoomGauges> {
        self.gauges.clone()
    }
    /// The player a connection plays.
    pub fn player_of(&self, conn: ConnId) -> Option<PlayerId> {
        self.seats.player_of(conn)
    }
    /// The entity of a connection's player.
    pub fn entity_of(&self, conn: ConnId) -> Option<crate::sim::EntityKey> {
        let id = self.seats.player_of(conn)?;
        self.roster.get(id)?.entity
    }
    /// The rules value, for tests that check its state (downcast with `Any` in the rules type).
    pub fn rules(&self) -> &dyn GameRules {
        &*self.rules
    }
    /// A player's private field values (what its snapshots carry).
    pub fn private_values(&self, id: PlayerId) -> Option<&[tickstate_shared::FieldValue]> {
        self.roster.get(id).map(|p| p.private.as_slice())
    }

    /// The next thing to send, in order. The runner drains this after every `handle_*` and tick.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    // ---- stage 1: receive -------------------------------------------------------------------

    /// A join, leave, ready or shutdown.
    pub fn handle_event(&mut self, e: Event) {
        if self.stopped {
            if let Event::Join(r) = e {
                self.answer(r.conn, Err(JoinRefusal::new(Refusal::RoomUnavailable)));
            }
            return;
        }
        match e {
            Event::Join(r) => self.join(r),
            Event::Abandoned(conn) => self.abandon(conn),
            Event::Ready(conn) => self.ready(conn),
            Event::Leave { conn, reason, hold } => {
                if let Some(id) = self.seats.player_of(conn) {
                    if hold && self.settings.hold_ticks > 0 {
                        self.hold_player(id);
                    } else {
                        self.remove_player(id, reason);
                    }
                }
            }
            Event::Shutdown => self.shutdown("the server is shutting down"),
        }
    }

    /// An input from a connection: queued in its player's seat until the validate stage.
    pub fn handle_input(&mut self, env: InputEnvelope) {
        let cap = self.settings.inputs.capacity;
        match self.seats.by_conn_mut(env.conn) {
            Some(seat) => {
                if seat.inputs.push(env.input, cap) {
                    self.stats.dropped_for(&seat.client, DropReason::BufferFull, 1);
                }
            }
            None => self.stats.dropped_for(&env.client, DropReason::UnknownPlayer, 1),
        }
    }

    /// A connection acknowledged receiving the snapshot of `tick`: its next snapshots may be
    /// deltas against it. An ack for a tick not sent to it (or older than one it acked) is
    /// ignored and counted.
    pub fn handle_snapshot_ack(&mut self, conn: ConnId, tick: u32) {
        let accepted = self.seats.by_conn_mut(conn).is_some_and(|seat| seat.acks.ack(tick));
        if !accepted {
            self.gauges.snapshot_acks_ignored.fetch_add(1, Relaxed);
        }
    }

    /// A decoded message from a connection: delivered to the rules in the simulate stage.
    pub fn handle_message(&mut self, env: MessageEnvelope) {
        match self.seats.player_of(env.conn) {
            Some(id) if !self.stopped => self.messages.push((id, env.message)),
            _ => self.stats.messages.dropped(crate::stats::MessageDrop::UnknownPlayer),
        }
    }

    fn answer(&mut self, conn: ConnId, result: Result<Welcome, JoinRefusal>) {
        self.transmits.push_back(Transmit::Answer {
            conn,
            result: result.map(Box::new),
        });
    }

    fn join(&mut self, r: JoinRequest) {
        if self.seats.player_of(r.conn).is_some() {
            return self.answer(
                r.conn,
                Err(JoinRefusal::with_detail(Refusal::InvalidAuth, "already joined")),
            );
        }
        if r.resume.is_some() {
            return self.resume(r);
        }
        if self.roster.len() >= self.settings.max_players {
            return self.answer(r.conn, Err(JoinRefusal::new(Refusal::RoomFull)));
        }
        let Some(net_id) = self.world.reserve_net_id() else {
            return self.answer(
                r.conn,
                Err(JoinRefusal::with_detail(Refusal::RoomFull, "the world is full")),
            );
        };
        let id = PlayerId(self.next_player);
        let name = if r.name.is_empty() {
            format!("Player {net_id}")
        } else {
            r.name.clone()
        };
        let verdict = self.hook(Hook::OnJoinAttempt, |rules, ctx| {
            rules.on_join_attempt(
                ctx,
                &crate::rules::JoinRequest {
                    name: &name,
                    options: &r.options,
                    identity: r.identity.as_ref(),
                },
            )
        });
        let refuse = |room: &mut Self, why: JoinRefusal| {
            room.world.release_net_id(net_id);
            room.answer(r.conn, Err(why));
        };
        match verdict {
            None => return refuse(self, JoinRefusal::new(Refusal::RoomUnavailable)),
            Some(Err(why)) => return refuse(self, why),
            Some(Ok(())) => {}
        }
        self.next_player += 1;
        self.roster.insert(RosterEntry {
            id,
            net_id,
            name: name.clone(),
            entity: None,
            away: false,
            identity: r.identity.clone(),
            private: self.schema.doc().private.iter().map(|f| f.ty.default_value()).collect(),
        });
        let spawn = self.hook(Hook::OnJoin, |rules, ctx| {
            rules.on_join(
                ctx,
                id,
                &crate::rules::JoinRequest {
                    name: &name,
                    options: &r.options,
                    identity: r.identity.as_ref(),
                },
            )
        });
        let Some(spawn) = spawn else {
            // The hook panicked and the room is stopped (its players were told).
            return refuse(self, JoinRefusal::new(Refusal::RoomUnavailable));
        };
        let mut movement = [self.settings.max_speed, self.settings.player_radius];
        if let Some(sp) = spawn {
            let pos = if sp.pos.is_finite() {
                sp.pos
            } else {
                self.world.size() / 2.0
            };
            let radius = sp.radius.unwrap_or(self.settings.player_radius);
            let speed = sp.speed.unwrap_or(self.settings.max_speed);
            match self.world.spawn_player(sp.kind, pos, radius, speed, id, net_id) {
                Ok(key) => {
                    if let Some(p) = self.roster.get_mut(id) {
                        p.entity = Some(key);
                    }
                    if let Some(e) = self.world.get(key) {
                        movement = [e.speed, e.radius];
                    }
                }
                Err(e) => {
                    self.roster.remove(id);
                    return refuse(self, JoinRefusal::with_detail(Refusal::RoomUnavailable, e.to_string()));
                }
            }
        }
        // 128 random bits from the OS-seeded CSPRNG: unguessable.
        let token = format!("{:032x}", rand::random::<u128>());
        let welcome = self.welcome(net_id, &token, movement);
        self.seats.insert(Seat {
            player: id,
            conn: Some(r.conn),
            token: token.clone(),
            state: SeatState::Joining { since: self.tick },
            was_ready: false,
            announced: false,
            client: r.client,
            inputs: Default::default(),
            deferred: VecDeque::new(),
            needs_snapshot: false,
            welcome_movement: movement,
            acks: Default::default(),
        });
        self.sessions.insert(&token, &self.name);
        tracing::info!(room = %self.name, player = %id, net_id, name = %name, "player joined");
        self.answer(r.conn, Ok(welcome));
        self.flush_outbox();
    }

    /// The `welcome` for the player with network id `net_id`.
    fn welcome(&self, net_id: u16, token: &str, movement: [f32; 2]) -> Welcome {
        Welcome {
            protocol: PROTOCOL_VERSION,
            game: self.schema.game().to_owned(),
            id: net_id,
            room: self.name.clone(),
            token: token.to_owned(),
            tick_rate: self.settings.tick_rate,
            snapshot_rate: self.settings.snapshot_rate,
            tick: self.tick as u32,
            world: self.world_info.clone(),
            movement: MovementInfo {
                max_speed: movement[0],
                radius: movement[1],
                dt: self.settings.dt(),
            },
            schema: self.schema.doc().clone(),
            players: self
                .roster
                .iter()
                .map(|p| PlayerInfo {
                    id: p.net_id,
                    name: p.name.clone(),
                })
                .collect(),
            deltas: HISTORY as u32,
        }
    }

    /// Gives a held (or still connected) player's seat to a new connection presenting its token.
    fn resume(&mut self, r: JoinRequest) {
        let token = r.resume.clone().unwrap_or_default();
        let Some(id) = self.seats.by_token(&token) else {
            return self.answer(r.conn, Err(JoinRefusal::new(Refusal::InvalidToken)));
        };
        let Some(entry) = self.roster.get(id) else {
            return self.answer(r.conn, Err(JoinRefusal::new(Refusal::InvalidToken)));
        };
        let net_id = entry.net_id;
        let movement = entry
            .entity
            .and_then(|k| self.world.get(k))
            .map_or([self.settings.max_speed, self.settings.player_radius], |e| {
                [e.speed, e.radius]
            });
        let welcome = self.welcome(net_id, &token, movement);
        let Some(seat) = self.seats.get_mut(id) else { return };
        let was_held = matches!(seat.state, SeatState::Held { .. });
        // Newest connection wins: the old one, if still open, is told and closed.
        if let Some(old) = seat.conn {
            if let Ok(v) = to_msgpack_value(&Bye {
                reason: ByeReason::Replaced,
                message: "this player connected again elsewhere".into(),
            }) {
                self.transmits.push_back(Transmit::Event {
                    conn: old,
                    event: events::BYE.into(),
                    data: Arc::new(v),
                    tick: None,
                });
            }
            self.transmits.push_back(Transmit::Close { conn: old });
        }
        seat.client = r.client;
        seat.state = SeatState::Joining { since: self.tick };
        seat.needs_snapshot = true;
        seat.welcome_movement = movement;
        seat.acks.reset();
        self.seats.rebind(id, Some(r.conn));
        if let Some(p) = self.roster.get_mut(id) {
            p.away = false;
            if let Some(e) = p.entity.and_then(|k| self.world.get_mut(k)) {
                e.away = false;
            }
        }
        tracing::info!(room = %self.name, player = %id, "player resumed its session");
        self.answer(r.conn, Ok(welcome));
        if was_held {
            self.hook(Hook::OnReconnect, |rules, ctx| rules.on_reconnect(ctx, id));
        }
        self.flush_outbox();
    }

    /// The connection admitted just now gave up before its `welcome` reached it: undo silently
    /// (a resume goes back to being held).
    fn abandon(&mut self, conn: ConnId) {
        let Some(id) = self.seats.player_of(conn) else { return };
        let was_ready = self.seats.get(id).is_some_and(|s| s.was_ready);
        if was_ready {
            self.hold_player(id);
        } else {
            tracing::debug!(room = %self.name, player = %id, "join abandoned by the connection");
            self.remove_player(id, LeaveReason::Timeout);
        }
    }

    fn ready(&mut self, conn: ConnId) {
        let Some(id) = self.seats.player_of(conn) else { return };
        let Some(seat) = self.seats.get_mut(id) else { return };
        if !matches!(seat.state, SeatState::Joining { .. }) {
            return;
        }
        seat.state = SeatState::Ready;
        seat.was_ready = true;
        for d in seat.deferred.drain(..) {
            self.transmits.push_back(Transmit::Event {
                conn,
                event: d.event,
                data: d.data,
                tick: d.tick,
            });
        }
        if !seat.announced {
            seat.announced = true;
            if let Some(p) = self.roster.get(id)
                && let Ok(v) = to_msgpack_value(&PlayerInfo {
                    id: p.net_id,
                    name: p.name.clone(),
                })
            {
                self.notify_all_except(id, events::JOINED, Arc::new(v));
            }
        }
    }

    /// Keeps a dropped player's seat and entity for the hold period; others see it as away.
    fn hold_player(&mut self, id: PlayerId) {
        let Some(seat) = self.seats.get_mut(id) else { return };
        if matches!(seat.state, SeatState::Held { .. }) {
            return;
        }
        seat.state = SeatState::Held { since: self.tick };
        self.seats.rebind(id, None);
        if let Some(p) = self.roster.get_mut(id) {
            p.away = true;
            if let Some(e) = p.entity.and_then(|k| self.world.get_mut(k)) {
                e.away = true;
            }
        }
        tracing::info!(room = %self.name, player = %id, "connection dropped; seat held");
        self.hook(Hook::OnDisconnect, |rules, ctx| rules.on_disconnect(ctx, id));
        self.flush_outbox();
    }

    fn expire_seats(&mut self) {
        let tick = self.tick;
        let ready_limit = self.settings.ready_timeout_ticks;
        let hold = self.settings.hold_ticks;
        let mut late = Vec::new();
        let mut expired = Vec::new();
        for (id, s) in self.seats.iter() {
            match s.state {
                SeatState::Joining { since } if tick.saturating_sub(since) > ready_limit => {
                    late.push((*id, s.was_ready))
                }
                SeatState::Held { since } if tick.saturating_sub(since) > hold => expired.push(*id),
                _ => {}
            }
        }
        for (id, was_ready) in late {
            if was_ready {
                // A resumed connection that died before it was ready: hold the seat again.
                self.hold_player(id);
            } else {
                tracing::debug!(room = %self.name, player = %id, "connection never became ready; removed");
                self.remove_player(id, LeaveReason::Timeout);
            }
        }
        for id in expired {
            tracing::info!(room = %self.name, player = %id, "held seat expired");
            self.remove_player(id, LeaveReason::Timeout);
        }
    }

    fn remove_player(&mut self, id: PlayerId, reason: LeaveReason) {
        if self.roster.get(id).is_none() {
            return;
        }
        self.hook(Hook::OnLeave, |rules, ctx| rules.on_leave(ctx, id, reason));
        let Some(p) = self.roster.remove(id) else { return };
        if let Some(k) = p.entity {
            self.world.remove(k);
        }
        self.world.release_net_id(p.net_id);
        if let Some(mut seat) = self.seats.remove(id) {
            self.sessions.remove(&seat.token);
            let unused = seat.inputs.discard() as u64;
            if unused > 0 {
                self.stats.dropped_for(&seat.client, DropReason::UnknownPlayer, unused);
            }
            if reason == LeaveReason::Kicked
                && let Some(conn) = seat.conn
            {
                self.transmits.push_back(Transmit::Close { conn });
            }
            if seat.announced
                && let Ok(v) = to_msgpack_value(&Left { id: p.net_id, reason })
            {
                self.notify_all_except(id, events::LEFT, Arc::new(v));
            }
        }
        self.messages.retain(|(from, _)| *from != id);
        tracing::info!(room = %self.name, player = %id, reason = reason.as_str(), "player left");
        self.flush_outbox();
    }

    // ---- stages 2 to 4: the tick ------------------------------------------------------------

    /// Runs stages 2 to 4 (see the module docs); `mark` is called as each one ends (the runner
    /// times stages with it; tests pass a no-op).
    pub fn tick(&mut self, mark: &mut dyn FnMut(Stage)) -> TickOutcome {
        if self.stopped {
            return TickOutcome::Stopped;
        }
        self.world.tick = self.tick;
        self.expire_seats();
        self.validate();
        mark(Stage::Validate);
        self.simulate();
        mark(Stage::Simulate);
        if self.stopped {
            return TickOutcome::Stopped;
        }
        self.snapshot();
        mark(Stage::Snapshot);
        self.tick += 1;
        self.empty_ticks = if self.roster.is_empty() {
            self.empty_ticks + 1
        } else {
            0
        };
        let idle = self.settings.idle_dispose_ticks;
        if idle > 0 && self.empty_ticks > idle {
            tracing::info!(room = %self.name, "room empty for its idle period; disposing of it");
            self.shutdown("the room was empty");
            return TickOutcome::Stopped;
        }
        self.gauges.ticks.store(self.tick, Relaxed);
        self.gauges.players.store(self.roster.len() as u64, Relaxed);
        self.gauges.entities.store(self.world.len() as u64, Relaxed);
        TickOutcome::Continue
    }

    fn validate(&mut self) {
        self.batch.clear();
        let policy = self.settings.inputs;
        let stats = &self.stats;
        let batch = &mut self.batch;
        for (id, seat) in self.seats.iter_mut() {
            let client = &seat.client;
            seat.inputs.take(&policy, |t| match t {
                Taken::Applied(i, dir) => batch.push(PlayerInput {
                    player: *id,
                    seq: i.seq,
                    dir,
                    buttons: i.buttons,
                    values: i.values,
                }),
                Taken::Replay => stats.dropped_for(client, DropReason::Replay, 1),
                Taken::NonFinite => stats.rejected_for(client, RejectReason::NonFinite, 1),
            });
        }
    }

    fn simulate(&mut self) {
        let dt = self.settings.dt();
        for inp in &self.batch {
            if let Some(seat) = self.seats.get(inp.player) {
                self.stats.applied_for(&seat.client, 1);
            }
            if let Some(key) = self.roster.get(inp.player).and_then(|p| p.entity) {
                self.world.step_entity(key, inp.dir, dt);
            }
        }
        self.world.step_velocities(dt);
        for (from, msg) in std::mem::take(&mut self.messages) {
            self.stats.messages.applied();
            self.hook(Hook::OnMessage, |rules, ctx| rules.on_message(ctx, from, &msg));
        }
        let batch = std::mem::take(&mut self.batch);
        self.hook(Hook::Tick, |rules, ctx| rules.tick(ctx, &batch));
        self.batch = batch;
        self.world.enforce_bounds();
        self.flush_outbox();
    }

    fn snapshot(&mut self) {
        let due = self.settings.snapshot_due(self.tick);
        let wanted = |s: &Seat| s.state == SeatState::Ready && (due || s.needs_snapshot);
        if !self.seats.iter().any(|(_, s)| wanted(s)) {
            return;
        }
        let since = self.tick.saturating_sub(u64::from(self.settings.tick_rate));
        self.snap.build(&self.world, &self.quantizer, since);
        let tick = self.tick as u32;
        // Baselines are kept only while some client decodes deltas: a room of clients that never
        // acknowledge does exactly what it did before deltas existed.
        let layout = self.schema.record_layout();
        let current = if self.seats.iter().any(|(_, s)| s.acks.enabled) {
            // The first acks name a snapshot sent while nobody acked: its raw records were kept.
            if self.history.latest().is_none()
                && let Some(b) = Baseline::from_block(self.last_tick, &self.last_records, layout).ok()
            {
                self.history.push(b);
            }
            Baseline::from_block(tick, self.snap.records(), layout).ok()
        } else {
            self.history.clear();
            self.last_records.clear();
            self.last_records.extend_from_slice(self.snap.records());
            self.last_tick = tick;
            None
        };
        self.deltas.clear();
        let mut full_used = false;
        let private_fields = &self.schema.doc().private;
        for (id, seat) in self.seats.iter_mut() {
            if !wanted(seat) {
                continue;
            }
            let Some(conn) = seat.conn else { continue };
            seat.needs_snapshot = false;
            let entry = self.roster.get(*id);
            let private = if private_fields.is_empty() {
                None
            } else {
                self.private_buf.clear();
                let values = entry.map_or(&[][..], |p| p.private.as_slice());
                pack_private(private_fields, values, &mut self.private_buf);
                Some(self.private_buf.as_slice())
            };
            let movement = entry
                .and_then(|p| p.entity)
                .and_then(|k| self.world.get(k))
                .map(|e| [e.speed, e.radius])
                .filter(|m| *m != seat.welcome_movement);
            // The delta against the client's newest acknowledged snapshot, if the room still has
            // it; encoded once per baseline and shared by every client on it.
            let base = match (&current, seat.acks.acked) {
                (Some(cur), Some(t)) => self.history.get(t).map(|b| (b, cur)),
                _ => None,
            };
            let mut doc = Vec::with_capacity(64);
            match base {
                Some((b, cur)) => {
                    let at = match self.deltas.iter().position(|(t, _)| *t == b.tick) {
                        Some(at) => at,
                        None => {
                            self.delta_buf.clear();
                            encode_delta(b, cur, layout, &mut self.delta_buf);
                            let mut block = SharedBlock::default();
                            block.set(&self.delta_buf, self.snap.teleports());
                            self.deltas.push((b.tick, block));
                            self.deltas.len() - 1
                        }
                    };
                    let block = &self.deltas[at].1;
                    doc.reserve(block.len() + 16);
                    encode_delta_snapshot_into(&mut doc, tick, seat.inputs.ack(), b.tick, block, private, movement);
                }
                None => {
                    full_used = true;
                    doc.reserve(self.snap.shared().len() + 16);
                    encode_snapshot_into(&mut doc, tick, seat.inputs.ack(), self.snap.shared(), private, movement);
                }
            }
            seat.acks.sent(tick);
            self.transmits.push_back(Transmit::Snapshot {
                conn,
                doc: Bytes::from(doc),
            });
        }
        let encodes = self.deltas.len() as u64 + u64::from(full_used);
        self.gauges.snapshot_encodes.store(encodes, Relaxed);
        self.gauges.snapshot_encodes_total.fetch_add(encodes, Relaxed);
        if let Some(cur) = current {
            self.history.push(cur);
        }
        self.gauges.baseline_bytes.store(self.history.bytes() as u64, Relaxed);
    }

    // ---- stage 5 (queued here, written by the runner) ---------------------------------------

    fn flush_outbox(&mut self) {
        // Kicks can queue more messages (the `left` notice), so loop until empty.
        while !self.outbox.is_empty() {
            for msg in std::mem::take(&mut self.outbox) {
                match msg {
                    Outgoing::Broadcast { event, data, tick } => {
                        let Some(name) = self.schema.event_name(event).cloned() else {
                            continue;
                        };
                        let data = Arc::new(data);
                        let ids: Vec<PlayerId> = self.seats.ids().collect();
                        for id in ids {
                            self.deliver(id, name.clone(), data.clone(), Some(tick));
                        }
                    }
                    Outgoing::To {
                        player,
                        event,
                        data,
                        tick,
                    } => {
                        if let Some(name) = self.schema.event_name(event).cloned() {
                            self.deliver(player, name, Arc::new(data), Some(tick));
                        }
                    }
                    Outgoing::Kick { player, detail } => {
                        let conn = self.seats.get(player).and_then(|s| s.conn);
                        if let Some(conn) = conn
                            && let Ok(v) = to_msgpack_value(&Bye {
                                reason: ByeReason::Kicked,
                                message: detail,
                            })
                        {
                            self.transmits.push_back(Transmit::Event {
                                conn,
                                event: events::BYE.into(),
                                data: Arc::new(v),
                                tick: None,
                            });
                        }
                        self.remove_player(player, LeaveReason::Kicked);
                    }
                }
            }
        }
    }

    /// Sends an event to a player now, or keeps it in the seat until the player is ready.
    fn deliver(&mut self, id: PlayerId, event: Arc<str>, data: Arc<rmpv::Value>, tick: Option<u32>) {
        let Some(seat) = self.seats.get_mut(id) else { return };
        match (seat.state, seat.conn) {
            (SeatState::Ready, Some(conn)) => self.transmits.push_back(Transmit::Event {
                conn,
                event,
                data,
                tick,
            }),
            _ => {
                if seat.defer(Deferred { event, data, tick }) {
                    self.stats.events_dropped_held.fetch_add(1, Relaxed);
                }
            }
        }
    }

    fn notify_all_except(&mut self, except: PlayerId, event: &'static str, data: Arc<rmpv::Value>) {
        let ids: Vec<PlayerId> = self.seats.ids().filter(|i| *i != except).collect();
        for id in ids {
            self.deliver(id, event.into(), data.clone(), None);
        }
    }

    // ---- hooks, failure and shutdown --------------------------------------------------------

    /// Runs a rules hook with a context, catching panics. `None` means the hook panicked and the
    /// room has been stopped.
    fn hook<R>(&mut self, hook: Hook, f: impl FnOnce(&mut dyn GameRules, &mut Ctx<'_>) -> R) -> Option<R> {
        if self.stopped {
            return None;
        }
        self.world.tick = self.tick;
        let mut ctx = Ctx {
            tick: self.tick,
            tick_rate: self.settings.tick_rate,
            world: &mut self.world,
            roster: &mut self.roster,
            outbox: &mut self.outbox,
            rng: &mut self.rng,
            schema: &self.schema,
            defaults: PlayerDefaults {
                speed: self.settings.max_speed,
                radius: self.settings.player_radius,
            },
        };
        let rules = &mut *self.rules;
        match catch_unwind(AssertUnwindSafe(|| f(rules, &mut ctx))) {
            Ok(r) => Some(r),
            Err(payload) => {
                let msg = panic_message(&*payload);
                tracing::error!(room = %self.name, hook = hook.name(), panic = %msg, "game rules panicked; stopping the room");
                self.fail(hook);
                None
            }
        }
    }

    fn fail(&mut self, hook: Hook) {
        self.outbox.clear();
        self.close_all(
            ByeReason::RoomError,
            &format!("the game rules failed in `{}`; the room was stopped", hook.name()),
        );
    }

    /// Tells every player the room is closing, calls `on_shutdown`, closes every link and stops.
    pub fn shutdown(&mut self, why: &str) {
        if self.stopped {
            return;
        }
        self.hook(Hook::OnShutdown, |rules, ctx| rules.on_shutdown(ctx));
        self.flush_outbox();
        self.close_all(ByeReason::Shutdown, why);
    }

    fn close_all(&mut self, reason: ByeReason, message: &str) {
        let bye = to_msgpack_value(&Bye {
            reason,
            message: message.to_owned(),
        })
        .ok()
        .map(Arc::new);
        let ids: Vec<PlayerId> = self.seats.ids().collect();
        for id in ids {
            let Some(mut seat) = self.seats.remove(id) else {
                continue;
            };
            if let Some(conn) = seat.conn {
                if let Some(b) = &bye {
                    self.transmits.push_back(Transmit::Event {
                        conn,
                        event: events::BYE.into(),
                        data: b.clone(),
                        tick: None,
                    });
                }
                self.transmits.push_back(Transmit::Close { conn });
            }
            self.sessions.remove(&seat.token);
            self.stats
                .dropped_for(&seat.client, DropReason::UnknownPlayer, seat.inputs.discard() as u64);
        }
        for _ in self.messages.drain(..) {
            self.stats.messages.dropped(crate::stats::MessageDrop::UnknownPlayer);
        }
        self.stopped = true;
        self.gauges.players.store(0, Relaxed);
    }
}
