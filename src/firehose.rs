//! The Firehose data-transformation contract: a batch of records in, one
//! result per record out, in order.
//!
//! Records are decoded here rather than through `aws_lambda_events`, whose
//! event type rejects a whole batch for one record's bad base64: here only
//! that record fails. The response is written directly as JSON, with the
//! output base64-encoded straight into it.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::LazyLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::Simd;
use base64::engine::general_purpose::PAD;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Deserialize;
use serde_json::value::RawValue;
use tracing::{info, warn};

use crate::config::Config;
use crate::convert::{Converter, LineCounts, RecordError};
use crate::json;
use crate::metrics;
use crate::partition::{self, PartitionError};

/// The largest response this function returns, in bytes: Lambda rejects
/// responses of 6 MB (6,291,456 bytes) or more; Firehose's documentation
/// asks for less than 6,000,000.
pub const MAX_RESPONSE_BYTES: usize = 5_999_999;

/// Standard, padded base64, with the vector instructions the CPU has
/// (NEON on Graviton).
static BASE64: LazyLock<Simd> = LazyLock::new(|| Simd::standard(PAD));

/// A record's result, as Firehose spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Transformed; Firehose delivers the new data.
    Ok,
    /// Deliberately left out: the record had no lines, or `LTSV_DROP`
    /// removed them all.
    Dropped,
    /// Not transformed; Firehose writes the original data to the error prefix.
    ProcessingFailed,
}

impl Outcome {
    /// The `result` string of the response.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "Ok",
            Outcome::Dropped => "Dropped",
            Outcome::ProcessingFailed => "ProcessingFailed",
        }
    }
}

/// Why one record is `ProcessingFailed`.
#[derive(Debug)]
pub enum RecordFailure {
    /// Its `data` is not valid base64.
    Base64(base64::DecodeError),
    /// A line could not be converted.
    Line(RecordError),
    /// Its partition keys could not be computed.
    Partition(PartitionError),
    /// Its output would push the response past [`MAX_RESPONSE_BYTES`].
    ResponseFull,
    /// Converting it panicked: a bug, kept to this one record.
    Panic,
}

impl RecordFailure {
    /// The line the failure is on, when it is about one line.
    pub fn line(&self) -> Option<usize> {
        match self {
            RecordFailure::Line(error) => Some(error.line),
            _ => None,
        }
    }
}

impl fmt::Display for RecordFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordFailure::Base64(error) => write!(f, "data is not valid base64: {error}"),
            // The line number is reported separately, by `line()`.
            RecordFailure::Line(error) => error.error.fmt(f),
            RecordFailure::Partition(error) => error.fmt(f),
            RecordFailure::Panic => f.write_str("conversion panicked (a bug; please report it)"),
            RecordFailure::ResponseFull => write!(
                f,
                "output would make the response exceed {MAX_RESPONSE_BYTES} bytes"
            ),
        }
    }
}

/// Why a whole invocation failed. Firehose retries the batch and then
/// writes it to the error prefix, so nothing is lost.
#[derive(Debug)]
pub enum EventError {
    /// The request is not a Firehose transformation event.
    NotFirehoseEvent(String),
    /// Even with every record failed, the response would be too large.
    ResponseTooLarge(usize),
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::NotFirehoseEvent(why) => write!(f, "not a Firehose event: {why}"),
            EventError::ResponseTooLarge(len) => write!(
                f,
                "response of {len} bytes exceeds {MAX_RESPONSE_BYTES} bytes even with records returned unchanged"
            ),
        }
    }
}

impl std::error::Error for EventError {}

impl From<EventError> for Diagnostic {
    fn from(error: EventError) -> Diagnostic {
        let error_type = match error {
            EventError::NotFirehoseEvent(_) => "InvalidFirehoseEvent",
            EventError::ResponseTooLarge(_) => "ResponseTooLarge",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Counts for one invocation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records in the request.
    pub records: usize,
    /// Records returned `Ok`.
    pub ok: usize,
    /// Records returned `Dropped`.
    pub dropped: usize,
    /// Records returned `ProcessingFailed`.
    pub failed: usize,
    /// JSON lines written across `Ok` records.
    pub lines_out: usize,
    /// Lines left out by `LTSV_DROP` across `Ok` and `Dropped` records.
    pub lines_dropped: usize,
    /// Decoded bytes of all records.
    pub bytes_in: usize,
    /// Bytes of JSON written across `Ok` records, before base64.
    pub bytes_out: usize,
    /// Bytes of the response.
    pub response_bytes: usize,
    /// The delivery stream's name, from the event's `deliveryStreamArn`.
    pub delivery_stream: Option<String>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow, default, rename = "deliveryStreamArn")]
    delivery_stream_arn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    records: Vec<Record<'a>>,
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, rename = "recordId")]
    record_id: Cow<'a, str>,
    #[serde(borrow)]
    data: Cow<'a, str>,
}

