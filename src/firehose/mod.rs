//! The Firehose data-transformation contract: a batch of records in, one
//! result per record out, in order. Pure: the event's text in, the
//! response and a [`Summary`] out; logging and metrics are the Lambda
//! glue's (`lambda.rs`).

//!
//! | module | concern |
//! |---|---|
//! | `event` | the request, read without copying |
//! | `scan` | requests of Firehose's own shape, read without serde |
//! | `budget` | room in the response for every record to fail |
//! | `response` | the response, written into one buffer: its limit, the results |
//! | `decode` | a record's base64 data, decoded; data that is not base64 |
//! | `record` | the event's records, borrowed from its text |
//! | `summary` | what an invocation did: counts and failed records |

mod budget;
mod decode;
mod event;
mod record;
mod response;
mod scan;
pub(crate) mod summary;

use std::cell::Cell;
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};

use serde_json::value::RawValue;

use crate::config::Config;
use crate::config::output::OutputFormat;
use crate::convert::partition;
use crate::convert::{Converter, LineCounts};
use crate::error::{Error, ErrorKind, display_label};
use crate::firehose::summary::Summary;
use budget::ResponseBudget;
use record::Record;
pub use response::MAX_RESPONSE_BYTES;
use response::{Data, Outcome, Response};

/// Transforms the JSON text of a Firehose event into the JSON response.
///
/// Every record comes back once, in order: `Ok` with its converted data,
/// `Dropped` when it held no lines, or `ProcessingFailed` with its data
/// exactly as received. The invocation fails only for a request that is
/// not a Firehose event, or a batch too large to return even unchanged.
///
/// Every record is converted and its entry decided first, with the room
/// each takes; then the response is written once, into a buffer of exactly
/// its size. Its memory is then freed at the size it was taken, which lets
/// the allocator hand the same memory to the next invocation rather than
/// map fresh pages.
pub fn transform(event_json: &str, config: &Config) -> Result<(Box<RawValue>, Summary), Error> {
    let event = event::parse(event_json)?;
    let mut budget = ResponseBudget::new(&event.records)?;
    let mut summary = Summary {
        records: event.records.len(),
        delivery_stream: event
            .delivery_stream_arn
            .as_deref()
            .map(|arn| summary::delivery_stream_name(arn).to_owned()),
        ..Summary::default()
    };
    let mut converter = RecordConverter::new(config, OUTPUTS.take());
    let planned = plan(&event.records, &mut budget, &mut converter, &mut summary);
    let response = write(&event.records, &planned, &budget, &converter);
    OUTPUTS.set(converter.outputs);
    summary.bytes_in = converter.bytes_in;
    summary.response_bytes = response.get().len();
    debug_assert!(
        summary.response_bytes <= MAX_RESPONSE_BYTES,
        "the budget holds"
    );
    Ok((response, summary))
}

/// What a record's entry holds, decided before the response is written.
enum Planned<'a> {
    /// Converted: the record's lines and partition keys, where they are in
    /// [`RecordConverter::outputs`] and [`RecordConverter::keys`].
    Ok {
        output: Range<usize>,
        keys: Range<usize>,
    },
    Dropped,
    Failed(Data<'a>),
}

thread_local! {
    /// Every record's output, kept from one call to the next. A Lambda
    /// function serves invocation after invocation on one thread: a buffer
    /// of megabytes taken and freed each time would be mapped afresh, and
    /// its pages faulted in again, costing more than the conversion.
    static OUTPUTS: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

#[cfg(test)]
thread_local! {
    /// The id of a record whose conversion panics, so that a test can
    /// reach the panic guard no real input reaches.
    static PANIC_ON: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// The entries of a response, decided, and its length without its tail.
struct Plan<'a> {
    entries: Vec<Planned<'a>>,
    len: usize,
}

/// Converts every record and decides its entry, in order, counting each
/// in `summary`: `Ok` when its entry leaves room for every record after it
/// to fail (see [`ResponseBudget`]).
fn plan<'a>(
    records: &'a [Record<'a>],
    budget: &mut ResponseBudget,
    converter: &mut RecordConverter,
    summary: &mut Summary,
) -> Plan<'a> {
    let empty_keys = budget.metadata().then_some(&b"{}"[..]);
    let mut entries = Vec::with_capacity(records.len());
    let mut len = Response::HEAD.len();
    for (i, record) in records.iter().enumerate() {
        budget.release(i);
        len += usize::from(i > 0);
        let (output, keys) = (converter.outputs.len(), converter.keys.len());
        // A panic is a bug, but one record's bug must not cost the batch.
        let converted = panic::catch_unwind(AssertUnwindSafe(|| converter.convert(record)))
            .unwrap_or_else(|_| Err(Error::new(ErrorKind::Panic)));
        let error = match converted {
            Ok(Outcome::Ok) => {
                let (output, keys) = (output..converter.outputs.len(), keys..converter.keys.len());
                let data = Data::Encode(&converter.outputs[output.clone()]);
                let keys_json = Some(&converter.keys[keys.clone()]);
                let entry = Response::entry_len(budget.id_len(i), Outcome::Ok, &data, keys_json);
                if budget.fits(len + entry) {
                    summary.count_ok(converter.lines, output.len());
                    if summary.first_undeclared_label.is_none() {
                        summary.first_undeclared_label = converter.undeclared_label();
                    }
                    entries.push(Planned::Ok { output, keys });
                    len += entry;
                    continue;
                }
                converter.outputs.truncate(output.start);
                converter.keys.truncate(keys.start);
                Error::new(ErrorKind::ResponseFull {
                    limit: MAX_RESPONSE_BYTES,
                })
            }
            Ok(outcome) => {
                len += Response::entry_len(budget.id_len(i), outcome, &Data::Empty, empty_keys);
                summary.count_dropped(converter.lines);
                entries.push(Planned::Dropped);
                continue;
            }
            Err(error) => error,
        };
        let data = budget.failed_data(i, record);
        let failed = Outcome::ProcessingFailed;
        len += Response::entry_len(budget.id_len(i), failed, &data, empty_keys);
        entries.push(Planned::Failed(data));
        summary.count_failed(&record.record_id, error);
    }
    Plan { entries, len }
}

