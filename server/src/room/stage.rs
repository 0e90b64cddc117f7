//! The stages of a tick, what a tick asks of its runner, and the gauges a room publishes.

use std::sync::atomic::AtomicU64;

use crate::stats::TickTimes;

/// What a tick asks of the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickOutcome {
    /// Keep ticking.
    Continue,
    /// The room has stopped (shutdown, failed rules, idle); end the loop after sending what is
    /// queued.
    Stopped,
}

/// The stages of a tick, in order (see the module docs of [`crate::room`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Taking joins, leaves, inputs and messages in (the runner calls the room's `handle_*`).
    Receive,
    /// Picking each player's inputs for this tick.
    Validate,
    /// Movement, velocity entities, messages and the rules' tick.
    Simulate,
    /// Building the snapshots.
    Snapshot,
    /// Writing the queued transmits to the players' links (the runner).
    Send,
}

impl Stage {
    /// Every stage, in tick order.
    pub const ALL: [Stage; 5] = [
        Stage::Receive,
        Stage::Validate,
        Stage::Simulate,
        Stage::Snapshot,
        Stage::Send,
    ];

    /// The stage's name on `/stats` and `/metrics`.
    pub const fn name(self) -> &'static str {
        match self {
            Stage::Receive => "receive",
            Stage::Validate => "validate",
            Stage::Simulate => "simulate",
            Stage::Snapshot => "snapshot",
            Stage::Send => "send",
        }
    }
}

/// Gauges a room publishes for `/stats`.
#[derive(Debug, Default)]
pub struct RoomGauges {
    /// Players in the room.
    pub players: AtomicU64,
    /// Entities in the world.
    pub entities: AtomicU64,
    /// Ticks run.
    pub ticks: AtomicU64,
    /// Ticks that took longer than the tick period.
    pub overruns: AtomicU64,
    /// Ticks skipped because the loop fell too far behind.
    pub skipped_ticks: AtomicU64,
    /// Snapshot entity blocks encoded on the last snapshot tick: one full block when any client
    /// got a full snapshot, plus one delta per distinct baseline in use.
    pub snapshot_encodes: AtomicU64,
    /// Snapshot entity blocks encoded since the room started.
    pub snapshot_encodes_total: AtomicU64,
    /// Bytes the room's delta baselines hold.
    pub baseline_bytes: AtomicU64,
    /// `snapshot_ack`s ignored: for a tick not sent to that client, or not newer than its last.
    pub snapshot_acks_ignored: AtomicU64,
    /// Recent tick durations and start lateness.
    pub times: TickTimes,
}
