//! # tickstate-benches
//!
//! Benchmarks and the load-test harness for Tickstate.
//!
//! - **Criterion benches** (`benches/benches/`): one simulation tick with N entities (`tick`),
//!   snapshot building and encoding (`snapshot`), input validation (`input`). They print encoded
//!   bytes per entity next to the timings; [`sizes`] pins those byte counts in unit tests.
//! - **Load test** ([`load`], binary `loadtest`): a swarm of bots in one tokio process, each a
//!   [`tickstate_testkit::client::Client`] steered by a [`bot::Behaviour`]. It measures connects,
//!   input → acknowledging snapshot latency, snapshot jitter and missed ticks, bandwidth, errors and
//!   its own CPU, reads the server's `/stats` (from its operator listener, [`LoadConfig::stats_url`],
//!   as a `tickstate_shared::stats_doc::StatsDoc`) before, during and after, checks [`slo`] objectives and
//!   writes reports ([`report`]: text table, JSON, self-contained HTML with SVG charts).
//! - **Ladder** ([`run_ladder`]): increasing loads until an SLO fails (the knee).
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! use std::time::Duration;
//! use tickstate_benches::{LoadConfig, RunSummary, Slo, run_load};
//! let mut config = LoadConfig::new("http://127.0.0.1:3000", 50, Duration::from_secs(3));
//! config.stats_url = "http://127.0.0.1:9100".into(); // tickstate --admin-bind (its default)
//! let result = run_load(config).await?;
//! let summary = RunSummary::of(&result);
//! let slo: Slo = "p99_ms=50,errors=0".parse()?;
//! assert!(slo.passes(&summary));
//! # Ok(()) }
//! ```
//!
//! See `BENCHMARKS.md` at the repository root for measured figures and how to reproduce them.

pub mod ab;
pub mod bot;
pub mod cpu;
pub mod hist;
pub mod load;
pub mod report;
pub mod server_stats;
pub mod sizes;
pub mod slo;
pub mod summary;

use std::time::Duration;

pub use load::{LoadConfig, LoadResult, PerRoom, Progress, parse_local_addrs, run_load};
pub use slo::{Slo, Verdict};
pub use summary::RunSummary;

/// One level of a ladder.
#[derive(Debug, Clone)]
pub struct LadderStep {
    /// Bots at this level.
    pub bots: usize,
    /// The run.
    pub result: LoadResult,
    /// Its summary.
    pub summary: RunSummary,
    /// SLO verdicts.
    pub verdicts: Vec<Verdict>,
    /// Whether every objective held.
    pub pass: bool,
}

/// Runs `base` at each bot count of `levels` in turn (pausing `pause` between levels so the
/// previous bots' disconnects settle) and stops after the first level that fails `slo`: the knee.
pub async fn run_ladder(
    base: &LoadConfig,
    levels: &[usize],
    slo: &Slo,
    pause: Duration,
    mut on_step: impl FnMut(&LadderStep),
) -> Result<Vec<LadderStep>, String> {
    let mut steps = Vec::new();
    for (i, &bots) in levels.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(pause).await;
        }
        let result = run_load(LoadConfig { bots, ..base.clone() }).await?;
        let summary = RunSummary::of(&result);
        let verdicts = slo.check(&summary);
        let pass = verdicts.iter().all(|v| v.pass);
        let step = LadderStep {
            bots,
            result,
            summary,
            verdicts,
            pass,
        };
        on_step(&step);
        steps.push(step);
        if !pass {
            break;
        }
    }
    Ok(steps)
}

/// The knee of a ladder: the first load at which an SLO failed.
pub fn knee(steps: &[LadderStep]) -> Option<usize> {
    steps.iter().find(|s| !s.pass).map(|s| s.bots)
}
