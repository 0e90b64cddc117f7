//! A small Socket.IO v5 / Engine.IO v4 client with the MessagePack parser, over WebSocket.
//!
//! Used by the integration tests and the load-test bots: it speaks the same wire format as the
//! browser's `socket.io-client` + `socket.io-msgpack-parser`, so tests exercise the real server
//! stack end to end. One background task per client owns the WebSocket: it answers Engine.IO pings
//! and turns packets into [`Event`]s; [`ClientSender`] queues outgoing packets to it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tickstate_testkit::client::ClientError> {
//! use tickstate_testkit::client::{Client, Event};
//! use tickstate_shared::{ConnectAuth, InputMsg};
//! let mut c = Client::connect("http://127.0.0.1:3000", &ConnectAuth::named("Ada")).await?;
//! c.sender.input(InputMsg::new(1, 1.0, 0.0, 0)).await?;
//! while let Some(ev) = c.events.recv().await {
//!     if let Event::Snapshot { snapshot, .. } = ev { println!("ack {}", snapshot.ack); }
//! }
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rmpv::Value;
use tickstate_shared::codec::{DecodeError, decode_snapshot};
use tickstate_shared::protocol::{ConnectAuth, Welcome, events};
use tickstate_shared::receiver::SnapshotReceiver;
use tickstate_shared::snapshot::{RecordLayout, Snapshot};
use tickstate_shared::{InputMsg, JoinRefusal, PROTOCOL_VERSION};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// What can go wrong in the client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The WebSocket failed.
    #[error("websocket: {0}")]
    Ws(#[from] Box<tokio_tungstenite::tungstenite::Error>),
    /// The server refused the connection with a `connect_error` message.
    #[error("connect refused: {0}")]
    Refused(String),
    /// The server sent something that is not the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A snapshot did not decode.
    #[error("snapshot: {0}")]
    Snapshot(#[from] DecodeError),
    /// Nothing arrived in time.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// The connection is closed.
    #[error("connection closed")]
    Closed,
}

impl From<tokio_tungstenite::tungstenite::Error> for ClientError {
    fn from(e: tokio_tungstenite::tungstenite::Error) -> Self {
        Self::Ws(Box::new(e))
    }
}

/// Something the server sent.
#[derive(Debug, Clone)]
pub enum Event {
    /// A decoded snapshot and when it arrived.
    Snapshot {
        /// The snapshot.
        snapshot: Snapshot,
        /// Encoded size of the snapshot document in bytes.
        bytes: usize,
        /// Arrival time.
        at: Instant,
    },
    /// Any other event: its name, first argument and (for a game event) the tick.
    Message {
        /// Event name.
        event: String,
        /// First argument (Nil when none).
        data: Value,
        /// Second argument of a game event: the tick it belongs to.
        tick: Option<u32>,
    },
    /// An acknowledgement of an emit: its id and first argument.
    Ack {
        /// The ack id given to [`ClientSender::emit_with_ack`].
        id: u64,
        /// First argument.
        data: Value,
    },
    /// The server disconnected this client from the namespace, or the connection closed.
    Disconnected {
        /// What happened.
        reason: String,
    },
    /// A snapshot arrived that could not be decoded.
    BadSnapshot(String),
}

/// Queues packets for the connection's task. Cheap to clone.
#[derive(Clone)]
pub struct ClientSender {
    tx: mpsc::Sender<Message>,
    acking: Arc<AtomicBool>,
}

/// A connected client: the `welcome`, a sender and the stream of events.
pub struct Client {
    /// The `welcome` received after connecting.
    pub welcome: Welcome,
    /// Sends packets.
    pub sender: ClientSender,
    /// Events from the server, in arrival order.
    pub events: mpsc::Receiver<Event>,
}

fn packet(kind: u8, data: Option<Value>, id: Option<u64>) -> Message {
    let mut fields = vec![
        (Value::from("type"), Value::from(kind)),
        (Value::from("nsp"), Value::from("/")),
    ];
    if let Some(d) = data {
        fields.push((Value::from("data"), d));
    }
    if let Some(id) = id {
        fields.push((Value::from("id"), Value::from(id)));
    }
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut buf, &Value::Map(fields));
    Message::Binary(buf.into())
}

fn field<'a>(map: &'a Value, key: &str) -> Option<&'a Value> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

impl ClientSender {
    /// Emits an event with one argument.
    ///
    /// # Errors
    /// [`ClientError::Closed`] once the connection is gone.
    pub async fn emit(&self, event: &str, data: Value) -> Result<(), ClientError> {
        self.raw(packet(2, Some(Value::Array(vec![Value::from(event), data])), None))
            .await
    }

