//! What Arena counts, for tests and operators: one [`Counters`] shared by every room of a game
//! value (get it from [`super::build`]), read as a plain [`CounterValues`].

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use serde::Serialize;

use super::events::ChatRefusal;

/// One counted thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    BoltsFired,
    BoltHits,
    RailShots,
    RailHits,
    RewoundShots,
    RewindsClamped,
    Kills,
    PickupsTaken,
    ChatLines,
    ChatRefused(ChatRefusal),
}

impl Count {
    fn slot(self) -> usize {
        match self {
            Count::BoltsFired => 0,
            Count::BoltHits => 1,
            Count::RailShots => 2,
            Count::RailHits => 3,
            Count::RewoundShots => 4,
            Count::RewindsClamped => 5,
            Count::Kills => 6,
            Count::PickupsTaken => 7,
            Count::ChatLines => 8,
            Count::ChatRefused(r) => 9 + r as usize,
        }
    }
}

const SLOTS: usize = 9 + ChatRefusal::ALL.len();

/// Arena's running totals (relaxed atomics), shared by the rooms of one game value.
#[derive(Debug, Default)]
pub struct Counters {
    slots: [AtomicU64; SLOTS],
}

/// The counters' values at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CounterValues {
    /// Bolts fired.
    pub bolts_fired: u64,
    /// Bolts that hit a ship (shielded ones included).
    pub bolt_hits: u64,
    /// Rail shots fired.
    pub rail_shots: u64,
    /// Rail shots that hit a ship (shielded ones included).
    pub rail_hits: u64,
    /// Rail shots tested in the past (their `view_tick` was before the current tick).
    pub rewound_shots: u64,
    /// Rail shots whose `view_tick` was further back than the maximum rewind: tested at the cap.
    pub rewinds_clamped: u64,
    /// Ships destroyed.
    pub kills: u64,
    /// Health pickups taken.
    pub pickups_taken: u64,
    /// Chat lines passed on.
    pub chat_lines: u64,
    /// Chat lines refused as empty after trimming.
    pub chat_empty: u64,
    /// Chat lines refused as longer than 200 characters.
    pub chat_too_long: u64,
    /// Chat lines refused by the chat rate limit.
    pub chat_rate_limited: u64,
}

impl Counters {
    pub(crate) fn bump(&self, c: Count) {
        self.slots[c.slot()].fetch_add(1, Relaxed);
    }

    fn get(&self, c: Count) -> u64 {
        self.slots[c.slot()].load(Relaxed)
    }

    /// The current values.
    pub fn snapshot(&self) -> CounterValues {
        CounterValues {
            bolts_fired: self.get(Count::BoltsFired),
            bolt_hits: self.get(Count::BoltHits),
            rail_shots: self.get(Count::RailShots),
            rail_hits: self.get(Count::RailHits),
            rewound_shots: self.get(Count::RewoundShots),
            rewinds_clamped: self.get(Count::RewindsClamped),
            kills: self.get(Count::Kills),
            pickups_taken: self.get(Count::PickupsTaken),
            chat_lines: self.get(Count::ChatLines),
            chat_empty: self.get(Count::ChatRefused(ChatRefusal::Empty)),
            chat_too_long: self.get(Count::ChatRefused(ChatRefusal::TooLong)),
            chat_rate_limited: self.get(Count::ChatRefused(ChatRefusal::RateLimited)),
        }
    }
}
