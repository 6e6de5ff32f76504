//! The fuzz targets' checks: what the crate does with a line, a record or a
//! whole batch, held to the rules of README.md ("Conversion rules", "What
//! happens to bad input") as `ltsv-oracle` (`tests/oracle`) writes them,
//! apart from the crate's own code.
//!
//! Each `check_*` function panics, with a message that says which rule was
//! broken, when the crate's result does not follow the rules.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::{
    Config, Converter, Error, ErrorKind, LabelSyntax, LineOutcome, LineParser, MAX_RESPONSE_BYTES,
    NoRoom, Summary,
};
use ltsv_oracle::product::{self, settings};
use ltsv_oracle::{
    LineExpectation, Problem, RecordExpectation, Rejection, Settings, check_object, distinct,
    expect_line, expect_record, folded_labels, keys_json, line_fields, record_lines, shown_label,
};
use serde::Deserialize;
use serde_json::value::RawValue;

/// An Apache `LogFormat` line with epoch times: `t` milliseconds (the time
/// label), `u` microseconds.
const EPOCH_FORMAT: &str = r#"LogFormat "t:%{msec}t\tu:%{usec}t\tstatus:%>s\tn:%D\tua:%{User-Agent}i\treq:%r\tvhost:%{Host}i" epoch"#;

/// An nginx `log_format` with `escape=json`, over two strings.
const NGINX_JSON_FORMAT: &str = r"log_format j escape=json 'time:$time_iso8601\tstatus:$status\treqtime:$request_time\t' 'ua:$http_user_agent\tup:$upstream_response_time\treq:$request\tvhost:$host';";

/// An Apache format's bare string whose time label is `u`, in
/// microseconds.
const USEC_FORMAT: &str =
    r"u:%{end:usec}t\ttime:%t\tstatus:%s\tsize:%B\ta:%{X}i\tua:%{User-Agent}i\tvhost:%{Host}i";

/// Settings picked by two input bytes. The first:
///
/// | bits | setting |
/// |---|---|
/// | 0 | `LTSV_STRICT_LABELS`: 0 `true`, 1 `false` |
/// | 1 | `LTSV_UNESCAPE`: 0 unset (as the format's `escape=` says: `true` but for nginx's `escape=json`), 1 `false` |
/// | 2–3 | `LTSV_ON_TYPE_ERROR`: `fail`, `null`, `string`, `fail` |
/// | 4–5 | `LTSV_TYPES`: unset (`runtime:float`), empty, `a:integer,b:float,c:bool`, `t:time,n:integer` |
/// | 6 | `LTSV_NULL_VALUES`: 0 `-`, 1 `-,,null` (the empty value too) |
/// | 7 | `PARTITION_KEYS`: 0 none, 1 `vhost`, with `hour` first when a label has a time type |
///
/// The second:
///
/// | bits | setting |
/// |---|---|
/// | 0 | `LTSV_SPLIT_REQUEST`: 0 none, 1 `req` |
/// | 1 | `LTSV_DROP` holds `ua^=ELB` |
/// | 2 | `LTSV_DROP` holds `status=404` |
/// | 3–4 | `LTSV_LOG_FORMAT`: 0 the default (README's Apache format) when `LTSV_TYPES` is unset and none otherwise, so that the types are `LTSV_TYPES`'s alone; 1 [`EPOCH_FORMAT`]; 2 [`NGINX_JSON_FORMAT`]; 3 [`USEC_FORMAT`] |
/// | 5 | `LTSV_UNESCAPE` set: `json` when first-byte bit 1 is 0, `true` when it is 1 |
///
/// So 0x00 0x00 is the function's default configuration, and bytes from
/// before formats (second byte below 8) keep their meaning.
pub fn config_from_bytes(first: u8, second: u8) -> Config {
    let types_choice = usize::from(first >> 4 & 3);
    let types = [
        None,
        Some(""),
        Some("a:integer,b:float,c:bool"),
        Some("t:time,n:integer"),
    ][types_choice];
    let log_format = match (second >> 3 & 3, types_choice) {
        (0, 0) => None,
        (0, _) => Some(""),
        (1, _) => Some(EPOCH_FORMAT),
        (2, _) => Some(NGINX_JSON_FORMAT),
        _ => Some(USEC_FORMAT),
    };
    let unescape = match (second & 0x20 != 0, first & 2 != 0) {
        (false, false) => None,
        (false, true) => Some("false"),
        (true, false) => Some("json"),
        (true, true) => Some("true"),
    };
    let drop = ["", "ua^=ELB", "status=404", "ua^=ELB,status=404"][usize::from(second >> 1 & 3)];
    let mut vars: [(&str, Option<&str>); 10] = [
        (
            "LTSV_STRICT_LABELS",
            Some(if first & 1 == 0 { "true" } else { "false" }),
        ),
        ("LTSV_UNESCAPE", unescape),
        (
            "LTSV_ON_TYPE_ERROR",
            Some(["fail", "null", "string", "fail"][usize::from(first >> 2 & 3)]),
        ),
        ("LTSV_LOG_FORMAT", log_format),
        ("LTSV_TYPES", types),
        (
            "LTSV_NULL_VALUES",
            Some(if first & 0x40 == 0 { "-" } else { "-,,null" }),
        ),
        ("PARTITION_KEYS", None),
        (
            "LTSV_SPLIT_REQUEST",
            Some(if second & 1 == 0 { "" } else { "req" }),
        ),
        ("LTSV_DROP", Some(drop)),
        ("METRICS_NAMESPACE", None),
    ];
    let build = |vars: &[(&str, Option<&str>)]| {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(var, _)| *var == name)
                .and_then(|(_, value)| value.map(str::to_owned))
        })
        .expect("every settings byte gives valid settings")
    };
    let config = build(&vars);
    if first & 0x80 == 0 {
        return config;
    }
    vars[6].1 = Some(match config.time_label() {
        Some(_) => "hour,vhost",
        None => "vhost",
    });
    build(&vars)
}

