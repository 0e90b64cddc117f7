//! `loadtest`: a swarm of bots against a running Tickstate server.
//!
//! ```text
//! cargo run --release -p tickstate-benches --bin loadtest -- --url http://127.0.0.1:3000 --bots 500 --duration 30s
//! # Arena (the server started with `tickstate --game arena`): bots that move, aim, fire and chat
//! cargo run --release -p tickstate-benches --bin loadtest -- --game arena --bots 100
//! ```
//!
//! Exit codes: 0 = done (and every `--slo` objective held), 1 = an SLO objective failed,
//! 2 = bad arguments, 3 = the SLOs held but the run is INVALID (the harness was CPU-bound, or starved of CPU
//! so that it sent fewer than 90% of its inputs).

use std::io::IsTerminal;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tickstate_benches::bot::{BehaviourMix, GameKind};
use tickstate_benches::report::{html_report, ladder_html, ladder_json, ladder_text, run_json, text_summary};
use tickstate_benches::server_stats::StatsToken;
use tickstate_benches::{LoadConfig, PerRoom, Progress, RunSummary, Slo, parse_local_addrs, run_ladder, run_load};

/// Load-tests a Tickstate server with bots that play Star Collector or Arena (one tokio process).
#[derive(Debug, Parser)]
#[command(version, about, after_help = AFTER_HELP)]
struct Args {
    /// Server base URL: the game port, where the bots connect (Socket.IO).
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// The server's operator listener (`tickstate --admin-bind`), where `/stats` is read for the
    /// server's CPU, tick and input figures; a URL with a path is used as it is.
    #[arg(long, default_value = tickstate_benches::server_stats::DEFAULT_STATS_URL)]
    stats_url: String,
    /// Bearer token of the operator listener (`tickstate --admin-token`).
    #[arg(long, env = "TICKSTATE_ADMIN_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    stats_token: Option<Token>,
    /// Number of bots.
    #[arg(long, default_value_t = 50)]
    bots: usize,
    /// How long all bots play together, after the ramp-up (e.g. 30s, 2m, 500ms).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    duration: Duration,
    /// Bots start evenly spread over this time.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    ramp: Duration,
    /// The game the server hosts (`tickstate --game`): star_collector or arena. A bot welcomed to
    /// another game counts as a failed connect.
    #[arg(long, default_value = "star_collector")]
    game: GameKind,
    /// Behaviour: random_walk, chase_stars, idle, straight_lines, arena_fighter, a comma list
    /// (round robin) or mix (Star Collector's four) [default: mix, or arena_fighter with --game arena].
    #[arg(long)]
    behaviour: Option<BehaviourMix>,
    /// Inputs per second per bot [default: the room's tick rate from `welcome`, one per tick].
    #[arg(long)]
    input_rate: Option<f64>,
    /// Room name, or prefix of the rooms when bots are spread (`{room}-0`, `{room}-1`, …).
    #[arg(long, default_value = "load")]
    room: String,
    /// Bots per room (Star Collector takes 16); 0 puts every bot in `--room`; `auto` asks for no
    /// room, so the server's matchmaking fills rooms up to their capacity (`tickstate --max-players`).
    #[arg(long, default_value = "16")]
    per_room: PerRoom,
    /// Source addresses to spread the bots over, round robin: a count N (127.0.0.1 … 127.0.0.N),
    /// or addresses and ranges (`127.0.0.1-127.0.0.8,127.0.1.1`). Each address is one "IP" for the
    /// server's per-IP limits (256 connections, 50/s by default) [default: the OS chooses].
    #[arg(long, value_name = "N|ADDRS", value_parser = parse_addrs)]
    local_addrs: Option<Addrs>,
    /// How often `/stats` is polled (timeline, progress line).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    poll: Duration,
    /// The server's pid: read its CPU and RSS from /proc when `/stats` has no `process` section.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Seed of the bots' random numbers.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Objectives, e.g. `p99_ms=50,errors=0,connect_fail=0` (see below); a failure exits with 1.
    #[arg(long)]
    slo: Option<Slo>,
    /// Bot counts to run one after the other (e.g. 100,200,500,1000); stops at the knee.
    #[arg(long, value_delimiter = ',')]
    ladder: Option<Vec<usize>>,
    /// Pause between ladder levels.
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    ladder_pause: Duration,
    /// Print the results as JSON on stdout (the table goes to stderr).
    #[arg(long)]
    json: bool,
    /// Write a self-contained HTML report (inline SVG charts).
    #[arg(long, value_name = "FILE.html")]
    report: Option<std::path::PathBuf>,
    /// Harness CPU (percent of one core) above which the run is flagged INVALID.
    #[arg(long, default_value_t = 85.0)]
    max_harness_cpu: f64,
    /// Tokio worker threads [default: the CPUs this process may run on].
    #[arg(long)]
    threads: Option<usize>,
    /// No progress line.
    #[arg(long, short)]
    quiet: bool,
    /// Network conditions between the bots and the server, through a proxy in this process, e.g.
    /// `delay=80ms,jitter=30ms,stall=500ms/10s` (also `bw=2mbit`, `seed=N`); each direction of
    /// each bot's connection gets them, stalls at a random phase per connection.
    #[arg(long, value_name = "COND")]
    net: Option<tickstate_testkit::NetConditions>,
    /// Bots never acknowledge snapshots, so they get full snapshots (how clients without delta
    /// support are served); by default they ack and get deltas.
    #[arg(long)]
    full_snapshots: bool,
}

