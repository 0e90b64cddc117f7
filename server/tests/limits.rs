//! S4–S6, F8: Origin allow-list, per-IP caps and rates, slow headers, idle and half-open
//! connections. Each is refused or reclaimed while a normal player keeps playing.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use tickstate_server::ServerConfig;
use tickstate_server::config::ConnLimits;
use tickstate_testkit::{TestServer, snapshots_in, wait_stats};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

fn addr(server: &TestServer) -> SocketAddr {
    server.base.trim_start_matches("http://").parse().unwrap()
}

/// A TCP connection to the server from a chosen loopback source address.
async fn tcp_from(src: &str, to: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    s.bind(format!("{src}:0").parse().unwrap())?;
    s.connect(to).await
}

/// True when the server closes `s` within `within` (reads until EOF or error).
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

async fn upgrade(s: &mut TcpStream, origin: Option<&str>) -> u16 {
    let origin = origin.map(|o| format!("Origin: {o}\r\n")).unwrap_or_default();
    let req = format!(
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{origin}\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s4_origins_outside_the_allow_list_get_403() {
    let config = ServerConfig {
        limits: ConnLimits {
            allowed_origins: vec!["https://game.example".into()],
            ..ConnLimits::default()
        },
        ..ServerConfig::default()
    };
    let server = TestServer::start_with(config).await;
    let mut s = tcp_from("127.0.0.1", addr(&server)).await.unwrap();
    assert_eq!(upgrade(&mut s, Some("https://evil.example")).await, 403);
    let mut s = tcp_from("127.0.0.1", addr(&server)).await.unwrap();
    assert_eq!(upgrade(&mut s, Some("https://game.example")).await, 101);
    // Non-browser clients send no Origin and are not affected.
    let mut c = server.connect("bot").await;
    c.next_snapshot(Duration::from_secs(2)).await.unwrap();
    assert_eq!(server.stats().await["connections"]["refused_origin"], 1);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_one_address_cannot_take_every_connection() {
    let config = ServerConfig {
        limits: ConnLimits {
            max_per_ip: 20,
            rate_per_ip: 0.0,
            ..ConnLimits::default()
        },
        ..ServerConfig::default()
    };
    let server = TestServer::start_with(config).await;
    let mut player = server.connect("player").await;
    let to = addr(&server);
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..60 {
        let mut s = tcp_from("127.0.0.2", to).await.unwrap();
        if closed_within(&mut s, Duration::from_millis(50)).await {
            refused += 1;
        } else {
            held.push(s);
        }
    }
    assert_eq!(held.len(), 20, "20 connections from 127.0.0.2 are allowed");
    assert_eq!(refused, 40);
    let n = snapshots_in(&mut player, Duration::from_millis(500)).await;
    assert!(
        n >= 12,
        "the player on another address keeps its snapshot rate ({n} in 0.5 s)"
    );
    server.assert_live().await;
    let s = server.stats().await;
    assert_eq!(s["connections"]["refused_per_ip_cap"], 40);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_a_handshake_storm_is_rate_limited_per_address() {
    let config = ServerConfig {
        limits: ConnLimits {
            rate_per_ip: 5.0,
            burst_per_ip: 10.0,
            ..ConnLimits::default()
        },
        ..ServerConfig::default()
    };
    let server = TestServer::start_with(config).await;
    let to = addr(&server);
    let mut accepted = 0;
    for _ in 0..50 {
        let mut s = tcp_from("127.0.0.3", to).await.unwrap();
        if !closed_within(&mut s, Duration::from_millis(20)).await {
            accepted += 1;
        }
    }
    assert!(
        (10..=12).contains(&accepted),
        "a burst of 10 (+ what refills meanwhile), got {accepted}"
    );
    assert!(server.stats().await["connections"]["refused_rate"].as_u64().unwrap() >= 38);
    // Other addresses are not affected.
    server.assert_live().await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s6_slow_headers_and_idle_connections_are_closed() {
    let config = ServerConfig {
        limits: ConnLimits {
            header_read_timeout: Duration::from_millis(500),
            ..ConnLimits::default()
        },
        ..ServerConfig::default()
    };
    let server = TestServer::start_with(config).await;
    let to = addr(&server);
    // Idle: connects and sends nothing.
    let mut idle = tcp_from("127.0.0.1", to).await.unwrap();
    // Slowloris: a header byte every 100 ms, never finishing.
    let mut slow = tcp_from("127.0.0.1", to).await.unwrap();
    slow.write_all(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let dribble = tokio::spawn(async move {
        for _ in 0..30 {
            if slow.write_all(b"X").await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        closed_within(&mut slow, Duration::from_millis(10)).await
    });
    assert!(
        closed_within(&mut idle, Duration::from_secs(2)).await,
        "an idle connection should be closed"
    );
    assert!(dribble.await.unwrap(), "a slow-header connection should be closed");
    wait_stats(&server, "connections back to baseline", |s| {
        s["connections"]["open"] == 0
    })
    .await;
    server.assert_live().await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f8_connections_that_never_send_connect_are_reclaimed() {
    let config = ServerConfig {
        connect_timeout: Duration::from_millis(800),
        limits: ConnLimits {
            max_per_ip: 0,
            rate_per_ip: 0.0,
            // The TCP-only connections are reclaimed by this timeout: well inside the 5 s that
            // `wait_stats` allows (the 5 s default would finish just as the wait gives up).
            header_read_timeout: Duration::from_secs(1),
            ..ConnLimits::default()
        },
        ..ServerConfig::default()
    };
    let server = TestServer::start_with(config).await;
    let rss_before = server.stats().await["process"]["rss_bytes"].as_u64().unwrap();
    let mut ws_only = Vec::new();
    let mut tcp_only = Vec::new();
    for i in 0..300 {
        if i % 2 == 0 {
            // WebSocket open, Engine.IO OPEN received, no Socket.IO CONNECT.
            ws_only.push(tickstate_testkit::Raw::open(&server.base).await);
        } else {
            // TCP only, nothing sent.
            tcp_only.push(tcp_from("127.0.0.1", addr(&server)).await.unwrap());
        }
    }
    let s = wait_stats(&server, "every half-open connection reclaimed", |s| {
        s["connections"]["open"] == 0 && s["sockets"] == 0
    })
    .await;
    let rss_after = s["process"]["rss_bytes"].as_u64().unwrap();
    assert!(rss_after < rss_before + (32 << 20), "RSS {rss_before} -> {rss_after}");
    drop((ws_only, tcp_only));
    server.assert_live().await;
    server.stop().await.unwrap();
}
