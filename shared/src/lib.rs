//! # tickstate-shared
//!
//! The Tickstate wire protocol, shared by the server, the load-test bots and (as a mirror written in
//! TypeScript) the Phaser client. It holds only types, constants and pure encode/decode functions:
//! no async runtime, no sockets. `PROTOCOL.md` at the repository root is the prose version of this
//! crate; the golden files in `tests/fixtures/` pin the bytes so both sides cannot drift.
//!
//! - [`protocol`]: event names, connect auth, `welcome`, `input` and notices, limits.
//! - [`snapshot`]: the snapshot document, entity records and position quantization.
//! - [`codec`]: encoding and bounded decoding of snapshots, with [`codec::DecodeError`].
//! - [`stats_doc`]: the JSON documents of the server's operator endpoints (`/stats`,
//!   `/stats/clients`), read by the load harness and the tests.

pub mod codec;
pub mod protocol;
pub mod snapshot;
pub mod stats_doc;

/// Version of the wire protocol described in `PROTOCOL.md`, sent in `welcome.protocol`.
pub const PROTOCOL_VERSION: u32 = 1;

pub use protocol::{ConnectAuth, InputMsg, Welcome};
pub use snapshot::{EntityRecord, Quantizer, Snapshot};
