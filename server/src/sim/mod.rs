//! The simulation core: entities, movement validation and snapshot building.
//!
//! Nothing in here is async, does I/O or reads the clock: time comes in as the fixed step `dt`, so a
//! test can step the world tick by tick and get the same result every time.
//!
//! - [`world`]: the [`World`] (a `SlotMap` of [`Entity`]), its bounds and static walls, network ids.
//! - [`movement`]: direction validation and the movement step clients predict (see `PROTOCOL.md`).
//! - [`snapshot`]: packing the world into the snapshot entity block.

pub mod movement;
pub mod snapshot;
pub mod world;

pub use movement::{InputError, MoveParams};
pub use world::{Entity, EntityKey, Rect, World, WorldError};
