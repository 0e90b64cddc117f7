//! Rooms: one world, one game-rules value and one tick loop each.
//!
//! A [`Room`] is plain synchronous state, stepped by [`Room::tick`]; the runner in [`runner`] calls
//! it from the room's own OS thread at a fixed rate. Socket handlers never touch a room: they put
//! [`Control`] messages and inputs into its two channels ([`RoomHandle`]) and the tick drains them.
//!
//! ## The tick, stage by stage
//! 1. **receive**: drain the control channel (joins, ready, leaves, shutdown) and the input channel
//!    into each player's pending buffer. Only this stage reads the channels.
//! 2. **validate**: per player, drop replays (by wrap-aware `seq`), reject non-finite directions,
//!    clamp directions to the unit disc, and pick at most `max_inputs_per_tick` in `seq` order.
//! 3. **simulate**: apply the movement step for each picked input, then the game rules' `tick`
//!    hook; then enforce world bounds. Only this stage (and joins/leaves in stage 1) changes the world.
//! 4. **snapshot**: on snapshot ticks, pack the world's entities once and stamp each recipient's
//!    `tick`/`ack` header on a copy.
//! 5. **send**: hand rules' events and the snapshots to the players' links (non-blocking,
//!    snapshots latest-wins).

pub mod driver;
pub mod link;
pub mod registry;
pub mod runner;

use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{Receiver, TryRecvError};

use bytes::Bytes;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tickstate_shared::PROTOCOL_VERSION;
use tickstate_shared::codec::encode_snapshot;
use tickstate_shared::protocol::{
    Bye, InputMsg, Left, MovementInfo, PlayerInfo, Welcome, WorldInfo, events, seq_newer,
};
use tickstate_shared::snapshot::{EntityRecord, Quantizer};
use tokio::sync::oneshot;

pub use link::{LinkError, PlayerLink};
pub use registry::{Rooms, RulesFactory};
pub use runner::{RoomHandle, spawn_room};

use crate::rules::{
    Ctx, GameRules, JoinRequest, LeaveReason, Outgoing, PlayerDirectory, PlayerId, PlayerInput, PlayerView,
    to_msgpack_value,
};
use crate::sim::movement::{step, validate_direction};
use crate::sim::snapshot::build_entity_block;
use crate::sim::{EntityKey, MoveParams, World};
use crate::stats::{ClientStats, DropReason, RejectReason, Stats, TickTimes};

/// Ticks a player's input queue may keep inputs waiting before one extra input drains it.
const DRAIN_AFTER_TICKS: u32 = 6;

/// Identifies one connection to the server (assigned by the network layer, never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId(pub u64);

/// Why a room refused a join; the text is sent as the `connect_error` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// A join request travelling from the connect middleware to the room.
pub struct JoinTicket {
    /// The connection asking.
    pub conn: ConnId,
    /// Sanitized display name (may be empty: the room then names the player).
    pub name: String,
    /// Where the room sends this player's messages.
    pub link: Box<dyn PlayerLink>,
    /// The connection's input counters.
    pub client: Arc<ClientStats>,
    /// A resume token from an earlier `welcome`: take back that player's seat and entity.
    pub resume: Option<String>,
    /// Gets the `welcome` or the refusal.
    pub reply: oneshot::Sender<Result<Welcome, Refusal>>,
}

/// Messages to a room other than inputs. The control channel is unbounded: its messages are few
/// (at most a handful per connection) and must never be lost.
pub enum Control {
    /// A connection wants to join.
    Join(JoinTicket),
    /// The connection got its `welcome`; start sending it snapshots.
    Ready(ConnId),
    /// The connection closed. With `hold`, the player's seat and entity are kept for the hold
    /// period so that it can come back with its token; otherwise the player leaves now.
    Leave(ConnId, LeaveReason, bool),
    /// Stop the room: tell every player and end the tick loop.
    Shutdown,
}

/// An input on its way to a room.
#[derive(Debug, Clone)]
pub struct InputEnvelope {
    /// The connection it came from (the only thing that decides whose entity moves).
    pub conn: ConnId,
    /// The input as decoded.
    pub input: InputMsg,
    /// The sending connection's counters.
    pub client: Arc<ClientStats>,
}

