//! HTTP: the Socket.IO layer, the static Phaser client, `/healthz` and `/stats`.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::json;
use socketioxide::SocketIo;
use tower_http::services::ServeDir;

use crate::config::ServerConfig;
use crate::room::{Rooms, RulesFactory};
use crate::stats::{Percentiles, STAGE_NAMES, Stats, TickPercentiles};

/// One admitted connection as listed on `/stats/clients`.
#[derive(Debug, Clone)]
pub struct ClientEntry {
    /// Its room.
    pub room: String,
    /// Network id of its entity.
    pub id: u16,
    /// Display name.
    pub name: String,
    /// Its input counters.
    pub stats: Arc<crate::stats::ClientStats>,
}

/// State shared by the HTTP handlers and the Socket.IO handlers.
#[derive(Debug)]
pub struct AppState {
    /// The configuration the server runs with.
    pub config: ServerConfig,
    /// Process-wide counters.
    pub stats: Arc<Stats>,
    /// The rooms.
    pub rooms: Rooms,
    /// Next connection id.
    pub next_conn: AtomicU64,
    /// The Socket.IO handle, set once the layer is built.
    pub io: OnceLock<SocketIo>,
    /// Admitted connections, for `/stats/clients`.
    pub clients: std::sync::Mutex<std::collections::HashMap<u64, ClientEntry>>,
    /// Connection-level counters of the accept loop.
    pub conn_stats: Arc<crate::net::listener::ConnStats>,
    started: Instant,
}

impl AppState {
    /// State for a server with this configuration and game.
    pub fn new(config: ServerConfig, rules: RulesFactory) -> Arc<Self> {
        let stats = Arc::new(Stats::default());
        let overrides = crate::room::Overrides {
            tick_rate: config.tick_rate,
            snapshot_rate: config.snapshot_rate,
            max_players: config.max_players,
            hold: config.session_hold,
            idle_dispose: config.room_idle,
        };
        Arc::new(Self {
            rooms: Rooms::new(rules, overrides, stats.clone(), config.seed, config.max_rooms),
            config,
            stats,
            next_conn: AtomicU64::new(1),
            io: OnceLock::new(),
            conn_stats: Arc::default(),
            clients: Default::default(),
            started: Instant::now(),
        })
    }
}

/// The whole HTTP app: Socket.IO at `/socket.io/`, `/healthz`, `/stats`, and the client at `/`.
pub fn router(state: Arc<AppState>) -> (Router, SocketIo) {
    let (layer, io) = crate::net::socket_layer(state.clone());
    let _ = state.io.set(io.clone());
    let client = ServeDir::new(&state.config.client_dir).fallback(get(no_client).with_state(state.clone()));
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/stats", get(stats))
        .route("/metrics", get(metrics))
        .route("/stats/clients", get(clients))
        .route("/rooms", get(rooms))
        .with_state(state)
        .fallback_service(client)
        .layer(layer);
    (app, io)
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::render(&state),
    )
        .into_response()
}

async fn clients(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let clients = state
        .clients
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .values()
        .cloned()
        .collect::<Vec<_>>();
    let list: Vec<_> = clients
        .iter()
        .map(|c| {
            let (received, applied, rejected, dropped) = c.stats.read();
            json!({
                "room": c.room, "id": c.id, "name": c.name,
                "inputs": { "received": received, "applied": applied, "rejected": rejected, "dropped": dropped },
            })
        })
        .collect();
    Json(json!({ "clients": list }))
}

/// The lobby: every running room with its seats.
async fn rooms(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let list: Vec<_> = state
        .rooms
        .list()
        .iter()
        .map(|r| {
            json!({
                "id": r.name(),
                "players": r.gauges().players.load(Relaxed),
                "capacity": r.settings().max_players,
                "tick_rate": r.settings().tick_rate,
                "snapshot_rate": r.settings().snapshot_rate,
            })
        })
        .collect();
    Json(json!({ "rooms": list }))
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn no_client(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let dir = &state.config.client_dir;
    if uri.path() != "/" && uri.path() != "/index.html" {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    if Path::new(dir).join("index.html").exists() {
        // Served by ServeDir; only reached in a race with a build that is being written.
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "client is being built\n",
        )
            .into_response();
    }
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Tickstate</title>\
         <h1>Tickstate is running</h1>\
         <p>The Phaser client is not built yet (looked in <code>{}</code>).</p>\
         <p>Build it with <code>npm --prefix client-phaser ci &amp;&amp; npm --prefix client-phaser run build</code>, \
         or start everything with <code>./scripts/run.sh</code>, then reload this page.</p>\
         <p>Server status: <a href=/stats>/stats</a>, <a href=/healthz>/healthz</a>.</p>",
        html_escape(&dir.display().to_string())
    ))
    .into_response()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

