//! Reading the server's `GET /stats` and, when the server runs on this machine, its `/proc` entry.
//!
//! Every field is optional: an older server without `process` or `tick_lateness_us` yields `None`
//! and reports print `n/a`.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What can go wrong fetching `/stats`.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The URL is not `http://host:port[/...]`.
    #[error("unsupported URL {0} (expected http://host:port)")]
    Url(String),
    /// Connecting, writing or reading failed.
    #[error("GET /stats: {0}")]
    Io(#[from] std::io::Error),
    /// The request took too long.
    #[error("GET /stats timed out")]
    Timeout,
    /// Not a 200 with a JSON body.
    #[error("GET /stats: {0}")]
    Bad(String),
}

/// Percentiles in microseconds as the server reports them.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Pcts {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Pcts {
    fn from(v: Option<&Value>) -> Option<Pcts> {
        let v = v?;
        Some(Pcts {
            p50: v.get("p50")?.as_f64()?,
            p99: v.get("p99")?.as_f64()?,
            max: v.get("max")?.as_f64()?,
        })
    }
}

/// One room's figures.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RoomFigures {
    /// Room name.
    pub name: String,
    /// Players.
    pub players: u64,
    /// Entities.
    pub entities: u64,
    /// Ticks run.
    pub ticks: u64,
    /// Tick duration percentiles.
    pub tick_duration_us: Option<Pcts>,
    /// Tick start lateness percentiles.
    pub tick_lateness_us: Option<Pcts>,
    /// Overruns.
    pub tick_overruns: u64,
    /// Skipped ticks.
    pub skipped_ticks: u64,
}

/// The parts of `/stats` the harness uses, read once.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ServerSample {
    /// Seconds since the run started when this was read.
    pub at_s: f64,
    /// Players.
    pub players: Option<u64>,
    /// Entities.
    pub entities: Option<u64>,
    /// Sockets.
    pub sockets: Option<u64>,
    /// Ticks of all rooms.
    pub ticks: Option<u64>,
    /// Worst room's tick duration.
    pub tick_duration_us: Option<Pcts>,
    /// Tick start lateness (top level, else the worst room's).
    pub tick_lateness_us: Option<Pcts>,
    /// Tick overruns.
    pub tick_overruns: Option<u64>,
    /// Skipped ticks summed over rooms.
    pub skipped_ticks: Option<u64>,
    /// Inputs received.
    pub inputs_received: Option<u64>,
    /// Inputs applied.
    pub inputs_applied: Option<u64>,
    /// Inputs rejected.
    pub inputs_rejected: Option<u64>,
    /// Inputs dropped.
    pub inputs_dropped: Option<u64>,
    /// Disconnects summed over reasons.
    pub disconnects: Option<u64>,
    /// Snapshots sent.
    pub snapshots_sent: Option<u64>,
    /// Snapshot bytes sent.
    pub snapshot_bytes_sent: Option<u64>,
    /// Server process CPU seconds (`process.cpu_seconds`, or `/proc/<pid>/stat` with `--server-pid`).
    pub cpu_seconds: Option<f64>,
    /// Server resident memory (`process.rss_bytes`, or `/proc/<pid>/statm`).
    pub rss_bytes: Option<u64>,
    /// Rooms.
    pub rooms: Vec<RoomFigures>,
    /// The whole document, for `--json`.
    #[serde(skip)]
    pub raw: Value,
}

fn u(v: &Value, path: &[&str]) -> Option<u64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_u64()
}

