//! One player's input queue: replay protection and the jitter buffer.
//!
//! Inputs reach the room unevenly (two in one tick, none in the next). Applying every input as it
//! arrives would make the player's motion uneven, so the queue applies **one input per tick**, or
//! more (up to a cap) when more than `jitter` inputs would be left waiting: a real backlog catches
//! up while jitter is absorbed. A smaller queue that stands for [`QueuePolicy::drain_after`] ticks
//! in a row (a client that sends exactly one input per tick after one bunched arrival) is drained
//! by one extra input, so it cannot add a tick of latency for the rest of the session.
//!
//! Sequence numbers are wrap-aware ([`seq_newer`]): anything not newer than the last processed
//! input is a replay or a duplicate.

use std::collections::VecDeque;

use glam::Vec2;
use tickstate_shared::input::{InputMsg, seq_newer};

use crate::sim::movement::validate_direction;

/// How a queue takes inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePolicy {
    /// Most inputs applied per tick.
    pub max_per_tick: usize,
    /// Inputs allowed to wait before a tick applies more than one.
    pub jitter: usize,
    /// Ticks a queue may keep inputs waiting before one extra input drains it.
    pub drain_after: u32,
    /// Most inputs waiting; the oldest are dropped beyond it.
    pub capacity: usize,
}

impl Default for QueuePolicy {
    fn default() -> Self {
        Self {
            max_per_tick: 3,
            jitter: 2,
            drain_after: 6,
            capacity: 32,
        }
    }
}

/// What became of one input taken from the queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Taken {
    /// Applied this tick, with its validated direction.
    Applied(InputMsg, Vec2),
    /// Not newer than the last processed input: dropped (`replay`).
    Replay,
    /// A NaN or infinite direction: rejected, but its `seq` counts as processed.
    NonFinite,
}

/// One player's waiting inputs and the last processed sequence number.
#[derive(Debug, Default, Clone)]
pub struct InputQueue {
    pending: VecDeque<InputMsg>,
    last_processed: u32,
    any_processed: bool,
    standing_ticks: u32,
}

impl InputQueue {
    /// Queues an input. Returns true when the queue was full and its oldest input was dropped.
    pub fn push(&mut self, input: InputMsg, capacity: usize) -> bool {
        let full = self.pending.len() >= capacity.max(1);
        if full {
            self.pending.pop_front();
        }
        self.pending.push_back(input);
        full
    }

    /// The last processed `seq` (the snapshot's `ack`); 0 before any.
    pub fn ack(&self) -> u32 {
        self.last_processed
    }

    /// Inputs waiting.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Forgets the waiting inputs (the connection that sent them is gone); returns how many.
    pub fn discard(&mut self) -> usize {
        let n = self.pending.len();
        self.pending.clear();
        n
    }

    /// Takes this tick's inputs in `seq` order and reports each through `out`.
    pub fn take(&mut self, policy: &QueuePolicy, mut out: impl FnMut(Taken)) {
        if self.pending.is_empty() {
            self.standing_ticks = 0;
            return;
        }
        let base = if self.any_processed {
            self.last_processed
        } else {
            // Nothing processed yet: start just before the oldest pending input.
            oldest_seq(&self.pending).wrapping_sub(1)
        };
        // Order by distance ahead of the base (wrap-aware), then drop replays and duplicates so
        // only fresh inputs count below.
        self.pending.make_contiguous().sort_by_key(|i| i.seq.wrapping_sub(base));
        let mut newest = base;
        let mut fresh = 0usize;
        self.pending.retain(|i| {
            if seq_newer(i.seq, newest) {
                newest = i.seq;
                fresh += 1;
                true
            } else {
                out(Taken::Replay);
                false
            }
        });
        let cap = policy.max_per_tick.max(1);
        let mut allowed = if fresh > 1 + policy.jitter {
            cap.min(fresh - policy.jitter)
        } else {
            1
        };
        if fresh > 1 {
            self.standing_ticks += 1;
            if self.standing_ticks >= policy.drain_after {
                allowed = allowed.max(2).min(cap);
                self.standing_ticks = 0;
            }
        } else {
            self.standing_ticks = 0;
        }
        let mut taken = 0usize;
        while taken < allowed {
            let Some(i) = self.pending.pop_front() else { break };
            self.last_processed = i.seq;
            self.any_processed = true;
            match validate_direction(i.dx, i.dy) {
                Ok(dir) => {
                    taken += 1;
                    out(Taken::Applied(i, dir));
                }
                // A rejected input still uses up its sequence number, and not the tick's budget.
                Err(_) => out(Taken::NonFinite),
            }
        }
    }
}

