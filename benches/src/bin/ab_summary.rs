//! `ab-summary`: the side-by-side table of interleaved A/B `loadtest --json` reports.
//!
//! ```text
//! ab-summary --label-a main --label-b new --a old-1.json old-2.json --b new-1.json new-2.json
//! ```
//! `scripts/ab.sh` builds both servers, runs them interleaved and calls this.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

/// Prints medians, ranges and the ratio B / A of the figures of two sets of load-test reports.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Name of the A runs in the table.
    #[arg(long, default_value = "A")]
    label_a: String,
    /// Name of the B runs in the table.
    #[arg(long, default_value = "B")]
    label_b: String,
    /// The A runs' `loadtest --json` reports.
    #[arg(long, num_args = 1.., required = true)]
    a: Vec<PathBuf>,
    /// The B runs' `loadtest --json` reports.
    #[arg(long, num_args = 1.., required = true)]
    b: Vec<PathBuf>,
}

fn read(paths: &[PathBuf]) -> anyhow::Result<Vec<serde_json::Value>> {
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not a loadtest --json report", p.display()))
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (a, b) = (read(&args.a)?, read(&args.b)?);
    print!(
        "{}",
        tickstate_benches::ab::summary(&args.label_a, &a, &args.label_b, &b)
    );
    Ok(())
}
