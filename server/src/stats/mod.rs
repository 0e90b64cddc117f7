//! Counters and timings shown on the operator endpoints (`/stats`, `/metrics`).
//!
//! Every input that reaches a handler is counted once as received and, when its fate is known,
//! once as applied, rejected (the client sent something invalid) or dropped (valid but not used),
//! each with a reason. So `received == applied + rejected + dropped + in_flight`, and `in_flight`
//! (inputs queued but not yet looked at by a tick) is 0 whenever the server is idle.
//! Reasons are fixed enums, so hostile clients cannot make the server keep a string per message.
//!
//! - this file: the reason enums, [`Stats`] (process-wide counters) and [`ClientStats`];
//! - [`ConnStats`]: the accept loop's connection counters;
//! - [`TickTimes`]: each room's recent tick timings and their percentiles;
//! - [`TickHistograms`]: the tick histograms of `/metrics`;
//! - [`process_usage`]: CPU and memory of this process.

mod connections;
mod histograms;
mod process;
mod tick_times;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

pub use connections::ConnStats;
pub use histograms::{StageLabel, TickHistograms};
pub use process::{ProcessUsage, process_usage};
pub use tick_times::{Percentiles, STAGE_NAMES, STAGES, TickPercentiles, TickSample, TickTimes};

macro_rules! reasons {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $v),* }
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            /// How many variants there are.
            pub const COUNT: usize = Self::ALL.len();
            /// The name used on `/stats` and `/metrics`.
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),* } }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

reasons!(
    /// Why an input was rejected: the client sent something invalid.
    RejectReason {
        /// Not the MessagePack array `[u32, number, number, u32, ...]`.
        Parse => "parse",
        /// A NaN or infinite direction component or game field.
        NonFinite => "non_finite",
        /// A game field of the wrong type (a string for a number, a float for an integer).
        WrongType => "wrong_type",
        /// A game field outside its declared range.
        OutOfRange => "out_of_range",
    }
);

reasons!(
    /// Why a client message was refused: the client sent something it should not have.
    MessageReject {
        /// The event name is not one of the game's messages.
        Unknown => "unknown",
        /// The payload is larger or deeper than the message allows.
        TooLarge => "too_large",
        /// The payload does not have the message's type.
        BadPayload => "bad_payload",
    }
);

reasons!(
    /// Why a well-formed client message was not delivered.
    MessageDrop {
        /// The client sent messages faster than its message rate allows.
        Rate => "rate",
        /// The room's inbound queue was full.
        QueueFull => "queue_full",
        /// It arrived from a connection that is not (or no longer) a player.
        UnknownPlayer => "unknown_player",
    }
);

/// Client message accounting: `received == applied + rejected + dropped (+ in flight)`.
#[derive(Debug, Default)]
pub struct MessageStats {
    received: AtomicU64,
    applied: AtomicU64,
    rejected: ReasonCounters<3>,
    dropped: ReasonCounters<3>,
}

impl MessageStats {
    /// Counts a message event that reached the server (declared or not).
    pub fn received(&self) {
        self.received.fetch_add(1, Relaxed);
    }
    /// Counts a message handed to the game rules.
    pub fn applied(&self) {
        self.applied.fetch_add(1, Relaxed);
    }
    /// Counts a refused message.
    pub fn rejected(&self, r: MessageReject) {
        self.rejected.add(r as usize, 1);
    }
    /// Counts a dropped message.
    pub fn dropped(&self, r: MessageDrop) {
        self.dropped.add(r as usize, 1);
    }
    /// The accounting as served on `/stats`.
    pub fn snapshot(&self) -> MessageCounts {
        // Outcomes before `received`, as for inputs (see `Stats::inputs`).
        let applied = self.applied.load(Relaxed);
        let (rejected_total, dropped_total) = (self.rejected.total(), self.dropped.total());
        let received = self.received.load(Relaxed);
        Accounting {
            received,
            applied,
            rejected: MessageReject::ALL
                .iter()
                .map(|r| (r.as_str(), self.rejected.get(*r as usize)))
                .collect(),
            dropped: MessageDrop::ALL
                .iter()
                .map(|r| (r.as_str(), self.dropped.get(*r as usize)))
                .collect(),
            rejected_total,
            dropped_total,
            in_flight: received.saturating_sub(applied + rejected_total + dropped_total),
        }
    }
}

/// Message accounting at one moment (the same shape as the inputs').
pub type MessageCounts = Accounting;

reasons!(
    /// Why a well-formed input was not applied.
    DropReason {
        /// The client sent faster than its input rate allows (token bucket).
        Rate => "rate",
        /// Its sequence number was not newer than the last applied one (replay or duplicate).
        Replay => "replay",
        /// The player already had the maximum number of inputs waiting.
        BufferFull => "buffer_full",
        /// The room's input queue was full.
        QueueFull => "queue_full",
        /// It arrived from a connection that is not (or no longer) a player.
        UnknownPlayer => "unknown_player",
    }
);

