//! `GET /metrics`: the same figures as `/stats`, in the Prometheus text format.
//!
//! Tick timings are real histograms (observed by every room's tick thread); counters and gauges
//! are read from [`Stats`] and the rooms at scrape time.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::app::AppState;
use crate::stats::{DropReason, RejectReason, STAGE_NAMES, STAGES, Stats};

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

/// Histograms every room's tick thread observes.
#[derive(Debug, Clone)]
pub struct TickHistograms {
    duration: Histogram,
    lateness: Histogram,
    stages: Family<StageLabel, Histogram, fn() -> Histogram>,
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

/// Counters and gauges read at scrape time.
#[derive(Debug)]
struct Scrape {
    state: Arc<AppState>,
}

fn counter(enc: &mut DescriptorEncoder<'_>, name: &str, help: &str, v: u64) -> Result<(), std::fmt::Error> {
    let c = ConstCounter::new(v);
    c.encode(enc.encode_descriptor(name, help, None, c.metric_type())?)
}

fn gauge(enc: &mut DescriptorEncoder<'_>, name: &str, help: &str, v: i64) -> Result<(), std::fmt::Error> {
    let g = ConstGauge::new(v);
    g.encode(enc.encode_descriptor(name, help, None, g.metric_type())?)
}

fn by_reason(
    enc: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    values: &[(&'static str, u64)],
) -> Result<(), std::fmt::Error> {
    let c0 = ConstCounter::new(0u64);
    let mut family = enc.encode_descriptor(name, help, None, c0.metric_type())?;
    for (reason, v) in values {
        let labels = [("reason", *reason)];
        ConstCounter::new(*v).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

impl Collector for Scrape {
    fn encode(&self, mut enc: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let s: &Stats = &self.state.stats;
        let rooms = self.state.rooms.list();
        let sum = |f: fn(&crate::room::RoomGauges) -> u64| rooms.iter().map(|r| f(r.gauges())).sum::<u64>();
        let e = &mut enc;
        counter(
            e,
            "tickstate_inputs_received",
            "Inputs that reached the input handler.",
            s.inputs_received.load(Relaxed),
        )?;
        counter(
            e,
            "tickstate_inputs_applied",
            "Inputs applied to the world.",
            s.inputs_applied.load(Relaxed),
        )?;
        let rej: Vec<_> = RejectReason::ALL.iter().map(|r| (r.as_str(), s.rejected(*r))).collect();
        by_reason(e, "tickstate_inputs_rejected", "Invalid inputs, by reason.", &rej)?;
        let drop: Vec<_> = DropReason::ALL.iter().map(|r| (r.as_str(), s.dropped(*r))).collect();
        by_reason(
            e,
            "tickstate_inputs_dropped",
            "Valid inputs not applied, by reason.",
            &drop,
        )?;
        by_reason(
            e,
            "tickstate_disconnects",
            "Connections ended, by reason.",
            &s.disconnects(),
        )?;
        counter(
            e,
            "tickstate_snapshots_sent",
            "Snapshots handed to sockets.",
            s.snapshots_sent.load(Relaxed),
        )?;
        counter(
            e,
            "tickstate_snapshot_bytes_sent",
            "Snapshot document bytes handed to sockets.",
            s.snapshot_bytes_sent.load(Relaxed),
        )?;
        counter(
            e,
            "tickstate_send_buffer_full",
            "Messages dropped because a socket buffer was full.",
            s.send_buffer_full.load(Relaxed),
        )?;
        counter(
            e,
            "tickstate_unknown_events",
            "Events with an unknown name.",
            s.unknown_events.load(Relaxed),
        )?;
        counter(
            e,
            "tickstate_joins_refused",
            "Connections refused at connect.",
            s.joins_refused.load(Relaxed),
        )?;
        counter(
            e,
            "tickstate_ticks",
            "Ticks run, all rooms.",
            sum(|g| g.ticks.load(Relaxed)),
        )?;
        counter(
            e,
            "tickstate_tick_overruns",
            "Ticks longer than the tick period.",
            sum(|g| g.overruns.load(Relaxed)),
        )?;
        counter(
            e,
            "tickstate_skipped_ticks",
            "Ticks skipped because a loop fell behind.",
            sum(|g| g.skipped_ticks.load(Relaxed)),
        )?;
        let gi = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        gauge(
            e,
            "tickstate_players",
            "Players in all rooms.",
            gi(sum(|g| g.players.load(Relaxed))),
        )?;
        gauge(
            e,
            "tickstate_entities",
            "Entities in all rooms.",
            gi(sum(|g| g.entities.load(Relaxed))),
        )?;
        gauge(e, "tickstate_rooms", "Rooms.", gi(rooms.len() as u64))?;
        let sockets = self.state.io.get().map_or(0, |io| io.sockets().len());
        gauge(
            e,
            "tickstate_sockets",
            "Connected Socket.IO sockets.",
            gi(sockets as u64),
        )?;
        if let Some(p) = crate::stats::process_usage() {
            let c = prometheus_client::metrics::counter::ConstCounter::new(p.cpu_seconds);
            c.encode(e.encode_descriptor(
                "process_cpu_seconds",
                "User and system CPU time of the process.",
                None,
                c.metric_type(),
            )?)?;
            gauge(
                e,
                "process_resident_memory_bytes",
                "Resident memory of the process.",
                gi(p.rss_bytes),
            )?;
        }
        Ok(())
    }
}

/// Renders every metric in the Prometheus text format.
pub fn render(state: &Arc<AppState>) -> String {
    let mut reg = Registry::default();
    let h = &state.stats.tick_histograms;
    reg.register(
        "tickstate_tick_duration_seconds",
        "Duration of whole ticks, all rooms.",
        h.duration.clone(),
    );
    reg.register(
        "tickstate_tick_lateness_seconds",
        "How late ticks started after their deadline.",
        h.lateness.clone(),
    );
    reg.register(
        "tickstate_tick_stage_seconds",
        "Duration of each tick stage, all rooms.",
        h.stages.clone(),
    );
    reg.register_collector(Box::new(Scrape { state: state.clone() }));
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, &reg).is_err() {
        out.clear();
    }
    out
}
