//! Driving a room in memory, without sockets, threads or a clock: the unit tests, the property
//! tests, the fuzz targets and the tick benchmark all step rooms through this.
//!
//! ```
//! use tickstate_server::game::StarCollector;
//! use tickstate_server::room::driver::RoomDriver;
//! use tickstate_shared::InputMsg;
//! let mut d = RoomDriver::new(Box::new(StarCollector::default()), Default::default(), 7).unwrap();
//! let (conn, link, welcome) = d.join("Ada").unwrap();
//! d.input(conn, InputMsg(1, 1.0, 0.0, 0));
//! d.ticks(2);
//! assert_eq!(link.last_snapshot().unwrap().ack, 1);
//! # let _ = welcome;
//! ```

use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tickstate_shared::codec::decode_snapshot;
use tickstate_shared::protocol::{InputMsg, Welcome};
use tickstate_shared::snapshot::Snapshot;
use tokio::sync::oneshot;

use super::runner::INPUT_QUEUE;
use super::{
    ConnId, Control, InputEnvelope, JoinTicket, LinkError, Overrides, PlayerLink, Refusal, Room, RoomError, TickOutcome,
};
use crate::rules::GameRules;
use crate::stats::{ClientStats, Stats};

/// What a [`RecordingLink`] received.
#[derive(Debug, Default)]
pub struct Recording {
    /// Every snapshot, decoded.
    pub snapshots: Vec<Snapshot>,
    /// Every other event: name and data.
    pub events: Vec<(String, rmpv::Value)>,
    /// True once the room closed the link.
    pub closed: bool,
}

/// A [`PlayerLink`] that keeps everything it is sent. Cheap to clone; clones share the record.
#[derive(Debug, Clone, Default)]
pub struct RecordingLink(Arc<Mutex<Recording>>);

impl RecordingLink {
    /// The record (locked).
    pub fn record(&self) -> MutexGuard<'_, Recording> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// The data of every event called `name`.
    pub fn events(&self, name: &str) -> Vec<rmpv::Value> {
        self.record()
            .events
            .iter()
            .filter(|e| e.0 == name)
            .map(|e| e.1.clone())
            .collect()
    }
    /// The newest snapshot.
    pub fn last_snapshot(&self) -> Option<Snapshot> {
        self.record().snapshots.last().cloned()
    }
    /// How many snapshots arrived.
    pub fn snapshot_count(&self) -> usize {
        self.record().snapshots.len()
    }
    /// True once the room closed the link.
    pub fn is_closed(&self) -> bool {
        self.record().closed
    }
}

impl PlayerLink for RecordingLink {
    fn send_snapshot(&self, doc: Bytes) -> Result<(), LinkError> {
        let mut r = self.record();
        if r.closed {
            return Err(LinkError::Closed);
        }
        // The room only ever sends documents it encoded; a failure here is a bug worth a panic
        // in the tests that use this link.
        #[allow(clippy::expect_used)]
        r.snapshots
            .push(decode_snapshot(&doc).expect("the room's snapshots should decode"));
        Ok(())
    }
    fn emit(&self, event: &str, data: &rmpv::Value) -> Result<(), LinkError> {
        let mut r = self.record();
        if r.closed {
            return Err(LinkError::Closed);
        }
        r.events.push((event.to_owned(), data.clone()));
        Ok(())
    }
    fn close(&self) {
        self.record().closed = true;
    }
}

/// A [`PlayerLink`] that accepts and drops everything (for benchmarks).
#[derive(Debug, Clone, Copy, Default)]
pub struct NullLink;

impl PlayerLink for NullLink {
    fn send_snapshot(&self, _doc: Bytes) -> Result<(), LinkError> {
        Ok(())
    }
    fn emit(&self, _event: &str, _data: &rmpv::Value) -> Result<(), LinkError> {
        Ok(())
    }
    fn close(&self) {}
}

