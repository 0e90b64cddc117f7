//! Game-declared state: what a game puts on the wire beside an entity's id, kind and position.
//!
//! A game declares, once per server, its entity **kinds** and each kind's **fields** (an angle, a
//! bounded integer, a flag, a quantized float, a velocity), the extra **input** fields its clients
//! send after `[seq, dx, dy, buttons]`, the **private** per-player fields only that player sees,
//! and the names of the **messages** clients may send and the **events** the server sends. The
//! server sends this description in `welcome.schema` ([`SchemaDoc`]), so a client can decode any
//! game's snapshots with no game-specific code.
//!
//! Every field is quantized to a fixed number of bits ([`FieldType::bits`]); an entity record's
//! fields are bit-packed after its 7-byte head ([`pack_fields`], [`unpack_fields`]). The
//! quantization is normative (PROTOCOL.md "Field types"): the TypeScript decoder does the same
//! arithmetic in 32-bit floats.

use std::f32::consts::TAU;

use serde::{Deserialize, Serialize};

/// Largest number of fields one kind (or the input, or the private state) may declare.
pub const MAX_FIELDS: usize = 16;
/// Highest entity kind: kinds are 1..=127 (bit 7 of the record's kind byte is the away flag).
pub const MAX_KIND: u8 = 127;
/// Longest field, kind, message or event name, in bytes.
pub const MAX_NAME_BYTES: usize = 32;

/// The type and quantization of one declared field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldType {
    /// An angle in radians, wrapped into `[0, 2π)` and quantized to `bits` (1..=16) bits:
    /// `q = round(a / 2π · 2^bits) mod 2^bits`.
    Angle {
        /// Bits on the wire.
        bits: u8,
    },
    /// An unsigned integer in `0..=max` (`max` ≥ 1), as few bits as `max` needs.
    Uint {
        /// Largest value.
        max: u32,
    },
    /// A signed integer in `min..=max`, sent as `v - min`.
    Int {
        /// Smallest value.
        min: i32,
        /// Largest value.
        max: i32,
    },
    /// A boolean, one bit.
    Flag,
    /// A float in `[min, max]` quantized to `steps + 1` evenly spaced values:
    /// `q = round((v - min) / (max - min) · steps)`.
    Fixed {
        /// Smallest value.
        min: f32,
        /// Largest value.
        max: f32,
        /// Number of steps between `min` and `max` (1..=2^24).
        steps: u32,
    },
    /// A 2D velocity in units per second; each component is clamped to `[-max, max]` and quantized
    /// to `bits` (2..=16) bits, zero exactly representable.
    Velocity {
        /// Largest magnitude of a component.
        max: f32,
        /// Bits per component.
        bits: u8,
    },
}

/// A field's value in natural units (what rules read and write, what clients get back).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue {
    /// Radians.
    Angle(f32),
    /// An unsigned integer.
    Uint(u32),
    /// A signed integer.
    Int(i32),
    /// A boolean.
    Flag(bool),
    /// A float.
    Fixed(f32),
    /// A velocity `[x, y]` in units per second.
    Velocity([f32; 2]),
}

