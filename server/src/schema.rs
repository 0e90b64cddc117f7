//! Declaring a game's state: entity kinds and their fields, input fields, private per-player
//! fields, client messages and server events.
//!
//! A game declares everything once, in the closure it gives [`Game::new`](super::Game::new), through
//! a [`SchemaBuilder`]. Each declaration returns a small typed **handle** (`Copy`, a few bytes) that
//! the rules keep and use on the tick path: `ship.get(hp)`, `world.set(key, hp, 80)`,
//! `input.get(aim)`, `msg.get(chat)`, `ctx.broadcast(kill_event, &kill)`. A handle knows its kind,
//! its slot and its type, so an access is an array index (no string lookup, no allocation), and
//! using a handle with a value of the wrong type does not compile.
//!
//! ```
//! use tickstate_server::prelude::*;
//!
//! #[derive(Clone, Copy)]
//! struct Shooter {
//!     ship: Kind,
//!     angle: Field<Angle>,
//!     hp: Field<u8>,
//!     bullet: Kind,
//!     bullet_vel: Field<Velocity>,
//!     aim: InputField<Angle>,
//! }
//!
//! fn declare(s: &mut SchemaBuilder) -> Shooter {
//!     let mut ship = s.kind(1, "ship");
//!     let angle = ship.angle("angle", 8);
//!     let hp = ship.u8("hp", 100);
//!     let ship = ship.done();
//!     let mut bullet = s.kind(2, "bullet");
//!     let bullet_vel = bullet.velocity("vel", 1200.0, 12);
//!     let bullet = bullet.done();
//!     let aim = s.input().angle("aim", 16);
//!     Shooter { ship, angle, hp, bullet, bullet_vel, aim }
//! }
//! let mut s = SchemaBuilder::new("shooter");
//! let handles = declare(&mut s);
//! let schema = s.build().unwrap();
//! assert_eq!(schema.doc().kinds.len(), 2);
//! # let _ = handles;
//! ```

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use glam::Vec2;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tickstate_shared::schema::{FieldDef, FieldType, FieldValue, KindDef, MessageDef, SchemaDoc, SchemaError};

pub use tickstate_shared::schema::{MAX_FIELDS, MAX_KIND};

/// A declared entity kind (1..=127). Only a [`SchemaBuilder`] makes them, so every `Kind` a rule
/// holds is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kind(pub(crate) u8);

impl Kind {
    /// The kind byte sent in snapshots.
    pub fn id(self) -> u8 {
        self.0
    }
}

/// How a field type maps between rules' values and the wire. Implemented by the marker types
/// [`Angle`], [`Fixed`], [`Velocity`] and by `u8`, `u16`, `u32`, `i32`, `bool`.
pub trait FieldKind: 'static {
    /// What rules read and write.
    type Value: Copy;
    /// The value as stored.
    fn to_value(v: Self::Value) -> FieldValue;
    /// The stored value as the rules' type.
    fn from_value(v: FieldValue) -> Self::Value;
}

/// Marker: an angle in radians (wraps, quantized to the declared bits).
#[derive(Debug, Clone, Copy)]
pub enum Angle {}
/// Marker: a float in a range, quantized to a precision.
#[derive(Debug, Clone, Copy)]
pub enum Fixed {}
/// Marker: a velocity (`Vec2`, units per second). The engine moves entities of a kind with a
/// velocity field each tick (unless a player owns them), and clients extrapolate them.
#[derive(Debug, Clone, Copy)]
pub enum Velocity {}

impl FieldKind for Angle {
    type Value = f32;
    fn to_value(v: f32) -> FieldValue {
        FieldValue::Angle(v)
    }
    fn from_value(v: FieldValue) -> f32 {
        match v {
            FieldValue::Angle(a) => a,
            _ => 0.0,
        }
    }
}

impl FieldKind for Fixed {
    type Value = f32;
    fn to_value(v: f32) -> FieldValue {
        FieldValue::Fixed(v)
    }
    fn from_value(v: FieldValue) -> f32 {
        match v {
            FieldValue::Fixed(a) => a,
            _ => 0.0,
        }
    }
}

