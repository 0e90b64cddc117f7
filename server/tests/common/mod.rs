//! In-process server for integration tests: the real server on 127.0.0.1:0.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod skirmish;

use std::time::Duration;

use tickstate_server::client::{Client, Event};
use tickstate_server::game::star_collector;
use tickstate_server::{AdminListener, AdminToken, Game, GameRules, Listeners, ServerConfig, run};
use tickstate_shared::ConnectAuth;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestServer {
    /// The game port: the client, Socket.IO, `/healthz`, `/rooms`.
    pub base: String,
    /// The operator port: `/stats`, `/stats/clients`, `/metrics`.
    pub admin: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), tickstate_server::ServerError>>>,
}

/// A test game with kinds 1 (`ship`), 2 (`other_ship`) and 3 (`star`), no fields, whose rooms'
/// rules `make` builds from the room's name. Rules find the kinds with `ctx.schema().kind(n)`.
pub fn ship_game<R: GameRules>(make: impl Fn(&str) -> R + Send + Sync + 'static) -> Game {
    Game::new("test", |s| {
        s.kind(1, "ship").done();
        s.kind(2, "other_ship").done();
        s.kind(3, "star").done();
    })
    .rules(move |_, room| make(room))
    .expect("a valid test game")
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
        Self::start_with_game(config, star_collector()).await
    }

    pub async fn start_with_game(config: ServerConfig, game: Game) -> Self {
        Self::start_full(config, game, None).await
    }

    /// A server whose operator endpoints want `token`.
    pub async fn start_with_admin_token(config: ServerConfig, token: &str) -> Self {
        let token = AdminToken::new(token).unwrap();
        Self::start_full(config, star_collector(), Some(token)).await
    }

    async fn start_full(config: ServerConfig, game: Game, token: Option<AdminToken>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let admin_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let admin = format!("http://{}", admin_listener.local_addr().unwrap());
        let listeners = Listeners::new(listener).with_admin(AdminListener::new(admin_listener, token).unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(listeners, config, game, async move {
            let _ = stopped.await;
        }));
        Self {
            base,
            admin,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn connect(&self, name: &str) -> Client {
        Client::connect(&self.base, &ConnectAuth::named(name))
            .await
            .expect("client should connect")
    }

    /// `/stats` from the operator port.
    pub async fn stats(&self) -> serde_json::Value {
        get_json(&format!("{}/stats", self.admin)).await
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
    let (status, _, body) = get_with(url, &[]).await;
    (status, body)
}

/// [`get`] with extra request headers; returns the status, the response head and the body.
pub async fn get_with(url: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_owned(), b.to_owned()))
        .unwrap_or_default();
    (status, head, body)
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

/// The smallest valid connect auth: `{ protocol: 2 }`.
pub fn protocol_auth() -> rmpv::Value {
    rmpv::Value::Map(vec![("protocol".into(), tickstate_shared::PROTOCOL_VERSION.into())])
}

/// A raw Socket.IO-over-WebSocket connection, for sending frames no real client would.
pub struct Raw {
    pub ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

/// A Socket.IO packet as the msgpack parser encodes it.
pub fn packet(kind: u8, data: Option<rmpv::Value>) -> Vec<u8> {
    let mut fields = vec![("type".into(), kind.into()), ("nsp".into(), "/".into())];
    if let Some(d) = data {
        fields.push(("data".into(), d));
    }
    let mut buf = Vec::new();
    rmpv::encode::write_value(&mut buf, &rmpv::Value::Map(fields)).unwrap();
    buf
}

impl Raw {
    /// WebSocket upgrade and the Engine.IO OPEN packet; no Socket.IO CONNECT yet.
    pub async fn open(base: &str) -> Self {
        use futures_util::StreamExt;
        let url = format!(
            "{}/socket.io/?EIO=4&transport=websocket",
            base.replace("http://", "ws://")
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket should open");
        match ws.next().await {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) if t.starts_with('0') => {}
            other => panic!("expected OPEN, got {other:?}"),
        }
        Self { ws }
    }

    /// `open` plus a CONNECT with the smallest valid auth (`{ protocol: 2 }`); waits for the
    /// CONNECT ack and `welcome`.
    pub async fn joined(base: &str) -> Self {
        let mut r = Self::open(base).await;
        r.send(packet(0, Some(protocol_auth()))).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        loop {
            let v = r.next_packet(deadline).await.expect("should get CONNECT and welcome");
            let is_welcome = v
                .as_map()
                .and_then(|m| m.iter().find(|(k, _)| k.as_str() == Some("data")))
                .is_some_and(|(_, d)| d.as_array().and_then(|a| a.first()).and_then(|e| e.as_str()) == Some("welcome"));
            if is_welcome {
                return r;
            }
        }
    }

    pub async fn send(&mut self, bytes: Vec<u8>) {
        use futures_util::SinkExt;
        let _ = self
            .ws
            .send(tokio_tungstenite::tungstenite::Message::Binary(bytes.into()))
            .await;
    }

    pub async fn send_text(&mut self, text: &str) {
        use futures_util::SinkExt;
        let _ = self
            .ws
            .send(tokio_tungstenite::tungstenite::Message::Text(text.into()))
            .await;
    }

    /// An event packet with raw msgpack for `data` (the `[name, ...args]` array).
    pub async fn event_raw(&mut self, data_msgpack: &[u8]) {
        // {type:2, nsp:"/", data:<raw>}
        let mut buf = vec![0x83, 0xa4];
        buf.extend_from_slice(b"type");
        buf.push(0x02);
        buf.push(0xa3);
        buf.extend_from_slice(b"nsp");
        buf.extend_from_slice(&[0xa1, b'/']);
        buf.push(0xa4);
        buf.extend_from_slice(b"data");
        buf.extend_from_slice(data_msgpack);
        self.send(buf).await;
    }

    /// The next binary packet, answering pings; `None` when the connection closed or time ran out.
    pub async fn next_packet(&mut self, deadline: tokio::time::Instant) -> Option<rmpv::Value> {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await.ok()?? {
                Ok(Message::Binary(b)) => return rmpv::decode::read_value(&mut &b[..]).ok(),
                Ok(Message::Text(t)) if t.as_str() == "2" => {
                    let _ = self.ws.send(Message::Text("3".into())).await;
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// True when the server closes the connection within `within` (pings are answered meanwhile).
    pub async fn closed_within(&mut self, within: Duration) -> bool {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(Message::Text(t)))) if t.as_str() == "2" => {
                    let _ = self.ws.send(Message::Text("3".into())).await;
                }
                Ok(Some(Ok(Message::Binary(b)))) => {
                    // A Socket.IO DISCONNECT packet also counts as being closed.
                    if let Ok(v) = rmpv::decode::read_value(&mut &b[..]) {
                        let t = v
                            .as_map()
                            .and_then(|m| m.iter().find(|(k, _)| k.as_str() == Some("type")))
                            .and_then(|(_, v)| v.as_u64());
                        if t == Some(1) {
                            return true;
                        }
                    }
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }
}

/// Snapshots a client receives in `window`.
pub async fn snapshots_in(c: &mut Client, window: Duration) -> usize {
    let end = tokio::time::Instant::now() + window;
    let mut n = 0;
    while let Ok(Some(ev)) = tokio::time::timeout_at(end, c.events.recv()).await {
        if matches!(ev, Event::Snapshot { .. }) {
            n += 1;
        }
    }
    n
}
