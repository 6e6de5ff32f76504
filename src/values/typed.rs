//! Typed values written as JSON, their common cases without the full work:
//! an integer already in JSON's form is copied as logged, and a time the
//! same as the last one written is written as it was then.

use crate::values::types::{self, Type};

/// Writes typed values, remembering the last time value it wrote.
#[derive(Debug, Default)]
pub(crate) struct TypedWriter {
    /// Whether a time is written as an integer of microseconds since the
    /// epoch, as Iceberg takes it, rather than as text in UTC.
    micros: bool,
    /// The type of the last time value written, with its text as logged
    /// and its JSON.
    time_type: Option<Type>,
    time_text: Vec<u8>,
    time_json: Vec<u8>,
}

impl TypedWriter {
    /// A writer of times as text in UTC, or with `micros` as integers of
    /// microseconds since the epoch.
    pub(crate) fn new(micros: bool) -> TypedWriter {
        TypedWriter {
            micros,
            ..TypedWriter::default()
        }
    }

    /// Appends `text` as a JSON value of type `ty`, which is not
    /// [`Type::String`]; `None`, with nothing written, when it is not one.
    pub(crate) fn write(&mut self, ty: Type, text: &[u8], out: &mut Vec<u8>) -> Option<()> {
        match ty {
            Type::Integer => write_integer(text, out),
            Type::Float => types::parse_float(text).map(|x| {
                out.extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes());
            }),
            Type::Bool => types::parse_bool(text).map(|b| {
                out.extend_from_slice(if b { b"true" } else { b"false" });
            }),
            Type::Time | Type::TimeMsec | Type::TimeUsec => self.write_time(ty, text, out),
            Type::String => unreachable!("strings are not typed values"),
        }
    }

    /// Appends `text`, a time of type `ty`, as a JSON string in UTC, or an
    /// integer of microseconds. Access logs come in time order, many lines
    /// to a second, so most times are the one before, and are written
    /// again without being parsed.
    fn write_time(&mut self, ty: Type, text: &[u8], out: &mut Vec<u8>) -> Option<()> {
        if self.time_type != Some(ty) || self.time_text != text {
            let time = ty.parse_time(text)?;
            self.time_json.clear();
            if self.micros {
                let mut digits = itoa::Buffer::new();
                self.time_json
                    .extend_from_slice(digits.format(time.unix_micros()).as_bytes());
            } else {
                self.time_json.push(b'"');
                time.write(&mut self.time_json);
                self.time_json.push(b'"');
            }
            self.time_text.clear();
            self.time_text.extend_from_slice(text);
            self.time_type = Some(ty);
        }
        out.extend_from_slice(&self.time_json);
        Some(())
    }
}

/// Appends `text` as a JSON integer, if it is an integer (see
/// [`types::parse_integer`]). One already written as JSON writes it, with
/// no leading zero and no `-0`, and short enough to fit an `i64`, is
/// copied as it is.
fn write_integer(text: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    let canonical = match digits {
        [b'0'] => digits.len() == text.len(),
        [b'1'..=b'9', rest @ ..] => {
            rest.len() < 18 && rest.iter().fold(true, |all, b| all & b.is_ascii_digit())
        }
        _ => false,
    };
    if canonical {
        out.extend_from_slice(text);
        return Some(());
    }
    let n = types::parse_integer(text)?;
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(writer: &mut TypedWriter, ty: Type, text: &str) -> Option<String> {
        let mut out = b"x".to_vec();
        let written = writer.write(ty, text.as_bytes(), &mut out);
        let out = String::from_utf8(out).unwrap();
        assert!(
            written.is_some() || out == "x",
            "nothing is written on error"
        );
        written.map(|()| out[1..].to_owned())
    }

    #[test]
    fn integers_are_copied_only_when_already_json() {
        let mut writer = TypedWriter::default();
        for (text, json) in [
            ("0", "0"),
            ("7", "7"),
            ("-12", "-12"),
            ("-0", "0"),
            ("007", "7"),
            ("-007", "-7"),
            ("123456789012345678", "123456789012345678"),
            ("9223372036854775807", "9223372036854775807"),
            ("-9223372036854775808", "-9223372036854775808"),
        ] {
            assert_eq!(
                written(&mut writer, Type::Integer, text).as_deref(),
                Some(json)
            );
        }
        for bad in [
            "",
            "-",
            "+1",
            "1.0",
            "1a",
            "9223372036854775808",
            // Too long for the copy: read, and too large.
            "12345678901234567890",
            "-12345678901234567890",
            "0x1",
            "--1",
        ] {
            assert_eq!(written(&mut writer, Type::Integer, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_time_like_the_last_is_written_as_the_last_was() {
        let mut writer = TypedWriter::default();
        let apache = "[28/Jun/2021:17:22:48 +0900]";
        let utc = Some("\"2021-06-28 08:22:48\"".to_owned());
        assert_eq!(written(&mut writer, Type::Time, apache), utc);
        assert_eq!(written(&mut writer, Type::Time, apache), utc);
        // The same text, read as another type, is read again.
        assert_eq!(
            written(&mut writer, Type::TimeMsec, "1624868568000").as_deref(),
            Some("\"2021-06-28 08:22:48.000\"")
        );
        assert_eq!(
            written(&mut writer, Type::TimeUsec, "1624868568000").as_deref(),
            Some("\"1970-01-19 19:21:08.568\"")
        );
        assert_eq!(
            written(&mut writer, Type::Time, "[31/Apr/2021:00:00:00 +0000]"),
            None
        );
        assert_eq!(written(&mut writer, Type::Time, apache), utc);
    }
}