impl FieldKind for Velocity {
    type Value = Vec2;
    fn to_value(v: Vec2) -> FieldValue {
        FieldValue::Velocity([v.x, v.y])
    }
    fn from_value(v: FieldValue) -> Vec2 {
        match v {
            FieldValue::Velocity([x, y]) => Vec2::new(x, y),
            _ => Vec2::ZERO,
        }
    }
}

impl FieldKind for bool {
    type Value = bool;
    fn to_value(v: bool) -> FieldValue {
        FieldValue::Flag(v)
    }
    fn from_value(v: FieldValue) -> bool {
        matches!(v, FieldValue::Flag(true))
    }
}

macro_rules! uint_kind {
    ($($t:ty),*) => {$(
        impl FieldKind for $t {
            type Value = $t;
            fn to_value(v: $t) -> FieldValue {
                FieldValue::Uint(u32::from(v))
            }
            fn from_value(v: FieldValue) -> $t {
                match v {
                    FieldValue::Uint(u) => <$t>::try_from(u).unwrap_or(<$t>::MAX),
                    _ => 0,
                }
            }
        }
    )*};
}
uint_kind!(u8, u16, u32);

impl FieldKind for i32 {
    type Value = i32;
    fn to_value(v: i32) -> FieldValue {
        FieldValue::Int(v)
    }
    fn from_value(v: FieldValue) -> i32 {
        match v {
            FieldValue::Int(i) => i,
            _ => 0,
        }
    }
}

/// A field of one entity kind. `Copy`; get it from [`KindBuilder`].
pub struct Field<T: FieldKind> {
    pub(crate) kind: u8,
    pub(crate) slot: u8,
    pub(crate) ty: FieldType,
    _t: PhantomData<fn() -> T>,
}

/// A field of the input (sent by clients after `[seq, dx, dy, buttons]`). Get it from
/// [`SchemaBuilder::input`].
pub struct InputField<T: FieldKind> {
    pub(crate) slot: u8,
    _t: PhantomData<fn() -> T>,
}

/// A private per-player field, sent only to that player. Get it from [`SchemaBuilder::private`].
pub struct PrivateField<T: FieldKind> {
    pub(crate) slot: u8,
    pub(crate) ty: FieldType,
    _t: PhantomData<fn() -> T>,
}

macro_rules! copy_handle {
    ($($h:ident),*) => {$(
        impl<T: FieldKind> Clone for $h<T> {
            fn clone(&self) -> Self { *self }
        }
        impl<T: FieldKind> Copy for $h<T> {}
        impl<T: FieldKind> fmt::Debug for $h<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($h)).field("slot", &self.slot).finish_non_exhaustive()
            }
        }
    )*};
}
copy_handle!(Field, InputField, PrivateField);

impl<T: FieldKind> Field<T> {
    /// The kind this field belongs to.
    pub fn kind(&self) -> Kind {
        Kind(self.kind)
    }

    /// Brings a value into the field's range the way it is stored (clamped, angles wrapped).
    pub fn normalize(&self, v: T::Value) -> T::Value {
        T::from_value(self.ty.normalize(T::to_value(v)))
    }
}

impl<T: FieldKind> PrivateField<T> {
    pub(crate) fn normalize(&self, v: T::Value) -> FieldValue {
        self.ty.normalize(T::to_value(v))
    }
}

/// A message clients may send, with its payload type. Get it from [`SchemaBuilder::message`].
pub struct MessageType<T> {
    pub(crate) index: u16,
    _t: PhantomData<fn() -> T>,
}

/// An event the server sends, with its payload type. Get it from [`SchemaBuilder::event`].
pub struct EventType<T> {
    pub(crate) index: u16,
    _t: PhantomData<fn(T)>,
}

macro_rules! copy_named {
    ($($h:ident),*) => {$(
        impl<T> Clone for $h<T> {
            fn clone(&self) -> Self { *self }
        }
        impl<T> Copy for $h<T> {}
        impl<T> fmt::Debug for $h<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($h)).field("index", &self.index).finish()
            }
        }
    )*};
}
copy_named!(MessageType, EventType);

