//! Properties that must hold for any input: the Firehose contract for any
//! batch and the JSON a line becomes for any labels and value bytes, both
//! held to the rules of `ltsv-oracle`; JSON strings for any bytes; and
//! timestamps for any instant and UTC offset, with chrono as the calendar.

mod common;

use aws_lambda_events::event::firehose::KinesisFirehoseResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};
use common::{config, escape_every_char, event_json};
use firehose_ltsv::{
    Config, Converter, LineOutcome, Timestamp, handle, json_str_len, transform, write_json_str,
};
use lambda_runtime::{Context, LambdaEvent};
use ltsv_oracle::{
    LineExpectation, RecordExpectation, Settings, as_text, check_object, expect_line, expect_record,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
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
    b"q:\",\"admin\":true,\"x\":\"",
    b"raw:\xff\xfe\r",
    b"",
];

/// Fields that make a line fail with the default settings.
const BAD_FIELDS: &[&[u8]] = &[
    b"status:OK",
    b"time:soon",
    b"nocolon",
    b"bad label:1",
    b":empty",
    b" ",
    b"\r",
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

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn every_batch_gets_one_valid_result_per_record_in_order(records in batch()) {
        let config = Config::default();
        let settings = Settings::default();
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
        for ((input, output), raw) in records.iter().zip(&typed.records).zip(raw) {
            let result = output.result.as_deref().unwrap();
            let raw_data = raw["data"].as_str().unwrap();
            prop_assert_eq!(&raw["metadata"]["partitionKeys"], &serde_json::json!({}));
            let Ok(decoded) = BASE64.decode(&input.data) else {
                // Not base64, which Firehose never sends: the text comes back
                // base64-encoded, so the response stays decodable and still
                // carries exactly what arrived.
                prop_assert_eq!(result, "ProcessingFailed");
                prop_assert_eq!(&output.data.0, input.data.as_bytes());
                failed += 1;
                continue;
            };
            match expect_record(&settings, &decoded) {
                RecordExpectation::Dropped { .. } => {
                    prop_assert_eq!(result, "Dropped");
                    prop_assert_eq!(raw_data, "");
                    dropped += 1;
                }
                RecordExpectation::Failed(_) => {
                    prop_assert_eq!(result, "ProcessingFailed");
                    prop_assert_eq!(raw_data, input.data.as_str());
                    failed += 1;
                }
                RecordExpectation::Ok { objects, .. } => {
                    prop_assert_eq!(result, "Ok");
                    let written: Vec<&[u8]> =
                        output.data.split_inclusive(|&b| b == b'\n').collect();
                    prop_assert_eq!(written.len(), objects.len(), "one object per line");
                    for (written, (members, line)) in written.iter().zip(&objects) {
                        check_object(members, written, line);
                    }
                    ok += 1;
                }
            }
        }

        let (again, summary) = transform(&event, &config).unwrap();
        prop_assert_eq!(again.get(), response);
        prop_assert_eq!(summary.records, records.len());
        prop_assert_eq!((summary.ok, summary.dropped, summary.failed), (ok, dropped, failed));
    }
}

// --- LTSV lines to JSON objects ----------------------------------------------

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        select(&["a", "b", "status", "x.y", "A-1_", "-"][..]).prop_map(String::from),
        "[0-9A-Za-z_.-]{1,8}",
    ]
}

/// Values that are hard to carry safely: escapes, quotes, CR, control
/// bytes, invalid UTF-8, the null marker and JSON-injection attempts.
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

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(
            any::<u8>().prop_filter("TAB and LF end a value", |&b| b != b'\t' && b != b'\n'),
            0..24
        ),
        vec(
            select(b"\\x\"-:\r0aF\x00\x7f\xff\xe3\x81\x82 nt".to_vec()),
            0..24
        ),
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
        // Labels differing only in case fail their line, as tested apart.
        let folded = distinct.iter().enumerate().any(|(i, (label, _))| {
            distinct[..i]
                .iter()
                .any(|(earlier, _)| earlier.eq_ignore_ascii_case(label))
        });
        prop_assume!(!folded);

        for unescaping in [true, false] {
            // No types, so no value can be a type error: neither from a log
            // format (the default one types `status`) nor from LTSV_TYPES.
            let config = config(&[
                ("LTSV_LOG_FORMAT", ""),
                ("LTSV_TYPES", ""),
                ("LTSV_UNESCAPE", if unescaping { "true" } else { "false" }),
            ]);
            let settings = Settings {
                types: Vec::new(),
                unescape: unescaping,
                ..Settings::default()
            };
            let LineExpectation::Object(members) = expect_line(&settings, &line) else {
                panic!("the rules refuse {}", line.escape_ascii());
            };
            let keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
            let labels: Vec<&str> = distinct.iter().map(|(label, _)| *label).collect();
            prop_assert_eq!(keys, labels);

            let mut out = Vec::new();
            let wrote = Converter::new(&config).convert_line(&line, &mut out);
            prop_assert_eq!(wrote, Ok(LineOutcome::Written));
            check_object(&members, &out, &line);
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
