//! The tick histograms of `/metrics`, observed by every room's tick thread.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

use super::tick_times::{STAGE_NAMES, STAGES};

/// Label of a per-stage histogram.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabel {
    /// Stage name.
    pub stage: &'static str,
}

fn tick_histogram() -> Histogram {
    // 25 µs to ~200 ms.
    Histogram::new(exponential_buckets(25e-6, 2.0, 14))
}

/// Histograms every room's tick thread observes (all rooms together).
#[derive(Debug, Clone)]
pub struct TickHistograms {
    /// Whole-tick duration, in seconds.
    pub duration: Histogram,
    /// Tick start lateness, in seconds.
    pub lateness: Histogram,
    /// Each stage's duration, in seconds, labelled by stage.
    pub stages: Family<StageLabel, Histogram, fn() -> Histogram>,
    stage_handles: [Histogram; STAGES],
}

impl Default for TickHistograms {
    fn default() -> Self {
        let stages: Family<StageLabel, Histogram, fn() -> Histogram> = Family::new_with_constructor(tick_histogram);
        let stage_handles =
            std::array::from_fn(|i| stages.get_or_create(&StageLabel { stage: STAGE_NAMES[i] }).clone());
        Self {
            duration: tick_histogram(),
            lateness: tick_histogram(),
            stages,
            stage_handles,
        }
    }
}

impl TickHistograms {
    /// Records one tick (microseconds in, seconds out).
    pub fn observe(&self, duration_us: u32, lateness_us: u32, stages_us: &[u32; STAGES]) {
        self.duration.observe(f64::from(duration_us) * 1e-6);
        self.lateness.observe(f64::from(lateness_us) * 1e-6);
        for (h, us) in self.stage_handles.iter().zip(stages_us) {
            h.observe(f64::from(*us) * 1e-6);
        }
    }
}
