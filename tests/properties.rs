//! Properties that must hold for any input, held to the rules of
//! `ltsv-oracle`: the Firehose contract for any batch under several
//! settings (summary counts included); the JSON a line becomes for any
//! labels and value bytes, in each unescaping mode; labels that differ only
//! in case; epoch milliseconds and microseconds; lines with labels a log
//! format does not declare. Then JSON strings for any bytes, and timestamps
//! for any instant and UTC offset, with chrono as the calendar.

mod common;

use aws_lambda_events::event::firehose::KinesisFirehoseResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};
use common::{config, escape_every_char, event_json};
use firehose_ltsv::{
    Config, Converter, Error, ErrorKind, LineOutcome, LineParser, Timestamp, Type, Unescape,
    event_hour, handle, json_str_len, transform, write_json_str,
};
use lambda_runtime::{Context, LambdaEvent};
use ltsv_oracle::product::{self, settings};
use ltsv_oracle::{
    Key, LineExpectation, Problem, RecordExpectation, Rejection, Settings, as_text, check_object,
    expect_keys, expect_line, expect_record, first_undeclared, folded_labels, keys_json,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use serde_json::Value;
use serde_json::value::RawValue;

/// No regression files: a failure prints its minimal case, and this suite
/// must not write into the source tree.
fn cases(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// --- The product's settings and errors in the oracle's terms -----------------

/// A product error about a line, in the oracle's terms.
fn rejection(error: &Error) -> Rejection {
    product::rejection(error).unwrap_or_else(|| panic!("no rule gives the error {error:?}"))
}

/// Checks that the product's `actual` rejection of `line` is the rules'
/// `expected` one. Of labels differing only in case, the product may name
/// any pair the rules find, the one appearing first first.
fn check_rejection(
    settings: &Settings,
    line: &[u8],
    actual: Rejection,
    expected: &Rejection,
) -> Result<(), TestCaseError> {
    let shown = line.escape_ascii().to_string();
    let actual = match (&actual.problem, &expected.problem) {
        (Problem::FoldedLabels { first, second }, Problem::FoldedLabels { .. }) => {
            let pairs = folded_labels(settings, line);
            prop_assert!(
                pairs.contains(&(first.clone(), second.clone())),
                "line {}: the product names {:?} and {:?}, not one of {:?}",
                shown,
                first,
                second,
                pairs
            );
            Rejection {
                problem: expected.problem.clone(),
                ..actual
            }
        }
        _ => actual,
    };
    prop_assert_eq!(&actual, expected, "line {}", shown);
    Ok(())
}

/// Converts `line` with the product and checks the result against the
/// rules; returns what the rules say it becomes.
fn check_line(config: &Config, line: &[u8]) -> Result<LineExpectation, TestCaseError> {
    let settings = settings(config);
    let expected = expect_line(&settings, line);
    let mut out = b"prefix".to_vec();
    let result = Converter::new(config).convert_line(line, &mut out);
    let shown = line.escape_ascii().to_string();
    match (&expected, result) {
        (LineExpectation::Blank, Ok(LineOutcome::Blank))
        | (LineExpectation::Excluded, Ok(LineOutcome::Excluded)) => {
            prop_assert_eq!(&out, b"prefix", "nothing written for line {}", shown);
        }
        (LineExpectation::Error(expected), Err(error)) => {
            check_rejection(&settings, line, rejection(&error), expected)?;
            prop_assert_eq!(&out, b"prefix", "nothing written for line {}", shown);
        }
        (LineExpectation::Object(members), Ok(LineOutcome::Written)) => {
            prop_assert_eq!(&out[..6], b"prefix", "only appends");
            check_object(members, &out[6..], line);
        }
        (expected, result) => prop_assert!(
            false,
            "line {}: the rules say {:?}, the product {:?} writing {:?}",
            shown,
            expected,
            result,
            String::from_utf8_lossy(&out[6..])
        ),
    }
    Ok(expected)
}

/// The oracle's defaults are README.md's, written out apart: the product's
/// must be the same.
#[test]
fn the_default_settings_are_the_readmes() {
    assert_eq!(settings(&Config::default()), Settings::default());
    let none = config(&[("LTSV_LOG_FORMAT", ""), ("LTSV_TYPES", "")]);
    assert_eq!(
        settings(&none),
        Settings {
            types: Vec::new(),
            declared: None,
            ..Settings::default()
        }
    );
}

// --- Firehose batches -------------------------------------------------------

/// Fields of well-formed LTSV, each valid with the default settings.
const GOOD_FIELDS: &[&[u8]] = &[
    b"a:1",
    b"b:",
    b"status:200",
    b"size:-",
    b"time:[28/Jun/2021:17:22:48 +0900]",
    b"ua:\\xe3\\x81\\x82",
    b"ua:\\xff\\\"",
    b"ua:\\u00e9\\ud83d\\ude00\\/",
    b"q:\",\"admin\":true,\"x\":\"",
    b"raw:\xff\xfe\r",
    b"t:1624868568123",
    b"us:1624868568123456",
    b"vhost:www.example.com",
    b"",
];

/// Fields that make a line fail with the default settings, or with some.
const BAD_FIELDS: &[&[u8]] = &[
    b"status:OK",
    b"time:soon",
    b"nocolon",
    b"bad label:1",
    b":empty",
    b" ",
    b"\r",
    b"Status:200",
    b"UA:x",
    b"t:1624868568.5",
];

const LINE_ENDS: &[&[u8]] = &[b"\n", b"\r\n", b"\n\n"];

/// LTSV records: lines of mostly good fields, some blank or TAB-only, with
/// LF or CRLF ends and perhaps none on the last line, so that records are
/// often valid, often invalid, and sometimes hold nothing.
fn ltsv_record() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![12 => select(GOOD_FIELDS), 1 => select(BAD_FIELDS)];
    let line = (vec(field, 0..4), select(LINE_ENDS));
    (vec(line, 0..5), any::<bool>()).prop_map(|(lines, unterminated)| {
        let mut bytes = Vec::new();
        for (fields, end) in lines {
            bytes.extend_from_slice(&fields.join(&b'\t'));
            bytes.extend_from_slice(end);
        }
        if unterminated {
            let kept = bytes.trim_ascii_end().len();
            bytes.truncate(kept);
        }
        bytes.truncate(300);
        bytes
    })
}

fn record_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => ltsv_record(),
        1 => vec(select(b"a:1\t\n\r\\x-".to_vec()), 0..300),
        1 => vec(any::<u8>(), 0..300),
    ]
}

