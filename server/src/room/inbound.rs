//! A room's inbound queue: inputs and messages from every connection, bounded, allocated as used.
//!
//! `std::sync::mpsc::sync_channel(n)` allocates all `n` slots up front: 8,192 slots of ~150 bytes
//! were 1.2 MB per room before its first input, most of the memory of a server with many small
//! rooms. This queue is an unbounded `mpsc` channel (which allocates blocks of 31 slots as they
//! fill and frees them as they drain) with the bound kept by a counter of the items in flight.
//! So an idle room costs one block, and a flooded one at most its capacity, as before.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::sync::mpsc::{self, Receiver, Sender, TrySendError};

use super::mailbox::{ConnId, InputEnvelope, MessageEnvelope};

/// What arrives on a room's inbound queue.
#[derive(Debug)]
pub enum Inbound {
    /// An input.
    Input(InputEnvelope),
    /// A decoded client message.
    Message(MessageEnvelope),
    /// A `snapshot_ack`: the connection received the snapshot of that tick.
    SnapshotAck(ConnId, u32),
}

/// The sending side (cheap to clone; one per handle).
#[derive(Debug, Clone)]
pub struct InboundTx {
    tx: Sender<Inbound>,
    queued: Arc<AtomicUsize>,
    capacity: usize,
}

/// The receiving side, owned by the room's runner.
#[derive(Debug)]
pub struct InboundRx {
    rx: Receiver<Inbound>,
    queued: Arc<AtomicUsize>,
}

/// A queue that holds at most `capacity` items.
pub fn inbound_queue(capacity: usize) -> (InboundTx, InboundRx) {
    let (tx, rx) = mpsc::channel();
    let queued = Arc::new(AtomicUsize::new(0));
    (
        InboundTx {
            tx,
            queued: queued.clone(),
            capacity: capacity.max(1),
        },
        InboundRx { rx, queued },
    )
}

impl InboundTx {
    /// Queues `item` without waiting.
    ///
    /// # Errors
    /// [`TrySendError::Full`] with the item when `capacity` items wait, [`TrySendError::Disconnected`]
    /// when the room is gone.
    // The refused item comes back (as from std's `try_send`) so the caller can count it against
    // its client; it is not boxed to keep the common path allocation-free.
    #[allow(clippy::result_large_err)]
    pub fn try_send(&self, item: Inbound) -> Result<(), TrySendError<Inbound>> {
        if self.queued.fetch_add(1, AcqRel) >= self.capacity {
            self.queued.fetch_sub(1, AcqRel);
            return Err(TrySendError::Full(item));
        }
        self.tx.send(item).map_err(|e| {
            self.queued.fetch_sub(1, AcqRel);
            TrySendError::Disconnected(e.0)
        })
    }
}

impl InboundRx {
    /// The next item, if one waits.
    pub fn try_recv(&self) -> Option<Inbound> {
        let item = self.rx.try_recv().ok()?;
        self.queued.fetch_sub(1, AcqRel);
        Some(item)
    }

    /// Items waiting now.
    pub fn len(&self) -> usize {
        self.queued.load(Acquire)
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::stats::ClientStats;
    use tickstate_shared::InputMsg;

    fn input(seq: u32) -> Inbound {
        Inbound::Input(InputEnvelope {
            conn: super::super::ConnId(1),
            input: InputMsg::new(seq, 0.0, 0.0, 0),
            client: Arc::new(ClientStats::default()),
        })
    }

    #[test]
    fn holds_at_most_its_capacity_and_frees_slots_as_it_drains() {
        let (tx, rx) = inbound_queue(3);
        for s in 0..3 {
            tx.try_send(input(s)).unwrap();
        }
        assert!(matches!(tx.try_send(input(9)), Err(TrySendError::Full(_))));
        assert_eq!(rx.len(), 3);
        assert!(rx.try_recv().is_some());
        tx.try_send(input(4)).unwrap();
        let mut n = 0;
        while rx.try_recv().is_some() {
            n += 1;
        }
        assert_eq!(n, 3);
        assert!(rx.is_empty());
        drop(rx);
        assert!(matches!(tx.try_send(input(5)), Err(TrySendError::Disconnected(_))));
        assert_eq!(tx.queued.load(Acquire), 0, "a refused item is not counted");
    }
}
