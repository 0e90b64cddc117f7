//! Running a room: its channels, its links, and its tick loop on its own OS thread.
//!
//! [`RoomRunner`] is the one place where a room meets I/O: it feeds the room core what arrived on
//! the room's channels, ticks it, and writes the core's transmits to the players' links (answering
//! joins on their reply channels). [`spawn_room`] runs a runner on a thread at the room's rate;
//! tests and benchmarks step one by hand (the test kit's `RoomDriver`, in `tickstate-testkit`).
//!
//! Ticks start on absolute deadlines (`start + n * period`), not "sleep after work", so the rate does
//! not drift with the work done. A late loop runs the ticks it missed back to back, but at most
//! [`MAX_CATCH_UP`] of them; beyond that it skips ahead and counts the skipped ticks, so overload
//! never builds a backlog. The thread is separate from the async runtime, so socket I/O and
//! fan-out work on the runtime cannot delay a tick's start.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tickstate_shared::protocol::Welcome;
use tickstate_shared::reasons::{JoinRefusal, LeaveReason};
use tokio::sync::oneshot;

use super::link::{LinkError, PlayerLink};
use super::mailbox::{ConnId, Control, Event, InputEnvelope, MessageEnvelope, Transmit};
use super::{Room, RoomError, RoomGauges, RoomSettings, Stage, TickOutcome};
use crate::stats::{DropReason, MessageDrop, STAGES, Stats, TickSample};

/// Ticks run back to back at most when the loop is late.
pub const MAX_CATCH_UP: u32 = 3;

/// Capacity of a room's inbound channel (inputs and messages from every connection).
pub const INBOUND_QUEUE: usize = 8192;

/// What arrives on a room's bounded inbound channel.
#[derive(Debug)]
pub enum Inbound {
    /// An input.
    Input(InputEnvelope),
    /// A decoded client message.
    Message(MessageEnvelope),
    /// A `snapshot_ack`: the connection received the snapshot of that tick.
    SnapshotAck(ConnId, u32),
}

type Reply = oneshot::Sender<Result<Welcome, JoinRefusal>>;

/// A room core with its links: feeds it, ticks it, and writes what it sends.
pub struct RoomRunner {
    room: Room,
    links: HashMap<ConnId, Box<dyn PlayerLink>>,
    pending: HashMap<ConnId, (Box<dyn PlayerLink>, Reply)>,
    closed_sends: HashMap<ConnId, u32>,
    stats: Arc<Stats>,
}

impl RoomRunner {
    /// A runner for `room`, counting into `stats`.
    pub fn new(room: Room, stats: Arc<Stats>) -> Self {
        Self {
            room,
            links: HashMap::new(),
            pending: HashMap::new(),
            closed_sends: HashMap::new(),
            stats,
        }
    }

    /// The room core.
    pub fn room(&self) -> &Room {
        &self.room
    }

    /// Hands a control message to the room (a join's link and reply are kept here until the
    /// room answers).
    pub fn control(&mut self, c: Control) {
        match c {
            Control::Join(t) => {
                let conn = t.request.conn;
                self.pending.insert(conn, (t.link, t.reply));
                self.room.handle_event(Event::Join(t.request));
            }
            Control::Ready(conn) => self.room.handle_event(Event::Ready(conn)),
            Control::Leave { conn, reason, hold } => {
                self.links.remove(&conn);
                self.closed_sends.remove(&conn);
                self.room.handle_event(Event::Leave { conn, reason, hold });
            }
            Control::Shutdown => self.room.handle_event(Event::Shutdown),
        }
        self.flush();
    }

    /// Hands an input or message to the room.
    pub fn inbound(&mut self, i: Inbound) {
        match i {
            Inbound::Input(env) => self.room.handle_input(env),
            Inbound::Message(env) => self.room.handle_message(env),
            Inbound::SnapshotAck(conn, tick) => self.room.handle_snapshot_ack(conn, tick),
        }
    }

    /// Stages 2-4 (the room), then stage 5 (writing to the links).
    pub fn tick(&mut self, mark: &mut dyn FnMut(Stage)) -> TickOutcome {
        let outcome = self.room.tick(mark);
        self.flush();
        mark(Stage::Send);
        outcome
    }