/// A record's `data` string: mostly base64, sometimes text that is not, or
/// that only looks like it.
fn data_string() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => record_bytes().prop_map(|bytes| BASE64.encode(bytes)),
        1 => "\\PC{0,40}",
        1 => (record_bytes(), select(&["!", "=", "A", " ", "\n", "==", "YR==", "\u{e9}"][..]))
            .prop_map(|(bytes, junk)| format!("{}{junk}", BASE64.encode(bytes))),
        1 => select(&["YR==", "=AAA", "A===", "AAAAA", "YQ==YQ==", ""][..]).prop_map(String::from),
    ]
}

#[derive(Clone, Debug)]
struct InputRecord {
    id: String,
    data: String,
    escaped: bool,
}

fn batch() -> impl Strategy<Value = Vec<InputRecord>> {
    vec(
        (
            "[0-9a-f]{0,6}|\\PC{0,6}|\"\\\\",
            data_string(),
            any::<bool>(),
        ),
        0..20,
    )
    .prop_map(|records| {
        records
            .into_iter()
            .enumerate()
            // The index keeps ids unique, so each can be found exactly once.
            .map(|(i, (suffix, data, escaped))| InputRecord {
                id: format!("{i}{suffix}"),
                data,
                escaped,
            })
            .collect()
    })
}

/// The event of `records`, each id and data quoted plainly or with every
/// character escaped.
fn batch_event(records: &[InputRecord]) -> String {
    event_json(records.iter().map(|record| {
        let quote = |text: &str| match record.escaped {
            true => escape_every_char(text),
            false => serde_json::to_string(text).unwrap(),
        };
        (quote(&record.id), quote(&record.data))
    }))
}

/// README.md's Apache `LogFormat` line with epoch times, as a server
/// configuration holds it.
const APACHE_EPOCH_FORMAT: &str = r#"LogFormat "t:%{msec}t\tus:%{usec}t\tstatus:%>s\tua:%{User-Agent}i\treq:%r\tvhost:%{Host}i" epoch"#;

/// An nginx `log_format` with `escape=json`, over two strings.
const NGINX_JSON_FORMAT: &str = r"log_format j escape=json 'time:$time_iso8601\tstatus:$status\t'
    'reqtime:$request_time\tua:$http_user_agent\tup:$upstream_response_time\tvhost:$host';";

