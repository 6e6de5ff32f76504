//! LTSV lines to JSON objects: the conversion rules, applied field by field.
//!
//! ```
//! use firehose_ltsv::{Config, Converter};
//!
//! let config = Config::default();
//! let mut converter = Converter::new(&config);
//! let mut out = Vec::new();
//! let line = b"time:[28/Jun/2021:17:22:48 +0900]\tstatus:200\tsize:-\tua:\\xe3\\x81\\x82";
//! converter.convert_line(line, &mut out).unwrap();
//! assert_eq!(
//!     out,
//!     "{\"time\":\"2021-06-28 08:22:48\",\"status\":200,\"size\":null,\"ua\":\"あ\"}\n".as_bytes()
//! );
//! ```

use std::fmt;

use crate::config::{Config, OnTypeError, REQUEST_PARTS};
use crate::json;
use crate::ltsv::{self, FieldError, LabelSyntax};
use crate::time::Timestamp;
use crate::value::{self, Type};

/// Lines with at most this many fields find duplicate labels by comparing
/// every pair; longer ones sort, so the cost stays `O(n log n)`.
const PAIRWISE_DEDUP_LIMIT: usize = 32;

/// Why a line could not be converted. It never holds the line's values,
/// which are client data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineError {
    /// A field is not a valid `label:value` pair.
    Field(FieldError),
    /// A value does not parse as its label's type (with
    /// `LTSV_ON_TYPE_ERROR=fail`).
    Type {
        /// The label, as logged (escaped for display).
        label: String,
        /// The type it should have had.
        expected: Type,
    },
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::Field(error) => error.fmt(f),
            LineError::Type { label, expected } => {
                write!(f, "label \"{label}\": value is not a valid {expected}")
            }
        }
    }
}

impl std::error::Error for LineError {}

/// A line error and the 1-based number of its line in the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    /// The line's number, counting blank lines.
    pub line: usize,
    /// What is wrong with it.
    pub error: LineError,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.error)
    }
}

impl std::error::Error for RecordError {}

/// What became of one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Converted {
    /// One JSON object was written.
    Written,
    /// The line has no fields: nothing was written.
    Blank,
    /// An `LTSV_DROP` rule matched: nothing was written.
    Dropped,
}

/// How many lines of a record were written and dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// Lines written as JSON objects.
    pub written: usize,
    /// Lines left out by `LTSV_DROP`.
    pub dropped: usize,
}

/// Where a field sits in its line, kept between parsing and writing so the
/// buffer can be reused from line to line.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    label_len: usize,
    value_len: usize,
    /// [`label_bit`] of the label.
    bit: u64,
}

impl Span {
    fn label<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.start..self.start + self.label_len]
    }

    fn value<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        let value_start = self.start + self.label_len + 1;
        &line[value_start..value_start + self.value_len]
    }
}

/// Converts LTSV lines to JSON objects with one [`Config`], reusing its
/// buffers across lines and records.
#[derive(Debug)]
pub struct Converter<'c> {
    config: &'c Config,
    spans: Vec<Span>,
    /// For each field, the index of the field whose value it writes, or
    /// `SKIP` for a repeated label.
    winners: Vec<usize>,
    sorted: Vec<usize>,
    unescaped: Vec<u8>,
    /// [`label_bit`]s of the typed labels: a label whose bit is not here has
    /// no type, which spares most fields the search through the types.
    typed_bits: u64,
    /// Bit `n` is set when a null value is `n` bytes long (bit 63: 63 or
    /// more), so most values are never compared with the null values.
    null_lengths: u64,
}

const SKIP: usize = usize::MAX;

/// One of 64 bits picked by a label's length and end bytes: labels with
/// different bits differ, so only labels with the same bit need comparing.
fn label_bit(label: &[u8]) -> u64 {
    let (first, last) = (label.first().copied(), label.last().copied());
    let mixed = (label.len() as u64)
        ^ u64::from(first.unwrap_or(0)) << 8
        ^ u64::from(last.unwrap_or(0)) << 16;
    1 << (mixed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58)
}

fn length_bit(value: &[u8]) -> u64 {
    1 << value.len().min(63)
}

