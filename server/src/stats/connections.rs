//! Connection-level counters of an accept loop (`net::listener::serve`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

use tickstate_shared::stats_doc::ConnectionCounts;

/// Connection-level counters.
#[derive(Debug, Default)]
pub struct ConnStats {
    /// Connections open now.
    pub open: AtomicUsize,
    /// Connections accepted.
    pub accepted: AtomicU64,
    /// Refused: the global cap.
    pub refused_global_cap: AtomicU64,
    /// Refused: the per-IP cap.
    pub refused_per_ip_cap: AtomicU64,
    /// Refused: the per-IP rate of new connections.
    pub refused_rate: AtomicU64,
    /// Requests refused for their `Origin`.
    pub refused_origin: AtomicU64,
    /// Connections shut down because our writes stayed blocked.
    pub slow_consumers: AtomicU64,
}

impl ConnStats {
    /// The counters as served on `/stats`.
    pub fn counts(&self) -> ConnectionCounts {
        ConnectionCounts {
            open: self.open.load(Relaxed) as u64,
            accepted: self.accepted.load(Relaxed),
            refused_global_cap: self.refused_global_cap.load(Relaxed),
            refused_per_ip_cap: self.refused_per_ip_cap.load(Relaxed),
            refused_rate: self.refused_rate.load(Relaxed),
            refused_origin: self.refused_origin.load(Relaxed),
            slow_consumers: self.slow_consumers.load(Relaxed),
        }
    }
}