/// Settings for the batches: the defaults; none at all; formats with
/// epoch times and JSON escapes, partitioned; any labels, drop rules,
/// request lines split and values kept as logged.
const BATCH_SETTINGS: &[&[(&str, &str)]] = &[
    &[],
    &[("LTSV_LOG_FORMAT", ""), ("LTSV_TYPES", "")],
    &[
        ("LTSV_LOG_FORMAT", APACHE_EPOCH_FORMAT),
        ("PARTITION_KEYS", "year,hour,vhost"),
    ],
    &[
        ("LTSV_LOG_FORMAT", NGINX_JSON_FORMAT),
        ("LTSV_TYPES", "t:time_msec,us:time_usec,a:integer"),
        ("LTSV_ON_TYPE_ERROR", "null"),
        ("PARTITION_KEYS", "day"),
    ],
    &[
        ("LTSV_STRICT_LABELS", "false"),
        ("LTSV_UNESCAPE", "false"),
        ("LTSV_DROP", "ua^=\\xe3,a=1"),
        // No format: a setting may then name any label.
        ("LTSV_LOG_FORMAT", ""),
        ("LTSV_SPLIT_REQUEST", "q"),
    ],
];

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn every_batch_gets_one_valid_result_per_record_in_order(
        records in batch(),
        vars in select(BATCH_SETTINGS),
    ) {
        let config = config(vars);
        let settings = settings(&config);
        let event = batch_event(&records);
        let payload: Box<RawValue> = serde_json::from_str(&event).unwrap();
        let response = handle(LambdaEvent::new(payload, Context::default()), &config)
            .expect("a Firehose event is always answered");
        let response = response.get();

        let typed: KinesisFirehoseResponse = serde_json::from_str(response)
            .expect("the response is a KinesisFirehoseResponse");
        let raw: Value = serde_json::from_str(response).unwrap();
        let raw = raw["records"].as_array().unwrap();
        let ids: Vec<_> = typed.records.iter().map(|r| r.record_id.clone()).collect();
        let expected_ids: Vec<_> = records.iter().map(|r| Some(r.id.clone())).collect();
        prop_assert_eq!(ids, expected_ids);
        prop_assert_eq!(raw.len(), records.len());

        let (mut ok, mut dropped, mut failed) = (0, 0, 0);
        let (mut lines_out, mut excluded_lines) = (0, 0);
        let (mut undeclared_lines, mut first_undeclared) = (0, None);
        for ((input, output), raw) in records.iter().zip(&typed.records).zip(raw) {
            let result = output.result.as_deref().unwrap();
            let raw_data = raw["data"].as_str().unwrap();
            // Compared as values: the fuzz targets check their order.
            let keys = &raw["metadata"]["partitionKeys"];
            let no_keys = serde_json::json!({});
            let Ok(decoded) = BASE64.decode(&input.data) else {
                // Not base64, which Firehose never sends: the text comes back
                // base64-encoded, so the response stays decodable and still
                // carries exactly what arrived.
                prop_assert_eq!(result, "ProcessingFailed");
                prop_assert_eq!(&output.data.0, input.data.as_bytes());
                prop_assert_eq!(keys, &no_keys);
                failed += 1;
                continue;
            };
            match expect_record(&settings, &decoded) {
                RecordExpectation::Dropped { excluded } => {
                    prop_assert_eq!(result, "Dropped");
                    prop_assert_eq!(raw_data, "");
                    prop_assert_eq!(keys, &no_keys);
                    dropped += 1;
                    excluded_lines += excluded;
                }
                RecordExpectation::Failed(_) => {
                    prop_assert_eq!(result, "ProcessingFailed");
                    prop_assert_eq!(raw_data, input.data.as_str());
                    prop_assert_eq!(keys, &no_keys);
                    failed += 1;
                }
                RecordExpectation::Ok { objects, excluded, undeclared, first_undeclared: first, keys: expected_keys } => {
                    prop_assert_eq!(result, "Ok");
                    let written: Vec<&[u8]> =
                        output.data.split_inclusive(|&b| b == b'\n').collect();
                    prop_assert_eq!(written.len(), objects.len(), "one object per line");
                    for (written, (members, line)) in written.iter().zip(&objects) {
                        check_object(members, written, line);
                    }
                    let expected_keys: Value = serde_json::from_str(&keys_json(&expected_keys)).unwrap();
                    prop_assert_eq!(keys, &expected_keys);
                    ok += 1;
                    lines_out += objects.len();
                    excluded_lines += excluded;
                    undeclared_lines += undeclared;
                    if first_undeclared.is_none() {
                        first_undeclared = first;
                    }
                }
            }
        }

        let (again, summary) = transform(&event, &config).unwrap();
        prop_assert_eq!(again.get(), response);
        prop_assert_eq!(summary.records, records.len());
        prop_assert_eq!((summary.ok, summary.dropped, summary.failed), (ok, dropped, failed));
        prop_assert_eq!((summary.lines_out, summary.lines_excluded), (lines_out, excluded_lines));
        prop_assert_eq!(summary.lines_undeclared, undeclared_lines);
        // Which label is first: see the next property.
        prop_assert_eq!(summary.first_undeclared_label.is_some(), first_undeclared.is_some());
    }

    /// The label the summary names (and the function logs) is the first
    /// undeclared label of the lines written: of `Ok` records only, never of
    /// a record that failed after some of its lines converted.
    #[test]
    fn the_first_undeclared_label_is_the_first_written(
        records in batch(),
        vars in select(BATCH_SETTINGS),
    ) {
        let config = config(vars);
        let settings = settings(&config);
        let first_written = records.iter().find_map(|record| {
            match expect_record(&settings, &BASE64.decode(&record.data).ok()?) {
                RecordExpectation::Ok { first_undeclared, .. } => first_undeclared,
                _ => None,
            }
        });
        let (_, summary) = transform(&batch_event(&records), &config).unwrap();
        prop_assert_eq!(summary.first_undeclared_label, first_written);
    }
}

// --- LTSV lines to JSON objects ----------------------------------------------

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        select(&["a", "b", "status", "x.y", "A-1_", "-"][..]).prop_map(String::from),
        "[0-9A-Za-z_.-]{1,8}",
    ]
}

