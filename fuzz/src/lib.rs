//! What the rules in README.md ("Conversion rules", "What happens to bad
//! input") say a line, a record and a whole response must become, written
//! apart from the crate's own parsing so that the fuzz targets can hold the
//! crate to them.
//!
//! Each `check_*` function panics, with a message that says which rule was
//! broken, when the crate's result does not follow the rules.

use std::collections::HashMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::config::OnTypeError;
use firehose_ltsv::convert::Converted;
use firehose_ltsv::firehose::MAX_RESPONSE_BYTES;
use firehose_ltsv::ltsv::{self, FieldError, FieldErrorKind, LabelSyntax};
use firehose_ltsv::time::Timestamp;
use firehose_ltsv::value::Type;
use firehose_ltsv::{Config, Converter, EventError, LineError, Summary};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// Settings picked by two input bytes. The first:
///
/// | bits | setting |
/// |---|---|
/// | 0 | `LTSV_STRICT_LABELS`: 0 `true`, 1 `false` |
/// | 1 | `LTSV_UNESCAPE`: 0 `true`, 1 `false` |
/// | 2–3 | `LTSV_ON_TYPE_ERROR`: `fail`, `null`, `string`, `fail` |
/// | 4–5 | `LTSV_TYPES`: the default, none, `a:integer,b:float,c:bool`, `t:time,n:integer` |
/// | 6 | `LTSV_NULL_VALUES`: 0 `-`, 1 `-,,null` (the empty value too) |
/// | 7 | `PARTITION_KEYS`: 0 none, 1 `vhost`, with `hour` first when a label has type `time` |
///
/// The second:
///
/// | bits | setting |
/// |---|---|
/// | 0 | `LTSV_SPLIT_REQUEST`: 0 none, 1 `req` |
/// | 1 | `LTSV_DROP` holds `ua^=ELB` |
/// | 2 | `LTSV_DROP` holds `status=404` |
///
/// So 0x00 0x00 is the function's default configuration.
pub fn config_from_bytes(first: u8, second: u8) -> Config {
    let types = [
        None,
        Some(""),
        Some("a:integer,b:float,c:bool"),
        Some("t:time,n:integer"),
    ][usize::from(first >> 4 & 3)];
    let has_time = matches!(first >> 4 & 3, 0 | 3);
    let partition_keys = match (first & 0x80 != 0, has_time) {
        (false, _) => "",
        (true, true) => "hour,vhost",
        (true, false) => "vhost",
    };
    let drop = ["", "ua^=ELB", "status=404", "ua^=ELB,status=404"][usize::from(second >> 1 & 3)];
    let vars: [(&str, Option<&str>); 8] = [
        (
            "LTSV_STRICT_LABELS",
            Some(if first & 1 == 0 { "true" } else { "false" }),
        ),
        (
            "LTSV_UNESCAPE",
            Some(if first & 2 == 0 { "true" } else { "false" }),
        ),
        (
            "LTSV_ON_TYPE_ERROR",
            Some(["fail", "null", "string", "fail"][usize::from(first >> 2 & 3)]),
        ),
        ("LTSV_TYPES", types),
        (
            "LTSV_NULL_VALUES",
            Some(if first & 0x40 == 0 { "-" } else { "-,,null" }),
        ),
        ("PARTITION_KEYS", Some(partition_keys)),
        (
            "LTSV_SPLIT_REQUEST",
            Some(if second & 1 == 0 { "" } else { "req" }),
        ),
        ("LTSV_DROP", Some(drop)),
    ];
    Config::from_lookup(|name| {
        vars.iter()
            .find(|(var, _)| *var == name)
            .and_then(|(_, value)| value.map(str::to_owned))
    })
    .expect("every settings byte gives valid settings")
}

// --- Lines -------------------------------------------------------------------

