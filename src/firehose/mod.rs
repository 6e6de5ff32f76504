//! The Firehose data-transformation contract: a batch of records in, one
//! result per record out, in order. Pure: the event's text in, the
//! response and a [`Summary`] out; logging and metrics are the Lambda
//! glue's (`lambda.rs`).

mod budget;
mod event;
mod response;

use std::panic::{self, AssertUnwindSafe};

use base64::Engine;

use serde_json::value::RawValue;

use crate::config::Config;
use crate::convert::{Converter, LineCounts};
use crate::error::{Error, ErrorKind, display_label};
use crate::partition;
use crate::summary::{self, Summary};
use budget::ResponseBudget;
use event::Record;
use response::{BASE64, Data, Response};

/// The largest response this function returns, in bytes: Lambda rejects
/// responses of 6 MB (6,291,456 bytes) or more; Firehose's documentation
/// asks for less than 6,000,000.
pub const MAX_RESPONSE_BYTES: usize = 5_999_999;

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

/// Transforms the JSON text of a Firehose event into the JSON response.
///
/// Every record comes back once, in order: `Ok` with its converted data,
/// `Dropped` when it held no lines, or `ProcessingFailed` with its data
/// exactly as received. The invocation fails only for a request that is
/// not a Firehose event, or a batch too large to return even unchanged.
pub fn transform(event_json: &str, config: &Config) -> Result<(Box<RawValue>, Summary), Error> {
    transform_with(event_json, config, |converter, record| {
        converter.convert(record)
    })
}

/// [`transform`], with the step that converts one record as a parameter so
/// tests can make it fail in ways real input cannot.
fn transform_with(
    event_json: &str,
    config: &Config,
    convert: for<'c> fn(&mut RecordConverter<'c>, &Record) -> Result<Outcome, Error>,
) -> Result<(Box<RawValue>, Summary), Error> {
    let event = event::parse(event_json)?;
    let mut budget = ResponseBudget::new(&event.records)?;
    let empty_keys = budget.metadata().then_some(&b"{}"[..]);
    let mut summary = Summary {
        records: event.records.len(),
        delivery_stream: event
            .delivery_stream_arn
            .as_deref()
            .map(|arn| summary::delivery_stream_name(arn).to_owned()),
        ..Summary::default()
    };
    let mut converter = RecordConverter::new(config);
    let mut response = Response::with_capacity(event_json.len() + event_json.len() / 2);
    for (i, record) in event.records.iter().enumerate() {
        budget.release(i);
        // A panic is a bug, but one record's bug must not cost the batch.
        let converted = panic::catch_unwind(AssertUnwindSafe(|| convert(&mut converter, record)))
            .unwrap_or_else(|_| Err(Error::new(ErrorKind::Panic)));
        let error = match converted {
            Ok(Outcome::Ok) => {
                let before = response.len();
                let data = Data::Encode(&converter.converted);
                response.push(record, Outcome::Ok, data, Some(&converter.keys));
                if budget.fits(response.len()) {
                    summary.count_ok(converter.lines, converter.converted.len());
                    if summary.first_undeclared_label.is_none() {
                        summary.first_undeclared_label = converter.undeclared_label();
                    }
                    continue;
                }
                response.pop(before);
                Error::new(ErrorKind::ResponseFull {
                    limit: MAX_RESPONSE_BYTES,
                })
            }
            Ok(outcome) => {
                response.push(record, outcome, Data::Empty, empty_keys);
                summary.count_dropped(converter.lines);
                continue;
            }
            Err(error) => error,
        };
        let data = failed_data(record, &error);
        response.push(record, Outcome::ProcessingFailed, data, empty_keys);
        summary.count_failed(&record.record_id, error);
    }
    let response = response.finish();
    summary.bytes_in = converter.bytes_in;
    summary.response_bytes = response.get().len();
    debug_assert!(
        summary.response_bytes <= MAX_RESPONSE_BYTES,
        "the budget holds"
    );
    Ok((response, summary))
}

/// The data a failed record goes back with: exactly as received, except
/// when that is not base64, which Firehose never sends and requires back:
/// such text is encoded, so the error output still holds exactly the text
/// that arrived.
fn failed_data<'a>(record: &'a Record, error: &Error) -> Data<'a> {
    match error.kind() {
        ErrorKind::Base64(_) => Data::Encode(record.data.as_bytes()),
        _ => Data::Original(&record.data),
    }
}

/// Decodes and converts one record at a time, reusing its buffers.
struct RecordConverter<'c> {
    converter: Converter<'c>,
    decoded: Vec<u8>,
    /// The last record's JSON lines.
    converted: Vec<u8>,
    /// The last record's `partitionKeys` object.
    keys: Vec<u8>,
    /// The last record's line counts.
    lines: LineCounts,
    /// Decoded bytes of every record so far.
    bytes_in: usize,
}

impl<'c> RecordConverter<'c> {
    fn new(config: &'c Config) -> RecordConverter<'c> {
        RecordConverter {
            converter: Converter::new(config),
            decoded: Vec::new(),
            converted: Vec::new(),
            keys: Vec::new(),
            lines: LineCounts::default(),
            bytes_in: 0,
        }
    }

    /// The first label of the last record the log format does not declare,
    /// as messages show labels.
    fn undeclared_label(&self) -> Option<String> {
        let label = self.converter.undeclared_label(&self.decoded)?;
        Some(display_label(label))
    }

    /// Decodes and converts `record` into `converted`, with its partition
    /// keys, from its first line written, in `keys`.
    fn convert(&mut self, record: &Record) -> Result<Outcome, Error> {
        self.decoded.clear();
        self.lines = LineCounts::default();
        BASE64
            .decode_vec(record.data.as_bytes(), &mut self.decoded)
            .map_err(|error| Error::new(ErrorKind::Base64(error)))?;
        self.bytes_in += self.decoded.len();
        self.converted.clear();
        self.keys.clear();
        let config = self.converter.config();
        let keys = &mut self.keys;
        self.lines =
            self.converter
                .convert_record_with(&self.decoded, &mut self.converted, |line, _| {
                    match keys.is_empty() {
                        true => partition::write_keys(config, line, keys),
                        false => Ok(()),
                    }
                })?;
        Ok(match self.lines.written {
            0 => Outcome::Dropped,
            _ => Outcome::Ok,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_fails_only_its_own_record() {
        // "YTox" is the line `a:1`.
        let event = r#"{"records":[{"recordId":"1","data":"YTox"},{"recordId":"boom","data":"YTox"},{"recordId":"3","data":"YTox"}]}"#;
        let (response, summary) = transform_with(event, &Config::default(), |converter, record| {
            if record.record_id == "boom" {
                panic!("injected");
            }
            converter.convert(record)
        })
        .unwrap();
        assert_eq!((summary.ok, summary.failed), (2, 1));
        assert_eq!(summary.failures[0].record_id, "boom");
        assert_eq!(*summary.failures[0].error.kind(), ErrorKind::Panic);
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
