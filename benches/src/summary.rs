//! Overall figures of a run, computed from the per-bot results and the server's `/stats`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::hist::{Histogram, Summary as Pct};
use crate::load::LoadResult;
use tickstate_shared::stats_doc::StatsDoc;

/// Server-side figures: differences between `/stats` before and after the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerFigures {
    /// Players at the end.
    pub players: Option<u64>,
    /// Entities at the end.
    pub entities: Option<u64>,
    /// Worst room's tick duration p50 at the end (µs, over its recent ticks).
    pub tick_p50_us: Option<f64>,
    /// Worst room's tick duration p99 at the end.
    pub tick_p99_us: Option<f64>,
    /// Worst room's tick duration max at the end.
    pub tick_max_us: Option<f64>,
    /// Highest tick p99 seen by any poll during the run.
    pub tick_p99_peak_us: Option<f64>,
    /// Tick start lateness p99 at the end.
    pub lateness_p99_us: Option<f64>,
    /// Tick start lateness max at the end.
    pub lateness_max_us: Option<f64>,
    /// Tick overruns during the run.
    pub tick_overruns: Option<u64>,
    /// Skipped ticks during the run.
    pub skipped_ticks: Option<u64>,
    /// Inputs received during the run.
    pub inputs_received: Option<u64>,
    /// Inputs applied during the run.
    pub inputs_applied: Option<u64>,
    /// Inputs rejected during the run.
    pub inputs_rejected: Option<u64>,
    /// Inputs dropped during the run.
    pub inputs_dropped: Option<u64>,
    /// Disconnects counted by the server during the run.
    pub disconnects: Option<u64>,
    /// Snapshots sent during the run.
    pub snapshots_sent: Option<u64>,
    /// Snapshot bytes sent per second during the run.
    pub snapshot_bytes_per_s: Option<f64>,
    /// Server CPU during the run, percent of one core.
    pub cpu_pct: Option<f64>,
    /// Server CPU microseconds per player-second (bot connected time).
    pub cpu_us_per_player_s: Option<f64>,
    /// RSS at the end.
    pub rss_bytes: Option<u64>,
    /// (RSS after - RSS before) / bots connected.
    pub rss_delta_per_player_bytes: Option<f64>,
}

/// Overall figures of one run (what the table, `--json` and the SLOs use).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    /// Bots asked for.
    pub bots: usize,
    /// Bots that connected.
    pub connected: usize,
    /// Bots that failed to connect.
    pub connect_failed: usize,
    /// Connect failures by reason.
    pub connect_errors: BTreeMap<String, usize>,
    /// Connect time.
    pub connect: Pct,
    /// Input → acknowledging snapshot latency.
    pub latency: Pct,
    /// The same minus the wait for the next snapshot tick.
    pub latency_adj: Pct,
    /// Snapshot inter-arrival jitter.
    pub jitter: Pct,
    /// Worst bot's latency p99 (µs).
    pub worst_bot_p99_us: u64,
    /// Inputs sent.
    pub inputs_sent: u64,
    /// Inputs acknowledged.
    pub inputs_acked: u64,
    /// Inputs that carried an action (a game input flag: Arena's `fire` or `rail`).
    pub actions_sent: u64,
    /// Game messages sent (Arena's `chat`).
    pub messages_sent: u64,
    /// Game events received (events with a tick: Arena's `kill`, `rail`, `chat`, …).
    pub events_received: u64,
    /// Snapshots received.
    pub snapshots: u64,
    /// Snapshot ticks missed.
    pub missed_snapshots: u64,
    /// Missed in percent of expected (received + missed).
    pub missed_pct: f64,
    /// Snapshot bytes per second per connected bot (mean).
    pub bytes_per_s_per_client: f64,
    /// Largest bot's bytes per second.
    pub bytes_per_s_per_client_max: f64,
    /// Snapshot bytes per entity record.
    pub bytes_per_entity: f64,
    /// Mean entities per snapshot.
    pub entities_per_snapshot: f64,
    /// Decode errors.
    pub decode_errors: u64,
    /// Unexpected disconnects.
    pub disconnects: usize,
    /// Disconnects by reason.
    pub disconnect_reasons: BTreeMap<String, usize>,
    /// Failed input sends.
    pub send_errors: u64,
    /// Snapshots whose tick did not increase.
    pub out_of_order: u64,
    /// All errors: connect failures + disconnects + decode errors + send errors + out of order.
    pub errors: u64,
    /// Harness CPU, percent of one core.
    pub harness_cpu_pct: Option<f64>,
    /// Inputs sent, in percent of what the bots were asked to send while connected (their input
    /// rate times their connected time). Well below 100% means the harness could not keep its
    /// schedule (it got too little CPU): the server saw less load than asked for.
    pub inputs_sent_pct: Option<f64>,
    /// False when the harness used more CPU than allowed, or sent fewer than 90% of its inputs:
    /// its timings are not trustworthy, or the load was not the one asked for.
    pub valid: bool,
    /// Why the run is invalid.
    pub invalid_reason: Option<String>,
    /// Per-behaviour latency p99 (µs).
    pub p99_by_behaviour_us: BTreeMap<String, u64>,
    /// Server-side figures.
    pub server: ServerFigures,
    /// Seconds measured.
    pub wall_s: f64,
}

