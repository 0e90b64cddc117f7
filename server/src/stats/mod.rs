//! Counters and timings shown on `GET /stats`.
//!
//! Every input that reaches a handler is counted once as received and, when its fate is known,
//! once as applied, rejected (the client sent something invalid) or dropped (valid but not used),
//! each with a reason. So `received == applied + rejected + dropped + in_flight`, and `in_flight`
//! (inputs queued but not yet looked at by a tick) is 0 whenever the server is idle.
//! Reasons are fixed enums, so hostile clients cannot make the server keep a string per message.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

macro_rules! reasons {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $v),* }
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            /// The name used on `/stats`.
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),* } }
        }
    };
}

reasons!(
    /// Why an input was rejected: the client sent something invalid.
    RejectReason {
        /// Not the MessagePack array `[u32, number, number, u32]`.
        Parse => "parse",
        /// A NaN or infinite direction component.
        NonFinite => "non_finite",
    }
);

reasons!(
    /// Why a well-formed input was not applied.
    DropReason {
        /// The client sent faster than its input rate allows (token bucket).
        Rate => "rate",
        /// Its sequence number was not newer than the last applied one (replay or duplicate).
        Replay => "replay",
        /// The player already had the maximum number of inputs waiting.
        BufferFull => "buffer_full",
        /// The room's input queue was full.
        QueueFull => "queue_full",
        /// It arrived from a connection that is not (or no longer) a player.
        UnknownPlayer => "unknown_player",
    }
);

/// Counter array indexed by a reason enum.
#[derive(Debug)]
pub struct ReasonCounters<const N: usize>([AtomicU64; N]);