// --- The crate's terms in the oracle's ---------------------------------------------

/// Why a record failed, in the oracle's terms.
#[derive(Debug, PartialEq)]
enum Why {
    /// Its data is not base64.
    NotBase64,
    /// A rule refuses it.
    Rule(Rejection),
}

/// A crate error in the oracle's terms; panics for an error no rule gives.
fn why(error: &Error) -> Why {
    if let ErrorKind::Base64(_) = error.kind() {
        return Why::NotBase64;
    }
    match product::rejection(error) {
        Some(rejection) => Why::Rule(rejection),
        None => panic!("no rule gives the error {error:?}"),
    }
}

/// A crate error about one line, in the oracle's terms.
fn rejection(error: &Error) -> Rejection {
    match why(error) {
        Why::Rule(rejection) => rejection,
        Why::NotBase64 => panic!("a line cannot be base64: {error:?}"),
    }
}

/// The crate's rejection of `line` as the rules' `expected` one would be
/// written, after checking it: of labels that differ only in case, the
/// crate may name any pair the rules find, the one appearing first first.
fn agreed(settings: &Settings, line: &[u8], actual: Rejection, expected: &Rejection) -> Rejection {
    match (&actual.problem, &expected.problem) {
        (Problem::FoldedLabels { first, second }, Problem::FoldedLabels { .. }) => {
            let pairs = folded_labels(settings, line);
            assert!(
                pairs.contains(&(first.clone(), second.clone())),
                "line {}: the crate names {first:?} and {second:?}, not one of {pairs:?}",
                line.escape_ascii()
            );
            Rejection {
                problem: expected.problem.clone(),
                ..actual
            }
        }
        _ => actual,
    }
}

// --- Lines -------------------------------------------------------------------

/// Converts `line` with the crate and checks the result against the rules.
pub fn check_line(config: &Config, line: &[u8]) {
    let mut out = b"prefix".to_vec();
    let result = Converter::new(config).convert_line(line, &mut out);
    let shown = || line.escape_ascii().to_string();
    let settings = settings(config);
    match (expect_line(&settings, line), result) {
        (LineExpectation::Blank, Ok(LineOutcome::Blank))
        | (LineExpectation::Excluded, Ok(LineOutcome::Excluded)) => {
            assert_eq!(out, b"prefix", "nothing written for a line left out")
        }
        (LineExpectation::Error(expected), Err(error)) => {
            let actual = agreed(&settings, line, rejection(&error), &expected);
            assert_eq!(actual, expected, "wrong error for line {}", shown());
            assert_eq!(out, b"prefix", "nothing written for an invalid line");
        }
        (LineExpectation::Object(members), Ok(LineOutcome::Written)) => {
            assert_eq!(&out[..6], b"prefix", "only appends");
            check_object(&members, &out[6..], line);
        }
        (expected, result) => panic!(
            "line {}: expected {expected:?}, got {result:?} writing {:?}",
            shown(),
            String::from_utf8_lossy(&out[6..])
        ),
    }
}