/// Decodes a message payload into the declared type, boxed.
pub(crate) type PayloadDecoder = fn(&[u8]) -> Result<Box<dyn Any + Send>, String>;

fn decode_payload<T: DeserializeOwned + Send + 'static>(bytes: &[u8]) -> Result<Box<dyn Any + Send>, String> {
    rmp_serde::from_slice::<T>(bytes)
        .map(|v| Box::new(v) as Box<dyn Any + Send>)
        .map_err(|e| e.to_string())
}

/// TypeScript declarations for the code generator (from `ts-rs`).
pub(crate) struct TsType {
    /// The type's name as used in TypeScript (`Chat`, `Array<string>`).
    pub name: String,
    /// Declarations the name needs (`type Chat = { text: string, };`), dependencies included.
    pub decls: Vec<String>,
}

fn ts_type<T: ts_rs::TS + 'static + ?Sized>() -> TsType {
    let mut decls = Vec::new();
    collect_decls::<T>(&mut decls);
    TsType {
        name: T::name(&ts_rs::Config::default()),
        decls,
    }
}

fn collect_decls<T: ts_rs::TS + 'static + ?Sized>(out: &mut Vec<String>) {
    struct Visit<'a>(&'a mut Vec<String>);
    impl ts_rs::TypeVisitor for Visit<'_> {
        fn visit<U: ts_rs::TS + 'static + ?Sized>(&mut self) {
            let cfg = ts_rs::Config::default();
            if U::output_path().is_some() {
                let d = U::decl(&cfg);
                if !self.0.contains(&d) {
                    self.0.push(d);
                    U::visit_dependencies(self);
                }
            }
        }
    }
    let cfg = ts_rs::Config::default();
    if T::output_path().is_some() {
        out.push(T::decl(&cfg));
    }
    T::visit_dependencies(&mut Visit(out));
}

pub(crate) struct MessageDecl {
    pub def: MessageDef,
    pub decode: PayloadDecoder,
    pub ts: TsType,
}

pub(crate) struct EventDecl {
    pub name: Arc<str>,
    pub ts: TsType,
}

/// Default largest payload of a message, in bytes.
pub const DEFAULT_MESSAGE_BYTES: u32 = 512;

/// Collects a game's declarations; [`SchemaBuilder::build`] checks them.
pub struct SchemaBuilder {
    game: String,
    doc: SchemaDoc,
    messages: Vec<MessageDecl>,
    events: Vec<EventDecl>,
    errors: Vec<SchemaError>,
}

impl fmt::Debug for SchemaBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaBuilder")
            .field("game", &self.game)
            .field("doc", &self.doc)
            .finish()
    }
}

impl SchemaBuilder {
    /// A builder for the game called `game` (sent in `welcome.game`; 1-32 of `a-z 0-9 _`).
    pub fn new(game: &str) -> Self {
        Self {
            game: game.to_owned(),
            doc: SchemaDoc::default(),
            messages: Vec::new(),
            events: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Declares entity kind `id` (1..=127) called `name`; add its fields on the returned builder,
    /// then call [`KindBuilder::done`] for the [`Kind`] handle.
    pub fn kind(&mut self, id: u16, name: &str) -> KindBuilder<'_> {
        let byte = match u8::try_from(id) {
            Ok(b) if (1..=MAX_KIND).contains(&b) => b,
            _ => {
                self.errors.push(SchemaError::KindOutOfRange(id));
                0
            }
        };
        self.doc.kinds.push(KindDef {
            id: byte,
            name: name.to_owned(),
            fields: Vec::new(),
        });
        let index = self.doc.kinds.len() - 1;
        KindBuilder { b: self, index }
    }

    /// Declares the input fields, in the order clients send them.
    pub fn input(&mut self) -> InputBuilder<'_> {
        InputBuilder { b: self }
    }

