//! The conversion's fast paths held to a reference converter written here,
//! deliberately simple: a byte at a time, each rule of README.md's
//! "Conversion rules" spelled out once, nothing cached and nothing searched
//! a word at a time. Lines come in runs that share their labels, as a
//! server's log does, so that the paths for a line like the one before (its
//! labels checked rather than found, its time written as the last one was)
//! are taken as often as the general ones. Values are whatever a log can
//! hold: every escape in both unescaping modes, bytes that are not UTF-8,
//! control bytes, nulls, and typed values of every type, valid or not; and
//! lines repeat labels, spell labels differently only in case, and meet
//! drop rules.

use chrono::{DateTime, Datelike, NaiveDate};
use firehose_ltsv::{
    Config, Converter, ErrorKind, LabelSyntax, LineOutcome, OnTypeError, Type, Unescape,
};
use proptest::prelude::*;
use proptest::sample::select;

// --- The reference -------------------------------------------------------------

/// What a line becomes.
#[derive(Debug, PartialEq)]
enum Expected {
    /// Its JSON object, as text (lossy only in how a failure is shown).
    Written(String),
    Blank,
    Excluded,
    Failed(Why),
}

/// Why a line is refused, and where when it is one field's fault.
#[derive(Debug, PartialEq)]
enum Why {
    Field {
        field: usize,
        byte: usize,
        problem: Problem,
    },
    /// Two labels differing only in case.
    Folded,
    /// The label as error messages show it (escaped), and its type.
    Type { label: String, expected: Type },
}

#[derive(Debug, PartialEq)]
enum Problem {
    MissingColon,
    EmptyLabel,
    InvalidLabelByte(u8),
    LabelNotUtf8,
}

/// What `config` makes of `line`, by the rules alone.
fn reference(config: &Config, line: &[u8]) -> Expected {
    let fields = match fields(config, line) {
        Ok(fields) => fields,
        Err(why) => return Expected::Failed(why),
    };
    if fields.is_empty() {
        return Expected::Blank;
    }
    // Each label once, where it first appears, with its last value.
    let mut distinct: Vec<Field> = Vec::new();
    for (label, value) in fields {
        match distinct.iter_mut().find(|(seen, _)| *seen == label) {
            Some(field) => field.1 = value,
            None => distinct.push((label, value)),
        }
    }
    let value_of = |label: &[u8]| distinct.iter().find(|(l, _)| *l == label).map(|(_, v)| *v);
    let dropped = config
        .drop_rules()
        .iter()
        .any(|rule| match value_of(&rule.label) {
            Some(value) if rule.prefix => value.starts_with(&rule.value),
            Some(value) => value == rule.value,
            None => false,
        });
    if dropped {
        return Expected::Excluded;
    }
    let folded = |label: &[u8]| String::from_utf8_lossy(label).to_lowercase();
    for (i, (label, _)) in distinct.iter().enumerate() {
        if distinct[..i]
            .iter()
            .any(|(earlier, _)| folded(earlier) == folded(label))
        {
            return Expected::Failed(Why::Folded);
        }
    }
    match object(config, &distinct) {
        Ok(text) => Expected::Written(text),
        Err(why) => Expected::Failed(why),
    }
}

/// A field's label and value.
type Field<'a> = (&'a [u8], &'a [u8]);

/// The fields of a line, in order, or why one is not a field.
fn fields<'a>(config: &Config, line: &'a [u8]) -> Result<Vec<Field<'a>>, Why> {
    let mut fields = Vec::new();
    let mut byte = 0;
    for (i, field) in line.split(|&b| b == b'\t').enumerate() {
        let at = byte;
        byte += field.len() + 1;
        if field.is_empty() {
            continue;
        }
        let refused = |problem| Why::Field {
            field: i + 1,
            byte: at,
            problem,
        };
        let Some(colon) = field.iter().position(|&b| b == b':') else {
            return Err(refused(Problem::MissingColon));
        };
        let (label, value) = (&field[..colon], &field[colon + 1..]);
        if label.is_empty() {
            return Err(refused(Problem::EmptyLabel));
        }
        match config.label_syntax() {
            LabelSyntax::Strict => {
                let strict = |b: &u8| b.is_ascii_alphanumeric() || b"_.-".contains(b);
                if let Some(&bad) = label.iter().find(|b| !strict(b)) {
                    return Err(refused(Problem::InvalidLabelByte(bad)));
                }
            }
            LabelSyntax::Any => {
                if std::str::from_utf8(label).is_err() {
                    return Err(refused(Problem::LabelNotUtf8));
                }
            }
        }
        fields.push((label, value));
    }
    Ok(fields)
}

