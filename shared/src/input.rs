//! The `input` event: `[seq, dx, dy, buttons, ...game fields]`.
//!
//! The first four elements are the engine's: a sequence number, a movement direction and a
//! buttons bitfield. After them come the fields the game declared in `schema.input` (an aim
//! angle, a weapon slot, the tick the client was showing), in declaration order. Because actions
//! travel in the same `seq`-numbered input as the movement, they get replay protection, the
//! acknowledgement, the rate limit, the jitter buffer and exactly-once delivery across a resume
//! for free.
//!
//! Decoding ([`InputMsg::decode`]) reads the bytes directly, without building a value tree or
//! allocating, and checks every game field against its declaration: a wrong type, a value out of
//! range or a non-finite number rejects the whole input with an [`InputError`] (the server counts it
//! by reason). Missing trailing game fields and `nil` take the field's default; elements after the
//! declared ones are ignored.

use serde::Serialize;
use serde::ser::SerializeSeq;

use crate::msgpack::{self, Number, ReadError, Scalar};
use crate::schema::{FieldDef, FieldType, FieldValue, wrap_angle};

/// Most game fields an input may declare.
pub const MAX_INPUT_FIELDS: usize = 8;

/// Bit of [`InputMsg::buttons`] the demo games use as their primary action (Space).
pub const BUTTON_ACTION: u32 = 1;

/// The game fields of one input, stored inline (no allocation per input).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputValues {
    vals: [FieldValue; MAX_INPUT_FIELDS],
    len: u8,
}

impl Default for InputValues {
    fn default() -> Self {
        Self {
            vals: [FieldValue::Flag(false); MAX_INPUT_FIELDS],
            len: 0,
        }
    }
}

impl InputValues {
    /// Values in declaration order (at most [`MAX_INPUT_FIELDS`]; more are ignored).
    pub fn from_slice(values: &[FieldValue]) -> Self {
        let mut v = Self::default();
        for (slot, x) in v.vals.iter_mut().zip(values) {
            *slot = *x;
        }
        v.len = values.len().min(MAX_INPUT_FIELDS) as u8;
        v
    }

    /// The values, in declaration order.
    pub fn as_slice(&self) -> &[FieldValue] {
        &self.vals[..usize::from(self.len)]
    }

    /// The value of the `i`-th declared field.
    pub fn get(&self, i: usize) -> Option<FieldValue> {
        self.as_slice().get(i).copied()
    }

    fn push(&mut self, v: FieldValue) {
        if let Some(slot) = self.vals.get_mut(usize::from(self.len)) {
            *slot = v;
            self.len += 1;
        }
    }
}

/// One sampled intent from a client.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputMsg {
    /// Starts at 1, +1 per input, wraps after `u32::MAX` to 0.
    pub seq: u32,
    /// Movement direction x (the server clamps the vector to length 1; NaN/∞ are rejected).
    pub dx: f32,
    /// Movement direction y.
    pub dy: f32,
    /// Buttons bitfield (bit 0 = the demo games' action button).
    pub buttons: u32,
    /// The game's declared input fields.
    pub values: InputValues,
}

/// Why an input was refused at decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Not an array of at least `[u32, number, number, u32]`.
    #[error("not [seq, dx, dy, buttons, ...]")]
    Parse,
    /// A game field holds a value of the wrong type (a string for a number, a float for an
    /// integer).
    #[error("input field {0} has the wrong type")]
    WrongType(u8),
    /// A game field's value is outside its declared range.
    #[error("input field {0} is out of range")]
    OutOfRange(u8),
    /// A game field's number is NaN or infinite.
    #[error("input field {0} is not a finite number")]
    NonFinite(u8),
}

impl From<ReadError> for InputError {
    fn from(_: ReadError) -> Self {
        InputError::Parse
    }
}

impl InputMsg {
    /// A movement-only input (no game fields).
    pub fn new(seq: u32, dx: f32, dy: f32, buttons: u32) -> Self {
        Self {
            seq,
            dx,
            dy,
            buttons,
            values: InputValues::default(),
        }
    }

    /// This input with game field values (in declaration order).
    pub fn with_values(mut self, values: &[FieldValue]) -> Self {
        self.values = InputValues::from_slice(values);
        self
    }

    /// Decodes the `input` argument (the array) against the game's declared input fields.
    ///
    /// # Errors
    /// [`InputError`] as described in the module docs. Never panics, whatever the bytes.
    pub fn decode(bytes: &[u8], fields: &[FieldDef]) -> Result<Self, InputError> {
        let mut rd = bytes;
        Self::read(&mut rd, fields)
    }