/// Bytes as the rules write them into JSON text: UTF-8 as it is, every byte
/// that is not part of valid UTF-8 as the four characters `\xhh`.
pub fn as_text(bytes: &[u8]) -> String {
    let mut text = String::new();
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

/// The lines of a record: each ends in LF or CRLF (the last may end in
/// neither), a CR not followed by LF is data, and lines that are empty or
/// only TABs are skipped. Returns each line's 1-based number and bytes.
pub fn record_lines(data: &[u8]) -> Vec<(usize, &[u8])> {
    let pieces: Vec<&[u8]> = split(data, b'\n').collect();
    let last = pieces.len() - 1;
    let mut lines = Vec::new();
    for (i, piece) in pieces.into_iter().enumerate() {
        // Only a CR that the LF follows belongs to the line end.
        let piece = if i < last {
            piece.strip_suffix(b"\r").unwrap_or(piece)
        } else {
            piece
        };
        if piece.iter().any(|&b| b != b'\t') {
            lines.push((i + 1, piece));
        }
    }
    lines
}

/// `data` split on every `byte`, as `<[u8]>::split` does; with `memchr`,
/// so that long inputs are not scanned byte by byte (which coverage
/// tracing makes slow).
fn split(data: &[u8], byte: u8) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(byte, data)
        .chain([data.len()])
        .map(move |end| {
            let piece = &data[start..end];
            start = end + 1;
            piece
        })
}

/// A field's label and value.
pub type Field<'a> = (&'a [u8], &'a [u8]);

/// A JSON object's members, in order.
pub type Object = Vec<(String, Value)>;

fn is_label_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-')
}

/// A line's `(label, value)` fields, or the first field that is not a
/// valid `label:value` pair: split on TAB, empty fields skipped (but
/// counted), label and value split on the first `:`; the label not empty,
/// and within `[0-9A-Za-z_.-]` (strict labels) or UTF-8 (any labels).
pub fn line_fields(line: &[u8], syntax: LabelSyntax) -> Result<Vec<Field<'_>>, FieldError> {
    let mut fields = Vec::new();
    let mut start = 0;
    for (i, field) in split(line, b'\t').enumerate() {
        let field_start = start;
        start += field.len() + 1;
        if field.is_empty() {
            continue;
        }
        let error = |kind| FieldError {
            field: i + 1,
            start: field_start,
            kind,
        };
        let Some(colon) = memchr::memchr(b':', field) else {
            return Err(error(FieldErrorKind::MissingColon));
        };
        let (label, value) = (&field[..colon], &field[colon + 1..]);
        if label.is_empty() {
            return Err(error(FieldErrorKind::EmptyLabel));
        }
        match syntax {
            LabelSyntax::Strict => {
                if let Some(&bad) = label.iter().find(|&&b| !is_label_byte(b)) {
                    return Err(error(FieldErrorKind::InvalidLabelByte(bad)));
                }
            }
            // A JSON key is text: a label that is not UTF-8 could only be
            // written as `\xhh` text, the key of another label.
            LabelSyntax::Any => {
                if std::str::from_utf8(label).is_err() {
                    return Err(error(FieldErrorKind::LabelNotUtf8));
                }
            }
        }
        fields.push((label, value));
    }
    Ok(fields)
}

/// Each distinct label once, in the order of its first appearance, with its
/// last value.
pub fn distinct<'a>(fields: &[(&'a [u8], &'a [u8])]) -> Vec<(&'a [u8], &'a [u8])> {
    let mut members: Vec<(&[u8], &[u8])> = Vec::new();
    let mut index: HashMap<&[u8], usize> = HashMap::new();
    for &(label, value) in fields {
        match index.get(label) {
            Some(&i) => members[i].1 = value,
            None => {
                index.insert(label, members.len());
                members.push((label, value));
            }
        }
    }
    members
}

