//! The load test: many bots in one tokio process against a running server.
//!
//! [`run_load`] ramps up [`LoadConfig::bots`] bots (each a [`tickstate_testkit::client::Client`]
//! driven by a [`crate::bot::Behaviour`]), lets them play for [`LoadConfig::duration`], polls the
//! server's `/stats` meanwhile, and returns a [`LoadResult`] with per-bot and overall figures.
//!
//! ## What a bot sends
//! One input per tick (or `--input-rate`), from a clock started at a random phase of its period
//! (seeded), like players whose input clocks have arbitrary phases relative to the server's ticks.
//!
//! ## What a bot measures
//! - **connect**: time from starting the WebSocket to the `welcome`, or the failure.
//! - **input → ack latency**: from sending input `seq` to the arrival of the first snapshot whose
//!   `ack >= seq`.
//! - **latency minus the tick wait** (`latency_adj`): the same, minus the time the input had to wait
//!   for the next snapshot tick anyway. Snapshot tick start times are estimated from the lower
//!   envelope of `arrival - tick / tick_rate` over the last 64 snapshots, so what remains is the
//!   delay beyond the best snapshot delivery seen: queueing, tick lateness, a missed tick.
//! - **jitter**: `|arrival interval - (tick difference / tick_rate)|` between consecutive snapshots.
//! - **missed snapshots**: snapshot ticks (by the server's rule: a snapshot whenever
//!   `floor(tick * snapshot_rate / tick_rate)` changes) between two received snapshots.
//! - **bytes**: snapshot document bytes (MessagePack `[tick, ack, bin]`, without the Socket.IO and
//!   WebSocket framing of about 15 bytes) and entity records received.
//! - **errors**: undecodable snapshots, unexpected disconnects (with the reason, or the `bye`
//!   reason), failed sends.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tickstate_shared::protocol::{ConnectAuth, events};
use tickstate_shared::schema::FieldValue;
use tickstate_shared::snapshot::EntityRecord;
use tickstate_shared::{InputMsg, seq_newer};
use tickstate_testkit::client::{Client, ClientError, Event};
use tickstate_testkit::netsim::{NetConditions, NetProxy};
use tokio::sync::watch;

use crate::bot::{BehaviourKind, BehaviourMix, BotView, GameKind};
use crate::cpu::CpuMeter;
use crate::hist::Histogram;
use crate::server_stats::{DEFAULT_STATS_URL, ServerSample, StatsToken, fetch_stats};

/// How the run shows progress on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing.
    Off,
    /// One line rewritten in place (`\r`), for terminals.
    Live,
    /// A new line at every poll, for logs.
    Lines,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Server base URL (the game port: Socket.IO), e.g. `http://127.0.0.1:3000`.
    pub url: String,
    /// The server's operator listener (`tickstate --admin-bind`), where `/stats` is read, e.g.
    /// `http://127.0.0.1:9100`; a URL with a path is used as it is.
    pub stats_url: String,
    /// Bearer token for `stats_url`, when the server has one (`tickstate --admin-token`).
    pub stats_token: Option<StatsToken>,
    /// The game the server must host (`welcome.game`); a bot welcomed to another game fails to
    /// connect.
    pub game: GameKind,
    /// Number of bots.
    pub bots: usize,
    /// How long all bots play together, after the ramp-up.
    pub duration: Duration,
    /// Bots start evenly spread over this time.
    pub ramp: Duration,
    /// Behaviours, assigned round robin.
    pub behaviours: BehaviourMix,
    /// Inputs per second per bot; `None` = the room's tick rate (one input per tick).
    pub input_rate: Option<f64>,
    /// Room name, or prefix when bots are spread over rooms.
    pub room: String,
    /// How bots are spread over rooms.
    pub per_room: PerRoom,
    /// Local (source) addresses the bots connect from, round robin (bot `i` uses
    /// `local_addrs[i % len]`); empty = let the OS choose (127.0.0.1 for a loopback server).
    /// Spreading bots over several loopback addresses keeps each address under the server's
    /// per-IP connection limits.
    pub local_addrs: Vec<IpAddr>,
    /// How often `/stats` is polled for the timeline and the progress line.
    pub poll_interval: Duration,
    /// The server's process id, to read its CPU and RSS from `/proc` when `/stats` lacks them.
    pub server_pid: Option<u32>,
    /// Seed of the bots' random numbers.
    pub seed: u64,
    /// Progress display.
    pub progress: Progress,
    /// Harness CPU (percent of one core) above which the run is flagged invalid.
    pub max_harness_cpu_pct: f64,
    /// Network conditions between the bots and the server (`--net`): the bots connect through a
    /// [`NetProxy`] in this process. `None`: straight to the server.
    pub net: Option<NetConditions>,
    /// Bots acknowledge snapshots (`snapshot_ack`) and so get delta snapshots; false: they never
    /// ack and get full snapshots, as clients that predate deltas do.
    pub acks: bool,
}

