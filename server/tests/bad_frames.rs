//! B1–B5: oversize, nested, lying and malformed frames. The server survives, counts what reaches
//! it, and a healthy player keeps playing.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tickstate_server::ServerConfig;
use tickstate_testkit::{Raw, TestServer, packet, protocol_auth, snapshots_in, wait_stats};

fn config() -> ServerConfig {
    ServerConfig {
        connect_timeout: Duration::from_millis(500),
        // Raw connections that are dropped here should not keep held seats around.
        session_hold: Duration::ZERO,
        ..ServerConfig::default()
    }
}

async fn assert_healthy(server: &TestServer, c: &mut tickstate_testkit::client::Client) {
    let n = snapshots_in(c, Duration::from_millis(500)).await;
    assert!(
        n >= 12,
        "the healthy client should keep ~30 snapshots/s, got {n} in 0.5 s"
    );
    server.assert_live().await;
    let s = server.stats().await;
    let i = &s["inputs"];
    assert_eq!(
        i["received"].as_u64().unwrap(),
        i["applied"].as_u64().unwrap()
            + i["rejected"].as_u64().unwrap()
            + i["dropped"].as_u64().unwrap()
            + i["in_flight"].as_u64().unwrap(),
        "the accounting identity should hold"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b1_a_frame_over_the_cap_closes_that_connection_only() {
    let server = TestServer::start_with(config()).await;
    let mut healthy = server.connect("healthy").await;
    let mut r = Raw::joined(&server.base).await;
    r.send(vec![0x91; 8 << 20]).await;
    assert!(
        r.closed_within(Duration::from_secs(3)).await,
        "an 8 MiB frame should close the connection"
    );
    let mut r = Raw::joined(&server.base).await;
    r.send(vec![0x91; 5000]).await;
    assert!(
        r.closed_within(Duration::from_secs(3)).await,
        "a frame over the 4 KiB cap should close the connection"
    );
    assert_healthy(&server, &mut healthy).await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b2_deeply_nested_messagepack_is_refused_cleanly() {
    let server = TestServer::start_with(config()).await;
    let mut healthy = server.connect("healthy").await;
    // ["input", [[[[ ... 4000 levels ... ]]]]] inside the 4 KiB cap.
    let mut data = vec![0x92, 0xa5];
    data.extend_from_slice(b"input");
    data.extend(std::iter::repeat_n(0x91, 4000));
    data.push(0x01);
    let mut r = Raw::joined(&server.base).await;
    r.event_raw(&data).await;
    // The same depth in a CONNECT's auth.
    let mut auth = vec![0x83, 0xa4];
    auth.extend_from_slice(b"type");
    auth.push(0x00);
    auth.extend_from_slice(&[0xa3, b'n', b's', b'p', 0xa1, b'/', 0xa4]);
    auth.extend_from_slice(b"data");
    auth.extend(std::iter::repeat_n(0x91, 4000));
    auth.push(0x01);
    let mut r2 = Raw::open(&server.base).await;
    r2.send(auth).await;
    let _ = r2.closed_within(Duration::from_secs(2)).await;
    assert_healthy(&server, &mut healthy).await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b3_huge_declared_lengths_allocate_nothing_large() {
    let server = TestServer::start_with(config()).await;
    let mut healthy = server.connect("healthy").await;
    let rss_before = server.stats().await["process"]["rss_bytes"].as_u64().unwrap();
    for body in [
        vec![0x92, 0xa5, b'i', b'n', b'p', b'u', b't', 0xdd, 0xff, 0xff, 0xff, 0xff], // array32
        vec![0x92, 0xa5, b'i', b'n', b'p', b'u', b't', 0xdb, 0xff, 0xff, 0xff, 0xff], // str32
        vec![0x92, 0xa5, b'i', b'n', b'p', b'u', b't', 0xc6, 0xff, 0xff, 0xff, 0xff], // bin32
        vec![0x92, 0xa5, b'i', b'n', b'p', b'u', b't', 0xdf, 0xff, 0xff, 0xff, 0xff], // map32
        vec![0xdd, 0xff, 0xff, 0xff, 0xff],                                           // event array32
    ] {
        let mut r = Raw::joined(&server.base).await;
        r.event_raw(&body).await;
        let _ = r.closed_within(Duration::from_millis(300)).await;
    }
    let rss_after = server.stats().await["process"]["rss_bytes"].as_u64().unwrap();
    assert!(
        rss_after < rss_before + (32 << 20),
        "RSS grew from {rss_before} to {rss_after}"
    );
    assert_healthy(&server, &mut healthy).await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b4_malformed_socket_io_packets_create_nothing() {
    let server = TestServer::start_with(config()).await;
    let mut healthy = server.connect("healthy").await;
    let base_players = 1;
    // Unknown packet type, truncated msgpack, a text packet, garbage.
    for frame in [packet(9, None), vec![0x83, 0xa4, b't'], vec![0xc1], vec![]] {
        let mut r = Raw::open(&server.base).await;
        r.send(frame).await;
        let _ = r.closed_within(Duration::from_millis(800)).await;
    }
    let mut r = Raw::open(&server.base).await;
    r.send_text("40").await;
    let _ = r.closed_within(Duration::from_millis(800)).await;
    // A namespace that does not exist gets CONNECT_ERROR.
    let mut r = Raw::open(&server.base).await;
    let v = rmpv::Value::Map(vec![("type".into(), 0.into()), ("nsp".into(), "/admin".into())]);
    let mut pkt = Vec::new();
    rmpv::encode::write_value(&mut pkt, &v).unwrap();
    r.send(pkt).await;
    let reply = r
        .next_packet(tokio::time::Instant::now() + Duration::from_secs(2))
        .await;
    assert!(
        reply.is_none() || reply.as_ref().unwrap().to_string().contains('4'),
        "unknown namespace: {reply:?}"
    );
    // A duplicate CONNECT on a joined connection.
    let mut r = Raw::joined(&server.base).await;
    r.send(packet(0, Some(protocol_auth()))).await;
    let _ = r.closed_within(Duration::from_millis(500)).await;
    drop(r);
    // No CONNECT at all: reclaimed after the connect timeout.
    let mut idle = Raw::open(&server.base).await;
    assert!(
        idle.closed_within(Duration::from_secs(3)).await,
        "no CONNECT in time should close the connection"
    );
    wait_stats(&server, "only the healthy player left", |s| {
        s["players"] == base_players && s["sockets"] == 1
    })
    .await;
    assert_healthy(&server, &mut healthy).await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b5_many_unknown_event_names_cost_no_memory_per_name() {
    let server = TestServer::start_with(config()).await;
    let mut healthy = server.connect("healthy").await;
    let mut r = Raw::joined(&server.base).await;
    let rss_before = server.stats().await["process"]["rss_bytes"].as_u64().unwrap();
    for i in 0..5000u32 {
        let name = format!("ev{i}_{}", "x".repeat(200));
        let mut data = Vec::new();
        rmpv::encode::write_value(&mut data, &rmpv::Value::Array(vec![name.into(), 1.into()])).unwrap();
        r.event_raw(&data).await;
    }
    let s = wait_stats(&server, "5000 unknown events", |s| s["unknown_events"] == 5000).await;
    let rss_after = s["process"]["rss_bytes"].as_u64().unwrap();
    assert!(
        rss_after < rss_before + (16 << 20),
        "RSS grew from {rss_before} to {rss_after}"
    );
    assert_healthy(&server, &mut healthy).await;
    server.stop().await.unwrap();
}