/// The response of the planned entries, written into a buffer of exactly
/// its size.
fn write(
    records: &[Record],
    plan: &Plan,
    budget: &ResponseBudget,
    converter: &RecordConverter,
) -> Box<RawValue> {
    let empty_keys = budget.metadata().then_some(&b"{}"[..]);
    let mut response = Response::with_capacity(plan.len + Response::TAIL.len());
    for (record, planned) in records.iter().zip(&plan.entries) {
        let (outcome, data, keys) = match planned {
            Planned::Ok { output, keys } => (
                Outcome::Ok,
                Data::Encode(&converter.outputs[output.clone()]),
                Some(&converter.keys[keys.clone()]),
            ),
            Planned::Dropped => (Outcome::Dropped, Data::Empty, empty_keys),
            Planned::Failed(data) => (Outcome::ProcessingFailed, *data, empty_keys),
        };
        response.push(record, outcome, data, keys);
    }
    debug_assert_eq!(response.len(), plan.len, "entries take the room planned");
    response.finish()
}

/// Decodes and converts one record at a time, keeping every record's
/// output until the response is written.
struct RecordConverter<'c> {
    converter: Converter<'c>,
    decoded: Vec<u8>,
    /// The JSON lines of every record so far.
    outputs: Vec<u8>,
    /// The `partitionKeys` object of every record so far.
    keys: Vec<u8>,
    /// The last record's line counts.
    lines: LineCounts,
    /// Decoded bytes of every record so far.
    bytes_in: usize,
}

impl<'c> RecordConverter<'c> {
    /// A converter for `config`, writing outputs after whatever `outputs`
    /// held, which it keeps.
    fn new(config: &'c Config, mut outputs: Vec<u8>) -> RecordConverter<'c> {
        outputs.clear();
        RecordConverter {
            converter: Converter::new(config),
            decoded: Vec::new(),
            outputs,
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

    /// Decodes and converts `record`, appending its lines to `outputs`
    /// and, from its first line written, its partition keys to `keys`; on
    /// error, or when nothing is written, appends nothing.
    fn convert(&mut self, record: &Record) -> Result<Outcome, Error> {
        #[cfg(test)]
        if PANIC_ON.get() == Some(&*record.record_id) {
            panic!("injected");
        }
        self.lines = LineCounts::default();
        decode::decode(&record.data, &mut self.decoded)?;
        self.bytes_in += self.decoded.len();
        let config = self.converter.config();
        let (mark, output) = (self.keys.len(), self.outputs.len());
        let keys = &mut self.keys;
        let converted =
            self.converter
                .convert_record_with(&self.decoded, &mut self.outputs, |line, _, _| {
                    match keys.len() == mark {
                        true => partition::write_keys(config, line, keys),
                        false => Ok(()),
                    }
                });
        self.lines = converted.inspect_err(|_| self.keys.truncate(mark))?;
        if self.lines.written > 1 && config.output_format() == OutputFormat::Iceberg {
            self.keys.truncate(mark);
            self.outputs.truncate(output);
            let lines = self.lines.written;
            return Err(Error::new(ErrorKind::OneObjectPerRecord { lines }));
        }
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
        PANIC_ON.set(Some("boom"));
        let transformed = transform(event, &Config::default());
        PANIC_ON.set(None);
        let (response, summary) = transformed.unwrap();
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