impl LoadConfig {
    /// A config with the defaults of the `loadtest` binary.
    pub fn new(url: impl Into<String>, bots: usize, duration: Duration) -> Self {
        Self {
            url: url.into(),
            stats_url: DEFAULT_STATS_URL.into(),
            stats_token: None,
            game: GameKind::StarCollector,
            bots,
            duration,
            ramp: Duration::from_secs(2),
            behaviours: BehaviourMix(BehaviourKind::STAR_COLLECTOR.to_vec()),
            input_rate: None,
            room: "load".into(),
            per_room: PerRoom::Spread(16),
            local_addrs: Vec::new(),
            poll_interval: Duration::from_secs(1),
            server_pid: None,
            seed: 1,
            progress: Progress::Off,
            max_harness_cpu_pct: 85.0,
            net: None,
            acks: true,
        }
    }

    /// The room bot `i` asks for; `None` leaves the choice to the server's matchmaking.
    pub fn room_of(&self, i: usize) -> Option<String> {
        match self.per_room {
            PerRoom::Spread(0) => Some(self.room.clone()),
            PerRoom::Spread(n) => Some(format!("{}-{}", self.room, i / n)),
            PerRoom::Auto => None,
        }
    }

    /// The local address bot `i` connects from, if any was chosen.
    pub fn local_addr_of(&self, i: usize) -> Option<IpAddr> {
        i.checked_rem(self.local_addrs.len()).map(|k| self.local_addrs[k])
    }
}

/// How bots are spread over rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerRoom {
    /// `n` bots per room, in rooms `{room}-0`, `{room}-1`, …; 0 puts every bot in `{room}`.
    Spread(usize),
    /// No room asked for: the server's matchmaking fills its rooms up to their capacity (the
    /// game's, or `tickstate --max-players`), so 500 bots land in one room on a server started
    /// with `--max-players 500`.
    Auto,
}

impl std::fmt::Display for PerRoom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PerRoom::Spread(n) => write!(f, "{n}"),
            PerRoom::Auto => f.write_str("auto"),
        }
    }
}

impl std::str::FromStr for PerRoom {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "auto" => Ok(PerRoom::Auto),
            n => n
                .parse()
                .map(PerRoom::Spread)
                .map_err(|_| format!("`{s}` is neither a number of bots per room nor `auto`")),
        }
    }
}

/// Most addresses `--local-addrs` may name.
pub const MAX_LOCAL_ADDRS: usize = 4096;

/// Parses a list of local addresses: a count `N` (127.0.0.1 … 127.0.0.N), or comma-separated
/// addresses and IPv4 ranges `a.b.c.d-e.f.g.h` (inclusive).
///
/// # Errors
/// A malformed item, an empty or reversed range, or more than [`MAX_LOCAL_ADDRS`] addresses.
pub fn parse_local_addrs(s: &str) -> Result<Vec<IpAddr>, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<usize>() {
        if n == 0 || n > MAX_LOCAL_ADDRS {
            return Err(format!("a count of addresses must be 1..={MAX_LOCAL_ADDRS}"));
        }
        let first = u32::from(Ipv4Addr::new(127, 0, 0, 1));
        return Ok((0..n as u32).map(|k| IpAddr::V4(Ipv4Addr::from(first + k))).collect());
    }
    let mut out = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if let Some((a, b)) = item.split_once('-') {
            let parse = |x: &str| {
                x.trim()
                    .parse::<Ipv4Addr>()
                    .map_err(|_| format!("`{x}` in `{item}` is not an IPv4 address"))
            };
            let (a, b) = (u32::from(parse(a)?), u32::from(parse(b)?));
            if b < a {
                return Err(format!("`{item}` is an empty range"));
            }
            if (b - a) as usize >= MAX_LOCAL_ADDRS {
                return Err(format!("`{item}` names more than {MAX_LOCAL_ADDRS} addresses"));
            }
            out.extend((a..=b).map(|k| IpAddr::V4(Ipv4Addr::from(k))));
        } else {
            out.push(
                item.parse::<IpAddr>()
                    .map_err(|_| format!("`{item}` is not an IP address"))?,
            );
        }
        if out.len() > MAX_LOCAL_ADDRS {
            return Err(format!("more than {MAX_LOCAL_ADDRS} addresses"));
        }
    }
    if out.is_empty() {
        return Err("no addresses".into());
    }
    Ok(out)
}

/// Counters every bot updates while running, read by the progress line and the timeline.
#[derive(Debug, Default)]
struct Live {
    connected: AtomicU64,
    connect_failed: AtomicU64,
    disconnected: AtomicU64,
    errors: AtomicU64,
    snapshots: AtomicU64,
    bytes: AtomicU64,
    inputs: AtomicU64,
    missed: AtomicU64,
    window_latency: Mutex<Histogram>,
}