/// Values that are hard to carry safely: escapes of every mode, quotes, CR,
/// control bytes, invalid UTF-8, the null marker and JSON-injection
/// attempts.
const AWKWARD_VALUES: &[&[u8]] = &[
    b"-",
    b"",
    b"--",
    b"\\",
    b"\\x41",
    b"\\x2d",
    b"\\xe3\\x81\\x82",
    b"\\xe3\\x81",
    b"\\xff\\\"",
    b"\\\"q\\\" \\\\ \\t\\n\\r\\b\\v \\u00e9 \\a",
    b"\\u0041\\u00E9\\u3042\\/\\f",
    b"\\ud83d\\ude00",
    b"\\ud83d\\u0041",
    b"\\ud83d\\ud83d\\ude00",
    b"\\ude00\\ud83d",
    b"\\u002d",
    b"\\u0000\\u001f\\u007f",
    b"\\u00",
    b"\\\\u0041",
    b"\"",
    b"\",\"admin\":true,\"x\":\"",
    b"\"}\n{\"admin\":true",
    b"\r",
    b"a\rb\r",
    b"\x00\x01\x1f\x7f",
    b"\xff\xfe",
    b"\xe3\x81",
    b"\xed\xa0\x80",
    "日本語".as_bytes(),
    b"k:v:w",
];

/// Pieces of JSON escapes, whole and not: `\u` with hex digits of either
/// case, surrogates high and low, the short escapes, and text between.
const JSON_PIECES: &[&str] = &[
    r"\u", r"\u00", r"\u0041", r"\u00e9", r"\u00E9", r"\u3042", r"\u0000", r"\u001F", r"\ud83d",
    r"\uD83D", r"\ude00", r"\uDE00", r"\udbff", r"\udfff", r"\ud800", r"\udc00", r"\/", r#"\""#,
    r"\\", r"\b", r"\f", r"\n", r"\r", r"\t", r"\v", r"\x41", r"\'", r"\0", r"\", "u", "d", "8",
    "3", "D", "0", "a", "f", "g", "é", "あ", "😀", "-",
];

/// What may follow an incomplete escape: nothing, or bytes that are not
/// UTF-8 by themselves.
const RAW_ENDS: &[&[u8]] = &[b"", b"\xff", b"\xe3"];

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(
            any::<u8>().prop_filter("TAB and LF end a value", |&b| b != b'\t' && b != b'\n'),
            0..24
        ),
        vec(
            select(b"\\x\"-:\r0aF\x00\x7f\xff\xe3\x81\x82 ntu/dD8".to_vec()),
            0..24
        ),
        vec(select(JSON_PIECES), 0..8).prop_map(|pieces| pieces.concat().into_bytes()),
        (
            vec(select(JSON_PIECES), 0..4),
            "[0-9a-fA-F]{0,5}",
            select(RAW_ENDS)
        )
            .prop_map(|(pieces, hex, raw)| {
                [pieces.concat().as_bytes(), b"\\u", hex.as_bytes(), raw].concat()
            }),
        select(AWKWARD_VALUES).prop_map(<[u8]>::to_vec),
    ]
}

/// A line of `fields`, with `gaps[i]` extra TABs (empty fields) before
/// field `i` and after the last.
fn ltsv_line(fields: &[(String, Vec<u8>)], gaps: &[usize]) -> Vec<u8> {
    let mut line = Vec::new();
    for (i, (label, value)) in fields.iter().enumerate() {
        if i > 0 {
            line.push(b'\t');
        }
        line.extend(std::iter::repeat_n(b'\t', gaps[i]));
        line.extend_from_slice(label.as_bytes());
        line.push(b':');
        line.extend_from_slice(value);
    }
    line.extend(std::iter::repeat_n(b'\t', gaps[fields.len()]));
    line
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn a_line_becomes_one_object_of_its_distinct_labels_and_last_values(
        fields in vec((label(), value()), 1..12),
        gaps in vec(0usize..3, 13),
    ) {
        let line = ltsv_line(&fields, &gaps);
        // Each label once, in the place it first appears, with its last value.
        let mut distinct: Vec<(&str, &[u8])> = Vec::new();
        for (label, value) in &fields {
            match distinct.iter_mut().find(|(seen, _)| seen == label) {
                Some(member) => member.1 = value,
                None => distinct.push((label, value)),
            }
        }
        let folds = (0..distinct.len())
            .any(|i| distinct[..i].iter().any(|(l, _)| l.eq_ignore_ascii_case(distinct[i].0)));

        for unescaping in ["true", "false", "json"] {
            // No format and no types, so no value can be a type error.
            let config = config(&[
                ("LTSV_LOG_FORMAT", ""),
                ("LTSV_TYPES", ""),
                ("LTSV_UNESCAPE", unescaping),
            ]);
            let expected = check_line(&config, &line)?;
            let LineExpectation::Object(members) = expected else {
                // Only labels that differ in case can fail such a line.
                prop_assert!(folds, "the rules refuse {}: {:?}", line.escape_ascii(), expected);
                continue;
            };
            prop_assert!(!folds);
            let keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
            let labels: Vec<&str> = distinct.iter().map(|(label, _)| *label).collect();
            prop_assert_eq!(keys, labels);
            // A value with nothing to decode or escape is written as logged.
            for ((_, value), (_, logged)) in members.iter().zip(&distinct) {
                if *logged != b"-" && !logged.contains(&b'\\')
                    && let Ok(text) = std::str::from_utf8(logged)
                {
                    prop_assert_eq!(value.as_str(), Some(text));
                }
            }
        }
    }

    /// nginx's `escape=json` writes `"`, `\` and control characters as JSON
    /// escapes, and a JSON writer may escape any character: decoding gives
    /// back the text, whatever it is.
    #[test]
    fn json_escaped_text_decodes_to_the_text(text in any_text(), every_char in any::<bool>()) {
        let config = config(&[
            ("LTSV_LOG_FORMAT", NGINX_JSON_FORMAT),
            ("LTSV_NULL_VALUES", ""),
        ]);
        prop_assert_eq!(config.unescape(), Unescape::Json);
        let quoted = match every_char {
            true => escape_every_char(&text),
            false => serde_json::to_string(&text).unwrap(),
        };
        let escaped = &quoted[1..quoted.len() - 1];
        let line = format!("ua:{escaped}");
        check_line(&config, line.as_bytes())?;
        let mut out = Vec::new();
        Converter::new(&config).convert_line(line.as_bytes(), &mut out).unwrap();
        let object: Value = serde_json::from_slice(&out).unwrap();
        prop_assert_eq!(object["ua"].as_str(), Some(text.as_str()));
    }
}

