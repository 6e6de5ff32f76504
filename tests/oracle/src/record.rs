//! What a record must come back as: its objects, or the first problem in
//! line order, and the partition keys of its first line written.

use crate::line::{LineExpectation, Object, expect_line, first_undeclared};
use crate::ltsv::{Problem, Rejection, distinct, is_label_byte, line_fields, record_lines};
use crate::settings::{Key, Settings};
use crate::text::shown_label;
use crate::time::Time;

/// What a record's decoded data must come back as.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordExpectation {
    /// A line is invalid, or the partition keys can't be computed from the
    /// first line written: `ProcessingFailed`, data unchanged. The first
    /// problem in line order is the one reported.
    Failed(Rejection),
    /// No line is written (no lines, or `LTSV_DROP` left them all out):
    /// `Dropped`.
    Dropped {
        /// Lines left out by `LTSV_DROP`.
        excluded: usize,
    },
    /// Converted.
    Ok {
        /// Each line's object, with the line it comes from.
        objects: Vec<(Object, Vec<u8>)>,
        /// Lines left out by `LTSV_DROP`.
        excluded: usize,
        /// Lines written that hold a label the log format does not declare.
        undeclared: usize,
        /// The first such label, as messages show it.
        first_undeclared: Option<String>,
        /// The partition keys, in `PARTITION_KEYS` order.
        keys: Vec<(String, String)>,
    },
}

/// What `data`, a record's decoded bytes, must come back as.
pub fn expect_record(settings: &Settings, data: &[u8]) -> RecordExpectation {
    let mut objects = Vec::new();
    let mut excluded = 0;
    let mut undeclared = 0;
    let mut first = None;
    let mut keys = None;
    for (number, line) in record_lines(data) {
        match expect_line(settings, line) {
            LineExpectation::Object(members) => {
                // Keys come from the first line written, when it is written.
                if keys.is_none() {
                    match expect_keys(settings, line) {
                        Ok(found) => keys = Some(found),
                        Err(problem) => {
                            return RecordExpectation::Failed(
                                Rejection::new(problem).at_line(number),
                            );
                        }
                    }
                }
                if let Some(label) = first_undeclared(settings, line) {
                    undeclared += 1;
                    first.get_or_insert_with(|| shown_label(label));
                }
                objects.push((members, line.to_vec()));
            }
            LineExpectation::Excluded => excluded += 1,
            LineExpectation::Blank => unreachable!("blank lines are not record lines"),
            LineExpectation::Error(rejection) => {
                return RecordExpectation::Failed(rejection.at_line(number));
            }
        }
    }
    match keys {
        None => RecordExpectation::Dropped { excluded },
        Some(keys) => RecordExpectation::Ok {
            objects,
            excluded,
            undeclared,
            first_undeclared: first,
            keys,
        },
    }
}

/// The partition keys of a valid line. With a time key among them, the
/// event time is needed first: the value of the first label of a time
/// type, present, not empty or null, and valid for its type. Then each label
/// key needs its label's value, present, not empty or null.
pub fn expect_keys(settings: &Settings, line: &[u8]) -> Result<Vec<(String, String)>, Problem> {
    let fields = line_fields(line, settings.any_labels).expect("the line is valid");
    let fields = distinct(&fields);
    let value_of = |label: &[u8]| {
        fields
            .iter()
            .find(|(l, _)| *l == label)
            .map(|&(_, v)| v)
            .filter(|v| !v.is_empty() && !settings.is_null(v))
    };
    let needs_time = settings
        .partition_keys
        .iter()
        .any(|key| !matches!(key, Key::Label(_)));
    let date_hour = match needs_time {
        false => None,
        true => {
            let (label, ty) = settings.time_label().expect("time keys need a time label");
            let shown = String::from_utf8_lossy(label).into_owned();
            let value = value_of(label).ok_or(Problem::NoEventTime {
                label: shown.clone(),
            })?;
            let time = Time::parse_as(ty, value).ok_or(Problem::BadEventTime { label: shown })?;
            Some(time.date_hour())
        }
    };
    let mut keys = Vec::new();
    for key in &settings.partition_keys {
        let part = |i: usize| date_hour.clone().expect("the time is known")[i].clone();
        let value = match key {
            Key::Year => part(0),
            Key::Month => part(1),
            Key::Day => part(2),
            Key::Hour => part(3),
            Key::Label(label) => {
                safe_key_value(value_of(label).ok_or_else(|| Problem::NoPartitionValue {
                    label: String::from_utf8_lossy(label).into_owned(),
                })?)
            }
        };
        keys.push((key.name(), value));
    }
    Ok(keys)
}

/// The partition-key value of a label value: bytes outside
/// `[0-9A-Za-z_.-]` become `_`, cut to 256 bytes (and a value of only
/// dots, which S3 tools treat as a path step, becomes underscores).
pub fn safe_key_value(value: &[u8]) -> String {
    let value = value.get(..256).unwrap_or(value);
    let all_dots = value.iter().all(|&b| b == b'.');
    value
        .iter()
        .map(|&b| {
            if is_label_byte(b) && !(all_dots && b == b'.') {
                b as char
            } else {
                '_'
            }
        })
        .collect()
}

