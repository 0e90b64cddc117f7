//! `GET /stats` and `GET /stats/clients` (operator port): the [`StatsDoc`] and [`ClientsDoc`]
//! built from the [`Hub`].

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;

use axum::Json;
use axum::extract::State;
use tickstate_shared::stats_doc::{
    AdminCounts, ClientDoc, ClientInputs, ClientsDoc, Counts, EventCounts, Percentiles, PoolCounts, RoomStats, StatsDoc,
};

use super::admin::AdminState;
use crate::hub::Hub;
use crate::room::RoomGauges;
use crate::stats::{Accounting, DisconnectReason, STAGE_NAMES, TickPercentiles, process_usage};

/// The wire form of an input or message accounting.
fn counts(a: Accounting) -> Counts {
    let by_name = |v: Vec<(&'static str, u64)>| -> BTreeMap<String, u64> {
        v.into_iter().map(|(k, n)| (k.to_owned(), n)).collect()
    };
    Counts {
        received: a.received,
        applied: a.applied,
        rejected: a.rejected_total,
        dropped: a.dropped_total,
        in_flight: a.in_flight,
        rejected_by_reason: by_name(a.rejected),
        dropped_by_reason: by_name(a.dropped),
    }
}

/// Everything `/stats` shows, read now. `sockets` is the Socket.IO socket count and `admin` the
/// operator listener's own counters (both owned by the HTTP side, not the hub).
pub fn stats_doc(hub: &Hub, sockets: u64, admin: AdminCounts) -> StatsDoc {
    let s = &hub.stats;
    let rooms = hub.rooms.list();
    let mut all: Vec<TickPercentiles> = Vec::with_capacity(rooms.len());
    let room_stats: Vec<RoomStats> = rooms
        .iter()
        .map(|r| {
            let g = r.gauges();
            let p = g.times.percentiles();
            all.push(p);
            RoomStats {
                name: r.name().to_owned(),
                alive: r.is_alive(),
                players: g.players.load(Relaxed),
                entities: g.entities.load(Relaxed),
                max_players: r.settings().max_players as u64,
                tick_rate: r.settings().tick_rate,
                snapshot_rate: r.settings().snapshot_rate,
                ticks: g.ticks.load(Relaxed),
                tick_duration_us: p.duration,
                tick_lateness_us: p.lateness,
                stage_us: STAGE_NAMES.iter().map(|n| (*n).to_owned()).zip(p.stages).collect(),
                tick_overruns: g.overruns.load(Relaxed),
                skipped_ticks: g.skipped_ticks.load(Relaxed),
                snapshot_encodes: g.snapshot_encodes.load(Relaxed),
                snapshot_encodes_total: g.snapshot_encodes_total.load(Relaxed),
                baseline_bytes: g.baseline_bytes.load(Relaxed),
                snapshot_acks_ignored: g.snapshot_acks_ignored.load(Relaxed),
            }
        })
        .collect();
    let sum = |f: fn(&RoomGauges) -> u64| rooms.iter().map(|r| f(r.gauges())).sum::<u64>();
    // Worst room's percentiles: what the slowest room's players feel.
    let worst = |f: fn(&TickPercentiles) -> Percentiles| all.iter().map(f).max_by_key(|p| p.p99).unwrap_or_default();
    StatsDoc {
        uptime_s: hub.started.elapsed().as_secs_f64(),
        sockets,
        players: sum(|g| g.players.load(Relaxed)),
        entities: sum(|g| g.entities.load(Relaxed)),
        ticks: sum(|g| g.ticks.load(Relaxed)),
        tick_duration_us: worst(|p| p.duration),
        tick_lateness_us: worst(|p| p.lateness),
        process: process_usage(),
        tick_overruns: sum(|g| g.overruns.load(Relaxed)),
        inputs: counts(s.inputs()),
        messages: counts(s.messages.snapshot()),
        events: EventCounts {
            dropped_held: s.events_dropped_held.load(Relaxed),
        },
        disconnects: DisconnectReason::ALL
            .iter()
            .map(|r| (r.as_str().to_owned(), s.disconnected(*r)))
            .collect(),
        unknown_events: s.unknown_events.load(Relaxed),
        joins_refused: s.joins_refused.load(Relaxed),
        snapshots_sent: s.snapshots_sent.load(Relaxed),
        snapshot_bytes_sent: s.snapshot_bytes_sent.load(Relaxed),
        send_buffer_full: s.send_buffer_full.load(Relaxed),
        connections: hub.conns.counts(),
        admin,
        tick_pool: {
            let g = hub.rooms.pool().gauges();
            PoolCounts {
                workers: g.workers.load(Relaxed),
                threads: g.threads.load(Relaxed),
                rooms: g.rooms.load(Relaxed),
                stuck: g.stuck.load(Relaxed),
                panics: g.panics.load(Relaxed),
            }
        },
        rooms: room_stats,
    }
}

/// Every admitted connection with its input accounting.
pub fn clients_doc(hub: &Hub) -> ClientsDoc {
    let clients = hub
        .client_list()
        .into_iter()
        .map(|c| {
            let (received, applied, rejected, dropped) = c.stats.read();
            ClientDoc {
                room: c.room,
                id: c.id,
                name: c.name,
                inputs: ClientInputs {
                    received,
                    applied,
                    rejected,
                    dropped,
                },
            }
        })
        .collect();
    ClientsDoc { clients }
}

/// `GET /stats`.
pub async fn stats(State(s): State<AdminState>) -> Json<StatsDoc> {
    Json(s.stats_doc())
}

/// `GET /stats/clients`.
pub async fn clients(State(s): State<AdminState>) -> Json<ClientsDoc> {
    Json(clients_doc(&s.hub))
}