// --- Labels that differ only in case -------------------------------------------

/// Labels with others that differ from them only in case, and some that
/// differ otherwise; beyond ASCII (for any labels), letters whose cases
/// Unicode maps, and some it does not.
const CASE_LABELS: &[&str] = &[
    "ua", "UA", "Ua", "uA", "status", "Status", "STATUS", "x", "X", "a-b", "A-B", "a_b", "a.b",
    "time", "TIME", "vhost",
];
const CASE_LABELS_BEYOND_ASCII: &[&str] = &[
    "Äb", "äb", "ÄB", "äB", "Σ", "σ", "ς", "ΑΣ", "ας", "É", "é", "ß", "SS", "ss", "İ", "i", "ǅ",
    "ǆ", "Ǆ", "a b", "A B",
];

/// Values for them: typed or not, null, and matching the drop rules.
const CASE_VALUES: &[&[u8]] = &[
    b"1",
    b"x",
    b"-",
    b"",
    b"drop",
    b"ELB-HealthChecker",
    b"\\x41",
];

fn case_fields(any_labels: bool) -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let label = match any_labels {
        false => select(CASE_LABELS).boxed(),
        true => prop_oneof![select(CASE_LABELS), select(CASE_LABELS_BEYOND_ASCII)].boxed(),
    };
    let value = select(CASE_VALUES);
    vec(
        (label.prop_map(String::from), value.prop_map(<[u8]>::to_vec)),
        1..8,
    )
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn labels_that_differ_only_in_case_fail_their_line_unless_it_is_left_out(
        (any_labels, fields) in any::<bool>().prop_flat_map(|any| (Just(any), case_fields(any))),
        padding in prop_oneof![Just(0usize), 1usize..40],
        padding_first in any::<bool>(),
    ) {
        // Padding of distinct labels makes lines long enough that labels are
        // sorted rather than compared pairwise.
        let padding: Vec<(String, Vec<u8>)> =
            (0..padding).map(|i| (format!("p{i}"), b"1".to_vec())).collect();
        let fields = match padding_first {
            true => [padding, fields].concat(),
            false => [fields, padding].concat(),
        };
        let line = ltsv_line(&fields, &vec![0; fields.len() + 1]);
        // The default format (time and status typed), with drop rules.
        let config = config(&[
            ("LTSV_STRICT_LABELS", if any_labels { "false" } else { "true" }),
            ("LTSV_DROP", "x=drop,ua^=ELB"),
        ]);
        let expected = check_line(&config, &line)?;
        let settings = settings(&config);
        let folded = !folded_labels(&settings, &line).is_empty();
        match expected {
            LineExpectation::Excluded | LineExpectation::Blank => {}
            LineExpectation::Error(Rejection { problem: Problem::FoldedLabels { .. }, .. }) => {
                prop_assert!(folded)
            }
            _ => prop_assert!(!folded, "{:?}", expected),
        }
        // The parser finds a pair exactly when there is one.
        let mut parser = LineParser::new(config.label_syntax());
        let parsed = parser.parse(&line).unwrap();
        prop_assert_eq!(parsed.folded_labels().is_some(), folded);
    }
}

/// The Kelvin sign `K` (U+212A) lowercases to the ASCII `k`, in Unicode and
/// in Java, whose `toLowerCase` the OpenX JSON SerDe uses for every key:
/// `K` and `k` are one column, and a line with both must fail as `ua` and
/// `UA` do.
#[test]
fn the_kelvin_sign_and_k_are_one_column() {
    let config = config(&[("LTSV_STRICT_LABELS", "false")]);
    for line in ["\u{212a}:1\tk:2", "k:1\t\u{212a}:2", "\u{212a}b:1\tKB:2"] {
        let result = Converter::new(&config).convert_line(line.as_bytes(), &mut Vec::new());
        assert!(
            matches!(
                result.as_ref().map_err(Error::kind),
                Err(ErrorKind::FoldedLabels { .. })
            ),
            "{line:?}: {result:?}"
        );
    }
}

// --- Epoch milliseconds and microseconds ----------------------------------------