async fn stats(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let s = &state.stats;
    let rooms = state.rooms.list();
    let mut all = Vec::new();
    let room_json: Vec<_> = rooms
        .iter()
        .map(|r| {
            let g = r.gauges();
            let p = g.times.percentiles();
            all.push(p);
            let stages: serde_json::Map<String, serde_json::Value> = STAGE_NAMES
                .iter()
                .zip(p.stages)
                .map(|(n, v)| ((*n).to_owned(), json!(v)))
                .collect();
            json!({
                "name": r.name(),
                "alive": r.is_alive(),
                "players": g.players.load(Relaxed),
                "entities": g.entities.load(Relaxed),
                "max_players": r.settings().max_players,
                "tick_rate": r.settings().tick_rate,
                "snapshot_rate": r.settings().snapshot_rate,
                "ticks": g.ticks.load(Relaxed),
                "tick_duration_us": p.duration,
                "tick_lateness_us": p.lateness,
                "stage_us": stages,
                "tick_overruns": g.overruns.load(Relaxed),
                "skipped_ticks": g.skipped_ticks.load(Relaxed),
            })
        })
        .collect();
    let sum = |f: fn(&crate::room::RoomGauges) -> u64| rooms.iter().map(|r| f(r.gauges())).sum::<u64>();
    // Worst room's percentiles: what the slowest room's players feel.
    let worst = |f: fn(&TickPercentiles) -> Percentiles| all.iter().map(f).max_by_key(|p| p.p99).unwrap_or_default();
    let disconnects: serde_json::Map<String, serde_json::Value> = s
        .disconnects()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into()))
        .collect();
    let inputs = s.inputs();
    Json(json!({
        "uptime_s": state.started.elapsed().as_secs_f64(),
        "sockets": state.io.get().map_or(0, |io| io.sockets().len()),
        "players": sum(|g| g.players.load(Relaxed)),
        "entities": sum(|g| g.entities.load(Relaxed)),
        "ticks": sum(|g| g.ticks.load(Relaxed)),
        "tick_duration_us": worst(|p| p.duration),
        "tick_lateness_us": worst(|p| p.lateness),
        "process": crate::stats::process_usage(),
        "tick_overruns": sum(|g| g.overruns.load(Relaxed)),
        "inputs": {
            "received": inputs.received,
            "applied": inputs.applied,
            "rejected": inputs.rejected_total,
            "dropped": inputs.dropped_total,
            "in_flight": inputs.in_flight,
            "rejected_by_reason": inputs.rejected.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "dropped_by_reason": inputs.dropped.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        },
        "disconnects": disconnects,
        "unknown_events": s.unknown_events.load(Relaxed),
        "joins_refused": s.joins_refused.load(Relaxed),
        "snapshots_sent": s.snapshots_sent.load(Relaxed),
        "snapshot_bytes_sent": s.snapshot_bytes_sent.load(Relaxed),
        "send_buffer_full": s.send_buffer_full.load(Relaxed),
        "connections": {
            "open": state.conn_stats.open.load(Relaxed),
            "accepted": state.conn_stats.accepted.load(Relaxed),
            "refused_global_cap": state.conn_stats.refused_global_cap.load(Relaxed),
            "refused_per_ip_cap": state.conn_stats.refused_per_ip_cap.load(Relaxed),
            "refused_rate": state.conn_stats.refused_rate.load(Relaxed),
            "refused_origin": state.conn_stats.refused_origin.load(Relaxed),
            "slow_consumers": state.conn_stats.slow_consumers.load(Relaxed),
        },
        "rooms": room_json,
    }))
}