/// Why a declaration is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A kind outside 1..=127.
    #[error("kind {0} is outside 1..=127 (bit 7 of the kind byte is the away flag)")]
    KindOutOfRange(u16),
    /// Two kinds with the same id.
    #[error("kind {0} is declared twice")]
    DuplicateKind(u8),
    /// Two things with the same name in one list.
    #[error("{what} name {name:?} is declared twice")]
    DuplicateName {
        /// Which list.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// An empty or too long name, or one with characters other than `A-Z a-z 0-9 _`.
    #[error("{what} name {name:?} must be 1-32 characters of A-Z a-z 0-9 _")]
    BadName {
        /// Which list.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// More than [`MAX_FIELDS`] fields in one list.
    #[error("{what} declares {count} fields; at most 16 are allowed")]
    TooManyFields {
        /// Which list.
        what: String,
        /// How many.
        count: usize,
    },
    /// A field whose parameters are out of range.
    #[error("field {name:?}: {why}")]
    BadField {
        /// The field.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// An event or message name the engine uses itself.
    #[error("{0:?} is an engine event name; pick another")]
    ReservedName(String),
}

impl FieldType {
    /// Bits this field takes in a record (both components for a velocity).
    pub fn bits(&self) -> u32 {
        match *self {
            FieldType::Angle { bits } => u32::from(bits),
            FieldType::Uint { max } => bits_for(u64::from(max)),
            FieldType::Int { min, max } => bits_for((i64::from(max) - i64::from(min)).max(0) as u64),
            FieldType::Flag => 1,
            FieldType::Fixed { steps, .. } => bits_for(u64::from(steps)),
            FieldType::Velocity { bits, .. } => 2 * u32::from(bits),
        }
    }

    /// The wire name of the type (`"angle"`, `"uint"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::Angle { .. } => "angle",
            FieldType::Uint { .. } => "uint",
            FieldType::Int { .. } => "int",
            FieldType::Flag => "flag",
            FieldType::Fixed { .. } => "fixed",
            FieldType::Velocity { .. } => "velocity",
        }
    }

    /// The value a field has before anything sets it.
    pub fn default_value(&self) -> FieldValue {
        match *self {
            FieldType::Angle { .. } => FieldValue::Angle(0.0),
            FieldType::Uint { .. } => FieldValue::Uint(0),
            FieldType::Int { min, max } => FieldValue::Int(0i32.clamp(min, max.max(min))),
            FieldType::Flag => FieldValue::Flag(false),
            FieldType::Fixed { min, max, .. } => FieldValue::Fixed(0f32.clamp(min, max.max(min))),
            FieldType::Velocity { .. } => FieldValue::Velocity([0.0, 0.0]),
        }
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`SchemaError::BadField`] naming the problem.
    pub fn validate(&self, name: &str) -> Result<(), SchemaError> {
        let bad = |why: String| {
            Err(SchemaError::BadField {
                name: name.to_owned(),
                why,
            })
        };
        match *self {
            FieldType::Angle { bits } if !(1..=16).contains(&bits) => bad(format!("angle bits {bits} not in 1..=16")),
            FieldType::Uint { max: 0 } => bad("uint max must be at least 1".into()),
            FieldType::Int { min, max } if min >= max => bad(format!("int min {min} must be below max {max}")),
            FieldType::Fixed { min, max, steps } => {
                if !(min.is_finite() && max.is_finite() && min < max) {
                    bad(format!("fixed range [{min}, {max}] must be finite with min < max"))
                } else if !(1..=1 << 24).contains(&steps) {
                    bad(format!("fixed steps {steps} not in 1..=16777216"))
                } else {
                    Ok(())
                }
            }
            FieldType::Velocity { max, bits } => {
                if !(max.is_finite() && max > 0.0) {
                    bad(format!("velocity max {max} must be finite and positive"))
                } else if !(2..=16).contains(&bits) {
                    bad(format!("velocity bits {bits} not in 2..=16"))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// A `Fixed` field for `[min, max]` with at least the given precision (the step is at most
    /// `precision`). Out-of-range parameters are caught by [`FieldType::validate`].
    pub fn fixed(min: f32, max: f32, precision: f32) -> Self {
        let steps = if precision > 0.0 && precision.is_finite() && max > min {
            // f32 precisions like 0.01 are a hair off in binary: allow for it before rounding up.
            let exact = (f64::from(max) - f64::from(min)) / f64::from(precision);
            (exact - exact * 1e-6).ceil().clamp(1.0, 4.3e9) as u32
        } else {
            0
        };
        FieldType::Fixed { min, max, steps }
    }

    /// Brings a value into the field's domain the way the engine stores it: angles wrapped into
    /// `[0, 2π)`, numbers clamped to the range, NaN to the default. A value of another type gives
    /// the field's default.
    pub fn normalize(&self, v: FieldValue) -> FieldValue {
        match (*self, v) {
            (FieldType::Angle { .. }, FieldValue::Angle(a)) => FieldValue::Angle(wrap_angle(a)),
            (FieldType::Uint { max }, FieldValue::Uint(u)) => FieldValue::Uint(u.min(max)),
            (FieldType::Int { min, max }, FieldValue::Int(i)) => FieldValue::Int(i.clamp(min, max)),
            (FieldType::Flag, FieldValue::Flag(b)) => FieldValue::Flag(b),
            (FieldType::Fixed { min, max, .. }, FieldValue::Fixed(f)) if !f.is_nan() => {
                FieldValue::Fixed(f.clamp(min, max))
            }
            (FieldType::Velocity { .. }, FieldValue::Velocity([x, y])) => {
                let fix = |c: f32| if c.is_finite() { c } else { 0.0 };
                FieldValue::Velocity([fix(x), fix(y)])
            }
            _ => self.default_value(),
        }
    }

    /// The quantized form of a value (its [`FieldType::bits`] low bits).
    pub fn quantize(&self, v: FieldValue) -> u64 {
        self.quantize_normalized(self.normalize(v))
    }

    /// [`FieldType::quantize`] of a value that is already [`FieldType::normalize`]d (what the
    /// engine stores), without normalizing it again. Same as [`FieldCodec::quantize`].
    #[inline]
    pub fn quantize_normalized(&self, v: FieldValue) -> u64 {
        FieldCodec::new(self).quantize(v)
    }

    /// The value a quantized form stands for (f32 arithmetic in the order PROTOCOL.md gives).
    pub fn dequantize(&self, q: u64) -> FieldValue {
        match *self {
            FieldType::Angle { bits } => {
                let n = 1u64 << bits;
                FieldValue::Angle((q % n) as f32 * (TAU / n as f32))
            }
            FieldType::Uint { max } => FieldValue::Uint((q.min(u64::from(max))) as u32),
            FieldType::Int { min, max } => {
                FieldValue::Int((i64::from(min) + q as i64).clamp(i64::from(min), i64::from(max)) as i32)
            }
            FieldType::Flag => FieldValue::Flag(q & 1 == 1),
            FieldType::Fixed { min, max, steps } => {
                let q = q.min(u64::from(steps)) as f32;
                FieldValue::Fixed(min + q * ((max - min) / steps as f32))
            }
            FieldType::Velocity { max, bits } => {
                let m = (1i64 << (bits - 1)) - 1;
                let mask = (1u64 << bits) - 1;
                let c = |raw: u64| ((raw as i64 - m).clamp(-m, m)) as f32 * (max / m as f32);
                FieldValue::Velocity([c(q & mask), c((q >> bits) & mask)])
            }
        }
    }
}

/// A field type with its quantization constants worked out once (the divisions of PROTOCOL.md's
/// formulas become multiplications by a precomputed scale), for packing many records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldCodec {
    /// `q = round(a · (2^bits / τ)) mod 2^bits`.
    Angle {
        /// `2^bits / τ`.
        scale: f32,
        /// `2^bits - 1`.
        mask: u64,
    },
    /// `q = v`.
    Uint,
    /// `q = v - min`.
    Int {
        /// Smallest value.
        min: i32,
    },
    /// `q = v`.
    Flag,
    /// `q = min(round((v - min) · (steps / (max - min))), steps)`.
    Fixed {
        /// Smallest value.
        min: f32,
        /// `steps / (max - min)`.
        scale: f32,
        /// Steps.
        steps: u64,
    },
    /// Per component `round(clamp(c · (m / max), -m, m)) + m` with `m = 2^(bits-1) - 1`.
    Velocity {
        /// `m / max`.
        scale: f32,
        /// `m`.
        m: f32,
        /// Bits per component.
        bits: u32,
    },
}

impl FieldCodec {
    /// The codec of a (valid) field type.
    pub fn new(ty: &FieldType) -> Self {
        match *ty {
            FieldType::Angle { bits } => {
                let n = 1u64 << bits.min(16);
                FieldCodec::Angle {
                    scale: n as f32 / TAU,
                    mask: n - 1,
                }
            }
            FieldType::Uint { .. } => FieldCodec::Uint,
            FieldType::Int { min, .. } => FieldCodec::Int { min },
            FieldType::Flag => FieldCodec::Flag,
            FieldType::Fixed { min, max, steps } => FieldCodec::Fixed {
                min,
                scale: steps as f32 / (max - min),
                steps: u64::from(steps),
            },
            FieldType::Velocity { max, bits } => {
                let m = ((1u32 << (bits.clamp(2, 16) - 1)) - 1) as f32;
                FieldCodec::Velocity {
                    scale: m / max,
                    m,
                    bits: u32::from(bits),
                }
            }
        }
    }

    /// The quantized form of a normalized value (see [`FieldType::normalize`]); a value of another
    /// type gives 0.
    #[inline]
    pub fn quantize(&self, v: FieldValue) -> u64 {
        match (*self, v) {
            (FieldCodec::Angle { scale, mask }, FieldValue::Angle(a)) => u64::from(round_unsigned(a * scale)) & mask,
            (FieldCodec::Uint, FieldValue::Uint(u)) => u64::from(u),
            (FieldCodec::Int { min }, FieldValue::Int(i)) => (i64::from(i) - i64::from(min)) as u64,
            (FieldCodec::Flag, FieldValue::Flag(b)) => u64::from(b),
            (FieldCodec::Fixed { min, scale, steps }, FieldValue::Fixed(f)) => {
                u64::from(round_unsigned((f - min) * scale)).min(steps)
            }
            (FieldCodec::Velocity { scale, m, bits }, FieldValue::Velocity([x, y])) => {
                let q = |c: f32| (round_signed((c * scale).clamp(-m, m)) + m as i32) as u32 as u64;
                q(x) | (q(y) << bits)
            }
            _ => 0,
        }
    }
}

/// Wraps an angle into `[0, 2π)`; non-finite angles become 0.
pub fn wrap_angle(a: f32) -> f32 {
    if !a.is_finite() {
        return 0.0;
    }
    let w = a.rem_euclid(TAU);
    // rem_euclid can return TAU itself for tiny negative inputs after rounding.
    if w >= TAU { 0.0 } else { w }
}

/// `x.round()` as an integer for a finite `x >= 0` (half away from zero), without the libm call
/// `f32::round` compiles to on baseline x86-64, and through 32-bit signed conversions (one
/// instruction each way, where unsigned and 64-bit ones are longer sequences). `x - trunc(x)` is
/// exact in f32, so the result is `f32::round`'s for every `x` below 2^31; larger `x` saturate at
/// `i32::MAX`, negative or NaN `x` give 0, like a cast. Every quantity the codecs round is far
/// below 2^31 (at most 2^24 steps).
#[inline]
pub(crate) fn round_unsigned(x: f32) -> u32 {
    let t = x as i32;
    let r = if x - t as f32 >= 0.5 { t.saturating_add(1) } else { t };
    r.max(0) as u32
}

/// `x.round()` for a finite `x` of magnitude below 2^31 (half away from zero), like
/// [`round_unsigned`].
#[inline]
fn round_signed(x: f32) -> i32 {
    if x < 0.0 {
        -(round_unsigned(-x) as i32)
    } else {
        round_unsigned(x) as i32
    }
}

fn bits_for(max: u64) -> u32 {
    64 - max.leading_zeros()
}

/// One declared field: a name and a type.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// The name clients see (`hp`, `angle`).
    pub name: String,
    /// Type and quantization.
    pub ty: FieldType,
}

/// One declared entity kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindDef {
    /// The kind byte in snapshots, 1..=127.
    pub id: u8,
    /// The kind's name (`ship`, `bullet`).
    pub name: String,
    /// Its fields, in record order.
    pub fields: Vec<FieldDef>,
}

/// A message clients may send (Socket.IO event name and the largest payload accepted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDef {
    /// The event name.
    pub name: String,
    /// Largest payload in bytes (MessagePack) the server accepts.
    pub max_bytes: u32,
}

