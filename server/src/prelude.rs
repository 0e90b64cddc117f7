//! Everything a game author needs, in one import: `use tickstate_server::prelude::*;`.
//!
//! - defining a game: [`Game`], [`SchemaBuilder`], [`Kind`], [`Field`], [`InputField`],
//!   [`PrivateField`], [`MessageType`], [`EventType`], the field markers [`Angle`], [`Fixed`],
//!   [`Velocity`], and [`SchemaError`] for a declaration that does not check;
//! - its rules: [`GameRules`], [`Ctx`], [`RulesConfig`], [`JoinRequest`], [`JoinOptions`],
//!   [`Identity`], [`Spawn`], [`PlayerId`], [`PlayerInput`], [`PlayerView`], [`ClientMessage`],
//!   [`Deadline`], refusals ([`JoinRefusal`], [`Refusal`]) and [`LeaveReason`];
//! - the world: [`World`], [`Entity`], [`EntityKey`], [`Rect`], [`RayHit`], [`WorldError`], and
//!   [`segment_box`] for a segment against any box;
//! - lag compensation: [`PositionHistory`] (with its [`PastFrame`]s of [`PastBox`]es), where entities
//!   were on recent ticks;
//! - math: [`Vec2`] (glam), and [`BUTTON_ACTION`];
//! - deriving TypeScript types for message and event payloads: [`TS`] (from `ts-rs`; put
//!   `#[derive(TS)]` next to `Serialize`/`Deserialize`).

pub use glam::Vec2;
pub use std::time::Duration;
pub use tickstate_shared::BUTTON_ACTION;
pub use tickstate_shared::schema::SchemaError;
pub use ts_rs::TS;

pub use crate::rules::{
    ClientMessage, Ctx, Deadline, Game, GameRules, Identity, JoinOptions, JoinRefusal, JoinRequest, LeaveReason,
    PastBox, PastFrame, PlayerId, PlayerInput, PlayerView, PositionHistory, Refusal, RulesConfig, Spawn,
};
pub use crate::schema::{
    Angle, EventType, Field, FieldKind, Fixed, InputField, Kind, MessageType, PrivateField, SchemaBuilder, Velocity,
};
pub use crate::sim::collide::segment_box;
pub use crate::sim::{Entity, EntityKey, RayHit, Rect, World, WorldError};