impl ServerSample {
    /// Picks the fields out of a `/stats` document.
    pub fn parse(v: Value, at_s: f64) -> ServerSample {
        let rooms: Vec<RoomFigures> = v
            .get("rooms")
            .and_then(Value::as_array)
            .map(|rs| {
                rs.iter()
                    .map(|r| RoomFigures {
                        name: r.get("name").and_then(Value::as_str).unwrap_or("").to_owned(),
                        players: u(r, &["players"]).unwrap_or(0),
                        entities: u(r, &["entities"]).unwrap_or(0),
                        ticks: u(r, &["ticks"]).unwrap_or(0),
                        tick_duration_us: Pcts::from(r.get("tick_duration_us")),
                        tick_lateness_us: Pcts::from(r.get("tick_lateness_us")),
                        tick_overruns: u(r, &["tick_overruns"]).unwrap_or(0),
                        skipped_ticks: u(r, &["skipped_ticks"]).unwrap_or(0),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let worst_lateness = rooms
            .iter()
            .filter_map(|r| r.tick_lateness_us)
            .max_by(|a, b| a.p99.total_cmp(&b.p99));
        let skipped = v
            .get("rooms")
            .and_then(Value::as_array)
            .map(|_| rooms.iter().map(|r| r.skipped_ticks).sum());
        ServerSample {
            at_s,
            players: u(&v, &["players"]),
            entities: u(&v, &["entities"]),
            sockets: u(&v, &["sockets"]),
            ticks: u(&v, &["ticks"]),
            tick_duration_us: Pcts::from(v.get("tick_duration_us")),
            tick_lateness_us: Pcts::from(v.get("tick_lateness_us")).or(worst_lateness),
            tick_overruns: u(&v, &["tick_overruns"]),
            skipped_ticks: skipped,
            inputs_received: u(&v, &["inputs", "received"]),
            inputs_applied: u(&v, &["inputs", "applied"]),
            inputs_rejected: u(&v, &["inputs", "rejected"]),
            inputs_dropped: u(&v, &["inputs", "dropped"]),
            disconnects: v
                .get("disconnects")
                .and_then(Value::as_object)
                .map(|m| m.values().filter_map(Value::as_u64).sum()),
            snapshots_sent: u(&v, &["snapshots_sent"]),
            snapshot_bytes_sent: u(&v, &["snapshot_bytes_sent"]),
            cpu_seconds: v
                .get("process")
                .and_then(|p| p.get("cpu_seconds"))
                .and_then(Value::as_f64),
            rss_bytes: u(&v, &["process", "rss_bytes"]),
            rooms,
            raw: v,
        }
    }

    /// Fills CPU and RSS from `/proc/<pid>` when `/stats` did not have them.
    pub fn fill_from_proc(&mut self, pid: Option<u32>) {
        let Some(pid) = pid else { return };
        if self.cpu_seconds.is_none() {
            self.cpu_seconds = crate::cpu::process_cpu_seconds(&format!("/proc/{pid}/stat"));
        }
        if self.rss_bytes.is_none() {
            self.rss_bytes = crate::cpu::process_rss_bytes(pid);
        }
    }
}

/// Fetches and parses `GET {base}/stats` (plain HTTP/1.1 over a TCP stream, 2 s timeout).
///
/// # Errors
/// [`StatsError`] when the server cannot be reached or does not answer JSON.
pub async fn fetch_stats(base: &str) -> Result<Value, StatsError> {
    tokio::time::timeout(Duration::from_secs(2), fetch_inner(base))
        .await
        .map_err(|_| StatsError::Timeout)?
}

async fn fetch_inner(base: &str) -> Result<Value, StatsError> {
    let rest = base
        .strip_prefix("http://")
        .ok_or_else(|| StatsError::Url(base.to_owned()))?;
    let host = rest.split('/').next().unwrap_or(rest);
    let mut s = tokio::net::TcpStream::connect(host).await?;
    s.write_all(format!("GET /stats HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes())
        .await?;
    let mut buf = Vec::new();
    // A /stats document is a few KB; cap what we read.
    (&mut s).take(4 << 20).read_to_end(&mut buf).await?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| StatsError::Bad("no HTTP header".into()))?;
    let status = head.split(' ').nth(1).unwrap_or("");
    if status != "200" {
        return Err(StatsError::Bad(format!("status {status}")));
    }
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_owned() };
    serde_json::from_str(&body).map_err(|e| StatsError::Bad(format!("not JSON: {e}")))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(len.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(rest.get(..n).unwrap_or(""));
        s = rest.get(n..).unwrap_or("").trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_current_stats_and_tolerates_missing_fields() {
        let doc = serde_json::json!({
            "players": 3, "entities": 9, "sockets": 3, "ticks": 100,
            "tick_duration_us": {"p50": 20, "p99": 80, "max": 200, "samples": 100},
            "tick_overruns": 0,
            "inputs": {"received": 10, "applied": 9, "rejected": 0, "dropped": 1, "in_flight": 0},
            "disconnects": {"client_disconnect": 2, "other": 1},
            "snapshots_sent": 50, "snapshot_bytes_sent": 4000,
            "rooms": [{"name": "a", "players": 3, "entities": 9, "ticks": 100,
                       "tick_duration_us": {"p50": 20, "p99": 80, "max": 200},
                       "tick_lateness_us": {"p50": 50, "p99": 300, "max": 900},
                       "tick_overruns": 0, "skipped_ticks": 2}]
        });
        let s = ServerSample::parse(doc, 1.0);
        assert_eq!(s.players, Some(3));
        assert_eq!(s.disconnects, Some(3));
        assert_eq!(s.skipped_ticks, Some(2));
        assert_eq!(s.tick_lateness_us.map(|p| p.p99), Some(300.0));
        assert_eq!(s.cpu_seconds, None);
        let with_process = serde_json::json!({"process": {"cpu_seconds": 1.5, "rss_bytes": 1024}});
        let s = ServerSample::parse(with_process, 0.0);
        assert_eq!((s.cpu_seconds, s.rss_bytes, s.players), (Some(1.5), Some(1024), None));
    }

    #[test]
    fn dechunks() {
        assert_eq!(dechunk("4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"), "{\"a\":1}");
    }
}
