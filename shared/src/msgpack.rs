//! Small, bounded MessagePack readers for the hot and hostile paths: reading an input array
//! element by element without building a value tree, and measuring a payload's nesting depth
//! without recursion (a deeply nested document must not overflow the stack of whoever decodes it).

use rmp::Marker;

/// Why bytes could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The bytes end in the middle of a value.
    #[error("truncated MessagePack")]
    Truncated,
    /// A value of another type than expected.
    #[error("unexpected MessagePack type")]
    WrongType,
    /// Nested deeper than allowed.
    #[error("MessagePack nested too deeply")]
    TooDeep,
    /// A marker that is not valid MessagePack (0xc1).
    #[error("invalid MessagePack marker")]
    Invalid,
}

/// A number as read from the wire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer (any MessagePack int width).
    Int(i128),
    /// A float32 or float64.
    Float(f64),
}

/// A bool, nil, number or something else (skipped) read by [`read_scalar`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    /// A number.
    Number(Number),
    /// `true` or `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// A string, binary, array, map or extension (skipped over).
    Other,
}

fn take<'a>(rd: &mut &'a [u8], n: usize) -> Result<&'a [u8], ReadError> {
    if rd.len() < n {
        return Err(ReadError::Truncated);
    }
    let (head, rest) = rd.split_at(n);
    *rd = rest;
    Ok(head)
}

fn be<const N: usize>(rd: &mut &[u8]) -> Result<[u8; N], ReadError> {
    let b = take(rd, N)?;
    let mut a = [0u8; N];
    a.copy_from_slice(b);
    Ok(a)
}

fn marker(rd: &mut &[u8]) -> Result<Marker, ReadError> {
    let b = take(rd, 1)?;
    Ok(Marker::from_u8(b[0]))
}

/// Reads an array header and returns its length.
///
/// # Errors
/// [`ReadError::WrongType`] when the next value is not an array.
pub fn read_array_len(rd: &mut &[u8]) -> Result<u32, ReadError> {
    match marker(rd)? {
        Marker::FixArray(n) => Ok(u32::from(n)),
        Marker::Array16 => Ok(u32::from(u16::from_be_bytes(be(rd)?))),
        Marker::Array32 => Ok(u32::from_be_bytes(be(rd)?)),
        _ => Err(ReadError::WrongType),
    }
}

/// Reads a string and returns it (borrowed from the input).
///
/// # Errors
/// [`ReadError::WrongType`] when the next value is not a UTF-8 string.
pub fn read_str<'a>(rd: &mut &'a [u8]) -> Result<&'a str, ReadError> {
    let len = match marker(rd)? {
        Marker::FixStr(n) => usize::from(n),
        Marker::Str8 => usize::from(be::<1>(rd)?[0]),
        Marker::Str16 => usize::from(u16::from_be_bytes(be(rd)?)),
        Marker::Str32 => u32::from_be_bytes(be(rd)?) as usize,
        _ => return Err(ReadError::WrongType),
    };
    std::str::from_utf8(take(rd, len)?).map_err(|_| ReadError::WrongType)
}

/// Reads a number, a bool or nil; anything else is skipped and reported as [`Scalar::Other`].
///
/// # Errors
/// [`ReadError`] on truncated or invalid bytes, or containers nested deeper than 32.
pub fn read_scalar(rd: &mut &[u8]) -> Result<Scalar, ReadError> {
    let before = *rd;
    let m = marker(rd)?;
    let n = |v: i128| Ok(Scalar::Number(Number::Int(v)));
    match m {
        Marker::FixPos(v) => n(i128::from(v)),
        Marker::FixNeg(v) => n(i128::from(v)),
        Marker::U8 => n(i128::from(be::<1>(rd)?[0])),
        Marker::U16 => n(i128::from(u16::from_be_bytes(be(rd)?))),
        Marker::U32 => n(i128::from(u32::from_be_bytes(be(rd)?))),
        Marker::U64 => n(i128::from(u64::from_be_bytes(be(rd)?))),
        Marker::I8 => n(i128::from(i8::from_be_bytes(be(rd)?))),
        Marker::I16 => n(i128::from(i16::from_be_bytes(be(rd)?))),
        Marker::I32 => n(i128::from(i32::from_be_bytes(be(rd)?))),
        Marker::I64 => n(i128::from(i64::from_be_bytes(be(rd)?))),
        Marker::F32 => Ok(Scalar::Number(Number::Float(f64::from(f32::from_be_bytes(be(rd)?))))),
        Marker::F64 => Ok(Scalar::Number(Number::Float(f64::from_be_bytes(be(rd)?)))),
        Marker::True => Ok(Scalar::Bool(true)),
        Marker::False => Ok(Scalar::Bool(false)),
        Marker::Null => Ok(Scalar::Nil),
        Marker::Reserved => Err(ReadError::Invalid),
        _ => {
            *rd = before;
            skip_value(rd, 32)?;
            Ok(Scalar::Other)
        }
    }
}