/// The JSON object of a line's distinct labels and their values, and the
/// request line's parts after them.
fn object(config: &Config, distinct: &[Field]) -> Result<String, Why> {
    let value_of = |label: &[u8]| distinct.iter().find(|(l, _)| *l == label).map(|(_, v)| *v);
    let mut out = b"{".to_vec();
    for (i, &(label, value)) in distinct.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_string(&mut out, label);
        out.push(b':');
        if let Err(expected) = write_value(config, label, value, &mut out) {
            let label = label.escape_ascii().to_string();
            return Err(Why::Type { label, expected });
        }
    }
    if let Some(request) = &config.split_request() {
        let parts = value_of(request)
            .filter(|value| !config.null_values().iter().any(|null| null == value))
            .and_then(split_request);
        for (i, name) in ["method", "path", "query", "protocol"].iter().enumerate() {
            if value_of(name.as_bytes()).is_some() {
                continue;
            }
            out.extend_from_slice(format!(",\"{name}\":").as_bytes());
            match parts.as_ref().and_then(|parts| parts[i]) {
                Some(part) => write_string(config, part, &mut out),
                None => out.extend_from_slice(b"null"),
            }
        }
    }
    out.extend_from_slice(b"}\n");
    Ok(String::from_utf8(out).expect("JSON is UTF-8"))
}

/// Writes a value per its label's type; on a type error that fails the
/// line, returns the type.
fn write_value(config: &Config, label: &[u8], value: &[u8], out: &mut Vec<u8>) -> Result<(), Type> {
    if config.null_values().iter().any(|null| null == value) {
        out.extend_from_slice(b"null");
        return Ok(());
    }
    let ty = config
        .types()
        .iter()
        .find(|(l, _)| l == label)
        .map(|&(_, ty)| ty);
    let ty = match ty {
        None | Some(Type::String) => {
            write_string(config, value, out);
            return Ok(());
        }
        Some(_) if value.is_empty() => {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        Some(ty) => ty,
    };
    match (typed(ty, value), config.on_type_error()) {
        (Some(json), _) => out.extend_from_slice(json.as_bytes()),
        (None, OnTypeError::Fail) => return Err(ty),
        (None, OnTypeError::Null) => out.extend_from_slice(b"null"),
        (None, OnTypeError::String) => write_string(config, value, out),
    }
    Ok(())
}

/// A typed value's JSON, if it is of its type.
fn typed(ty: Type, text: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(text).ok()?;
    match ty {
        Type::Integer => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n: i128 = text.parse().ok()?;
            i64::try_from(n).ok().map(|n| n.to_string())
        }
        Type::Float => {
            if !is_decimal(text) {
                return None;
            }
            let x: f64 = text.parse().ok()?;
            x.is_finite()
                .then(|| ryu::Buffer::new().format_finite(x).to_owned())
        }
        Type::Bool => matches!(text, "true" | "false").then(|| text.to_owned()),
        Type::Time | Type::TimeMsec | Type::TimeUsec => time(ty, text).map(|t| format!("\"{t}\"")),
        Type::String => unreachable!(),
    }
}

