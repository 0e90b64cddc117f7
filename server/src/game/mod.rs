//! The demo games, written only against the public prelude ([`crate::prelude`]).
//!
//! - [`star_collector()`]: two teams of ships collect stars (the playable demo).

pub mod star_collector;

pub use star_collector::{Scores, StarCollector, Team, star_collector};

use crate::rules::Game;

/// The games this server binary can host, by name (`tickstate --game NAME`).
pub fn by_name(name: &str) -> Option<Game> {
    match name {
        "star_collector" => Some(star_collector()),
        _ => None,
    }
}

/// Names of the games [`by_name`] knows.
pub const NAMES: &[&str] = &["star_collector"];