/// The Lambda handler: transforms a Firehose event, logs one summary line
/// and one warning per failed record, writes the invocation's metrics to
/// stdout, and returns the response.
///
/// The payload is taken as raw JSON so that records can be decoded one by
/// one; a payload that is not a Firehose event fails the invocation.
pub fn handle(
    event: LambdaEvent<Box<RawValue>>,
    config: &Config,
) -> Result<Box<RawValue>, EventError> {
    handle_with_metrics(event, config, &mut io::stdout().lock())
}

/// [`handle`], writing the metrics line to `metrics` instead of stdout.
pub fn handle_with_metrics(
    event: LambdaEvent<Box<RawValue>>,
    config: &Config,
    metrics: &mut impl Write,
) -> Result<Box<RawValue>, EventError> {
    let started = Instant::now();
    let (response, summary) = transform(event.payload.get(), config)?;
    if let Some(namespace) = &config.metrics_namespace {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        if let Err(error) = metrics::write(metrics, namespace, &summary, now.as_millis() as u64) {
            warn!(%error, "metrics not written");
        }
    }
    info!(
        records = summary.records,
        ok = summary.ok,
        dropped = summary.dropped,
        failed = summary.failed,
        lines_out = summary.lines_out,
        lines_dropped = summary.lines_dropped,
        bytes_in = summary.bytes_in,
        bytes_out = summary.bytes_out,
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "batch transformed"
    );
    Ok(response)
}

/// Transforms the JSON text of a Firehose event into the JSON response.
///
/// Every record comes back once, in order: `Ok` with its converted data,
/// `Dropped` when it held no lines, or `ProcessingFailed` with its data
/// exactly as received.
pub fn transform(
    event_json: &str,
    config: &Config,
) -> Result<(Box<RawValue>, Summary), EventError> {
    transform_with(event_json, config, |batch, record| batch.convert(record))
}