/// Skips one value of any type, iteratively, refusing containers nested deeper than `max_depth`.
///
/// # Errors
/// [`ReadError::TooDeep`], or [`ReadError::Truncated`]/[`ReadError::Invalid`] on bad bytes.
pub fn skip_value(rd: &mut &[u8], max_depth: usize) -> Result<(), ReadError> {
    // `pending[i]` = values still to read at depth i. Each container pushes its element count.
    let mut pending: Vec<u64> = vec![1];
    while let Some(top) = pending.last_mut() {
        if *top == 0 {
            pending.pop();
            continue;
        }
        *top -= 1;
        let children: u64 = match marker(rd)? {
            Marker::FixPos(_) | Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => 0,
            Marker::U8 | Marker::I8 => {
                take(rd, 1)?;
                0
            }
            Marker::U16 | Marker::I16 => {
                take(rd, 2)?;
                0
            }
            Marker::U32 | Marker::I32 | Marker::F32 => {
                take(rd, 4)?;
                0
            }
            Marker::U64 | Marker::I64 | Marker::F64 => {
                take(rd, 8)?;
                0
            }
            Marker::FixStr(n) => {
                take(rd, usize::from(n))?;
                0
            }
            Marker::Str8 | Marker::Bin8 => {
                let n = be::<1>(rd)?[0];
                take(rd, usize::from(n))?;
                0
            }
            Marker::Str16 | Marker::Bin16 => {
                let n = u16::from_be_bytes(be(rd)?);
                take(rd, usize::from(n))?;
                0
            }
            Marker::Str32 | Marker::Bin32 => {
                let n = u32::from_be_bytes(be(rd)?);
                take(rd, n as usize)?;
                0
            }
            Marker::FixArray(n) => u64::from(n),
            Marker::Array16 => u64::from(u16::from_be_bytes(be(rd)?)),
            Marker::Array32 => u64::from(u32::from_be_bytes(be(rd)?)),
            Marker::FixMap(n) => 2 * u64::from(n),
            Marker::Map16 => 2 * u64::from(u16::from_be_bytes(be(rd)?)),
            Marker::Map32 => 2 * u64::from(u32::from_be_bytes(be(rd)?)),
            Marker::FixExt1 => skip_n(rd, 2)?,
            Marker::FixExt2 => skip_n(rd, 3)?,
            Marker::FixExt4 => skip_n(rd, 5)?,
            Marker::FixExt8 => skip_n(rd, 9)?,
            Marker::FixExt16 => skip_n(rd, 17)?,
            Marker::Ext8 => {
                let n = be::<1>(rd)?[0];
                skip_n(rd, usize::from(n) + 1)?
            }
            Marker::Ext16 => {
                let n = u16::from_be_bytes(be(rd)?);
                skip_n(rd, usize::from(n) + 1)?
            }
            Marker::Ext32 => {
                let n = u32::from_be_bytes(be(rd)?);
                skip_n(rd, n as usize + 1)?
            }
            Marker::Reserved => return Err(ReadError::Invalid),
        };
        if children > 0 {
            if pending.len() > max_depth {
                return Err(ReadError::TooDeep);
            }
            // A container cannot hold more elements than bytes remain: stop absurd lengths early.
            if children > rd.len() as u64 {
                return Err(ReadError::Truncated);
            }
            pending.push(children);
        }
    }
    Ok(())
}

