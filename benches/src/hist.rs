//! A small log-linear histogram of microsecond values (HDR-style, about 3% resolution).
//!
//! Values below 64 µs are exact; above, each power of two is split into 32 buckets. The exact
//! maximum, minimum, count and sum are kept as well. Histograms merge by adding buckets, so every bot
//! keeps its own and the run adds them up.

use serde::Serialize;

const SUB: u32 = 32;
const EXACT: u64 = 2 * SUB as u64;
/// Enough buckets for values up to 2^63 µs.
const BUCKETS: usize = (64 - 5) * SUB as usize + SUB as usize;

/// A histogram of `u64` microsecond values.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count)
            .field("p50", &self.percentile(0.5))
            .field("p99", &self.percentile(0.99))
            .field("max", &self.max)
            .finish()
    }
}

fn index(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros();
    let shift = msb - 5;
    (shift * SUB) as usize + (v >> shift) as usize
}

/// The lowest value that lands in bucket `i`, and the bucket's width.
fn bucket_range(i: usize) -> (u64, u64) {
    if (i as u64) < EXACT {
        return (i as u64, 1);
    }
    let shift = (i as u32 / SUB) - 1;
    let mantissa = (i as u64) - u64::from(shift * SUB);
    (mantissa << shift, 1u64 << shift)
}

/// Percentiles of a histogram in microseconds (what reports show).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Summary {
    /// Number of values.
    pub count: u64,
    /// Mean.
    pub mean_us: f64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Largest value (exact).
    pub max_us: u64,
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// Records one value.
    pub fn record(&mut self, v: u64) {
        if let Some(c) = self.counts.get_mut(index(v)) {
            *c += 1;
        }
        self.count += 1;
        self.sum += u128::from(v);
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Records a duration in microseconds.
    pub fn record_duration(&mut self, d: std::time::Duration) {
        self.record(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Largest value, 0 when empty.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Mean, 0 when empty.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// The value at quantile `q` (0..=1): the middle of the bucket holding the rank, clamped to the
    /// exact min and max. 0 when empty.
    pub fn percentile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, width) = bucket_range(i);
                return (lo + (width - 1) / 2).clamp(self.min, self.max);
            }
        }
        self.max
    }

    /// Count, mean, p50/p90/p99 and max.
    pub fn summary(&self) -> Summary {
        Summary {
            count: self.count,
            mean_us: self.mean(),
            p50_us: self.percentile(0.5),
            p90_us: self.percentile(0.9),
            p99_us: self.percentile(0.99),
            max_us: self.max,
        }
    }

    /// Non-empty buckets as (lowest value, width, count), for charts.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, c)| {
            let (lo, w) = bucket_range(i);
            (lo, w, *c)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_cover_their_values() {
        let mut next = 0u64;
        for i in 0..BUCKETS - 1 {
            let (lo, w) = bucket_range(i);
            assert_eq!(lo, next, "bucket {i} should start where {} ended", i.max(1) - 1);
            next = lo + w;
        }
        for v in [0, 1, 63, 64, 65, 100, 1_000, 12_345, 1 << 40, u64::MAX / 2, u64::MAX] {
            let (lo, w) = bucket_range(index(v));
            assert!(v >= lo && v - lo < w, "{v} should be in [{lo}, {lo}+{w})");
        }
    }

    #[test]
    fn percentiles_are_within_three_percent() {
        let mut h = Histogram::new();
        for v in 1..=10_000u64 {
            h.record(v);
        }
        for (q, want) in [(0.5, 5_000.0), (0.9, 9_000.0), (0.99, 9_900.0)] {
            let got = h.percentile(q) as f64;
            assert!((got - want).abs() / want < 0.03, "p{q}: {got} vs {want}");
        }
        assert_eq!(h.max(), 10_000);
        assert_eq!(h.percentile(1.0), 10_000);
        assert!((h.mean() - 5_000.5).abs() < 1e-9);
    }

    #[test]
    fn merge_adds_counts() {
        let (mut a, mut b) = (Histogram::new(), Histogram::new());
        a.record(10);
        b.record(1_000);
        b.record(3);
        a.merge(&b);
        assert_eq!(a.count(), 3);
        assert_eq!(a.max(), 1_000);
        assert_eq!(a.percentile(0.0), 3);
        assert_eq!(Histogram::new().percentile(0.5), 0);
    }
}
