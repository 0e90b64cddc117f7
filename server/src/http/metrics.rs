//! `GET /metrics` (operator port): the [`StatsDoc`] of `/stats` in the Prometheus/OpenMetrics
//! text format, plus real histograms of tick duration, lateness and each stage.
//!
//! Every number of `/stats` is here except the per-stage percentiles of each room (the stage
//! histograms cover all rooms) and the worst-room percentiles (the histograms replace them).
//! Per-room figures carry a `room` label; room names are `[A-Za-z0-9_-]{1,32}` and there are at
//! most `--max-rooms` of them.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use tickstate_shared::stats_doc::{Percentiles, StatsDoc};

use super::admin::AdminState;
use crate::stats::TickHistograms;

/// `GET /metrics`.
pub async fn metrics(State(s): State<AdminState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        render(s.stats_doc(), &s.hub.stats.tick_histograms),
    )
        .into_response()
}

/// Renders `doc` and the tick histograms in the OpenMetrics text format.
pub fn render(doc: StatsDoc, histograms: &TickHistograms) -> String {
    let mut reg = Registry::default();
    // The registry ends help texts with a period itself; the collector's are written whole.
    reg.register(
        "tickstate_tick_duration_seconds",
        "Duration of whole ticks, all rooms",
        histograms.duration.clone(),
    );
    reg.register(
        "tickstate_tick_lateness_seconds",
        "How late ticks started after their deadline",
        histograms.lateness.clone(),
    );
    reg.register(
        "tickstate_tick_stage_seconds",
        "Duration of each tick stage, all rooms",
        histograms.stages.clone(),
    );
    reg.register_collector(Box::new(Scrape(doc)));
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, &reg).is_err() {
        out.clear();
    }
    out
}

/// The counters and gauges of one `/stats` document.
#[derive(Debug)]
struct Scrape(StatsDoc);

type Enc<'a, 'b> = &'a mut DescriptorEncoder<'b>;
type R = Result<(), std::fmt::Error>;

fn counter(enc: Enc<'_, '_>, name: &str, help: &str, v: u64) -> R {
    let c = ConstCounter::new(v);
    c.encode(enc.encode_descriptor(name, help, None, c.metric_type())?)
}

fn gauge(enc: Enc<'_, '_>, name: &str, help: &str, v: u64) -> R {
    let g = ConstGauge::new(v);
    g.encode(enc.encode_descriptor(name, help, None, g.metric_type())?)
}

/// A counter family with one label.
fn counters_by<'a>(
    enc: Enc<'_, '_>,
    name: &str,
    help: &str,
    label: &str,
    values: impl IntoIterator<Item = (&'a str, u64)>,
) -> R {
    let mut family = enc.encode_descriptor(name, help, None, ConstCounter::new(0u64).metric_type())?;
    for (l, v) in values {
        ConstCounter::new(v).encode(family.encode_family(&[(label, l)])?)?;
    }
    Ok(())
}

/// A gauge family labelled by room (and more labels per value).
fn room_gauges<'a>(
    enc: Enc<'_, '_>,
    name: &str,
    help: &str,
    values: impl IntoIterator<Item = (Vec<(&'a str, &'a str)>, f64)>,
) -> R {
    let mut family = enc.encode_descriptor(name, help, None, ConstGauge::new(0.0f64).metric_type())?;
    for (labels, v) in values {
        ConstGauge::new(v).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

fn room_counters<'a>(enc: Enc<'_, '_>, name: &str, help: &str, values: impl IntoIterator<Item = (&'a str, u64)>) -> R {
    counters_by(enc, name, help, "room", values)
}