    /// Emits an event asking for an acknowledgement, which arrives as [`Event::Ack`] with `id`.
    ///
    /// # Errors
    /// [`ClientError::Closed`] once the connection is gone.
    pub async fn emit_with_ack(&self, event: &str, data: Value, id: u64) -> Result<(), ClientError> {
        self.raw(packet(2, Some(Value::Array(vec![Value::from(event), data])), Some(id)))
            .await
    }

    /// Sends an `input`.
    ///
    /// # Errors
    /// [`ClientError::Closed`] once the connection is gone.
    pub async fn input(&self, i: InputMsg) -> Result<(), ClientError> {
        let bytes = rmp_serde::to_vec(&i).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let arr = rmpv::decode::read_value(&mut bytes.as_slice()).map_err(|e| ClientError::Protocol(e.to_string()))?;
        self.emit(events::INPUT, arr).await
    }

    /// Sends a game message (one argument, its payload, written as MessagePack with structs as
    /// maps).
    ///
    /// # Errors
    /// [`ClientError::Protocol`] when the payload cannot be encoded, [`ClientError::Closed`] once
    /// the connection is gone.
    pub async fn message<T: serde::Serialize>(&self, event: &str, payload: &T) -> Result<(), ClientError> {
        let bytes = rmp_serde::to_vec_named(payload).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let v = rmpv::decode::read_value(&mut bytes.as_slice()).map_err(|e| ClientError::Protocol(e.to_string()))?;
        self.emit(event, v).await
    }

    /// Starts (or stops) acknowledging every decoded snapshot with `snapshot_ack`, so that the
    /// server sends deltas; the client's task keeps the baselines and decodes them. Off by
    /// default: a client that never acks gets full snapshots.
    pub fn ack_snapshots(&self, on: bool) {
        self.acking.store(on, Relaxed);
    }

    /// Sends a raw WebSocket message (for tests of malformed traffic).
    ///
    /// # Errors
    /// [`ClientError::Closed`] once the connection is gone.
    pub async fn raw(&self, m: Message) -> Result<(), ClientError> {
        self.tx.send(m).await.map_err(|_| ClientError::Closed)
    }

    /// Leaves the namespace (a Socket.IO DISCONNECT) and closes the WebSocket.
    pub async fn disconnect(&self) {
        let _ = self.raw(packet(1, None, None)).await;
        let _ = self.raw(Message::Close(None)).await;
    }
}

impl Client {
    /// Connects to `base` (e.g. `http://127.0.0.1:3000`) with `auth` and waits for `welcome`.
    /// An auth without `protocol` is sent with protocol 2 (this client speaks it); use
    /// [`Client::connect_exact`] to send an auth as it is.
    ///
    /// # Errors
    /// [`ClientError::Refused`] with the server's `connect_error` message, or a transport error.
    pub async fn connect(base: &str, auth: &ConnectAuth) -> Result<Client, ClientError> {
        Self::connect_from(base, auth, None).await
    }

    /// Like [`Client::connect`], sending `auth` exactly as given.
    ///
    /// # Errors
    /// As [`Client::connect`].
    pub async fn connect_exact(base: &str, auth: &ConnectAuth) -> Result<Client, ClientError> {
        tokio::time::timeout(Duration::from_secs(10), Self::connect_inner(base, auth, None))
            .await
            .map_err(|_| ClientError::Timeout("connect"))?
    }

    /// Like [`Client::connect`], from a chosen local address (e.g. `127.0.0.2`, so a load test can
    /// spread its bots over several loopback addresses). `http://` only.
    ///
    /// # Errors
    /// As [`Client::connect`].
    pub async fn connect_from(
        base: &str,
        auth: &ConnectAuth,
        local: Option<std::net::IpAddr>,
    ) -> Result<Client, ClientError> {
        let mut auth = auth.clone();
        auth.protocol.get_or_insert(PROTOCOL_VERSION);
        tokio::time::timeout(Duration::from_secs(10), Self::connect_inner(base, &auth, local))
            .await
            .map_err(|_| ClientError::Timeout("connect"))?
    }