/// One bot's results.
#[derive(Debug, Clone, Serialize)]
pub struct BotResult {
    /// Bot number.
    pub index: usize,
    /// Behaviour.
    pub behaviour: BehaviourKind,
    /// Room asked for; with matchmaking (`PerRoom::Auto`) the room the server chose (empty
    /// when the bot did not connect).
    pub room: String,
    /// Connect time in microseconds, when it connected.
    pub connect_us: Option<u64>,
    /// Why connecting failed.
    pub connect_error: Option<String>,
    /// Seconds between `welcome` and the end of the measurement (or the disconnect).
    pub connected_s: f64,
    /// Inputs sent.
    pub inputs_sent: u64,
    /// Inputs acknowledged by a snapshot.
    pub inputs_acked: u64,
    /// Inputs that carried an action (a game input flag set: Arena's `fire` or `rail`).
    pub actions_sent: u64,
    /// Game messages sent (Arena's `chat`).
    pub messages_sent: u64,
    /// Game events received (Arena's `kill`, `chat`, `rail`, `scoreboard`, …).
    pub events_received: u64,
    /// Input → acknowledging snapshot latency.
    #[serde(skip)]
    pub latency: Histogram,
    /// The same minus the wait for the next snapshot tick.
    #[serde(skip)]
    pub latency_adj: Histogram,
    /// Snapshot inter-arrival jitter.
    #[serde(skip)]
    pub jitter: Histogram,
    /// Snapshots received.
    pub snapshots: u64,
    /// Snapshot ticks skipped between received snapshots.
    pub missed_snapshots: u64,
    /// Snapshots whose tick did not increase.
    pub out_of_order: u64,
    /// Snapshot document bytes received.
    pub snapshot_bytes: u64,
    /// Entity records received.
    pub entity_records: u64,
    /// Undecodable snapshots.
    pub decode_errors: u64,
    /// Inputs that could not be queued (connection gone).
    pub send_errors: u64,
    /// Why the connection ended before the run did.
    pub disconnect: Option<String>,
    /// Tick rate from `welcome`.
    pub tick_rate: u32,
    /// Snapshot rate from `welcome`.
    pub snapshot_rate: u32,
}

impl BotResult {
    fn new(index: usize, behaviour: BehaviourKind, room: String) -> Self {
        Self {
            index,
            behaviour,
            room,
            connect_us: None,
            connect_error: None,
            connected_s: 0.0,
            inputs_sent: 0,
            inputs_acked: 0,
            actions_sent: 0,
            messages_sent: 0,
            events_received: 0,
            latency: Histogram::new(),
            latency_adj: Histogram::new(),
            jitter: Histogram::new(),
            snapshots: 0,
            missed_snapshots: 0,
            out_of_order: 0,
            snapshot_bytes: 0,
            entity_records: 0,
            decode_errors: 0,
            send_errors: 0,
            disconnect: None,
            tick_rate: 0,
            snapshot_rate: 0,
        }
    }

    /// Errors of this bot: decode errors, failed sends, an unexpected disconnect, a failed connect.
    pub fn errors(&self) -> u64 {
        self.decode_errors
            + self.send_errors
            + u64::from(self.disconnect.is_some())
            + u64::from(self.connect_error.is_some())
            + self.out_of_order
    }
}

/// One point of the run's timeline (one `/stats` poll).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TimelinePoint {
    /// Seconds since the run started.
    pub t_s: f64,
    /// Bots connected.
    pub bots: u64,
    /// Snapshot bytes received per second, all bots.
    pub bytes_per_s: f64,
    /// Snapshots received per second, all bots.
    pub snapshots_per_s: f64,
    /// Inputs sent per second, all bots.
    pub inputs_per_s: f64,
    /// Input → ack latency p50 in this interval (µs).
    pub latency_p50_us: u64,
    /// Input → ack latency p99 in this interval (µs).
    pub latency_p99_us: u64,
    /// Harness CPU in this interval, percent of one core.
    pub harness_cpu_pct: Option<f64>,
    /// Server CPU in this interval, percent of one core.
    pub server_cpu_pct: Option<f64>,
    /// Server tick duration p50 (worst room, over its recent ticks).
    pub server_tick_p50_us: Option<f64>,
    /// Server tick duration p99.
    pub server_tick_p99_us: Option<f64>,
    /// Server tick start lateness p99.
    pub server_lateness_p99_us: Option<f64>,
}

/// Everything a run measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// What ran.
    pub config: LoadConfig,
    /// Wall time from the first bot's start to the end of the measurement.
    pub wall: Duration,
    /// Per-bot results, by bot number.
    pub bots: Vec<BotResult>,
    /// `/stats` before the first bot connected.
    pub server_before: Option<ServerSample>,
    /// `/stats` at the end, before the bots disconnected.
    pub server_after: Option<ServerSample>,
    /// Periodic samples.
    pub timeline: Vec<TimelinePoint>,
    /// Harness CPU seconds over the run.
    pub harness_cpu_s: Option<f64>,
    /// Harness CPU in percent of one core over the run.
    pub harness_cpu_pct: Option<f64>,
    /// Notes (e.g. `/stats` unreachable).
    pub notes: Vec<String>,
}