const AFTER_HELP: &str = "SLO keys (all upper bounds): p50_ms p90_ms p99_ms max_ms p99_adj_ms jitter_p99_ms \
connect_p99_ms errors connect_fail disconnects decode_errors missed_pct kbps_per_client bytes_per_entity \
harness_cpu_pct server_tick_p99_ms server_lateness_p99_ms server_cpu_pct server_cpu_us_per_player_s \
rss_kb_per_player server_rejected server_dropped skipped_ticks. A figure that could not be measured fails.\n\
Ladder without --slo uses p99_ms=50,errors=0,connect_fail=0.\n\
Exit codes: 0 ok, 1 SLO failed, 2 usage, 3 SLO held but the run is INVALID (harness CPU-bound, or it sent \
< 90% of its inputs).\n\
Server figures come from the server's operator listener (--stats-url, default http://127.0.0.1:9100, \
tickstate's --admin-bind default).\n\
Pin for comparable figures: taskset -c 0 target/release/tickstate --bind 127.0.0.1:3000 & \
taskset -c 1 target/release/loadtest --server-pid $!\n\
More than 256 bots against the server's default per-IP limits: --local-addrs 8 (up to 8 x 256 bots, \
50 new connections/s per address). 500 bots in one room: tickstate --max-players 500, loadtest --per-room auto.";

/// `--stats-token`: never printed (not even by `Debug`), never validated by clap (whose errors
/// repeat the value).
#[derive(Clone)]
struct Token(String);

