//! In-process server for integration tests: the real server on 127.0.0.1:0.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use tickstate_server::client::{Client, Event};
use tickstate_server::game::StarCollector;
use tickstate_server::{ServerConfig, rules_of, run};
use tickstate_shared::ConnectAuth;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestServer {
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), tickstate_server::ServerError>>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(ServerConfig {
            seed: Some(1),
            ..ServerConfig::default()
        })
        .await
    }

    pub async fn start_with(config: ServerConfig) -> Self {
        Self::start_with_rules(config, rules_of::<StarCollector>()).await
    }

    pub async fn start_with_rules(config: ServerConfig, rules: tickstate_server::RulesFactory) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(listener, config, rules, async move {
            let _ = stopped.await;
        }));
        Self {
            base,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn connect(&self, name: &str) -> Client {
        Client::connect(
            &self.base,
            &ConnectAuth {
                name: Some(name.into()),
                ..ConnectAuth::default()
            },
        )
        .await
        .expect("client should connect")
    }

    pub async fn stats(&self) -> serde_json::Value {
        get_json(&format!("{}/stats", self.base)).await
    }

    /// Stops the server and waits until `run` returns.
    pub async fn stop(mut self) -> Result<(), tickstate_server::ServerError> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let task = self.task.take().unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("server should stop within 10 s")
            .unwrap()
    }

    /// Asserts the server is alive and a fresh client can join and get snapshots.
    pub async fn assert_live(&self) {
        let mut c = self.connect("probe").await;
        c.next_snapshot(Duration::from_secs(2))
            .await
            .expect("a fresh client should get snapshots");
        c.sender.disconnect().await;
    }
}

/// A minimal HTTP/1.1 GET over a raw TCP stream (no extra client dependency).
pub async fn get(url: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

pub async fn get_json(url: &str) -> serde_json::Value {
    let (status, body) = get(url).await;
    assert_eq!(status, 200, "GET {url} should answer 200");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url} should return JSON ({e}): {body}"))
}

/// Waits until `/stats` satisfies `pred`.
pub async fn wait_stats(
    server: &TestServer,
    what: &str,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let s = server.stats().await;
        if pred(&s) {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "stats should show {what} within 5 s; last: {s:#}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn is_message(ev: &Event, name: &str) -> bool {
    matches!(ev, Event::Message { event, .. } if event == name)
}
