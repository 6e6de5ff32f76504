//! Properties that must hold for any input: the Firehose contract for any
//! batch, the JSON a line becomes for any labels and value bytes, JSON
//! strings for any bytes, and timestamps for any instant and UTC offset.

mod common;

use aws_lambda_events::event::firehose::KinesisFirehoseResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::Members;
use firehose_ltsv::time::Timestamp;
use firehose_ltsv::{Config, Converter, handle, json, transform};
use lambda_runtime::{Context, LambdaEvent};
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

fn config(vars: &[(&str, &str)]) -> Config {
    Config::from_vars(vars).unwrap()
}

/// Text as the crate writes bytes into JSON: UTF-8 as it is, every byte
/// that is not part of valid UTF-8 as the four characters `\xhh`.
fn as_text(bytes: &[u8]) -> String {
    let mut text = String::new();
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
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

/// Every character as a `\uXXXX` escape, as a JSON writer may legally send.
fn escape_every_char(text: &str) -> String {
    let mut json = String::from("\"");
    for unit in text.encode_utf16() {
        json.push_str(&format!("\\u{unit:04x}"));
    }
    json.push('"');
    json
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

fn event_json(records: &[InputRecord]) -> String {
    let records: Vec<String> = records
        .iter()
        .map(|record| {
            let quote = |text: &str| {
                if record.escaped {
                    escape_every_char(text)
                } else {
                    serde_json::to_string(text).unwrap()
                }
            };
            format!(
                r#"{{"recordId":{},"approximateArrivalTimestamp":1624868568000,"data":{}}}"#,
                quote(&record.id),
                quote(&record.data)
            )
        })
        .collect();
    format!(
        concat!(
            r#"{{"invocationId":"00000000-0000-4000-8000-000000000000","#,
            r#""deliveryStreamArn":"arn:aws:firehose:us-east-1:123456789012:deliverystream/p","#,
            r#""region":"us-east-1","records":[{}]}}"#,
        ),
        records.join(",")
    )
}

/// Whether a record has nothing to deliver: every line, once its LF or
/// CRLF end is removed, is empty or only TABs (empty fields).
fn has_no_fields(data: &[u8]) -> bool {
    data.split_inclusive(|&b| b == b'\n').all(|line| {
        // Only a CR before LF belongs to the line end.
        let line = match line.strip_suffix(b"\n") {
            Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
            None => line,
        };
        line.iter().all(|&b| b == b'\t')
    })
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn every_batch_gets_one_valid_result_per_record_in_order(records in batch()) {
        let config = Config::default();
        let event = event_json(&records);
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
            if has_no_fields(&decoded) {
                prop_assert_eq!(result, "Dropped");
                prop_assert_eq!(raw_data, "");
                dropped += 1;
                continue;
            }
            let mut converted = Vec::new();
            match Converter::new(&config).convert_record(&decoded, &mut converted) {
                Ok(lines) => {
                    prop_assert_eq!(result, "Ok");
                    prop_assert_eq!(&output.data.0, &converted);
                    let text = std::str::from_utf8(&output.data).expect("Ok data is UTF-8");
                    prop_assert!(text.ends_with('\n'), "{:?}", text);
                    let objects: Vec<&str> = text.split_inclusive('\n').collect();
                    prop_assert_eq!(objects.len(), lines.written);
                    for object in objects {
                        prop_assert!(object.ends_with('\n'));
                        let parsed: Value = serde_json::from_str(object)
                            .expect("each Ok line is JSON");
                        prop_assert!(parsed.is_object(), "{}", object);
                    }
                    let non_blank = decoded
                        .split_inclusive(|&b| b == b'\n')
                        .filter(|line| !has_no_fields(line))
                        .count();
                    prop_assert_eq!(lines.written, non_blank);
                    ok += 1;
                }
                Err(_) => {
                    prop_assert_eq!(result, "ProcessingFailed");
                    prop_assert_eq!(raw_data, input.data.as_str());
                    failed += 1;
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

/// The escapes `LTSV_UNESCAPE` decodes, as documented: `\"`, `\\`, `\xHH`,
/// `\t`, `\n`, `\r`, `\b`, `\v`; any other backslash stays as it is.
fn unescape(value: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::new();
    let mut i = 0;
    while i < value.len() {
        if value[i] != b'\\' {
            out.push(value[i]);
            i += 1;
            continue;
        }
        let simple = match value.get(i + 1) {
            Some(b'"') => Some(b'"'),
            Some(b'\\') => Some(b'\\'),
            Some(b't') => Some(b'\t'),
            Some(b'n') => Some(b'\n'),
            Some(b'r') => Some(b'\r'),
            Some(b'b') => Some(0x08),
            Some(b'v') => Some(0x0b),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            i += 2;
            continue;
        }
        if let (Some(b'x' | b'X'), Some(&h), Some(&l)) =
            (value.get(i + 1), value.get(i + 2), value.get(i + 3))
            && let (Some(h), Some(l)) = (hex(h), hex(l))
        {
            out.push(h << 4 | l);
            i += 4;
            continue;
        }
        out.push(b'\\');
        i += 1;
    }
    out
}

/// What a string-typed value must come out as under the default null list.
fn expected_value(logged: &[u8], unescaping: bool) -> Value {
    if logged == b"-" {
        return Value::Null;
    }
    if unescaping
        && logged.contains(&b'\\')
        && let Ok(text) = String::from_utf8(unescape(logged))
    {
        return Value::String(text);
    }
    Value::String(as_text(logged))
}

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
        let mut expected: Vec<(&str, &[u8])> = Vec::new();
        for (label, value) in &fields {
            match expected.iter_mut().find(|(seen, _)| seen == label) {
                Some(member) => member.1 = value,
                None => expected.push((label, value)),
            }
        }

        for unescaping in [true, false] {
            // No types, so no value can be a type error.
            let config = config(&[
                ("LTSV_TYPES", ""),
                ("LTSV_UNESCAPE", if unescaping { "true" } else { "false" }),
            ]);
            let mut out = Vec::new();
            let wrote = Converter::new(&config).convert_line(&line, &mut out);
            prop_assert_eq!(wrote, Ok(firehose_ltsv::convert::Converted::Written));
            prop_assert_eq!(out.last(), Some(&b'\n'));
            prop_assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1, "one line");
            prop_assert!(out.iter().all(|&b| b >= 0x20 || b == b'\n'), "control bytes escaped");
            let Members(members) = serde_json::from_slice(&out)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)));

            let keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
            let expected_keys: Vec<&str> = expected.iter().map(|(label, _)| *label).collect();
            prop_assert_eq!(keys, expected_keys);
            for ((key, value), (_, logged)) in members.iter().zip(&expected) {
                prop_assert_eq!(
                    value,
                    &expected_value(logged, unescaping),
                    "label {} logged as {:?}",
                    key,
                    logged.escape_ascii().to_string()
                );
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
        json::write_str(&mut out, &bytes);
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
        json::write_str(&mut out, text.as_bytes());
        prop_assert_eq!(json::str_len(&text), out.len());
        let decoded: String = serde_json::from_slice(&out).unwrap();
        prop_assert_eq!(decoded, text);
    }
}

// --- Timestamps ---------------------------------------------------------------

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z, in Unix seconds.
const MIN_SECONDS: i64 = -62_167_219_200;
const MAX_SECONDS: i64 = 253_402_300_799;
/// Days from 0000-01-01 to 1970-01-01.
const DAYS_BEFORE_1970: i64 = 719_528;
/// Days in 400 Gregorian years, which start with a leap year 0, 400, ...
const DAYS_PER_400_YEARS: i64 = 146_097;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

// A calendar counted year by year and month by month, deliberately unlike
// the closed-form arithmetic in the crate, so the two can check each other.

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn year_days(year: i64) -> i64 {
    if is_leap(year) { 366 } else { 365 }
}

fn month_days(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// (year, month, day) of a day counted from 1970-01-01.
fn date_of(days: i64) -> (i64, i64, i64) {
    let days = days + DAYS_BEFORE_1970;
    let mut year = days.div_euclid(DAYS_PER_400_YEARS) * 400;
    let mut rest = days.rem_euclid(DAYS_PER_400_YEARS);
    while rest >= year_days(year) {
        rest -= year_days(year);
        year += 1;
    }
    let mut month = 1;
    while rest >= month_days(year, month) {
        rest -= month_days(year, month);
        month += 1;
    }
    (year, month, rest + 1)
}

/// The day number from 1970-01-01 of a date.
fn day_number(year: i64, month: i64, day: i64) -> i64 {
    let start = year.div_euclid(400) * 400;
    let mut days = year.div_euclid(400) * DAYS_PER_400_YEARS;
    days += (start..year).map(year_days).sum::<i64>();
    days += (1..month).map(|m| month_days(year, m)).sum::<i64>();
    days + day - 1 - DAYS_BEFORE_1970
}

struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
}

fn civil(seconds: i64) -> Civil {
    let (year, month, day) = date_of(seconds.div_euclid(86_400));
    let second_of_day = seconds.rem_euclid(86_400);
    Civil {
        year,
        month,
        day,
        hour: second_of_day / 3600,
        minute: second_of_day / 60 % 60,
        second: second_of_day % 60,
    }
}

#[test]
fn the_test_calendar_agrees_with_known_dates() {
    assert_eq!(date_of(0), (1970, 1, 1));
    assert_eq!(date_of(11_017), (2000, 3, 1));
    assert_eq!(date_of(11_016), (2000, 2, 29));
    assert_eq!(date_of(18_806), (2021, 6, 28));
    assert_eq!(date_of(-DAYS_BEFORE_1970), (0, 1, 1));
    assert_eq!(day_number(0, 1, 1) * 86_400, MIN_SECONDS);
    assert_eq!(day_number(9999, 12, 31) * 86_400 + 86_399, MAX_SECONDS);
    for days in [-DAYS_BEFORE_1970, -1, 0, 11_016, 18_806, 2_932_896] {
        let (y, m, d) = date_of(days);
        assert_eq!(day_number(y, m, d), days);
    }
}

/// Instants anywhere in the four-digit-year range, and many within two days
/// of a new year or of the end of February, where offsets change the date.
fn instant() -> impl Strategy<Value = i64> {
    prop_oneof![
        0i64..=MAX_SECONDS,
        MIN_SECONDS..=MAX_SECONDS,
        (
            0i64..=9999,
            select(&[(1, 1), (3, 1)][..]),
            -172_800i64..=172_800
        )
            .prop_map(|(year, (month, day), delta)| {
                (day_number(year, month, day) * 86_400 + delta).clamp(MIN_SECONDS, MAX_SECONDS)
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
            l.day, MONTHS[(l.month - 1) as usize], l.year, l.hour, l.minute, l.second
        );
        let apache = format!("[{nginx}]");
        let iso = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{oh:02}:{om:02}",
            l.year, l.month, l.day, l.hour, l.minute, l.second
        );
        let u = civil(utc);
        let expected = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            u.year, u.month, u.day, u.hour, u.minute, u.second
        );
        for text in [&apache, &nginx, &iso] {
            let time = Timestamp::parse(text.as_bytes());
            prop_assert!(time.is_some(), "{} not parsed", text);
            let time = time.unwrap();
            let mut out = Vec::new();
            time.write(&mut out);
            prop_assert_eq!(String::from_utf8(out).unwrap(), expected.clone(), "{}", text);
            let hour = time.date_hour();
            prop_assert_eq!(
                [hour.year, hour.month.into(), hour.day.into(), hour.hour.into()].map(i64::from),
                [u.year, u.month, u.day, u.hour]
            );
        }
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn a_date_parses_exactly_when_it_exists(
        year in prop_oneof![0i64..=9999, (0i64..=99).prop_map(|century| century * 100)],
        month in 1i64..=12,
        day in prop_oneof![1i64..=31, 28i64..=31],
        second_of_day in 0i64..86_400,
    ) {
        let (hour, minute) = (second_of_day / 3600, second_of_day / 60 % 60);
        let second = second_of_day % 60;
        let text = format!(
            "[{day:02}/{}/{year:04}:{hour:02}:{minute:02}:{second:02} +0000]",
            MONTHS[(month - 1) as usize]
        );
        let time = Timestamp::parse(text.as_bytes());
        prop_assert_eq!(time.is_some(), day <= month_days(year, month), "{}", text);
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

// --- Response size reservation ------------------------------------------------

/// The room reserved for records not yet written must be what their failed
/// entries really take. Data made only of base64 characters, in a length
/// that is a multiple of 4, that still does not decode (padding in the
/// middle) comes back re-encoded, a third larger than the text that
/// arrived; counting it at its arrival size lets an earlier `Ok` record use
/// room that is not there, and the whole batch then fails as too large
/// although failing that one record would have fitted.
#[test]
fn room_is_reserved_for_undecodable_data_at_its_reencoded_size() {
    let lines = b"a:-\n".repeat(170_000);
    let undecodable = "YR==".repeat(750_000);
    assert!(BASE64.decode(&undecodable).is_err());
    let grows = format!(
        r#"{{"recordId":"grows","data":"{}"}}"#,
        BASE64.encode(&lines)
    );
    let undecodable = format!(r#"{{"recordId":"undecodable","data":"{undecodable}"}}"#);
    // Undecodable data first: nothing is reserved when the growing record
    // is written, so it fails for lack of room and the response fits.
    for (order, records) in [
        ("undecodable first", [&undecodable, &grows]),
        ("growing record first", [&grows, &undecodable]),
    ] {
        let event = format!(r#"{{"records":[{},{}]}}"#, records[0], records[1]);
        let (response, summary) = transform(&event, &Config::default()).unwrap_or_else(|error| {
            panic!("{order}: failing the growing record would fit, but: {error}")
        });
        assert!(response.get().len() <= firehose_ltsv::firehose::MAX_RESPONSE_BYTES);
        assert_eq!((summary.ok, summary.failed), (0, 2));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

    /// Room for failed records is reserved with `is_base64`, and their data
    /// is chosen by whether decoding fails: the two must always agree.
    #[test]
    fn is_base64_agrees_with_the_decoder(
        text in prop_oneof![
            "[A-Za-z0-9+/=]{0,12}",
            "([A-Za-z0-9+/]{4}){0,3}[A-Za-z0-9+/]{2,3}={0,2}",
            proptest::collection::vec(any::<u8>(), 0..12)
                .prop_map(|bytes| BASE64.encode(bytes)),
            ".{0,8}",
        ]
    ) {
        prop_assert_eq!(
            firehose_ltsv::firehose::is_base64(text.as_bytes()),
            BASE64.decode(&text).is_ok(),
            "{:?}", text
        );
    }
}
