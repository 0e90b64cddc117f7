//! The hardening issue's whole scenario at once, against the real server: while a healthy client
//! plays, other connections send random and malformed frames, deeply nested MessagePack, an 8 MiB
//! frame, NaN/Infinity/1e300 inputs, wrong types, unknown events, a flood of 5,000 inputs in one
//! second, 200 rapid connect/disconnect cycles, and 20 clients stop reading. The healthy client
//! keeps at least 80% of its snapshot rate in every second and is never disconnected, RSS stays
//! within 100 MiB of where it started, and `/stats` accounts for every input.
//!
//! The server is the real `tickstate` binary in its own process, and the attacks run on their own
//! runtime thread, so the attackers' CPU use does not starve the healthy client's own runtime.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rmpv::Value;
use tickstate_shared::{ConnectAuth, InputMsg};
use tickstate_testkit::client::{Client, Event};
use tickstate_testkit::{Raw, get, get_json, packet};

/// The real binary on a free port, with short timeouts so the attacks are reclaimed quickly.
struct Binary {
    child: std::process::Child,
    base: String,
    admin: String,
}

impl Binary {
    fn start() -> Self {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tickstate"))
            .args([
                "--bind",
                "127.0.0.1:0",
                "--admin-bind",
                "127.0.0.1:0",
                "--client-dir",
                "/nonexistent",
                "--max-players",
                "1000",
            ])
            .args([
                "--session-hold-ms",
                "500",
                "--ping-interval-ms",
                "500",
                "--ping-timeout-ms",
                "500",
            ])
            .args(["--connect-timeout-ms", "1000", "--conn-rate-per-ip", "0", "--seed", "5"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .expect("the first line names the address")
            .to_owned();
        line.clear();
        out.read_line(&mut line).unwrap();
        let admin = line
            .trim()
            .strip_prefix("admin listening on ")
            .expect("the second line names the operator address")
            .to_owned();
        Self { child, base, admin }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn event(name: &str, arg: Value) -> Vec<u8> {
    let mut b = Vec::new();
    rmpv::encode::write_value(&mut b, &Value::Array(vec![name.into(), arg])).unwrap();
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_survives_everything_at_once_and_the_healthy_player_does_not_notice() {
    let server = Binary::start();
    let stats_url = format!("{}/stats", server.admin);
    let rss_start = get_json(&stats_url).await["process"]["rss_bytes"].as_u64().unwrap();

    // The healthy player: one input per tick, counting snapshots per second.
    let auth = ConnectAuth {
        name: Some("healthy".into()),
        ..Default::default()
    };
    let mut healthy = Client::connect(&server.base, &auth).await.unwrap();
    let sender = healthy.sender.clone();
    let player = tokio::spawn(async move {
        let mut iv = tokio::time::interval(Duration::from_millis(16));
        for seq in 1..=360u32 {
            iv.tick().await;
            let a = seq as f32 * 0.05;
            if sender.input(InputMsg::new(seq, a.cos(), a.sin(), 0)).await.is_err() {
                break;
            }
        }
    });
    let watcher = tokio::spawn(async move {
        let mut per_second = Vec::new();
        for _ in 0..6 {
            let end = tokio::time::Instant::now() + Duration::from_secs(1);
            let mut n = 0;
            while let Ok(Some(ev)) = tokio::time::timeout_at(end, healthy.events.recv()).await {
                match ev {
                    Event::Snapshot { .. } => n += 1,
                    Event::Disconnected { reason } => panic!("the healthy client was disconnected: {reason}"),
                    _ => {}
                }
            }
            per_second.push(n);
        }
        per_second
    });

    let base = server.base.clone();
    let attacks = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(attack(base))
    });

    let per_second = watcher.await.unwrap();
    player.await.unwrap();
    let stalled = tokio::task::spawn_blocking(move || attacks.join().unwrap())
        .await
        .unwrap();
    eprintln!("snapshots per second: {per_second:?}");
    for (i, n) in per_second.iter().enumerate() {
        assert!(
            *n >= 24,
            "second {i}: the healthy client got {n} snapshots (>= 80% of 30)"
        );
    }
    // Every input accounted for once the queues are drained.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let s = loop {
        let s = get_json(&stats_url).await;
        if s["inputs"]["in_flight"] == 0 || tokio::time::Instant::now() > deadline {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let i = &s["inputs"];
    assert_eq!(
        i["received"].as_u64().unwrap(),
        i["applied"].as_u64().unwrap() + i["rejected"].as_u64().unwrap() + i["dropped"].as_u64().unwrap(),
        "received == applied + rejected + dropped: {i}"
    );
    assert!(i["rejected_by_reason"]["non_finite"].as_u64().unwrap() >= 4);
    assert!(i["rejected_by_reason"]["parse"].as_u64().unwrap() >= 2);
    assert!(
        i["dropped_by_reason"]["rate"].as_u64().unwrap() >= 500,
        "the flood is dropped as rate: {i}"
    );
    assert_eq!(
        s["disconnects"]["abuse"], 1,
        "and the flooder is disconnected: {}",
        s["disconnects"]
    );
    let rss = s["process"]["rss_bytes"].as_u64().unwrap();
    assert!(rss < rss_start + (100 << 20), "RSS went from {rss_start} to {rss}");
    drop(stalled);
    // Still serving: health, and a fresh player gets snapshots.
    assert_eq!(get(&format!("{}/healthz", server.base)).await.0, 200);
    let mut fresh = Client::connect(&server.base, &ConnectAuth::default()).await.unwrap();
    fresh.next_snapshot(Duration::from_secs(2)).await.unwrap();
}

/// Every attack of the scenario, one after the other; returns the stalled connections (kept open
/// until the checks are done).
async fn attack(base: String) -> Vec<Raw> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(5);
    // 20 clients that stop reading (they keep sending, so they are alive).
    let mut stalled = Vec::new();
    for _ in 0..20 {
        stalled.push(Raw::joined(&base).await);
    }
    // Random bytes, malformed packets, nesting, lying lengths, an 8 MiB frame.
    for i in 0..60 {
        let mut r = Raw::joined(&base).await;
        let frame: Vec<u8> = match i % 6 {
            0 => (0..rng.random_range(1..512)).map(|_| rng.random()).collect(),
            1 => {
                let mut d = vec![0x92, 0xa5, b'i', b'n', b'p', b'u', b't'];
                d.extend(std::iter::repeat_n(0x91, 3000));
                d.push(0);
                let mut p = vec![
                    0x83, 0xa4, b't', b'y', b'p', b'e', 0x02, 0xa3, b'n', b's', b'p', 0xa1, b'/', 0xa4,
                ];
                p.extend_from_slice(b"data");
                p.extend(d);
                p
            }
            2 => vec![
                0x83, 0xa4, b't', b'y', b'p', b'e', 0x02, 0xa4, b'd', b'a', b't', b'a', 0xdd, 0xff, 0xff, 0xff, 0xff,
            ],
            3 => packet(9, None),
            4 if i == 4 => vec![0x91; 8 << 20],
            4 => vec![0x91; 5000],
            _ => vec![0xc1],
        };
        r.send(frame).await;
    }
    // Bad inputs from a joined raw client: NaN, ±Inf, 1e300, wrong types, unknown events.
    let mut bad = Raw::joined(&base).await;
    for (seq, v) in [(1u32, f64::NAN), (2, f64::INFINITY), (3, f64::NEG_INFINITY), (4, 1e300)] {
        bad.event_raw(&event(
            "input",
            Value::Array(vec![seq.into(), Value::F64(v), 0.into(), 0.into()]),
        ))
        .await;
    }
    bad.event_raw(&event(
        "input",
        Value::Array(vec!["1".into(), 1.into(), 0.into(), 0.into()]),
    ))
    .await;
    bad.event_raw(&event("input", Value::Map(vec![("x".into(), 5.into())])))
        .await;
    for i in 0..100 {
        bad.event_raw(&event(&format!("nope{i}"), Value::Nil)).await;
    }
    // A flood: 5,000 inputs in one second from one client.
    let flood = Client::connect(&base, &ConnectAuth::default()).await.unwrap();
    let mut iv = tokio::time::interval(Duration::from_millis(10));
    for tick in 0..100u32 {
        iv.tick().await;
        for k in 0..50 {
            if flood
                .sender
                .input(InputMsg::new(tick * 50 + k + 1, 1.0, 0.0, 0))
                .await
                .is_err()
            {
                break;
            }
        }
    }
    // 200 rapid connect/disconnect cycles, half of them abrupt.
    for i in 0..200 {
        let c = Client::connect(&base, &ConnectAuth::default()).await.unwrap();
        if i % 2 == 0 {
            c.sender.disconnect().await;
        }
    }
    for r in &mut stalled {
        r.event_raw(&event(
            "input",
            Value::Array(vec![1.into(), 0.into(), 0.into(), 0.into()]),
        ))
        .await;
    }
    stalled
}
