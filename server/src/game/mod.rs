//! The demo games, written only against the public prelude ([`crate::prelude`]).
//!
//! - [`star_collector()`]: two teams of ships collect stars (the playable demo).
//! - [`arena()`]: a top-down shooter with projectiles, a lag-compensated rail, health, pickups
//!   and chat.

pub mod arena;
pub mod star_collector;

pub use arena::{ArenaConfig, arena};
pub use star_collector::{Scores, StarCollector, Team, star_collector};

use crate::rules::Game;

/// Settings of the built-in games that come from the server's flags; each game reads its own
/// part (the others ignore it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GameOptions {
    /// Arena's (`--max-rewind-ms`, `--lag-history-ms`).
    pub arena: ArenaConfig,
}

/// The games this server binary can host, by name (`tickstate --game NAME`), with default
/// settings.
pub fn by_name(name: &str) -> Option<Game> {
    build(name, &GameOptions::default())
}

/// A game by name, with the settings in `options`.
pub fn build(name: &str, options: &GameOptions) -> Option<Game> {
    match name {
        "star_collector" => Some(star_collector()),
        "arena" => Some(arena::game(options.arena.clone())),
        _ => None,
    }
}

/// Names of the games [`by_name`] knows.
pub const NAMES: &[&str] = &["star_collector", "arena"];