    /// Writes every queued transmit to its link.
    pub fn flush(&mut self) {
        let snapshot_rate = self.room.settings().snapshot_rate;
        while let Some(t) = self.room.poll_transmit() {
            match t {
                Transmit::Answer { conn, result } => {
                    let Some((link, reply)) = self.pending.remove(&conn) else {
                        continue;
                    };
                    match result {
                        Ok(w) => {
                            if reply.send(Ok(*w)).is_err() {
                                // The connection gave up waiting: undo its join.
                                self.room.handle_event(Event::Abandoned(conn));
                            } else {
                                self.links.insert(conn, link);
                            }
                        }
                        Err(why) => {
                            let _ = reply.send(Err(why));
                        }
                    }
                }
                Transmit::Snapshot { conn, doc } => {
                    let Some(link) = self.links.get(&conn) else { continue };
                    let len = doc.len() as u64;
                    match link.send_snapshot(doc) {
                        Ok(()) => {
                            self.closed_sends.remove(&conn);
                            self.stats.snapshots_sent.fetch_add(1, Relaxed);
                            self.stats.snapshot_bytes_sent.fetch_add(len, Relaxed);
                        }
                        Err(LinkError::Full) => {
                            self.stats.send_buffer_full.fetch_add(1, Relaxed);
                        }
                        Err(LinkError::Closed) => {
                            // The disconnect handler normally tells the room first; this catches a
                            // connection that closed without one.
                            let n = self.closed_sends.entry(conn).or_default();
                            *n += 1;
                            if *n > snapshot_rate * 5 {
                                self.links.remove(&conn);
                                self.closed_sends.remove(&conn);
                                self.room.handle_event(Event::Leave {
                                    conn,
                                    reason: LeaveReason::Timeout,
                                    hold: true,
                                });
                            }
                        }
                    }
                }
                Transmit::Event {
                    conn,
                    event,
                    data,
                    tick,
                } => {
                    if let Some(link) = self.links.get(&conn)
                        && let Err(LinkError::Full) = link.emit(&event, &data, tick)
                    {
                        self.stats.send_buffer_full.fetch_add(1, Relaxed);
                    }
                }
                Transmit::Close { conn } => {
                    if let Some(link) = self.links.remove(&conn) {
                        link.close();
                    }
                    self.closed_sends.remove(&conn);
                }
            }
        }
    }
}

/// How the network layer reaches a room: two channels, plus what `/stats` shows of it.
#[derive(Clone)]
pub struct RoomHandle {
    name: Arc<str>,
    control: Sender<Control>,
    inbound: SyncSender<Inbound>,
    settings: Arc<RoomSettings>,
    gauges: Arc<RoomGauges>,
    alive: Arc<AtomicBool>,
    stats: Arc<Stats>,
    thread: Arc<std::sync::Mutex<Option<JoinHandle<()>>>>,
}

impl RoomHandle {
    /// The room's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Resolved settings.
    pub fn settings(&self) -> &RoomSettings {
        &self.settings
    }
    /// Live gauges.
    pub fn gauges(&self) -> &RoomGauges {
        &self.gauges
    }
    /// False once the tick loop has ended.
    pub fn is_alive(&self) -> bool {
        self.alive.load(SeqCst)
    }

    /// Sends a control message; `false` when the room has stopped.
    pub fn send_control(&self, c: Control) -> bool {
        self.control.send(c).is_ok()
    }

    /// Queues an input without waiting. A full queue or a stopped room drops it (and counts it).
    pub fn send_input(&self, env: InputEnvelope) {
        match self.inbound.try_send(Inbound::Input(env)) {
            Ok(()) => {}
            Err(TrySendError::Full(Inbound::Input(env))) => {
                self.stats.dropped_for(&env.client, DropReason::QueueFull, 1)
            }
            Err(TrySendError::Disconnected(Inbound::Input(env))) => {
                self.stats.dropped_for(&env.client, DropReason::UnknownPlayer, 1)
            }
            Err(_) => {}
        }
    }

    /// Queues a client message without waiting. A full queue or a stopped room drops it (counted).
    pub fn send_message(&self, env: MessageEnvelope) {
        match self.inbound.try_send(Inbound::Message(env)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => self.stats.messages.dropped(MessageDrop::QueueFull),
            Err(TrySendError::Disconnected(_)) => self.stats.messages.dropped(MessageDrop::UnknownPlayer),
        }
    }

    /// Queues a snapshot acknowledgement without waiting; a full queue drops it (the client acks
    /// the next snapshot anyway).
    pub fn send_snapshot_ack(&self, conn: ConnId, tick: u32) {
        let _ = self.inbound.try_send(Inbound::SnapshotAck(conn, tick));
    }

    /// Asks the room to shut down and waits (on a blocking thread) until its loop has ended.
    pub async fn shutdown(&self) {
        let _ = self.control.send(Control::Shutdown);
        let thread = self.thread.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let handle = thread.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(h) = handle {
                let _ = h.join();
            }
        })
        .await;
    }
}

/// The two receiving ends of a room's channels.
pub struct RoomInbox {
    control: Receiver<Control>,
    inbound: Receiver<Inbound>,
}

