//! The documents of the server's operator endpoints: `GET /stats` ([`StatsDoc`]) and
//! `GET /stats/clients` ([`ClientsDoc`]).
//!
//! The server serializes these types and `/metrics` is rendered from the same [`StatsDoc`]; the
//! load harness and the tests deserialize them, so the schema exists once. Every struct takes
//! `#[serde(default)]`: a field a server does not send reads as zero (or empty), and fields a
//! reader does not know are ignored, so a newer server and an older reader (or the reverse) still
//! understand each other. Reason maps (`rejected_by_reason`, `dropped_by_reason`, `disconnects`,
//! `stage_us`) are keyed by the reason's or stage's name, so a reader keeps working when the server
//! adds one. The README's "Operator endpoints" section describes every field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `GET /stats`: the whole server at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatsDoc {
    /// Seconds since the server started.
    pub uptime_s: f64,
    /// Connected Socket.IO sockets (admitted players whose connection is open).
    pub sockets: u64,
    /// Players in all rooms, held seats included.
    pub players: u64,
    /// Entities in all rooms.
    pub entities: u64,
    /// Ticks run by the rooms that exist now.
    pub ticks: u64,
    /// Tick duration of the worst room (the one with the highest p99), over its recent ticks.
    pub tick_duration_us: Percentiles,
    /// How late ticks started after their deadline, worst room.
    pub tick_lateness_us: Percentiles,
    /// CPU and memory of the server process; `None` where it cannot be read (not Linux).
    pub process: Option<ProcessUsage>,
    /// Ticks longer than the tick period, rooms that exist now.
    pub tick_overruns: u64,
    /// Input accounting.
    pub inputs: InputCounts,
    /// Client message accounting.
    pub messages: MessageCounts,
    /// Game event accounting.
    pub events: EventCounts,
    /// Connections ended, by reason.
    pub disconnects: BTreeMap<String, u64>,
    /// Events with a name the server does not know.
    pub unknown_events: u64,
    /// Connections refused at connect (bad auth, room full, …).
    pub joins_refused: u64,
    /// Snapshots handed to sockets.
    pub snapshots_sent: u64,
    /// Snapshot bytes handed to sockets (MessagePack documents, without Socket.IO framing).
    pub snapshot_bytes_sent: u64,
    /// Messages dropped because a socket's buffer was full.
    pub send_buffer_full: u64,
    /// TCP connections of the game port.
    pub connections: ConnectionCounts,
    /// The operator listener itself.
    pub admin: AdminCounts,
    /// The tick threads that step the rooms.
    pub tick_pool: PoolCounts,
    /// Every room.
    pub rooms: Vec<RoomStats>,
}

impl StatsDoc {
    /// Disconnects summed over all reasons.
    pub fn disconnects_total(&self) -> u64 {
        self.disconnects.values().sum()
    }

    /// Skipped ticks summed over the rooms.
    pub fn skipped_ticks(&self) -> u64 {
        self.rooms.iter().map(|r| r.skipped_ticks).sum()
    }
}

/// Percentiles of recent samples, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Percentiles {
    /// Median.
    pub p50: u32,
    /// 99th percentile.
    pub p99: u32,
    /// Largest.
    pub max: u32,
    /// How many samples these come from (0: none yet, and the figures are 0).
    pub samples: u64,
}

/// CPU time and resident memory of the server process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessUsage {
    /// User + system CPU seconds since the process started.
    pub cpu_seconds: f64,
    /// Resident set size in bytes.
    pub rss_bytes: u64,
}

/// Input accounting: `received == applied + rejected + dropped + in_flight`. Rejections are
/// `parse`, `non_finite`, `wrong_type`, `out_of_range`; drops `rate`, `replay`, `buffer_full`,
/// `queue_full`, `unknown_player`.
pub type InputCounts = Counts;

/// Client message accounting (the game's declared messages, such as `chat`), the same shape.
/// Refusals are `unknown`, `too_large`, `bad_payload`; drops `rate`, `queue_full`,
/// `unknown_player`.
pub type MessageCounts = Counts;