    async fn connect_inner(
        base: &str,
        auth: &ConnectAuth,
        local: Option<std::net::IpAddr>,
    ) -> Result<Client, ClientError> {
        let ws_base = base.replacen("http://", "ws://", 1).replacen("https://", "wss://", 1);
        let url = format!("{}/socket.io/?EIO=4&transport=websocket", ws_base.trim_end_matches('/'));
        // Like a browser, send small frames at once: without TCP_NODELAY every input would wait
        // for the previous segment's ACK (Nagle), adding tens of milliseconds.
        let (mut ws, _) = match local {
            None => tokio_tungstenite::connect_async_with_config(url, None, true).await?,
            Some(ip) => {
                let host = base.trim_start_matches("http://").trim_end_matches('/');
                let addr: std::net::SocketAddr = tokio::net::lookup_host(host)
                    .await
                    .map_err(|e| ClientError::Protocol(format!("cannot resolve {host}: {e}")))?
                    .next()
                    .ok_or_else(|| ClientError::Protocol(format!("cannot resolve {host}")))?;
                let sock = if ip.is_ipv4() {
                    tokio::net::TcpSocket::new_v4()
                } else {
                    tokio::net::TcpSocket::new_v6()
                }
                .map_err(|e| ClientError::Protocol(e.to_string()))?;
                sock.bind(std::net::SocketAddr::new(ip, 0))
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                let tcp = sock
                    .connect(addr)
                    .await
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                tcp.set_nodelay(true)
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(tcp)).await?
            }
        };
        // Engine.IO OPEN: a text frame "0{...}".
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.starts_with('0') => {}
            other => return Err(ClientError::Protocol(format!("expected OPEN, got {other:?}"))),
        }
        let auth_bytes = rmp_serde::to_vec_named(auth).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let auth_val =
            rmpv::decode::read_value(&mut auth_bytes.as_slice()).map_err(|e| ClientError::Protocol(e.to_string()))?;
        ws.send(packet(0, Some(auth_val), None)).await?;
        // Wait for CONNECT (or CONNECT_ERROR), then `welcome`, answering pings meanwhile.
        let mut connected = false;
        loop {
            let msg = ws.next().await.ok_or(ClientError::Closed)??;
            match msg {
                Message::Text(t) if t.as_str() == "2" => ws.send(Message::Text("3".into())).await?,
                Message::Binary(b) => {
                    let v = rmpv::decode::read_value(&mut &b[..]).map_err(|e| ClientError::Protocol(e.to_string()))?;
                    let kind = field(&v, "type").and_then(Value::as_u64);
                    match kind {
                        Some(0) => connected = true,
                        Some(4) => {
                            let m = field(&v, "data")
                                .and_then(|d| field(d, "message"))
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_owned();
                            return Err(ClientError::Refused(m));
                        }
                        Some(2) if connected => {
                            let (name, arg, _) = event_parts(&v);
                            if name == events::WELCOME {
                                let welcome = from_value::<Welcome>(&arg)?;
                                return Ok(Self::start(ws, welcome));
                            }
                        }
                        _ => {}
                    }
                }
                Message::Close(_) => return Err(ClientError::Closed),
                _ => {}
            }
        }
    }

    fn start(
        ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
        welcome: Welcome,
    ) -> Client {
        let (out_tx, mut out_rx) = mpsc::channel::<Message>(256);
        let (ev_tx, ev_rx) = mpsc::channel::<Event>(1024);
        let (mut sink, mut stream) = ws.split();
        let layout = Arc::new(RecordLayout::new(&welcome.schema));
        let mut receiver = SnapshotReceiver::new(RecordLayout::new(&welcome.schema));
        let acking = Arc::new(AtomicBool::new(false));
        let acks_on = acking.clone();
        let pong_tx = out_tx.clone();
        tokio::spawn(async move {
            while let Some(m) = out_rx.recv().await {
                let closing = matches!(m, Message::Close(_));
                if sink.send(m).await.is_err() || closing {
                    break;
                }
            }
        });
        tokio::spawn(async move {
            let reason = loop {
                let msg = match stream.next().await {
                    Some(Ok(m)) => m,
                    Some(Err(e)) => break format!("transport error: {e}"),
                    None => break "transport closed".to_owned(),
                };
                let ev = match msg {
                    Message::Text(t) if t.as_str() == "2" => {
                        let _ = pong_tx.send(Message::Text("3".into())).await;
                        continue;
                    }
                    Message::Text(t) if t.as_str() == "1" => break "engine.io close".to_owned(),
                    Message::Binary(b) => {
                        let rx = acks_on.load(Relaxed).then_some(&mut receiver);
                        match decode_packet(&b, &layout, rx) {
                            Some(ev) => {
                                if let (Event::Snapshot { snapshot, .. }, true) = (&ev, acks_on.load(Relaxed)) {
                                    let ack = Value::Array(vec![
                                        Value::from(events::SNAPSHOT_ACK),
                                        Value::from(snapshot.tick),
                                    ]);
                                    let _ = pong_tx.send(packet(2, Some(ack), None)).await;
                                }
                                ev
                            }
                            None => continue,
                        }
                    }
                    Message::Close(_) => break "websocket close".to_owned(),
                    _ => continue,
                };
                let end = matches!(ev, Event::Disconnected { .. });
                if ev_tx.send(ev).await.is_err() || end {
                    return;
                }
            };
            let _ = ev_tx.send(Event::Disconnected { reason }).await;
        });
        Client {
            welcome,
            sender: ClientSender { tx: out_tx, acking },
            events: ev_rx,
        }
    }

    /// Waits for the next event matching `pick`, skipping others, for at most `within`.
    ///
    /// # Errors
    /// [`ClientError::Timeout`] or [`ClientError::Closed`].
    pub async fn wait_for<T>(
        &mut self,
        within: Duration,
        what: &'static str,
        mut pick: impl FnMut(&Event) -> Option<T>,
    ) -> Result<T, ClientError> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let ev = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .map_err(|_| ClientError::Timeout(what))?
                .ok_or(ClientError::Closed)?;
            if let Some(t) = pick(&ev) {
                return Ok(t);
            }
        }
    }

    /// Waits for the next snapshot.
    ///
    /// # Errors
    /// [`ClientError::Timeout`] or [`ClientError::Closed`].
    pub async fn next_snapshot(&mut self, within: Duration) -> Result<Snapshot, ClientError> {
        self.wait_for(within, "snapshot", |e| match e {
            Event::Snapshot { snapshot, .. } => Some(snapshot.clone()),
            _ => None,
        })
        .await
    }
}