/// Engine settings of a room, resolved from the rules' config and the server's overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomSettings {
    /// Ticks per second.
    pub tick_rate: u32,
    /// Snapshots per second.
    pub snapshot_rate: u32,
    /// Maximum players.
    pub max_players: usize,
    /// Inputs applied per player per tick at most.
    pub max_inputs_per_tick: usize,
    /// Inputs a player may have waiting; older ones are dropped beyond it.
    pub input_buffer: usize,
    /// Inputs allowed to wait before a tick applies more than one (evens out network jitter).
    pub input_jitter_buffer: usize,
    /// Ticks a joined connection may take to become ready before it is removed.
    pub ready_timeout_ticks: u64,
    /// Ticks a dropped player's seat and entity are held for it to come back (0: not held).
    pub hold_ticks: u64,
    /// Ticks a room may stay empty before it disposes of itself (0: never).
    pub idle_dispose_ticks: u64,
    /// Seed of the rules' random number generator.
    pub seed: u64,
}

struct Player {
    conn: ConnId,
    name: String,
    entity: EntityKey,
    net_id: u16,
    link: Box<dyn PlayerLink>,
    client: Arc<ClientStats>,
    token: String,
    /// Set while the connection is gone and the seat is held: the tick it dropped.
    held_since: Option<u64>,
    /// Send a snapshot on the next tick even if it is not a snapshot tick (after a resume).
    needs_snapshot: bool,
    /// Became ready at least once (a resumed connection that dies again is held, not removed).
    was_ready: bool,
    ready: bool,
    joined_tick: u64,
    /// Messages for this player queued before it was ready.
    early: Vec<(String, rmpv::Value)>,
    pending: VecDeque<InputMsg>,
    last_applied: u32,
    any_applied: bool,
    closed_sends: u32,
    /// Consecutive ticks that left inputs waiting (see `validate`).
    standing_ticks: u32,
}

struct Players {
    map: HashMap<PlayerId, Player>,
}

impl PlayerDirectory for Players {
    fn view(&self, id: PlayerId) -> Option<PlayerView<'_>> {
        self.map.get(&id).map(|p| PlayerView {
            id,
            name: &p.name,
            entity: p.entity,
        })
    }
    fn all(&self) -> Vec<PlayerView<'_>> {
        let mut v: Vec<_> = self
            .map
            .iter()
            .map(|(id, p)| PlayerView {
                id: *id,
                name: &p.name,
                entity: p.entity,
            })
            .collect();
        v.sort_by_key(|p| p.id);
        v
    }
}

/// Which room each live resume token belongs to, shared by every room and the connect middleware.
/// Rooms add a token when a player joins and remove it when the player finally leaves.
#[derive(Debug, Default)]
pub struct Sessions {
    map: std::sync::Mutex<HashMap<String, String>>,
}

impl Sessions {
    /// The room a live token belongs to.
    pub fn room_of(&self, token: &str) -> Option<String> {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).get(token).cloned()
    }
    fn insert(&self, token: &str, room: &str) {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.to_owned(), room.to_owned());
    }
    fn remove(&self, token: &str) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(token);
    }
}

/// What a tick asks of the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickOutcome {
    /// Keep ticking.
    Continue,
    /// The room has stopped (shutdown or failed rules); end the loop.
    Stopped,
}

/// The stages of a tick, reported to the runner's timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Draining the channels.
    Receive,
    /// Validating inputs.
    Validate,
    /// Movement and rules.
    Simulate,
    /// Building snapshots.
    Snapshot,
    /// Handing messages to links.
    Send,
}

/// Gauges a room publishes for `/stats`.
#[derive(Debug, Default)]
pub struct RoomGauges {
    /// Players in the room.
    pub players: std::sync::atomic::AtomicU64,
    /// Entities in the world.
    pub entities: std::sync::atomic::AtomicU64,
    /// Ticks run.
    pub ticks: std::sync::atomic::AtomicU64,
    /// Ticks that took longer than the tick period.
    pub overruns: std::sync::atomic::AtomicU64,
    /// Ticks skipped because the loop fell too far behind.
    pub skipped_ticks: std::sync::atomic::AtomicU64,
    /// Recent tick durations and start lateness.
    pub times: TickTimes,
}

/// One room's state. See the module docs for the tick stages.
pub struct Room {
    name: String,
    settings: RoomSettings,
    move_params: MoveParams,
    world_info: WorldInfo,
    quantizer: Quantizer,
    world: World,
    rules: Box<dyn GameRules>,
    players: Players,
    by_conn: HashMap<ConnId, PlayerId>,
    next_player: u32,
    tick: u64,
    rng: SmallRng,
    outbox: Vec<Outgoing>,
    stats: Arc<Stats>,
    gauges: Arc<RoomGauges>,
    sessions: Arc<Sessions>,
    empty_ticks: u64,
    stopped: bool,
    // Scratch buffers reused every tick.
    batch: Vec<PlayerInput>,
    records: Vec<EntityRecord>,
    block: Vec<u8>,
}

