//! # tickstate-shared
//!
//! The Tickstate wire protocol, shared by the server, the load-test bots and (as a mirror written in
//! TypeScript) the client SDK. It holds only types, constants and pure encode/decode functions:
//! no async runtime, no sockets. `PROTOCOL.md` at the repository root is the prose version of this
//! crate; the golden files in `tests/fixtures/` pin the bytes so both sides cannot drift.
//!
//! - [`protocol`]: event names, connect auth, `welcome`, notices, limits.
//! - [`reasons`]: the closed vocabularies (refusals, `bye` and `left` reasons).
//! - [`schema`]: game-declared kinds and fields, their quantization and bit packing.
//! - [`input`]: the `input` array with the game's declared fields, and its bounded decoder.
//! - [`snapshot`]: entity records, the record layout, position quantization.
//! - [`codec`]: snapshot encoding (shared block + per-recipient header) and bounded decoding.
//! - [`msgpack`]: small non-recursive MessagePack readers for hostile input.
//! - [`stats_doc`]: the JSON documents of the server's operator endpoints (`/stats`,
//!   `/stats/clients`), read by the load harness and the tests.

pub mod codec;
pub mod delta;
pub mod input;
pub mod msgpack;
pub mod protocol;
pub mod reasons;
pub mod receiver;
pub mod schema;
pub mod snapshot;
pub mod stats_doc;

/// Version of the wire protocol described in `PROTOCOL.md`, sent in `welcome.protocol` and
/// required in the connect auth (`auth.protocol`).
pub const PROTOCOL_VERSION: u32 = 2;

pub use input::{BUTTON_ACTION, InputMsg, seq_newer};
pub use protocol::{ConnectAuth, Welcome};
pub use reasons::{ByeReason, JoinRefusal, LeaveReason, Refusal};
pub use schema::{FieldDef, FieldType, FieldValue, SchemaDoc};
pub use snapshot::{EntityRecord, Quantizer, RecordHead, RecordLayout, Snapshot};