/// `welcome.schema`: everything a client needs to decode this game's snapshots and speak its
/// inputs and messages.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SchemaDoc {
    /// Entity kinds with their fields.
    pub kinds: Vec<KindDef>,
    /// Extra input fields, sent after `[seq, dx, dy, buttons]` in this order.
    pub input: Vec<FieldDef>,
    /// Private per-player fields, sent only to that player in its snapshots.
    pub private: Vec<FieldDef>,
    /// Messages clients may send.
    pub messages: Vec<MessageDef>,
    /// Events the server may send (besides the engine's own).
    pub events: Vec<String>,
}

/// Event names the engine sends or handles itself; games cannot declare them.
pub const RESERVED_EVENTS: &[&str] = &[
    "welcome",
    "snapshot",
    "joined",
    "left",
    "bye",
    "input",
    "ping",
    "snapshot_ack",
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

fn check_name(what: &'static str, name: &str) -> Result<(), SchemaError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(SchemaError::BadName {
            what,
            name: name.to_owned(),
        })
    }
}

fn check_fields(what: &str, fields: &[FieldDef]) -> Result<(), SchemaError> {
    if fields.len() > MAX_FIELDS {
        return Err(SchemaError::TooManyFields {
            what: what.to_owned(),
            count: fields.len(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for f in fields {
        check_name("field", &f.name)?;
        f.ty.validate(&f.name)?;
        if !seen.insert(f.name.as_str()) {
            return Err(SchemaError::DuplicateName {
                what: "field",
                name: f.name.clone(),
            });
        }
    }
    Ok(())
}

impl SchemaDoc {
    /// Checks every rule of the declaration (kinds in range and unique, names valid and unique,
    /// field parameters, at most [`MAX_FIELDS`] per list, no engine event names).
    ///
    /// # Errors
    /// The first [`SchemaError`] found.
    pub fn validate(&self) -> Result<(), SchemaError> {
        let mut ids = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for k in &self.kinds {
            if k.id == 0 || k.id > MAX_KIND {
                return Err(SchemaError::KindOutOfRange(u16::from(k.id)));
            }
            if !ids.insert(k.id) {
                return Err(SchemaError::DuplicateKind(k.id));
            }
            check_name("kind", &k.name)?;
            if !names.insert(k.name.as_str()) {
                return Err(SchemaError::DuplicateName {
                    what: "kind",
                    name: k.name.clone(),
                });
            }
            check_fields(&format!("kind {:?}", k.name), &k.fields)?;
        }
        check_fields("input", &self.input)?;
        check_fields("private", &self.private)?;
        let mut events = std::collections::HashSet::new();
        for (what, name) in self
            .messages
            .iter()
            .map(|m| ("message", m.name.as_str()))
            .chain(self.events.iter().map(|e| ("event", e.as_str())))
        {
            check_name(what, name)?;
            if RESERVED_EVENTS.contains(&name) {
                return Err(SchemaError::ReservedName(name.to_owned()));
            }
            if !events.insert((what, name)) {
                return Err(SchemaError::DuplicateName {
                    what,
                    name: name.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// The declared kind with this id.
    pub fn kind(&self, id: u8) -> Option<&KindDef> {
        self.kinds.iter().find(|k| k.id == id)
    }
}

/// Bytes the bit-packed fields take (rounded up to whole bytes).
pub fn packed_len(fields: &[FieldDef]) -> usize {
    let bits: u32 = fields.iter().map(|f| f.ty.bits()).sum();
    bits.div_ceil(8) as usize
}

/// Appends `values` (one per field, in order) bit-packed LSB-first to `out`, padded with zero bits
/// to a whole byte. Missing values take the field's default; extra ones are ignored.
pub fn pack_fields(fields: &[FieldDef], values: impl IntoIterator<Item = FieldValue>, out: &mut Vec<u8>) {
    let mut w = BitWriter::new(out);
    let mut values = values.into_iter();
    for f in fields {
        let v = values.next().unwrap_or_else(|| f.ty.default_value());
        w.write(f.ty.quantize(v), f.ty.bits());
    }
    w.finish();
}

/// Packs one kind's fields from values that are already normalized (what the engine stores, one
/// per field), with each field's [`FieldCodec`], bit offset and mask worked out once: the same
/// bytes as [`pack_fields`], without normalizing again. Missing values are packed as zero bits.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPacker {
    ops: Vec<PackOp>,
    bytes: usize,
    /// All fields fit in one 64-bit word: the common case gets a loop without word flushes.
    one_word: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct PackOp {
    codec: FieldCodec,
    bits: u32,
    /// Offset in the record's bits (used when all fields fit one word).
    shift: u32,
    mask: u64,
}

impl FieldPacker {
    /// The packer of a (valid) field list.
    pub fn new(fields: &[FieldDef]) -> Self {
        let mut shift = 0u32;
        let ops = fields
            .iter()
            .map(|f| {
                let bits = f.ty.bits().min(64);
                let op = PackOp {
                    codec: FieldCodec::new(&f.ty),
                    bits,
                    shift: shift.min(63),
                    mask: if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 },
                };
                shift += bits;
                op
            })
            .collect();
        Self {
            ops,
            bytes: packed_len(fields),
            one_word: shift <= 64,
        }
    }

    /// Bytes the packed fields take.
    pub fn len(&self) -> usize {
        self.bytes
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Appends the packed fields to `out`.
    pub fn pack(&self, values: &[FieldValue], out: &mut Vec<u8>) {
        let at = out.len();
        out.resize(at + self.bytes + 8, 0);
        let end = self.pack_at(values, out, at);
        out.truncate(end);
    }

    /// Writes the packed fields at byte `pos` of `buf` and returns the byte position after them.
    /// It stores whole 8-byte words, so `buf` needs 8 bytes of room beyond the packed fields: the
    /// word that spills past them holds only zero bits, and the next record overwrites it. A
    /// buffer without that room stops the writing early (a sizing bug, never input-driven), so
    /// callers size it from the schema's longest record.
    #[inline]
    pub fn pack_at(&self, values: &[FieldValue], buf: &mut [u8], pos: usize) -> usize {
        if self.one_word {
            if self.ops.is_empty() {
                return pos;
            }
            let mut acc = 0u64;
            for (i, op) in self.ops.iter().enumerate() {
                let q = values.get(i).map_or(0, |v| op.codec.quantize(*v));
                acc |= (q & op.mask) << op.shift;
            }
            let Some(word) = buf.get_mut(pos..pos + 8) else {
                return pos;
            };
            word.copy_from_slice(&acc.to_le_bytes());
            return pos + self.bytes;
        }
        let mut pos = pos;
        let mut acc = 0u64;
        let mut n = 0u32;
        for (i, op) in self.ops.iter().enumerate() {
            let q = values.get(i).map_or(0, |v| op.codec.quantize(*v)) & op.mask;
            acc |= q << n;
            if n + op.bits < 64 {
                n += op.bits;
            } else {
                let Some(word) = buf.get_mut(pos..pos + 8) else {
                    return pos;
                };
                word.copy_from_slice(&acc.to_le_bytes());
                pos += 8;
                let used = 64 - n;
                acc = if used == 64 { 0 } else { q >> used };
                n = op.bits - used;
            }
        }
        if n > 0 {
            let Some(word) = buf.get_mut(pos..pos + 8) else {
                return pos;
            };
            word.copy_from_slice(&acc.to_le_bytes());
            pos += n.div_ceil(8) as usize;
        }
        pos
    }
}

/// Reads bit-packed fields from the front of `bytes` (exactly [`packed_len`] bytes are used).
/// `None` when `bytes` is too short.
pub fn unpack_fields(fields: &[FieldDef], bytes: &[u8]) -> Option<Vec<FieldValue>> {
    let len = packed_len(fields);
    let mut r = BitReader::new(bytes.get(..len)?);
    Some(fields.iter().map(|f| f.ty.dequantize(r.read(f.ty.bits()))).collect())
}

/// Writes bit fields LSB-first into a byte vector.
pub struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    n: u32,
}

impl<'a> BitWriter<'a> {
    /// A writer appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out, acc: 0, n: 0 }
    }

    /// Appends the low `bits` (0..=64) bits of `v`.
    #[inline]
    pub fn write(&mut self, v: u64, bits: u32) {
        let bits = bits.min(64);
        if bits == 0 {
            return;
        }
        let v = if bits == 64 { v } else { v & ((1u64 << bits) - 1) };
        // Invariant: `n < 64` between calls, so the shifts below stay in range.
        self.acc |= v << self.n;
        if self.n + bits < 64 {
            self.n += bits;
        } else {
            // The accumulator is full: flush its 8 bytes and keep the bits that did not fit.
            self.out.extend_from_slice(&self.acc.to_le_bytes());
            let used = 64 - self.n;
            self.acc = if used == 64 { 0 } else { v >> used };
            self.n = bits - used;
        }
    }

    /// Flushes the last partial bytes (zero-padded).
    pub fn finish(mut self) {
        let bytes = self.n.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.acc.to_le_bytes()[..bytes]);
        self.acc = 0;
        self.n = 0;
    }
}

/// Reads bit fields LSB-first; reading past the end gives zero bits.
pub struct BitReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// Reads `bits` (0..=64) bits.
    #[inline]
    pub fn read(&mut self, bits: u32) -> u64 {
        let bits = bits.min(64);
        let mut v = 0u64;
        let mut got = 0u32;
        while got < bits {
            let byte = self.bytes.get(self.pos / 8).copied().unwrap_or(0);
            let offset = (self.pos % 8) as u32;
            let take = (8 - offset).min(bits - got);
            let part = (u64::from(byte) >> offset) & ((1u64 << take) - 1);
            v |= part << got;
            got += take;
            self.pos += take as usize;
        }
        v
    }
}

// ---- serde: fields are maps `{ name, type, bits, ... }` on the wire ---------------------------

#[derive(Serialize, Deserialize)]
struct FieldWire {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    bits: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    steps: Option<u32>,
}

impl Serialize for FieldDef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (min, max, steps) = match self.ty {
            FieldType::Angle { .. } | FieldType::Flag => (None, None, None),
            FieldType::Uint { max } => (None, Some(f64::from(max)), None),
            FieldType::Int { min, max } => (Some(f64::from(min)), Some(f64::from(max)), None),
            FieldType::Fixed { min, max, steps } => (Some(f64::from(min)), Some(f64::from(max)), Some(steps)),
            FieldType::Velocity { max, .. } => (None, Some(f64::from(max)), None),
        };
        let bits = match self.ty {
            FieldType::Velocity { bits, .. } => u32::from(bits),
            other => other.bits(),
        };
        FieldWire {
            name: self.name.clone(),
            ty: self.ty.name().to_owned(),
            bits,
            min,
            max,
            steps,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for FieldDef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let w = FieldWire::deserialize(d)?;
        let need = |v: Option<f64>, what: &str| v.ok_or_else(|| D::Error::custom(format!("{} needs {what}", w.ty)));
        let small = |b: u32| u8::try_from(b).map_err(|_| D::Error::custom("bits out of range"));
        let ty = match w.ty.as_str() {
            "angle" => FieldType::Angle { bits: small(w.bits)? },
            "uint" => FieldType::Uint {
                max: need(w.max, "max")? as u32,
            },
            "int" => FieldType::Int {
                min: need(w.min, "min")? as i32,
                max: need(w.max, "max")? as i32,
            },
            "flag" => FieldType::Flag,
            "fixed" => FieldType::Fixed {
                min: need(w.min, "min")? as f32,
                max: need(w.max, "max")? as f32,
                steps: w.steps.ok_or_else(|| D::Error::custom("fixed needs steps"))?,
            },
            "velocity" => FieldType::Velocity {
                max: need(w.max, "max")? as f32,
                bits: small(w.bits)?,
            },
            other => return Err(D::Error::custom(format!("unknown field type {other:?}"))),
        };
        Ok(FieldDef { name: w.name, ty })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fast_rounding_is_f32_round() {
        let mut x = 0.0f32;
        let edge = [0.5f32, 1.5, 2.5, 0.49999997, 0.50000006, 8_388_607.5, 1e-45, 65_534.5];
        for v in edge {
            assert_eq!(super::round_unsigned(v), v.round() as u32, "{v}");
            assert_eq!(super::round_signed(-v), (-v).round() as i32, "-{v}");
        }
        while x < 70_000.0 {
            assert_eq!(super::round_unsigned(x), x.round() as u32, "{x}");
            assert_eq!(super::round_signed(-x), (-x).round() as i32, "-{x}");
            x += 0.013_7;
        }
    }

    #[test]
    fn bit_writer_and_reader_round_trip_any_widths() {
        let widths = [1u32, 7, 13, 64, 3, 32, 1, 16, 63, 2, 9, 24, 5, 64, 64, 11];
        let mut out = Vec::new();
        let mut w = BitWriter::new(&mut out);
        let value = |i: usize, b: u32| {
            let x = 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1);
            if b == 64 { x } else { x & ((1 << b) - 1) }
        };
        for (i, b) in widths.iter().enumerate() {
            w.write(value(i, *b), *b);
        }
        w.finish();
        let total: u32 = widths.iter().sum();
        assert_eq!(out.len(), total.div_ceil(8) as usize);
        let mut r = BitReader::new(&out);
        for (i, b) in widths.iter().enumerate() {
            assert_eq!(r.read(*b), value(i, *b), "field {i} of {b} bits");
        }
    }

    use super::*;

    fn f(name: &str, ty: FieldType) -> FieldDef {
        FieldDef { name: name.into(), ty }
    }

    #[test]
    fn bit_widths() {
        assert_eq!(FieldType::Angle { bits: 8 }.bits(), 8);
        assert_eq!(FieldType::Uint { max: 100 }.bits(), 7);
        assert_eq!(FieldType::Uint { max: 255 }.bits(), 8);
        assert_eq!(FieldType::Uint { max: u32::MAX }.bits(), 32);
        assert_eq!(FieldType::Int { min: -8, max: 7 }.bits(), 4);
        assert_eq!(FieldType::Flag.bits(), 1);
        assert_eq!(FieldType::fixed(0.0, 1.0, 0.01).bits(), 7);
        assert_eq!(
            FieldType::fixed(0.0, 1.0, 0.01),
            FieldType::Fixed {
                min: 0.0,
                max: 1.0,
                steps: 100
            }
        );
        assert_eq!(
            FieldType::fixed(0.0, 2.0, 0.01),
            FieldType::Fixed {
                min: 0.0,
                max: 2.0,
                steps: 200
            }
        );
        assert_eq!(
            FieldType::fixed(0.0, 1.0, 0.3),
            FieldType::Fixed {
                min: 0.0,
                max: 1.0,
                steps: 4
            }
        );
        assert_eq!(FieldType::Velocity { max: 900.0, bits: 12 }.bits(), 24);
    }

    #[test]
    fn angles_wrap_and_quantize_to_the_nearest_step() {
        let t = FieldType::Angle { bits: 8 };
        assert_eq!(t.quantize(FieldValue::Angle(0.0)), 0);
        assert_eq!(t.quantize(FieldValue::Angle(TAU)), 0, "2π is 0");
        assert_eq!(t.quantize(FieldValue::Angle(-TAU / 4.0)), 192, "-π/2 is 3π/2");
        assert_eq!(
            t.quantize(FieldValue::Angle(TAU - 0.001)),
            0,
            "just below 2π rounds to 0"
        );
        assert_eq!(t.quantize(FieldValue::Angle(f32::NAN)), 0);
        let FieldValue::Angle(a) = t.dequantize(64) else {
            panic!()
        };
        assert!((a - TAU / 4.0).abs() < 1e-6);
        for i in 0..1000 {
            let a = i as f32 * 0.0137 - 3.0;
            let FieldValue::Angle(b) = t.dequantize(t.quantize(FieldValue::Angle(a))) else {
                panic!()
            };
            let err = (wrap_angle(a) - b).abs();
            let err = err.min(TAU - err);
            assert!(err <= TAU / 512.0 + 1e-5, "{a} came back as {b}");
        }
    }

    #[test]
    fn numbers_clamp_into_their_range() {
        let u = FieldType::Uint { max: 100 };
        assert_eq!(u.quantize(FieldValue::Uint(250)), 100);
        let i = FieldType::Int { min: -5, max: 5 };
        assert_eq!(i.quantize(FieldValue::Int(-9)), 0);
        assert_eq!(i.dequantize(10), FieldValue::Int(5));
        let x = FieldType::fixed(-1.0, 1.0, 0.01);
        assert_eq!(x.dequantize(x.quantize(FieldValue::Fixed(3.0))), FieldValue::Fixed(1.0));
        assert_eq!(
            x.dequantize(x.quantize(FieldValue::Fixed(-1.0))),
            FieldValue::Fixed(-1.0)
        );
        let FieldValue::Fixed(h) = x.dequantize(x.quantize(FieldValue::Fixed(0.123))) else {
            panic!()
        };
        assert!((h - 0.123).abs() <= 0.005 + 1e-6);
        assert_eq!(x.quantize(FieldValue::Fixed(f32::NAN)), x.quantize(x.default_value()));
        assert_eq!(
            u.quantize(FieldValue::Flag(true)),
            0,
            "a value of another type is the default"
        );
    }

    #[test]
    fn velocity_keeps_zero_exact_and_saturates() {
        let v = FieldType::Velocity { max: 800.0, bits: 12 };
        assert_eq!(
            v.dequantize(v.quantize(FieldValue::Velocity([0.0, 0.0]))),
            FieldValue::Velocity([0.0, 0.0])
        );
        assert_eq!(
            v.dequantize(v.quantize(FieldValue::Velocity([1e9, -1e9]))),
            FieldValue::Velocity([800.0, -800.0])
        );
        let FieldValue::Velocity([x, y]) = v.dequantize(v.quantize(FieldValue::Velocity([123.4, -55.5]))) else {
            panic!()
        };
        let step = 800.0 / 2047.0;
        assert!((x - 123.4).abs() <= step / 2.0 + 1e-3 && (y + 55.5).abs() <= step / 2.0 + 1e-3);
        assert_eq!(
            v.quantize(FieldValue::Velocity([f32::NAN, f32::INFINITY])),
            v.quantize(FieldValue::Velocity([0.0, 0.0]))
        );
    }

    #[test]
    fn fields_pack_lsb_first_and_round_trip() {
        let fields = vec![
            f("angle", FieldType::Angle { bits: 8 }),
            f("vel", FieldType::Velocity { max: 800.0, bits: 12 }),
            f("hp", FieldType::Uint { max: 255 }),
        ];
        assert_eq!(packed_len(&fields), 5, "8 + 24 + 8 bits");
        let values = [
            FieldValue::Angle(TAU / 4.0),
            FieldValue::Velocity([0.0, 0.0]),
            FieldValue::Uint(200),
        ];
        let mut out = Vec::new();
        pack_fields(&fields, values, &mut out);
        // angle 64; vel x = 2047 (0x7ff), y = 2047 << 12; hp 200.
        assert_eq!(out, [0x40, 0xff, 0xf7, 0x7f, 0xc8]);
        assert_eq!(unpack_fields(&fields, &out).unwrap(), values.to_vec());
        assert!(unpack_fields(&fields, &out[..4]).is_none());
        let flags = vec![
            f("a", FieldType::Flag),
            f("b", FieldType::Flag),
            f("c", FieldType::Flag),
        ];
        let mut out = Vec::new();
        pack_fields(
            &flags,
            [FieldValue::Flag(true), FieldValue::Flag(false), FieldValue::Flag(true)],
            &mut out,
        );
        assert_eq!(out, [0b101]);
    }

    #[test]
    fn wide_fields_cross_byte_and_word_boundaries() {
        let fields = vec![
            f("a", FieldType::Flag),
            f("b", FieldType::Uint { max: u32::MAX }),
            f("c", FieldType::Velocity { max: 1.0, bits: 16 }),
            f("d", FieldType::Uint { max: u32::MAX }),
        ];
        let values = [
            FieldValue::Flag(true),
            FieldValue::Uint(0xdead_beef),
            FieldValue::Velocity([-1.0, 1.0]),
            FieldValue::Uint(0x0123_4567),
        ];
        let mut out = Vec::new();
        pack_fields(&fields, values, &mut out);
        assert_eq!(out.len(), packed_len(&fields));
        assert_eq!(unpack_fields(&fields, &out).unwrap(), values.to_vec());
    }

    #[test]
    fn the_packer_gives_the_same_bytes_as_pack_fields() {
        let types = [
            FieldType::Flag,
            FieldType::Uint { max: u32::MAX },
            FieldType::Angle { bits: 11 },
            FieldType::Velocity { max: 900.0, bits: 16 },
            FieldType::Int { min: -70_000, max: 5 },
            FieldType::fixed(-3.0, 9.0, 0.001),
            FieldType::Uint { max: 100 },
        ];
        let value = |ty: &FieldType, i: u32| match *ty {
            FieldType::Flag => FieldValue::Flag(i % 2 == 1),
            FieldType::Uint { max } => FieldValue::Uint(i.wrapping_mul(0x9e37_79b9) % max.saturating_add(1).max(1)),
            FieldType::Angle { .. } => FieldValue::Angle(wrap_angle(i as f32 * 0.731)),
            FieldType::Velocity { .. } => FieldValue::Velocity([i as f32 * 3.7 - 450.0, -(i as f32) * 1.1]),
            FieldType::Int { .. } => FieldValue::Int(-(i as i32) * 977),
            FieldType::Fixed { .. } => FieldValue::Fixed(-3.0 + (i % 12) as f32 * 0.999),
        };
        // Every prefix length and rotation of the type list, so fields cross words at every offset.
        for start in 0..types.len() {
            for len in 0..=types.len() * 2 {
                let fields: Vec<FieldDef> = (0..len)
                    .map(|j| f(&format!("f{j}"), types[(start + j) % types.len()]))
                    .collect();
                let packer = FieldPacker::new(&fields);
                assert_eq!(packer.len(), packed_len(&fields));
                let values: Vec<FieldValue> = fields
                    .iter()
                    .enumerate()
                    .map(|(j, d)| d.ty.normalize(value(&d.ty, (start * 31 + j) as u32)))
                    .collect();
                let mut want = vec![0xaa];
                pack_fields(&fields, values.iter().copied(), &mut want);
                let mut buf = vec![0xaa; 1 + packed_len(&fields) + 8];
                let end = packer.pack_at(&values, &mut buf, 1);
                assert_eq!(end, want.len(), "start {start} len {len}");
                assert_eq!(&buf[..end], &want[..], "start {start} len {len}");
                let mut appended = vec![0xaa];
                packer.pack(&values, &mut appended);
                assert_eq!(appended, want);
                // Missing values pack as zero bits, like the fields' zero quantized form.
                let mut short = vec![0xaa];
                packer.pack(&values[..len / 2], &mut short);
                assert_eq!(short.len(), want.len());
            }
        }
        // No room for the spill word: the writer stops instead of panicking.
        let packer = FieldPacker::new(&[f("a", FieldType::Flag)]);
        assert_eq!(packer.pack_at(&[FieldValue::Flag(true)], &mut [0u8; 4], 0), 0);
    }

    #[test]
    fn validation_catches_bad_declarations() {
        let ok = SchemaDoc {
            kinds: vec![KindDef {
                id: 1,
                name: "ship".into(),
                fields: vec![f("hp", FieldType::Uint { max: 100 })],
            }],
            ..SchemaDoc::default()
        };
        assert_eq!(ok.validate(), Ok(()));
        let mut bad = ok.clone();
        bad.kinds[0].id = 200;
        assert_eq!(bad.validate(), Err(SchemaError::KindOutOfRange(200)));
        let mut bad = ok.clone();
        bad.kinds.push(bad.kinds[0].clone());
        assert_eq!(bad.validate(), Err(SchemaError::DuplicateKind(1)));
        let mut bad = ok.clone();
        bad.kinds[0].fields.push(f("hp", FieldType::Flag));
        assert!(matches!(bad.validate(), Err(SchemaError::DuplicateName { .. })));
        let mut bad = ok.clone();
        bad.kinds[0].fields[0].ty = FieldType::Angle { bits: 0 };
        assert!(matches!(bad.validate(), Err(SchemaError::BadField { .. })));
        let mut bad = ok.clone();
        bad.events.push("snapshot".into());
        assert_eq!(bad.validate(), Err(SchemaError::ReservedName("snapshot".into())));
        let mut bad = ok;
        bad.kinds[0].name = "has space".into();
        assert!(matches!(bad.validate(), Err(SchemaError::BadName { .. })));
    }

    #[test]
    fn field_defs_are_flat_maps_on_the_wire() {
        let defs = vec![
            f("angle", FieldType::Angle { bits: 8 }),
            f("hp", FieldType::Uint { max: 100 }),
            f("e", FieldType::fixed(0.0, 1.0, 0.01)),
            f("v", FieldType::Velocity { max: 900.0, bits: 12 }),
            f("s", FieldType::Int { min: -3, max: 3 }),
            f("on", FieldType::Flag),
        ];
        let json = serde_json::to_value(&defs).unwrap();
        assert_eq!(
            json[1],
            serde_json::json!({ "name": "hp", "type": "uint", "bits": 7, "max": 100.0 })
        );
        assert_eq!(json[3]["bits"], 12, "velocity bits are per component");
        let back: Vec<FieldDef> = serde_json::from_value(json).unwrap();
        assert_eq!(back, defs);
        let bytes = rmp_serde::to_vec_named(&defs).unwrap();
        assert_eq!(rmp_serde::from_slice::<Vec<FieldDef>>(&bytes).unwrap(), defs);
    }
}