/// The documented escapes: `\"`, `\\`, `\xHH` (either case), `\t`, `\n`,
/// `\r`, `\b` and `\v`; any other backslash is kept as it is.
pub fn unescape(value: &[u8]) -> Vec<u8> {
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

/// A string value: decoded when unescaping is on and the decoding is valid
/// UTF-8, otherwise as logged.
fn string_value(config: &Config, logged: &[u8]) -> Value {
    if config.unescape
        && logged.contains(&b'\\')
        && let Ok(text) = String::from_utf8(unescape(logged))
    {
        return Value::String(text);
    }
    Value::String(as_text(logged))
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

fn typed(ty: Type, logged: &[u8]) -> Option<Value> {
    match ty {
        Type::Integer => integer(logged),
        Type::Float => float(logged),
        Type::Bool => match logged {
            b"true" => Some(Value::Bool(true)),
            b"false" => Some(Value::Bool(false)),
            _ => None,
        },
        Type::Time => Timestamp::parse(logged).map(|time| {
            let mut out = Vec::new();
            time.write(&mut out);
            Value::String(String::from_utf8(out).expect("times are ASCII"))
        }),
        Type::String => unreachable!("strings are not parsed"),
    }
}

/// What one line must become.
#[derive(Debug, PartialEq)]
pub enum LineExpectation {
    /// No fields: nothing is written.
    Empty,
    /// An `LTSV_DROP` rule matches: nothing is written.
    Dropped,
    /// The line is invalid.
    Error(LineError),
    /// One JSON object with these members, in this order.
    Object(Vec<(String, Value)>),
}

/// What `line` must become under `config`.
pub fn expect_line(config: &Config, line: &[u8]) -> LineExpectation {
    let fields = match line_fields(line, config.labels) {
        Ok(fields) => fields,
        Err(error) => return LineExpectation::Error(LineError::Field(error)),
    };
    if fields.is_empty() {
        return LineExpectation::Empty;
    }
    let distinct = distinct(&fields);
    // A rule looks at each label's value as logged (its last, for a label
    // that repeats).
    let dropped = distinct.iter().any(|&(label, value)| {
        config.drop.iter().any(|rule| {
            rule.label == label
                && if rule.prefix {
                    value.starts_with(&rule.value)
                } else {
                    value == rule.value
                }
        })
    });
    if dropped {
        return LineExpectation::Dropped;
    }
    let mut members = Vec::new();
    for &(label, logged) in &distinct {
        let ty = config
            .types
            .iter()
            .find(|(typed, _)| typed == label)
            .map(|&(_, ty)| ty);
        let value = if config.null_values.iter().any(|null| null == logged) {
            Value::Null
        } else {
            match ty {
                None | Some(Type::String) => string_value(config, logged),
                Some(_) if logged.is_empty() => Value::Null,
                Some(ty) => match (typed(ty, logged), config.on_type_error) {
                    (Some(value), _) => value,
                    (None, OnTypeError::Fail) => {
                        return LineExpectation::Error(LineError::Type {
                            label: String::from_utf8_lossy(label).into_owned(),
                            expected: ty,
                        });
                    }
                    (None, OnTypeError::Null) => Value::Null,
                    (None, OnTypeError::String) => string_value(config, logged),
                },
            }
        };
        members.push((as_text(label), value));
    }
    if let Some(request_label) = &config.split_request {
        members.extend(request_parts(config, &distinct, request_label));
    }
    LineExpectation::Object(members)
}

/// `method`, `path`, `query` and `protocol` of the request line (`METHOD SP
/// TARGET SP PROTOCOL`, the query after the target's first `?`), each only
/// when the line has no label of that name; all null when the request line
/// is missing, null or of another shape.
fn request_parts(
    config: &Config,
    fields: &[(&[u8], &[u8])],
    request_label: &[u8],
) -> Vec<(String, Value)> {
    let request = fields
        .iter()
        .find(|(label, _)| *label == request_label)
        .map(|&(_, value)| value)
        .filter(|value| !config.null_values.iter().any(|null| null == value));
    let parts = request.and_then(|request| {
        let words: Vec<&[u8]> = request.split(|&b| b == b' ').collect();
        match words[..] {
            [method, target, protocol]
                if !method.is_empty() && !target.is_empty() && !protocol.is_empty() =>
            {
                let (path, query) = match target.iter().position(|&b| b == b'?') {
                    Some(q) => (&target[..q], Some(&target[q + 1..])),
                    None => (target, None),
                };
                Some([Some(method), Some(path), query, Some(protocol)])
            }
            _ => None,
        }
    });
    ["method", "path", "query", "protocol"]
        .iter()
        .enumerate()
        .filter(|(_, name)| !fields.iter().any(|(label, _)| label == &name.as_bytes()))
        .map(|(i, name)| {
            let value = match parts.and_then(|parts| parts[i]) {
                Some(part) => string_value(config, part),
                None => Value::Null,
            };
            (name.to_string(), value)
        })
        .collect()
}

/// A JSON object's members in the order written, repeated keys included,
/// which `serde_json::Map` would lose.
#[derive(Debug)]
pub struct Members(pub Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Members, D::Error> {
        struct MembersVisitor;

        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }

        deserializer.deserialize_map(MembersVisitor)
    }
}

/// Checks one JSON line the converter wrote (with its `\n`) against the
/// members the rules give.
pub fn check_object(expected: &[(String, Value)], written: &[u8], line: &[u8]) {
    let shown = || line.escape_ascii().to_string();
    let text = std::str::from_utf8(written)
        .unwrap_or_else(|e| panic!("output is not UTF-8 ({e}) for line {}", shown()));
    let Some(body) = text.strip_suffix('\n') else {
        panic!(
            "output {text:?} does not end in a newline, line {}",
            shown()
        );
    };
    assert!(
        body.bytes().all(|b| b >= 0x20),
        "raw control byte or line break inside {text:?}, line {}",
        shown()
    );
    let Members(members) = serde_json::from_str(body).unwrap_or_else(|e| {
        panic!(
            "output {text:?} is not one JSON object: {e}; line {}",
            shown()
        )
    });
    let mut keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
    keys.sort_unstable();
    let repeated = keys.windows(2).find(|pair| pair[0] == pair[1]);
    assert!(
        repeated.is_none(),
        "key {:?} appears twice in {text:?}: distinct labels must give distinct keys; line {}",
        repeated.map(|pair| pair[0]),
        shown()
    );
    assert_eq!(
        members,
        expected,
        "members differ from the rules for line {}",
        shown()
    );
}

/// Converts `line` with the crate and checks the result against the rules.
pub fn check_line(config: &Config, line: &[u8]) {
    let mut out = b"prefix".to_vec();
    let result = Converter::new(config).convert_line(line, &mut out);
    let shown = || line.escape_ascii().to_string();
    match (expect_line(config, line), result) {
        (LineExpectation::Empty, Ok(Converted::Blank))
        | (LineExpectation::Dropped, Ok(Converted::Dropped)) => {
            assert_eq!(out, b"prefix", "nothing written for a line left out")
        }
        (LineExpectation::Error(expected), Err(error)) => {
            assert_eq!(error, expected, "wrong error for line {}", shown());
            assert_eq!(out, b"prefix", "nothing written for an invalid line");
        }
        (LineExpectation::Object(members), Ok(Converted::Written)) => {
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

// --- Records and batches -------------------------------------------------------

/// One record of a request: its id and its `data` text.
#[derive(Clone, Debug)]
pub struct InputRecord {
    pub id: String,
    pub data: String,
}

/// What one record must come back as.
#[derive(Debug)]
enum RecordExpectation {
    /// `data` is not base64: `ProcessingFailed`, the text base64-encoded.
    NotBase64,
    /// A line is invalid, or the partition keys can't be computed:
    /// `ProcessingFailed`, data unchanged.
    Failed { decoded_len: usize },
    /// No lines, or `LTSV_DROP` left them all out: `Dropped`.
    Dropped {
        lines_dropped: usize,
        decoded_len: usize,
    },
    /// Converted: these objects (each with the line it came from), and
    /// these partition keys.
    Ok {
        objects: Vec<(Object, Vec<u8>)>,
        lines_dropped: usize,
        converted: Vec<u8>,
        keys: Vec<(String, String)>,
        decoded_len: usize,
    },
}

/// The partition-key value of a label value: bytes outside
/// `[0-9A-Za-z_.-]` become `_`, cut to 256 bytes (and a value of only
/// dots, which S3 tools treat as a path step, becomes underscores).
fn safe_key_value(value: &[u8]) -> String {
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

/// Partition keys from the first line, or `None` when they can't be
/// computed.
fn expect_keys(config: &Config, first_line: &[u8]) -> Option<Vec<(String, String)>> {
    use firehose_ltsv::config::PartitionKey;
    let fields = distinct(&line_fields(first_line, config.labels).ok()?);
    let value_of = |label: &[u8]| {
        fields
            .iter()
            .find(|(l, _)| *l == label)
            .map(|&(_, v)| v)
            .filter(|v| !v.is_empty() && !config.null_values.iter().any(|n| n == v))
    };
    let time = || {
        let label = config.time_label()?;
        Timestamp::parse(value_of(label)?).map(|t| t.date_hour())
    };
    config
        .partition_keys
        .iter()
        .map(|key| {
            let value = match key {
                PartitionKey::Year => format!("{:04}", time()?.year),
                PartitionKey::Month => format!("{:02}", time()?.month),
                PartitionKey::Day => format!("{:02}", time()?.day),
                PartitionKey::Hour => format!("{:02}", time()?.hour),
                PartitionKey::Label(label) => safe_key_value(value_of(label.as_bytes())?),
            };
            Some((key.name().to_owned(), value))
        })
        .collect()
}

/// What a record must come back as; checks the crate's parser on it too.
fn expect_record(config: &Config, converter: &mut Converter, data: &str) -> RecordExpectation {
    let Ok(decoded) = BASE64.decode(data) else {
        return RecordExpectation::NotBase64;
    };
    check_parser(config, &decoded);
    let decoded_len = decoded.len();
    let mut objects = Vec::new();
    let mut lines_dropped = 0;
    for (_, line) in record_lines(&decoded) {
        match expect_line(config, line) {
            LineExpectation::Object(members) => objects.push((members, line.to_vec())),
            LineExpectation::Dropped => lines_dropped += 1,
            LineExpectation::Empty => unreachable!("blank lines are skipped"),
            LineExpectation::Error(_) => return RecordExpectation::Failed { decoded_len },
        }
    }
    // Keys come from the first line written.
    let Some((_, first_line)) = objects.first() else {
        return RecordExpectation::Dropped {
            lines_dropped,
            decoded_len,
        };
    };
    let Some(keys) = expect_keys(config, first_line) else {
        return RecordExpectation::Failed { decoded_len };
    };
    // The exact bytes, needed to size the record's entry; checked below
    // against `objects`.
    let mut converted = Vec::new();
    let written = converter.convert_record(&decoded, &mut converted);
    assert_eq!(
        written
            .as_ref()
            .ok()
            .map(|counts| (counts.written, counts.dropped)),
        Some((objects.len(), lines_dropped)),
        "convert_record disagrees with the rules: {written:?}"
    );
    RecordExpectation::Ok {
        objects,
        lines_dropped,
        converted,
        keys,
        decoded_len,
    }
}

/// `{"k":"v",...}` as the response writes it: compact, keys in order.
fn keys_json(keys: &[(String, String)]) -> String {
    let members: Vec<String> = keys
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                serde_json::to_string(k).unwrap(),
                serde_json::to_string(v).unwrap()
            )
        })
        .collect();
    format!("{{{}}}", members.join(","))
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
/// failed data byte-identical, the metadata rule, the size limit and the
/// summary counts. `delivery_stream` is the summary's stream name, when
/// the caller knows it.
pub fn check_response(
    config: &Config,
    records: &[InputRecord],
    result: Result<(&str, &Summary), &EventError>,
    delivery_stream: Option<Option<&str>>,
) {
    let mut converter = Converter::new(config);
    let expected: Vec<RecordExpectation> = records
        .iter()
        .map(|record| expect_record(config, &mut converter, &record.data))
        .collect();
    // What each record's `data` comes back as when it fails.
    let failed_data: Vec<String> = records
        .iter()
        .zip(&expected)
        .map(|(record, expected)| match expected {
            RecordExpectation::NotBase64 => BASE64.encode(&record.data),
            _ => record.data.clone(),
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

    let (response, summary) = match result {
        Ok(ok) => ok,
        Err(EventError::ResponseTooLarge(_)) => {
            assert!(
                all_failed_len(false) > MAX_RESPONSE_BYTES,
                "ResponseTooLarge, but the batch fits returned unchanged ({} bytes)",
                all_failed_len(false)
            );
            return;
        }
        Err(error) => panic!("a Firehose event was refused: {error}"),
    };
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
    // it out lets the batch fit.
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
    let mut prefix_len = r#"{"records":["#.len();
    for (i, (entry_text, record)) in entries.iter().zip(records).enumerate() {
        let entry: Entry = serde_json::from_str(entry_text)
            .unwrap_or_else(|e| panic!("entry {i} {entry_text:?}: {e}"));
        let id: String = serde_json::from_str(entry.record_id.get()).unwrap();
        assert_eq!(id, record.id, "entry {i}: ids in order");
        let metadata_keys = entry.metadata.as_ref().map(|m| m.partition_keys.get());
        // Bytes in: every record that decodes.
        match &expected[i] {
            RecordExpectation::Ok { decoded_len, .. }
            | RecordExpectation::Dropped { decoded_len, .. }
            | RecordExpectation::Failed { decoded_len } => counts.bytes_in += decoded_len,
            RecordExpectation::NotBase64 => {}
        }
        match (entry.result.as_str(), &expected[i]) {
            (
                "Ok",
                RecordExpectation::Ok {
                    objects,
                    lines_dropped,
                    converted,
                    keys,
                    ..
                },
            ) => {
                let data = BASE64
                    .decode(entry.data.as_bytes())
                    .unwrap_or_else(|e| panic!("entry {i}: Ok data is not base64: {e}"));
                assert_eq!(&data, converted, "entry {i}: Ok data");
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
                counts.lines_dropped += lines_dropped;
                counts.bytes_out += converted.len();
            }
            ("Dropped", RecordExpectation::Dropped { lines_dropped, .. }) => {
                assert_eq!(entry.data, "", "entry {i}: Dropped data");
                assert_eq!(
                    metadata_keys,
                    with_metadata.then_some("{}"),
                    "entry {i}: metadata of a Dropped record"
                );
                counts.dropped += 1;
                counts.lines_dropped += lines_dropped;
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
                if let RecordExpectation::Ok {
                    converted, keys, ..
                } = expectation
                {
                    // Only room may fail a convertible record: its Ok entry
                    // would not fit beside failed entries for the rest.
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
                }
                counts.failed += 1;
            }
            (result, expectation) => {
                panic!("entry {i}: result {result:?}, but the rules say {expectation:?}")
            }
        }
        prefix_len += entry_text.len() + 1;
    }
    assert_eq!(summary, &counts, "summary counts");
}

/// Checks that `ltsv::lines` and `ltsv::fields` find the lines and fields
/// the rules define.
pub fn check_parser(config: &Config, data: &[u8]) {
    let crate_lines: Vec<(usize, &[u8])> = ltsv::lines(data)
        .map(|line| (line.number, line.bytes))
        .collect();
    let rule_lines = record_lines(data);
    // A line of only TABs is a line to `ltsv::lines`; the converter skips
    // it as a line without fields.
    let crate_lines: Vec<(usize, &[u8])> = crate_lines
        .into_iter()
        .filter(|(_, line)| line.iter().any(|&b| b != b'\t'))
        .collect();
    assert_eq!(
        crate_lines,
        rule_lines,
        "lines of {:?}",
        data.escape_ascii().to_string()
    );
    for (_, line) in rule_lines {
        let crate_fields: Result<Vec<Field>, FieldError> = ltsv::fields(line, config.labels)
            .map(|field| field.map(|f| (f.label, f.value)))
            .collect();
        assert_eq!(
            crate_fields,
            line_fields(line, config.labels),
            "fields of {:?}",
            line.escape_ascii().to_string()
        );
    }
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
