//! Server configuration (what the `tickstate` binary's flags fill in).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::Authenticator;
pub use crate::room::input_queue::QueuePolicy;

/// The server's authenticator, if it has one (see [`crate::auth`]).
#[derive(Clone, Default)]
pub struct AuthConfig(pub Option<Arc<dyn Authenticator>>);

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "AuthConfig(Some(..))"
        } else {
            "AuthConfig(None)"
        })
    }
}

impl PartialEq for AuthConfig {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

/// Settings of a running server. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Overrides the rules' tick rate when set.
    pub tick_rate: Option<u32>,
    /// Overrides the rules' snapshot rate when set.
    pub snapshot_rate: Option<u32>,
    /// Overrides the rules' players-per-room when set.
    pub max_players: Option<usize>,
    /// Rooms that may exist at once (0 = unlimited); joining a new room beyond it is refused.
    pub max_rooms: usize,
    /// Threads that step the rooms (0 = one per core).
    pub tick_workers: usize,
    /// How long a dropped player's seat and entity are held for it to resume (zero: not held).
    pub session_hold: Duration,
    /// How long a room may stay empty before it is disposed of (zero: never).
    pub room_idle: Duration,
    /// Folder with the built Phaser client, served at `/`.
    pub client_dir: PathBuf,
    /// Room joined when the connect auth names none.
    pub default_room: String,
    /// Seed for the rooms' random number generators; random when `None`.
    pub seed: Option<u64>,
    /// How long a connection may wait for its room to answer the join.
    pub join_timeout: Duration,
    /// Engine.IO ping interval.
    pub ping_interval: Duration,
    /// Engine.IO ping timeout.
    pub ping_timeout: Duration,
    /// Time allowed between the WebSocket upgrade and the Socket.IO CONNECT packet.
    pub connect_timeout: Duration,
    /// Largest WebSocket message (and long-polling request body) accepted from a client, in bytes.
    pub max_message_bytes: usize,
    /// Accept HTTP long-polling (with upgrade to WebSocket), as stock Socket.IO clients start with.
    /// When false, only clients that pass `transports: ["websocket"]` can connect.
    pub polling: bool,
    /// Packets a socket may have queued before further (non-snapshot) emits are dropped.
    pub socket_buffer: usize,
    /// Time allowed for a graceful shutdown before the server exits anyway.
    pub shutdown_deadline: Duration,
    /// Connection caps, timeouts and the `Origin` allow-list.
    pub limits: ConnLimits,
    /// Input policy per client.
    pub inputs: InputPolicy,
    /// How each player's inputs are taken by its room (the jitter buffer).
    pub input_queue: QueuePolicy,
    /// Client message limits.
    pub messages: MessagePolicy,
    /// Checks players before they join (none: anyone may join).
    pub auth: AuthConfig,
}

impl ServerConfig {
    /// What every room gets from this configuration.
    pub fn room_policy(&self) -> crate::room::RoomPolicy {
        crate::room::RoomPolicy {
            tick_rate: self.tick_rate,
            snapshot_rate: self.snapshot_rate,
            max_players: self.max_players,
            hold: self.session_hold,
            idle_dispose: self.room_idle,
            inputs: self.input_queue,
        }
    }
}

/// How many game messages (`chat`, `buy`, …) a client may send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MessagePolicy {
    /// Sustained messages per second per client.
    pub rate: f64,
    /// Messages a client may send at once beyond the rate.
    pub burst: f64,
}

impl Default for MessagePolicy {
    fn default() -> Self {
        Self {
            rate: 20.0,
            burst: 20.0,
        }
    }
}

/// How many inputs a client may send, and when a client is an abuser.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputPolicy {
    /// Sustained inputs per second per client; `None` = 1.25 x the room's tick rate.
    pub rate: Option<f64>,
    /// Inputs a client may send at once beyond the rate; `None` = half the tick rate.
    pub burst: Option<f64>,
    /// Offences (rejected or rate-dropped inputs) a client may commit at once before it is
    /// disconnected with reason `abuse`; 0 never disconnects.
    pub offence_burst: f64,
    /// Offences forgiven per second.
    pub offence_rate: f64,
}

impl Default for InputPolicy {
    fn default() -> Self {
        Self {
            rate: None,
            burst: None,
            offence_burst: 600.0,
            offence_rate: 50.0,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            tick_rate: None,
            snapshot_rate: None,
            max_players: None,
            max_rooms: 100,
            tick_workers: 0,
            session_hold: Duration::from_secs(20),
            room_idle: Duration::from_secs(30),
            client_dir: PathBuf::from("client-phaser/dist"),
            default_room: "main".into(),
            seed: None,
            join_timeout: Duration::from_secs(2),
            ping_interval: Duration::from_secs(5),
            ping_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            max_message_bytes: 4096,
            polling: true,
            socket_buffer: 128,
            shutdown_deadline: Duration::from_secs(5),
            limits: ConnLimits::default(),
            inputs: InputPolicy::default(),
            input_queue: QueuePolicy::default(),
            messages: MessagePolicy::default(),
            auth: AuthConfig::default(),
        }
    }
}

/// Connection-level limits (see `SECURITY.md` for the defaults and flags).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnLimits {
    /// Open connections in total; 0 = unlimited.
    pub max_connections: usize,
    /// Open connections from one IP address; 0 = unlimited.
    pub max_per_ip: usize,
    /// New connections per second from one IP address; 0 = unlimited.
    pub rate_per_ip: f64,
    /// Burst of new connections from one IP address.
    pub burst_per_ip: f64,
    /// Time allowed to send a request's headers (the WebSocket upgrade included).
    pub header_read_timeout: Duration,
    /// Kernel `TCP_USER_TIMEOUT`: how long sent data may stay unacknowledged.
    pub tcp_user_timeout: Duration,
    /// How long our writes to a connection may stay blocked before it is dropped as a slow consumer.
    pub write_stall_limit: Duration,
    /// Kernel send buffer per connection (`SO_SNDBUF`; Linux doubles it), 0 for the OS default.
    /// Small enough that a slow link pushes back within a second or so, so latest-wins snapshots
    /// replace stale ones instead of queueing in the kernel; large enough for big snapshots.
    pub send_buffer_bytes: usize,
    /// Allowed `Origin` header values for `/socket.io/`; empty allows every origin.
    pub allowed_origins: Vec<String>,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            max_per_ip: 256,
            rate_per_ip: 50.0,
            burst_per_ip: 100.0,
            header_read_timeout: Duration::from_secs(5),
            tcp_user_timeout: Duration::from_secs(10),
            write_stall_limit: Duration::from_secs(5),
            send_buffer_bytes: 32 * 1024,
            allowed_origins: Vec::new(),
        }
    }
}