impl RoomInbox {
    /// Feeds everything waiting into `runner` (stage 1). Returns false when every handle is gone
    /// (nobody can reach the room any more).
    pub fn drain_into(&self, runner: &mut RoomRunner) -> bool {
        loop {
            match self.control.try_recv() {
                Ok(c) => runner.control(c),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
        // The inbound channel is bounded, so this loop is too.
        while let Ok(i) = self.inbound.try_recv() {
            runner.inbound(i);
        }
        true
    }

    /// Counts what was still queued when the room ended.
    fn drop_rest(&self, stats: &Stats) {
        for i in self.inbound.try_iter() {
            match i {
                Inbound::Input(env) => stats.dropped_for(&env.client, DropReason::UnknownPlayer, 1),
                Inbound::Message(_) => stats.messages.dropped(MessageDrop::UnknownPlayer),
                Inbound::SnapshotAck(..) => {}
            }
        }
    }
}

/// Where a room's thread handle is kept once it is started.
pub type ThreadSlot = Arc<std::sync::Mutex<Option<JoinHandle<()>>>>;

/// A room's channels: the handle for the network layer and the inbox for its runner.
pub fn channels(room: &Room, stats: Arc<Stats>) -> (RoomHandle, RoomInbox, Arc<AtomicBool>, ThreadSlot) {
    let (control_tx, control_rx) = mpsc::channel();
    let (inbound_tx, inbound_rx) = mpsc::sync_channel(INBOUND_QUEUE);
    let alive = Arc::new(AtomicBool::new(true));
    let thread = Arc::new(std::sync::Mutex::new(None));
    let handle = RoomHandle {
        name: room.name().into(),
        control: control_tx,
        inbound: inbound_tx,
        settings: Arc::new(room.settings().clone()),
        gauges: room.gauges(),
        alive: alive.clone(),
        stats,
        thread: thread.clone(),
    };
    (
        handle,
        RoomInbox {
            control: control_rx,
            inbound: inbound_rx,
        },
        alive,
        thread,
    )
}

/// Starts `room`'s tick loop on a new thread named `room-<name>`.
///
/// # Errors
/// [`RoomError::Thread`] when the OS cannot start the thread.
pub fn spawn_room(room: Room, stats: Arc<Stats>) -> Result<RoomHandle, RoomError> {
    let (handle, inbox, alive, thread_slot) = channels(&room, stats.clone());
    let name: Arc<str> = room.name().into();
    // Closing a socket makes socketioxide spawn its disconnect handler, which needs a Tokio
    // context: the room thread enters the caller's runtime (it never blocks on it).
    let runtime = tokio::runtime::Handle::try_current().ok();
    let thread = std::thread::Builder::new()
        .name(format!("room-{name}"))
        .spawn(move || {
            let _guard = runtime.as_ref().map(|h| h.enter());
            let mut runner = RoomRunner::new(room, stats.clone());
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_loop(&mut runner, &inbox, &stats))).is_err()
            {
                // Hooks are guarded inside the room; this is an engine bug. Contain it to this room.
                tracing::error!(room = %name, "room tick loop panicked; the room is stopped");
            }
            alive.store(false, SeqCst);
            inbox.drop_rest(&stats);
        })
        .map_err(|e| RoomError::Thread(e.to_string()))?;
    *thread_slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(thread);
    Ok(handle)
}

fn run_loop(runner: &mut RoomRunner, inbox: &RoomInbox, stats: &Stats) {
    let settings = runner.room().settings().clone();
    let period = Duration::from_secs_f64(1.0 / f64::from(settings.tick_rate));
    let gauges = runner.room().gauges();
    let name = runner.room().name().to_owned();
    let mut deadline = Instant::now();
    tracing::info!(room = %name, tick_rate = settings.tick_rate, snapshot_rate = settings.snapshot_rate, "room started");
    loop {
        let now = Instant::now();
        if now < deadline {
            std::thread::sleep(deadline - now);
            continue;
        }
        let lateness = now - deadline;
        let mut stages = [0u32; STAGES];
        let mut last = now;
        let mut mark = |stage: Stage| {
            let t = Instant::now();
            stages[stage as usize] = micros(t - last);
            last = t;
        };
        let reachable = inbox.drain_into(runner);
        mark(Stage::Receive);
        if !reachable {
            // Every handle is gone: nobody can reach this room any more.
            runner.control(Control::Shutdown);
        }
        let outcome = runner.tick(&mut mark);
        let took = now.elapsed();
        let sample = TickSample {
            duration_us: micros(took),
            lateness_us: micros(lateness),
            stages_us: stages,
        };
        gauges.times.record(sample);
        stats
            .tick_histograms
            .observe(sample.duration_us, sample.lateness_us, &sample.stages_us);
        if took > period {
            gauges.overruns.fetch_add(1, Relaxed);
        }
        if outcome == TickOutcome::Stopped {
            break;
        }
        deadline += period;
        let behind = Instant::now().saturating_duration_since(deadline);
        if behind > period * MAX_CATCH_UP {
            // Too far behind: drop the backlog instead of running it.
            let skipped = (behind.as_nanos() / period.as_nanos().max(1)) as u64;
            gauges.skipped_ticks.fetch_add(skipped, Relaxed);
            deadline = Instant::now();
            tracing::warn!(room = %name, skipped, "tick loop fell behind; skipped ticks");
        }
    }
    tracing::info!(room = %name, ticks = runner.room().tick_number(), "room stopped");
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}