/// Server-side overrides of the rules' config (from flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overrides {
    /// Replaces `RulesConfig::tick_rate`.
    pub tick_rate: Option<u32>,
    /// Replaces `RulesConfig::snapshot_rate`.
    pub snapshot_rate: Option<u32>,
    /// Replaces `RulesConfig::max_players`.
    pub max_players: Option<usize>,
    /// How long a dropped player's seat is held (zero: not held).
    pub hold: std::time::Duration,
    /// How long a room may stay empty before it is disposed of (zero: never).
    pub idle_dispose: std::time::Duration,
}

impl Default for Overrides {
    fn default() -> Self {
        Self {
            tick_rate: None,
            snapshot_rate: None,
            max_players: None,
            hold: std::time::Duration::from_secs(20),
            idle_dispose: std::time::Duration::from_secs(30),
        }
    }
}

/// Why a room could not be created.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoomError {
    /// The rates or sizes are out of range.
    #[error("invalid room settings: {0}")]
    InvalidSettings(String),
    /// The OS refused to start the room's thread.
    #[error("could not start the room thread: {0}")]
    Thread(String),
}

impl Room {
    /// Creates a room and runs the rules' `on_start` hook.
    ///
    /// # Errors
    /// [`RoomError::InvalidSettings`] when the rates, world size or speeds are unusable.
    pub fn new(
        name: &str,
        rules: Box<dyn GameRules>,
        overrides: Overrides,
        stats: Arc<Stats>,
        sessions: Arc<Sessions>,
        seed: u64,
    ) -> Result<Self, RoomError> {
        let cfg = rules.config();
        let tick_rate = overrides.tick_rate.unwrap_or(cfg.tick_rate);
        let snapshot_rate = overrides.snapshot_rate.unwrap_or(cfg.snapshot_rate).min(tick_rate);
        if !(1..=1000).contains(&tick_rate) || snapshot_rate == 0 {
            return Err(RoomError::InvalidSettings(format!(
                "tick rate must be 1..=1000 and snapshot rate at least 1 (got {tick_rate} and {snapshot_rate})"
            )));
        }
        let size = cfg.world_size;
        if !(size.is_finite()
            && size.x >= 1.0
            && size.y >= 1.0
            && cfg.max_speed.is_finite()
            && cfg.max_speed >= 0.0
            && cfg.player_radius.is_finite()
            && cfg.player_radius >= 0.0)
        {
            return Err(RoomError::InvalidSettings(
                "world size, speed and radius must be finite and positive".into(),
            ));
        }
        let dt = 1.0 / tick_rate as f32;
        let settings = RoomSettings {
            tick_rate,
            snapshot_rate,
            max_players: overrides.max_players.unwrap_or(cfg.max_players),
            max_inputs_per_tick: 3,
            input_buffer: 32,
            input_jitter_buffer: 2,
            ready_timeout_ticks: u64::from(tick_rate) * 5,
            hold_ticks: (overrides.hold.as_secs_f64() * f64::from(tick_rate)).round() as u64,
            idle_dispose_ticks: (overrides.idle_dispose.as_secs_f64() * f64::from(tick_rate)).round() as u64,
            seed,
        };
        let mut room = Self {
            name: name.to_owned(),
            move_params: MoveParams {
                max_speed: cfg.max_speed,
                radius: cfg.player_radius,
                dt,
            },
            world_info: WorldInfo {
                width: size.x,
                height: size.y,
                walls: cfg.walls.iter().map(|w| [w.x, w.y, w.w, w.h]).collect(),
            },
            quantizer: Quantizer::new(size.x, size.y),
            world: World::new(size, cfg.walls.clone()),
            rules,
            players: Players { map: HashMap::new() },
            by_conn: HashMap::new(),
            next_player: 1,
            tick: 0,
            rng: SmallRng::seed_from_u64(seed),
            outbox: Vec::new(),
            stats,
            gauges: Arc::new(RoomGauges::default()),
            sessions,
            empty_ticks: 0,
            stopped: false,
            batch: Vec::new(),
            records: Vec::new(),
            block: Vec::new(),
            settings,
        };
        room.hook("on_start", |rules, ctx| rules.on_start(ctx));
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
    /// Number of players.
    pub fn player_count(&self) -> usize {
        self.players.map.len()
    }
    /// True once the room stopped (shutdown or failed rules).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }
    /// Gauges for `/stats`.
    pub fn gauges(&self) -> Arc<RoomGauges> {
        self.gauges.clone()
    }
    /// The entity of a connection's player.
    pub fn entity_of(&self, conn: ConnId) -> Option<EntityKey> {
        let id = self.by_conn.get(&conn)?;
        self.players.map.get(id).map(|p| p.entity)
    }

    /// Runs one tick: the five stages of the module docs. `mark` is called as each stage ends
    /// (the runner uses it to time stages; tests pass a no-op).
    pub fn tick(
        &mut self,
        control: &Receiver<Control>,
        inputs: &Receiver<InputEnvelope>,
        mark: &mut dyn FnMut(Stage),
    ) -> TickOutcome {
        if self.stopped {
            return TickOutcome::Stopped;
        }
        // 1. receive
        self.receive(control, inputs);
        mark(Stage::Receive);
        if self.stopped {
            return TickOutcome::Stopped;
        }
        // 2. validate
        self.validate();
        mark(Stage::Validate);
        // 3. simulate
        self.simulate();
        mark(Stage::Simulate);
        if self.stopped {
            return TickOutcome::Stopped;
        }
        // 4. snapshot + 5. send
        let docs = self.snapshot();
        mark(Stage::Snapshot);
        self.send(docs);
        mark(Stage::Send);
        self.tick += 1;
        self.empty_ticks = if self.players.map.is_empty() {
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
        self.gauges.players.store(self.players.map.len() as u64, Relaxed);
        self.gauges.entities.store(self.world.len() as u64, Relaxed);
        TickOutcome::Continue
    }

    // ---- stage 1: receive -------------------------------------------------------------------

    fn receive(&mut self, control: &Receiver<Control>, inputs: &Receiver<InputEnvelope>) {
        loop {
            match control.try_recv() {
                Ok(c) => self.handle_control(c),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    // Every handle is gone: nobody can reach this room any more.
                    self.shutdown("room closed");
                    return;
                }
            }
            if self.stopped {
                return;
            }
        }
        // The input channel is bounded, so this loop is too.
        while let Ok(env) = inputs.try_recv() {
            let Some(p) = self.by_conn.get(&env.conn).and_then(|id| self.players.map.get_mut(id)) else {
                self.stats.dropped_for(&env.client, DropReason::UnknownPlayer, 1);
                continue;
            };
            if p.pending.len() >= self.settings.input_buffer {
                p.pending.pop_front();
                self.stats.dropped_for(&p.client, DropReason::BufferFull, 1);
            }
            p.pending.push_back(env.input);
        }
        self.expire_unready();
    }

    fn handle_control(&mut self, c: Control) {
        match c {
            Control::Join(t) => self.join(t),
            Control::Ready(conn) => self.ready(conn),
            Control::Leave(conn, reason, hold) => {
                if let Some(id) = self.by_conn.get(&conn).copied() {
                    if hold && self.settings.hold_ticks > 0 {
                        self.hold_player(id);
                    } else {
                        self.remove_player(id, reason);
                    }
                }
            }
            Control::Shutdown => self.shutdown("the server is shutting down"),
        }
    }

    fn join(&mut self, t: JoinTicket) {
        let refuse = |t: JoinTicket, why: &str| {
            let _ = t.reply.send(Err(Refusal(why.to_owned())));
        };
        if self.by_conn.contains_key(&t.conn) {
            return refuse(t, "already_joined");
        }
        if t.resume.is_some() {
            return self.resume(t);
        }
        if self.players.map.len() >= self.settings.max_players {
            return refuse(t, "room_full");
        }
        let id = PlayerId(self.next_player);
        let name = if t.name.is_empty() {
            format!("Player {}", self.world.peek_net_id())
        } else {
            t.name.clone()
        };
        let verdict = self.hook("on_join_attempt", |rules, ctx| {
            rules.on_join_attempt(ctx, &JoinRequest { name: &name })
        });
        match verdict {
            None => return refuse(t, "room_unavailable"),
            Some(Err(reason)) => return refuse(t, &reason),
            Some(Ok(())) => {}
        }
        let Some(spawn) = self.hook("on_join", |rules, ctx| rules.on_join(ctx, id, &name)) else {
            return refuse(t, "room_unavailable");
        };
        let pos = if spawn.pos.is_finite() {
            spawn.pos
        } else {
            self.world.size() / 2.0
        };
        let entity = match self
            .world
            .spawn_owned(spawn.kind, pos, self.move_params.radius, Some(id))
        {
            Ok(k) => k,
            Err(e) => return refuse(t, &e.to_string()),
        };
        self.next_player += 1;
        let net_id = self.world.get(entity).map_or(0, |e| e.net_id());
        let mut players = self.roster();
        players.push(PlayerInfo {
            id: net_id,
            name: name.clone(),
        });
        players.sort_by_key(|p| p.id);
        // 128 random bits from the OS-seeded CSPRNG: unguessable.
        let token = format!("{:032x}", rand::random::<u128>());
        let welcome = self.welcome(net_id, &token, players);
        if t.reply.send(Ok(welcome)).is_err() {
            // The connection gave up waiting; undo without telling anyone.
            self.hook("on_leave", |rules, ctx| rules.on_leave(ctx, id, LeaveReason::Timeout));
            self.world.remove(entity);
            tracing::debug!(room = %self.name, "join abandoned by the connection");
            return;
        }
        self.players.map.insert(
            id,
            Player {
                conn: t.conn,
                name: name.clone(),
                entity,
                net_id,
                link: t.link,
                client: t.client,
                token: token.clone(),
                held_since: None,
                needs_snapshot: false,
                was_ready: false,
                ready: false,
                joined_tick: self.tick,
                early: Vec::new(),
                pending: VecDeque::new(),
                last_applied: 0,
                any_applied: false,
                closed_sends: 0,
                standing_ticks: 0,
            },
        );
        self.by_conn.insert(t.conn, id);
        self.sessions.insert(&token, &self.name);
        tracing::info!(room = %self.name, player = %id, net_id, name = %name, "player joined");
        if let Ok(v) = to_msgpack_value(&PlayerInfo { id: net_id, name }) {
            self.emit_all_except(id, events::JOINED, &v);
        }
    }

    /// The `welcome` for the player with network id `net_id`.
    fn welcome(&self, net_id: u16, token: &str, players: Vec<PlayerInfo>) -> Welcome {
        Welcome {
            protocol: PROTOCOL_VERSION,
            id: net_id,
            room: self.name.clone(),
            token: token.to_owned(),
            tick_rate: self.settings.tick_rate,
            snapshot_rate: self.settings.snapshot_rate,
            tick: self.tick as u32,
            world: self.world_info.clone(),
            movement: MovementInfo {
                max_speed: self.move_params.max_speed,
                radius: self.move_params.radius,
                dt: self.move_params.dt,
            },
            players,
        }
    }

    /// Everyone in the room, as listed in `welcome.players`.
    fn roster(&self) -> Vec<PlayerInfo> {
        let mut v: Vec<PlayerInfo> = self
            .players
            .map
            .values()
            .map(|p| PlayerInfo {
                id: p.net_id,
                name: p.name.clone(),
            })
            .collect();
        v.sort_by_key(|p| p.id);
        v
    }

    /// Gives a held (or still connected) player's seat to a new connection presenting its token.
    fn resume(&mut self, t: JoinTicket) {
        let token = t.resume.clone().unwrap_or_default();
        let found = self
            .players
            .map
            .iter()
            .find(|(_, p)| p.token == token)
            .map(|(id, _)| *id);
        let Some(id) = found else {
            let _ = t.reply.send(Err(Refusal("invalid_token".into())));
            return;
        };
        let Some(net_id) = self.players.map.get(&id).map(|p| p.net_id) else {
            return;
        };
        let welcome = self.welcome(net_id, &token, self.roster());
        if t.reply.send(Ok(welcome)).is_err() {
            return;
        }
        let was_held = self.players.map.get(&id).is_some_and(|p| p.held_since.is_some());
        let Some(p) = self.players.map.get_mut(&id) else { return };
        // Newest connection wins: the old one, if still open, is told and closed.
        if p.held_since.is_none() {
            if let Ok(v) = to_msgpack_value(&Bye {
                reason: "replaced".into(),
                message: "this player connected again elsewhere".into(),
            }) {
                let _ = p.link.emit(events::BYE, &v);
            }
            p.link.close();
        }
        self.by_conn.remove(&p.conn);
        p.conn = t.conn;
        p.link = t.link;
        p.client = t.client;
        p.held_since = None;
        p.ready = false;
        p.joined_tick = self.tick;
        // The new welcome carries the roster; game state comes from `on_reconnect`.
        p.early.clear();
        p.needs_snapshot = true;
        let entity = p.entity;
        self.by_conn.insert(t.conn, id);
        if let Some(e) = self.world.get_mut(entity) {
            e.away = false;
        }
        tracing::info!(room = %self.name, player = %id, "player resumed its session");
        if was_held {
            self.hook("on_reconnect", |rules, ctx| rules.on_reconnect(ctx, id));
        }
    }

    /// Keeps a dropped player's seat and entity for the hold period; others see it as away.
    fn hold_player(&mut self, id: PlayerId) {
        let tick = self.tick;
        let Some(p) = self.players.map.get_mut(&id) else { return };
        if p.held_since.is_some() {
            return;
        }
        self.by_conn.remove(&p.conn);
        p.link = Box::new(link::Detached);
        p.ready = false;
        p.held_since = Some(tick);
        let entity = p.entity;
        if let Some(e) = self.world.get_mut(entity) {
            e.away = true;
        }
        tracing::info!(room = %self.name, player = %id, "connection dropped; seat held");
        self.hook("on_disconnect", |rules, ctx| rules.on_disconnect(ctx, id));
    }

    fn ready(&mut self, conn: ConnId) {
        let Some(p) = self.by_conn.get(&conn).and_then(|id| self.players.map.get_mut(id)) else {
            return;
        };
        p.ready = true;
        p.was_ready = true;
        for (event, data) in p.early.drain(..) {
            let _ = p.link.emit(&event, &data);
        }
    }

    fn expire_unready(&mut self) {
        let limit = self.settings.ready_timeout_ticks;
        let late: Vec<PlayerId> = self
            .players
            .map
            .iter()
            .filter(|(_, p)| !p.ready && p.held_since.is_none() && self.tick.saturating_sub(p.joined_tick) > limit)
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            if self.players.map.get(&id).is_some_and(|p| p.was_ready) {
                // A resumed connection that died before it was ready: hold the seat again.
                self.hold_player(id);
            } else {
                tracing::debug!(room = %self.name, player = %id, "connection never became ready; removed");
                self.remove_player(id, LeaveReason::Timeout);
            }
        }
        let hold = self.settings.hold_ticks;
        let expired: Vec<PlayerId> = self
            .players
            .map
            .iter()
            .filter(|(_, p)| p.held_since.is_some_and(|t| self.tick.saturating_sub(t) > hold))
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            tracing::info!(room = %self.name, player = %id, "held seat expired");
            self.remove_player(id, LeaveReason::Timeout);
        }
    }

    fn remove_player(&mut self, id: PlayerId, reason: LeaveReason) {
        if !self.players.map.contains_key(&id) {
            return;
        }
        self.hook("on_leave", |rules, ctx| rules.on_leave(ctx, id, reason));
        let Some(p) = self.players.map.remove(&id) else { return };
        self.by_conn.remove(&p.conn);
        self.sessions.remove(&p.token);
        self.world.remove(p.entity);
        let unused = p.pending.len() as u64;
        if unused > 0 {
            self.stats.dropped_for(&p.client, DropReason::UnknownPlayer, unused);
        }
        tracing::info!(room = %self.name, player = %id, reason = reason.as_str(), "player left");
        if let Ok(v) = to_msgpack_value(&Left {
            id: p.net_id,
            reason: reason.as_str().to_owned(),
        }) {
            self.emit_all_except(id, events::LEFT, &v);
        }
        if reason == LeaveReason::Kicked {
            p.link.close();
        }
    }

    // ---- stage 2: validate ------------------------------------------------------------------

    fn validate(&mut self) {
        self.batch.clear();
        let cap = self.settings.max_inputs_per_tick;
        let jitter = self.settings.input_jitter_buffer;
        let mut ids: Vec<PlayerId> = self.players.map.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let Some(p) = self.players.map.get_mut(&id) else {
                continue;
            };
            if p.pending.is_empty() {
                continue;
            }
            // Order by distance ahead of the last applied seq (wrap-aware).
            let base = if p.any_applied {
                p.last_applied
            } else {
                // Nothing applied yet: start just before the oldest pending input.
                oldest_seq(&p.pending).wrapping_sub(1)
            };
            let mut v: Vec<InputMsg> = p.pending.drain(..).collect();
            v.sort_by_key(|i| i.seq().wrapping_sub(base));
            // Drop replays and duplicates first, so only fresh inputs count below.
            let mut fresh: Vec<InputMsg> = Vec::with_capacity(v.len());
            let mut newest = base;
            for i in v {
                if seq_newer(i.seq(), newest) {
                    newest = i.seq();
                    fresh.push(i);
                } else {
                    self.stats.dropped_for(&p.client, DropReason::Replay, 1);
                }
            }
            // One input per tick keeps motion even when inputs arrive in uneven bunches; more (up
            // to the cap) when more than `jitter` would be left waiting, to catch up. A smaller
            // queue that stands for `DRAIN_AFTER_TICKS` (a client sending exactly one input per
            // tick after one bunched arrival) is drained by one extra input, so it cannot add a
            // tick of latency for the rest of the session.
            let mut allowed = if fresh.len() > 1 + jitter {
                cap.min(fresh.len() - jitter)
            } else {
                1
            };
            if fresh.len() > 1 {
                p.standing_ticks += 1;
                if p.standing_ticks >= DRAIN_AFTER_TICKS {
                    allowed = allowed.max(2).min(cap);
                    p.standing_ticks = 0;
                }
            } else {
                p.standing_ticks = 0;
            }
            let mut last = base;
            let mut taken = 0usize;
            for i in fresh {
                if taken == allowed {
                    p.pending.push_back(i);
                    continue;
                }
                let dir = match validate_direction(i.dx(), i.dy()) {
                    Ok(d) => d,
                    Err(_) => {
                        self.stats.rejected_for(&p.client, RejectReason::NonFinite, 1);
                        // A rejected input still uses up its sequence number.
                        last = i.seq();
                        continue;
                    }
                };
                last = i.seq();
                taken += 1;
                self.batch.push(PlayerInput {
                    player: id,
                    seq: i.seq(),
                    dir,
                    buttons: i.buttons(),
                });
            }
            if last != base {
                p.last_applied = last;
                p.any_applied = true;
            }
        }
    }

    // ---- stage 3: simulate ------------------------------------------------------------------

    fn simulate(&mut self) {
        let size = self.world.size();
        for inp in &self.batch {
            let Some(p) = self.players.map.get(&inp.player) else {
                continue;
            };
            self.stats.applied_for(&p.client, 1);
            let Some(pos) = self.world.get(p.entity).map(|e| e.pos) else {
                continue;
            };
            let next = step(pos, inp.dir, &self.move_params, size, self.world.walls());
            if let Some(e) = self.world.get_mut(p.entity) {
                e.pos = next;
            }
        }
        let batch = std::mem::take(&mut self.batch);
        self.hook("tick", |rules, ctx| rules.tick(ctx, &batch));
        self.batch = batch;
        self.world.enforce_bounds();
    }

    // ---- stage 4: snapshot ------------------------------------------------------------------

    fn snapshot_due(&self) -> bool {
        let (t, tr, sr) = (
            self.tick,
            u64::from(self.settings.tick_rate),
            u64::from(self.settings.snapshot_rate),
        );
        // A snapshot whenever floor(tick * sr / tr) changes: evenly spread, exact rate.
        t == 0 || (t * sr) / tr != ((t - 1) * sr) / tr
    }

    fn snapshot(&mut self) -> Vec<(PlayerId, Bytes)> {
        let due = self.snapshot_due();
        if !due && !self.players.map.values().any(|p| p.ready && p.needs_snapshot) {
            return Vec::new();
        }
        build_entity_block(&self.world, &self.quantizer, &mut self.records, &mut self.block);
        let tick = self.tick as u32;
        let block = &self.block;
        self.players
            .map
            .iter_mut()
            .filter(|(_, p)| p.ready && (due || p.needs_snapshot))
            .map(|(id, p)| {
                p.needs_snapshot = false;
                (*id, Bytes::from(encode_snapshot(tick, p.last_applied, block)))
            })
            .collect()
    }

    // ---- stage 5: send ----------------------------------------------------------------------

    fn send(&mut self, docs: Vec<(PlayerId, Bytes)>) {
        self.flush_outbox();
        let mut gone = Vec::new();
        for (id, doc) in docs {
            let Some(p) = self.players.map.get_mut(&id) else {
                continue;
            };
            let len = doc.len() as u64;
            match p.link.send_snapshot(doc) {
                Ok(()) => {
                    p.closed_sends = 0;
                    self.stats.snapshots_sent.fetch_add(1, Relaxed);
                    self.stats.snapshot_bytes_sent.fetch_add(len, Relaxed);
                }
                Err(LinkError::Full) => {
                    self.stats.send_buffer_full.fetch_add(1, Relaxed);
                }
                Err(LinkError::Closed) => {
                    // The disconnect handler normally removes the player first; this catches a
                    // connection that closed without one.
                    p.closed_sends += 1;
                    if p.closed_sends > self.settings.snapshot_rate * 5 {
                        gone.push(id);
                    }
                }
            }
        }
        for id in gone {
            self.remove_player(id, LeaveReason::Timeout);
        }
    }

    fn flush_outbox(&mut self) {
        // Kicks can queue more messages (the `left` notice), so loop until empty.
        while !self.outbox.is_empty() {
            for msg in std::mem::take(&mut self.outbox) {
                match msg {
                    Outgoing::Broadcast { event, data } => {
                        for p in self.players.map.values_mut() {
                            deliver(p, &event, data.clone(), &self.stats);
                        }
                    }
                    Outgoing::To { player, event, data } => {
                        if let Some(p) = self.players.map.get_mut(&player) {
                            deliver(p, &event, data, &self.stats);
                        }
                    }
                    Outgoing::Kick { player, reason } => {
                        if let Some(p) = self.players.map.get(&player) {
                            let bye = Bye {
                                reason: "kicked".into(),
                                message: reason,
                            };
                            if let Ok(v) = to_msgpack_value(&bye) {
                                let _ = p.link.emit(events::BYE, &v);
                            }
                            self.remove_player(player, LeaveReason::Kicked);
                        }
                    }
                }
            }
        }
    }

    fn emit_all_except(&mut self, except: PlayerId, event: &str, data: &rmpv::Value) {
        for (id, p) in self.players.map.iter_mut() {
            if *id != except {
                deliver(p, event, data.clone(), &self.stats);
            }
        }
    }

    // ---- hooks, failure and shutdown --------------------------------------------------------

    /// Runs a rules hook with a context, catching panics. `None` means the hook panicked and the
    /// room has been stopped.
    fn hook<R>(&mut self, name: &'static str, f: impl FnOnce(&mut dyn GameRules, &mut Ctx<'_>) -> R) -> Option<R> {
        if self.stopped {
            return None;
        }
        let mut ctx = Ctx {
            tick: self.tick,
            dt: self.move_params.dt,
            world: &mut self.world,
            players: &self.players,
            outbox: &mut self.outbox,
            rng: &mut self.rng,
        };
        let rules = &mut *self.rules;
        match catch_unwind(AssertUnwindSafe(|| f(rules, &mut ctx))) {
            Ok(r) => Some(r),
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic payload".into());
                tracing::error!(room = %self.name, hook = name, panic = %msg, "game rules panicked; stopping the room");
                self.fail(name);
                None
            }
        }
    }

    fn fail(&mut self, hook: &str) {
        self.outbox.clear();
        self.close_all(
            "room_error",
            &format!("the game rules failed in `{hook}`; the room was stopped"),
        );
    }

    /// Tells every player the room is closing, calls `on_shutdown`, closes every link and stops.
    pub fn shutdown(&mut self, why: &str) {
        if self.stopped {
            return;
        }
        self.hook("on_shutdown", |rules, ctx| rules.on_shutdown(ctx));
        self.flush_outbox();
        self.close_all("shutdown", why);
    }

    fn close_all(&mut self, reason: &str, message: &str) {
        let bye = to_msgpack_value(&Bye {
            reason: reason.to_owned(),
            message: message.to_owned(),
        });
        for (_, p) in self.players.map.drain() {
            if let Ok(v) = &bye {
                let _ = p.link.emit(events::BYE, v);
            }
            p.link.close();
            self.sessions.remove(&p.token);
            self.stats
                .dropped_for(&p.client, DropReason::UnknownPlayer, p.pending.len() as u64);
        }
        self.by_conn.clear();
        self.stopped = true;
        self.gauges.players.store(0, Relaxed);
    }
}

/// The oldest sequence number among `pending`, wrap-aware: the one the others are newer than.
fn oldest_seq(pending: &VecDeque<InputMsg>) -> u32 {
    let Some(first) = pending.front().map(|i| i.seq()) else {
        return 0;
    };
    // Measure every seq relative to the first arrival, shifted so that slightly older ones
    // (reordered in flight) sort before it.
    pending
        .iter()
        .map(|i| i.seq())
        .min_by_key(|s| s.wrapping_sub(first).wrapping_add(1 << 30))
        .unwrap_or(first)
}

fn deliver(p: &mut Player, event: &str, data: rmpv::Value, stats: &Stats) {
    if !p.ready {
        // Bounded: a player stays unready for at most `ready_timeout_ticks`.
        if p.early.len() < 64 {
            p.early.push((event.to_owned(), data));
        }
        return;
    }
    if let Err(LinkError::Full) = p.link.emit(event, &data) {
        stats.send_buffer_full.fetch_add(1, Relaxed);
    }
}

#[cfg(test)]
mod tests;