    /// Declares private per-player fields.
    pub fn private(&mut self) -> PrivateBuilder<'_> {
        PrivateBuilder { b: self }
    }

    /// Declares a message clients may send, decoded into `T` (at most
    /// [`DEFAULT_MESSAGE_BYTES`]; see [`SchemaBuilder::message_max`]).
    pub fn message<T: DeserializeOwned + ts_rs::TS + Send + 'static>(&mut self, name: &str) -> MessageType<T> {
        self.message_max(name, DEFAULT_MESSAGE_BYTES)
    }

    /// Like [`SchemaBuilder::message`] with a payload limit in bytes of MessagePack.
    pub fn message_max<T: DeserializeOwned + ts_rs::TS + Send + 'static>(
        &mut self,
        name: &str,
        max_bytes: u32,
    ) -> MessageType<T> {
        let index = self.messages.len() as u16;
        let def = MessageDef {
            name: name.to_owned(),
            max_bytes,
        };
        self.doc.messages.push(def.clone());
        self.messages.push(MessageDecl {
            def,
            decode: decode_payload::<T>,
            ts: ts_type::<T>(),
        });
        MessageType { index, _t: PhantomData }
    }

    /// Declares an event the server sends, carrying a `T`.
    pub fn event<T: Serialize + ts_rs::TS + 'static>(&mut self, name: &str) -> EventType<T> {
        let index = self.events.len() as u16;
        self.doc.events.push(name.to_owned());
        self.events.push(EventDecl {
            name: name.into(),
            ts: ts_type::<T>(),
        });
        EventType { index, _t: PhantomData }
    }

    /// Checks every declaration.
    ///
    /// # Errors
    /// The first [`SchemaError`] (a kind outside 1..=127, a duplicate kind or name, bad field
    /// parameters, too many fields, an engine event name).
    pub fn build(self) -> Result<Schema, SchemaError> {
        if let Some(e) = self.errors.into_iter().next() {
            return Err(e);
        }
        let game_ok = !self.game.is_empty()
            && self.game.len() <= 32
            && self
                .game
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !game_ok {
            return Err(SchemaError::BadName {
                what: "game",
                name: self.game,
            });
        }
        self.doc.validate()?;
        if self.doc.input.len() > tickstate_shared::input::MAX_INPUT_FIELDS {
            return Err(SchemaError::TooManyFields {
                what: "input".into(),
                count: self.doc.input.len(),
            });
        }
        let mut layouts: Vec<Option<KindLayout>> = vec![None; 128];
        for k in &self.doc.kinds {
            let velocity = k
                .fields
                .iter()
                .position(|f| matches!(f.ty, FieldType::Velocity { .. }))
                .map(|i| i as u8);
            let more = k
                .fields
                .iter()
                .filter(|f| matches!(f.ty, FieldType::Velocity { .. }))
                .count()
                > 1;
            if more {
                return Err(SchemaError::BadField {
                    name: k.name.clone(),
                    why: "a kind may have at most one velocity field (the one the engine moves it with)".into(),
                });
            }
            layouts[usize::from(k.id)] = Some(KindLayout {
                packer: tickstate_shared::schema::FieldPacker::new(&k.fields),
                defaults: k.fields.iter().map(|f| f.ty.default_value()).collect(),
                velocity,
            });
        }
        Ok(Schema {
            game: self.game.into(),
            layout: tickstate_shared::snapshot::RecordLayout::new(&self.doc),
            doc: self.doc,
            layouts,
            messages: self.messages,
            events: self.events,
        })
    }
}

/// Adds fields to one kind.
pub struct KindBuilder<'a> {
    b: &'a mut SchemaBuilder,
    index: usize,
}

/// Adds input fields.
pub struct InputBuilder<'a> {
    b: &'a mut SchemaBuilder,
}

/// Adds private fields.
pub struct PrivateBuilder<'a> {
    b: &'a mut SchemaBuilder,
}