/// A [`NetProxy`] in front of the server at `url` (`http://host:port`).
async fn start_proxy(url: &str, cond: NetConditions) -> Result<NetProxy, String> {
    let hostport = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let addr = tokio::net::lookup_host(&hostport)
        .await
        .map_err(|e| format!("--net: cannot resolve {hostport}: {e}"))?
        .next()
        .ok_or_else(|| format!("--net: {hostport} has no address"))?;
    NetProxy::start(addr, cond)
        .await
        .map_err(|e| format!("--net: cannot start the proxy: {e}"))
}

/// Runs one load test.
///
/// # Errors
/// Only when the run cannot start at all (no bots asked for, `--net` proxy failed); bot failures
/// are results.
pub async fn run_load(config: LoadConfig) -> Result<LoadResult, String> {
    if config.bots == 0 {
        return Err("--bots must be at least 1".into());
    }
    let mut notes = Vec::new();
    // The proxy lives as long as the run; bots connect to it instead of the server.
    let proxy = match config.net {
        Some(cond) => Some(start_proxy(&config.url, cond).await?),
        None => None,
    };
    let bot_url = proxy.as_ref().map_or_else(|| config.url.clone(), NetProxy::url);
    let epoch = Instant::now();
    let before = poll_server(&config, epoch, &mut notes).await;
    let live = Arc::new(Live::default());
    let start = tokio::time::Instant::now() + Duration::from_millis(50);
    let end = start + config.ramp + config.duration;
    let (release_tx, release_rx) = watch::channel(false);
    let cpu = CpuMeter::start();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..config.bots {
        let offset = config.ramp.mul_f64(i as f64 / config.bots as f64);
        let spec = BotSpec {
            index: i,
            url: bot_url.clone(),
            room: config.room_of(i),
            game: config.game,
            local: config.local_addr_of(i),
            behaviour: config.behaviours.kind_of(i),
            input_rate: config.input_rate,
            acks: config.acks,
            seed: config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(i as u64),
            start_at: start + offset,
            end_at: end,
            epoch,
        };
        set.spawn(run_bot(spec, live.clone(), release_rx.clone()));
    }
    let timeline = monitor(&config, epoch, end, &live).await;
    let (harness_cpu_s, harness_cpu_pct) = match cpu.read() {
        Some((s, p)) => (Some(s), Some(p)),
        None => (None, None),
    };
    let wall = start.elapsed();
    let after = poll_server(&config, epoch, &mut notes).await;
    let _ = release_tx.send(true);
    let mut bots = Vec::with_capacity(config.bots);
    // Bots return promptly once released; bound the wait anyway.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(r)) = tokio::time::timeout_at(deadline, set.join_next()).await {
        match r {
            Ok(b) => bots.push(b),
            Err(e) => notes.push(format!("a bot task failed: {e}")),
        }
    }
    if !set.is_empty() {
        notes.push(format!("{} bots did not finish within 10 s", set.len()));
        set.abort_all();
    }
    bots.sort_by_key(|b| b.index);
    let failed = bots.iter().filter(|b| b.connect_error.is_some()).count();
    if failed > 0 {
        let sources = config.local_addrs.len().max(1);
        notes.push(format!(
            "{failed} bots could not connect. The bots connect from {sources} source address(es), up to \
             {} bots and {:.0} new connections/s each: a server with per-IP limits (tickstate \
             --max-conns-per-ip, default 256; --conn-rate-per-ip, default 50/s with a burst of 100; \
             0 = unlimited) refuses the excess. Spread the bots with --local-addrs (e.g. 8 = \
             127.0.0.1-127.0.0.8) or lift the limits",
            config.bots.div_ceil(sources),
            config.bots as f64 / sources as f64 / config.ramp.as_secs_f64().max(0.001),
        ));
    }
    if config.progress == Progress::Live {
        eprintln!();
    }
    Ok(LoadResult {
        config,
        wall,
        bots,
        server_before: before,
        server_after: after,
        timeline,
        harness_cpu_s,
        harness_cpu_pct,
        notes,
    })
}

async fn poll_server(config: &LoadConfig, epoch: Instant, notes: &mut Vec<String>) -> Option<ServerSample> {
    match fetch_stats(&config.stats_url, config.stats_token.as_ref()).await {
        Ok(doc) => {
            let mut s = ServerSample::new(doc, epoch.elapsed().as_secs_f64());
            s.fill_from_proc(config.server_pid);
            Some(s)
        }
        Err(e) => {
            notes.push(format!("could not read the server's /stats: {e}"));
            None
        }
    }
}

