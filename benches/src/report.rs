//! Reports of a run: the text summary table, the JSON document and the self-contained HTML page
//! (inline SVG charts, no scripts, no external files).

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::load::{LoadResult, PerRoom};
use crate::slo::{Slo, Verdict};
use crate::summary::RunSummary;

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

fn opt_ms(us: Option<f64>) -> String {
    us.map_or_else(|| "n/a".into(), |v| format!("{:.2} ms", v / 1000.0))
}

fn opt_n<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "n/a".into(), |v| v.to_string())
}

fn opt_f(v: Option<f64>, digits: usize, unit: &str) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.digits$}{unit}"))
}

/// Rows of (section, figure, value) shared by the text and HTML tables.
fn rows(r: &LoadResult, s: &RunSummary) -> Vec<(&'static str, String, String)> {
    let c = &r.config;
    let sv = &s.server;
    let mut v: Vec<(&'static str, String, String)> = vec![
        ("run", "url".into(), c.url.clone()),
        ("run", "game".into(), c.game.as_str().into()),
        (
            "run",
            "network".into(),
            c.net.map_or_else(|| "direct".into(), |n| n.to_string()),
        ),
        (
            "run",
            "bots / duration / ramp".into(),
            format!("{} / {:?} / {:?}", c.bots, c.duration, c.ramp),
        ),
        (
            "run",
            "behaviours".into(),
            c.behaviours.0.iter().map(|b| b.as_str()).collect::<Vec<_>>().join(","),
        ),
        (
            "run",
            "input rate".into(),
            c.input_rate
                .map_or_else(|| "tick rate (1 per tick)".into(), |r| format!("{r}/s")),
        ),
        (
            "run",
            "rooms".into(),
            match c.per_room {
                PerRoom::Spread(0) => c.room.clone(),
                PerRoom::Spread(n) => format!("{}-0.. ({n} bots each)", c.room),
                PerRoom::Auto => {
                    let mut rooms: Vec<&str> = r
                        .bots
                        .iter()
                        .map(|b| b.room.as_str())
                        .filter(|n| !n.is_empty())
                        .collect();
                    rooms.sort_unstable();
                    rooms.dedup();
                    format!("server's matchmaking: {} room(s)", rooms.len())
                }
            },
        ),
        (
            "run",
            "source addresses".into(),
            match c.local_addrs.as_slice() {
                [] => "chosen by the OS".into(),
                [one] => one.to_string(),
                [first, .., last] => format!("{} ({first} .. {last}, round robin)", c.local_addrs.len()),
            },
        ),
        ("run", "measured".into(), format!("{:.1} s", s.wall_s)),
        (
            "connect",
            "connected / failed".into(),
            format!("{} / {}", s.connected, s.connect_failed),
        ),
        (
            "connect",
            "connect time p50 / p99 / max".into(),
            format!(
                "{} / {} / {}",
                ms(s.connect.p50_us),
                ms(s.connect.p99_us),
                ms(s.connect.max_us)
            ),
        ),
        (
            "latency",
            "input->ack p50 / p90 / p99 / max".into(),
            format!(
                "{} / {} / {} / {}",
                ms(s.latency.p50_us),
                ms(s.latency.p90_us),
                ms(s.latency.p99_us),
                ms(s.latency.max_us)
            ),
        ),
        (
            "latency",
            "minus tick wait p50 / p90 / p99 / max".into(),
            format!(
                "{} / {} / {} / {}",
                ms(s.latency_adj.p50_us),
                ms(s.latency_adj.p90_us),
                ms(s.latency_adj.p99_us),
                ms(s.latency_adj.max_us)
            ),
        ),
        ("latency", "worst bot p99".into(), ms(s.worst_bot_p99_us)),
        (
            "latency",
            "p99 by behaviour".into(),
            s.p99_by_behaviour_us
                .iter()
                .map(|(k, v)| format!("{k} {}", ms(*v)))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "latency",
            "inputs sent / acked".into(),
            format!("{} / {}", s.inputs_sent, s.inputs_acked),
        ),
        (
            "latency",
            "inputs with an action / messages sent / game events received".into(),
            format!("{} / {} / {}", s.actions_sent, s.messages_sent, s.events_received),
        ),
        (
            "snapshots",
            "received / missed ticks".into(),
            format!("{} / {} ({:.3}%)", s.snapshots, s.missed_snapshots, s.missed_pct),
        ),
        (
            "snapshots",
            "jitter p50 / p99 / max".into(),
            format!(
                "{} / {} / {}",
                ms(s.jitter.p50_us),
                ms(s.jitter.p99_us),
                ms(s.jitter.max_us)
            ),
        ),
        (
            "snapshots",
            "KB/s per client (mean / max)".into(),
            format!(
                "{:.2} / {:.2}",
                s.bytes_per_s_per_client / 1024.0,
                s.bytes_per_s_per_client_max / 1024.0
            ),
        ),
        (
            "snapshots",
            "bytes per entity / entities per snapshot".into(),
            format!("{:.3} / {:.1}", s.bytes_per_entity, s.entities_per_snapshot),
        ),
        (
            "errors",
            "total".into(),
            format!(
                "{} (disconnects {}, decode {}, send {}, out of order {}, connect {})",
                s.errors, s.disconnects, s.decode_errors, s.send_errors, s.out_of_order, s.connect_failed
            ),
        ),
    ];
    for (k, n) in &s.connect_errors {
        v.push(("errors", format!("connect: {k}"), n.to_string()));
    }
    for (k, n) in &s.disconnect_reasons {
        v.push(("errors", format!("disconnect: {k}"), n.to_string()));
    }
    v.extend([
        (
            "harness",
            "CPU (% of one core)".into(),
            opt_f(s.harness_cpu_pct, 1, "%") + if s.valid { "" } else { "  INVALID" },
        ),
        (
            "harness",
            "inputs sent (% of the asked rate)".into(),
            opt_f(s.inputs_sent_pct, 1, "%"),
        ),
        (
            "server",
            "players / entities".into(),
            format!("{} / {}", opt_n(sv.players), opt_n(sv.entities)),
        ),
        (
            "server",
            "tick p50 / p99 / max (worst room)".into(),
            format!(
                "{} / {} / {}",
                opt_ms(sv.tick_p50_us),
                opt_ms(sv.tick_p99_us),
                opt_ms(sv.tick_max_us)
            ),
        ),
        ("server", "tick p99 peak over polls".into(), opt_ms(sv.tick_p99_peak_us)),
        (
            "server",
            "tick lateness p99 / max".into(),
            format!("{} / {}", opt_ms(sv.lateness_p99_us), opt_ms(sv.lateness_max_us)),
        ),
        (
            "server",
            "overruns / skipped ticks".into(),
            format!("{} / {}", opt_n(sv.tick_overruns), opt_n(sv.skipped_ticks)),
        ),
        (
            "server",
            "inputs received / applied / rejected / dropped".into(),
            format!(
                "{} / {} / {} / {}",
                opt_n(sv.inputs_received),
                opt_n(sv.inputs_applied),
                opt_n(sv.inputs_rejected),
                opt_n(sv.inputs_dropped)
            ),
        ),
        (
            "server",
            "snapshots sent / KB/s".into(),
            format!(
                "{} / {}",
                opt_n(sv.snapshots_sent),
                opt_f(sv.snapshot_bytes_per_s.map(|b| b / 1024.0), 1, "")
            ),
        ),
        ("server", "disconnects counted".into(), opt_n(sv.disconnects)),
        ("server", "CPU (% of one core)".into(), opt_f(sv.cpu_pct, 1, "%")),
        (
            "server",
            "CPU per player-second".into(),
            opt_f(sv.cpu_us_per_player_s, 1, " µs"),
        ),
        (
            "server",
            "RSS / growth per player".into(),
            format!(
                "{} / {}",
                opt_f(sv.rss_bytes.map(|b| b as f64 / 1048576.0), 1, " MiB"),
                opt_f(sv.rss_delta_per_player_bytes.map(|b| b / 1024.0), 1, " KiB")
            ),
        ),
    ]);
    v
}