fn skip_n(rd: &mut &[u8], n: usize) -> Result<u64, ReadError> {
    take(rd, n)?;
    Ok(0)
}

/// Checks that `bytes` hold exactly one value nested at most `max_depth` containers deep.
///
/// # Errors
/// As [`skip_value`]; [`ReadError::WrongType`] when bytes follow the value.
pub fn check_one_value(bytes: &[u8], max_depth: usize) -> Result<(), ReadError> {
    let mut rd = bytes;
    skip_value(&mut rd, max_depth)?;
    if rd.is_empty() {
        Ok(())
    } else {
        Err(ReadError::WrongType)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_number_width() {
        let cases: Vec<(Vec<u8>, Scalar)> = vec![
            (vec![0x07], Scalar::Number(Number::Int(7))),
            (vec![0xff], Scalar::Number(Number::Int(-1))),
            (vec![0xcc, 0xc8], Scalar::Number(Number::Int(200))),
            (vec![0xd1, 0xff, 0x38], Scalar::Number(Number::Int(-200))),
            (
                vec![0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                Scalar::Number(Number::Int(u64::MAX as i128)),
            ),
            (vec![0xca, 0x3f, 0x80, 0, 0], Scalar::Number(Number::Float(1.0))),
            (
                vec![0xcb, 0xbf, 0xd0, 0, 0, 0, 0, 0, 0],
                Scalar::Number(Number::Float(-0.25)),
            ),
            (vec![0xc3], Scalar::Bool(true)),
            (vec![0xc0], Scalar::Nil),
            (vec![0xa1, b'x'], Scalar::Other),
            (vec![0x92, 0x01, 0x02], Scalar::Other),
        ];
        for (bytes, want) in cases {
            let mut rd = &bytes[..];
            assert_eq!(read_scalar(&mut rd), Ok(want), "{bytes:02x?}");
            assert!(rd.is_empty(), "{bytes:02x?} should be consumed");
        }
        assert_eq!(read_scalar(&mut &[0xcd, 0x01][..]), Err(ReadError::Truncated));
        assert_eq!(read_scalar(&mut &[0xc1][..]), Err(ReadError::Invalid));
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let deep = vec![0x91u8; 100_000];
        assert_eq!(check_one_value(&deep, 16), Err(ReadError::TooDeep));
        let mut ok = vec![0x91u8; 10];
        ok.push(0x01);
        assert_eq!(check_one_value(&ok, 16), Ok(()));
        assert_eq!(check_one_value(&ok, 5), Err(ReadError::TooDeep));
    }

    #[test]
    fn absurd_lengths_are_truncated_not_allocated() {
        assert_eq!(
            check_one_value(&[0xdd, 0xff, 0xff, 0xff, 0xff], 8),
            Err(ReadError::Truncated)
        );
        assert_eq!(
            check_one_value(&[0xc6, 0xff, 0xff, 0xff, 0xff], 8),
            Err(ReadError::Truncated)
        );
        assert_eq!(
            check_one_value(&[0xdf, 0xff, 0xff, 0xff, 0xff, 0x01], 8),
            Err(ReadError::Truncated)
        );
        assert_eq!(
            check_one_value(&[0x01, 0x02], 8),
            Err(ReadError::WrongType),
            "trailing bytes"
        );
    }

    #[test]
    fn maps_and_strings_are_skipped() {
        let v = rmp_serde::to_vec_named(&std::collections::BTreeMap::from([("a", vec![1, 2]), ("b", vec![])])).unwrap();
        assert_eq!(check_one_value(&v, 4), Ok(()));
        let mut rd = &[0x92, 0xa3, b'a', b'b', b'c', 0x05][..];
        assert_eq!(read_array_len(&mut rd), Ok(2));
        assert_eq!(read_str(&mut rd), Ok("abc"));
        assert_eq!(read_scalar(&mut rd), Ok(Scalar::Number(Number::Int(5))));
    }
}
