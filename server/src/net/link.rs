//! [`PlayerLink`] over a socketioxide socket.

use bytes::Bytes;
use socketioxide::extract::SocketRef;
use socketioxide::{SendError, SocketError};
use tickstate_shared::protocol::events;

use crate::room::{LinkError, PlayerLink};

/// A player's Socket.IO connection as the room sees it.
pub struct SocketLink(SocketRef);

impl SocketLink {
    /// Wraps a socket.
    pub fn new(s: SocketRef) -> Self {
        Self(s)
    }
}

fn map(e: SendError) -> LinkError {
    match e {
        SendError::Socket(SocketError::Closed) => LinkError::Closed,
        _ => LinkError::Full,
    }
}

impl PlayerLink for SocketLink {
    fn send_snapshot(&self, doc: Bytes) -> Result<(), LinkError> {
        // Volatile: the engine keeps only the newest snapshot waiting for a slow socket.
        self.0.volatile().emit(events::SNAPSHOT, &doc).map_err(map)
    }

    fn emit(&self, event: &str, data: &rmpv::Value, tick: Option<u32>) -> Result<(), LinkError> {
        match tick {
            // A tuple is sent as two arguments: `(data, tick)`.
            Some(t) => self.0.emit(event, &(data, t)).map_err(map),
            None => self.0.emit(event, data).map_err(map),
        }
    }

    fn close(&self) {
        let _ = self.0.clone().disconnect();
    }
}