/// Polls `/stats` and the live counters until `end`, printing progress.
async fn monitor(config: &LoadConfig, epoch: Instant, end: tokio::time::Instant, live: &Live) -> Vec<TimelinePoint> {
    let mut timeline = Vec::new();
    let mut last = (
        Instant::now(),
        0u64,
        0u64,
        0u64,
        crate::cpu::self_cpu_seconds(),
        None::<f64>,
    );
    let mut ignored = Vec::new();
    loop {
        let now = tokio::time::Instant::now();
        if now >= end {
            break;
        }
        // Bots stop at `end`: sample a little before it, and skip a last sample shorter than half an
        // interval.
        let last_sample = end - Duration::from_millis(20).min(config.poll_interval / 4);
        let next = (now + config.poll_interval).min(last_sample);
        if next.saturating_duration_since(now) < config.poll_interval / 2 {
            tokio::time::sleep_until(end).await;
            break;
        }
        tokio::time::sleep_until(next).await;
        let server = poll_server(config, epoch, &mut ignored).await;
        let at = Instant::now();
        let dt = at.duration_since(last.0).as_secs_f64().max(1e-6);
        let (bytes, snaps, inputs) = (
            live.bytes.load(Relaxed),
            live.snapshots.load(Relaxed),
            live.inputs.load(Relaxed),
        );
        let window = {
            let mut h = live.window_latency.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::take(&mut *h)
        };
        let cpu = crate::cpu::self_cpu_seconds();
        let server_cpu = server.as_ref().and_then(|s| s.cpu_seconds);
        let p = TimelinePoint {
            t_s: epoch.elapsed().as_secs_f64(),
            bots: live.connected.load(Relaxed),
            bytes_per_s: (bytes - last.1) as f64 / dt,
            snapshots_per_s: (snaps - last.2) as f64 / dt,
            inputs_per_s: (inputs - last.3) as f64 / dt,
            latency_p50_us: window.percentile(0.5),
            latency_p99_us: window.percentile(0.99),
            harness_cpu_pct: cpu.zip(last.4).map(|(a, b)| (a - b) / dt * 100.0),
            server_cpu_pct: server_cpu.zip(last.5).map(|(a, b)| (a - b) / dt * 100.0),
            server_tick_p50_us: server.as_ref().map(|s| f64::from(s.doc.tick_duration_us.p50)),
            server_tick_p99_us: server.as_ref().map(|s| f64::from(s.doc.tick_duration_us.p99)),
            server_lateness_p99_us: server.as_ref().map(|s| f64::from(s.doc.tick_lateness_us.p99)),
        };
        last = (at, bytes, snaps, inputs, cpu, server_cpu);
        match config.progress {
            Progress::Off => {}
            Progress::Live => eprint!("\r{}\x1b[K", progress_line(&p, live, config.bots)),
            Progress::Lines => eprintln!("{}", progress_line(&p, live, config.bots)),
        }
        timeline.push(p);
    }
    timeline
}

fn opt(v: Option<f64>, scale: f64, unit: &str) -> String {
    v.map_or_else(|| "n/a".into(), |x| format!("{:.1}{unit}", x / scale))
}

fn progress_line(p: &TimelinePoint, live: &Live, bots: usize) -> String {
    let per_client = if p.bots > 0 {
        p.bytes_per_s / p.bots as f64 / 1024.0
    } else {
        0.0
    };
    format!(
        "t={:>5.1}s bots {}/{} fail {} disc {} err {} | ack p50 {:.1}ms p99 {:.1}ms | {:.0} snap/s {:.1} KB/s/client missed {} | cpu {} | server tick p99 {} late p99 {} cpu {}",
        p.t_s,
        p.bots,
        bots,
        live.connect_failed.load(Relaxed),
        live.disconnected.load(Relaxed),
        live.errors.load(Relaxed),
        p.latency_p50_us as f64 / 1000.0,
        p.latency_p99_us as f64 / 1000.0,
        p.snapshots_per_s,
        per_client,
        live.missed.load(Relaxed),
        opt(p.harness_cpu_pct, 1.0, "%"),
        opt(p.server_tick_p99_us, 1000.0, "ms"),
        opt(p.server_lateness_p99_us, 1000.0, "ms"),
        opt(p.server_cpu_pct, 1.0, "%"),
    )
}

struct BotSpec {
    index: usize,
    url: String,
    room: Option<String>,
    game: GameKind,
    local: Option<IpAddr>,
    behaviour: BehaviourKind,
    input_rate: Option<f64>,
    acks: bool,
    seed: u64,
    start_at: tokio::time::Instant,
    end_at: tokio::time::Instant,
    epoch: Instant,
}

/// Is `t` a snapshot tick? (The server's rule, `server/src/room/mod.rs`.)
pub fn snapshot_due(t: u64, tick_rate: u64, snapshot_rate: u64) -> bool {
    tick_rate == 0 || t == 0 || (t * snapshot_rate) / tick_rate != ((t - 1) * snapshot_rate) / tick_rate
}

