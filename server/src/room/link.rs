//! The runner's view of a player's connection.

use bytes::Bytes;

/// Why a message could not be handed to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The connection is closed.
    #[error("connection closed")]
    Closed,
    /// The connection's send buffer is full; the message was dropped.
    #[error("send buffer full")]
    Full,
}

/// A player's connection as a room's runner sees it. Every method returns at once: it queues the
/// message and never waits for the network.
pub trait PlayerLink: Send {
    /// Sends a snapshot document, replacing any snapshot still waiting to be written (latest wins).
    ///
    /// # Errors
    /// [`LinkError`] when the connection is closed or cannot take the message.
    fn send_snapshot(&self, doc: Bytes) -> Result<(), LinkError>;

    /// Sends an event: with one argument (`data`), or with two (`data`, `tick`) for a game event.
    ///
    /// # Errors
    /// [`LinkError`] when the connection is closed or its buffer is full.
    fn emit(&self, event: &str, data: &rmpv::Value, tick: Option<u32>) -> Result<(), LinkError>;

    /// Closes the connection (after the messages already queued).
    fn close(&self);
}
