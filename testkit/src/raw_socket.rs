//! A raw Socket.IO-over-WebSocket connection ([`Raw`]), for sending frames no real client would,
//! and for connections that join and then stop reading. [`packet`] builds a Socket.IO packet as
//! the msgpack parser encodes it.
//!
//! The helpers that set a connection up panic with a message when that fails: they are for tests.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// The WebSocket stream under a [`Raw`] connection.
pub type RawStream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The smallest valid connect auth: `{ protocol: 2 }`.
pub fn protocol_auth() -> rmpv::Value {
    rmpv::Value::Map(vec![("protocol".into(), tickstate_shared::PROTOCOL_VERSION.into())])
}

/// An input `[seq, 0, 0, 0, ...fields]` as raw MessagePack values, for sending input fields of
/// any type (wrong ones included) with [`crate::ClientSender::emit`].
pub fn raw_input(seq: u32, fields: Vec<rmpv::Value>) -> rmpv::Value {
    let mut v = vec![seq.into(), 0.into(), 0.into(), 0.into()];
    v.extend(fields);
    rmpv::Value::Array(v)
}

/// A Socket.IO packet of type `kind` on namespace `/`, as the msgpack parser encodes it.
pub fn packet(kind: u8, data: Option<rmpv::Value>) -> Vec<u8> {
    let mut fields = vec![("type".into(), kind.into()), ("nsp".into(), "/".into())];
    if let Some(d) = data {
        fields.push(("data".into(), d));
    }
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut buf, &rmpv::Value::Map(fields));
    buf
}

/// A raw Socket.IO-over-WebSocket connection.
pub struct Raw {
    /// The WebSocket, to send or read anything.
    pub ws: RawStream,
}

impl Raw {
    /// WebSocket upgrade and the Engine.IO OPEN packet; no Socket.IO CONNECT yet.
    ///
    /// # Panics
    /// When the WebSocket does not open or the first frame is not OPEN.
    pub async fn open(base: &str) -> Self {
        let url = format!(
            "{}/socket.io/?EIO=4&transport=websocket",
            base.replace("http://", "ws://")
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket should open");
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.starts_with('0') => {}
            other => panic!("expected OPEN, got {other:?}"),
        }
        Self { ws }
    }

    /// `open` plus a CONNECT with the smallest valid auth ([`protocol_auth`]); waits for the
    /// CONNECT ack and `welcome`.
    ///
    /// # Panics
    /// When they do not arrive within 3 s.
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

    /// Sends a binary frame (errors ignored: the server may have closed the connection).
    pub async fn send(&mut self, bytes: Vec<u8>) {
        let _ = self.ws.send(Message::Binary(bytes.into())).await;
    }

    /// Sends a text frame (errors ignored).
    pub async fn send_text(&mut self, text: &str) {
        let _ = self.ws.send(Message::Text(text.into())).await;
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