reasons!(
    /// Why a player's connection ended.
    DisconnectReason {
        /// The client sent a Socket.IO DISCONNECT: it said goodbye.
        ClientDisconnect => "client_disconnect",
        /// The transport closed without a goodbye (tab closed, network gone).
        TransportClose => "transport_close",
        /// The transport failed.
        TransportError => "transport_error",
        /// The peer stopped answering pings and sent nothing either.
        HeartbeatTimeout => "heartbeat_timeout",
        /// The server ended the connection (a kick, a room that stopped, a replaced session).
        ServerDisconnect => "server_disconnect",
        /// The server is shutting down.
        ClosingServer => "closing_server",
        /// The client sent a packet Socket.IO could not parse.
        PacketError => "packet_error",
        /// The peer kept sending but stopped reading what the server sends.
        SlowConsumer => "slow_consumer",
        /// Too many invalid or excess inputs.
        Abuse => "abuse",
        /// Anything else.
        Other => "other",
    }
);

impl DisconnectReason {
    /// Whether the player's seat and entity are held for it to resume with its token: yes when the
    /// connection just dropped; no when the client said goodbye or the server ended it on purpose.
    pub fn holds_seat(self) -> bool {
        !matches!(
            self,
            Self::ClientDisconnect | Self::ServerDisconnect | Self::Abuse | Self::ClosingServer
        )
    }

    /// Whether the peer went quiet or stopped reading, rather than closing the connection.
    pub fn is_timeout(self) -> bool {
        matches!(self, Self::HeartbeatTimeout | Self::SlowConsumer)
    }
}

/// Counter array indexed by a reason enum.
#[derive(Debug)]
pub struct ReasonCounters<const N: usize>([AtomicU64; N]);