/// Accounting of inputs or messages: `received == applied + rejected + dropped + in_flight`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counts {
    /// Items that reached the server's handler (for messages: declared or not).
    pub received: u64,
    /// Applied (inputs to a world, messages to the game rules).
    pub applied: u64,
    /// Invalid or refused (the sum of `rejected_by_reason`).
    pub rejected: u64,
    /// Valid but not applied (the sum of `dropped_by_reason`).
    pub dropped: u64,
    /// Received but not yet looked at by a tick; 0 whenever the server is idle.
    pub in_flight: u64,
    /// Rejections by reason.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Drops by reason.
    pub dropped_by_reason: BTreeMap<String, u64>,
}

/// Game event accounting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventCounts {
    /// Events dropped because a held (disconnected) player already had the most waiting.
    pub dropped_held: u64,
}

/// TCP connections of the game port, as the accept loop counts them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectionCounts {
    /// Open now.
    pub open: u64,
    /// Accepted since the start.
    pub accepted: u64,
    /// Refused by the global connection cap.
    pub refused_global_cap: u64,
    /// Refused by the per-IP connection cap.
    pub refused_per_ip_cap: u64,
    /// Refused by the per-IP rate of new connections.
    pub refused_rate: u64,
    /// Requests refused for their `Origin`.
    pub refused_origin: u64,
    /// Connections closed because the server's writes to them stayed blocked.
    pub slow_consumers: u64,
}

/// Counters of the operator listener.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdminCounts {
    /// Requests refused with 401 (missing or wrong bearer token).
    pub unauthorized: u64,
}

/// The tick pool on `/stats`: the threads that step every room.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolCounts {
    /// Tick threads asked for (`--tick-workers`; one per core by default).
    pub workers: u64,
    /// Tick threads running now: the workers plus spares started for stuck ones (0 before the
    /// first room).
    pub threads: u64,
    /// Rooms on the pool.
    pub rooms: u64,
    /// Times a tick thread was found stuck in one room's tick and a spare was started.
    pub stuck: u64,
    /// Rooms stopped because their tick panicked.
    pub panics: u64,
}

/// One room on `/stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoomStats {
    /// Room name.
    pub name: String,
    /// False once its tick loop stopped (a room error, or shutdown).
    pub alive: bool,
    /// Players, held seats included.
    pub players: u64,
    /// Entities in its world.
    pub entities: u64,
    /// Seats.
    pub max_players: u64,
    /// Ticks per second.
    pub tick_rate: u32,
    /// Snapshots per second.
    pub snapshot_rate: u32,
    /// Ticks run.
    pub ticks: u64,
    /// Tick duration over its recent ticks.
    pub tick_duration_us: Percentiles,
    /// Tick start lateness over its recent ticks.
    pub tick_lateness_us: Percentiles,
    /// Each tick stage's duration, by stage name (`receive`, `validate`, `simulate`, `snapshot`,
    /// `send`).
    pub stage_us: BTreeMap<String, Percentiles>,
    /// Ticks longer than the tick period.
    pub tick_overruns: u64,
    /// Ticks skipped because its loop fell too far behind.
    pub skipped_ticks: u64,
    /// Entity blocks encoded on its last snapshot tick: one full block if any client got a full
    /// snapshot, plus one delta per distinct baseline in use (clients on one baseline share it).
    pub snapshot_encodes: u64,
    /// Entity blocks encoded since the room started.
    pub snapshot_encodes_total: u64,
    /// Bytes its delta baselines hold (the last 32 snapshots, kept while a client acknowledges).
    pub baseline_bytes: u64,
    /// `snapshot_ack`s ignored (a tick not sent to that client, or not newer than its last ack).
    pub snapshot_acks_ignored: u64,
}

/// `GET /stats/clients`: every admitted connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientsDoc {
    /// The connections, in no particular order.
    pub clients: Vec<ClientDoc>,
}

/// One connection on `/stats/clients`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientDoc {
    /// Its room.
    pub room: String,
    /// Network id of its entity.
    pub id: u16,
    /// Display name.
    pub name: String,
    /// This connection's input accounting.
    pub inputs: ClientInputs,
}