/// [`transform`], with the step that converts one record as a parameter so
/// tests can make it fail in ways real input cannot.
fn transform_with(
    event_json: &str,
    config: &Config,
    convert: fn(&mut Batch, &Record) -> Result<Outcome, RecordFailure>,
) -> Result<(Box<RawValue>, Summary), EventError> {
    let event: Event = serde_json::from_str(event_json).map_err(|error| {
        // Parse again, only on this rare path, for an error that says where;
        // text after the event is found only by the first parse.
        let deserializer = &mut serde_json::Deserializer::from_str(event_json);
        let error = match serde_path_to_error::deserialize::<_, Event>(deserializer) {
            Err(located) => located.to_string(),
            Ok(_) => error.to_string(),
        };
        EventError::NotFirehoseEvent(error)
    })?;

    let mut batch = Batch {
        converter: Converter::new(config),
        decoded: Vec::new(),
        converted: Vec::new(),
        keys: Vec::new(),
        lines: LineCounts::default(),
        summary: Summary {
            records: event.records.len(),
            delivery_stream: event
                .delivery_stream_arn
                .as_deref()
                .map(|arn| metrics::delivery_stream_name(arn).to_owned()),
            ..Summary::default()
        },
    };
    let mut response = Vec::with_capacity(event_json.len() + event_json.len() / 2);
    response.extend_from_slice(b"{\"records\":[");
    // Room is kept for every record not yet written to come back failed.
    // Records that are not `Ok` need no metadata, but the reference response
    // type insists on it, so they carry an empty one unless that alone would
    // overflow the response: without it a failed entry is smaller than the
    // request's entry for the same record, so the whole batch always fits.
    let failed_lens: Vec<usize> = event.records.iter().map(failed_entry_len).collect();
    let failed_total: usize = failed_lens.iter().sum();
    // `failed_total` counts a comma before every entry; the first has none.
    let first_comma = usize::from(!event.records.is_empty());
    let with_metadata = b"{\"records\":[]}".len() + failed_total - first_comma
        + event.records.len() * EMPTY_METADATA.len()
        <= MAX_RESPONSE_BYTES;
    let metadata_len = if with_metadata {
        EMPTY_METADATA.len()
    } else {
        0
    };
    let empty_keys = with_metadata.then_some(&b"{}"[..]);
    let mut reserved = failed_total + event.records.len() * metadata_len;
    let mut full: Option<(&str, usize)> = None;
    for (i, record) in event.records.iter().enumerate() {
        reserved -= failed_lens[i] + metadata_len;
        if i > 0 {
            response.push(b',');
        }
        let mark = response.len();
        // A panic is a bug, but one record's bug must not cost the batch.
        let converted = panic::catch_unwind(AssertUnwindSafe(|| convert(&mut batch, record)))
            .unwrap_or(Err(RecordFailure::Panic));
        let failure = match converted {
            Ok(Outcome::Ok) => {
                write_entry(
                    &mut response,
                    record,
                    Outcome::Ok,
                    Data::Encode(&batch.converted),
                    Some(&batch.keys),
                );
                if response.len() + reserved + b"]}".len() <= MAX_RESPONSE_BYTES {
                    batch.summary.ok += 1;
                    batch.summary.lines_out += batch.lines.written;
                    batch.summary.lines_dropped += batch.lines.dropped;
                    batch.summary.bytes_out += batch.converted.len();
                    continue;
                }
                response.truncate(mark);
                RecordFailure::ResponseFull
            }
            Ok(outcome) => {
                write_entry(&mut response, record, outcome, Data::Empty, empty_keys);
                batch.summary.dropped += 1;
                batch.summary.lines_dropped += batch.lines.dropped;
                continue;
            }
            Err(failure) => failure,
        };
        if let RecordFailure::ResponseFull = failure {
            // Once the response is full, most records after it fail the
            // same way: one warning for them all, not one each.
            full.get_or_insert((&*record.record_id, 0)).1 += 1;
        } else {
            warn!(
                record_id = %record.record_id,
                line = failure.line(),
                reason = %failure,
                "record failed"
            );
        }
        write_entry(
            &mut response,
            record,
            Outcome::ProcessingFailed,
            failed_data(record, &failure),
            empty_keys,
        );
        batch.summary.failed += 1;
    }
    if let Some((first_record_id, records)) = full {
        warn!(
            records,
            first_record_id = %first_record_id,
            reason = %RecordFailure::ResponseFull,
            "records failed"
        );
    }
    response.extend_from_slice(b"]}");
    if response.len() > MAX_RESPONSE_BYTES {
        return Err(EventError::ResponseTooLarge(response.len()));
    }
    batch.summary.response_bytes = response.len();
    let response = String::from_utf8(response).expect("the response is written as UTF-8");
    let response = RawValue::from_string(response).expect("the response is written as JSON");
    Ok((response, batch.summary))
}

/// Buffers reused from record to record.
struct Batch<'c> {
    converter: Converter<'c>,
    decoded: Vec<u8>,
    converted: Vec<u8>,
    keys: Vec<u8>,
    lines: LineCounts,
    summary: Summary,
}

impl Batch<'_> {
    /// Decodes and converts one record into `converted` and `keys`.
    fn convert(&mut self, record: &Record) -> Result<Outcome, RecordFailure> {
        self.decoded.clear();
        BASE64
            .decode_vec(record.data.as_bytes(), &mut self.decoded)
            .map_err(RecordFailure::Base64)?;
        self.summary.bytes_in += self.decoded.len();
        self.converted.clear();
        self.lines = self
            .converter
            .convert_record(&self.decoded, &mut self.converted)
            .map_err(RecordFailure::Line)?;
        if self.lines.written == 0 {
            return Ok(Outcome::Dropped);
        }
        self.keys.clear();
        partition::write_keys(self.converter.config(), &self.decoded, &mut self.keys)
            .map_err(RecordFailure::Partition)?;
        Ok(Outcome::Ok)
    }
}

