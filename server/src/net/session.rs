//! What the network layer remembers about an admitted connection (kept in the socket's
//! extensions): its room, its counters and its rate budgets.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tickstate_shared::protocol::Welcome;

use super::bucket::TokenBucket;
use crate::config::{InputPolicy, MessagePolicy};
use crate::room::{ConnId, RoomHandle};
use crate::schema::Schema;
use crate::stats::{ClientStats, Stats};

/// The rate buckets of one connection.
#[derive(Debug)]
pub(crate) struct Budget {
    pub inputs: TokenBucket,
    pub messages: TokenBucket,
    /// `snapshot_ack`s (one per snapshot is all a client needs; excess ones are dropped).
    pub acks: TokenBucket,
    /// Offences (invalid or excess inputs and messages); running out means `abuse`.
    pub offences: TokenBucket,
}

impl Budget {
    pub fn new(tick_rate: u32, inputs: &InputPolicy, messages: &MessagePolicy, now: Instant) -> Self {
        let tick_rate = f64::from(tick_rate);
        Self {
            inputs: TokenBucket::new(
                inputs.rate.unwrap_or(tick_rate * 1.25),
                inputs.burst.unwrap_or(tick_rate / 2.0),
                now,
            ),
            messages: TokenBucket::new(messages.rate, messages.burst, now),
            acks: TokenBucket::new(tick_rate * 1.25, tick_rate / 2.0, now),
            offences: TokenBucket::new(
                if inputs.offence_burst > 0.0 {
                    inputs.offence_rate.max(f64::MIN_POSITIVE)
                } else {
                    0.0
                },
                inputs.offence_burst,
                now,
            ),
        }
    }
}

/// One admitted connection.
#[derive(Clone)]
pub(crate) struct Session {
    pub conn: ConnId,
    pub room: RoomHandle,
    pub welcome: Arc<Welcome>,
    pub schema: Arc<Schema>,
    pub stats: Arc<Stats>,
    pub client: Arc<ClientStats>,
    pub budget: Arc<Mutex<Budget>>,
    /// Set when the server ends the connection on purpose (e.g. `abuse`), for the disconnect count.
    pub end_reason: Arc<OnceLock<crate::stats::DisconnectReason>>,
    pub ping_window: Duration,
}