/// One connection's input accounting: `received == applied + rejected + dropped + in flight`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientInputs {
    /// Inputs that reached the handler from this connection.
    pub received: u64,
    /// Applied.
    pub applied: u64,
    /// Rejected (invalid).
    pub rejected: u64,
    /// Dropped (valid but not used).
    pub dropped: u64,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn keys(v: &serde_json::Value) -> Vec<&str> {
        let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }

    /// The field names are the HTTP API: renaming one breaks dashboards and the load harness.
    #[test]
    fn field_names_are_pinned() {
        let doc = StatsDoc {
            process: Some(ProcessUsage::default()),
            rooms: vec![RoomStats::default()],
            ..StatsDoc::default()
        };
        let v = serde_json::to_value(&doc).unwrap();
        assert_eq!(
            keys(&v),
            [
                "admin",
                "connections",
                "disconnects",
                "entities",
                "events",
                "inputs",
                "joins_refused",
                "messages",
                "players",
                "process",
                "rooms",
                "send_buffer_full",
                "snapshot_bytes_sent",
                "snapshots_sent",
                "sockets",
                "tick_duration_us",
                "tick_lateness_us",
                "tick_overruns",
                "tick_pool",
                "ticks",
                "unknown_events",
                "uptime_s",
            ]
        );
        assert_eq!(keys(&v["messages"]), keys(&v["inputs"]));
        assert_eq!(keys(&v["events"]), ["dropped_held"]);
        assert_eq!(
            keys(&v["inputs"]),
            [
                "applied",
                "dropped",
                "dropped_by_reason",
                "in_flight",
                "received",
                "rejected",
                "rejected_by_reason"
            ]
        );
        assert_eq!(
            keys(&v["connections"]),
            [
                "accepted",
                "open",
                "refused_global_cap",
                "refused_origin",
                "refused_per_ip_cap",
                "refused_rate",
                "slow_consumers"
            ]
        );
        assert_eq!(keys(&v["tick_duration_us"]), ["max", "p50", "p99", "samples"]);
        assert_eq!(keys(&v["process"]), ["cpu_seconds", "rss_bytes"]);
        assert_eq!(
            keys(&v["rooms"][0]),
            [
                "alive",
                "baseline_bytes",
                "entities",
                "max_players",
                "name",
                "players",
                "skipped_ticks",
                "snapshot_acks_ignored",
                "snapshot_encodes",
                "snapshot_encodes_total",
                "snapshot_rate",
                "stage_us",
                "tick_duration_us",
                "tick_lateness_us",
                "tick_overruns",
                "tick_rate",
                "ticks"
            ]
        );
        let clients = serde_json::to_value(ClientsDoc {
            clients: vec![ClientDoc::default()],
        })
        .unwrap();
        assert_eq!(keys(&clients["clients"][0]), ["id", "inputs", "name", "room"]);
        assert_eq!(
            keys(&clients["clients"][0]["inputs"]),
            ["applied", "dropped", "received", "rejected"]
        );
    }

    #[test]
    fn round_trips() {
        let mut doc = StatsDoc {
            uptime_s: 1.5,
            players: 3,
            process: Some(ProcessUsage {
                cpu_seconds: 0.25,
                rss_bytes: 1 << 20,
            }),
            ..StatsDoc::default()
        };
        doc.disconnects.insert("abuse".into(), 2);
        doc.rooms.push(RoomStats {
            name: "main".into(),
            skipped_ticks: 4,
            ..RoomStats::default()
        });
        let text = serde_json::to_string(&doc).unwrap();
        assert_eq!(serde_json::from_str::<StatsDoc>(&text).unwrap(), doc);
        assert_eq!((doc.disconnects_total(), doc.skipped_ticks()), (2, 4));
    }

    #[test]
    fn missing_and_unknown_fields_are_tolerated() {
        let doc: StatsDoc = serde_json::from_str(
            r#"{"players": 2, "process": null, "future_field": {"x": 1},
                "inputs": {"received": 5}, "rooms": [{"name": "a", "new": true}]}"#,
        )
        .unwrap();
        assert_eq!(doc.players, 2);
        assert_eq!(doc.process, None);
        assert_eq!(doc.inputs.received, 5);
        assert_eq!(doc.inputs.applied, 0);
        assert_eq!(doc.rooms[0].name, "a");
        assert_eq!(doc.tick_duration_us, Percentiles::default());
    }
}
