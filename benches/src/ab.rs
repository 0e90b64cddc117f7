//! Side-by-side summary of interleaved A/B load-test runs (`scripts/ab.sh`, `ab-summary`).
//!
//! Each run is a `loadtest --json` report. For every figure the summary shows the median and the
//! range of the A runs and of the B runs, and the ratio of the medians (B / A).

use serde_json::Value;

/// A figure taken from a `loadtest --json` report.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    /// Its name in the table.
    pub name: &'static str,
    /// Its unit.
    pub unit: &'static str,
    /// Reads it from a report (`None`: not in this report).
    pub read: fn(&Value) -> Option<f64>,
}

fn at(v: &Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_f64()
}

/// The figures compared.
pub const FIGURES: &[Figure] = &[
    Figure {
        name: "server CPU per player-second",
        unit: "µs",
        read: |v| at(v, &["summary", "server", "cpu_us_per_player_s"]),
    },
    Figure {
        name: "server RSS per player",
        unit: "KiB",
        // The growth of the server's RSS from before the bots to the end, per connected bot.
        read: |v| at(v, &["summary", "server", "rss_delta_per_player_bytes"]).map(|x| x / 1024.0),
    },
    Figure {
        name: "input->ack p50",
        unit: "ms",
        read: |v| at(v, &["summary", "latency", "p50_us"]).map(|x| x / 1000.0),
    },
    Figure {
        name: "input->ack p99",
        unit: "ms",
        read: |v| at(v, &["summary", "latency", "p99_us"]).map(|x| x / 1000.0),
    },
    Figure {
        name: "input->ack minus snapshot wait, p99",
        unit: "ms",
        read: |v| at(v, &["summary", "latency_adj", "p99_us"]).map(|x| x / 1000.0),
    },
    Figure {
        name: "tick duration p99 (worst room)",
        unit: "µs",
        read: |v| at(v, &["summary", "server", "tick_p99_us"]),
    },
    Figure {
        name: "tick lateness p99 (worst room)",
        unit: "µs",
        read: |v| at(v, &["summary", "server", "lateness_p99_us"]),
    },
    Figure {
        name: "snapshot bytes/s per client",
        unit: "B/s",
        read: |v| at(v, &["summary", "bytes_per_s_per_client"]),
    },
    Figure {
        name: "errors",
        unit: "",
        read: |v| at(v, &["summary", "errors"]),
    },
];

/// The median of `xs` (`None` when empty).
pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn range(xs: &[f64]) -> Option<(f64, f64)> {
    let lo = xs.iter().copied().filter(|x| x.is_finite()).reduce(f64::min)?;
    let hi = xs.iter().copied().filter(|x| x.is_finite()).reduce(f64::max)?;
    Some((lo, hi))
}

fn fmt(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// A Markdown table: per figure, A's and B's median and range and the ratio B / A. Runs whose
/// report says `"valid": false` are counted below the table.
pub fn summary(label_a: &str, a: &[Value], label_b: &str, b: &[Value]) -> String {
    let mut out = format!(
        "| figure | {label_a} median (range) | {label_b} median (range) | {label_b} / {label_a} |\n|---|---:|---:|---:|\n"
    );
    for f in FIGURES {
        let xa: Vec<f64> = a.iter().filter_map(f.read).collect();
        let xb: Vec<f64> = b.iter().filter_map(f.read).collect();
        let cell = |xs: &[f64]| match (median(xs), range(xs)) {
            (Some(m), Some((lo, hi))) => format!("{} {} ({}–{})", fmt(m), f.unit, fmt(lo), fmt(hi)),
            _ => "–".to_owned(),
        };
        let ratio = match (median(&xa), median(&xb)) {
            (Some(ma), Some(mb)) if ma != 0.0 => format!("{:.2}×", mb / ma),
            _ => "–".to_owned(),
        };
        out.push_str(&format!("| {} | {} | {} | {} |\n", f.name, cell(&xa), cell(&xb), ratio));
    }
    let invalid = |v: &[Value]| v.iter().filter(|r| r.get("valid") == Some(&Value::Bool(false))).count();
    out.push_str(&format!(
        "\n{} {label_a} runs ({} invalid), {} {label_b} runs ({} invalid).\n",
        a.len(),
        invalid(a),
        b.len(),
        invalid(b)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(cpu: f64) -> Value {
        json!({"valid": true, "summary": {"connected": 10, "errors": 0, "server": {"cpu_us_per_player_s": cpu, "rss_delta_per_player_bytes": 1024.0}}})
    }

    #[test]
    fn medians_ranges_and_the_ratio() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        let t = summary(
            "old",
            &[run(1000.0), run(1200.0), run(1100.0)],
            "new",
            &[run(500.0), run(600.0)],
        );
        assert!(
            t.contains("| server CPU per player-second | 1100 µs (1000–1200) | 550 µs (500–600) | 0.50× |"),
            "{t}"
        );
        assert!(
            t.contains("| server RSS per player | 1.00 KiB (1.00–1.00) | 1.00 KiB (1.00–1.00) | 1.00× |"),
            "{t}"
        );
        assert!(t.contains("| input->ack p99 | – | – | – |"), "{t}");
        assert!(t.contains("3 old runs (0 invalid), 2 new runs (0 invalid)."), "{t}");
    }
}