impl std::str::FromStr for Token {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The parsed `--local-addrs` (a newtype: clap treats `Option<Vec<_>>` as a repeated flag).
#[derive(Debug, Clone)]
struct Addrs(Vec<IpAddr>);

fn parse_addrs(s: &str) -> Result<Addrs, String> {
    parse_local_addrs(s).map(Addrs)
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or((s, "s"), |i| s.split_at(i));
    let v: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 30s, 2m, 500ms"))?;
    let secs = match unit.trim() {
        "ms" => v / 1000.0,
        "s" | "" => v,
        "m" | "min" => v * 60.0,
        other => return Err(format!("unknown unit `{other}` (ms, s, m)")),
    };
    if !secs.is_finite() || !(0.0..=86_400.0).contains(&secs) {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if let Some(n) = args.threads {
        rt.worker_threads(n.max(1));
    }
    let rt = match rt.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(args)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> anyhow::Result<u8> {
    let progress = if args.quiet {
        Progress::Off
    } else if std::io::stderr().is_terminal() {
        Progress::Live
    } else {
        Progress::Lines
    };
    let config = LoadConfig {
        url: args.url.trim_end_matches('/').to_owned(),
        stats_url: args.stats_url.clone(),
        stats_token: args
            .stats_token
            .as_ref()
            .filter(|t| !t.0.is_empty())
            .map(|t| StatsToken::new(t.0.clone())),
        bots: args.bots,
        duration: args.duration,
        ramp: args.ramp,
        game: args.game,
        behaviours: args.behaviour.clone().unwrap_or_else(|| args.game.default_behaviours()),
        input_rate: args.input_rate,
        room: args.room.clone(),
        per_room: args.per_room,
        local_addrs: args.local_addrs.clone().map(|a| a.0).unwrap_or_default(),
        poll_interval: args.poll.max(Duration::from_millis(100)),
        server_pid: args.server_pid,
        seed: args.seed,
        progress,
        max_harness_cpu_pct: args.max_harness_cpu,
        net: args.net,
        acks: !args.full_snapshots,
    };
    if let Some(levels) = &args.ladder {
        let slo = args.slo.clone().unwrap_or_else(|| Slo(default_ladder_slo()));
        let steps = run_ladder(&config, levels, &slo, args.ladder_pause, |st| {
            eprintln!(
                "level {} bots: {}",
                st.bots,
                if st.pass { "pass" } else { "FAIL (knee)" }
            );
        })
        .await
        .map_err(anyhow::Error::msg)?;
        eprint!("{}", ladder_text(&steps));
        if args.json {
            println!("{}", serde_json::to_string_pretty(&ladder_json(&steps, &slo))?);
        }
        if let Some(path) = &args.report {
            std::fs::write(path, ladder_html(&steps, &slo)).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("report: {}", path.display());
        }
        // A ladder is for finding the knee: it succeeds when it ran; the knee is in the output.
        return Ok(0);
    }
    let slo = args.slo.clone().unwrap_or_default();
    let result = run_load(config).await.map_err(anyhow::Error::msg)?;
    let summary = RunSummary::of(&result);
    let verdicts = slo.check(&summary);
    let table = text_summary(&result, &summary, &verdicts);
    if args.json {
        eprint!("{table}");
        println!("{}", serde_json::to_string_pretty(&run_json(&result, &summary, &slo))?);
    } else {
        print!("{table}");
    }
    if let Some(path) = &args.report {
        std::fs::write(path, html_report(&result, &summary, &slo))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("report: {}", path.display());
    }
    let pass = verdicts.iter().all(|v| v.pass);
    Ok(if !pass {
        1
    } else if !slo.is_empty() && !summary.valid {
        3
    } else {
        0
    })
}

fn default_ladder_slo() -> Vec<tickstate_benches::slo::Objective> {
    "p99_ms=50,errors=0,connect_fail=0"
        .parse::<Slo>()
        .map(|s| s.0)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickstate_benches::bot::BehaviourKind;

    #[test]
    fn flags() {
        let a =
            Args::try_parse_from(["loadtest", "--local-addrs", "127.0.0.1-127.0.0.8", "--per-room", "auto"]).unwrap();
        assert_eq!(a.local_addrs.map(|a| a.0.len()), Some(8));
        assert_eq!(a.per_room, PerRoom::Auto);
        let a = Args::try_parse_from(["loadtest"]).unwrap();
        assert!(a.local_addrs.is_none());
        assert_eq!(a.stats_url, "http://127.0.0.1:9100");
        assert_eq!(a.per_room, PerRoom::Spread(16));
        assert!(Args::try_parse_from(["loadtest", "--local-addrs", "0"]).is_err());
        assert_eq!(a.game, GameKind::StarCollector);
        let a = Args::try_parse_from(["loadtest", "--game", "arena"]).unwrap();
        assert_eq!(a.game, GameKind::Arena);
        assert_eq!(
            a.behaviour.unwrap_or_else(|| a.game.default_behaviours()).kind_of(0),
            BehaviourKind::ArenaFighter
        );
        assert!(Args::try_parse_from(["loadtest", "--game", "chess"]).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3h").is_err());
    }
}