/// The human-readable summary table (for stderr/stdout).
pub fn text_summary(r: &LoadResult, s: &RunSummary, verdicts: &[Verdict]) -> String {
    let rows = rows(r, s);
    let w = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(10);
    let mut out = String::new();
    let mut section = "";
    for (sec, k, v) in &rows {
        if *sec != section {
            let _ = writeln!(out, "── {sec} {}", "─".repeat(60usize.saturating_sub(sec.len())));
            section = sec;
        }
        let _ = writeln!(out, "  {k:<w$}  {v}");
    }
    if !s.valid {
        let _ = writeln!(
            out,
            "\nINVALID RUN: {}",
            s.invalid_reason.as_deref().unwrap_or("harness overloaded")
        );
    }
    if !verdicts.is_empty() {
        let _ = writeln!(out, "── SLO {}", "─".repeat(57));
        for v in verdicts {
            let _ = writeln!(
                out,
                "  {:<26} {:>12} <= {:<10} {}",
                v.key,
                v.value.map_or_else(|| "n/a".into(), |x| format!("{x:.3}")),
                v.max,
                if v.pass { "pass" } else { "FAIL" }
            );
        }
        let pass = verdicts.iter().all(|v| v.pass);
        let _ = writeln!(out, "  => {}", if pass { "SLO PASS" } else { "SLO FAIL" });
    }
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

fn config_json(r: &LoadResult) -> Value {
    let c = &r.config;
    json!({
        "url": c.url,
        "net": c.net.map(|n| n.to_string()),
        "bots": c.bots,
        "duration_s": c.duration.as_secs_f64(),
        "ramp_s": c.ramp.as_secs_f64(),
        "game": c.game.as_str(),
        "behaviours": c.behaviours.0.iter().map(|b| b.as_str()).collect::<Vec<_>>(),
        "input_rate": c.input_rate,
        "room": c.room,
        "per_room": c.per_room.to_string(),
        "local_addrs": c.local_addrs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "seed": c.seed,
        "max_harness_cpu_pct": c.max_harness_cpu_pct,
    })
}

/// The machine-readable result of one run.
pub fn run_json(r: &LoadResult, s: &RunSummary, slo: &Slo) -> Value {
    let verdicts = slo.check(s);
    let bots: Vec<Value> = r
        .bots
        .iter()
        .map(|b| {
            let mut v = serde_json::to_value(b).unwrap_or(Value::Null);
            if let Some(m) = v.as_object_mut() {
                m.insert("latency".into(), json!(b.latency.summary()));
                m.insert("latency_adj".into(), json!(b.latency_adj.summary()));
                m.insert("jitter".into(), json!(b.jitter.summary()));
                m.insert(
                    "bytes_per_s".into(),
                    json!(if b.connected_s > 0.0 {
                        b.snapshot_bytes as f64 / b.connected_s
                    } else {
                        0.0
                    }),
                );
            }
            v
        })
        .collect();
    json!({
        "tool": "tickstate-loadtest",
        "unix_time": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        "config": config_json(r),
        "summary": s,
        "slo": verdicts,
        "slo_pass": slo.is_empty() || verdicts.iter().all(|v| v.pass),
        "valid": s.valid,
        "timeline": r.timeline,
        "server_before": r.server_before.as_ref().map(|x| &x.doc),
        "server_after": r.server_after.as_ref().map(|x| &x.doc),
        "bots": bots,
        "notes": r.notes,
    })
}

// ---- HTML -------------------------------------------------------------------------------------

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A "nice" step for about `n` ticks over `span`.
fn nice_step(span: f64, n: f64) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / n;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f < 1.5 {
        1.0
    } else if f < 3.5 {
        2.0
    } else if f < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

const W: f64 = 760.0;
const H: f64 = 260.0;
const ML: f64 = 60.0;
const MR: f64 = 20.0;
const MT: f64 = 30.0;
const MB: f64 = 40.0;

/// A series of a line chart: name, colour, points.
pub type Series<'a> = (&'a str, &'a str, Vec<(f64, f64)>);

/// An SVG line chart.
pub fn line_chart(title: &str, x_label: &str, y_label: &str, series: &[Series<'_>]) -> String {
    let pts = series.iter().flat_map(|s| s.2.iter());
    let (mut x0, mut x1, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0.0f64);
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y1 = y1.max(y);
    }
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="11"><text x="{}" y="16" font-size="13" font-weight="bold">{}</text>"#,
        ML,
        esc(title)
    );
    if !x0.is_finite() {
        svg.push_str(r#"<text x="300" y="130">no data</text></svg>"#);
        return svg;
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    let ystep = nice_step(if y1 > 0.0 { y1 } else { 1.0 }, 5.0);
    let ytop = ((y1 / ystep).ceil() * ystep).max(ystep);
    let (pw, ph) = (W - ML - MR, H - MT - MB);
    let sx = |x: f64| ML + (x - x0) / (x1 - x0) * pw;
    let sy = |y: f64| MT + ph - y / ytop * ph;
    let mut y = 0.0;
    while y <= ytop + ystep * 0.01 {
        let _ = write!(
            svg,
            r##"<line x1="{ML}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            W - MR,
            sy(y),
            sy(y),
            ML - 4.0,
            sy(y) + 4.0,
            trim_num(y)
        );
        y += ystep;
    }
    let xstep = nice_step(x1 - x0, 8.0);
    let mut x = (x0 / xstep).ceil() * xstep;
    while x <= x1 + xstep * 0.01 {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            sx(x),
            H - MB + 14.0,
            trim_num(x)
        );
        x += xstep;
    }
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text><text x="12" y="{}" transform="rotate(-90 12 {})" text-anchor="middle">{}</text>"#,
        ML + pw / 2.0,
        H - 6.0,
        esc(x_label),
        MT + ph / 2.0,
        MT + ph / 2.0,
        esc(y_label)
    );
    for (i, (name, color, pts)) in series.iter().enumerate() {
        let path: Vec<String> = pts.iter().map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y))).collect();
        let ly = 6.0 + 14.0 * i as f64;
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{}"/><rect x="{}" y="{ly}" width="10" height="10" fill="{color}"/><text x="{}" y="{}">{}</text>"#,
            path.join(" "),
            W - MR - 170.0,
            W - MR - 156.0,
            ly + 9.0,
            esc(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn trim_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// An SVG bar chart of (label, value) bars.
pub fn bar_chart(title: &str, x_label: &str, y_label: &str, bars: &[(String, f64)]) -> String {
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="11"><text x="{ML}" y="16" font-size="13" font-weight="bold">{}</text>"#,
        esc(title)
    );
    if bars.is_empty() {
        svg.push_str(r#"<text x="300" y="130">no data</text></svg>"#);
        return svg;
    }
    let ymax = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1.0);
    let ystep = nice_step(ymax, 5.0);
    let ytop = (ymax / ystep).ceil() * ystep;
    let (pw, ph) = (W - ML - MR, H - MT - MB);
    let bw = pw / bars.len() as f64;
    let sy = |y: f64| MT + ph - y / ytop * ph;
    let mut y = 0.0;
    while y <= ytop + ystep * 0.01 {
        let _ = write!(
            svg,
            r##"<line x1="{ML}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            W - MR,
            sy(y),
            sy(y),
            ML - 4.0,
            sy(y) + 4.0,
            trim_num(y)
        );
        y += ystep;
    }
    let label_every = (bars.len() / 12).max(1);
    for (i, (label, v)) in bars.iter().enumerate() {
        let x = ML + i as f64 * bw;
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#4a7bd0"><title>{}: {}</title></rect>"##,
            x + 1.0,
            sy(*v),
            (bw - 2.0).max(1.0),
            MT + ph - sy(*v),
            esc(label),
            trim_num(*v)
        );
        if i % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                x + bw / 2.0,
                H - MB + 14.0,
                esc(label)
            );
        }
    }
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text><text x="12" y="{}" transform="rotate(-90 12 {})" text-anchor="middle">{}</text></svg>"#,
        ML + pw / 2.0,
        H - 6.0,
        esc(x_label),
        MT + ph / 2.0,
        MT + ph / 2.0,
        esc(y_label)
    );
    svg
}

