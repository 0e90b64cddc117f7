//! Identities inside one room: players and entities.

use std::fmt;

use slotmap::new_key_type;

/// A player's identity within a room; never reused while the room lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlayerId(pub(crate) u32);

impl fmt::Display for PlayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}", self.0)
    }
}

new_key_type! {
    /// Server-side handle of an entity. A key of a removed entity resolves to nothing, even after
    /// its slot is reused. Keys never go on the wire: clients see [`Entity::net_id`](super::Entity::net_id).
    pub struct EntityKey;
}