/// `-?(d+(.d*)?|.d+)([eE][+-]?d+)?`
fn is_decimal(text: &str) -> bool {
    let text = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(e) => (&text[..e], Some(&text[e + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    !(whole.is_empty() && fraction.is_empty()) && digits(whole) && digits(fraction) && exponent_ok
}

/// A time value in UTC, `YYYY-MM-DD HH:MM:SS` and `.fff` when given one.
fn time(ty: Type, text: &str) -> Option<String> {
    // Every byte of every format is a digit, a letter of a month or a
    // separator: ASCII.
    if !text.is_ascii() {
        return None;
    }
    let (seconds, millis) = match ty {
        Type::TimeMsec => whole_count(text, 1000)?,
        Type::TimeUsec => whole_count(text, 1_000_000)?,
        _ => match text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            Some(inner) => common_log(inner)?,
            None if text.as_bytes().get(2) == Some(&b'/') => common_log(text)?,
            None if text.as_bytes().get(4) == Some(&b'-') => iso8601(text)?,
            None => epoch(text)?,
        },
    };
    let utc = DateTime::from_timestamp(seconds, 0)?;
    if !(0..=9999).contains(&utc.year()) {
        return None;
    }
    let mut written = utc.format("%Y-%m-%d %H:%M:%S").to_string();
    if let Some(millis) = millis {
        written += &format!(".{millis:03}");
    }
    Some(written)
}

fn number(text: &str) -> Option<u32> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
}

/// Seconds since the epoch of a local date and time `offset` seconds east.
fn instant(year: u32, month: u32, day: u32, clock: &str, offset: i64) -> Option<i64> {
    let [h, m, s] = [0, 3, 6].map(|at| clock.get(at..at + 2).and_then(number));
    if clock.len() != 8 || &clock[2..3] != ":" || &clock[5..6] != ":" {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some(date.and_hms_opt(h?, m?, s?)?.and_utc().timestamp() - offset)
}

/// `+hhmm` (or `+hh:mm` when `colon`) as seconds east of UTC.
fn offset(zone: &str) -> Option<i64> {
    let (sign, rest) = (zone.get(..1)?, zone.get(1..)?);
    let rest = match rest.len() {
        5 if &rest[2..3] == ":" => format!("{}{}", &rest[..2], &rest[3..]),
        4 => rest.to_owned(),
        _ => return None,
    };
    let (hours, minutes) = (number(&rest[..2])?, number(&rest[2..])?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    let seconds = i64::from(hours * 3600 + minutes * 60);
    match sign {
        "+" => Some(seconds),
        "-" => Some(-seconds),
        _ => None,
    }
}

/// `28/Jun/2021:17:22:48 +0900`
fn common_log(text: &str) -> Option<(i64, Option<u32>)> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = text.as_bytes();
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == &text[3..6])? as u32 + 1;
    let zone = offset(&text[21..])?;
    let seconds = instant(
        number(&text[7..11])?,
        month,
        number(&text[..2])?,
        &text[12..20],
        zone,
    )?;
    Some((seconds, None))
}

/// `2021-06-28T17:22:48.123+09:00`
fn iso8601(text: &str) -> Option<(i64, Option<u32>)> {
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !b"Tt ".contains(&b[10]) {
        return None;
    }
    let rest = &text[19..];
    let (millis, zone) = match rest.strip_prefix(['.', ',']) {
        Some(fraction) => {
            let end = fraction
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(fraction.len());
            (Some(millis(&fraction[..end])?), &fraction[end..])
        }
        None => (None, rest),
    };
    let zone = match zone {
        "Z" | "z" => 0,
        zone => offset(zone.strip_prefix(' ').unwrap_or(zone))?,
    };
    let date = |at: usize, len: usize| number(text.get(at..at + len)?);
    let seconds = instant(date(0, 4)?, date(5, 2)?, date(8, 2)?, &text[11..19], zone)?;
    Some((seconds, millis))
}

/// The digits of a fraction of a second, as milliseconds: any number of
/// them, the finer ones dropped.
fn millis(fraction: &str) -> Option<u32> {
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let three: String = fraction.chars().chain("00".chars()).take(3).collect();
    three.parse().ok()
}

/// `1624868568` or `1624868568.123`
fn epoch(text: &str) -> Option<(i64, Option<u32>)> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(millis(fraction)?)),
        None => (text, None),
    };
    if whole.is_empty() || whole.len() > 12 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((whole.parse().ok()?, fraction))
}