/// A whole number of `per_second`ths since the epoch, with leading zeros up
/// to `width` digits, and what it must be written as (by chrono).
fn epoch_units(units: u64, per_second: u64, zeros: usize) -> (String, String) {
    let seconds = i64::try_from(units / per_second).unwrap();
    let millis = units % per_second * 1000 / per_second;
    let utc = DateTime::from_timestamp(seconds, 0).unwrap().naive_utc();
    let written = format!("{}.{millis:03}", utc.format("%Y-%m-%d %H:%M:%S"));
    (format!("{}{units}", "0".repeat(zeros)), written)
}

/// Text that is not a whole number of units: signs, points, exponents,
/// spaces, too many digits, other digits.
fn not_epoch_units() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-+ ][0-9]{1,15}",
        "[0-9]{1,12}[.,eE][0-9]{0,6}",
        "[0-9]{1,10}[ a-z:]",
        "[0-9]{19,24}",
        "١٢٣",
        Just(String::new()),
    ]
}

/// The largest count of milliseconds and microseconds in a four-digit year.
const MAX_MSEC: u64 = 253_402_300_799_999;
const MAX_USEC: u64 = 253_402_300_799_999_999;

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn epoch_milliseconds_and_microseconds_are_written_in_utc_to_the_millisecond(
        msec in prop_oneof![0..=MAX_MSEC, (MAX_MSEC - 100_000)..=(MAX_MSEC + 100_000), 0u64..100_000],
        usec in prop_oneof![0..=MAX_USEC, (MAX_USEC - 100_000_000)..=(MAX_USEC + 100_000_000)],
        zeros in 0usize..4,
        bad in not_epoch_units(),
        on_type_error in select(&["fail", "null", "string"][..]),
        from_format in any::<bool>(),
    ) {
        // The types from the format's directives, or from LTSV_TYPES.
        let config = match from_format {
            true => config(&[
                ("LTSV_LOG_FORMAT", r"ms:%{msec}t\tus:%{end:usec}t\tstatus:%>s"),
                ("LTSV_ON_TYPE_ERROR", on_type_error),
            ]),
            false => config(&[
                ("LTSV_LOG_FORMAT", ""),
                ("LTSV_TYPES", "ms:time_msec,us:time_usec,status:integer"),
                ("LTSV_ON_TYPE_ERROR", on_type_error),
            ]),
        };
        prop_assert_eq!(config.type_of(b"ms"), Some(Type::TimeMsec));
        prop_assert_eq!(config.type_of(b"us"), Some(Type::TimeUsec));
        prop_assert_eq!(config.time_label(), Some(&b"ms"[..]));
        let (ms_text, ms_written) = epoch_units(msec, 1_000, zeros);
        let (us_text, us_written) = epoch_units(usec, 1_000_000, zeros);
        let line = format!("ms:{ms_text}\tus:{us_text}\tstatus:1");
        let expected = check_line(&config, line.as_bytes())?;
        let (ms_valid, us_valid) = (
            msec <= MAX_MSEC && ms_text.len() <= 15,
            usec <= MAX_USEC && us_text.len() <= 18,
        );
        match (ms_valid && us_valid, &expected) {
            (true, LineExpectation::Object(members)) => {
                prop_assert_eq!(&members[0].1, &Value::from(ms_written));
                prop_assert_eq!(&members[1].1, &Value::from(us_written));
            }
            (false, LineExpectation::Object(_)) => prop_assert!(on_type_error != "fail"),
            (false, LineExpectation::Error(_)) => prop_assert_eq!(on_type_error, "fail"),
            (_, other) => prop_assert!(false, "{}: {:?}", line, other),
        }
        // The event hour, from the first time label: `ms`.
        let mut parser = LineParser::new(config.label_syntax());
        let hour = event_hour(&config, &parser.parse(line.as_bytes()).unwrap());
        let keys_settings = Settings {
            partition_keys: vec![Key::Year, Key::Month, Key::Day, Key::Hour],
            ..settings(&config)
        };
        match (hour, expect_keys(&keys_settings, line.as_bytes())) {
            (Ok(hour), Ok(keys)) => {
                let values: Vec<&str> = keys.iter().map(|(_, value)| value.as_str()).collect();
                let path = format!("year={}/month={}/day={}/hour={}", values[0], values[1], values[2], values[3]);
                prop_assert_eq!(hour.partition_path(), path);
                prop_assert!(ms_valid);
            }
            (Err(error), Err(problem)) => {
                prop_assert!(!ms_valid);
                prop_assert_eq!(rejection(&error).problem, problem);
            }
            (hour, keys) => prop_assert!(false, "{}: {:?} but the rules say {:?}", line, hour, keys),
        }

        // Text that is not a count of units is a type error, in either unit;
        // empty, it is null.
        for label in ["ms", "us"] {
            let line = format!("{label}:{bad}");
            let expected = check_line(&config, line.as_bytes())?;
            let value = match &expected {
                LineExpectation::Object(members) => Some(members[0].1.clone()),
                _ => None,
            };
            match (bad.is_empty(), on_type_error) {
                (true, _) | (false, "null") => prop_assert_eq!(value, Some(Value::Null)),
                (false, "string") => prop_assert_eq!(value, Some(Value::from(bad.clone()))),
                (false, _) => {
                    let is_type_error = matches!(
                        &expected,
                        LineExpectation::Error(Rejection { problem: Problem::Type { .. }, .. })
                    );
                    prop_assert!(is_type_error, "{}: {:?}", line, expected);
                }
            }
        }
    }
}