impl<'c> Converter<'c> {
    /// A converter for `config`.
    pub fn new(config: &'c Config) -> Converter<'c> {
        Converter {
            config,
            spans: Vec::new(),
            winners: Vec::new(),
            sorted: Vec::new(),
            unescaped: Vec::new(),
            typed_bits: config
                .types
                .iter()
                .fold(0, |bits, (label, _)| bits | label_bit(label)),
            null_lengths: config
                .null_values
                .iter()
                .fold(0, |bits, null| bits | length_bit(null)),
        }
    }

    /// The settings this converter applies.
    pub fn config(&self) -> &'c Config {
        self.config
    }

    /// Converts every line of `record` (LF or CRLF line ends, blank lines
    /// skipped), appending one JSON object per line to `out`, and counts
    /// the lines written and dropped. On error `out` is left as it was.
    pub fn convert_record(
        &mut self,
        record: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<LineCounts, RecordError> {
        let mark = out.len();
        let mut counts = LineCounts::default();
        for line in ltsv::lines(record) {
            match self.convert_line(line.bytes, out) {
                Ok(Converted::Written) => counts.written += 1,
                Ok(Converted::Dropped) => counts.dropped += 1,
                Ok(Converted::Blank) => {}
                Err(error) => {
                    out.truncate(mark);
                    return Err(RecordError {
                        line: line.number,
                        error,
                    });
                }
            }
        }
        Ok(counts)
    }

    /// Converts one line (without its line end) to a JSON object followed by
    /// `\n`, appended to `out`, unless it has no fields or an `LTSV_DROP`
    /// rule matches it. On error `out` is left as it was.
    ///
    /// Keys come in input order, each label once: a repeated label keeps its
    /// first position and takes its last value. With `LTSV_SPLIT_REQUEST`,
    /// the request line's parts follow, under labels the line does not have.
    pub fn convert_line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<Converted, LineError> {
        self.spans.clear();
        for field in ltsv::fields(line, self.config.labels) {
            let field = field.map_err(LineError::Field)?;
            self.spans.push(Span {
                start: field.start,
                label_len: field.label.len(),
                value_len: field.value.len(),
                bit: label_bit(field.label),
            });
        }
        if self.spans.is_empty() {
            return Ok(Converted::Blank);
        }
        self.pick_winners(line);
        if !self.config.drop.is_empty() && self.matches_drop_rule(line) {
            return Ok(Converted::Dropped);
        }

        let mark = out.len();
        out.push(b'{');
        for i in 0..self.winners.len() {
            let winner = self.winners[i];
            if winner == SKIP {
                continue;
            }
            if out.len() > mark + 1 {
                out.push(b',');
            }
            let span = self.spans[i];
            let label = span.label(line);
            if self.config.labels == LabelSyntax::Strict {
                // Strict labels hold nothing JSON would escape.
                out.push(b'"');
                out.extend_from_slice(label);
                out.extend_from_slice(b"\":");
            } else {
                json::write_str(out, label);
                out.push(b':');
            }
            let value = self.spans[winner].value(line);
            let ty = if self.typed_bits & span.bit == 0 {
                None
            } else {
                self.config.type_of(label)
            };
            if let Err(expected) = self.write_value(ty, value, out) {
                out.truncate(mark);
                return Err(LineError::Type {
                    label: display_label(label),
                    expected,
                });
            }
        }
        if let Some(label) = &self.config.split_request {
            self.write_request_parts(label, line, out);
        }
        out.extend_from_slice(b"}\n");
        Ok(Converted::Written)
    }

    /// The value each distinct label of the line takes, with that label.
    fn fields<'l>(&self, line: &'l [u8]) -> impl Iterator<Item = (&'l [u8], &'l [u8])> {
        self.winners
            .iter()
            .enumerate()
            .filter(|&(_, &winner)| winner != SKIP)
            .map(move |(i, &winner)| (self.spans[i].label(line), self.spans[winner].value(line)))
    }

    fn matches_drop_rule(&self, line: &[u8]) -> bool {
        self.fields(line).any(|(label, value)| {
            self.config
                .drop
                .iter()
                .any(|rule| rule.matches(label, value))
        })
    }

