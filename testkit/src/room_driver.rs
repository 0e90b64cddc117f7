//! Driving a room in memory, without sockets, threads or a clock: the room tests, the property
//! tests, the fuzz targets and the tick benchmark all step rooms through this.
//!
//! It feeds a [`RoomRunner`] by hand what the network layer and the room thread would: joins and
//! leaves ([`Control`]), inputs and messages ([`Inbound`]), and one tick at a time.
//!
//! ```
//! use tickstate_server::game::star_collector;
//! use tickstate_testkit::RoomDriver;
//! use tickstate_shared::InputMsg;
//! let mut d = RoomDriver::new(&star_collector(), Default::default(), 7).unwrap();
//! let (conn, link, welcome) = d.join("Ada").unwrap();
//! d.input(conn, InputMsg::new(1, 1.0, 0.0, 0));
//! d.ticks(2);
//! assert_eq!(link.last_snapshot().unwrap().ack, 1);
//! # let _ = welcome;
//! ```

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tickstate_shared::InputMsg;
use tickstate_shared::protocol::Welcome;
use tickstate_shared::reasons::{JoinRefusal, Refusal};
use tickstate_shared::receiver::SnapshotReceiver;
use tickstate_shared::snapshot::{RecordLayout, Snapshot};
use tokio::sync::oneshot;

use tickstate_server::room::runner::RoomRunner;
use tickstate_server::room::{
    ConnId, Control, Inbound, InputEnvelope, JoinRequest, JoinTicket, LinkError, MessageEnvelope, PlayerLink, Room,
    RoomError, RoomPolicy, Sessions, TickOutcome,
};
use tickstate_server::rules::{ClientMessage, Game, Identity, JoinOptions};
use tickstate_server::stats::{ClientStats, Stats};

/// One event as a [`RecordingLink`] received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    /// Event name.
    pub name: String,
    /// Its (first) argument.
    pub data: rmpv::Value,
    /// The tick of a game event.
    pub tick: Option<u32>,
}

/// What a [`RecordingLink`] received.
#[derive(Debug, Default)]
pub struct Recording {
    /// Every snapshot, decoded (deltas applied: a delta's entities are in ascending id order).
    pub snapshots: Vec<Snapshot>,
    /// Each snapshot document's size in bytes.
    pub sizes: Vec<usize>,
    /// How many of the snapshots were deltas.
    pub deltas: usize,
    /// The decoder, with the baselines a client keeps.
    pub receiver: Option<SnapshotReceiver>,
    /// Every other event.
    pub events: Vec<RecordedEvent>,
    /// True once the room closed the link.
    pub closed: bool,
}

/// A [`PlayerLink`] that keeps everything it is sent, decoding snapshots with the room's record
/// layout. Cheap to clone; clones share the record.
#[derive(Debug, Clone)]
pub struct RecordingLink {
    rec: Arc<Mutex<Recording>>,
    layout: Arc<RecordLayout>,
}

impl RecordingLink {
    /// A link decoding snapshots with `layout`.
    pub fn new(layout: Arc<RecordLayout>) -> Self {
        Self {
            rec: Arc::default(),
            layout,
        }
    }
    /// The record (locked).
    pub fn record(&self) -> MutexGuard<'_, Recording> {
        self.rec.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// The data of every event called `name`.
    pub fn events(&self, name: &str) -> Vec<rmpv::Value> {
        self.record()
            .events
            .iter()
            .filter(|e| e.name == name)
            .map(|e| e.data.clone())
            .collect()
    }
    /// Every event called `name`, decoded as `T` the way a client decodes it (from MessagePack).
    ///
    /// # Panics
    /// When one does not decode as `T`: a test must not silently skip events it cannot read.
    pub fn typed<T: serde::de::DeserializeOwned>(&self, name: &str) -> Vec<T> {
        self.events(name)
            .into_iter()
            .map(|v| {
                crate::client::from_value(&v)
                    .unwrap_or_else(|e| panic!("event {name:?} does not decode as the type asked for: {e}; it was {v}"))
            })
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
        let layout = &self.layout;
        let rx = r
            .receiver
            .get_or_insert_with(|| SnapshotReceiver::new(RecordLayout::clone(layout)));
        let before = rx.counts().0;
        #[allow(clippy::expect_used)]
        let snap = rx.receive(&doc).expect("the room's snapshots should decode");
        let delta = rx.counts().0 > before;
        r.deltas += usize::from(delta);
        r.sizes.push(doc.len());
        r.snapshots.push(snap);
        Ok(())
    }
    fn emit(&self, event: &str, data: &rmpv::Value, tick: Option<u32>) -> Result<(), LinkError> {
        let mut r = self.record();
        if r.closed {
            return Err(LinkError::Closed);
        }
        r.events.push(RecordedEvent {
            name: event.to_owned(),
            data: data.clone(),
            tick,
        });
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
    fn emit(&self, _event: &str, _data: &rmpv::Value, _tick: Option<u32>) -> Result<(), LinkError> {
        Ok(())
    }
    fn close(&self) {}
}

/// How a driven join is made.
#[derive(Debug, Clone, Default)]
pub struct JoinSpec {
    /// Display name.
    pub name: String,
    /// Resume token.
    pub resume: Option<String>,
    /// Join options.
    pub options: JoinOptions,
    /// Identity (as an authenticator would give it).
    pub identity: Option<Identity>,
}

/// A room with its runner, stepped by hand.
pub struct RoomDriver {
    /// The runner (and through it, the room).
    pub runner: RoomRunner,
    stats: Arc<Stats>,
    layout: Arc<RecordLayout>,
    next_conn: u64,
}

impl RoomDriver {
    /// A room of `game`, with its own [`Stats`].
    ///
    /// # Errors
    /// [`RoomError`] when the rules' settings are unusable.
    pub fn new(game: &Game, policy: RoomPolicy, seed: u64) -> Result<Self, RoomError> {
        let stats = Arc::new(Stats::default());
        let room = Room::new(
            "driven",
            game,
            policy,
            stats.clone(),
            Arc::new(Sessions::default()),
            seed,
        )?;
        Ok(Self {
            runner: RoomRunner::new(room, stats.clone()),
            stats,
            layout: Arc::new(game.schema().record_layout().clone()),
            next_conn: 1,
        })
    }

