//! What crosses the boundary between the network layer and a room: requests in, transmits out.
//!
//! The room core ([`super::Room`]) does no I/O: the runner hands it [`Control`] messages, inputs and
//! client messages through its `handle_*` methods, and takes [`Transmit`]s out with
//! [`super::Room::poll_transmit`] to write them to the players' links.

use std::sync::Arc;

use bytes::Bytes;
use tickstate_shared::InputMsg;
use tickstate_shared::protocol::Welcome;
use tickstate_shared::reasons::{JoinRefusal, LeaveReason};
use tokio::sync::oneshot;

use super::link::PlayerLink;
use crate::rules::{ClientMessage, Identity, JoinOptions};
use crate::stats::ClientStats;

/// Identifies one connection to the server (assigned by the network layer, never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// A join as the room core sees it (the runner keeps the connection's link and reply channel).
#[derive(Debug, Clone)]
pub struct JoinRequest {
    /// The connection asking.
    pub conn: ConnId,
    /// Cleaned display name (may be empty: the room then names the player).
    pub name: String,
    /// The connection's input counters.
    pub client: Arc<ClientStats>,
    /// A resume token from an earlier `welcome`: take back that player's seat and entity.
    pub resume: Option<String>,
    /// Join options from the connect auth.
    pub options: JoinOptions,
    /// The authenticator's identity for this connection.
    pub identity: Option<Identity>,
}

/// A join travelling from the connect middleware to a room's runner: the request plus the
/// connection's link and the channel its answer goes back on.
pub struct JoinTicket {
    /// The request.
    pub request: JoinRequest,
    /// Where the room's messages for this player go once it is admitted.
    pub link: Box<dyn PlayerLink>,
    /// Gets the `welcome` or the refusal.
    pub reply: oneshot::Sender<Result<Welcome, JoinRefusal>>,
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
    Leave {
        /// The connection.
        conn: ConnId,
        /// Why, for the `left` notice.
        reason: LeaveReason,
        /// Keep the seat for a resume.
        hold: bool,
    },
    /// Stop the room: tell every player and end the tick loop.
    Shutdown,
}

/// What the room core is told about connections (the runner's [`Control`] without the I/O parts).
#[derive(Debug, Clone)]
pub enum Event {
    /// A connection wants to join.
    Join(JoinRequest),
    /// The connection that was just admitted gave up before its `welcome` reached it: undo.
    Abandoned(ConnId),
    /// The connection got its `welcome`.
    Ready(ConnId),
    /// The connection closed (see [`Control::Leave`]).
    Leave {
        /// The connection.
        conn: ConnId,
        /// Why.
        reason: LeaveReason,
        /// Keep the seat for a resume.
        hold: bool,
    },
    /// Stop the room.
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

/// A decoded client message on its way to a room.
#[derive(Debug)]
pub struct MessageEnvelope {
    /// The connection it came from.
    pub conn: ConnId,
    /// The decoded message.
    pub message: ClientMessage,
}

/// Something for the runner to write to a connection's link.
#[derive(Debug, Clone)]
pub enum Transmit {
    /// The answer to a join: the `welcome` (the connection is admitted) or the refusal.
    Answer {
        /// The connection asking.
        conn: ConnId,
        /// What to tell it.
        result: Result<Box<Welcome>, JoinRefusal>,
    },
    /// A snapshot document (sent volatile: latest wins).
    Snapshot {
        /// Recipient.
        conn: ConnId,
        /// The MessagePack document.
        doc: Bytes,
    },
    /// An event: an engine notice (`joined`, `left`, `bye`) with one argument, or a game event with
    /// two (`data`, `tick`).
    Event {
        /// Recipient.
        conn: ConnId,
        /// Event name.
        event: Arc<str>,
        /// Its data, shared between the recipients of a broadcast.
        data: Arc<rmpv::Value>,
        /// The tick of a game event (sent as the second argument).
        tick: Option<u32>,
    },
    /// Close the connection after what is queued for it.
    Close {
        /// The connection.
        conn: ConnId,
    },
}