/// Snapshot ticks strictly between ticks `a` and `b` (`a < b`).
pub fn snapshot_ticks_between(a: u64, b: u64, tick_rate: u64, snapshot_rate: u64) -> u64 {
    if b <= a + 1 || tick_rate == 0 {
        return 0;
    }
    ((b - 1) * snapshot_rate / tick_rate).saturating_sub(a * snapshot_rate / tick_rate)
}

/// Estimates when the server's snapshot ticks start, from snapshot arrivals.
#[derive(Debug)]
pub struct TickClock {
    tick_rate: f64,
    tr: u64,
    sr: u64,
    offsets: VecDeque<f64>,
    t0: f64,
}

impl TickClock {
    /// A clock for a room's rates.
    pub fn new(tick_rate: u32, snapshot_rate: u32) -> Self {
        Self {
            tick_rate: f64::from(tick_rate.max(1)),
            tr: u64::from(tick_rate.max(1)),
            sr: u64::from(snapshot_rate.max(1)),
            offsets: VecDeque::with_capacity(64),
            t0: f64::INFINITY,
        }
    }

    /// A snapshot of `tick` arrived at `at_s` seconds (on the harness's clock).
    pub fn observe(&mut self, tick: u32, at_s: f64) {
        if self.offsets.len() == 64 {
            self.offsets.pop_front();
        }
        self.offsets.push_back(at_s - f64::from(tick) / self.tick_rate);
        self.t0 = self.offsets.iter().copied().fold(f64::INFINITY, f64::min);
    }

    /// When (seconds) the first snapshot tick after `sent_s` should start, once a snapshot was seen.
    pub fn next_snapshot_tick_after(&self, sent_s: f64) -> Option<f64> {
        if !self.t0.is_finite() {
            return None;
        }
        let k = ((sent_s - self.t0) * self.tick_rate).ceil().max(0.0) as u64;
        // At most tick_rate / snapshot_rate + 1 steps.
        let mut t = k;
        while !snapshot_due(t, self.tr, self.sr) && t < k + self.tr {
            t += 1;
        }
        Some(self.t0 + t as f64 / self.tick_rate)
    }
}

fn connect_error_kind(e: &ClientError) -> String {
    match e {
        ClientError::Refused(m) => format!("refused: {m}"),
        ClientError::Timeout(what) => format!("timeout: {what}"),
        ClientError::Closed => "closed".into(),
        ClientError::Ws(e) => {
            let s = e.to_string();
            format!("websocket: {}", s.chars().take(60).collect::<String>())
        }
        other => other.to_string().chars().take(60).collect(),
    }
}

