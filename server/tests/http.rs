//! The HTTP side: health, stats, the client page, and what is refused.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use tickstate_server::ServerConfig;
use tickstate_testkit::{TestServer, get, get_json, wait_stats};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_ok() {
    let server = TestServer::start().await;
    assert_eq!(get(&format!("{}/healthz", server.base)).await, (200, "ok\n".into()));
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_report_players_ticks_and_inputs() {
    let server = TestServer::start().await;
    let c = server.connect("Ada").await;
    let s = wait_stats(&server, "one player and some ticks", |s| {
        s["players"] == 1 && s["ticks"].as_u64() > Some(5)
    })
    .await;
    for key in [
        "players",
        "entities",
        "ticks",
        "sockets",
        "tick_duration_us",
        "inputs",
        "disconnects",
        "rooms",
    ] {
        assert!(!s[key].is_null(), "/stats should have {key}: {s:#}");
    }
    for key in ["p50", "p99", "max"] {
        assert!(
            s["tick_duration_us"][key].is_u64(),
            "tick_duration_us.{key} should be a number"
        );
    }
    for key in ["received", "applied", "rejected", "dropped"] {
        assert!(s["inputs"][key].is_u64(), "inputs.{key} should be a number");
    }
    assert_eq!(s["rooms"][0]["name"], "main");
    assert_eq!(s["rooms"][0]["tick_rate"], 60);
    // 1 ship + 6 stars.
    assert_eq!(s["entities"], 7);
    c.sender.disconnect().await;
    wait_stats(&server, "the player gone", |s| {
        s["players"] == 0 && s["disconnects"]["client_disconnect"] == 1
    })
    .await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_explains_how_to_build_the_client_when_it_is_missing() {
    let dir = std::env::temp_dir().join(format!("tickstate-no-client-{}", std::process::id()));
    let server = TestServer::start_with(ServerConfig {
        client_dir: dir,
        ..ServerConfig::default()
    })
    .await;
    let (status, body) = get(&format!("{}/", server.base)).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("npm --prefix client-phaser"),
        "page should say how to build: {body}"
    );
    assert_eq!(get(&format!("{}/nope.js", server.base)).await.0, 404);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_serves_the_built_client() {
    let dir = std::env::temp_dir().join(format!("tickstate-client-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("index.html"), "<title>game</title>").unwrap();
    std::fs::write(dir.join("assets/app.js"), "console.log(1)").unwrap();
    let server = TestServer::start_with(ServerConfig {
        client_dir: dir.clone(),
        ..ServerConfig::default()
    })
    .await;
    assert_eq!(
        get(&format!("{}/", server.base)).await,
        (200, "<title>game</title>".into())
    );
    assert_eq!(get(&format!("{}/assets/app.js", server.base)).await.1, "console.log(1)");
    server.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_polling_handshake_offers_the_websocket_upgrade() {
    let server = TestServer::start().await;
    let (status, body) = get(&format!("{}/socket.io/?EIO=4&transport=polling", server.base)).await;
    assert_eq!(status, 200, "stock Socket.IO clients start on long-polling: {body}");
    assert!(body.starts_with("0{"), "an Engine.IO open packet: {body}");
    assert!(body.contains(r#""upgrades":["websocket"]"#), "{body}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_polling_refuses_long_polling() {
    let server = TestServer::start_with(ServerConfig {
        polling: false,
        ..ServerConfig::default()
    })
    .await;
    let (status, _) = get(&format!("{}/socket.io/?EIO=4&transport=polling", server.base)).await;
    assert_eq!(status, 400, "only the WebSocket transport is offered");
    let s = get_json(&format!("{}/stats", server.admin)).await;
    assert_eq!(s["sockets"], 0);
    // WebSocket clients still play.
    let c = server.connect("Ada").await;
    assert_eq!(c.welcome.game, "star_collector");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_valid_prometheus_text() {
    let server = TestServer::start().await;
    let mut c = server.connect("Ada").await;
    c.sender
        .input(tickstate_shared::InputMsg::new(1, 1.0, 0.0, 0))
        .await
        .unwrap();
    c.next_snapshot(std::time::Duration::from_secs(2)).await.unwrap();
    wait_stats(&server, "the input applied", |s| s["inputs"]["applied"] == 1).await;
    let (status, body) = get(&format!("{}/metrics", server.admin)).await;
    assert_eq!(status, 200);
    assert!(body.ends_with("# EOF\n"), "OpenMetrics text ends with # EOF");
    let lines = body.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("/metrics should parse as Prometheus text");
    let value = |name: &str, label: Option<(&str, &str)>| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
            .unwrap_or_else(|| panic!("{name} {label:?} should be in /metrics:\n{body}"))
    };
    assert_eq!(value("tickstate_inputs_applied_total", None), 1.0);
    assert_eq!(value("tickstate_players", None), 1.0);
    assert_eq!(value("tickstate_inputs_dropped_total", Some(("reason", "replay"))), 0.0);
    assert!(value("process_resident_memory_bytes", None) > 1e6);
    // Everything of /stats is there, not only the input counters.
    assert_eq!(value("tickstate_inputs_in_flight", None), 0.0);
    assert_eq!(value("tickstate_messages_received_total", None), 0.0);
    assert_eq!(
        value("tickstate_messages_rejected_total", Some(("reason", "bad_payload"))),
        0.0
    );
    assert_eq!(value("tickstate_messages_dropped_total", Some(("reason", "rate"))), 0.0);
    assert_eq!(value("tickstate_messages_in_flight", None), 0.0);
    assert_eq!(value("tickstate_events_dropped_held_total", None), 0.0);
    assert_eq!(value("tickstate_room_players", Some(("room", "main"))), 1.0);
    assert_eq!(value("tickstate_sockets", None), 1.0);
    assert!(value("tickstate_connections_open", None) >= 1.0);
    assert!(value("tickstate_connections_accepted_total", None) >= 1.0);
    assert_eq!(
        value("tickstate_connections_refused_total", Some(("reason", "origin"))),
        0.0
    );
    assert_eq!(value("tickstate_disconnects_total", Some(("reason", "abuse"))), 0.0);
    assert!(value("tickstate_room_tick_duration_seconds", Some(("quantile", "0.99"))) > 0.0);
    for stage in ["receive", "validate", "simulate", "snapshot", "send"] {
        assert!(
            scrape
                .samples
                .iter()
                .any(|s| s.metric == "tickstate_tick_stage_seconds" && s.labels.get("stage") == Some(stage)),
            "stage histogram for {stage} should be exported"
        );
    }
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "tickstate_tick_lateness_seconds")
    );
    server.stop().await.unwrap();
}
