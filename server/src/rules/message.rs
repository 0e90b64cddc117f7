//! Messages between clients and the rules: decoded client messages in, events and kicks out.

use std::any::Any;
use std::fmt;

use crate::schema::MessageType;
use crate::sim::PlayerId;

/// A declared message from a client, decoded into the type the game declared for it.
pub struct ClientMessage {
    pub(crate) index: u16,
    pub(crate) payload: Box<dyn Any + Send>,
}

impl fmt::Debug for ClientMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientMessage")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl ClientMessage {
    /// The payload, if this is a `T` message (`msg.get(self.chat)`).
    pub fn get<T: 'static>(&self, m: MessageType<T>) -> Option<&T> {
        if m.index == self.index {
            self.payload.downcast_ref()
        } else {
            None
        }
    }

    /// A message as the network layer hands it to a room (tests and tools).
    pub fn new<T: Send + 'static>(m: MessageType<T>, payload: T) -> Self {
        Self {
            index: m.index,
            payload: Box::new(payload),
        }
    }
}

/// Something the rules asked to send, delivered in the tick's send stage.
#[derive(Debug, Clone)]
pub(crate) enum Outgoing {
    /// A game event to every ready player.
    Broadcast { event: u16, data: rmpv::Value, tick: u32 },
    /// A game event to one player.
    To {
        player: PlayerId,
        event: u16,
        data: rmpv::Value,
        tick: u32,
    },
    /// Remove a player (`bye` `kicked`).
    Kick { player: PlayerId, detail: String },
}

/// Encodes a value the way socketioxide's msgpack parser would (structs as maps).
pub(crate) fn to_msgpack_value<T: serde::Serialize + ?Sized>(data: &T) -> Result<rmpv::Value, String> {
    let bytes = rmp_serde::to_vec_named(data).map_err(|e| e.to_string())?;
    rmpv::decode::read_value(&mut bytes.as_slice()).map_err(|e| e.to_string())
}
