//! Partition keys for Firehose dynamic partitioning, taken from a record's
//! first line so that data lands under its event time, not its arrival time.

use std::fmt;

use crate::config::{Config, PartitionKey};
use crate::json;
use crate::ltsv;
use crate::time::Timestamp;

/// Label values longer than this are cut, keeping S3 prefixes well inside
/// the 1,024-byte key limit.
pub const MAX_VALUE_LEN: usize = 256;

/// Why a record's partition keys could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartitionError {
    /// The first line has no such label, or its value is null or empty.
    Missing(String),
    /// The time label's value is not a timestamp.
    BadTime(String),
}

impl fmt::Display for PartitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartitionError::Missing(label) => write!(
                f,
                "partition key: label \"{label}\" is missing, empty or null in the first line"
            ),
            PartitionError::BadTime(label) => write!(
                f,
                "partition key: label \"{label}\" in the first line is not a valid time"
            ),
        }
    }
}

impl std::error::Error for PartitionError {}

/// The value `label` takes in a converted `line`: its last occurrence, as
/// conversion judges a repeated label.
fn last_value<'l>(config: &Config, line: &'l [u8], label: &[u8]) -> Option<&'l [u8]> {
    ltsv::fields(line, config.labels)
        .filter_map(Result::ok)
        .filter(|field| field.label == label)
        .last()
        .map(|field| field.value)
}

/// [`last_value`], unless it is empty or null: the value a partition key,
/// or the hour a backfilled line is filed under, can be taken from.
pub fn present_value<'l>(config: &Config, line: &'l [u8], label: &[u8]) -> Option<&'l [u8]> {
    last_value(config, line, label).filter(|value| !value.is_empty() && !config.is_null(value))
}

/// Appends the JSON object of `config.partition_keys` for `record` to `out`,
/// computed from the record's first line that has fields; the record is
/// assumed to have converted already. With no keys configured this is `{}`.
/// On error `out` is left as it was.
pub fn write_keys(config: &Config, record: &[u8], out: &mut Vec<u8>) -> Result<(), PartitionError> {
    if config.partition_keys.is_empty() {
        out.extend_from_slice(b"{}");
        return Ok(());
    }
    // The first line written: one with fields that no drop rule removes.
    let first_line = ltsv::lines(record)
        .map(|line| line.bytes)
        .find(|&line| {
            ltsv::fields(line, config.labels).next().is_some()
                && !config.drop.iter().any(|rule| {
                    last_value(config, line, &rule.label)
                        .is_some_and(|v| rule.matches(&rule.label, v))
                })
        })
        .unwrap_or_default();
    let value_of = |label: &[u8]| present_value(config, first_line, label);
    let time_label = config.time_label().unwrap_or_default();
    let show = |label: &[u8]| String::from_utf8_lossy(label).into_owned();
    let time = if config
        .partition_keys
        .iter()
        .any(|key| !matches!(key, PartitionKey::Label(_)))
    {
        let value =
            value_of(time_label).ok_or_else(|| PartitionError::Missing(show(time_label)))?;
        let time =
            Timestamp::parse(value).ok_or_else(|| PartitionError::BadTime(show(time_label)))?;
        Some(time.date_hour())
    } else {
        None
    };

    let mark = out.len();
    out.push(b'{');
    for (i, key) in config.partition_keys.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json::write_str(out, key.name().as_bytes());
        out.push(b':');
        match (key, time) {
            (PartitionKey::Year, Some(t)) => write_padded(out, t.year, 4),
            (PartitionKey::Month, Some(t)) => write_padded(out, t.month.into(), 2),
            (PartitionKey::Day, Some(t)) => write_padded(out, t.day.into(), 2),
            (PartitionKey::Hour, Some(t)) => write_padded(out, t.hour.into(), 2),
            (PartitionKey::Label(label), _) => match value_of(label.as_bytes()) {
                Some(value) => write_safe(out, value),
                None => {
                    out.truncate(mark);
                    return Err(PartitionError::Missing(label.clone()));
                }
            },
            (_, None) => unreachable!("time is parsed whenever a time key is configured"),
        }
    }
    out.push(b'}');
    Ok(())
}

