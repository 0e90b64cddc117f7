//! The players of a room as the game rules see them.

use tickstate_shared::schema::FieldValue;

use super::Identity;
use crate::sim::{EntityKey, PlayerId};

/// One player as the room and its rules know it (connection state lives in the room's seats).
#[derive(Debug, Clone)]
pub(crate) struct RosterEntry {
    pub id: PlayerId,
    /// The network id clients know this player's entity by; reserved for the player while it is in
    /// the room, also while it has no entity (dead, spectating).
    pub net_id: u16,
    pub name: String,
    pub entity: Option<EntityKey>,
    pub away: bool,
    pub identity: Option<Identity>,
    /// Private field values, one per `schema.private` field.
    pub private: Vec<FieldValue>,
}

/// Every player in a room, sorted by id (so iteration order is deterministic).
#[derive(Debug, Default)]
pub(crate) struct Roster {
    entries: Vec<RosterEntry>,
}

impl Roster {
    pub fn get(&self, id: PlayerId) -> Option<&RosterEntry> {
        self.entries
            .binary_search_by_key(&id, |e| e.id)
            .ok()
            .map(|i| &self.entries[i])
    }

    pub fn get_mut(&mut self, id: PlayerId) -> Option<&mut RosterEntry> {
        match self.entries.binary_search_by_key(&id, |e| e.id) {
            Ok(i) => Some(&mut self.entries[i]),
            Err(_) => None,
        }
    }

    pub fn insert(&mut self, e: RosterEntry) {
        match self.entries.binary_search_by_key(&e.id, |x| x.id) {
            Ok(i) => self.entries[i] = e,
            Err(i) => self.entries.insert(i, e),
        }
    }

    pub fn remove(&mut self, id: PlayerId) -> Option<RosterEntry> {
        let i = self.entries.binary_search_by_key(&id, |e| e.id).ok()?;
        Some(self.entries.remove(i))
    }

    pub fn iter(&self) -> impl Iterator<Item = &RosterEntry> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A read-only view of a player in the room.
#[derive(Debug, Clone, Copy)]
pub struct PlayerView<'a> {
    /// The player's id.
    pub id: PlayerId,
    /// The network id its entity has in snapshots (reserved while it has none).
    pub net_id: u16,
    /// Display name.
    pub name: &'a str,
    /// The player's entity, if it has one now (none while dead or spectating).
    pub entity: Option<EntityKey>,
    /// Its connection dropped and its seat is held.
    pub away: bool,
    /// Who the authenticator says it is, when the server has one.
    pub identity: Option<&'a super::Identity>,
}

impl<'a> From<&'a RosterEntry> for PlayerView<'a> {
    fn from(e: &'a RosterEntry) -> Self {
        PlayerView {
            id: e.id,
            net_id: e.net_id,
            name: &e.name,
            entity: e.entity,
            away: e.away,
            identity: e.identity.as_ref(),
        }
    }
}