enum Data<'a> {
    /// Output to base64-encode.
    Encode(&'a [u8]),
    /// The record's data exactly as received.
    Original(&'a str),
    Empty,
}

fn write_entry(
    out: &mut Vec<u8>,
    record: &Record,
    outcome: Outcome,
    data: Data,
    keys: Option<&[u8]>,
) {
    out.extend_from_slice(b"{\"recordId\":");
    json::write_str(out, record.record_id.as_bytes());
    out.extend_from_slice(b",\"result\":\"");
    out.extend_from_slice(outcome.as_str().as_bytes());
    out.extend_from_slice(b"\",\"data\":");
    match data {
        Data::Encode(bytes) => {
            out.push(b'"');
            let start = out.len();
            out.resize(
                start + base64::encoded_len(bytes.len(), true).expect("fits in memory"),
                0,
            );
            let written = BASE64
                .encode_slice(bytes, &mut out[start..])
                .expect("buffer sized by encoded_len");
            out.truncate(start + written);
            out.push(b'"');
        }
        Data::Original(text) => json::write_str(out, text.as_bytes()),
        Data::Empty => out.extend_from_slice(b"\"\""),
    }
    if let Some(keys) = keys {
        out.extend_from_slice(b",\"metadata\":{\"partitionKeys\":");
        out.extend_from_slice(keys);
        out.push(b'}');
    }
    out.push(b'}');
}

/// The data a failed record goes back with: exactly as received, except
/// when that is not base64 (which Firehose never sends). Such text is
/// base64-encoded so the response stays valid for Firehose and the error
/// output still holds exactly the text that arrived.
fn failed_data<'a>(record: &'a Record, failure: &RecordFailure) -> Data<'a> {
    match failure {
        RecordFailure::Base64(_) => Data::Encode(record.data.as_bytes()),
        _ => Data::Original(&record.data),
    }
}

/// The metadata of a record without partition keys.
const EMPTY_METADATA: &[u8] = br#","metadata":{"partitionKeys":{}}"#;

/// The bytes a record's `ProcessingFailed` entry takes, with its comma but
/// without metadata, counting data that is not base64 as [`failed_data`]
/// re-encodes it.
fn failed_entry_len(record: &Record) -> usize {
    const FIXED: usize = r#",{"recordId":,"result":"ProcessingFailed","data":}"#.len();
    // Base64 needs no JSON escapes.
    let data_len = if is_base64(record.data.as_bytes()) {
        2 + record.data.len()
    } else {
        2 + base64::encoded_len(record.data.len(), true).expect("fits in memory")
    };
    FIXED + json::str_len(&record.record_id) + data_len
}

/// Whether the standard engine decodes `data`: padded, canonical base64.
/// The body is checked without branching per byte, so the compiler can
/// vectorize it: room is reserved for every record before any is decoded.
pub fn is_base64(data: &[u8]) -> bool {
    fn is_symbol(byte: u8) -> bool {
        byte.is_ascii_alphanumeric() | (byte == b'+') | (byte == b'/')
    }
    /// The 6-bit value of a symbol.
    fn value(byte: u8) -> u8 {
        match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            _ => 63,
        }
    }
    let Some(last) = data.len().checked_sub(4) else {
        return data.is_empty();
    };
    let (body, quad) = data.split_at(last);
    if !data.len().is_multiple_of(4) || !body.iter().fold(true, |ok, &b| ok & is_symbol(b)) {
        return false;
    }
    // The bits past the last whole byte must be zero, as the engine requires.
    match *quad {
        [a, b, b'=', b'='] => is_symbol(a) && is_symbol(b) && value(b) & 0x0f == 0,
        [a, b, c, b'='] => is_symbol(a) && is_symbol(b) && is_symbol(c) && value(c) & 0x03 == 0,
        _ => quad.iter().all(|&b| is_symbol(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_fails_only_its_own_record() {
        // "YTox" is the line `a:1`.
        let event = r#"{"records":[{"recordId":"1","data":"YTox"},{"recordId":"boom","data":"YTox"},{"recordId":"3","data":"YTox"}]}"#;
        let (response, summary) = transform_with(event, &Config::default(), |batch, record| {
            if record.record_id == "boom" {
                panic!("injected");
            }
            batch.convert(record)
        })
        .unwrap();
        assert_eq!((summary.ok, summary.failed), (2, 1));
        let response: serde_json::Value = serde_json::from_str(response.get()).unwrap();
        let results: Vec<_> = response["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["recordId"].as_str().unwrap(),
                    r["result"].as_str().unwrap(),
                    r["data"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            results,
            [
                ("1", "Ok", "eyJhIjoiMSJ9Cg=="),
                ("boom", "ProcessingFailed", "YTox"),
                ("3", "Ok", "eyJhIjoiMSJ9Cg==")
            ]
        );
    }
}