/// A whole number of `per_second`ths of a second since the epoch.
fn whole_count(text: &str, per_second: i64) -> Option<(i64, Option<u32>)> {
    let max_digits = 12 + per_second.ilog10() as usize;
    if text.is_empty() || text.len() > max_digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let count: i64 = text.parse().ok()?;
    let millis = (count % per_second) * 1000 / per_second;
    Some((count / per_second, Some(millis as u32)))
}

/// Method, path, query and protocol of a request line of three words.
fn split_request(request: &[u8]) -> Option<[Option<&[u8]>; 4]> {
    let words: Vec<&[u8]> = request.split(|&b| b == b' ').collect();
    let [method, target, protocol] = words[..] else {
        return None;
    };
    if method.is_empty() || target.is_empty() || protocol.is_empty() {
        return None;
    }
    let (path, query) = match target.iter().position(|&b| b == b'?') {
        Some(q) => (&target[..q], Some(&target[q + 1..])),
        None => (target, None),
    };
    Some([Some(method), Some(path), query, Some(protocol)])
}

/// Writes a string value: unescaped when the settings say and the result
/// is UTF-8, as logged otherwise.
fn write_string(config: &Config, value: &[u8], out: &mut Vec<u8>) {
    let decoded = match config.unescape() {
        _ if !value.contains(&b'\\') => None,
        Unescape::Off => None,
        Unescape::Escapes => Some(unescape(value)),
        Unescape::Json => Some(unescape_json(value)),
    };
    match decoded {
        Some(text) if std::str::from_utf8(&text).is_ok() => json_string(out, &text),
        _ => json_string(out, value),
    }
}

/// Apache's and nginx's escapes decoded; others kept as they are.
fn unescape(value: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::new();
    let mut i = 0;
    while i < value.len() {
        let next = value.get(i + 1).copied();
        let (byte, used) = match (value[i], next) {
            (b'\\', Some(b'x' | b'X')) => match (value.get(i + 2), value.get(i + 3)) {
                (Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                    (hex(h).unwrap() * 16 + hex(l).unwrap(), 4)
                }
                _ => (b'\\', 1),
            },
            (b'\\', Some(b'"')) => (b'"', 2),
            (b'\\', Some(b'\\')) => (b'\\', 2),
            (b'\\', Some(b't')) => (b'\t', 2),
            (b'\\', Some(b'n')) => (b'\n', 2),
            (b'\\', Some(b'r')) => (b'\r', 2),
            (b'\\', Some(b'b')) => (0x08, 2),
            (b'\\', Some(b'v')) => (0x0b, 2),
            (byte, _) => (byte, 1),
        };
        out.push(byte);
        i += used;
    }
    out
}

/// JSON's escapes decoded, surrogate pairs joined; others kept as they are.
fn unescape_json(value: &[u8]) -> Vec<u8> {
    let unit = |at: usize| -> Option<u32> {
        let escape = value.get(at..at + 6)?;
        if &escape[..2] != b"\\u" {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(&escape[2..]).ok()?, 16)
            .ok()
            .filter(|_| escape[2..].iter().all(u8::is_ascii_hexdigit))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < value.len() {
        let simple = match (value[i], value.get(i + 1)) {
            (b'\\', Some(b'"')) => Some(b'"'),
            (b'\\', Some(b'\\')) => Some(b'\\'),
            (b'\\', Some(b'/')) => Some(b'/'),
            (b'\\', Some(b'b')) => Some(0x08),
            (b'\\', Some(b'f')) => Some(0x0c),
            (b'\\', Some(b'n')) => Some(b'\n'),
            (b'\\', Some(b'r')) => Some(b'\r'),
            (b'\\', Some(b't')) => Some(b'\t'),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            i += 2;
            continue;
        }
        let decoded = unit(i).and_then(|high| match high {
            0xd800..=0xdbff => {
                let low = unit(i + 6).filter(|low| (0xdc00..=0xdfff).contains(low))?;
                char::from_u32(0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)).map(|c| (c, 12))
            }
            _ => char::from_u32(high).map(|c| (c, 6)),
        });
        match decoded {
            Some((c, used)) => {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                i += used;
            }
            None => {
                out.push(value[i]);
                i += 1;
            }
        }
    }
    out
}