fn event_parts(v: &Value) -> (String, Value, Option<u32>) {
    let arr = field(v, "data").and_then(Value::as_array);
    let name = arr
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let arg = arr.and_then(|a| a.get(1)).cloned().unwrap_or(Value::Nil);
    let tick = arr
        .and_then(|a| a.get(2))
        .and_then(Value::as_u64)
        .and_then(|t| u32::try_from(t).ok());
    (name, arg, tick)
}

/// Decodes one Socket.IO packet; snapshots go through `receiver` (which keeps baselines and
/// applies deltas) when the client acknowledges snapshots.
fn decode_packet(b: &[u8], layout: &RecordLayout, receiver: Option<&mut SnapshotReceiver>) -> Option<Event> {
    let v = rmpv::decode::read_value(&mut &b[..]).ok()?;
    match field(&v, "type").and_then(Value::as_u64)? {
        1 => Some(Event::Disconnected {
            reason: "server disconnect".into(),
        }),
        2 => {
            let (event, data, tick) = event_parts(&v);
            if event == events::SNAPSHOT {
                let Value::Binary(bin) = &data else {
                    return Some(Event::BadSnapshot("snapshot argument is not bin".into()));
                };
                let decoded = match receiver {
                    Some(rx) => rx.receive(bin),
                    None => decode_snapshot(bin, layout),
                };
                return Some(match decoded {
                    Ok(snapshot) => Event::Snapshot {
                        snapshot,
                        bytes: bin.len(),
                        at: Instant::now(),
                    },
                    Err(e) => Event::BadSnapshot(e.to_string()),
                });
            }
            Some(Event::Message { event, data, tick })
        }
        3 => {
            let id = field(&v, "id").and_then(Value::as_u64)?;
            let data = field(&v, "data")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .cloned()
                .unwrap_or(Value::Nil);
            Some(Event::Ack { id, data })
        }
        _ => None,
    }
}

impl ClientError {
    /// The typed refusal of a refused connection (`None` for other errors or unknown codes).
    pub fn refusal(&self) -> Option<JoinRefusal> {
        match self {
            ClientError::Refused(m) => JoinRefusal::parse(m),
            _ => None,
        }
    }
}

/// Decodes a MessagePack value into a typed message (maps by field name).
///
/// # Errors
/// [`ClientError::Protocol`] when the value does not have the type's shape.
pub fn from_value<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, ClientError> {
    let mut buf = Vec::new();
    rmpv::encode::write_value(&mut buf, v).map_err(|e| ClientError::Protocol(e.to_string()))?;
    rmp_serde::from_slice(&buf).map_err(|e| ClientError::Protocol(e.to_string()))
}

/// True when `ev` is an event (other than a snapshot) called `name`.
pub fn is_message(ev: &Event, name: &str) -> bool {
    matches!(ev, Event::Message { event, .. } if event == name)
}

/// How many snapshots `c` receives in `window` (other events are skipped).
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