impl<const N: usize> Default for ReasonCounters<N> {
    fn default() -> Self {
        Self(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

impl<const N: usize> ReasonCounters<N> {
    fn add(&self, i: usize, n: u64) {
        if let Some(c) = self.0.get(i) {
            c.fetch_add(n, Relaxed);
        }
    }
    fn get(&self, i: usize) -> u64 {
        self.0.get(i).map_or(0, |c| c.load(Relaxed))
    }
    fn total(&self) -> u64 {
        self.0.iter().map(|c| c.load(Relaxed)).sum()
    }
}

/// Process-wide counters, shared by the socket handlers and every room.
#[derive(Debug, Default)]
pub struct Stats {
    /// Inputs that reached the `input` handler.
    pub inputs_received: AtomicU64,
    /// Inputs applied to the world.
    pub inputs_applied: AtomicU64,
    rejected: ReasonCounters<{ RejectReason::COUNT }>,
    dropped: ReasonCounters<{ DropReason::COUNT }>,
    disconnects: ReasonCounters<{ DisconnectReason::COUNT }>,
    /// Events with a name the server does not know.
    pub unknown_events: AtomicU64,
    /// Connections refused at connect (bad auth, room full, …).
    pub joins_refused: AtomicU64,
    /// Snapshots handed to sockets.
    pub snapshots_sent: AtomicU64,
    /// Snapshot bytes handed to sockets (MessagePack documents, without Socket.IO framing).
    pub snapshot_bytes_sent: AtomicU64,
    /// Messages that could not be queued because a socket's buffer was full.
    pub send_buffer_full: AtomicU64,
    /// Client message accounting.
    pub messages: MessageStats,
    /// Game events dropped because a held (disconnected) player had too many waiting.
    pub events_dropped_held: AtomicU64,
    /// Tick timing histograms for `/metrics`.
    pub tick_histograms: TickHistograms,
}

impl Stats {
    /// Counts rejected inputs.
    pub fn reject(&self, r: RejectReason, n: u64) {
        self.rejected.add(r as usize, n);
    }
    /// Counts dropped inputs.
    pub fn drop_inputs(&self, r: DropReason, n: u64) {
        self.dropped.add(r as usize, n);
    }
    /// Counts a connection that ended.
    pub fn disconnect(&self, reason: DisconnectReason) {
        self.disconnects.add(reason as usize, 1);
    }
    /// Counts inputs received from a client (globally and for the client).
    pub fn received_from(&self, c: &ClientStats, n: u64) {
        self.inputs_received.fetch_add(n, Relaxed);
        c.received.fetch_add(n, Relaxed);
    }
    /// Counts a client's applied inputs.
    pub fn applied_for(&self, c: &ClientStats, n: u64) {
        self.inputs_applied.fetch_add(n, Relaxed);
        c.applied.fetch_add(n, Relaxed);
    }
    /// Counts a client's rejected inputs.
    pub fn rejected_for(&self, c: &ClientStats, r: RejectReason, n: u64) {
        self.reject(r, n);
        c.rejected.fetch_add(n, Relaxed);
    }
    /// Counts a client's dropped inputs.
    pub fn dropped_for(&self, c: &ClientStats, r: DropReason, n: u64) {
        self.drop_inputs(r, n);
        c.dropped.fetch_add(n, Relaxed);
    }
    /// Inputs rejected for a reason.
    pub fn rejected(&self, r: RejectReason) -> u64 {
        self.rejected.get(r as usize)
    }
    /// Inputs dropped for a reason.
    pub fn dropped(&self, r: DropReason) -> u64 {
        self.dropped.get(r as usize)
    }

    /// The input accounting as served on `/stats`.
    pub fn inputs(&self) -> InputStats {
        // Read the outcome counters before `received`: an input is counted as received before its
        // outcome, so this order never shows more outcomes than receipts.
        let applied = self.inputs_applied.load(Relaxed);
        let rejected_total = self.rejected.total();
        let dropped_total = self.dropped.total();
        let received = self.inputs_received.load(Relaxed);
        Accounting {
            received,
            applied,
            rejected: RejectReason::ALL
                .iter()
                .map(|r| (r.as_str(), self.rejected(*r)))
                .collect(),
            dropped: DropReason::ALL.iter().map(|r| (r.as_str(), self.dropped(*r))).collect(),
            rejected_total,
            dropped_total,
            in_flight: received.saturating_sub(applied + rejected_total + dropped_total),
        }
    }

    /// Connections that ended for a reason.
    pub fn disconnected(&self, r: DisconnectReason) -> u64 {
        self.disconnects.get(r as usize)
    }
}

/// One client's input accounting: `received == applied + rejected + dropped + in flight`.
#[derive(Debug, Default)]
pub struct ClientStats {
    /// Inputs that reached the handler from this client.
    pub received: AtomicU64,
    /// Applied.
    pub applied: AtomicU64,
    /// Rejected (invalid).
    pub rejected: AtomicU64,
    /// Dropped (valid but not used).
    pub dropped: AtomicU64,
}

impl ClientStats {
    /// The four counters, `(received, applied, rejected, dropped)`.
    pub fn read(&self) -> (u64, u64, u64, u64) {
        let applied = self.applied.load(Relaxed);
        let rejected = self.rejected.load(Relaxed);
        let dropped = self.dropped.load(Relaxed);
        (self.received.load(Relaxed), applied, rejected, dropped)
    }
}

/// Input accounting at one moment (the same shape as the messages').
pub type InputStats = Accounting;

/// Accounting of inputs or messages at one moment:
/// `received == applied + rejected_total + dropped_total + in_flight`.
#[derive(Debug, Clone, Serialize)]
pub struct Accounting {
    /// Items that reached the handler.
    pub received: u64,
    /// Items applied (inputs to the world, messages to the rules).
    pub applied: u64,
    /// Rejections by reason.
    pub rejected: Vec<(&'static str, u64)>,
    /// Drops by reason.
    pub dropped: Vec<(&'static str, u64)>,
    /// Sum of `rejected`.
    pub rejected_total: u64,
    /// Sum of `dropped`.
    pub dropped_total: u64,
    /// Received but not yet accounted for by a tick.
    pub in_flight: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounting_identity_holds() {
        let s = Stats::default();
        s.inputs_received.fetch_add(10, Relaxed);
        s.inputs_applied.fetch_add(5, Relaxed);
        s.reject(RejectReason::NonFinite, 2);
        s.drop_inputs(DropReason::Replay, 1);
        let i = s.inputs();
        assert_eq!(i.received, i.applied + i.rejected_total + i.dropped_total + i.in_flight);
        assert_eq!(i.in_flight, 2);
        assert_eq!(
            i.rejected,
            vec![("parse", 0), ("non_finite", 2), ("wrong_type", 0), ("out_of_range", 0)]
        );
    }

    #[test]
    fn disconnects_are_counted_by_reason() {
        let s = Stats::default();
        s.disconnect(DisconnectReason::Other);
        s.disconnect(DisconnectReason::TransportClose);
        s.disconnect(DisconnectReason::TransportClose);
        assert_eq!(s.disconnected(DisconnectReason::Other), 1);
        assert_eq!(s.disconnected(DisconnectReason::TransportClose), 2);
        assert_eq!(s.disconnected(DisconnectReason::Abuse), 0);
    }

    #[test]
    fn reason_names_are_distinct_snake_case() {
        let names: Vec<&str> = (RejectReason::ALL.iter().map(|r| r.as_str()))
            .chain(DropReason::ALL.iter().map(|r| r.as_str()))
            .chain(DisconnectReason::ALL.iter().map(|r| r.as_str()))
            .collect();
        let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
        assert_eq!(DisconnectReason::COUNT, 10);
        assert_eq!(DisconnectReason::SlowConsumer.to_string(), "slow_consumer");
    }

    #[test]
    fn seats_are_held_only_for_dropped_connections() {
        use DisconnectReason as D;
        let held: Vec<D> = D::ALL.iter().copied().filter(|r| r.holds_seat()).collect();
        assert_eq!(
            held,
            [
                D::TransportClose,
                D::TransportError,
                D::HeartbeatTimeout,
                D::PacketError,
                D::SlowConsumer,
                D::Other
            ]
        );
        assert!(D::HeartbeatTimeout.is_timeout() && D::SlowConsumer.is_timeout());
        assert!(!D::TransportClose.is_timeout());
    }
}