/// The oldest sequence number among `pending`, wrap-aware: the one the others are newer than.
fn oldest_seq(pending: &VecDeque<InputMsg>) -> u32 {
    let Some(first) = pending.front().map(|i| i.seq) else {
        return 0;
    };
    // Measure every seq relative to the first arrival, shifted so that slightly older ones
    // (reordered in flight) sort before it.
    pending
        .iter()
        .map(|i| i.seq)
        .min_by_key(|s| s.wrapping_sub(first).wrapping_add(1 << 30))
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(q: &mut InputQueue, p: &QueuePolicy) -> (Vec<u32>, usize, usize) {
        let (mut applied, mut replays, mut bad) = (Vec::new(), 0, 0);
        q.take(p, |t| match t {
            Taken::Applied(i, _) => applied.push(i.seq),
            Taken::Replay => replays += 1,
            Taken::NonFinite => bad += 1,
        });
        (applied, replays, bad)
    }

    fn push(q: &mut InputQueue, seqs: &[u32]) {
        for s in seqs {
            q.push(InputMsg::new(*s, 1.0, 0.0, 0), 32);
        }
    }

    #[test]
    fn pairs_are_applied_one_per_tick() {
        let (mut q, p) = (InputQueue::default(), QueuePolicy::default());
        push(&mut q, &[1, 2]);
        assert_eq!(run(&mut q, &p).0, vec![1]);
        push(&mut q, &[3, 4]);
        assert_eq!(
            run(&mut q, &p).0,
            vec![2],
            "one per tick while the backlog is within the jitter"
        );
        assert_eq!(q.ack(), 2);
    }

    #[test]
    fn a_backlog_catches_up_at_most_the_cap_per_tick() {
        let (mut q, p) = (InputQueue::default(), QueuePolicy::default());
        push(&mut q, &(1..=10).collect::<Vec<_>>());
        assert_eq!(run(&mut q, &p).0, vec![1, 2, 3]);
        assert_eq!(run(&mut q, &p).0, vec![4, 5, 6]);
        assert_eq!(
            run(&mut q, &p).0,
            vec![7, 8],
            "backlog of 4: two now, two left within the jitter"
        );
    }

    #[test]
    fn replays_duplicates_and_reordering_are_sorted_out_by_seq() {
        let (mut q, p) = (InputQueue::default(), QueuePolicy::default());
        push(&mut q, &[2, 1, 2]);
        let (applied, replays, _) = run(&mut q, &p);
        assert_eq!((applied, replays), (vec![1], 1));
        push(&mut q, &[1]);
        let (applied, replays, _) = run(&mut q, &p);
        assert_eq!((applied, replays), (vec![2], 1), "an old seq is a replay");
    }

    #[test]
    fn sequence_numbers_wrap() {
        let (mut q, p) = (InputQueue::default(), QueuePolicy::default());
        push(&mut q, &[u32::MAX - 1]);
        run(&mut q, &p);
        push(&mut q, &[u32::MAX, 0, 1]);
        assert_eq!(run(&mut q, &p).0, vec![u32::MAX]);
        assert_eq!(run(&mut q, &p).0, vec![0]);
        assert_eq!(run(&mut q, &p).0, vec![1]);
    }

    #[test]
    fn non_finite_directions_use_their_seq_but_not_the_budget() {
        let (mut q, p) = (InputQueue::default(), QueuePolicy::default());
        q.push(InputMsg::new(1, f32::NAN, 0.0, 0), 32);
        q.push(InputMsg::new(2, 1.0, 0.0, 0), 32);
        let (applied, _, bad) = run(&mut q, &p);
        assert_eq!((applied, bad), (vec![2], 1));
        assert_eq!(q.ack(), 2);
    }

    #[test]
    fn a_standing_queue_drains_instead_of_adding_a_tick_of_latency_forever() {
        let (mut q, p) = (InputQueue::default(), QueuePolicy::default());
        push(&mut q, &[1, 2]);
        let mut waiting_after = Vec::new();
        for seq in 3..15 {
            run(&mut q, &p);
            waiting_after.push(q.len());
            push(&mut q, &[seq]);
        }
        assert!(
            waiting_after[p.drain_after as usize..].iter().all(|&n| n == 0),
            "the standing input should be drained after {} ticks: {waiting_after:?}",
            p.drain_after
        );
    }

    #[test]
    fn a_full_queue_drops_its_oldest_input() {
        let mut q = InputQueue::default();
        for s in 1..=5 {
            assert_eq!(q.push(InputMsg::new(s, 0.0, 0.0, 0), 4), s == 5);
        }
        assert_eq!(q.len(), 4);
        assert_eq!(q.discard(), 4);
    }
}
