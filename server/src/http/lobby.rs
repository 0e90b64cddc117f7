//! `GET /rooms`: the lobby, public on the game port.
//!
//! Room names, seats and rates only: no player names, nothing about connections.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::hub::Hub;

/// The lobby document.
#[derive(Debug, Serialize)]
pub struct Lobby {
    /// The game the server hosts (`welcome.game`).
    pub game: String,
    /// Every running room.
    pub rooms: Vec<LobbyRoom>,
}

/// One room of the lobby.
#[derive(Debug, Serialize)]
pub struct LobbyRoom {
    /// Its name (what a client puts in `auth.room` to join it).
    pub id: String,
    /// Seats taken, held seats included.
    pub players: u64,
    /// Seats.
    pub capacity: usize,
    /// Ticks per second.
    pub tick_rate: u32,
    /// Snapshots per second.
    pub snapshot_rate: u32,
}

/// The lobby: every running room with its seats.
pub async fn rooms(State(hub): State<Arc<Hub>>) -> Json<Lobby> {
    let rooms = hub
        .rooms
        .list()
        .iter()
        .map(|r| LobbyRoom {
            id: r.name().to_owned(),
            players: r.gauges().players.load(Relaxed),
            capacity: r.settings().max_players,
            tick_rate: r.settings().tick_rate,
            snapshot_rate: r.settings().snapshot_rate,
        })
        .collect();
    Json(Lobby {
        game: hub.game.name().to_owned(),
        rooms,
    })
}
