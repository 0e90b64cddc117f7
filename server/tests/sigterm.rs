//! F7: the real `tickstate` binary, SIGTERM with 50 clients: every client is told, the process
//! exits 0 within the drain deadline.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tickstate_shared::ConnectAuth;
use tickstate_shared::protocol::Bye;
use tickstate_testkit::client::{Client, Event, from_value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f7_sigterm_tells_every_client_and_exits_zero() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tickstate"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--admin-bind",
            "127.0.0.1:0",
            "--client-dir",
            "/nonexistent",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect("first line names the address")
        .to_owned();
    let mut clients = Vec::new();
    for i in 0..50 {
        // Star Collector seats 16 per room.
        let auth = ConnectAuth {
            name: Some(format!("p{i}")),
            room: Some(format!("r{}", i / 16)),
            ..Default::default()
        };
        clients.push(Client::connect(&base, &auth).await.unwrap());
    }
    let started = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut told = 0;
    for c in &mut clients {
        let bye = c
            .wait_for(Duration::from_secs(5), "bye", |e| match e {
                Event::Message { event, data, .. } if event == "bye" => Some(from_value::<Bye>(data).unwrap()),
                _ => None,
            })
            .await;
        if bye.is_ok_and(|b| b.reason == tickstate_shared::ByeReason::Shutdown) {
            told += 1;
        }
    }
    assert_eq!(told, 50, "every client should get bye(shutdown)");
    let code = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(code.success(), "exit status {code}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "exited after {:?}",
        started.elapsed()
    );
}