/// `(quantile, seconds)` of a percentile triple in microseconds.
fn quantiles(p: &Percentiles) -> [(&'static str, f64); 3] {
    [
        ("0.5", f64::from(p.p50) * 1e-6),
        ("0.99", f64::from(p.p99) * 1e-6),
        ("1", f64::from(p.max) * 1e-6),
    ]
}

impl Collector for Scrape {
    fn encode(&self, mut enc: DescriptorEncoder<'_>) -> R {
        let d = &self.0;
        let e = &mut enc;
        let i = &d.inputs;
        counter(
            e,
            "tickstate_inputs_received",
            "Inputs that reached the input handler.",
            i.received,
        )?;
        counter(e, "tickstate_inputs_applied", "Inputs applied to the world.", i.applied)?;
        counters_by(
            e,
            "tickstate_inputs_rejected",
            "Invalid inputs, by reason.",
            "reason",
            i.rejected_by_reason.iter().map(|(k, v)| (k.as_str(), *v)),
        )?;
        counters_by(
            e,
            "tickstate_inputs_dropped",
            "Valid inputs not applied, by reason.",
            "reason",
            i.dropped_by_reason.iter().map(|(k, v)| (k.as_str(), *v)),
        )?;
        gauge(
            e,
            "tickstate_inputs_in_flight",
            "Inputs received but not yet looked at by a tick.",
            i.in_flight,
        )?;
        let m = &d.messages;
        counter(
            e,
            "tickstate_messages_received",
            "Game messages (chat, ...) that reached the message handler.",
            m.received,
        )?;
        counter(
            e,
            "tickstate_messages_applied",
            "Game messages handed to the rules.",
            m.applied,
        )?;
        counters_by(
            e,
            "tickstate_messages_rejected",
            "Refused game messages, by reason.",
            "reason",
            m.rejected_by_reason.iter().map(|(k, v)| (k.as_str(), *v)),
        )?;
        counters_by(
            e,
            "tickstate_messages_dropped",
            "Valid game messages not handed to the rules, by reason.",
            "reason",
            m.dropped_by_reason.iter().map(|(k, v)| (k.as_str(), *v)),
        )?;
        gauge(
            e,
            "tickstate_messages_in_flight",
            "Game messages received but not yet looked at by a tick.",
            m.in_flight,
        )?;
        counter(
            e,
            "tickstate_events_dropped_held",
            "Game events dropped because a held player's backlog was full.",
            d.events.dropped_held,
        )?;
        counters_by(
            e,
            "tickstate_disconnects",
            "Connections ended, by reason.",
            "reason",
            d.disconnects.iter().map(|(k, v)| (k.as_str(), *v)),
        )?;
        counter(
            e,
            "tickstate_snapshots_sent",
            "Snapshots handed to sockets.",
            d.snapshots_sent,
        )?;
        counter(
            e,
            "tickstate_snapshot_bytes_sent",
            "Snapshot document bytes handed to sockets.",
            d.snapshot_bytes_sent,
        )?;
        counter(
            e,
            "tickstate_send_buffer_full",
            "Messages dropped because a socket buffer was full.",
            d.send_buffer_full,
        )?;
        counter(
            e,
            "tickstate_unknown_events",
            "Events with an unknown name.",
            d.unknown_events,
        )?;
        counter(
            e,
            "tickstate_joins_refused",
            "Connections refused at connect.",
            d.joins_refused,
        )?;
        counter(e, "tickstate_ticks", "Ticks run, rooms that exist now.", d.ticks)?;
        counter(
            e,
            "tickstate_tick_overruns",
            "Ticks longer than the tick period, rooms that exist now.",
            d.tick_overruns,
        )?;
        counter(
            e,
            "tickstate_skipped_ticks",
            "Ticks skipped because a loop fell behind, rooms that exist now.",
            d.skipped_ticks(),
        )?;
        gauge(
            e,
            "tickstate_tick_threads",
            "Tick threads running (workers and spares).",
            d.tick_pool.threads,
        )?;
        counter(
            e,
            "tickstate_tick_threads_stuck",
            "Times a tick thread was stuck in one room's tick and a spare was started.",
            d.tick_pool.stuck,
        )?;
        gauge(e, "tickstate_players", "Players in all rooms.", d.players)?;
        gauge(e, "tickstate_entities", "Entities in all rooms.", d.entities)?;
        gauge(e, "tickstate_rooms", "Rooms.", d.rooms.len() as u64)?;
        gauge(e, "tickstate_sockets", "Connected Socket.IO sockets.", d.sockets)?;
        let uptime = ConstGauge::new(d.uptime_s);
        uptime.encode(e.encode_descriptor(
            "tickstate_uptime_seconds",
            "Seconds since the server started.",
            None,
            uptime.metric_type(),
        )?)?;
        let c = &d.connections;
        gauge(
            e,
            "tickstate_connections_open",
            "Open TCP connections of the game port.",
            c.open,
        )?;
        counter(
            e,
            "tickstate_connections_accepted",
            "TCP connections accepted on the game port.",
            c.accepted,
        )?;
        counters_by(
            e,
            "tickstate_connections_refused",
            "Connections or requests refused on the game port, by reason.",
            "reason",
            [
                ("global_cap", c.refused_global_cap),
                ("per_ip_cap", c.refused_per_ip_cap),
                ("rate", c.refused_rate),
                ("origin", c.refused_origin),
            ],
        )?;
        counter(
            e,
            "tickstate_slow_consumers",
            "Connections closed because writes to them stayed blocked.",
            c.slow_consumers,
        )?;
        counter(
            e,
            "tickstate_admin_unauthorized",
            "Operator requests refused for a missing or wrong token.",
            d.admin.unauthorized,
        )?;
        let rooms = &d.rooms;
        let per_room = |f: fn(&tickstate_shared::stats_doc::RoomStats) -> u64| {
            rooms
                .iter()
                .map(move |r| (vec![("room", r.name.as_str())], f(r) as f64))
        };
        room_gauges(
            e,
            "tickstate_room_players",
            "Players in a room.",
            per_room(|r| r.players),
        )?;
        room_gauges(
            e,
            "tickstate_room_entities",
            "Entities in a room.",
            per_room(|r| r.entities),
        )?;
        room_gauges(
            e,
            "tickstate_room_capacity",
            "Seats of a room.",
            per_room(|r| r.max_players),
        )?;
        room_counters(
            e,
            "tickstate_room_ticks",
            "Ticks a room ran.",
            rooms.iter().map(|r| (r.name.as_str(), r.ticks)),
        )?;
        room_counters(
            e,
            "tickstate_room_tick_overruns",
            "Ticks of a room longer than its tick period.",
            rooms.iter().map(|r| (r.name.as_str(), r.tick_overruns)),
        )?;
        room_counters(
            e,
            "tickstate_room_skipped_ticks",
            "Ticks a room skipped because its loop fell behind.",
            rooms.iter().map(|r| (r.name.as_str(), r.skipped_ticks)),
        )?;
        room_gauges(
            e,
            "tickstate_room_tick_duration_seconds",
            "Tick duration of a room over its recent ticks (quantile 1 = the largest).",
            rooms.iter().flat_map(|r| {
                quantiles(&r.tick_duration_us)
                    .into_iter()
                    .map(|(q, v)| (vec![("room", r.name.as_str()), ("quantile", q)], v))
            }),
        )?;
        room_gauges(
            e,
            "tickstate_room_tick_lateness_seconds",
            "Tick start lateness of a room over its recent ticks (quantile 1 = the largest).",
            rooms.iter().flat_map(|r| {
                quantiles(&r.tick_lateness_us)
                    .into_iter()
                    .map(|(q, v)| (vec![("room", r.name.as_str()), ("quantile", q)], v))
            }),
        )?;
        if let Some(p) = d.process {
            let c = ConstCounter::new(p.cpu_seconds);
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
                p.rss_bytes,
            )?;
        }
        Ok(())
    }
}
