//! Service-level objectives: `--slo p99_ms=50,errors=0,connect_fail=0`.
//!
//! Every objective is an upper bound on one figure of the [`RunSummary`]. A figure the run could not
//! measure (e.g. a server figure when `/stats` was unreachable) fails its objective, so a missing
//! measurement is never read as a pass.

use serde::Serialize;

use crate::summary::RunSummary;

/// The figures an SLO can bound: (key, meaning, how to read it from a summary).
type Getter = fn(&RunSummary) -> Option<f64>;

const KEYS: &[(&str, &str, Getter)] = &[
    ("p50_ms", "input->ack latency p50 (ms)", |s| {
        Some(s.latency.p50_us as f64 / 1e3)
    }),
    ("p90_ms", "input->ack latency p90 (ms)", |s| {
        Some(s.latency.p90_us as f64 / 1e3)
    }),
    ("p99_ms", "input->ack latency p99 (ms)", |s| {
        Some(s.latency.p99_us as f64 / 1e3)
    }),
    ("max_ms", "input->ack latency max (ms)", |s| {
        Some(s.latency.max_us as f64 / 1e3)
    }),
    ("p99_adj_ms", "latency p99 minus the tick wait (ms)", |s| {
        Some(s.latency_adj.p99_us as f64 / 1e3)
    }),
    ("jitter_p99_ms", "snapshot jitter p99 (ms)", |s| {
        Some(s.jitter.p99_us as f64 / 1e3)
    }),
    ("connect_p99_ms", "connect time p99 (ms)", |s| {
        Some(s.connect.p99_us as f64 / 1e3)
    }),
    ("errors", "all client-side errors", |s| Some(s.errors as f64)),
    ("connect_fail", "failed connects", |s| Some(s.connect_failed as f64)),
    ("disconnects", "unexpected disconnects", |s| Some(s.disconnects as f64)),
    ("decode_errors", "undecodable snapshots", |s| {
        Some(s.decode_errors as f64)
    }),
    ("missed_pct", "missed snapshot ticks (% of expected)", |s| {
        Some(s.missed_pct)
    }),
    ("kbps_per_client", "snapshot KB/s per client (max bot)", |s| {
        Some(s.bytes_per_s_per_client_max / 1024.0)
    }),
    ("bytes_per_entity", "snapshot bytes per entity", |s| {
        Some(s.bytes_per_entity)
    }),
    ("harness_cpu_pct", "harness CPU (% of a core)", |s| s.harness_cpu_pct),
    ("server_tick_p99_ms", "server tick p99 at the end (ms)", |s| {
        s.server.tick_p99_us.map(|v| v / 1e3)
    }),
    ("server_lateness_p99_ms", "server tick lateness p99 (ms)", |s| {
        s.server.lateness_p99_us.map(|v| v / 1e3)
    }),
    ("server_cpu_pct", "server CPU (% of a core)", |s| s.server.cpu_pct),
    ("server_cpu_us_per_player_s", "server CPU µs per player-second", |s| {
        s.server.cpu_us_per_player_s
    }),
    ("rss_kb_per_player", "server RSS growth per player (KB)", |s| {
        s.server.rss_delta_per_player_bytes.map(|b| b / 1024.0)
    }),
    ("server_rejected", "inputs the server rejected", |s| {
        s.server.inputs_rejected.map(|v| v as f64)
    }),
    ("server_dropped", "inputs the server dropped", |s| {
        s.server.inputs_dropped.map(|v| v as f64)
    }),
    ("skipped_ticks", "ticks the server skipped", |s| {
        s.server.skipped_ticks.map(|v| v as f64)
    }),
];

/// One objective: `key <= max`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Objective {
    /// Figure name (see [`known_keys`]).
    pub key: String,
    /// Upper bound.
    pub max: f64,
}

/// A set of objectives.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Slo(pub Vec<Objective>);

/// The outcome of one objective.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Figure name.
    pub key: String,
    /// Upper bound.
    pub max: f64,
    /// Measured value, `None` when not measured.
    pub value: Option<f64>,
    /// Whether it holds.
    pub pass: bool,
}

/// Every SLO key with its meaning.
pub fn known_keys() -> impl Iterator<Item = (&'static str, &'static str)> {
    KEYS.iter().map(|(k, d, _)| (*k, *d))
}

impl std::str::FromStr for Slo {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut v = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, n) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` should be key=number"))?;
            let k = k.trim();
            if !KEYS.iter().any(|(key, _, _)| *key == k) {
                let known: Vec<&str> = KEYS.iter().map(|(k, _, _)| *k).collect();
                return Err(format!("unknown SLO key `{k}`; known: {}", known.join(", ")));
            }
            let max: f64 = n
                .trim()
                .parse()
                .map_err(|_| format!("`{n}` in `{part}` is not a number"))?;
            v.push(Objective { key: k.to_owned(), max });
        }
        Ok(Slo(v))
    }
}

impl Slo {
    /// Checks every objective against a run.
    pub fn check(&self, s: &RunSummary) -> Vec<Verdict> {
        self.0
            .iter()
            .map(|o| {
                let value = KEYS.iter().find(|(k, _, _)| *k == o.key).and_then(|(_, _, get)| get(s));
                Verdict {
                    key: o.key.clone(),
                    max: o.max,
                    value,
                    pass: value.is_some_and(|v| v <= o.max),
                }
            })
            .collect()
    }

    /// True when every objective holds.
    pub fn passes(&self, s: &RunSummary) -> bool {
        self.check(s).iter().all(|v| v.pass)
    }

    /// Whether no objective was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks() {
        let slo: Slo = "p99_ms=50, errors=0,connect_fail=0".parse().unwrap();
        assert_eq!(slo.0.len(), 3);
        let mut s = RunSummary::default();
        s.latency.p99_us = 40_000;
        assert!(slo.passes(&s));
        s.errors = 1;
        let v = slo.check(&s);
        assert!(!v[1].pass && v[0].pass);
        assert!("p42=1".parse::<Slo>().is_err());
        assert!("p99_ms".parse::<Slo>().is_err());
        assert!("p99_ms=fast".parse::<Slo>().is_err());
    }

    #[test]
    fn unmeasured_figures_fail() {
        let slo: Slo = "server_tick_p99_ms=5".parse().unwrap();
        assert!(!slo.passes(&RunSummary::default()));
    }
}