// --- Labels a log format does not declare ---------------------------------------

/// Labels of README.md's Apache format and the epoch format above, in
/// either case, and labels neither declares.
const DRIFT_LABELS: &[&str] = &[
    "time",
    "status",
    "size",
    "ua",
    "vhost",
    "req",
    "t",
    "us",
    "Status",
    "UA",
    "zz",
    "upstream",
    "x-request-id",
    "TIME",
];

const DRIFT_VALUES: &[&[u8]] = &[
    b"1",
    b"-",
    b"200",
    b"[28/Jun/2021:17:22:48 +0900]",
    b"1624868568123",
    b"ELB",
];

fn drift_record() -> impl Strategy<Value = Vec<u8>> {
    let value = select(DRIFT_VALUES);
    let line = vec((select(DRIFT_LABELS), value), 0..5).prop_map(|fields| {
        let fields: Vec<Vec<u8>> = fields
            .into_iter()
            .map(|(label, value)| [label.as_bytes(), b":", value].concat())
            .collect();
        fields.join(&b'\t')
    });
    vec(line, 1..6).prop_map(|lines| lines.join(&b'\n'))
}

const DRIFT_SETTINGS: &[&[(&str, &str)]] = &[
    &[("LTSV_ON_TYPE_ERROR", "null")],
    &[("LTSV_ON_TYPE_ERROR", "null"), ("LTSV_DROP", "ua=ELB")],
    &[
        ("LTSV_LOG_FORMAT", APACHE_EPOCH_FORMAT),
        ("LTSV_ON_TYPE_ERROR", "string"),
    ],
    &[("LTSV_LOG_FORMAT", ""), ("LTSV_TYPES", "status:integer")],
    &[
        ("LTSV_LOG_FORMAT", NGINX_JSON_FORMAT),
        ("LTSV_STRICT_LABELS", "false"),
    ],
];

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn written_lines_with_labels_the_format_does_not_declare_are_counted(
        data in drift_record(),
        vars in select(DRIFT_SETTINGS),
    ) {
        let config = config(vars);
        let settings = settings(&config);
        let mut converter = Converter::new(&config);
        let mut out = Vec::new();
        let counts = converter.convert_record(&data, &mut out);
        let shown = data.escape_ascii().to_string();
        match (expect_record(&settings, &data), counts) {
            (RecordExpectation::Ok { objects, excluded, undeclared, first_undeclared: first, .. }, Ok(counts)) => {
                prop_assert_eq!(
                    (counts.written, counts.excluded, counts.undeclared),
                    (objects.len(), excluded, undeclared),
                    "{}", shown
                );
                prop_assert_eq!(converter.undeclared_label(&data).map(ltsv_oracle::shown_label), first, "{}", shown);
                // Each object's keys are its line's labels: the undeclared
                // ones are those the format lacks.
                for (members, line) in &objects {
                    let undeclared = members
                        .iter()
                        .find(|(key, _)| settings.is_undeclared(key.as_bytes()))
                        .map(|(key, _)| key.as_bytes());
                    prop_assert_eq!(undeclared, first_undeclared(&settings, line));
                }
                if config.log_format().is_none() {
                    prop_assert_eq!(counts.undeclared, 0);
                }
            }
            (RecordExpectation::Dropped { excluded }, Ok(counts)) => {
                prop_assert_eq!((counts.written, counts.excluded, counts.undeclared), (0, excluded, 0), "{}", shown);
                prop_assert_eq!(converter.undeclared_label(&data), None);
            }
            (RecordExpectation::Failed(expected), Err(error)) => {
                let line = ltsv_oracle::record_lines(&data)
                    .into_iter()
                    .find(|(number, _)| Some(*number) == expected.line)
                    .map(|(_, line)| line)
                    .unwrap();
                check_rejection(&settings, line, rejection(&error), &expected)?;
            }
            (expected, counts) => prop_assert!(false, "{}: the rules say {:?}, the product {:?}", shown, expected, counts),
        }
    }
}

// --- JSON strings -------------------------------------------------------------

fn any_text() -> impl Strategy<Value = String> {
    vec(
        prop_oneof![
            any::<char>(),
            select(
                &[
                    '\0', '\t', '\n', '\r', '"', '\\', '\u{1f}', '\u{7f}', 'あ', '😀'
                ][..]
            ),
        ],
        0..48,
    )
    .prop_map(String::from_iter)
}

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..200),
        any_text().prop_map(String::into_bytes),
        vec(
            select(b"\"\\\x00\x1f\x7f\x80\xbf\xc0\xe3\x81\x82\xed\xa0\xf0\x9f\xff a".to_vec()),
            0..64
        ),
    ]
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn any_bytes_make_one_valid_json_string(bytes in any_bytes()) {
        let mut out = b"[".to_vec();
        write_json_str(&mut out, &bytes);
        prop_assert_eq!(out[0], b'[', "only appends");
        let written = &out[1..];
        prop_assert!(std::str::from_utf8(written).is_ok());
        prop_assert!(written.iter().all(|&b| b >= 0x20), "no raw control bytes");
        let decoded: String = serde_json::from_slice(written)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(written)));
        prop_assert_eq!(decoded, as_text(&bytes));
    }

    #[test]
    fn str_len_is_the_length_write_str_writes(text in any_text()) {
        let mut out = Vec::new();
        write_json_str(&mut out, text.as_bytes());
        prop_assert_eq!(json_str_len(&text), out.len());
        let decoded: String = serde_json::from_slice(&out).unwrap();
        prop_assert_eq!(decoded, text);
    }
}

