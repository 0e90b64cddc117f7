//! Each room's recent tick timings, and their percentiles for `/stats`.

use std::collections::VecDeque;
use std::sync::Mutex;

pub use tickstate_shared::stats_doc::Percentiles;

/// Number of tick stages (receive, validate, simulate, snapshot, send).
pub const STAGES: usize = 5;
/// Stage names, in tick order.
pub const STAGE_NAMES: [&str; STAGES] = ["receive", "validate", "simulate", "snapshot", "send"];

/// One tick's timings, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickSample {
    /// Whole tick.
    pub duration_us: u32,
    /// How late the tick started after its deadline.
    pub lateness_us: u32,
    /// Each stage, in [`STAGE_NAMES`] order.
    pub stages_us: [u32; STAGES],
}

/// Recent tick timings of one room, kept in a ring.
#[derive(Debug, Default)]
pub struct TickTimes {
    ring: Mutex<VecDeque<TickSample>>,
}

const RING: usize = 4096;

impl TickTimes {
    /// Records one tick.
    pub fn record(&self, sample: TickSample) {
        let mut r = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        if r.len() == RING {
            r.pop_front();
        }
        r.push_back(sample);
    }

    /// Percentiles over the last ticks.
    pub fn percentiles(&self) -> TickPercentiles {
        let r: Vec<TickSample> = self
            .ring
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .collect();
        let of = |f: &dyn Fn(&TickSample) -> u32| pct(&mut r.iter().map(f).collect::<Vec<_>>());
        TickPercentiles {
            duration: of(&|s| s.duration_us),
            lateness: of(&|s| s.lateness_us),
            stages: std::array::from_fn(|i| of(&|s| s.stages_us[i])),
        }
    }
}

/// Percentiles of a room's recent ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TickPercentiles {
    /// Whole tick duration.
    pub duration: Percentiles,
    /// Start lateness.
    pub lateness: Percentiles,
    /// Each stage, in [`STAGE_NAMES`] order.
    pub stages: [Percentiles; STAGES],
}

fn pct(v: &mut [u32]) -> Percentiles {
    if v.is_empty() {
        return Percentiles::default();
    }
    v.sort_unstable();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Percentiles {
        p50: at(0.5),
        p99: at(0.99),
        max: v[v.len() - 1],
        samples: v.len() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_series() {
        let t = TickTimes::default();
        for i in 1..=100 {
            t.record(TickSample {
                duration_us: i,
                lateness_us: 0,
                stages_us: [i, 0, 0, 0, 2 * i],
            });
        }
        let p = t.percentiles();
        let d = p.duration;
        assert_eq!((d.p50, d.p99, d.max, d.samples), (51, 99, 100, 100));
        assert_eq!(p.lateness.max, 0);
        assert_eq!(p.stages[0], d);
        assert_eq!(p.stages[4].max, 200);
    }
}