/// A JSON string of `bytes`: escapes where JSON needs them, UTF-8 as it is,
/// and each byte that is not UTF-8 as the text `\xhh`.
fn json_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\u{8}' => out.extend_from_slice(b"\\b"),
                '\t' => out.extend_from_slice(b"\\t"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\u{c}' => out.extend_from_slice(b"\\f"),
                '\r' => out.extend_from_slice(b"\\r"),
                c if (c as u32) < 0x20 => {
                    out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
                }
                c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        for byte in chunk.invalid() {
            out.extend_from_slice(format!("\\\\x{byte:02x}").as_bytes());
        }
    }
    out.push(b'"');
}

// --- The crate, in the reference's terms ------------------------------------------

fn converted(converter: &mut Converter, line: &[u8]) -> Expected {
    let mut out = Vec::new();
    match converter.convert_line(line, &mut out) {
        Ok(LineOutcome::Written) => Expected::Written(String::from_utf8(out).expect("UTF-8")),
        Ok(LineOutcome::Blank) => Expected::Blank,
        Ok(LineOutcome::Excluded) => Expected::Excluded,
        Err(error) => {
            let position = error.position();
            let field = |problem| Why::Field {
                field: position.field.expect("a field"),
                byte: position.byte.expect("a byte"),
                problem,
            };
            Expected::Failed(match error.kind() {
                ErrorKind::MissingColon => field(Problem::MissingColon),
                ErrorKind::EmptyLabel => field(Problem::EmptyLabel),
                ErrorKind::InvalidLabelByte(b) => field(Problem::InvalidLabelByte(*b)),
                ErrorKind::LabelNotUtf8 => field(Problem::LabelNotUtf8),
                ErrorKind::FoldedLabels { .. } => Why::Folded,
                ErrorKind::Type { label, expected } => Why::Type {
                    label: label.clone(),
                    expected: *expected,
                },
                other => panic!("a line cannot fail with {other:?}"),
            })
        }
    }
}

// --- Lines as logs hold them ---------------------------------------------------------

/// Labels: the typed ones of [`settings`], others, one differing from
/// another only in case, one past ASCII in two cases, and some no strict
/// label may be.
const LABELS: &[&str] = &[
    "i", "f", "b", "s", "t", "ms", "us", "req", "method", "a", "ua", "UA", "x.y-z_", "Äb", "äb",
    "b c",
];

/// Bytes plain values are made of: no escape, nothing JSON escapes.
const PLAIN: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -./:;()?&=+_~%";

/// Pieces of escaped values: each escape either mode decodes, escapes that
/// are not whole or not known, and plain text between them.
const PIECES: &[&str] = &[
    r"\x41",
    r"\xe3\x81\x82",
    r"\XE3\x81\X82",
    r"\xff",
    r"\xc0\xaf",
    r"\x4",
    r"\xg1",
    r#"\""#,
    r"\\",
    r"\t",
    r"\n",
    r"\r",
    r"\b",
    r"\v",
    r"\f",
    r"\/",
    r"\u0041",
    r"\u00e9",
    r"\u3042",
    r"\u0001",
    r"\ud83d\ude00",
    r"\uD83D\uDE00",
    r"\ud83d",
    r"\ude00",
    r"\ud83dx",
    r"\u12",
    r"\q",
    r"\",
    "a",
    "bc",
    " ",
    "\"",
    "あ",
    "-",
];

