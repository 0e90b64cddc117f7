//! What a seat's client acknowledged receiving: the baseline its next delta snapshot is against.

use std::collections::VecDeque;

use tickstate_shared::delta::HISTORY;

/// One seat's snapshot acknowledgements. Bounded: the last [`HISTORY`] ticks sent and one acked
/// tick (about 140 bytes per client; the baselines themselves are the room's, shared).
#[derive(Debug, Clone, Default)]
pub struct SnapshotAcks {
    /// The client sent at least one `snapshot_ack`: it decodes deltas.
    pub enabled: bool,
    /// Newest tick the client acknowledged that was sent to it.
    pub acked: Option<u32>,
    sent: VecDeque<u32>,
}

impl SnapshotAcks {
    /// Records that the snapshot of `tick` went to this client.
    pub fn sent(&mut self, tick: u32) {
        if self.sent.len() >= HISTORY {
            self.sent.pop_front();
        }
        self.sent.push_back(tick);
    }

    /// The client says it received `tick`. Returns false (and changes nothing but `enabled`) when
    /// that tick was not among the last ones sent to it, or is older than one already acked: a
    /// delta is only ever against a snapshot the client confirmed.
    pub fn ack(&mut self, tick: u32) -> bool {
        self.enabled = true;
        if !self.sent.contains(&tick) || self.acked.is_some_and(|a| tick <= a) {
            return false;
        }
        self.acked = Some(tick);
        true
    }

    /// A new connection for the seat (a resume): nothing it holds is known, start with a keyframe.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sent_and_newer_ticks_are_accepted() {
        let mut a = SnapshotAcks::default();
        assert!(!a.ack(5), "never sent");
        assert!(a.enabled);
        a.sent(5);
        a.sent(7);
        assert!(a.ack(7));
        assert!(!a.ack(5), "older than the acked one");
        assert_eq!(a.acked, Some(7));
        for t in 8..8 + HISTORY as u32 {
            a.sent(t);
        }
        assert!(!a.ack(7), "forgotten");
        a.reset();
        assert_eq!((a.enabled, a.acked), (false, None));
    }
}
