//! The types a label's values are written as, and reading integers,
//! floats and booleans as the conversion rules say.

use std::fmt;
use std::str::FromStr;

use memchr::memchr;

use crate::values::time::Timestamp;

/// The type a label's values are written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// An optional `-` and decimal digits that fit an `i64`.
    Integer,
    /// A finite decimal number, optionally with an exponent.
    Float,
    /// `true` or `false`.
    Bool,
    /// Text (the default for labels without a type).
    String,
    /// A timestamp, written as UTC; see [`Timestamp::parse`](crate::Timestamp::parse).
    Time,
    /// Milliseconds since the Unix epoch (Apache's `%{msec}t`), written
    /// as a UTC timestamp.
    TimeMsec,
    /// Microseconds since the Unix epoch (Apache's `%{usec}t`), written
    /// as a UTC timestamp to the millisecond.
    TimeUsec,
}

impl Type {
    /// The name used in `LTSV_TYPES`.
    pub fn name(self) -> &'static str {
        match self {
            Type::Integer => "integer",
            Type::Float => "float",
            Type::Bool => "bool",
            Type::String => "string",
            Type::Time => "time",
            Type::TimeMsec => "time_msec",
            Type::TimeUsec => "time_usec",
        }
    }

    /// Reads `text` as an instant, for the time types.
    pub(crate) fn parse_time(self, text: &[u8]) -> Option<Timestamp> {
        match self {
            Type::TimeMsec => Timestamp::parse_epoch_fraction(text, 1000),
            Type::TimeUsec => Timestamp::parse_epoch_fraction(text, 1_000_000),
            _ => Timestamp::parse(text),
        }
    }

    /// Whether values of this type are instants.
    pub fn is_time(self) -> bool {
        matches!(self, Type::Time | Type::TimeMsec | Type::TimeUsec)
    }

    /// Every type, in the order `LTSV_TYPES` documents them.
    pub const ALL: [Type; 7] = [
        Type::Integer,
        Type::Float,
        Type::Bool,
        Type::String,
        Type::Time,
        Type::TimeMsec,
        Type::TimeUsec,
    ];
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Type {
    type Err = ();

    fn from_str(name: &str) -> Result<Type, ()> {
        Type::ALL.into_iter().find(|t| t.name() == name).ok_or(())
    }
}

/// Parses an integer: an optional `-` and ASCII digits that fit an `i64`.
/// `+1`, `1e3`, `12abc` and ` 1` are not integers.
pub(crate) fn parse_integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text {
        [b'-', digits @ ..] => (true, digits),
        digits => (false, digits),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulating negatively reaches i64::MIN without overflow.
    digits
        .iter()
        .try_fold(0i64, |n, &b| {
            if !b.is_ascii_digit() {
                return None;
            }
            n.checked_mul(10)?.checked_sub(i64::from(b - b'0'))
        })
        .and_then(|n| if negative { Some(n) } else { n.checked_neg() })
}

/// Parses a finite decimal number: `-?(d+(.d*)?|.d+)([eE][+-]?d+)?`.
/// `NaN`, `inf`, `+1` and values that overflow to infinity are not floats.
pub(crate) fn parse_float(text: &[u8]) -> Option<f64> {
    let unsigned = text.strip_prefix(b"-").unwrap_or(text);
    let mantissa_end = unsigned
        .iter()
        .position(|&b| b == b'e' || b == b'E')
        .unwrap_or(unsigned.len());
    let mantissa = &unsigned[..mantissa_end];
    let (whole, fraction) = match memchr(b'.', mantissa) {
        Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
        None => (mantissa, &[][..]),
    };
    // Checked here because std also reads `inf`, `NaN` and a leading `+`.
    // The exponent is left to std, whose grammar for it is exactly ours.
    let all_digits = |part: &[u8]| part.iter().all(u8::is_ascii_digit);
    if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let number: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    number.is_finite().then_some(number)
}

/// Parses `true` or `false`.
pub(crate) fn parse_bool(text: &[u8]) -> Option<bool> {
    match text {
        b"true" => Some(true),
        b"false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_round_trip() {
        for name in [
            "integer",
            "float",
            "bool",
            "string",
            "time",
            "time_msec",
            "time_usec",
        ] {
            assert_eq!(name.parse::<Type>().unwrap().name(), name);
        }
        assert!("int".parse::<Type>().is_err());
        assert!("Integer".parse::<Type>().is_err());
    }

    #[test]
    fn integers() {
        assert_eq!(parse_integer(b"200"), Some(200));
        assert_eq!(parse_integer(b"-12"), Some(-12));
        assert_eq!(parse_integer(b"007"), Some(7));
        assert_eq!(parse_integer(b"-0"), Some(0));
        assert_eq!(parse_integer(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_integer(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b"12abc"[..],
            b"+1",
            b"1e3",
            b"",
            b"-",
            b" 1",
            b"1 ",
            b"1.0",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"--1",
        ] {
            assert_eq!(
                parse_integer(bad),
                None,
                "{:?}",
                bad.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn floats() {
        assert_eq!(parse_float(b"0.012345"), Some(0.012345));
        assert_eq!(parse_float(b"-1.5"), Some(-1.5));
        assert_eq!(parse_float(b"3"), Some(3.0));
        assert_eq!(parse_float(b".5"), Some(0.5));
        assert_eq!(parse_float(b"5."), Some(5.0));
        assert_eq!(parse_float(b"1e3"), Some(1000.0));
        assert_eq!(parse_float(b"1.5E-2"), Some(0.015));
        assert_eq!(parse_float(b"2e+2"), Some(200.0));
        assert_eq!(parse_float(b"-.5e1"), Some(-5.0));
        for bad in [
            &b"NaN"[..],
            b"nan",
            b"inf",
            b"-inf",
            b"infinity",
            b"+1",
            b"1e999",
            b"",
            b".",
            b"-",
            b"1e",
            b"1e+",
            b"e5",
            b"1.2.3",
            b"0x10",
            b"1_000",
            b" 1",
            b"0.010, 0.020",
            b"1e5x",
            b"1e+-5",
            b"1e5.0",
            b"1einf",
            b"1e\xff",
        ] {
            assert_eq!(
                parse_float(bad),
                None,
                "{:?}",
                bad.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool(b"true"), Some(true));
        assert_eq!(parse_bool(b"false"), Some(false));
        for bad in [&b"True"[..], b"1", b"yes", b""] {
            assert_eq!(parse_bool(bad), None);
        }
    }
}
