//! The simulation core: entities, movement validation, collisions and snapshot building.
//!
//! Nothing in here is async, does I/O or reads the clock: time comes in as the fixed step `dt`, so a
//! test can step the world tick by tick and get the same result every time.
//!
//! - [`ids`]: [`PlayerId`] and [`EntityKey`].
//! - [`world`]: the [`World`] (a `SlotMap` of [`Entity`] with their declared fields), its bounds
//!   and static walls, network ids.
//! - [`movement`]: direction validation, the movement step clients predict (see `PROTOCOL.md`),
//!   and the engine's velocity step.
//! - [`collide`]: overlaps and ray casts for rules.
//! - [`snapshot`]: packing the world into the snapshot's shared block.

pub mod collide;
pub mod ids;
pub mod movement;
pub mod snapshot;
pub mod world;

pub use collide::RayHit;
pub use ids::{EntityKey, PlayerId};
pub use movement::{InputError, MoveParams};
pub use world::{Entity, Rect, World, WorldError};