async fn run_bot(spec: BotSpec, live: Arc<Live>, mut release: watch::Receiver<bool>) -> BotResult {
    let mut r = BotResult::new(spec.index, spec.behaviour, spec.room.clone().unwrap_or_default());
    tokio::time::sleep_until(spec.start_at).await;
    if tokio::time::Instant::now() >= spec.end_at {
        return r;
    }
    let auth = ConnectAuth {
        room: spec.room.clone(),
        ..ConnectAuth::named(&format!("bot{}", spec.index))
    };
    let t = Instant::now();
    let connected = tokio::time::timeout_at(spec.end_at, Client::connect_from(&spec.url, &auth, spec.local)).await;
    let mut client = match connected {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            r.connect_error = Some(connect_error_kind(&e));
            live.connect_failed.fetch_add(1, Relaxed);
            return r;
        }
        Err(_) => {
            r.connect_error = Some("timeout: run ended".into());
            live.connect_failed.fetch_add(1, Relaxed);
            return r;
        }
    };
    r.connect_us = Some(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
    if client.welcome.game != spec.game.as_str() {
        r.connect_us = None;
        r.connect_error = Some(format!(
            "wrong game: the server hosts {} (start it with --game {})",
            client.welcome.game,
            spec.game.as_str()
        ));
        live.connect_failed.fetch_add(1, Relaxed);
        client.sender.disconnect().await;
        return r;
    }
    live.connected.fetch_add(1, Relaxed);
    client.sender.ack_snapshots(spec.acks);
    let welcome_at = Instant::now();
    let w = &client.welcome;
    if r.room.is_empty() {
        r.room.clone_from(&w.room);
    }
    r.tick_rate = w.tick_rate;
    r.snapshot_rate = w.snapshot_rate;
    let world = (w.world.width, w.world.height);
    let my_id = w.id;
    let rate = spec.input_rate.unwrap_or(f64::from(w.tick_rate)).clamp(0.1, 1000.0);
    let mut clock = TickClock::new(w.tick_rate, w.snapshot_rate);
    let mut behaviour = spec.behaviour.build();
    let mut rng = SmallRng::seed_from_u64(spec.seed);
    let mut entities: Vec<EntityRecord> = Vec::new();
    let mut me: Option<(f32, f32)> = None;
    let mut pending: VecDeque<(u32, Instant)> = VecDeque::with_capacity(64);
    let mut seq: u32 = 0;
    let mut last_snap: Option<(u32, Instant)> = None;
    let mut tick: u32 = 0;
    // Start the inputs at a random phase of their period: `welcome` is sent right after a server
    // tick, so bots that started their inputs on it would all send just after a tick starts (the
    // worst phase: a whole tick of waiting for every input), unlike players, whose input clocks
    // have arbitrary phases.
    let period = Duration::from_secs_f64(1.0 / rate);
    let phase = period.mul_f64(rng.random_range(0.0..1.0));
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + phase, period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let secs = |i: Instant| i.duration_since(spec.epoch).as_secs_f64();
    loop {
        tokio::select! {
            biased;
            ev = client.events.recv() => {
                let Some(ev) = ev else {
                    r.disconnect = Some("event stream ended".into());
                    break;
                };
                match ev {
                    Event::Snapshot { snapshot, bytes, at } => {
                        r.snapshots += 1;
                        r.snapshot_bytes += bytes as u64;
                        r.entity_records += snapshot.entities.len() as u64;
                        live.snapshots.fetch_add(1, Relaxed);
                        live.bytes.fetch_add(bytes as u64, Relaxed);
                        if let Some((lt, la)) = last_snap {
                            if snapshot.tick <= lt {
                                r.out_of_order += 1;
                                live.errors.fetch_add(1, Relaxed);
                            } else {
                                let missed = snapshot_ticks_between(
                                    u64::from(lt), u64::from(snapshot.tick),
                                    u64::from(r.tick_rate), u64::from(r.snapshot_rate));
                                r.missed_snapshots += missed;
                                live.missed.fetch_add(missed, Relaxed);
                                let expected = f64::from(snapshot.tick - lt) / f64::from(r.tick_rate.max(1));
                                let got = at.duration_since(la).as_secs_f64();
                                r.jitter.record(((got - expected).abs() * 1e6) as u64);
                            }
                        }
                        last_snap = Some((snapshot.tick, at));
                        tick = snapshot.tick;
                        clock.observe(snapshot.tick, secs(at));
                        let mut window = Vec::new();
                        while let Some(&(s, sent)) = pending.front() {
                            if seq_newer(s, snapshot.ack) {
                                break;
                            }
                            pending.pop_front();
                            let lat = at.saturating_duration_since(sent);
                            r.latency.record_duration(lat);
                            window.push(lat);
                            if let Some(start) = clock.next_snapshot_tick_after(secs(sent)) {
                                r.latency_adj.record(((secs(at) - start).max(0.0) * 1e6) as u64);
                            }
                            r.inputs_acked += 1;
                        }
                        if !window.is_empty() {
                            let mut h = live.window_latency.lock().unwrap_or_else(|p| p.into_inner());
                            for l in window {
                                h.record_duration(l);
                            }
                        }
                        me = snapshot.entities.iter().find(|e| e.head.id == my_id).map(|e| {
                            (f32::from(e.head.x) / 65535.0 * world.0, f32::from(e.head.y) / 65535.0 * world.1)
                        });
                        entities = snapshot.entities;
                    }
                    Event::BadSnapshot(_) => {
                        r.decode_errors += 1;
                        live.errors.fetch_add(1, Relaxed);
                    }
                    Event::Message { event, data, .. } if event == events::BYE => {
                        let reason = data
                            .as_map()
                            .and_then(|m| m.iter().find(|(k, _)| k.as_str() == Some("reason")))
                            .and_then(|(_, v)| v.as_str())
                            .unwrap_or("?")
                            .to_owned();
                        r.disconnect = Some(format!("bye: {reason}"));
                    }
                    Event::Message { tick: Some(_), .. } => r.events_received += 1,
                    Event::Disconnected { reason } => {
                        if r.disconnect.is_none() {
                            r.disconnect = Some(reason);
                        }
                        break;
                    }
                    _ => {}
                }
            }
            _ = interval.tick() => {
                let view = BotView { me, entities: &entities, world, my_id, inputs_sent: r.inputs_sent, tick };
                let s = behaviour.steer(&view, &mut rng);
                let values = behaviour.input_values();
                let action = values.iter().any(|v| matches!(v, FieldValue::Flag(true)));
                let input = InputMsg::new(seq.wrapping_add(1), s.dx, s.dy, s.buttons).with_values(values);
                seq = seq.wrapping_add(1);
                if pending.len() == 512 {
                    pending.pop_front();
                }
                pending.push_back((seq, Instant::now()));
                if client.sender.input(input).await.is_err() {
                    r.send_errors += 1;
                    live.errors.fetch_add(1, Relaxed);
                } else {
                    r.inputs_sent += 1;
                    r.actions_sent += u64::from(action);
                    live.inputs.fetch_add(1, Relaxed);
                }
                if let Some((name, text)) = behaviour.message(&mut rng) {
                    if client.sender.message(name, &text).await.is_err() {
                        r.send_errors += 1;
                        live.errors.fetch_add(1, Relaxed);
                    } else {
                        r.messages_sent += 1;
                    }
                }
            }
            () = tokio::time::sleep_until(spec.end_at) => break,
        }
    }
    r.connected_s = welcome_at.elapsed().as_secs_f64();
    live.connected.fetch_sub(1, Relaxed);
    if r.disconnect.is_some() {
        live.disconnected.fetch_add(1, Relaxed);
        live.errors.fetch_add(1, Relaxed);
        return r;
    }
    // Stay connected (draining events) until the server's final figures are read.
    let wait = async {
        while !*release.borrow() {
            tokio::select! {
                ev = client.events.recv() => if ev.is_none() { break },
                res = release.changed() => if res.is_err() { break },
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(15), wait).await;
    client.sender.disconnect().await;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_rule_matches_the_server() {
        // 60/30: every other tick.
        let due: Vec<u64> = (0..8).filter(|t| snapshot_due(*t, 60, 30)).collect();
        assert_eq!(due, vec![0, 2, 4, 6]);
        assert_eq!(snapshot_ticks_between(2, 4, 60, 30), 0);
        assert_eq!(snapshot_ticks_between(2, 8, 60, 30), 2);
        // 60/20: every third tick; 60/60: every tick.
        assert_eq!(snapshot_ticks_between(3, 12, 60, 20), 2);
        assert_eq!(snapshot_ticks_between(5, 9, 60, 60), 3);
        // Uneven 60/25.
        let due: Vec<u64> = (1..=60).filter(|t| snapshot_due(*t, 60, 25)).collect();
        assert_eq!(due.len(), 25);
        let (first, last) = (due[0], due[24]);
        assert_eq!(snapshot_ticks_between(first, last, 60, 25), 23);
    }

    #[test]
    fn tick_clock_finds_the_next_snapshot_tick() {
        let mut c = TickClock::new(60, 30);
        assert_eq!(c.next_snapshot_tick_after(1.0), None);
        // Tick 10 arrived at 10/60 + 1 ms; tick 12 a bit later than its best.
        c.observe(10, 10.0 / 60.0 + 0.001);
        c.observe(12, 12.0 / 60.0 + 0.004);
        // Sent just after tick 10 started: the next tick is 11, not a snapshot tick; 12 is.
        let next = c.next_snapshot_tick_after(10.0 / 60.0 + 0.0015).unwrap();
        assert!((next - (12.0 / 60.0 + 0.001)).abs() < 1e-9, "{next}");
    }

    #[test]
    fn rooms_are_spread() {
        let mut c = LoadConfig::new("http://127.0.0.1:1", 40, Duration::from_secs(1));
        assert_eq!(c.room_of(0).as_deref(), Some("load-0"));
        assert_eq!(c.room_of(17).as_deref(), Some("load-1"));
        c.per_room = PerRoom::Spread(0);
        assert_eq!(c.room_of(17).as_deref(), Some("load"));
        c.per_room = PerRoom::Auto;
        assert_eq!(c.room_of(17), None);
        assert_eq!("auto".parse(), Ok(PerRoom::Auto));
        assert_eq!("16".parse(), Ok(PerRoom::Spread(16)));
        assert!("many".parse::<PerRoom>().is_err());
    }

    #[test]
    fn local_addresses() {
        let v4 = |d| IpAddr::V4(Ipv4Addr::new(127, 0, 0, d));
        assert_eq!(parse_local_addrs("3"), Ok(vec![v4(1), v4(2), v4(3)]));
        assert_eq!(parse_local_addrs("127.0.0.1-127.0.0.8").map(|v| v.len()), Ok(8));
        assert_eq!(
            parse_local_addrs("127.0.0.9, 127.0.0.2-127.0.0.3"),
            Ok(vec![v4(9), v4(2), v4(3)])
        );
        // Ranges cross octets.
        let r = parse_local_addrs("127.0.0.255-127.0.1.1").unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[2], IpAddr::V4(Ipv4Addr::new(127, 0, 1, 1)));
        assert!(parse_local_addrs("0").is_err());
        assert!(parse_local_addrs("127.0.0.8-127.0.0.1").is_err());
        assert!(parse_local_addrs("127.0.0.1-::1").is_err());
        assert!(parse_local_addrs("localhost").is_err());
        assert!(parse_local_addrs("127.0.0.0-127.0.255.255").is_err());
        let mut c = LoadConfig::new("http://127.0.0.1:1", 40, Duration::from_secs(1));
        assert_eq!(c.local_addr_of(5), None);
        c.local_addrs = parse_local_addrs("2").unwrap();
        assert_eq!((c.local_addr_of(4), c.local_addr_of(5)), (Some(v4(1)), Some(v4(2))));
    }
}
