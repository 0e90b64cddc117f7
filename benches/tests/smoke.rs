//! CI smoke test of the load harness: the real server in-process on 127.0.0.1:0, 50 bots for about
//! 3 seconds through the library API, and the SLO must pass with zero errors.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use tickstate_benches::{LoadConfig, RunSummary, Slo, run_load};
use tickstate_server::game::star_collector;
use tickstate_server::{AdminListener, Listeners, ServerConfig, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_bots_for_three_seconds_pass_the_slo() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stats_url = format!("http://{}", admin.local_addr().unwrap());
    let listeners = Listeners::new(listener).with_admin(AdminListener::new(admin, None).unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = ServerConfig {
        seed: Some(1),
        ..ServerConfig::default()
    };
    let server = tokio::spawn(run(listeners, config, star_collector(), async move {
        let _ = stopped.await;
    }));

    let mut load = LoadConfig::new(url, 50, Duration::from_secs(3));
    load.stats_url = stats_url;
    load.ramp = Duration::from_millis(500);
    load.poll_interval = Duration::from_millis(500);
    // The server shares this process, so the "harness CPU" includes it: don't judge validity here.
    load.max_harness_cpu_pct = f64::INFINITY;
    let result = tokio::time::timeout(Duration::from_secs(20), run_load(load))
        .await
        .expect("the run should end on time")
        .unwrap();
    let s = RunSummary::of(&result);
    let report = tickstate_benches::report::text_summary(&result, &s, &[]);
    eprintln!("{report}");

    assert_eq!(result.bots.len(), 50);
    assert_eq!(s.connected, 50, "every bot should connect");
    assert_eq!(s.connect_failed, 0);
    assert_eq!(s.decode_errors, 0);
    assert_eq!(s.disconnects, 0, "{:?}", s.disconnect_reasons);
    assert_eq!(s.errors, 0);
    // 50 bots at 60 inputs/s for ~3 s and 30 snapshots/s: the figures must be live, not zero.
    assert!(s.inputs_sent > 50 * 60 * 2, "inputs sent: {}", s.inputs_sent);
    assert!(
        s.inputs_acked * 10 > s.inputs_sent * 9,
        "acked {} of {}",
        s.inputs_acked,
        s.inputs_sent
    );
    assert!(s.snapshots > 50 * 30 * 2, "snapshots: {}", s.snapshots);
    assert!(s.latency.count > 0 && s.latency.p99_us > 0);
    // The bots acknowledge snapshots, so after the first keyframe they get deltas: fewer bytes
    // per entity than full snapshots' 7 plus framing.
    assert!(
        s.bytes_per_entity > 0.0 && s.bytes_per_entity < 7.0,
        "{}",
        s.bytes_per_entity
    );
    assert!(
        result.server_before.is_some() && result.server_after.is_some(),
        "{:?}",
        result.notes
    );
    assert_eq!(s.server.players, Some(50));
    // The server's own figures come through the operator listener.
    assert!(s.server.cpu_pct.is_some_and(|c| c > 0.0), "{:?}", s.server);
    assert!(s.server.tick_p99_us.is_some_and(|t| t > 0.0), "{:?}", s.server);
    assert!(s.server.inputs_received.is_some_and(|n| n > 50 * 60), "{:?}", s.server);
    assert!(!result.timeline.is_empty());

    // Generous latency bound: CI machines are shared; the point is that the pipeline works.
    let slo: Slo = "p99_ms=250,errors=0,connect_fail=0,decode_errors=0,disconnects=0"
        .parse()
        .unwrap();
    let verdicts = slo.check(&s);
    assert!(verdicts.iter().all(|v| v.pass), "{verdicts:#?}");

    // The reports render.
    let html = tickstate_benches::report::html_report(&result, &s, &slo);
    assert!(html.contains("<svg") && !html.contains("<script"));
    let json = tickstate_benches::report::run_json(&result, &s, &slo);
    assert_eq!(json["slo_pass"], true);

    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
}