/// Texts of typed values, of their types and not.
const TYPED: &[&str] = &[
    "0",
    "-0",
    "7",
    "007",
    "-12",
    "200",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "+1",
    "1e3",
    "12a",
    " 1",
    "1.5",
    ".5",
    "5.",
    "-.5e1",
    "1E-2",
    "2e+2",
    "NaN",
    "inf",
    "1e999",
    "0.000412",
    "1.2.3",
    "1e",
    "true",
    "false",
    "True",
    "[28/Jun/2021:17:22:48 +0900]",
    "28/Jun/2021:17:22:48 +0900",
    "[01/Jan/2022:08:59:59 +0900]",
    "31/Dec/2021:20:00:00 -0430",
    "[29/Feb/2024:00:00:00 +0000]",
    "[29/Feb/2023:00:00:00 +0000]",
    "31/Apr/2021:00:00:00 +0000",
    "28/jun/2021:17:22:48 +0900",
    "28/Jun/2021:24:00:00 +0900",
    "28/Jun/2021:17:22:48 +2400",
    "[28/Jun/2021:17:22:48 +0900",
    "[01/Jan/0000:00:00:00 +0100]",
    "[31/Dec/9999:23:59:59 +0000]",
    "2021-06-28T17:22:48+09:00",
    "2021-06-28T17:22:48+0900",
    "2021-06-28 08:22:48Z",
    "2021-06-28t08:22:48z",
    "2021-06-28T17:22:48.123456+09:00",
    "2021-06-28T08:22:48,25Z",
    "2021-06-28T17:22:48",
    "2021-06-28T17:22:48.Z",
    "2021-13-01T00:00:00Z",
    "2021-06-28T17:22",
    "1624868568",
    "1624868568.5",
    "1624868568.",
    "1624868568.12a",
    "253402300799",
    "253402300800",
    "1624868568123",
    "1624868568123456",
    "253402300799999",
    "1234567890123456789",
    "-1",
    "",
    "-",
    "null",
];

fn value() -> impl Strategy<Value = Vec<u8>> {
    let plain = || proptest::collection::vec(select(PLAIN), 0..40);
    prop_oneof![
        3 => plain(),
        3 => proptest::collection::vec(select(PIECES), 0..6)
            .prop_map(|pieces| pieces.concat().into_bytes()),
        3 => select(TYPED).prop_map(|text| text.as_bytes().to_vec()),
        // A stop at any place in a long run: the paths that search a word
        // or a chunk at a time.
        2 => (plain(), select(PIECES), plain())
            .prop_map(|(a, b, c)| [&a[..], b.as_bytes(), &c[..]].concat()),
        // Anything but the TAB that would end it: control bytes, bytes
        // that are not UTF-8, UTF-8.
        2 => proptest::collection::vec(any::<u8>().prop_filter("not a TAB", |&b| b != b'\t'), 0..24),
    ]
}

/// A line's fields, and how the line strays from them: an empty field, a
/// field without `:`, an empty label, or nothing.
#[derive(Clone, Debug)]
enum Stray {
    None,
    EmptyField(usize),
    NoColon(usize),
    EmptyLabel(usize),
    TrailingTab,
}

fn stray() -> impl Strategy<Value = Stray> {
    prop_oneof![
        12 => Just(Stray::None),
        1 => (0usize..8).prop_map(Stray::EmptyField),
        1 => (0usize..8).prop_map(Stray::NoColon),
        1 => (0usize..8).prop_map(Stray::EmptyLabel),
        1 => Just(Stray::TrailingTab),
    ]
}

fn line(labels: &[&str], values: &[Vec<u8>], stray: &Stray) -> Vec<u8> {
    let mut fields: Vec<Vec<u8>> = labels
        .iter()
        .zip(values)
        .map(|(label, value)| [label.as_bytes(), b":", value].concat())
        .collect();
    let at = |i: usize| i % (fields.len() + 1);
    match *stray {
        Stray::None => {}
        Stray::EmptyField(i) => fields.insert(at(i), Vec::new()),
        Stray::NoColon(i) => fields.insert(at(i), b"nocolon".to_vec()),
        Stray::EmptyLabel(i) => fields.insert(at(i), b":x".to_vec()),
        Stray::TrailingTab => fields.push(Vec::new()),
    }
    fields.join(&b'\t')
}

/// A line's values: each its own, or one for every field, so that one text
/// meets every type, in turn, in the same line.
fn values() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop_oneof![
        3 => proptest::collection::vec(value(), 8),
        1 => value().prop_map(|value| vec![value; 8]),
    ]
}