/// `{"k":"v",...}` as the response writes partition keys: compact, in order.
pub fn keys_json(keys: &[(String, String)]) -> String {
    let members: Vec<String> = keys
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                serde_json::to_string(k).expect("a string"),
                serde_json::to_string(v).expect("a string")
            )
        })
        .collect();
    format!("{{{}}}", members.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_keys(keys: Vec<Key>) -> Settings {
        Settings {
            partition_keys: keys,
            ..Settings::default()
        }
    }

    #[test]
    fn keys_come_from_the_first_line_written() {
        let settings = Settings {
            drop: vec![crate::DropRule {
                label: b"ua".to_vec(),
                prefix: false,
                value: b"probe".to_vec(),
            }],
            ..with_keys(vec![Key::Hour, Key::Label(b"vhost".to_vec())])
        };
        let record = b"ua:probe\n\ntime:[01/Jan/2022:08:59:59 +0900]\tvhost:a/b\ntime:-\n";
        let RecordExpectation::Ok {
            objects,
            excluded,
            undeclared,
            first_undeclared,
            keys,
        } = expect_record(&settings, record)
        else {
            panic!("converts");
        };
        assert_eq!((objects.len(), excluded), (2, 1));
        assert_eq!((undeclared, first_undeclared), (0, None));
        assert_eq!(
            keys,
            [
                ("hour".to_owned(), "23".to_owned()),
                ("vhost".to_owned(), "a_b".to_owned())
            ]
        );
    }

    #[test]
    fn problems_are_reported_in_line_order() {
        let settings = with_keys(vec![Key::Label(b"vhost".to_vec())]);
        // The keys' problem on line 1 comes before the type error on line 3.
        assert_eq!(
            expect_record(&settings, b"a:1\n\nstatus:x\n"),
            RecordExpectation::Failed(
                Rejection::new(Problem::NoPartitionValue {
                    label: "vhost".to_owned()
                })
                .at_line(1)
            )
        );
        // A bad line before the first line written comes first.
        let RecordExpectation::Failed(rejection) = expect_record(&settings, b"status:x\na:1\n")
        else {
            panic!("fails");
        };
        assert_eq!(rejection.line, Some(1));
        assert!(matches!(rejection.problem, Problem::Type { .. }));
    }

    #[test]
    fn the_event_time_is_needed_before_label_keys() {
        let settings = with_keys(vec![Key::Label(b"vhost".to_vec()), Key::Year]);
        assert_eq!(
            expect_keys(&settings, b"time:-"),
            Err(Problem::NoEventTime {
                label: "time".to_owned()
            })
        );
        assert_eq!(
            expect_keys(&settings, b"time:soon"),
            Err(Problem::BadEventTime {
                label: "time".to_owned()
            })
        );
        assert_eq!(
            expect_keys(&settings, b"time:1624868568\tvhost:"),
            Err(Problem::NoPartitionValue {
                label: "vhost".to_owned()
            })
        );
    }

    #[test]
    fn written_lines_with_undeclared_labels_are_counted_once_each() {
        let settings = Settings::default();
        let record = b"status:200\nstatus:200\tzz:1\tyy:2\n\nyy:3\tzz:4\tstatus:-\n";
        let RecordExpectation::Ok {
            undeclared,
            first_undeclared,
            ..
        } = expect_record(&settings, record)
        else {
            panic!("converts");
        };
        assert_eq!((undeclared, first_undeclared.as_deref()), (2, Some("zz")));
        let none = Settings {
            declared: None,
            ..Settings::default()
        };
        let RecordExpectation::Ok { undeclared, .. } = expect_record(&none, record) else {
            panic!("converts");
        };
        assert_eq!(undeclared, 0);
    }

    #[test]
    fn an_epoch_time_label_gives_the_hour_in_its_unit() {
        let settings = Settings {
            types: vec![(b"t".to_vec(), crate::Type::TimeUsec)],
            ..with_keys(vec![Key::Hour])
        };
        assert_eq!(
            expect_keys(&settings, b"t:1624868568123456"),
            Ok(vec![("hour".to_owned(), "08".to_owned())])
        );
        assert_eq!(
            expect_keys(&settings, b"t:1624868568"),
            Ok(vec![("hour".to_owned(), "00".to_owned())])
        );
        assert_eq!(
            expect_keys(&settings, b"t:1624868568.5"),
            Err(Problem::BadEventTime {
                label: "t".to_owned()
            })
        );
    }

    #[test]
    fn key_values_are_safe_in_an_s3_prefix() {
        assert_eq!(safe_key_value(b"www.example.com"), "www.example.com");
        assert_eq!(safe_key_value(b"a/b c\xff"), "a_b_c_");
        assert_eq!(safe_key_value(b".."), "__");
        assert_eq!(safe_key_value(b"..a"), "..a");
        assert_eq!(safe_key_value(&[b'x'; 300]).len(), 256);
        // Cut first: 256 dots, then more, are all dots.
        let dots = [&[b'.'; 256][..], b"a"].concat();
        assert_eq!(safe_key_value(&dots), "_".repeat(256));
    }
}
