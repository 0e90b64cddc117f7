//! The demo game, written only against the public rules API ([`crate::rules`]).

mod star_collector;

pub use star_collector::{
    KIND_BLUE_SHIP, KIND_RED_SHIP, KIND_STAR, Scores, StarCollector, Team, walls as star_collector_walls,
};
