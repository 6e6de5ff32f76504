//! Where a line belongs in the stream's S3 layout: its event time, and the
//! partition keys Firehose dynamic partitioning files a record under, so
//! that data lands by when it happened, not when it arrived.

use crate::config::{Config, PartitionKey};
use crate::error::{Error, ErrorKind};
use crate::parse::line::ParsedLine;
use crate::parse::ltsv;
use crate::values::time::{DateHour, Timestamp, padded};
use crate::values::types::Type;
use crate::write::json;

/// Label values longer than this are cut, keeping S3 prefixes well inside
/// the 1,024-byte key limit.
pub(crate) const MAX_VALUE_LEN: usize = 256;

/// The value `label` takes in `line`, unless it is empty or null: the value
/// a partition key, or an event time, can be taken from.
fn present_value<'a>(config: &Config, line: &ParsedLine<'a>, label: &[u8]) -> Option<&'a [u8]> {
    line.value_of(label)
        .filter(|value| !value.is_empty() && !config.is_null(value))
}

/// When `line` happened: the value of [`Config::time_label`], judged as
/// conversion judges values (a repeated label by its last value; an empty
/// or null value is missing).
pub(crate) fn event_time(config: &Config, line: &ParsedLine) -> Result<Timestamp, Error> {
    let label = config
        .time_label()
        .ok_or_else(|| Error::new(ErrorKind::NoTimeLabel))?;
    let shown = || String::from_utf8_lossy(label).into_owned();
    let value = present_value(config, line, label)
        .ok_or_else(|| Error::new(ErrorKind::NoEventTime { label: shown() }))?;
    let ty = config.type_of(label).unwrap_or(Type::Time);
    ty.parse_time(value)
        .ok_or_else(|| Error::new(ErrorKind::BadEventTime { label: shown() }))
}

/// The UTC hour `line` is filed under: that of its [`event_time`].
pub fn event_hour(config: &Config, line: &ParsedLine) -> Result<DateHour, Error> {
    event_time(config, line).map(|time| time.date_hour())
}

/// Appends the JSON object of `config.partition_keys` computed from
/// `first_line`, the first line a record writes; with no keys configured
/// this is `{}`. On error `out` is left as it was.
pub(crate) fn write_keys(
    config: &Config,
    first_line: &ParsedLine,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let needs_time = config
        .partition_keys()
        .iter()
        .any(|key| !matches!(key, PartitionKey::Label(_)));
    let hour = match needs_time {
        true => Some(event_hour(config, first_line)?),
        false => None,
    };
    let mark = out.len();
    out.push(b'{');
    for (i, key) in config.partition_keys().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json::write_str(out, key.name().as_bytes());
        out.push(b':');
        out.push(b'"');
        match (key, hour) {
            (PartitionKey::Year, Some(t)) => out.extend_from_slice(&padded::<4>(t.year.into())),
            (PartitionKey::Month, Some(t)) => out.extend_from_slice(&padded::<2>(t.month.into())),
            (PartitionKey::Day, Some(t)) => out.extend_from_slice(&padded::<2>(t.day.into())),
            (PartitionKey::Hour, Some(t)) => out.extend_from_slice(&padded::<2>(t.hour.into())),
            (PartitionKey::Label(label), _) => {
                match present_value(config, first_line, label.as_bytes()) {
                    Some(value) => write_safe(out, value),
                    None => {
                        out.truncate(mark);
                        return Err(Error::new(ErrorKind::NoPartitionValue {
                            label: label.clone(),
                        }));
                    }
                }
            }
            (_, None) => unreachable!("the hour is known whenever a time key is configured"),
        }
        out.push(b'"');
    }
    out.push(b'}');
    Ok(())
}