/// A run whose bots sent fewer inputs than this (percent of the asked rate) is invalid.
pub const MIN_INPUTS_SENT_PCT: f64 = 90.0;

impl RunSummary {
    /// Computes the summary of a run.
    pub fn of(r: &LoadResult) -> RunSummary {
        let (mut lat, mut adj, mut jit, mut conn) =
            (Histogram::new(), Histogram::new(), Histogram::new(), Histogram::new());
        let mut by_beh: BTreeMap<String, Histogram> = BTreeMap::new();
        let mut s = RunSummary {
            bots: r.config.bots,
            wall_s: r.wall.as_secs_f64(),
            ..RunSummary::default()
        };
        let mut connected_s = 0.0;
        let mut bps = Vec::new();
        let mut records = 0u64;
        let mut bytes = 0u64;
        for b in &r.bots {
            lat.merge(&b.latency);
            adj.merge(&b.latency_adj);
            jit.merge(&b.jitter);
            by_beh
                .entry(b.behaviour.as_str().to_owned())
                .or_default()
                .merge(&b.latency);
            if let Some(c) = b.connect_us {
                conn.record(c);
                s.connected += 1;
            }
            if let Some(e) = &b.connect_error {
                s.connect_failed += 1;
                *s.connect_errors.entry(e.clone()).or_default() += 1;
            }
            if let Some(d) = &b.disconnect {
                s.disconnects += 1;
                *s.disconnect_reasons.entry(d.clone()).or_default() += 1;
            }
            s.worst_bot_p99_us = s.worst_bot_p99_us.max(b.latency.percentile(0.99));
            s.inputs_sent += b.inputs_sent;
            s.inputs_acked += b.inputs_acked;
            s.actions_sent += b.actions_sent;
            s.messages_sent += b.messages_sent;
            s.events_received += b.events_received;
            s.snapshots += b.snapshots;
            s.missed_snapshots += b.missed_snapshots;
            s.decode_errors += b.decode_errors;
            s.send_errors += b.send_errors;
            s.out_of_order += b.out_of_order;
            s.errors += b.errors();
            records += b.entity_records;
            bytes += b.snapshot_bytes;
            if b.connected_s > 0.5 {
                connected_s += b.connected_s;
                bps.push(b.snapshot_bytes as f64 / b.connected_s);
            }
        }
        // A bot missing from the results (task failed) counts as an error.
        s.errors += (r.config.bots.saturating_sub(r.bots.len())) as u64;
        s.connect = conn.summary();
        s.latency = lat.summary();
        s.latency_adj = adj.summary();
        s.jitter = jit.summary();
        s.p99_by_behaviour_us = by_beh.into_iter().map(|(k, h)| (k, h.percentile(0.99))).collect();
        let expected = s.snapshots + s.missed_snapshots;
        s.missed_pct = if expected > 0 {
            s.missed_snapshots as f64 * 100.0 / expected as f64
        } else {
            0.0
        };
        s.bytes_per_s_per_client = if bps.is_empty() {
            0.0
        } else {
            bps.iter().sum::<f64>() / bps.len() as f64
        };
        s.bytes_per_s_per_client_max = bps.iter().copied().fold(0.0, f64::max);
        s.bytes_per_entity = if records > 0 {
            bytes as f64 / records as f64
        } else {
            0.0
        };
        s.entities_per_snapshot = if s.snapshots > 0 {
            records as f64 / s.snapshots as f64
        } else {
            0.0
        };
        s.harness_cpu_pct = r.harness_cpu_pct;
        let expected: f64 = r
            .bots
            .iter()
            .filter(|b| b.connect_us.is_some())
            .map(|b| b.connected_s * r.config.input_rate.unwrap_or(f64::from(b.tick_rate)).clamp(0.1, 1000.0))
            .sum();
        s.inputs_sent_pct = (expected >= 1.0).then(|| s.inputs_sent as f64 / expected * 100.0);
        s.valid = true;
        if let Some(p) = r.harness_cpu_pct
            && p > r.config.max_harness_cpu_pct
        {
            s.valid = false;
            s.invalid_reason = Some(format!(
                "the harness used {p:.0}% of a core (limit {:.0}%): its timings include its own queueing",
                r.config.max_harness_cpu_pct
            ));
        } else if let Some(p) = s.inputs_sent_pct
            && p < MIN_INPUTS_SENT_PCT
        {
            s.valid = false;
            s.invalid_reason = Some(format!(
                "the bots sent only {p:.0}% of their inputs (the harness was starved of CPU, e.g. by \
                 other processes): the server saw less load than asked for"
            ));
        }
        s.server = server_figures(r, connected_s);
        s
    }
}