    /// Decodes a whole Socket.IO event value as the msgpack parser holds it, `[event, input]`,
    /// skipping the event name.
    ///
    /// # Errors
    /// As [`InputMsg::decode`].
    pub fn decode_event(bytes: &[u8], fields: &[FieldDef]) -> Result<Self, InputError> {
        let mut rd = bytes;
        if msgpack::read_array_len(&mut rd)? < 2 {
            return Err(InputError::Parse);
        }
        msgpack::read_str(&mut rd)?;
        Self::read(&mut rd, fields)
    }

    fn read(rd: &mut &[u8], fields: &[FieldDef]) -> Result<Self, InputError> {
        let n = msgpack::read_array_len(rd)? as usize;
        if n < 4 {
            return Err(InputError::Parse);
        }
        let seq = read_u32(rd)?;
        let dx = read_f32(rd)?;
        let dy = read_f32(rd)?;
        let buttons = read_u32(rd)?;
        let mut values = InputValues::default();
        for (i, f) in fields.iter().enumerate().take(MAX_INPUT_FIELDS) {
            let idx = i as u8;
            let v = if 4 + i < n {
                read_field(rd, &f.ty, idx)?
            } else {
                f.ty.default_value()
            };
            values.push(v);
        }
        // Elements after the declared ones (a timestamp, a newer client's field) are skipped.
        for _ in (4 + fields.len().min(MAX_INPUT_FIELDS)).min(n)..n {
            msgpack::skip_value(rd, 8)?;
        }
        Ok(Self {
            seq,
            dx,
            dy,
            buttons,
            values,
        })
    }
}

fn read_u32(rd: &mut &[u8]) -> Result<u32, InputError> {
    match msgpack::read_scalar(rd)? {
        Scalar::Number(Number::Int(v)) => u32::try_from(v).map_err(|_| InputError::Parse),
        _ => Err(InputError::Parse),
    }
}

fn read_f32(rd: &mut &[u8]) -> Result<f32, InputError> {
    match msgpack::read_scalar(rd)? {
        // `as` maps huge finite doubles to ±∞; the room rejects those as non-finite.
        Scalar::Number(Number::Int(v)) => Ok(v as f32),
        Scalar::Number(Number::Float(v)) => Ok(v as f32),
        _ => Err(InputError::Parse),
    }
}

fn number(rd: &mut &[u8], i: u8) -> Result<Option<f64>, InputError> {
    match msgpack::read_scalar(rd)? {
        Scalar::Number(Number::Int(v)) => Ok(Some(v as f64)),
        Scalar::Number(Number::Float(v)) if v.is_finite() => Ok(Some(v)),
        Scalar::Number(Number::Float(_)) => Err(InputError::NonFinite(i)),
        Scalar::Nil => Ok(None),
        _ => Err(InputError::WrongType(i)),
    }
}

fn integer(rd: &mut &[u8], i: u8) -> Result<Option<i128>, InputError> {
    match msgpack::read_scalar(rd)? {
        Scalar::Number(Number::Int(v)) => Ok(Some(v)),
        Scalar::Nil => Ok(None),
        _ => Err(InputError::WrongType(i)),
    }
}

fn read_field(rd: &mut &[u8], ty: &FieldType, i: u8) -> Result<FieldValue, InputError> {
    let out_of_range = InputError::OutOfRange(i);
    let v = match *ty {
        FieldType::Angle { .. } => number(rd, i)?.map(|a| FieldValue::Angle(wrap_angle(a as f32))),
        FieldType::Fixed { min, max, .. } => match number(rd, i)? {
            Some(x) if x < f64::from(min) || x > f64::from(max) => return Err(out_of_range),
            other => other.map(|x| FieldValue::Fixed(x as f32)),
        },
        FieldType::Uint { max } => match integer(rd, i)? {
            Some(x) if x < 0 || x > i128::from(max) => return Err(out_of_range),
            other => other.map(|x| FieldValue::Uint(x as u32)),
        },
        FieldType::Int { min, max } => match integer(rd, i)? {
            Some(x) if x < i128::from(min) || x > i128::from(max) => return Err(out_of_range),
            other => other.map(|x| FieldValue::Int(x as i32)),
        },
        FieldType::Flag => match msgpack::read_scalar(rd)? {
            Scalar::Bool(b) => Some(FieldValue::Flag(b)),
            Scalar::Number(Number::Int(0)) => Some(FieldValue::Flag(false)),
            Scalar::Number(Number::Int(1)) => Some(FieldValue::Flag(true)),
            Scalar::Number(Number::Int(_)) => return Err(out_of_range),
            Scalar::Nil => None,
            _ => return Err(InputError::WrongType(i)),
        },
        FieldType::Velocity { max, .. } => {
            if rd.first() == Some(&0xc0) {
                msgpack::read_scalar(rd)?;
                None
            } else {
                if msgpack::read_array_len(rd).map_err(|_| InputError::WrongType(i))? != 2 {
                    return Err(InputError::WrongType(i));
                }
                let x = number(rd, i)?.ok_or(InputError::WrongType(i))?;
                let y = number(rd, i)?.ok_or(InputError::WrongType(i))?;
                if x.abs() > f64::from(max) || y.abs() > f64::from(max) {
                    return Err(out_of_range);
                }
                Some(FieldValue::Velocity([x as f32, y as f32]))
            }
        }
    };
    Ok(v.unwrap_or_else(|| ty.default_value()))
}

