//! What a logged value means: web-server escapes, and the typed values
//! `LTSV_TYPES` asks for.

use std::fmt;
use std::str::FromStr;

use memchr::memchr;

use crate::time::Timestamp;

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

/// How logged values are unescaped (`LTSV_UNESCAPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unescape {
    /// Values are kept as logged.
    Off,
    /// The escapes Apache httpd and nginx write by default: `\xHH` and
    /// backslash escapes; see [`unescape`].
    Escapes,
    /// JSON string escapes, as nginx writes them with `escape=json`.
    Json,
}

impl Unescape {
    /// The name used in `LTSV_UNESCAPE`.
    pub fn name(self) -> &'static str {
        match self {
            Unescape::Off => "false",
            Unescape::Escapes => "true",
            Unescape::Json => "json",
        }
    }

    /// Decodes `value` into `out` (cleared first) and returns whether the
    /// result is valid UTF-8; with `Off`, copies it.
    pub(crate) fn decode(self, value: &[u8], out: &mut Vec<u8>) -> bool {
        match self {
            Unescape::Off => {
                out.clear();
                out.extend_from_slice(value);
                std::str::from_utf8(out).is_ok()
            }
            Unescape::Escapes => unescape(value, out),
            Unescape::Json => unescape_json(value, out),
        }
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

/// Decodes JSON string escapes, as nginx's `escape=json` writes them, into
/// `out` (cleared first) and returns whether the result is valid UTF-8.
///
/// `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` and `\uXXXX` (UTF-16,
/// surrogate pairs joined) are decoded; anything else, a lone surrogate
/// included, is kept as it is.
pub(crate) fn unescape_json(value: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut rest = value;
    while let Some(backslash) = memchr(b'\\', rest) {
        out.extend_from_slice(&rest[..backslash]);
        let escape = &rest[backslash..];
        let used = match escape {
            [_, b'u', ..] => match utf16_escape(escape) {
                Some((c, used)) => {
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    used
                }
                None => {
                    out.push(b'\\');
                    1
                }
            },
            [_, byte, ..] => {
                let decoded = match byte {
                    b'"' | b'\\' | b'/' => Some(*byte),
                    b'b' => Some(0x08),
                    b'f' => Some(0x0c),
                    b'n' => Some(b'\n'),
                    b'r' => Some(b'\r'),
                    b't' => Some(b'\t'),
                    _ => None,
                };
                match decoded {
                    Some(decoded) => {
                        out.push(decoded);
                        2
                    }
                    None => {
                        out.push(b'\\');
                        1
                    }
                }
            }
            _ => {
                out.push(b'\\');
                1
            }
        };
        rest = &escape[used..];
    }
    out.extend_from_slice(rest);
    std::str::from_utf8(out).is_ok()
}

/// The character of a `\uXXXX` escape (two, for a surrogate pair) at the
/// start of `escape`, and how many bytes it takes.
fn utf16_escape(escape: &[u8]) -> Option<(char, usize)> {
    let unit = |at: usize| -> Option<u16> {
        let hex = escape.get(at..at + 6)?;
        if hex[..2] != *b"\\u" {
            return None;
        }
        hex[2..]
            .iter()
            .try_fold(0u16, |n, &b| Some(n << 4 | u16::from(hex_digit(b)?)))
    };
    let high = unit(0)?;
    match high {
        0xd800..=0xdbff => {
            let low = unit(6).filter(|low| (0xdc00..=0xdfff).contains(low))?;
            let c = 0x10000 + ((u32::from(high) - 0xd800) << 10) + (u32::from(low) - 0xdc00);
            Some((char::from_u32(c)?, 12))
        }
        _ => Some((char::from_u32(u32::from(high))?, 6)),
    }
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

    fn json_unescaped(value: &[u8]) -> (Vec<u8>, bool) {
        let mut out = vec![b'x'; 3];
        let utf8 = unescape_json(value, &mut out);
        (out, utf8)
    }

    #[test]
    fn json_escapes_are_decoded() {
        assert_eq!(
            json_unescaped(br#"\"\\\/\b\f\n\r\t"#),
            (b"\"\\/\x08\x0c\n\r\t".to_vec(), true)
        );
        assert_eq!(json_unescaped(br"a\u0001b"), (b"a\x01b".to_vec(), true));
        assert_eq!(json_unescaped(br"\u00e9\u3042"), ("éあ".into(), true));
        assert_eq!(json_unescaped(br"\ud83d\ude00"), ("😀".into(), true));
        assert_eq!(json_unescaped(br"\uD83D\uDE00"), ("😀".into(), true));
        assert_eq!(json_unescaped("あ".as_bytes()), ("あ".into(), true));
    }

    #[test]
    fn json_escapes_that_are_not_whole_stay_as_they_are() {
        for kept in [
            &br"\x41"[..],
            br"\a",
            br"\u00",
            br"\u00g1",
            br"\ud83d",
            br"\ud83dx",
            br"\ude00",
            br"a\",
        ] {
            assert_eq!(json_unescaped(kept), (kept.to_vec(), true), "{kept:?}");
        }
        assert_eq!(json_unescaped(br"\\u0041"), (br"\u0041".to_vec(), true));
        // A lone surrogate stays; the escape after it is whole.
        assert_eq!(
            json_unescaped(br"\ud83d\u0041"),
            (br"\ud83dA".to_vec(), true)
        );
        assert_eq!(json_unescaped(b"\xff"), (vec![0xff], false));
    }

    #[test]
    fn each_mode_decodes_its_own_escapes() {
        let mut out = Vec::new();
        assert!(Unescape::Off.decode(br"\x41\u0041", &mut out));
        assert_eq!(out, br"\x41\u0041");
        assert!(Unescape::Escapes.decode(br"\x41\u0041", &mut out));
        assert_eq!(out, br"A\u0041");
        assert!(Unescape::Json.decode(br"\x41\u0041", &mut out));
        assert_eq!(out, br"\x41A");
        assert!(!Unescape::Off.decode(b"\xff", &mut out));
        assert_eq!(
            [Unescape::Off, Unescape::Escapes, Unescape::Json].map(Unescape::name),
            ["false", "true", "json"]
        );
    }
}
