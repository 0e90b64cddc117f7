//! Server configuration (what the `tickstate` binary's flags fill in).

use std::path::PathBuf;
use std::time::Duration;

/// Settings of a running server. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Overrides the rules' tick rate when set.
    pub tick_rate: Option<u32>,
    /// Overrides the rules' snapshot rate when set.
    pub snapshot_rate: Option<u32>,
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
    /// Largest WebSocket message accepted from a client, in bytes.
    pub max_message_bytes: usize,
    /// Packets a socket may have queued before further (non-snapshot) emits are dropped.
    pub socket_buffer: usize,
    /// Time allowed for a graceful shutdown before the server exits anyway.
    pub shutdown_deadline: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            tick_rate: None,
            snapshot_rate: None,
            client_dir: PathBuf::from("client-phaser/dist"),
            default_room: "main".into(),
            seed: None,
            join_timeout: Duration::from_secs(2),
            ping_interval: Duration::from_secs(5),
            ping_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            max_message_bytes: 4096,
            socket_buffer: 128,
            shutdown_deadline: Duration::from_secs(5),
        }
    }
}