impl<const N: usize> Default for ReasonCounters<N> {
    fn default() -> Self {
        Self(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

impl<const N: usize> ReasonCounters<N> {
    fn add(&self, i: usize, n: u64) {
        if let Some(c) = self.0.get(i) {
            c.fetch_add(n, Relaxed);
        }
    }
    fn get(&self, i: usize) -> u64 {
        self.0.get(i).map_or(0, |c| c.load(Relaxed))
    }
    fn total(&self) -> u64 {
        self.0.iter().map(|c| c.load(Relaxed)).sum()
    }
}

const N_REJECT: usize = 2;
const N_DROP: usize = 5;
const N_DISCONNECT: usize = 10;

/// Why a connection ended, as counted on `/stats`.
pub const DISCONNECT_REASONS: [&str; N_DISCONNECT] = [
    "client_disconnect",
    "transport_close",
    "transport_error",
    "heartbeat_timeout",
    "server_disconnect",
    "closing_server",
    "packet_error",
    "slow_consumer",
    "abuse",
    "other",
];

/// Process-wide counters, shared by the socket handlers and every room.
#[derive(Debug, Default)]
pub struct Stats {
    /// Inputs that reached the `input` handler.
    pub inputs_received: AtomicU64,
    /// Inputs applied to the world.
    pub inputs_applied: AtomicU64,
    rejected: ReasonCounters<N_REJECT>,
    dropped: ReasonCounters<N_DROP>,
    disconnects: ReasonCounters<N_DISCONNECT>,
    /// Events with a name the server does not know.
    pub unknown_events: AtomicU64,
    /// Connections refused at connect (bad auth, room full, …).
    pub joins_refused: AtomicU64,
    /// Snapshots handed to sockets.
    pub snapshots_sent: AtomicU64,
    /// Snapshot bytes handed to sockets (MessagePack documents, without Socket.IO framing).
    pub snapshot_bytes_sent: AtomicU64,
    /// Messages that could not be queued because a socket's buffer was full.
    pub send_buffer_full: AtomicU64,
    /// Tick timing histograms for `/metrics`.
    pub tick_histograms: crate::metrics::TickHistograms,
}

impl Stats {
    /// Counts rejected inputs.
    pub fn reject(&self, r: RejectReason, n: u64) {
        self.rejected.add(r as usize, n);
    }
    /// Counts dropped inputs.
    pub fn drop_inputs(&self, r: DropReason, n: u64) {
        self.dropped.add(r as usize, n);
    }
    /// Counts a disconnect under one of [`DISCONNECT_REASONS`] (anything else counts as `other`).
    pub fn disconnect(&self, reason: &str) {
        let i = DISCONNECT_REASONS
            .iter()
            .position(|r| *r == reason)
            .unwrap_or(N_DISCONNECT - 1);
        self.disconnects.add(i, 1);
    }
    /// Counts inputs received from a client (globally and for the client).
    pub fn received_from(&self, c: &ClientStats, n: u64) {
        self.inputs_received.fetch_add(n, Relaxed);
        c.received.fetch_add(n, Relaxed);
    }
    /// Counts a client's applied inputs.
    pub fn applied_for(&self, c: &ClientStats, n: u64) {
        self.inputs_applied.fetch_add(n, Relaxed);
        c.applied.fetch_add(n, Relaxed);
    }
    /// Counts a client's rejected inputs.
    pub fn rejected_for(&self, c: &ClientStats, r: RejectReason, n: u64) {
        self.reject(r, n);
        c.rejected.fetch_add(n, Relaxed);
    }
    /// Counts a client's dropped inputs.
    pub fn dropped_for(&self, c: &ClientStats, r: DropReason, n: u64) {
        self.drop_inputs(r, n);
        c.dropped.fetch_add(n, Relaxed);
    }
    /// Inputs rejected for a reason.
    pub fn rejected(&self, r: RejectReason) -> u64 {
        self.rejected.get(r as usize)
    }
    /// Inputs dropped for a reason.
    pub fn dropped(&self, r: DropReason) -> u64 {
        self.dropped.get(r as usize)
    }

    /// The input accounting as served on `/stats`.
    pub fn inputs(&self) -> InputStats {
        // Read the outcome counters before `received`: an input is counted as received before its
        // outcome, so this order never shows more outcomes than receipts.
        let applied = self.inputs_applied.load(Relaxed);
        let rejected_total = self.rejected.total();
        let dropped_total = self.dropped.total();
        let received = self.inputs_received.load(Relaxed);
        InputStats {
            received,
            applied,
            rejected: RejectReason::ALL
                .iter()
                .map(|r| (r.as_str(), self.rejected(*r)))
                .collect(),
            dropped: DropReason::ALL.iter().map(|r| (r.as_str(), self.dropped(*r))).collect(),
            rejected_total,
            dropped_total,
            in_flight: received.saturating_sub(applied + rejected_total + dropped_total),
        }
    }

    /// Disconnect counts by reason.
    pub fn disconnects(&self) -> Vec<(&'static str, u64)> {
        DISCONNECT_REASONS
            .iter()
            .enumerate()
            .map(|(i, r)| (*r, self.disconnects.get(i)))
            .collect()
    }
}

/// One client's input accounting: `received == applied + rejected + dropped + in flight`.
#[derive(Debug, Default)]
pub struct ClientStats {
    /// Inputs that reached the handler from this client.
    pub received: AtomicU64,
    /// Applied.
    pub applied: AtomicU64,
    /// Rejected (invalid).
    pub rejected: AtomicU64,
    /// Dropped (valid but not used).
    pub dropped: AtomicU64,
}

impl ClientStats {
    /// The four counters, `(received, applied, rejected, dropped)`.
    pub fn read(&self) -> (u64, u64, u64, u64) {
        let applied = self.applied.load(Relaxed);
        let rejected = self.rejected.load(Relaxed);
        let dropped = self.dropped.load(Relaxed);
        (self.received.load(Relaxed), applied, rejected, dropped)
    }
}

/// Input accounting: `received == applied + rejected_total + dropped_total + in_flight`.
#[derive(Debug, Clone, Serialize)]
pub struct InputStats {
    /// Inputs that reached the handler.
    pub received: u64,
    /// Inputs applied.
    pub applied: u64,
    /// Rejections by reason.
    pub rejected: Vec<(&'static str, u64)>,
    /// Drops by reason.
    pub dropped: Vec<(&'static str, u64)>,
    /// Sum of `rejected`.
    pub rejected_total: u64,
    /// Sum of `dropped`.
    pub dropped_total: u64,
    /// Received but not yet accounted for by a tick.
    pub in_flight: u64,
}

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

/// Percentiles of recent ticks, in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50: u32,
    /// 99th percentile.
    pub p99: u32,
    /// Largest.
    pub max: u32,
    /// How many samples these come from.
    pub samples: usize,
}

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
        samples: v.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounting_identity_holds() {
        let s = Stats::default();
        s.inputs_received.fetch_add(10, Relaxed);
        s.inputs_applied.fetch_add(5, Relaxed);
        s.reject(RejectReason::NonFinite, 2);
        s.drop_inputs(DropReason::Replay, 1);
        let i = s.inputs();
        assert_eq!(i.received, i.applied + i.rejected_total + i.dropped_total + i.in_flight);
        assert_eq!(i.in_flight, 2);
        assert_eq!(i.rejected, vec![("parse", 0), ("non_finite", 2)]);
    }

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

    #[test]
    #[cfg(target_os = "linux")]
    fn process_usage_is_read_on_linux() {
        let p = process_usage().expect("/proc/self should be readable");
        assert!(p.rss_bytes > 1 << 20, "a test process uses more than 1 MiB");
        assert!(p.cpu_seconds >= 0.0);
    }

    #[test]
    fn unknown_disconnect_reasons_count_as_other() {
        let s = Stats::default();
        s.disconnect("made up");
        s.disconnect("transport_close");
        let d = s.disconnects();
        assert_eq!(d.iter().find(|x| x.0 == "other").map(|x| x.1), Some(1));
        assert_eq!(d.iter().find(|x| x.0 == "transport_close").map(|x| x.1), Some(1));
    }
}

/// CPU time and resident memory of this process.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ProcessUsage {
    /// User + system CPU seconds since the process started.
    pub cpu_seconds: f64,
    /// Resident set size in bytes.
    pub rss_bytes: u64,
}

/// Reads [`ProcessUsage`] from `/proc/self` (Linux); `None` elsewhere.
pub fn process_usage() -> Option<ProcessUsage> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at ") ".
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here (0-based 11, 12).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux ABI Tickstate targets.
    let cpu_seconds = (utime + stime) as f64 / 100.0;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let rss_kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(ProcessUsage {
        cpu_seconds,
        rss_bytes: rss_kib * 1024,
    })
}