/// Latency histogram bars: quarter-octave bins in milliseconds.
fn latency_bars(r: &LoadResult) -> Vec<(String, f64)> {
    let mut all = crate::hist::Histogram::new();
    for b in &r.bots {
        all.merge(&b.latency);
    }
    let mut bins: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
    for (lo, w, c) in all.buckets() {
        let mid = (lo as f64 + (w as f64 - 1.0) / 2.0).max(1.0);
        let key = (mid.log2() * 4.0).floor() as i64;
        *bins.entry(key).or_default() += c as f64;
    }
    let (Some(&first), Some(&last)) = (bins.keys().next(), bins.keys().next_back()) else {
        return Vec::new();
    };
    (first..=last)
        .map(|k| {
            let lo_ms = 2f64.powf(k as f64 / 4.0) / 1000.0;
            let label = if lo_ms < 1.0 {
                format!("{lo_ms:.2}")
            } else {
                format!("{lo_ms:.1}")
            };
            (label, bins.get(&k).copied().unwrap_or(0.0))
        })
        .collect()
}

/// The self-contained HTML report of one run.
pub fn html_report(r: &LoadResult, s: &RunSummary, slo: &Slo) -> String {
    let verdicts = slo.check(s);
    let mut h = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Tickstate load test</title><style>\
         body{font-family:sans-serif;margin:24px;max-width:820px;color:#222}\
         table{border-collapse:collapse;font-size:13px;margin-bottom:18px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}\
         th{background:#f3f3f3}.bad{color:#b00;font-weight:bold}.ok{color:#070}svg{display:block;margin:10px 0 24px}\
         </style></head><body>",
    );
    let _ = write!(
        h,
        "<h1>Tickstate load test</h1><p>{} bots, {:?} after a {:?} ramp-up, against {}.</p>",
        r.config.bots,
        r.config.duration,
        r.config.ramp,
        esc(&r.config.url)
    );
    if !s.valid {
        let _ = write!(
            h,
            "<p class=bad>INVALID RUN: {}</p>",
            esc(s.invalid_reason.as_deref().unwrap_or(""))
        );
    }
    if !verdicts.is_empty() {
        h.push_str("<h2>SLO</h2><table><tr><th>objective</th><th>measured</th><th>limit</th><th></th></tr>");
        for v in &verdicts {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>&le; {}</td><td class={}>{}</td></tr>",
                esc(&v.key),
                v.value.map_or_else(|| "n/a".into(), |x| format!("{x:.3}")),
                v.max,
                if v.pass { "ok" } else { "bad" },
                if v.pass { "pass" } else { "FAIL" }
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>Summary</h2><table>");
    for (sec, k, v) in rows(r, s) {
        let _ = write!(h, "<tr><td>{sec}</td><td>{}</td><td>{}</td></tr>", esc(&k), esc(&v));
    }
    h.push_str("</table><h2>Charts</h2>");
    h.push_str(&bar_chart(
        "Input -> acknowledging snapshot latency",
        "latency (ms, quarter-octave bins)",
        "inputs",
        &latency_bars(r),
    ));
    let tl = &r.timeline;
    let pick = |f: fn(&crate::load::TimelinePoint) -> Option<f64>| -> Vec<(f64, f64)> {
        tl.iter().filter_map(|p| f(p).map(|v| (p.t_s, v))).collect()
    };
    h.push_str(&line_chart(
        "Server tick time (worst room, recent ticks)",
        "seconds",
        "ms",
        &[
            (
                "tick p50",
                "#4a7bd0",
                pick(|p| p.server_tick_p50_us.map(|v| v / 1000.0)),
            ),
            (
                "tick p99",
                "#d04a4a",
                pick(|p| p.server_tick_p99_us.map(|v| v / 1000.0)),
            ),
            (
                "lateness p99",
                "#999",
                pick(|p| p.server_lateness_p99_us.map(|v| v / 1000.0)),
            ),
        ],
    ));
    h.push_str(&line_chart(
        "Snapshot bandwidth received",
        "seconds",
        "KB/s",
        &[
            ("all bots", "#4a7bd0", pick(|p| Some(p.bytes_per_s / 1024.0))),
            (
                "per client x100",
                "#d08a4a",
                pick(|p| {
                    Some(if p.bots > 0 {
                        p.bytes_per_s / p.bots as f64 / 1024.0 * 100.0
                    } else {
                        0.0
                    })
                }),
            ),
        ],
    ));
    h.push_str(&line_chart(
        "Input -> ack latency per interval",
        "seconds",
        "ms",
        &[
            ("p50", "#4a7bd0", pick(|p| Some(p.latency_p50_us as f64 / 1000.0))),
            ("p99", "#d04a4a", pick(|p| Some(p.latency_p99_us as f64 / 1000.0))),
        ],
    ));
    h.push_str(&line_chart(
        "Bots connected and CPU",
        "seconds",
        "bots / % of a core",
        &[
            ("bots", "#4a7bd0", pick(|p| Some(p.bots as f64))),
            ("harness CPU %", "#d04a4a", pick(|p| p.harness_cpu_pct)),
            ("server CPU %", "#4ab04a", pick(|p| p.server_cpu_pct)),
        ],
    ));
    let mut worst: Vec<&crate::load::BotResult> = r.bots.iter().collect();
    worst.sort_by_key(|b| std::cmp::Reverse(b.latency.percentile(0.99)));
    h.push_str("<h2>Slowest bots</h2><table><tr><th>bot</th><th>behaviour</th><th>room</th><th>p50</th><th>p99</th><th>max</th><th>snapshots</th><th>missed</th><th>error</th></tr>");
    for b in worst.iter().take(15) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            b.index,
            b.behaviour.as_str(),
            esc(&b.room),
            ms(b.latency.percentile(0.5)),
            ms(b.latency.percentile(0.99)),
            ms(b.latency.max()),
            b.snapshots,
            b.missed_snapshots,
            esc(b.connect_error.as_deref().or(b.disconnect.as_deref()).unwrap_or(""))
        );
    }
    h.push_str("</table>");
    for n in &r.notes {
        let _ = write!(h, "<p>note: {}</p>", esc(n));
    }
    h.push_str("</body></html>\n");
    h
}

/// The JSON document of a ladder: every level's run and the knee.
pub fn ladder_json(steps: &[crate::LadderStep], slo: &Slo) -> Value {
    json!({
        "tool": "tickstate-loadtest",
        "ladder": steps.iter().map(|st| run_json(&st.result, &st.summary, slo)).collect::<Vec<_>>(),
        "knee": crate::knee(steps),
    })
}

/// The text table of a ladder.
pub fn ladder_text(steps: &[crate::LadderStep]) -> String {
    let mut out = String::from(
        "── ladder ───────────────────────────────────────────────────────────────\n   bots  connected  errors   p50 ms   p99 ms  p99adj ms  missed%  KB/s/cl  srv tick p99  srv cpu%  harness%  SLO\n",
    );
    for st in steps {
        let s = &st.summary;
        let _ = writeln!(
            out,
            "  {:>5}  {:>9}  {:>6}  {:>7.2}  {:>7.2}  {:>9.2}  {:>7.3}  {:>7.2}  {:>12}  {:>8}  {:>8}  {}{}",
            st.bots,
            s.connected,
            s.errors,
            s.latency.p50_us as f64 / 1e3,
            s.latency.p99_us as f64 / 1e3,
            s.latency_adj.p99_us as f64 / 1e3,
            s.missed_pct,
            s.bytes_per_s_per_client / 1024.0,
            opt_ms(s.server.tick_p99_us),
            opt_f(s.server.cpu_pct, 0, ""),
            opt_f(s.harness_cpu_pct, 0, ""),
            if st.pass { "pass" } else { "FAIL" },
            if s.valid { "" } else { " (INVALID)" }
        );
    }
    match crate::knee(steps) {
        Some(k) => {
            let _ = writeln!(out, "  knee: {k} bots (first load where an SLO failed)");
        }
        None => {
            let _ = writeln!(out, "  knee: not reached (every level passed)");
        }
    }
    out
}

/// The self-contained HTML report of a ladder: the levels table, p99 and server tick against
/// load, then each level's full report.
pub fn ladder_html(steps: &[crate::LadderStep], slo: &Slo) -> String {
    let mut h = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Tickstate load ladder</title><style>\
         body{font-family:sans-serif;margin:24px;max-width:820px;color:#222}pre{font-size:12px}</style></head><body>\
         <h1>Tickstate load ladder</h1>",
    );
    let _ = write!(h, "<pre>{}</pre>", esc(&ladder_text(steps)));
    let pts = |f: fn(&RunSummary) -> Option<f64>| -> Vec<(f64, f64)> {
        steps
            .iter()
            .filter_map(|st| f(&st.summary).map(|v| (st.bots as f64, v)))
            .collect()
    };
    h.push_str(&line_chart(
        "Latency and server tick against load",
        "bots",
        "ms",
        &[
            (
                "input->ack p99",
                "#d04a4a",
                pts(|s| Some(s.latency.p99_us as f64 / 1e3)),
            ),
            (
                "p99 minus tick wait",
                "#d08a4a",
                pts(|s| Some(s.latency_adj.p99_us as f64 / 1e3)),
            ),
            (
                "server tick p99",
                "#4a7bd0",
                pts(|s| s.server.tick_p99_us.map(|v| v / 1e3)),
            ),
        ],
    ));
    h.push_str(&line_chart(
        "CPU against load",
        "bots",
        "% of a core",
        &[
            ("server", "#4ab04a", pts(|s| s.server.cpu_pct)),
            ("harness", "#d04a4a", pts(|s| s.harness_cpu_pct)),
        ],
    ));
    for st in steps {
        let page = html_report(&st.result, &st.summary, slo);
        let body = page
            .split_once("<body>")
            .map(|(_, b)| b.trim_end().trim_end_matches("</body></html>"))
            .unwrap_or("");
        let _ = write!(
            h,
            "<hr><h2>{} bots</h2>{}",
            st.bots,
            body.replacen("<h1>", "<h3>", 1).replacen("</h1>", "</h3>", 1)
        );
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_without_scripts() {
        let svg = line_chart(
            "t<1>",
            "s",
            "ms",
            &[
                ("a", "#000", vec![(0.0, 1.0), (1.0, 3.0)]),
                ("b", "#f00", vec![(0.5, 2.0)]),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("t&lt;1&gt;") && !svg.contains("<script"));
        assert!(
            svg.contains(r#"y="29">b</text>"#),
            "second legend on its own row: {svg}"
        );
        let bars = bar_chart("h", "x", "y", &[("1".into(), 3.0), ("2".into(), 0.0)]);
        assert!(bars.contains("<rect"));
        assert!(line_chart("e", "x", "y", &[]).contains("no data"));
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(10.0, 5.0), 2.0);
        assert_eq!(nice_step(0.9, 5.0), 0.2);
        assert_eq!(nice_step(1000.0, 8.0), 100.0);
    }
}