macro_rules! field_methods {
    ($handle:ident, $ctor:expr) => {
        /// An angle in radians quantized to `bits` (1..=16) bits (8 bits: 1.4°).
        pub fn angle(&mut self, name: &str, bits: u8) -> $handle<Angle> {
            self.add(name, FieldType::Angle { bits })
        }
        /// An integer in `0..=max` (at most 255).
        pub fn u8(&mut self, name: &str, max: u8) -> $handle<u8> {
            self.add(name, FieldType::Uint { max: u32::from(max) })
        }
        /// An integer in `0..=max` (at most 65,535).
        pub fn u16(&mut self, name: &str, max: u16) -> $handle<u16> {
            self.add(name, FieldType::Uint { max: u32::from(max) })
        }
        /// An integer in `0..=max`.
        pub fn u32(&mut self, name: &str, max: u32) -> $handle<u32> {
            self.add(name, FieldType::Uint { max })
        }
        /// A signed integer in `min..=max`.
        pub fn int(&mut self, name: &str, min: i32, max: i32) -> $handle<i32> {
            self.add(name, FieldType::Int { min, max })
        }
        /// A boolean (one bit).
        pub fn flag(&mut self, name: &str) -> $handle<bool> {
            self.add(name, FieldType::Flag)
        }
        /// A float in `[min, max]`, quantized so the error is at most `precision / 2`.
        pub fn fixed(&mut self, name: &str, min: f32, max: f32, precision: f32) -> $handle<Fixed> {
            self.add(name, FieldType::fixed(min, max, precision))
        }
        /// A velocity with components in `[-max, max]` units per second, `bits` (2..=16) bits each.
        pub fn velocity(&mut self, name: &str, max: f32, bits: u8) -> $handle<Velocity> {
            self.add(name, FieldType::Velocity { max, bits })
        }
    };
}

impl KindBuilder<'_> {
    field_methods!(Field, ());

    fn add<T: FieldKind>(&mut self, name: &str, ty: FieldType) -> Field<T> {
        let k = &mut self.b.doc.kinds[self.index];
        let slot = k.fields.len();
        k.fields.push(FieldDef {
            name: name.to_owned(),
            ty,
        });
        Field {
            kind: k.id,
            slot: slot.min(usize::from(u8::MAX)) as u8,
            ty,
            _t: PhantomData,
        }
    }

    /// The kind handle.
    pub fn done(self) -> Kind {
        Kind(self.b.doc.kinds[self.index].id)
    }
}

impl InputBuilder<'_> {
    field_methods!(InputField, ());

    fn add<T: FieldKind>(&mut self, name: &str, ty: FieldType) -> InputField<T> {
        let slot = self.b.doc.input.len();
        self.b.doc.input.push(FieldDef {
            name: name.to_owned(),
            ty,
        });
        InputField {
            slot: slot.min(usize::from(u8::MAX)) as u8,
            _t: PhantomData,
        }
    }
}

impl PrivateBuilder<'_> {
    field_methods!(PrivateField, ());

    fn add<T: FieldKind>(&mut self, name: &str, ty: FieldType) -> PrivateField<T> {
        let slot = self.b.doc.private.len();
        self.b.doc.private.push(FieldDef {
            name: name.to_owned(),
            ty,
        });
        PrivateField {
            slot: slot.min(usize::from(u8::MAX)) as u8,
            ty,
            _t: PhantomData,
        }
    }
}

/// One kind's fields as the engine uses them.
#[derive(Debug, Clone)]
pub(crate) struct KindLayout {
    /// Packs the kind's fields into snapshot records.
    pub packer: tickstate_shared::schema::FieldPacker,
    pub defaults: Vec<FieldValue>,
    /// Slot of the velocity field the engine moves entities of this kind with.
    pub velocity: Option<u8>,
}

/// A checked game declaration: what goes into `welcome.schema`, and how the engine finds each
/// kind's fields and decodes each message.
pub struct Schema {
    game: Arc<str>,
    doc: SchemaDoc,
    layout: tickstate_shared::snapshot::RecordLayout,
    layouts: Vec<Option<KindLayout>>,
    messages: Vec<MessageDecl>,
    events: Vec<EventDecl>,
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema")
            .field("game", &self.game)
            .field("doc", &self.doc)
            .finish()
    }
}

impl Schema {
    /// The game's name.
    pub fn game(&self) -> &str {
        &self.game
    }

    /// The declaration as sent in `welcome.schema`.
    pub fn doc(&self) -> &SchemaDoc {
        &self.doc
    }

    /// The record layout clients decode snapshots with.
    pub fn record_layout(&self) -> &tickstate_shared::snapshot::RecordLayout {
        &self.layout
    }

    pub(crate) fn kind_layout(&self, kind: u8) -> Option<&KindLayout> {
        self.layouts.get(usize::from(kind))?.as_ref()
    }

