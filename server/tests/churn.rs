//! L2: clients joining and leaving, cleanly and abruptly: everything returns to zero.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tickstate_testkit::{TestServer, wait_stats};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_leave_cycles_leave_nothing_behind() {
    // Abruptly dropped players keep their seats for the hold period; keep it short here.
    let config = tickstate_server::ServerConfig {
        session_hold: Duration::from_millis(200),
        ..Default::default()
    };
    let server = TestServer::start_with(config).await;
    for round in 0..5 {
        let mut clients = Vec::new();
        for i in 0..16 {
            clients.push(server.connect(&format!("r{round}c{i}")).await);
        }
        wait_stats(&server, "16 players", |s| s["players"] == 16).await;
        for (i, c) in clients.into_iter().enumerate() {
            if i % 2 == 0 {
                c.sender.disconnect().await; // clean: DISCONNECT + close
            } else {
                drop(c); // abrupt: the TCP connection just goes away
            }
        }
        let s = wait_stats(&server, "everyone gone", |s| {
            // `/stats` is served on the operator port, so the game port has no connection left.
            s["players"] == 0 && s["sockets"] == 0 && s["connections"]["open"] == 0
        })
        .await;
        assert_eq!(s["entities"], 6, "only the stars are left");
    }
    // Stale entity ids do not come back: a new player gets a fresh id.
    let c = server.connect("late").await;
    assert!(
        c.welcome.id > 80,
        "the 80 ids used before are not reused right away (got {})",
        c.welcome.id
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.assert_live().await;
    server.stop().await.unwrap();
}