/// Writes `n` as a JSON string of `width` digits, zero-padded.
fn write_padded(out: &mut Vec<u8>, n: u16, width: u32) {
    out.push(b'"');
    for place in (0..width).rev() {
        out.push(b'0' + (n / 10u16.pow(place) % 10) as u8);
    }
    out.push(b'"');
}

/// Writes `value` as a JSON string that is safe as one S3 prefix segment:
/// bytes outside `[0-9A-Za-z_.-]` become `_`, as do the dots of `.` and
/// `..`, and the value is cut to [`MAX_VALUE_LEN`] bytes.
fn write_safe(out: &mut Vec<u8>, value: &[u8]) {
    let value = value.get(..MAX_VALUE_LEN).unwrap_or(value);
    let all_dots = value.iter().all(|&b| b == b'.');
    out.push(b'"');
    out.extend(value.iter().map(|&b| {
        if ltsv::is_label_byte(b) && !(all_dots && b == b'.') {
            b
        } else {
            b'_'
        }
    }));
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(partition_keys: &str, record: &[u8]) -> Result<String, PartitionError> {
        let config = Config::from_vars(&[("PARTITION_KEYS", partition_keys)]).unwrap();
        let mut out = b"x".to_vec();
        let result = write_keys(&config, record, &mut out);
        let text = String::from_utf8(out).unwrap();
        result
            .map(|()| text[1..].to_owned())
            .inspect_err(|_| assert_eq!(text, "x"))
    }

    #[test]
    fn time_keys_are_utc_and_zero_padded_from_the_first_line() {
        let record = b"\t\n\ntime:[01/Feb/2022:08:59:59 +0900]\tvhost:a\ntime:[05/May/2023:00:00:00 +0000]\n";
        assert_eq!(
            keys("year,month,day,hour", record).unwrap(),
            r#"{"year":"2022","month":"01","day":"31","hour":"23"}"#
        );
    }

    #[test]
    fn label_keys_are_made_safe_for_s3() {
        let record = b"time:1624868568\tvhost:www.example.com\tua:a b/../c\xff\tdots:..";
        assert_eq!(
            keys("vhost,ua,dots,hour", record).unwrap(),
            r#"{"vhost":"www.example.com","ua":"a_b_.._c_","dots":"__","hour":"08"}"#
        );
        let long = [b"vhost:".as_slice(), &[b'a'; 300]].concat();
        assert_eq!(
            keys("vhost", &long).unwrap(),
            format!("{{\"vhost\":\"{}\"}}", "a".repeat(MAX_VALUE_LEN))
        );
    }

    #[test]
    fn keys_come_from_the_first_line_not_dropped() {
        let config =
            Config::from_vars(&[("PARTITION_KEYS", "hour"), ("LTSV_DROP", "ua^=ELB")]).unwrap();
        let mut out = Vec::new();
        let record = b"time:1624860000\tua:ELB-HealthChecker\ntime:1624868568\tua:curl\n";
        write_keys(&config, record, &mut out).unwrap();
        assert_eq!(out, br#"{"hour":"08"}"#);
    }

    #[test]
    fn no_keys_configured_is_an_empty_object() {
        assert_eq!(keys("", b"a:1").unwrap(), "{}");
    }

    #[test]
    fn keys_that_cannot_be_computed_are_errors() {
        assert_eq!(
            keys("year", b"status:200"),
            Err(PartitionError::Missing("time".into()))
        );
        assert_eq!(
            keys("year", b"time:-"),
            Err(PartitionError::Missing("time".into()))
        );
        assert_eq!(
            keys("year", b"time:yesterday"),
            Err(PartitionError::BadTime("time".into()))
        );
        assert_eq!(
            keys("vhost", b"time:1\tvhost:"),
            Err(PartitionError::Missing("vhost".into()))
        );
        assert_eq!(
            keys("year,vhost", b"time:1\tvhost:-")
                .unwrap_err()
                .to_string(),
            "partition key: label \"vhost\" is missing, empty or null in the first line"
        );
    }
}