    /// Bytes of the longest snapshot record any declared kind has (head and packed fields).
    pub fn max_record_bytes(&self) -> usize {
        let fields = self.layouts.iter().flatten().map(|l| l.packer.len()).max();
        tickstate_shared::snapshot::RecordHead::SIZE + fields.unwrap_or(0)
    }

    /// A declared kind by its id.
    pub fn kind(&self, id: u8) -> Option<Kind> {
        self.kind_layout(id).map(|_| Kind(id))
    }

    /// The declared message called `name` (its index and limits).
    pub(crate) fn message_by_name(&self, name: &str) -> Option<(u16, &MessageDecl)> {
        self.messages
            .iter()
            .enumerate()
            .find(|(_, m)| m.def.name == name)
            .map(|(i, m)| (i as u16, m))
    }

    pub(crate) fn messages(&self) -> &[MessageDecl] {
        &self.messages
    }

    pub(crate) fn event_name(&self, index: u16) -> Option<&Arc<str>> {
        self.events.get(usize::from(index)).map(|e| &e.name)
    }

    pub(crate) fn events(&self) -> &[EventDecl] {
        &self.events
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(serde::Deserialize, serde::Serialize, ts_rs::TS)]
    struct Chat {
        text: String,
    }

    #[test]
    fn handles_index_their_slots_and_the_doc_lists_everything() {
        let mut s = SchemaBuilder::new("t");
        let mut ship = s.kind(1, "ship");
        let a = ship.angle("angle", 8);
        let hp = ship.u8("hp", 100);
        let v = ship.velocity("vel", 500.0, 10);
        let ship = ship.done();
        let aim = s.input().angle("aim", 16);
        let fire = s.input().flag("fire");
        let ammo = s.private().u8("ammo", 30);
        let chat = s.message::<Chat>("chat");
        let said = s.event::<Chat>("said");
        let schema = s.build().unwrap();
        assert_eq!((ship.id(), a.slot, hp.slot, v.slot), (1, 0, 1, 2));
        assert_eq!((aim.slot, fire.slot, ammo.slot), (0, 1, 0));
        assert_eq!((chat.index, said.index), (0, 0));
        assert_eq!(schema.doc().kinds[0].fields.len(), 3);
        assert_eq!(schema.kind_layout(1).unwrap().velocity, Some(2));
        assert_eq!(schema.doc().messages[0].max_bytes, DEFAULT_MESSAGE_BYTES);
        assert_eq!(schema.event_name(0).map(|n| &**n), Some("said"));
        assert!(schema.messages()[0].ts.decls.iter().any(|d| d.contains("text: string")));
        assert_eq!(hp.normalize(250), 100, "values are clamped to the declared range");
    }

    #[test]
    fn bad_declarations_fail_the_build_with_a_clear_error() {
        let mut s = SchemaBuilder::new("t");
        s.kind(200, "big").done();
        assert_eq!(s.build().unwrap_err(), SchemaError::KindOutOfRange(200));
        let mut s = SchemaBuilder::new("t");
        s.kind(1, "a").done();
        s.kind(1, "b").done();
        assert_eq!(s.build().unwrap_err(), SchemaError::DuplicateKind(1));
        let mut s = SchemaBuilder::new("t");
        let mut k = s.kind(1, "a");
        k.velocity("v1", 1.0, 8);
        k.velocity("v2", 1.0, 8);
        k.done();
        assert!(s.build().unwrap_err().to_string().contains("at most one velocity"));
        let mut s = SchemaBuilder::new("t");
        for i in 0..9 {
            s.input().flag(&format!("f{i}"));
        }
        assert!(matches!(s.build(), Err(SchemaError::TooManyFields { .. })));
        let mut s = SchemaBuilder::new("Bad Name");
        s.kind(1, "a").done();
        assert!(matches!(s.build(), Err(SchemaError::BadName { what: "game", .. })));
        let mut s = SchemaBuilder::new("t");
        s.event::<Chat>("welcome");
        assert_eq!(s.build().unwrap_err(), SchemaError::ReservedName("welcome".into()));
    }
}