// --- Timestamps ---------------------------------------------------------------

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, in Unix seconds: the
/// instants with four-digit years.
const MIN_SECONDS: i64 = -62_167_219_200;
const MAX_SECONDS: i64 = 253_402_300_799;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The civil time in UTC of `seconds` after the Unix epoch, by chrono.
fn civil(seconds: i64) -> NaiveDateTime {
    DateTime::from_timestamp(seconds, 0).unwrap().naive_utc()
}

/// Unix seconds at the start of a day, by chrono.
fn day_start(year: i32, month: u32, day: u32) -> i64 {
    NaiveDate::from_ymd_opt(year, month, day)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
}

#[test]
fn the_four_digit_years_are_the_range() {
    assert_eq!(day_start(0, 1, 1), MIN_SECONDS);
    assert_eq!(day_start(9999, 12, 31) + 86_399, MAX_SECONDS);
}

/// Instants anywhere in the four-digit-year range, and many within two days
/// of a new year or of the end of February, where offsets change the date.
fn instant() -> impl Strategy<Value = i64> {
    prop_oneof![
        0i64..=MAX_SECONDS,
        MIN_SECONDS..=MAX_SECONDS,
        (
            0i32..=9999,
            select(&[(1, 1), (3, 1)][..]),
            -172_800i64..=172_800
        )
            .prop_map(|(year, (month, day), delta)| {
                (day_start(year, month, day) + delta).clamp(MIN_SECONDS, MAX_SECONDS)
            }),
        (MAX_SECONDS - 172_800)..=MAX_SECONDS,
        MIN_SECONDS..=(MIN_SECONDS + 172_800),
    ]
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn local_times_with_any_offset_come_back_as_their_utc_instant(
        utc in instant(),
        offset_minutes in -1439i64..=1439,
        minus_zero in any::<bool>(),
    ) {
        let local = utc + offset_minutes * 60;
        // The formats carry four-digit years only.
        prop_assume!((MIN_SECONDS..=MAX_SECONDS).contains(&local));
        let negative = offset_minutes < 0 || (offset_minutes == 0 && minus_zero);
        let sign = if negative { '-' } else { '+' };
        let (oh, om) = (offset_minutes.abs() / 60, offset_minutes.abs() % 60);
        let l = civil(local);
        let nginx = format!(
            "{:02}/{}/{:04}:{:02}:{:02}:{:02} {sign}{oh:02}{om:02}",
            l.day(), MONTHS[l.month0() as usize], l.year(), l.hour(), l.minute(), l.second()
        );
        let apache = format!("[{nginx}]");
        let iso = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{oh:02}:{om:02}",
            l.year(), l.month(), l.day(), l.hour(), l.minute(), l.second()
        );
        let u = civil(utc);
        let expected = u.format("%Y-%m-%d %H:%M:%S").to_string();
        for text in [&apache, &nginx, &iso] {
            let time = Timestamp::parse(text.as_bytes());
            prop_assert!(time.is_some(), "{} not parsed", text);
            let time = time.unwrap();
            let mut out = Vec::new();
            time.write(&mut out);
            prop_assert_eq!(String::from_utf8(out).unwrap(), expected.clone(), "{}", text);
            let hour = time.date_hour();
            prop_assert_eq!(
                [i64::from(hour.year), hour.month.into(), hour.day.into(), hour.hour.into()],
                [i64::from(u.year()), u.month().into(), u.day().into(), u.hour().into()]
            );
        }
    }

    #[test]
    fn a_date_parses_exactly_when_it_exists(
        year in prop_oneof![0i32..=9999, (0i32..=99).prop_map(|century| century * 100)],
        month in 1u32..=12,
        day in prop_oneof![1u32..=31, 28u32..=31],
        second_of_day in 0u32..86_400,
    ) {
        let (hour, minute) = (second_of_day / 3600, second_of_day / 60 % 60);
        let second = second_of_day % 60;
        let text = format!(
            "[{day:02}/{}/{year:04}:{hour:02}:{minute:02}:{second:02} +0000]",
            MONTHS[(month - 1) as usize]
        );
        let time = Timestamp::parse(text.as_bytes());
        let exists = NaiveDate::from_ymd_opt(year, month, day).is_some();
        prop_assert_eq!(time.is_some(), exists, "{}", text);
        if let Some(time) = time {
            let mut out = Vec::new();
            time.write(&mut out);
            prop_assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
            );
        }
    }
}