/// Appends `value` made safe as one S3 prefix segment: bytes outside
/// `[0-9A-Za-z_.-]` become `_`, as do the dots of `.` and `..`, and the
/// value is cut to [`MAX_VALUE_LEN`] bytes.
fn write_safe(out: &mut Vec<u8>, value: &[u8]) {
    let value = value.get(..MAX_VALUE_LEN).unwrap_or(value);
    let all_dots = value.iter().all(|&b| b == b'.');
    out.extend(value.iter().map(|&b| {
        if ltsv::is_label_byte(b) && !(all_dots && b == b'.') {
            b
        } else {
            b'_'
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::line::LineParser;

    fn config(vars: &[(&str, &str)]) -> Config {
        Config::from_vars(vars).unwrap()
    }

    fn keys(partition_keys: &str, line: &[u8]) -> Result<String, Error> {
        // No log format, so that keys may name any label; the time label
        // is typed alone.
        let config = config(&[
            ("PARTITION_KEYS", partition_keys),
            ("LTSV_LOG_FORMAT", ""),
            ("LTSV_TYPES", "time:time"),
        ]);
        let mut parser = LineParser::new(config.label_syntax());
        let mut out = b"x".to_vec();
        let result = write_keys(&config, &parser.parse(line).unwrap(), &mut out);
        let text = String::from_utf8(out).unwrap();
        result
            .map(|()| text[1..].to_owned())
            .inspect_err(|_| assert_eq!(text, "x"))
    }

    fn hour_of(config: &Config, line: &[u8]) -> Result<DateHour, Error> {
        let mut parser = LineParser::new(config.label_syntax());
        event_hour(config, &parser.parse(line).unwrap())
    }

    fn hour(year: u16, month: u8, day: u8, hour: u8) -> DateHour {
        DateHour {
            year,
            month,
            day,
            hour,
        }
    }

    #[test]
    fn time_keys_are_utc_and_zero_padded() {
        assert_eq!(
            keys(
                "year,month,day,hour",
                b"time:[01/Feb/2022:08:59:59 +0900]\tvhost:a"
            )
            .unwrap(),
            r#"{"year":"2022","month":"01","day":"31","hour":"23"}"#
        );
        assert_eq!(
            keys("year,hour", b"time:[01/Jan/0999:05:00:00 +0000]").unwrap(),
            r#"{"year":"0999","hour":"05"}"#
        );
    }

    #[test]
    fn label_keys_are_made_safe_for_s3() {
        let line = b"time:1624868568\tvhost:www.example.com\tua:a b/../c\xff\tdots:..";
        assert_eq!(
            keys("vhost,ua,dots,hour", line).unwrap(),
            r#"{"vhost":"www.example.com","ua":"a_b_.._c_","dots":"__","hour":"08"}"#
        );
        let long = [b"vhost:".as_slice(), &[b'a'; 300]].concat();
        assert_eq!(
            keys("vhost", &long).unwrap(),
            format!("{{\"vhost\":\"{}\"}}", "a".repeat(MAX_VALUE_LEN))
        );
        assert_eq!(keys("dots", b"dots:a.").unwrap(), r#"{"dots":"a."}"#);
    }

    #[test]
    fn no_keys_configured_is_an_empty_object() {
        assert_eq!(keys("", b"a:1").unwrap(), "{}");
    }

    #[test]
    fn keys_that_cannot_be_computed_are_errors() {
        let no_time = ErrorKind::NoEventTime {
            label: "time".into(),
        };
        assert_eq!(*keys("year", b"status:200").unwrap_err().kind(), no_time);
        assert_eq!(*keys("year", b"time:-").unwrap_err().kind(), no_time);
        assert_eq!(
            *keys("year", b"time:yesterday").unwrap_err().kind(),
            ErrorKind::BadEventTime {
                label: "time".into()
            }
        );
        assert_eq!(
            *keys("vhost", b"time:1\tvhost:").unwrap_err().kind(),
            ErrorKind::NoPartitionValue {
                label: "vhost".into()
            }
        );
        assert_eq!(
            keys("year,vhost", b"time:1\tvhost:-")
                .unwrap_err()
                .to_string(),
            "partition key: label \"vhost\" is missing, empty or null"
        );
    }

    #[test]
    fn event_hour_is_the_utc_hour_of_the_time_label() {
        let config = Config::default();
        assert_eq!(
            hour_of(&config, b"time:[01/Jan/2022:08:59:59 +0900]\ta:1"),
            Ok(hour(2021, 12, 31, 23))
        );
        // A repeated label counts by its last value, as conversion does.
        assert_eq!(
            hour_of(&config, b"time:-\ttime:1624868568.5"),
            Ok(hour(2021, 6, 28, 8))
        );
        let iso = self::config(&[
            ("LTSV_LOG_FORMAT", ""),
            ("LTSV_TYPES", "status:integer,ts:time,time:time"),
        ]);
        assert_eq!(
            hour_of(&iso, b"time:x\tts:2021-06-28T00:30:00-01:00"),
            Ok(hour(2021, 6, 28, 1))
        );
    }

    #[test]
    fn epoch_times_are_read_in_their_unit() {
        let msec = self::config(&[("LTSV_LOG_FORMAT", r"t:%{msec}t\tn:%D")]);
        assert_eq!(hour_of(&msec, b"t:1624868568123"), Ok(hour(2021, 6, 28, 8)));
        let usec = self::config(&[("LTSV_LOG_FORMAT", r"t:%{usec}t")]);
        assert_eq!(
            hour_of(&usec, b"t:1624868568123456"),
            Ok(hour(2021, 6, 28, 8))
        );
        assert_eq!(
            hour_of(&usec, b"t:1624868568.5").unwrap_err().to_string(),
            "no event time: label \"t\" is not a valid time"
        );
    }

    #[test]
    fn lines_without_a_usable_time_are_errors() {
        let config = Config::default();
        for (line, message) in [
            (
                &b"status:200"[..],
                "no event time: label \"time\" is missing, empty or null",
            ),
            (
                b"time:-",
                "no event time: label \"time\" is missing, empty or null",
            ),
            (
                b"time:",
                "no event time: label \"time\" is missing, empty or null",
            ),
            (
                b"time:yesterday",
                "no event time: label \"time\" is not a valid time",
            ),
            (
                b"time:28/Jun/2021:17:22:48",
                "no event time: label \"time\" is not a valid time",
            ),
        ] {
            let error = hour_of(&config, line).unwrap_err();
            assert_eq!(error.to_string(), message, "{line:?}");
        }
        let untimed = self::config(&[("LTSV_LOG_FORMAT", ""), ("LTSV_TYPES", "status:integer")]);
        assert_eq!(
            hour_of(&untimed, b"time:1624868568")
                .unwrap_err()
                .to_string(),
            "no event time: no label has type time (LTSV_LOG_FORMAT, LTSV_TYPES)"
        );
    }
}
