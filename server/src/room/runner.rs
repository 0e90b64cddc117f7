//! Running a room: its channels and its links.
//!
//! [`RoomRunner`] is the one place where a room meets I/O: it feeds the room core what arrived on
//! the room's channels, ticks it, and writes the core's transmits to the players' links (answering
//! joins on their reply channels). The server's tick pool ([`super::pool`]) steps runners at their
//! rooms' rates; tests and benchmarks step one by hand (the test kit's `RoomDriver`, in
//! `tickstate-testkit`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError, TrySendError};

use tickstate_shared::protocol::Welcome;
use tickstate_shared::reasons::{JoinRefusal, LeaveReason};
use tokio::sync::{oneshot, watch};

pub use super::inbound::Inbound;
use super::inbound::{InboundRx, InboundTx, inbound_queue};
use super::link::{LinkError, PlayerLink};
use super::mailbox::{ConnId, Control, Event, InputEnvelope, MessageEnvelope, Transmit};
use super::{Room, RoomGauges, RoomSettings, Stage, TickOutcome};
use crate::stats::{DropReason, MessageDrop, Stats};

/// Capacity of a room's inbound queue (inputs and messages from every connection).
pub const INBOUND_QUEUE: usize = 8192;

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
    inbound: InboundTx,
    settings: Arc<RoomSettings>,
    gauges: Arc<RoomGauges>,
    alive: Arc<AtomicBool>,
    stats: Arc<Stats>,
    stopped: watch::Receiver<bool>,
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

    /// Asks the room to shut down and waits until it has ended (its last tick sent what was queued).
    pub async fn shutdown(&self) {
        let _ = self.control.send(Control::Shutdown);
        let mut stopped = self.stopped.clone();
        // An error means the room is gone without saying so (its pool was dropped): ended too.
        let _ = stopped.wait_for(|s| *s).await;
    }
}

/// The two receiving ends of a room's channels.
pub struct RoomInbox {
    control: Receiver<Control>,
    inbound: InboundRx,
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
        // At most what the queue can hold, even while connections keep sending.
        for _ in 0..INBOUND_QUEUE {
            let Some(i) = self.inbound.try_recv() else { break };
            runner.inbound(i);
        }
        true
    }

    /// Counts what was still queued when the room ended.
    pub(super) fn drop_rest(&self, stats: &Stats) {
        while let Some(i) = self.inbound.try_recv() {
            match i {
                Inbound::Input(env) => stats.dropped_for(&env.client, DropReason::UnknownPlayer, 1),
                Inbound::Message(_) => stats.messages.dropped(MessageDrop::UnknownPlayer),
                Inbound::SnapshotAck(..) => {}
            }
        }
    }
}

/// A room's channels: the handle for the network layer (which sees `stopped` turn true when the
/// room has ended) and the inbox for its runner, plus the room's liveness flag.
pub fn channels(
    room: &Room,
    stats: Arc<Stats>,
    stopped: watch::Receiver<bool>,
) -> (RoomHandle, RoomInbox, Arc<AtomicBool>) {
    let (control_tx, control_rx) = mpsc::channel();
    let (inbound_tx, inbound_rx) = inbound_queue(INBOUND_QUEUE);
    let alive = Arc::new(AtomicBool::new(true));
    let handle = RoomHandle {
        name: room.name().into(),
        control: control_tx,
        inbound: inbound_tx,
        settings: Arc::new(room.settings().clone()),
        gauges: room.gauges(),
        alive: alive.clone(),
        stats,
        stopped,
    };
    (
        handle,
        RoomInbox {
            control: control_rx,
            inbound: inbound_rx,
        },
        alive,
    )
}
