//! The running server's shared state, owned in one place.
//!
//! A [`Hub`] is built first by [`crate::run`] and handed, as `Arc<Hub>`, to both sides of the
//! server: the Socket.IO handlers (`net`) admit players into its rooms and count into its
//! counters, and the HTTP side (`http`) reads it for the lobby and the operator endpoints. Nothing
//! in here knows about HTTP or Socket.IO.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::auth::Authenticator;
use crate::config::ServerConfig;
use crate::room::Rooms;
use crate::rules::Game;
use crate::stats::{ClientStats, ConnStats, Stats};

/// One admitted connection, as listed on `/stats/clients`.
#[derive(Debug, Clone)]
pub struct ClientEntry {
    /// Its room.
    pub room: String,
    /// Network id of its entity.
    pub id: u16,
    /// Display name.
    pub name: String,
    /// Its input counters.
    pub stats: Arc<ClientStats>,
}

/// Shared state of a running server: its game, settings, rooms, counters and connection registry.
pub struct Hub {
    /// The configuration the server runs with (read-only).
    pub config: ServerConfig,
    /// Process-wide counters, shared with every room.
    pub stats: Arc<Stats>,
    /// The rooms.
    pub rooms: Rooms,
    /// The game the server hosts.
    pub game: Game,
    /// Checks players before they join.
    pub authenticator: Option<Arc<dyn Authenticator>>,
    /// Next connection id.
    pub next_conn: AtomicU64,
    /// Admitted connections by connection id, for `/stats/clients`; written by the Socket.IO
    /// handlers when a player is admitted and when its connection ends.
    pub clients: Mutex<HashMap<u64, ClientEntry>>,
    /// Connection counters of the game port's accept loop.
    pub conns: Arc<ConnStats>,
    /// Sessions that upgraded from long-polling, with their WebSocket connection.
    pub upgrades: Arc<crate::net::listener::Upgrades>,
    /// When the server started.
    pub started: Instant,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("game", &self.game)
            .field("rooms", &self.rooms)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// State for a server with this configuration and game.
    pub fn new(config: ServerConfig, game: Game) -> Arc<Self> {
        let stats = Arc::new(Stats::default());
        let policy = config.room_policy();
        Arc::new(Self {
            rooms: Rooms::new(
                game.clone(),
                policy,
                stats.clone(),
                config.seed,
                config.max_rooms,
                crate::room::TickPool::new(config.tick_workers, stats.clone()),
            ),
            authenticator: config.auth.0.clone(),
            game,
            config,
            stats,
            next_conn: AtomicU64::new(1),
            clients: Mutex::default(),
            conns: Arc::default(),
            upgrades: Arc::default(),
            started: Instant::now(),
        })
    }

    /// The admitted connections now, in no particular order.
    pub fn client_list(&self) -> Vec<ClientEntry> {
        self.clients
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }
}
