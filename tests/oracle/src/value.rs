//! What a value becomes: `null`, a typed value, or a string.

use serde_json::Value;

use crate::ltsv::{Problem, Rejection};
use crate::settings::{OnTypeError, Settings, Type};
use crate::text::{shown_label, string_value};
use crate::time::Time;

/// The JSON value of `label`'s value as logged, or the type error that
/// makes its line invalid.
pub fn expect_value(settings: &Settings, label: &[u8], logged: &[u8]) -> Result<Value, Rejection> {
    if settings.is_null(logged) {
        return Ok(Value::Null);
    }
    let string = || Value::String(string_value(settings.unescape, logged));
    match settings.type_of(label) {
        None | Some(Type::String) => Ok(string()),
        Some(_) if logged.is_empty() => Ok(Value::Null),
        Some(ty) => match (typed(ty, logged), settings.on_type_error) {
            (Some(value), _) => Ok(value),
            (None, OnTypeError::Fail) => Err(Rejection::new(Problem::Type {
                label: shown_label(label),
                expected: ty,
            })),
            (None, OnTypeError::Null) => Ok(Value::Null),
            (None, OnTypeError::String) => Ok(string()),
        },
    }
}

/// A value of a type other than `string`, or `None` when it is not one.
fn typed(ty: Type, logged: &[u8]) -> Option<Value> {
    match ty {
        Type::Integer => integer(logged),
        Type::Float => float(logged),
        Type::Bool => match logged {
            b"true" => Some(Value::Bool(true)),
            b"false" => Some(Value::Bool(false)),
            _ => None,
        },
        Type::Time | Type::TimeMsec | Type::TimeUsec => {
            Time::parse_as(ty, logged).map(|time| Value::String(time.text()))
        }
        Type::String => unreachable!("strings are not parsed"),
    }
}

fn all_digits(part: &[u8]) -> bool {
    part.iter().all(u8::is_ascii_digit)
}

/// `-?digits` that fit an `i64`.
fn integer(text: &[u8]) -> Option<Value> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    if digits.is_empty() || !all_digits(digits) {
        return None;
    }
    std::str::from_utf8(text)
        .ok()?
        .parse::<i64>()
        .ok()
        .map(Value::from)
}

/// `-?(d+(.d*)?|.d+)([eE][+-]?d+)?`, finite.
fn float(text: &[u8]) -> Option<Value> {
    let unsigned = text.strip_prefix(b"-").unwrap_or(text);
    let (mantissa, exponent) = match unsigned.iter().position(|&b| b == b'e' || b == b'E') {
        Some(e) => (&unsigned[..e], Some(&unsigned[e + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.iter().position(|&b| b == b'.') {
        Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
        None => (mantissa, &[][..]),
    };
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    if let Some(exponent) = exponent {
        let digits = match exponent {
            [b'+' | b'-', digits @ ..] => digits,
            digits => digits,
        };
        if digits.is_empty() || !all_digits(digits) {
            return None;
        }
    }
    let number: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    number.is_finite().then(|| Value::from(number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_an_optional_minus_and_digits_that_fit() {
        assert_eq!(integer(b"007"), Some(Value::from(7)));
        assert_eq!(integer(b"-0"), Some(Value::from(0)));
        assert_eq!(
            integer(b"-9223372036854775808"),
            Some(Value::from(i64::MIN))
        );
        for text in [
            &b"+1"[..],
            b"9223372036854775808",
            b"1e3",
            b"12abc",
            b"-",
            b"",
            b" 1",
        ] {
            assert_eq!(integer(text), None, "{}", text.escape_ascii());
        }
    }

    #[test]
    fn floats_are_finite_decimals_with_an_optional_exponent() {
        for (text, number) in [
            (&b"1."[..], 1.0),
            (b".5", 0.5),
            (b"-0", -0.0),
            (b"1e3", 1000.0),
            (b"1E+3", 1000.0),
            (b"2.5e-1", 0.25),
        ] {
            assert_eq!(
                float(text),
                Some(Value::from(number)),
                "{}",
                text.escape_ascii()
            );
        }
        for text in [
            &b"."[..],
            b"+1",
            b"1e",
            b"1e+",
            b"e3",
            b"NaN",
            b"inf",
            b"infinity",
            b"1.8e308",
            b"0x1p3",
            b"1_0",
            b"1.2.3",
        ] {
            assert_eq!(float(text), None, "{}", text.escape_ascii());
        }
    }

    #[test]
    fn nulls_come_before_types_and_an_empty_typed_value_is_null() {
        let settings = Settings {
            null_values: vec![b"-".to_vec(), b"null".to_vec()],
            ..Settings::default()
        };
        assert_eq!(expect_value(&settings, b"status", b"null"), Ok(Value::Null));
        assert_eq!(expect_value(&settings, b"status", b""), Ok(Value::Null));
        assert_eq!(expect_value(&settings, b"ua", b""), Ok(Value::from("")));
        assert_eq!(
            expect_value(&settings, b"status", b"OK"),
            Err(Rejection::new(Problem::Type {
                label: "status".to_owned(),
                expected: Type::Integer
            }))
        );
        let as_string = Settings {
            on_type_error: OnTypeError::String,
            ..Settings::default()
        };
        assert_eq!(
            expect_value(&as_string, b"status", br"\x41"),
            Ok(Value::from("A"))
        );
    }

    #[test]
    fn epoch_times_are_read_in_their_unit() {
        let settings = Settings {
            types: vec![
                (b"ms".to_vec(), Type::TimeMsec),
                (b"us".to_vec(), Type::TimeUsec),
            ],
            ..Settings::default()
        };
        assert_eq!(
            expect_value(&settings, b"ms", b"1624868568123"),
            Ok(Value::from("2021-06-28 08:22:48.123"))
        );
        assert_eq!(
            expect_value(&settings, b"us", b"1624868568123456"),
            Ok(Value::from("2021-06-28 08:22:48.123"))
        );
        assert_eq!(expect_value(&settings, b"us", b""), Ok(Value::Null));
        assert_eq!(
            expect_value(&settings, b"ms", b"1624868568.123"),
            Err(Rejection::new(Problem::Type {
                label: "ms".to_owned(),
                expected: Type::TimeMsec
            }))
        );
    }
}
