//! Graceful shutdown: every client is told, and `run` returns.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tickstate_shared::protocol::Bye;
use tickstate_testkit::TestServer;
use tickstate_testkit::client::{Event, from_value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_tells_every_client_then_returns() {
    let server = TestServer::start().await;
    let mut clients = Vec::new();
    for i in 0..5 {
        clients.push(server.connect(&format!("p{i}")).await);
    }
    for c in &mut clients {
        c.next_snapshot(Duration::from_secs(2)).await.unwrap();
    }
    let started = std::time::Instant::now();
    server.stop().await.expect("run should return Ok");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown should finish within the deadline"
    );
    for c in &mut clients {
        let bye = c
            .wait_for(Duration::from_secs(2), "bye", |e| match e {
                Event::Message { event, data, .. } if event == "bye" => Some(from_value::<Bye>(data).unwrap()),
                _ => None,
            })
            .await
            .unwrap();
        assert_eq!(bye.reason, tickstate_shared::ByeReason::Shutdown);
        let closed = c
            .wait_for(Duration::from_secs(2), "disconnect", |e| {
                matches!(e, Event::Disconnected { .. }).then_some(())
            })
            .await;
        assert!(closed.is_ok(), "the connection should be closed after bye");
    }
}