/// Runs of lines: each run's lines have the labels of its first (the most
/// common case: a server's format fixes them), with values of their own.
fn runs() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let run = (
        proptest::collection::vec(select(LABELS), 1..8),
        proptest::collection::vec((values(), stray()), 1..6),
    )
        .prop_map(|(labels, lines)| {
            lines
                .iter()
                .map(|(values, stray)| line(&labels, values, stray))
                .collect::<Vec<_>>()
        });
    proptest::collection::vec(run, 1..4).prop_map(|runs| runs.concat())
}

/// The settings a run of lines is converted with: every type, with labels
/// of any kind or strict ones, each unescaping mode, each way of meeting a
/// type error, nulls, drop rules and request splitting.
fn settings() -> impl Strategy<Value = Config> {
    (
        any::<bool>(),
        select(&["true", "false", "json"][..]),
        select(&["fail", "null", "string"][..]),
        select(&["-", "-,,null"][..]),
        select(&["", "ua^=bot,s=-,a=drop"][..]),
        select(&["", "req"][..]),
    )
        .prop_map(|(strict, unescape, on_type_error, nulls, drop, split)| {
            Config::from_vars(&[
                ("LTSV_LOG_FORMAT", ""),
                (
                    "LTSV_TYPES",
                    "i:integer,f:float,b:bool,s:string,t:time,ms:time_msec,us:time_usec",
                ),
                ("LTSV_STRICT_LABELS", if strict { "true" } else { "false" }),
                ("LTSV_UNESCAPE", unescape),
                ("LTSV_ON_TYPE_ERROR", on_type_error),
                ("LTSV_NULL_VALUES", nulls),
                ("LTSV_DROP", drop),
                ("LTSV_SPLIT_REQUEST", split),
            ])
            .expect("valid settings")
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    /// One converter takes every line of the runs in turn, as it takes the
    /// lines of a batch, and writes each as the reference does.
    #[test]
    fn every_line_converts_as_the_reference_says(config in settings(), lines in runs()) {
        let mut converter = Converter::new(&config);
        for line in &lines {
            prop_assert_eq!(
                converted(&mut converter, line),
                reference(&config, line),
                "line {}",
                line.escape_ascii()
            );
        }
    }
}

#[test]
fn the_reference_knows_the_rules() {
    let config = Config::from_vars(&[
        ("LTSV_LOG_FORMAT", ""),
        ("LTSV_TYPES", "t:time,n:integer,f:float"),
        ("LTSV_SPLIT_REQUEST", "req"),
    ])
    .unwrap();
    let written = |line: &[u8]| match reference(&config, line) {
        Expected::Written(text) => text,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        written(b"t:[28/Jun/2021:17:22:48 +0900]\tn:007\tf:1e3\tua:\\xe3\\x81\\x82\\\"\xff\tn:-"),
        "{\"t\":\"2021-06-28 08:22:48\",\"n\":null,\"f\":1000.0,\"ua\":\"\\\\xe3\\\\x81\\\\x82\\\\\\\"\\\\xff\",\"method\":null,\"path\":null,\"query\":null,\"protocol\":null}\n"
    );
    assert_eq!(
        written(b"req:GET /a?b HTTP/1.1\tt:2021-06-28T08:22:48,25Z"),
        "{\"req\":\"GET /a?b HTTP/1.1\",\"t\":\"2021-06-28 08:22:48.250\",\"method\":\"GET\",\"path\":\"/a\",\"query\":\"b\",\"protocol\":\"HTTP/1.1\"}\n"
    );
    assert_eq!(reference(&config, b"\t\t"), Expected::Blank);
    assert_eq!(
        reference(&config, b"a:1\tb c:2"),
        Expected::Failed(Why::Field {
            field: 2,
            byte: 4,
            problem: Problem::InvalidLabelByte(b' ')
        })
    );
    assert_eq!(
        reference(&config, b"ua:1\tUA:2"),
        Expected::Failed(Why::Folded)
    );
}
