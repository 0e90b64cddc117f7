//! The rooms of a server, created on demand.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use tickstate_shared::reasons::{JoinRefusal, Refusal};

use super::{Room, RoomHandle, RoomPolicy, Sessions, TickPool};
use crate::rules::Game;
use crate::stats::Stats;

/// Every room of the server, by name.
pub struct Rooms {
    rooms: Mutex<HashMap<String, RoomHandle>>,
    game: Game,
    policy: RoomPolicy,
    stats: Arc<Stats>,
    seed: Option<u64>,
    max_rooms: usize,
    sessions: Arc<Sessions>,
    created: AtomicU64,
    closing: AtomicBool,
    pool: TickPool,
}

impl std::fmt::Debug for Rooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rooms")
            .field(
                "rooms",
                &self.list().iter().map(|r| r.name().to_owned()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Rooms {
    /// An empty registry whose rooms run on `pool`.
    pub fn new(
        game: Game,
        policy: RoomPolicy,
        stats: Arc<Stats>,
        seed: Option<u64>,
        max_rooms: usize,
        pool: TickPool,
    ) -> Self {
        Self {
            pool,
            max_rooms,
            sessions: Arc::default(),
            rooms: Mutex::new(HashMap::new()),
            game,
            policy,
            stats,
            seed,
            created: AtomicU64::new(0),
            closing: AtomicBool::new(false),
        }
    }

    /// The running room called `name`, created if there is none (or if the previous one stopped
    /// because its rules failed).
    ///
    /// # Errors
    /// A refusal when the server is shutting down or the room cannot be created.
    pub fn get_or_create(&self, name: &str) -> Result<RoomHandle, JoinRefusal> {
        if self.closing.load(SeqCst) {
            return Err(Refusal::ShuttingDown.into());
        }
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = rooms.get(name) {
            if h.is_alive() {
                return Ok(h.clone());
            }
            tracing::warn!(room = name, "room had stopped; starting a new one");
        }
        // Each room costs a tick at its rate and its memory: bound how many clients can make.
        let live = rooms.values().filter(|r| r.is_alive()).count();
        if self.max_rooms > 0 && live >= self.max_rooms {
            return Err(Refusal::TooManyRooms.into());
        }
        let n = self.created.fetch_add(1, SeqCst);
        let seed = self.seed.map_or_else(rand::random, |s| s.wrapping_add(n));
        let room = Room::new(
            name,
            &self.game,
            self.policy,
            self.stats.clone(),
            self.sessions.clone(),
            seed,
        )
        .map_err(|e| {
            tracing::error!(room = name, error = %e, "cannot create room");
            JoinRefusal::new(Refusal::RoomUnavailable)
        })?;
        let handle = self.pool.spawn(room).map_err(|e| {
            tracing::error!(room = name, error = %e, "cannot start room");
            JoinRefusal::new(Refusal::RoomUnavailable)
        })?;
        rooms.insert(name.to_owned(), handle.clone());
        Ok(handle)
    }

    /// The tick pool the rooms run on.
    pub fn pool(&self) -> &TickPool {
        &self.pool
    }

    /// The game every room plays.
    pub fn game(&self) -> &Game {
        &self.game
    }

    /// Live resume tokens and their rooms.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The running room called `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<RoomHandle> {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms.get(name).filter(|h| h.is_alive()).cloned()
    }

    /// Matchmaking: the fullest running room with a free seat, else a new room (`default_name` if
    /// it is free, then `default_name-2`, `-3`, …).
    ///
    /// # Errors
    /// As [`Rooms::get_or_create`].
    pub fn pick(&self, default_name: &str) -> Result<RoomHandle, JoinRefusal> {
        let best = {
            let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
            rooms
                .values()
                .filter(|h| h.is_alive())
                .map(|h| {
                    (
                        h.gauges().players.load(std::sync::atomic::Ordering::Relaxed) as usize,
                        h,
                    )
                })
                .filter(|(n, h)| *n < h.settings().max_players)
                .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.name().cmp(a.1.name())))
                .map(|(_, h)| h.clone())
        };
        if let Some(h) = best {
            return Ok(h);
        }
        let name = (1..)
            .map(|i| {
                if i == 1 {
                    default_name.to_owned()
                } else {
                    format!("{default_name}-{i}")
                }
            })
            .find(|n| self.get(n).is_none())
            .unwrap_or_else(|| default_name.to_owned());
        self.get_or_create(&name)
    }

    /// Every running room, sorted by name. Stopped rooms are forgotten here.
    pub fn list(&self) -> Vec<RoomHandle> {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms.retain(|_, h| h.is_alive());
        let mut v: Vec<RoomHandle> = rooms.values().cloned().collect();
        v.sort_by(|a, b| a.name().cmp(b.name()));
        v
    }

    /// Refuses new rooms, then shuts every room down and waits for their loops to end.
    pub async fn shutdown_all(&self) {
        self.closing.store(true, SeqCst);
        let rooms = self.list();
        for r in &rooms {
            r.shutdown().await;
        }
    }
}
