//! What a logged value means: web-server escapes, and the typed values
//! `LTSV_TYPES` asks for.

use std::fmt;
use std::str::FromStr;

use memchr::memchr;

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
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Type {
    type Err = ();

    fn from_str(name: &str) -> Result<Type, ()> {
        [
            Type::Integer,
            Type::Float,
            Type::Bool,
            Type::String,
            Type::Time,
        ]
        .into_iter()
        .find(|t| t.name() == name)
        .ok_or(())
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

/// Decodes the escapes Apache httpd and nginx write in log values into
/// `out` (cleared first) and returns whether the result is valid UTF-8.
///
/// `\"`, `\\`, `\xHH` (either case), `\t`, `\n`, `\r`, `\b` and `\v` are
/// decoded; any other backslash sequence is kept as it is. When the result
/// is not valid UTF-8 the caller should keep the value as logged.
pub(crate) fn unescape(value: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut rest = value;
    while let Some(backslash) = memchr(b'\\', rest) {
        out.extend_from_slice(&rest[..backslash]);
        let escape = &rest[backslash..];
        let (decoded, used) = match escape {
            [_, b'x' | b'X', h, l, ..] => match (hex_digit(*h), hex_digit(*l)) {
                (Some(h), Some(l)) => (h << 4 | l, 4),
                _ => (b'\\', 1),
            },
            [_, b'"', ..] => (b'"', 2),
            [_, b'\\', ..] => (b'\\', 2),
            [_, b't', ..] => (b'\t', 2),
            [_, b'n', ..] => (b'\n', 2),
            [_, b'r', ..] => (b'\r', 2),
            [_, b'b', ..] => (0x08, 2),
            [_, b'v', ..] => (0x0b, 2),
            _ => (b'\\', 1),
        };
        out.push(decoded);
        rest = &escape[used..];
    }
    out.extend_from_slice(rest);
    std::str::from_utf8(out).is_ok()
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_round_trip() {
        for name in ["integer", "float", "bool", "string", "time"] {
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

    fn unescaped(value: &[u8]) -> (Vec<u8>, bool) {
        let mut out = vec![b'x'; 3];
        let utf8 = unescape(value, &mut out);
        (out, utf8)
    }

    #[test]
    fn apache_and_nginx_escapes_are_decoded() {
        assert_eq!(
            unescaped(br#"\"\\\t\n\r\b\v"#),
            (b"\"\\\t\n\r\x08\x0b".to_vec(), true)
        );
        assert_eq!(unescaped(br"\xe3\x81\x82"), ("あ".into(), true));
        assert_eq!(unescaped(br"\xE3\x81\X82"), ("あ".into(), true));
        assert_eq!(unescaped(br"a\x00b"), (b"a\x00b".to_vec(), true));
        assert_eq!(unescaped(b"plain"), (b"plain".to_vec(), true));
    }

    #[test]
    fn unknown_and_incomplete_escapes_stay_as_they_are() {
        for kept in [
            &br"\u00e9"[..],
            br"\a",
            br"\x",
            br"\x4",
            br"\xg1",
            br"a\",
            br"\ud800",
        ] {
            assert_eq!(unescaped(kept), (kept.to_vec(), true), "{kept:?}");
        }
        assert_eq!(unescaped(br"\\x41"), (br"\x41".to_vec(), true));
        assert_eq!(unescaped(br"\\\x41"), (br"\A".to_vec(), true));
    }

    #[test]
    fn decoding_to_invalid_utf8_is_reported() {
        assert_eq!(unescaped(br"\xff"), (vec![0xff], false));
        assert_eq!(unescaped(br"\xe3\x81"), (vec![0xe3, 0x81], false));
        assert_eq!(unescaped(br"\xc0\xaf"), (vec![0xc0, 0xaf], false));
    }
}