/// A room with its two channels, stepped by hand.
pub struct RoomDriver {
    /// The room.
    pub room: Room,
    control: Sender<Control>,
    control_rx: Receiver<Control>,
    inputs: SyncSender<InputEnvelope>,
    inputs_rx: Receiver<InputEnvelope>,
    stats: Arc<Stats>,
    next_conn: u64,
}

impl RoomDriver {
    /// A room running `rules`, with its own [`Stats`].
    ///
    /// # Errors
    /// [`RoomError`] when the rules' settings are unusable.
    pub fn new(rules: Box<dyn GameRules>, overrides: Overrides, seed: u64) -> Result<Self, RoomError> {
        let stats = Arc::new(Stats::default());
        let room = Room::new("driven", rules, overrides, stats.clone(), Arc::default(), seed)?;
        let (control, control_rx) = mpsc::channel();
        let (inputs, inputs_rx) = mpsc::sync_channel(INPUT_QUEUE);
        Ok(Self {
            room,
            control,
            control_rx,
            inputs,
            inputs_rx,
            stats,
            next_conn: 1,
        })
    }

    /// The counters the room updates.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Runs one tick.
    pub fn tick(&mut self) -> TickOutcome {
        self.room.tick(&self.control_rx, &self.inputs_rx, &mut |_| {})
    }

    /// Runs `n` ticks.
    pub fn ticks(&mut self, n: usize) {
        for _ in 0..n {
            self.tick();
        }
    }

    /// Queues a control message for the next tick.
    pub fn control(&self, c: Control) {
        let _ = self.control.send(c);
    }

    /// A fresh connection id.
    pub fn next_conn(&mut self) -> ConnId {
        let c = ConnId(self.next_conn);
        self.next_conn += 1;
        c
    }

    /// Queues a join (or, with `resume`, a resume) for the next tick; the answer comes on the
    /// returned receiver after that tick.
    pub fn join_request(
        &mut self,
        name: &str,
        link: Box<dyn PlayerLink>,
        client: Arc<ClientStats>,
        resume: Option<String>,
    ) -> (ConnId, oneshot::Receiver<Result<Welcome, Refusal>>) {
        let conn = self.next_conn();
        let (reply, rx) = oneshot::channel();
        self.control(Control::Join(JoinTicket {
            conn,
            name: name.into(),
            link,
            client,
            resume,
            reply,
        }));
        (conn, rx)
    }

    /// Joins a player with a [`RecordingLink`], runs the tick that admits it and marks it ready.
    ///
    /// # Errors
    /// The room's [`Refusal`].
    pub fn join(&mut self, name: &str) -> Result<(ConnId, RecordingLink, Welcome), Refusal> {
        self.admit(name, None)
    }

    /// Like [`RoomDriver::join`] with a resume token.
    ///
    /// # Errors
    /// The room's [`Refusal`] (`invalid_token`, …).
    pub fn resume(&mut self, token: &str) -> Result<(ConnId, RecordingLink, Welcome), Refusal> {
        self.admit("", Some(token.to_owned()))
    }

    fn admit(&mut self, name: &str, resume: Option<String>) -> Result<(ConnId, RecordingLink, Welcome), Refusal> {
        let link = RecordingLink::default();
        let (conn, mut rx) = self.join_request(name, Box::new(link.clone()), Arc::default(), resume);
        self.tick();
        let welcome = rx.try_recv().map_err(|_| Refusal("no answer".into()))??;
        self.control(Control::Ready(conn));
        Ok((conn, link, welcome))
    }

    /// Queues an input from `conn` (with fresh per-client counters); `false` if the queue is full.
    pub fn input(&self, conn: ConnId, input: InputMsg) -> bool {
        self.input_counted(conn, input, Arc::default())
    }

    /// Queues an input counted against `client`; `false` if the queue is full.
    pub fn input_counted(&self, conn: ConnId, input: InputMsg, client: Arc<ClientStats>) -> bool {
        self.inputs.try_send(InputEnvelope { conn, input, client }).is_ok()
    }
}