    /// Appends `method`, `path`, `query` and `protocol` from the request
    /// line in `label` (`METHOD SP TARGET SP PROTOCOL`), each unless the
    /// line has a label of that name; all are null when the request line is
    /// missing, null or of another shape (`BOGUS`, Apache's `-` for 408).
    fn write_request_parts(&mut self, label: &[u8], line: &[u8], out: &mut Vec<u8>) {
        let request = self
            .fields(line)
            .find(|&(l, _)| l == label)
            .map(|(_, value)| value)
            .filter(|value| !self.config.is_null(value));
        let parts = request.and_then(|request| {
            let mut words = request.split(|&b| b == b' ');
            match (words.next(), words.next(), words.next(), words.next()) {
                (Some(method), Some(target), Some(protocol), None)
                    if !method.is_empty() && !target.is_empty() && !protocol.is_empty() =>
                {
                    let (path, query) = match memchr::memchr(b'?', target) {
                        Some(q) => (&target[..q], Some(&target[q + 1..])),
                        None => (target, None),
                    };
                    Some([Some(method), Some(path), query, Some(protocol)])
                }
                _ => None,
            }
        });
        for (i, name) in REQUEST_PARTS.iter().enumerate() {
            if self.fields(line).any(|(l, _)| l == name.as_bytes()) {
                continue;
            }
            out.extend_from_slice(b",\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
            match parts.and_then(|parts| parts[i]) {
                Some(part) => self.write_string(part, out),
                None => out.extend_from_slice(b"null"),
            }
        }
    }

    /// Fills `winners`: the first occurrence of each label points at its
    /// last occurrence, every later one is `SKIP`.
    fn pick_winners(&mut self, line: &[u8]) {
        let spans = &self.spans;
        self.winners.clear();
        self.winners.extend(0..spans.len());
        if spans.len() <= PAIRWISE_DEDUP_LIMIT {
            let mut seen = 0;
            for (i, span) in spans.iter().enumerate() {
                if seen & span.bit != 0 {
                    let label = span.label(line);
                    // The first occurrence is the earlier one not skipped.
                    if let Some(first) = (0..i).find(|&j| {
                        self.winners[j] != SKIP
                            && spans[j].bit == span.bit
                            && spans[j].label(line) == label
                    }) {
                        self.winners[first] = i;
                        self.winners[i] = SKIP;
                    }
                }
                seen |= span.bit;
            }
            return;
        }
        self.sorted.clear();
        self.sorted.extend(0..spans.len());
        // Stable, so equal labels stay in input order.
        self.sorted
            .sort_by(|&a, &b| spans[a].label(line).cmp(spans[b].label(line)));
        for group in self
            .sorted
            .chunk_by(|&a, &b| spans[a].label(line) == spans[b].label(line))
        {
            if let [first, .., last] = *group {
                self.winners[first] = last;
                for &repeat in &group[1..] {
                    self.winners[repeat] = SKIP;
                }
            }
        }
    }

    /// Writes `value` as JSON per its label's type `ty`; on a type error with
    /// `LTSV_ON_TYPE_ERROR=fail`, writes nothing and returns the type.
    fn write_value(
        &mut self,
        ty: Option<Type>,
        value: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Type> {
        let config = self.config;
        if self.null_lengths & length_bit(value) != 0 && config.is_null(value) {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        let ty = match ty {
            None | Some(Type::String) => {
                self.write_string(value, out);
                return Ok(());
            }
            Some(_) if value.is_empty() => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
            Some(ty) => ty,
        };
        let parsed = match ty {
            Type::Integer => value::parse_integer(value).map(|n| {
                out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
            }),
            Type::Float => value::parse_float(value).map(|x| {
                out.extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes());
            }),
            Type::Bool => value::parse_bool(value).map(|b| {
                out.extend_from_slice(if b { b"true" } else { b"false" });
            }),
            Type::Time => Timestamp::parse(value).map(|time| {
                out.push(b'"');
                time.write(out);
                out.push(b'"');
            }),
            Type::String => unreachable!("strings are written above"),
        };
        match (parsed, config.on_type_error) {
            (Some(()), _) => Ok(()),
            (None, OnTypeError::Fail) => Err(ty),
            (None, OnTypeError::Null) => {
                out.extend_from_slice(b"null");
                Ok(())
            }
            (None, OnTypeError::String) => {
                self.write_string(value, out);
                Ok(())
            }
        }
    }

    /// Writes a string value, decoding log escapes unless that is turned off
    /// or would give invalid UTF-8.
    fn write_string(&mut self, value: &[u8], out: &mut Vec<u8>) {
        if self.config.unescape
            && memchr::memchr(b'\\', value).is_some()
            && value::unescape(value, &mut self.unescaped)
        {
            json::write_str(out, &self.unescaped);
        } else {
            json::write_str(out, value);
        }
    }
}

/// A label as it may appear in an error message: escaped, and cut short so
/// that a label made of client data cannot flood a log.
fn display_label(label: &[u8]) -> String {
    const MAX: usize = 64;
    let shown = label.get(..MAX).unwrap_or(label).escape_ascii().to_string();
    if label.len() > MAX {
        shown + "..."
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ltsv::FieldErrorKind;

    fn with(vars: &[(&str, &str)]) -> Config {
        Config::from_vars(vars).unwrap()
    }

    fn convert_with(config: &Config, line: &[u8]) -> Result<String, LineError> {
        let mut out = b"prefix".to_vec();
        let result = Converter::new(config).convert_line(line, &mut out);
        let text = String::from_utf8(out).expect("output is UTF-8");
        match result {
            Ok(_) => Ok(text.strip_prefix("prefix").unwrap().to_owned()),
            Err(error) => {
                assert_eq!(text, "prefix", "nothing is written on error");
                Err(error)
            }
        }
    }

    fn convert(line: &[u8]) -> Result<String, LineError> {
        convert_with(&Config::default(), line)
    }

    fn type_error(label: &str, expected: Type) -> LineError {
        LineError::Type {
            label: label.to_owned(),
            expected,
        }
    }

    #[test]
    fn the_apache_ltsv_format_converts_to_typed_json() {
        let line = "time:[28/Jun/2021:17:22:48 +0900]\tforwardedfor:-\thost:192.0.2.1\t\
                    req:GET /index.html?q=\\xe3\\x81\\x82 HTTP/1.1\tstatus:200\tsize:4523\t\
                    referer:-\tua:Mozilla/5.0 \\\"X\\\"\treqtime_microsec:1834\tcache:HIT\t\
                    runtime:0.012345\tvhost:example.com";
        assert_eq!(
            convert(line.as_bytes()).unwrap(),
            "{\"time\":\"2021-06-28 08:22:48\",\"forwardedfor\":null,\"host\":\"192.0.2.1\",\
             \"req\":\"GET /index.html?q=あ HTTP/1.1\",\"status\":200,\"size\":4523,\
             \"referer\":null,\"ua\":\"Mozilla/5.0 \\\"X\\\"\",\"reqtime_microsec\":1834,\
             \"cache\":\"HIT\",\"runtime\":0.012345,\"vhost\":\"example.com\"}\n"
        );
    }

    #[test]
    fn duplicate_labels_keep_first_position_and_last_value() {
        assert_eq!(
            convert(b"a:1\tb:2\ta:3\tc:4\ta:5").unwrap(),
            "{\"a\":\"5\",\"b\":\"2\",\"c\":\"4\"}\n"
        );
    }

    #[test]
    fn duplicates_in_long_lines_follow_the_same_rule() {
        let mut line = Vec::new();
        for i in 0..200 {
            line.extend_from_slice(format!("k{}:{}\t", i % 50, i).as_bytes());
        }
        let json = convert(&line).unwrap();
        let expected: Vec<String> = (0..50)
            .map(|k| format!("\"k{}\":\"{}\"", k, k + 150))
            .collect();
        assert_eq!(json, format!("{{{}}}\n", expected.join(",")));
    }

    #[test]
    fn a_line_of_empty_fields_writes_nothing() {
        let mut out = Vec::new();
        let config = Config::default();
        assert_eq!(
            Converter::new(&config).convert_line(b"\t\t", &mut out),
            Ok(Converted::Blank)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn null_values_and_empty_typed_values_are_null() {
        assert_eq!(
            convert(b"ua:-\tstatus:\tsize:-\tref:").unwrap(),
            "{\"ua\":null,\"status\":null,\"size\":null,\"ref\":\"\"}\n"
        );
        let config = with(&[("LTSV_NULL_VALUES", "-,(none)")]);
        assert_eq!(
            convert_with(&config, b"a:(none)\tb:-\tc:--").unwrap(),
            "{\"a\":null,\"b\":null,\"c\":\"--\"}\n"
        );
        let config = with(&[("LTSV_NULL_VALUES", "")]);
        assert_eq!(convert_with(&config, b"a:-").unwrap(), "{\"a\":\"-\"}\n");
    }

    #[test]
    fn typed_values() {
        let config = with(&[("LTSV_TYPES", "i:integer,f:float,b:bool,s:string,t:time")]);
        assert_eq!(
            convert_with(&config, b"i:-007\tf:1e3\tb:true\ts:200\tt:1624868568.5").unwrap(),
            "{\"i\":-7,\"f\":1000.0,\"b\":true,\"s\":\"200\",\"t\":\"2021-06-28 08:22:48.500\"}\n"
        );
        for (line, label, expected) in [
            (&b"i:12abc"[..], "i", Type::Integer),
            (b"i:+1", "i", Type::Integer),
            (b"i:1e3", "i", Type::Integer),
            (b"f:NaN", "f", Type::Float),
            (b"f:inf", "f", Type::Float),
            (b"b:yes", "b", Type::Bool),
            (b"t:yesterday", "t", Type::Time),
        ] {
            assert_eq!(
                convert_with(&config, line),
                Err(type_error(label, expected))
            );
        }
    }

    #[test]
    fn on_type_error_null_or_string() {
        let null = with(&[("LTSV_ON_TYPE_ERROR", "null")]);
        assert_eq!(
            convert_with(&null, b"status:OK\tsize:12").unwrap(),
            "{\"status\":null,\"size\":12}\n"
        );
        let string = with(&[("LTSV_ON_TYPE_ERROR", "string")]);
        assert_eq!(
            convert_with(&string, b"status:\\x4f\\x4b\tsize:12").unwrap(),
            "{\"status\":\"OK\",\"size\":12}\n"
        );
    }

    #[test]
    fn unescaping_can_be_turned_off() {
        let config = with(&[("LTSV_UNESCAPE", "false")]);
        assert_eq!(
            convert_with(&config, b"ua:\\xe3\\x81\\x82\\\"").unwrap(),
            "{\"ua\":\"\\\\xe3\\\\x81\\\\x82\\\\\\\"\"}\n"
        );
    }

    #[test]
    fn escapes_that_decode_to_invalid_utf8_stay_as_logged() {
        assert_eq!(
            convert(b"ua:\\xff\\\"").unwrap(),
            "{\"ua\":\"\\\\xff\\\\\\\"\"}\n"
        );
    }

    #[test]
    fn raw_invalid_utf8_is_written_as_hex_text() {
        assert_eq!(
            convert(b"ua:a\xffb\xe3\x81\x82").unwrap(),
            "{\"ua\":\"a\\\\xffbあ\"}\n"
        );
    }

    #[test]
    fn invalid_lines_say_where() {
        assert_eq!(
            convert(b"a:1\tnocolon"),
            Err(LineError::Field(FieldError {
                field: 2,
                start: 4,
                kind: FieldErrorKind::MissingColon
            }))
        );
        assert_eq!(
            convert(b"a:1\tstatus:abc").unwrap_err().to_string(),
            "label \"status\": value is not a valid integer"
        );
        let any = with(&[("LTSV_STRICT_LABELS", "false")]);
        assert_eq!(
            convert_with(&any, "ラベル:1\t{\"x\":2".as_bytes()).unwrap(),
            "{\"ラベル\":\"1\",\"{\\\"x\\\"\":\"2\"}\n"
        );
    }

    #[test]
    fn error_labels_are_escaped_and_bounded() {
        assert_eq!(display_label(b"st\xffatus"), "st\\xffatus");
        let long = vec![b'a'; 100];
        assert_eq!(display_label(&long), format!("{}...", "a".repeat(64)));
    }

    #[test]
    fn records_hold_several_lines_and_errors_give_the_line_number() {
        let config = Config::default();
        let mut converter = Converter::new(&config);
        let mut out = Vec::new();
        assert_eq!(
            converter.convert_record(b"a:1\r\n\nb:2\n\t\n", &mut out),
            Ok(LineCounts {
                written: 2,
                dropped: 0
            })
        );
        assert_eq!(out, b"{\"a\":\"1\"}\n{\"b\":\"2\"}\n");
        let error = converter
            .convert_record(b"a:1\n\nstatus:x\n", &mut out)
            .unwrap_err();
        assert_eq!(error.line, 3);
        assert_eq!(
            error.to_string(),
            "line 3: label \"status\": value is not a valid integer"
        );
        assert_eq!(out, b"{\"a\":\"1\"}\n{\"b\":\"2\"}\n", "nothing appended");
        assert_eq!(
            converter.convert_record(b"\n\r\n", &mut out),
            Ok(LineCounts::default())
        );
    }

    #[test]
    fn drop_rules_leave_matching_lines_out() {
        let config = with(&[("LTSV_DROP", "ua^=ELB-HealthChecker,req^=GET /healthz")]);
        let mut converter = Converter::new(&config);
        let mut out = Vec::new();
        let record = b"req:GET / HTTP/1.1\tua:curl\n\
                       req:GET /healthz HTTP/1.1\tua:curl\n\
                       req:GET / HTTP/1.1\tua:ELB-HealthChecker/2.0\n\
                       req:GET /health HTTP/1.1\tua:Mozilla ELB-HealthChecker\n";
        assert_eq!(
            converter.convert_record(record, &mut out),
            Ok(LineCounts {
                written: 2,
                dropped: 2
            })
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"req\":\"GET / HTTP/1.1\",\"ua\":\"curl\"}\n\
             {\"req\":\"GET /health HTTP/1.1\",\"ua\":\"Mozilla ELB-HealthChecker\"}\n"
        );
        // A repeated label is judged by the value it ends up with.
        assert_eq!(
            convert_with(&config, b"ua:ELB-HealthChecker\tua:curl"),
            Ok("{\"ua\":\"curl\"}\n".into())
        );
        let mut out = Vec::new();
        assert_eq!(
            Converter::new(&config).convert_line(b"ua:curl\tua:ELB-HealthChecker/2.0", &mut out),
            Ok(Converted::Dropped)
        );
        assert!(out.is_empty());
        // Dropping happens before typing: a dropped line cannot fail.
        let strict = with(&[("LTSV_DROP", "ua=probe")]);
        assert_eq!(
            Converter::new(&strict).convert_line(b"status:x\tua:probe", &mut out),
            Ok(Converted::Dropped)
        );
        // But it must still be LTSV.
        assert!(
            Converter::new(&strict)
                .convert_line(b"bad\tua:probe", &mut out)
                .is_err()
        );
    }

    #[test]
    fn request_lines_split_into_method_path_query_and_protocol() {
        let config = with(&[("LTSV_SPLIT_REQUEST", "req"), ("LTSV_TYPES", "")]);
        let split = |line: &str| convert_with(&config, line.as_bytes()).unwrap();
        assert_eq!(
            split("req:GET /search?q=\\xe3\\x81\\x82&x=1 HTTP/1.1\tstatus:200"),
            "{\"req\":\"GET /search?q=あ&x=1 HTTP/1.1\",\"status\":\"200\",\
             \"method\":\"GET\",\"path\":\"/search\",\"query\":\"q=あ&x=1\",\"protocol\":\"HTTP/1.1\"}\n"
        );
        assert_eq!(
            split("req:POST /a? HTTP/2.0"),
            "{\"req\":\"POST /a? HTTP/2.0\",\"method\":\"POST\",\"path\":\"/a\",\"query\":\"\",\"protocol\":\"HTTP/2.0\"}\n"
        );
        let nulls = "\"method\":null,\"path\":null,\"query\":null,\"protocol\":null}\n";
        assert_eq!(
            split("req:GET / HTTP/1.1"),
            "{\"req\":\"GET / HTTP/1.1\",\"method\":\"GET\",\"path\":\"/\",\"query\":null,\"protocol\":\"HTTP/1.1\"}\n"
        );
        assert_eq!(split("req:BOGUS"), format!("{{\"req\":\"BOGUS\",{nulls}"));
        assert_eq!(split("req:-"), format!("{{\"req\":null,{nulls}"));
        assert_eq!(split("req:GET /"), format!("{{\"req\":\"GET /\",{nulls}"));
        assert_eq!(
            split("req:GET  / HTTP/1.1"),
            format!("{{\"req\":\"GET  / HTTP/1.1\",{nulls}")
        );
        assert_eq!(split("status:408"), format!("{{\"status\":\"408\",{nulls}"));
        // Labels already in the line are not overwritten.
        assert_eq!(
            split("method:HEAD\treq:GET /x HTTP/1.0\tprotocol:h2"),
            "{\"method\":\"HEAD\",\"req\":\"GET /x HTTP/1.0\",\"protocol\":\"h2\",\"path\":\"/x\",\"query\":null}\n"
        );
    }
}