/// Written as the array `[seq, dx, dy, buttons, ...values]` (what clients send).
impl Serialize for InputMsg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let vals = self.values.as_slice();
        let mut seq = s.serialize_seq(Some(4 + vals.len()))?;
        seq.serialize_element(&self.seq)?;
        seq.serialize_element(&self.dx)?;
        seq.serialize_element(&self.dy)?;
        seq.serialize_element(&self.buttons)?;
        for v in vals {
            match *v {
                FieldValue::Angle(a) | FieldValue::Fixed(a) => seq.serialize_element(&a)?,
                FieldValue::Uint(u) => seq.serialize_element(&u)?,
                FieldValue::Int(i) => seq.serialize_element(&i)?,
                FieldValue::Flag(b) => seq.serialize_element(&b)?,
                FieldValue::Velocity(xy) => seq.serialize_element(&xy)?,
            }
        }
        seq.end()
    }
}

/// True when sequence number `a` comes after `b`, allowing for wrap-around (RFC 1982 style:
/// `a` is newer when it is less than 2^31 steps ahead of `b`).
pub fn seq_newer(a: u32, b: u32) -> bool {
    let d = a.wrapping_sub(b);
    d != 0 && d < (1 << 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fd(name: &str, ty: FieldType) -> FieldDef {
        FieldDef { name: name.into(), ty }
    }

    fn arena_fields() -> Vec<FieldDef> {
        vec![
            fd("aim", FieldType::Angle { bits: 16 }),
            fd("weapon", FieldType::Uint { max: 2 }),
            fd("fire", FieldType::Flag),
            fd("view_tick", FieldType::Uint { max: u32::MAX }),
        ]
    }

    #[test]
    fn seq_newer_handles_wrap() {
        assert!(seq_newer(2, 1));
        assert!(!seq_newer(1, 2));
        assert!(!seq_newer(7, 7));
        assert!(seq_newer(0, u32::MAX), "0 should follow u32::MAX");
        assert!(seq_newer(3, u32::MAX - 2));
        assert!(!seq_newer(u32::MAX, 0));
        assert!(
            !seq_newer(1 << 31, 0),
            "a jump of exactly 2^31 is ambiguous and treated as old"
        );
        assert!(seq_newer((1 << 31) - 1, 0));
    }

    #[test]
    fn movement_only_input_is_a_four_element_array() {
        let bytes = rmp_serde::to_vec(&InputMsg::new(7, 1.0, -0.5, BUTTON_ACTION)).unwrap();
        assert_eq!(bytes[0], 0x94);
        assert_eq!(InputMsg::decode(&bytes, &[]).unwrap(), InputMsg::new(7, 1.0, -0.5, 1));
    }

    #[test]
    fn integers_and_doubles_are_accepted_as_directions() {
        // What a JavaScript encoder sends for [3, 1, -0.25, 0]: 1 as an int, -0.25 as float64.
        let bytes = [0x94, 0x03, 0x01, 0xcb, 0xbf, 0xd0, 0, 0, 0, 0, 0, 0, 0x00];
        assert_eq!(InputMsg::decode(&bytes, &[]).unwrap(), InputMsg::new(3, 1.0, -0.25, 0));
    }

    #[test]
    fn engine_elements_must_have_their_types() {
        for bad in [
            &[0x94, 0xff, 0x01, 0x01, 0x00][..],         // seq = -1
            &[0x94, 0x01, 0xa1, b'1', 0x01, 0x00],       // dx = "1"
            &[0x93, 0x01, 0x01, 0x01],                   // three elements
            &[0x81, 0xa3, b's', b'e', b'q', 0x01],       // a map
            &[0x94, 0xce, 0xff, 0xff, 0xff, 0xff, 0x00], // truncated
            &[0xc1],
        ] {
            assert_eq!(InputMsg::decode(bad, &[]), Err(InputError::Parse), "{bad:02x?}");
        }
    }

    #[test]
    fn game_fields_decode_in_declaration_order() {
        let fields = arena_fields();
        let sent = InputMsg::new(9, 0.0, 1.0, 0).with_values(&[
            FieldValue::Angle(1.5),
            FieldValue::Uint(2),
            FieldValue::Flag(true),
            FieldValue::Uint(123_456),
        ]);
        let bytes = rmp_serde::to_vec(&sent).unwrap();
        assert_eq!(InputMsg::decode(&bytes, &fields).unwrap(), sent);
        // Missing trailing fields and nil take the defaults.
        let short = rmp_serde::to_vec(&(9u32, 0.0f32, 1.0f32, 0u32, 1.5f32, ())).unwrap();
        let got = InputMsg::decode(&short, &fields).unwrap();
        assert_eq!(
            got.values.as_slice(),
            &[
                FieldValue::Angle(1.5),
                FieldValue::Uint(0),
                FieldValue::Flag(false),
                FieldValue::Uint(0)
            ]
        );
        // Extra elements after the declared ones are skipped, maps included.
        let extra = rmp_serde::to_vec(&(1u32, 0u8, 0u8, 0u8, 0.5f32, 1u8, true, 7u32, 1e12f64, vec![1, 2])).unwrap();
        assert_eq!(
            InputMsg::decode(&extra, &fields).unwrap().values.get(3),
            Some(FieldValue::Uint(7))
        );
    }

    #[test]
    fn bad_game_fields_are_rejected_by_reason() {
        let fields = arena_fields();
        let enc = |v: &dyn erased::Ser| v.bytes();
        let cases: Vec<(Vec<u8>, InputError)> = vec![
            (enc(&(1u32, 0u8, 0u8, 0u8, f64::NAN)), InputError::NonFinite(0)),
            (enc(&(1u32, 0u8, 0u8, 0u8, "left")), InputError::WrongType(0)),
            (enc(&(1u32, 0u8, 0u8, 0u8, 0.0f32, 3u8)), InputError::OutOfRange(1)),
            (enc(&(1u32, 0u8, 0u8, 0u8, 0.0f32, 1.5f32)), InputError::WrongType(1)),
            (enc(&(1u32, 0u8, 0u8, 0u8, 0.0f32, -1i8)), InputError::OutOfRange(1)),
            (enc(&(1u32, 0u8, 0u8, 0u8, 0.0f32, 0u8, 2u8)), InputError::OutOfRange(2)),
            (
                enc(&(1u32, 0u8, 0u8, 0u8, 0.0f32, 0u8, "yes")),
                InputError::WrongType(2),
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(InputMsg::decode(&bytes, &fields), Err(want), "{bytes:02x?}");
        }
        let fixed = vec![
            fd("throttle", FieldType::fixed(0.0, 1.0, 0.01)),
            fd("v", FieldType::Velocity { max: 10.0, bits: 8 }),
        ];
        assert_eq!(
            InputMsg::decode(&enc(&(1u32, 0u8, 0u8, 0u8, 1.5f32)), &fixed),
            Err(InputError::OutOfRange(0))
        );
        assert_eq!(
            InputMsg::decode(&enc(&(1u32, 0u8, 0u8, 0u8, 0.5f32, [3.0f32, 11.0])), &fixed),
            Err(InputError::OutOfRange(1))
        );
        assert_eq!(
            InputMsg::decode(&enc(&(1u32, 0u8, 0u8, 0u8, 0.5f32, [3.0f32])), &fixed),
            Err(InputError::WrongType(1))
        );
        let ok = InputMsg::decode(&enc(&(1u32, 0u8, 0u8, 0u8, 0.5f32, [3.0f32, -4.0])), &fixed).unwrap();
        assert_eq!(ok.values.get(1), Some(FieldValue::Velocity([3.0, -4.0])));
    }

    #[test]
    fn angles_are_wrapped() {
        let fields = arena_fields();
        let bytes = rmp_serde::to_vec(&(1u32, 0u8, 0u8, 0u8, -1.0f32)).unwrap();
        let FieldValue::Angle(a) = InputMsg::decode(&bytes, &fields).unwrap().values.get(0).unwrap() else {
            panic!()
        };
        assert!((a - (std::f32::consts::TAU - 1.0)).abs() < 1e-5);
    }

    #[test]
    fn event_wrapper_is_skipped() {
        let bytes = rmp_serde::to_vec(&("input", (5u32, 1.0f32, 0u8, 0u8))).unwrap();
        assert_eq!(
            InputMsg::decode_event(&bytes, &[]).unwrap(),
            InputMsg::new(5, 1.0, 0.0, 0)
        );
        assert_eq!(InputMsg::decode_event(&[0x91, 0xa1, b'x'], &[]), Err(InputError::Parse));
    }

    /// Tiny helper so the table above can hold tuples of different types.
    mod erased {
        pub trait Ser {
            fn bytes(&self) -> Vec<u8>;
        }
        impl<T: serde::Serialize> Ser for T {
            fn bytes(&self) -> Vec<u8> {
                rmp_serde::to_vec(self).unwrap()
            }
        }
    }
}