    /// The room core.
    pub fn room(&self) -> &Room {
        self.runner.room()
    }

    /// The counters the room updates.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// A recording link for this room's game.
    pub fn link(&self) -> RecordingLink {
        RecordingLink::new(self.layout.clone())
    }

    /// Runs one tick.
    pub fn tick(&mut self) -> TickOutcome {
        self.runner.tick(&mut |_| {})
    }

    /// Runs `n` ticks.
    pub fn ticks(&mut self, n: usize) {
        for _ in 0..n {
            self.tick();
        }
    }

    /// Hands a control message to the room now.
    pub fn control(&mut self, c: Control) {
        self.runner.control(c);
    }

    /// A fresh connection id.
    pub fn next_conn(&mut self) -> ConnId {
        let c = ConnId(self.next_conn);
        self.next_conn += 1;
        c
    }

    /// Hands a join to the room; the answer is on the returned receiver.
    pub fn join_request(
        &mut self,
        spec: JoinSpec,
        link: Box<dyn PlayerLink>,
        client: Arc<ClientStats>,
    ) -> (ConnId, oneshot::Receiver<Result<Welcome, JoinRefusal>>) {
        let conn = self.next_conn();
        let (reply, rx) = oneshot::channel();
        self.control(Control::Join(JoinTicket {
            request: JoinRequest {
                conn,
                name: spec.name,
                client,
                resume: spec.resume,
                options: spec.options,
                identity: spec.identity,
            },
            link,
            reply,
        }));
        (conn, rx)
    }

    /// Joins a player with a [`RecordingLink`] and marks it ready.
    ///
    /// # Errors
    /// The room's refusal.
    pub fn join(&mut self, name: &str) -> Result<(ConnId, RecordingLink, Welcome), JoinRefusal> {
        self.admit(JoinSpec {
            name: name.into(),
            ..JoinSpec::default()
        })
    }

    /// Like [`RoomDriver::join`] with a resume token.
    ///
    /// # Errors
    /// The room's refusal (`invalid_token`, …).
    pub fn resume(&mut self, token: &str) -> Result<(ConnId, RecordingLink, Welcome), JoinRefusal> {
        self.admit(JoinSpec {
            resume: Some(token.to_owned()),
            ..JoinSpec::default()
        })
    }

    /// Joins with everything a connection can say, and marks it ready.
    ///
    /// # Errors
    /// The room's refusal.
    pub fn admit(&mut self, spec: JoinSpec) -> Result<(ConnId, RecordingLink, Welcome), JoinRefusal> {
        let link = self.link();
        let (conn, mut rx) = self.join_request(spec, Box::new(link.clone()), Arc::default());
        let welcome = rx
            .try_recv()
            .map_err(|_| JoinRefusal::with_detail(Refusal::Busy, "no answer"))??;
        self.control(Control::Ready(conn));
        Ok((conn, link, welcome))
    }

    /// Joins a player called `name` whose snapshots go nowhere ([`NullLink`]), marks it ready, and
    /// returns its connection and counters: the benches' players.
    ///
    /// # Errors
    /// The room's refusal.
    pub fn join_silent(&mut self, name: &str) -> Result<(ConnId, Arc<ClientStats>), JoinRefusal> {
        let client = Arc::new(ClientStats::default());
        let spec = JoinSpec {
            name: name.to_owned(),
            ..JoinSpec::default()
        };
        let (conn, mut rx) = self.join_request(spec, Box::new(NullLink), client.clone());
        rx.try_recv()
            .map_err(|_| JoinRefusal::with_detail(Refusal::Busy, "no answer"))??;
        self.control(Control::Ready(conn));
        Ok((conn, client))
    }

    /// Hands an input from `conn` (with fresh per-client counters) to the room.
    pub fn input(&mut self, conn: ConnId, input: InputMsg) {
        self.input_counted(conn, input, Arc::default());
    }

    /// Hands an input counted against `client` to the room.
    pub fn input_counted(&mut self, conn: ConnId, input: InputMsg, client: Arc<ClientStats>) {
        self.runner
            .inbound(Inbound::Input(InputEnvelope { conn, input, client }));
    }

    /// Hands a `snapshot_ack` of `tick` from `conn` to the room.
    pub fn snapshot_ack(&mut self, conn: ConnId, tick: u32) {
        self.runner.inbound(Inbound::SnapshotAck(conn, tick));
    }

    /// Hands a decoded message from `conn` to the room.
    pub fn message(&mut self, conn: ConnId, message: ClientMessage) {
        self.runner.inbound(Inbound::Message(MessageEnvelope { conn, message }));
    }
}