fn server_figures(r: &LoadResult, player_seconds: f64) -> ServerFigures {
    let (Some(a), Some(b)) = (&r.server_before, &r.server_after) else {
        return ServerFigures::default();
    };
    let secs = (b.at_s - a.at_s).max(1e-6);
    let cpu = b.cpu_seconds.zip(a.cpu_seconds).map(|(b, a)| b - a);
    let connected = r.bots.iter().filter(|x| x.connect_us.is_some()).count();
    let (ad, bd) = (&a.doc, &b.doc);
    let diff = |f: fn(&StatsDoc) -> u64| Some(f(bd).saturating_sub(f(ad)));
    ServerFigures {
        players: Some(bd.players),
        entities: Some(bd.entities),
        tick_p50_us: Some(f64::from(bd.tick_duration_us.p50)),
        tick_p99_us: Some(f64::from(bd.tick_duration_us.p99)),
        tick_max_us: Some(f64::from(bd.tick_duration_us.max)),
        tick_p99_peak_us: r
            .timeline
            .iter()
            .filter_map(|t| t.server_tick_p99_us)
            .chain([f64::from(bd.tick_duration_us.p99)])
            .reduce(f64::max),
        lateness_p99_us: Some(f64::from(bd.tick_lateness_us.p99)),
        lateness_max_us: Some(f64::from(bd.tick_lateness_us.max)),
        tick_overruns: diff(|d| d.tick_overruns),
        skipped_ticks: diff(StatsDoc::skipped_ticks),
        inputs_received: diff(|d| d.inputs.received),
        inputs_applied: diff(|d| d.inputs.applied),
        inputs_rejected: diff(|d| d.inputs.rejected),
        inputs_dropped: diff(|d| d.inputs.dropped),
        disconnects: diff(StatsDoc::disconnects_total),
        snapshots_sent: diff(|d| d.snapshots_sent),
        snapshot_bytes_per_s: diff(|d| d.snapshot_bytes_sent).map(|d| d as f64 / secs),
        cpu_pct: cpu.map(|c| c / secs * 100.0),
        cpu_us_per_player_s: cpu.filter(|_| player_seconds > 0.0).map(|c| c * 1e6 / player_seconds),
        rss_bytes: b.rss_bytes,
        rss_delta_per_player_bytes: b
            .rss_bytes
            .zip(a.rss_bytes)
            .filter(|_| connected > 0)
            .map(|(b, a)| (b as f64 - a as f64) / connected as f64),
    }
}
