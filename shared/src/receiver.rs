//! The client side of delta snapshots: decode full and delta documents, keep the received states
//! as baselines, and say which tick to acknowledge.

use crate::codec::{DecodeError, decode_parts, decode_records};
use crate::delta::{Baseline, History, apply_delta};
use crate::snapshot::{RecordLayout, Snapshot};

/// Decodes a client's stream of snapshots, full (keyframes) and deltas, keeping the last
/// [`crate::delta::HISTORY`] received states. After each successful [`SnapshotReceiver::receive`],
/// acknowledge the returned snapshot's tick (`snapshot_ack`) to get deltas.
#[derive(Debug, Clone)]
pub struct SnapshotReceiver {
    layout: RecordLayout,
    history: History,
    deltas: u64,
    keyframes: u64,
}

impl SnapshotReceiver {
    /// A receiver for the schema's record layout.
    pub fn new(layout: RecordLayout) -> Self {
        Self {
            layout,
            history: History::default(),
            deltas: 0,
            keyframes: 0,
        }
    }

    /// The record layout.
    pub fn layout(&self) -> &RecordLayout {
        &self.layout
    }

    /// Decodes one document. A keyframe's entities come in the server's order, a delta's in
    /// ascending id.
    ///
    /// # Errors
    /// [`DecodeError`], including [`DecodeError::NoBaseline`] for a delta against a snapshot this
    /// receiver does not have (keep acknowledging: the server moves to a newer baseline or sends a
    /// keyframe). A failed document changes nothing.
    pub fn receive(&mut self, bytes: &[u8]) -> Result<Snapshot, DecodeError> {
        let parts = decode_parts(bytes, &self.layout)?;
        let state = match parts.base {
            None => {
                let entities = decode_records(parts.entities, &self.layout)?;
                let state = Baseline::from_block(parts.tick, parts.entities, &self.layout)?;
                self.keyframes += 1;
                self.history.push(state);
                return Ok(parts.into_snapshot(entities));
            }
            Some(base) => {
                let b = self.history.get(base).ok_or(DecodeError::NoBaseline(base))?;
                apply_delta(b, parts.tick, parts.entities, &self.layout)?
            }
        };
        let entities = state.entities(&self.layout)?;
        self.deltas += 1;
        self.history.push(state);
        Ok(parts.into_snapshot(entities))
    }

    /// The newest state received (its records in ascending id order).
    pub fn latest(&self) -> Option<&Baseline> {
        self.history.latest()
    }

    /// Deltas and keyframes decoded so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.deltas, self.keyframes)
    }
}
