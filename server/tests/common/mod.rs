//! What only these integration tests share: the test games. The generic helpers (the test server,
//! the Socket.IO client, HTTP GET, raw sockets) are in `tickstate-testkit`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod skirmish;

use tickstate_server::{Game, GameRules};

/// A test game with kinds 1 (`ship`), 2 (`other_ship`) and 3 (`star`), no fields, whose rooms'
/// rules `make` builds from the room's name. Rules find the kinds with `ctx.schema().kind(n)`.
pub fn ship_game<R: GameRules>(make: impl Fn(&str) -> R + Send + Sync + 'static) -> Game {
    Game::new("test", |s| {
        s.kind(1, "ship").done();
        s.kind(2, "other_ship").done();
        s.kind(3, "star").done();
    })
    .rules(move |_, room| make(room))
    .expect("a valid test game")
}
