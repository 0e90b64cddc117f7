//! # tickstate-testkit
//!
//! Test support for Tickstate, shared by the server's integration tests, the benches (the
//! `loadtest` bots) and the fuzz targets. Not part of the server: the `tickstate` binary does not
//! depend on it.
//!
//! - [`client`]: a small Rust Socket.IO v5 client with the MessagePack parser, speaking the same
//!   wire format as the browser's `socket.io-client`, so tests exercise the real server end to end.
//! - [`room_driver`]: [`RoomDriver`] steps a room in memory (no sockets, threads or clock), with
//!   [`RecordingLink`]s that keep what each player was sent.
//! - [`test_server`]: [`TestServer`], the real server in-process on `127.0.0.1:0`, and
//!   [`wait_stats`].
//! - [`http_get`]: a minimal HTTP GET for the servers' endpoints.
//! - [`raw_socket`]: [`Raw`], a bare Socket.IO-over-WebSocket connection for malformed traffic.
//! - [`netsim`]: [`NetProxy`], a TCP proxy with delay, jitter, a bandwidth cap, stalls and cuts,
//!   for tests and the load harness (`loadtest --net`).
//!
//! The room driver reaches into the server's room module (`tickstate_server::room`: its runner,
//! mailbox and link types), which is public for this purpose; games use the prelude instead.

pub mod client;
pub mod http_get;
pub mod netsim;
pub mod raw_socket;
pub mod room_driver;
pub mod test_server;

pub use client::{Client, ClientError, ClientSender, Event, from_value, is_message, snapshots_in};
pub use http_get::{get, get_json, get_with};
pub use netsim::{NetConditions, NetProxy};
pub use raw_socket::{Raw, packet, protocol_auth, raw_input};
pub use room_driver::{JoinSpec, NullLink, RecordedEvent, Recording, RecordingLink, RoomDriver};
pub use test_server::{TestServer, wait_stats};