/// Checks that `lines`, `fields` and `LineParser` find the lines, fields
/// and distinct labels the rules define.
pub fn check_parser(config: &Config, data: &[u8]) {
    // A line of only TABs is a line to `lines`; the converter skips it as a
    // line without fields.
    let crate_lines: Vec<(usize, &[u8])> = firehose_ltsv::lines(data)
        .map(|line| (line.number, line.bytes))
        .filter(|(_, line)| line.iter().any(|&b| b != b'\t'))
        .collect();
    let rule_lines = record_lines(data);
    assert_eq!(
        crate_lines,
        rule_lines,
        "lines of {:?}",
        data.escape_ascii().to_string()
    );
    let any_labels = config.label_syntax() == LabelSyntax::Any;
    let settings = settings(config);
    let mut parser = LineParser::new(config.label_syntax());
    for (_, line) in rule_lines {
        let shown = || line.escape_ascii().to_string();
        let expected = line_fields(line, any_labels);
        let crate_fields: Result<Vec<_>, Rejection> =
            firehose_ltsv::fields(line, config.label_syntax())
                .map(|field| field.map(|f| (f.label, f.value)).map_err(|e| rejection(&e)))
                .collect();
        assert_eq!(crate_fields, expected, "fields of {}", shown());
        match (parser.parse(line), expected) {
            (Ok(parsed), Ok(fields)) => {
                let distinct = distinct(&fields);
                let crate_distinct: Vec<(&[u8], &[u8])> = parsed.fields().collect();
                assert_eq!(crate_distinct, distinct, "distinct labels of {}", shown());
                for (label, value) in distinct {
                    assert_eq!(
                        parsed.value_of(label),
                        Some(value),
                        "value_of in {}",
                        shown()
                    );
                }
                assert_eq!(parsed.is_blank(), fields.is_empty(), "blank {}", shown());
                // Labels that differ only in case: a pair the rules find,
                // exactly when there is one.
                let pairs = folded_labels(&settings, line);
                let found = parsed
                    .folded_labels()
                    .map(|(a, b)| (shown_label(a), shown_label(b)));
                match &found {
                    Some(pair) => assert!(
                        pairs.contains(pair),
                        "folded labels of {}: {pair:?}, not one of {pairs:?}",
                        shown()
                    ),
                    None => assert!(
                        pairs.is_empty(),
                        "folded labels of {}: none of {pairs:?}",
                        shown()
                    ),
                }
            }
            (Err(error), Err(expected)) => {
                assert_eq!(rejection(&error), expected, "parse error of {}", shown())
            }
            (parsed, expected) => panic!(
                "LineParser on {}: {:?}, but the rules say {expected:?}",
                shown(),
                parsed.map(|p| p.fields().count())
            ),
        }
    }
}

// --- Records and batches -------------------------------------------------------

/// One record of a request: its id and its `data` text.
#[derive(Clone, Debug)]
pub struct InputRecord {
    pub id: String,
    pub data: String,
}

/// What one record must come back as.
#[derive(Debug)]
enum Expected {
    /// `data` is not base64: `ProcessingFailed`, the text base64-encoded.
    NotBase64,
    /// What the rules say its decoded data becomes.
    Decoded {
        decoded_len: usize,
        record: RecordExpectation,
        /// For a record that converts, the crate's output, needed to size
        /// its entry (checked against the rules' objects).
        converted: Vec<u8>,
    },
}

/// What a record must come back as; checks the crate's parser and
/// converter on it too.
fn expect(config: &Config, converter: &mut Converter, data: &str) -> Expected {
    let Ok(decoded) = BASE64.decode(data) else {
        return Expected::NotBase64;
    };
    check_parser(config, &decoded);
    let record = expect_record(&settings(config), &decoded);
    let mut converted = Vec::new();
    if let RecordExpectation::Ok {
        objects,
        excluded,
        undeclared,
        first_undeclared,
        ..
    } = &record
    {
        let counts = converter.convert_record(&decoded, &mut converted);
        assert_eq!(
            counts
                .as_ref()
                .ok()
                .map(|c| (c.written, c.excluded, c.undeclared)),
            Some((objects.len(), *excluded, *undeclared)),
            "convert_record disagrees with the rules: {counts:?}"
        );
        assert_eq!(
            converter
                .undeclared_label(&decoded)
                .map(ltsv_oracle::shown_label),
            first_undeclared.clone(),
            "the record's first undeclared label"
        );
    }
    Expected::Decoded {
        decoded_len: decoded.len(),
        record,
        converted,
    }
}

