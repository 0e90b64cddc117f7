//! Seats: a player's connection state in a room, and the tokens that resume it.
//!
//! A seat goes through an explicit lifecycle:
//!
//! ```text
//!            join                 ready                  connection drops
//!   (none) ────────► Joining ─────────────► Ready ───────────────────────► Held
//!                      │  ▲                                                  │
//!     never ready:     │  └────────────────── resume with the token ─────────┘
//!     removed          ▼                                           hold expires: removed
//! ```
//!
//! A resumed connection starts in `Joining` again (its `welcome` is on its way); one that dies
//! before it is ready goes back to `Held`. Events for a seat that is not `Ready` wait in the
//! seat, bounded, and go out in order when it is.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use super::acks::SnapshotAcks;
use super::input_queue::InputQueue;
use super::mailbox::ConnId;
use crate::sim::PlayerId;
use crate::stats::ClientStats;

/// Most events kept for a held (disconnected) seat; older ones are dropped beyond it.
pub const HELD_EVENTS: usize = 256;
/// Most events kept for a seat whose `welcome` is on its way (beyond those kept while held).
pub const EARLY_EVENTS: usize = 64;

/// Where a seat is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatState {
    /// Admitted (or resumed) at this tick; the `welcome` is on its way.
    Joining {
        /// Tick of the join.
        since: u64,
    },
    /// Playing: snapshots and events go out.
    Ready,
    /// The connection dropped at this tick; seat and entity are held for a resume.
    Held {
        /// Tick of the drop.
        since: u64,
    },
}

/// An event waiting for its seat to be ready.
#[derive(Debug, Clone)]
pub struct Deferred {
    pub event: Arc<str>,
    pub data: Arc<rmpv::Value>,
    pub tick: Option<u32>,
}

/// One player's seat.
#[derive(Debug)]
pub struct Seat {
    pub player: PlayerId,
    /// The connection now, `None` while held.
    pub conn: Option<ConnId>,
    pub token: String,
    pub state: SeatState,
    /// Became ready at least once (a resumed connection that dies again is held, not removed).
    pub was_ready: bool,
    /// Others were told of this player (`joined`), so they get a `left` when it goes.
    pub announced: bool,
    pub client: Arc<ClientStats>,
    pub inputs: InputQueue,
    /// Events waiting for the seat to be ready.
    pub deferred: VecDeque<Deferred>,
    /// Send a snapshot on the next tick even if it is not a snapshot tick (after a resume).
    pub needs_snapshot: bool,
    /// `welcome.movement`'s speed and radius, to tell when the snapshot must carry new ones.
    pub welcome_movement: [f32; 2],
    /// The snapshots the client acknowledged (its delta baseline).
    pub acks: SnapshotAcks,
}

impl Seat {
    /// Keeps an event for later; returns true when the bound made it drop the oldest one.
    pub fn defer(&mut self, d: Deferred) -> bool {
        let cap = match self.state {
            SeatState::Held { .. } => HELD_EVENTS,
            _ => HELD_EVENTS + EARLY_EVENTS,
        };
        let full = self.deferred.len() >= cap;
        if full {
            self.deferred.pop_front();
        }
        self.deferred.push_back(d);
        full
    }
}

/// Every seat of a room, by player (ordered) and by connection.
#[derive(Debug, Default)]
pub struct Seats {
    by_player: BTreeMap<PlayerId, Seat>,
    by_conn: HashMap<ConnId, PlayerId>,
}

impl Seats {
    pub fn insert(&mut self, seat: Seat) {
        if let Some(c) = seat.conn {
            self.by_conn.insert(c, seat.player);
        }
        self.by_player.insert(seat.player, seat);
    }

    pub fn remove(&mut self, id: PlayerId) -> Option<Seat> {
        let s = self.by_player.remove(&id)?;
        if let Some(c) = s.conn {
            self.by_conn.remove(&c);
        }
        Some(s)
    }

    pub fn get(&self, id: PlayerId) -> Option<&Seat> {
        self.by_player.get(&id)
    }

    pub fn get_mut(&mut self, id: PlayerId) -> Option<&mut Seat> {
        self.by_player.get_mut(&id)
    }

    pub fn player_of(&self, conn: ConnId) -> Option<PlayerId> {
        self.by_conn.get(&conn).copied()
    }

    pub fn by_conn_mut(&mut self, conn: ConnId) -> Option<&mut Seat> {
        let id = self.by_conn.get(&conn)?;
        self.by_player.get_mut(id)
    }

    /// Moves a seat to another connection (or to none, while held).
    pub fn rebind(&mut self, id: PlayerId, conn: Option<ConnId>) {
        let Some(s) = self.by_player.get_mut(&id) else { return };
        if let Some(old) = s.conn.take() {
            self.by_conn.remove(&old);
        }
        s.conn = conn;
        if let Some(c) = conn {
            self.by_conn.insert(c, id);
        }
    }

    /// The seat holding a resume token.
    pub fn by_token(&self, token: &str) -> Option<PlayerId> {
        self.by_player.values().find(|s| s.token == token).map(|s| s.player)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&PlayerId, &Seat)> {
        self.by_player.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&PlayerId, &mut Seat)> {
        self.by_player.iter_mut()
    }

    pub fn ids(&self) -> impl Iterator<Item = PlayerId> + '_ {
        self.by_player.keys().copied()
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
    pub(crate) fn insert(&self, token: &str, room: &str) {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.to_owned(), room.to_owned());
    }
    pub(crate) fn remove(&self, token: &str) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).remove(token);
    }
}