const EMPTY_METADATA: &str = r#","metadata":{"partitionKeys":{}}"#;

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(borrow)]
    records: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry<'a> {
    #[serde(borrow, rename = "recordId")]
    record_id: &'a RawValue,
    result: String,
    #[serde(borrow)]
    data: std::borrow::Cow<'a, str>,
    metadata: Option<Metadata<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata<'a> {
    #[serde(borrow, rename = "partitionKeys")]
    partition_keys: &'a RawValue,
}

/// Checks a transformation's result for `records` against the rules:
/// every record once and in order, `Ok` data exactly the converted lines,
/// failed data byte-identical, the metadata rule, the size limit, the
/// summary's counts and each failure's reason. `delivery_stream` is the
/// summary's stream name, when the caller knows it.
pub fn check_response(
    config: &Config,
    records: &[InputRecord],
    result: Result<(&str, &Summary), &Error>,
    delivery_stream: Option<Option<&str>>,
) {
    let mut converter = Converter::new(config);
    let expected: Vec<Expected> = records
        .iter()
        .map(|record| expect(config, &mut converter, &record.data))
        .collect();
    // What each record's `data` comes back as when it fails.
    let failed_data: Vec<String> = records
        .iter()
        .zip(&expected)
        .map(|(record, expected)| match expected {
            Expected::NotBase64 => BASE64.encode(&record.data),
            Expected::Decoded { .. } => record.data.clone(),
        })
        .collect();
    // The length of each record's failed entry without metadata:
    // `{"recordId":ID,"result":"ProcessingFailed","data":"DATA"}`, where
    // DATA is base64, which JSON writes as it is.
    let failed_lens: Vec<usize> = records
        .iter()
        .zip(&failed_data)
        .map(|(record, data)| {
            r#"{"recordId":,"result":"ProcessingFailed","data":""}"#.len()
                + serde_json::to_string(&record.id).unwrap().len()
                + data.len()
        })
        .collect();
    let failed_len =
        |i: usize, metadata: bool| failed_lens[i] + if metadata { EMPTY_METADATA.len() } else { 0 };
    // The response with every record failed, with or without metadata.
    let all_failed_len = |metadata: bool| {
        let entries: usize = (0..records.len()).map(|i| failed_len(i, metadata)).sum();
        r#"{"records":[]}"#.len() + entries + records.len().saturating_sub(1)
    };

    // A batch that does not fit even returned unchanged is refused, with
    // that size, before anything is converted; any other is answered.
    let (response, summary) = match result {
        Ok(ok) => ok,
        Err(error) => {
            assert_eq!(
                error.kind(),
                &ErrorKind::ResponseTooLarge {
                    len: all_failed_len(false),
                    limit: MAX_RESPONSE_BYTES
                },
                "only a batch too large to return unchanged is refused"
            );
            assert!(all_failed_len(false) > MAX_RESPONSE_BYTES);
            return;
        }
    };
    assert!(
        all_failed_len(false) <= MAX_RESPONSE_BYTES,
        "answered, but even returned unchanged the batch takes {} bytes",
        all_failed_len(false)
    );
    assert!(
        response.len() <= MAX_RESPONSE_BYTES,
        "response of {} bytes",
        response.len()
    );
    let parsed: Response = serde_json::from_str(response)
        .unwrap_or_else(|e| panic!("response is not {{\"records\":[...]}}: {e}"));
    let entries: Vec<&str> = parsed.records.iter().map(|r| r.get()).collect();
    assert_eq!(
        response,
        format!(r#"{{"records":[{}]}}"#, entries.join(",")),
        "the response is compact, so its size can be reckoned"
    );
    assert_eq!(entries.len(), records.len(), "one result per record");

    // Failed and dropped records carry empty metadata unless only leaving
    // it out makes the batch fit.
    let with_metadata = all_failed_len(true) <= MAX_RESPONSE_BYTES;
    let mut counts = Summary {
        records: records.len(),
        response_bytes: response.len(),
        delivery_stream: match delivery_stream {
            Some(name) => name.map(str::to_owned),
            None => summary.delivery_stream.clone(),
        },
        ..Summary::default()
    };
    // Each record failed for a reason of its own, and why.
    let mut failures: Vec<(String, Why)> = Vec::new();
    // The index in `records` of each of them.
    let mut failed_records: Vec<usize> = Vec::new();
    let mut prefix_len = r#"{"records":["#.len();
    for (i, (entry_text, record)) in entries.iter().zip(records).enumerate() {
        let entry: Entry = serde_json::from_str(entry_text)
            .unwrap_or_else(|e| panic!("entry {i} {entry_text:?}: {e}"));
        let id: String = serde_json::from_str(entry.record_id.get()).unwrap();
        assert_eq!(id, record.id, "entry {i}: ids in order");
        let metadata_keys = entry.metadata.as_ref().map(|m| m.partition_keys.get());
        let (decoded_len, expectation, converted) = match &expected[i] {
            Expected::NotBase64 => (None, None, &[][..]),
            Expected::Decoded {
                decoded_len,
                record,
                converted,
            } => (Some(*decoded_len), Some(record), &converted[..]),
        };
        // Bytes in: every record that decodes.
        counts.bytes_in += decoded_len.unwrap_or(0);
        match (entry.result.as_str(), expectation) {
            (
                "Ok",
                Some(RecordExpectation::Ok {
                    objects,
                    excluded,
                    undeclared,
                    first_undeclared,
                    keys,
                }),
            ) => {
                let data = BASE64
                    .decode(entry.data.as_bytes())
                    .unwrap_or_else(|e| panic!("entry {i}: Ok data is not base64: {e}"));
                assert_eq!(data, converted, "entry {i}: Ok data");
                let lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
                assert_eq!(lines.len(), objects.len(), "entry {i}: one object per line");
                for (written, (members, line)) in lines.iter().zip(objects) {
                    check_object(members, written, line);
                }
                assert_eq!(
                    metadata_keys,
                    Some(keys_json(keys).as_str()),
                    "entry {i}: partition keys"
                );
                counts.ok += 1;
                counts.lines_out += objects.len();
                counts.lines_excluded += excluded;
                // Lines with labels the format lacks, of records written;
                // and the first such label written in the batch.
                counts.lines_undeclared += undeclared;
                if counts.first_undeclared_label.is_none() {
                    counts.first_undeclared_label = first_undeclared.clone();
                }
                counts.bytes_out += converted.len();
            }
            ("Dropped", Some(RecordExpectation::Dropped { excluded })) => {
                assert_eq!(entry.data, "", "entry {i}: Dropped data");
                assert_eq!(
                    metadata_keys,
                    with_metadata.then_some("{}"),
                    "entry {i}: metadata of a Dropped record"
                );
                counts.dropped += 1;
                counts.lines_excluded += excluded;
            }
            ("ProcessingFailed", expectation) => {
                assert_eq!(
                    entry.data, failed_data[i],
                    "entry {i}: failed data must be as received ({expectation:?})"
                );
                assert_eq!(
                    metadata_keys,
                    with_metadata.then_some("{}"),
                    "entry {i}: metadata of a failed record"
                );
                match expectation {
                    None => {
                        failures.push((id, Why::NotBase64));
                        failed_records.push(i);
                    }
                    Some(RecordExpectation::Failed(rejection)) => {
                        failures.push((id, Why::Rule(rejection.clone())));
                        failed_records.push(i);
                    }
                    Some(RecordExpectation::Ok { keys, .. }) => {
                        // Only room may fail a convertible record: its Ok
                        // entry would not fit beside failed entries for the
                        // rest.
                        let ok_entry_len =
                            r#"{"recordId":,"result":"Ok","data":"","metadata":{"partitionKeys":}}"#
                                .len()
                                + entry.record_id.get().len()
                                + base64::encoded_len(converted.len(), true).unwrap()
                                + keys_json(keys).len();
                        let rest: usize = (i + 1..records.len())
                            .map(|j| 1 + failed_len(j, with_metadata))
                            .sum();
                        let needed = prefix_len + ok_entry_len + rest + "]}".len();
                        assert!(
                            needed > MAX_RESPONSE_BYTES,
                            "entry {i} failed although converting it fits ({needed} bytes)"
                        );
                        counts
                            .no_room
                            .get_or_insert(NoRoom {
                                first_record_id: id,
                                records: 0,
                            })
                            .records += 1;
                    }
                    Some(expectation) => {
                        panic!("entry {i}: ProcessingFailed, but the rules say {expectation:?}")
                    }
                }
                counts.failed += 1;
            }
            (result, expectation) => {
                panic!("entry {i}: result {result:?}, but the rules say {expectation:?}")
            }
        }
        prefix_len += entry_text.len() + 1;
    }
    let settings = settings(config);
    let reported: Vec<(String, Why)> = summary
        .failures
        .iter()
        .enumerate()
        .map(|(k, failure)| {
            let mut actual = why(&failure.error);
            // Of labels differing in case, the pair the crate names must be
            // one the rules find in that line.
            if let (Why::Rule(rejection), Some((_, Why::Rule(expected)))) =
                (&actual, failures.get(k))
                && rejection.line == expected.line
                && let Ok(data) = BASE64.decode(&records[failed_records[k]].data)
                && let Some((_, line)) = record_lines(&data)
                    .into_iter()
                    .find(|(number, _)| Some(*number) == expected.line)
            {
                actual = Why::Rule(agreed(&settings, line, rejection.clone(), expected));
            }
            (failure.record_id.clone(), actual)
        })
        .collect();
    assert_eq!(reported, failures, "each failed record and why, in order");
    let summary = Summary {
        failures: Vec::new(),
        ..summary.clone()
    };
    assert_eq!(summary, counts, "summary counts");
}

// --- Batches from fuzz input ---------------------------------------------------

/// Separates records in the input of the batch targets.
pub const SEPARATOR: &[u8] = b"\x1e\xff";

/// A batch made from fuzz input: its settings and records.
pub struct Batch {
    pub config: Config,
    pub records: Vec<InputRecord>,
}

/// Reads the input of the batch targets: two settings bytes (see
/// [`config_from_bytes`]), a flags byte, then the records' bytes separated
/// by [`SEPARATOR`]. Flags:
///
/// - bits 0–3: record `i` is sent as raw text, not base64, when bit `i % 4`
///   is set (text that happens to be base64 is decoded like any record);
/// - bit 4: record ids hold characters JSON must escape.
pub fn batch_from_input(input: &[u8]) -> Option<Batch> {
    let [first, second, flags, rest @ ..] = input else {
        return None;
    };
    let config = config_from_bytes(*first, *second);
    let mut parts = Vec::new();
    let mut rest = rest;
    while let Some(at) = rest.windows(2).position(|w| w == SEPARATOR) {
        parts.push(&rest[..at]);
        rest = &rest[at + 2..];
    }
    parts.push(rest);
    let records = parts
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let data = if flags >> (i % 4) & 1 == 1 {
                String::from_utf8_lossy(bytes).into_owned()
            } else {
                BASE64.encode(bytes)
            };
            let id = if flags & 0x10 != 0 {
                format!("{i}\"\\</script>\u{0}\u{1f}\u{7f}é\u{2028}😀")
            } else {
                format!("4954698668313554428650745793632162567570019247115600{i:04}")
            };
            InputRecord { id, data }
        })
        .collect();
    Some(Batch { config, records })
}

/// The stream every batch target's events name.
pub const STREAM: &str = "fuzz";

/// The Firehose event of `records`, as Firehose writes it.
pub fn event_json(records: &[InputRecord]) -> String {
    let mut event = format!(
        concat!(
            r#"{{"invocationId":"00000000-0000-4000-8000-000000000000","#,
            r#""deliveryStreamArn":"arn:aws:firehose:us-east-1:123456789012:deliverystream/{}","#,
            r#""region":"us-east-1","records":["#
        ),
        STREAM
    );
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            event.push(',');
        }
        event.push_str(r#"{"recordId":"#);
        event.push_str(&serde_json::to_string(&record.id).unwrap());
        event.push_str(r#","approximateArrivalTimestamp":1624868568000,"data":"#);
        event.push_str(&serde_json::to_string(&record.data).unwrap());
        event.push('}');
    }
    event.push_str("]}");
    event
}

/// Transforms the batch's event and checks the result against the rules.
pub fn check_batch(batch: &Batch) {
    let event = event_json(&batch.records);
    let result = firehose_ltsv::transform(&event, &batch.config);
    check_response(
        &batch.config,
        &batch.records,
        result.as_ref().map(|(r, s)| (r.get(), s)),
        Some(Some(STREAM)),
    );
}
