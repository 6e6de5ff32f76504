//! `ltsv2json replay`: the records of Firehose error objects converted
//! again, each whole or not at all.

use std::ffi::OsString;
use std::fmt;
use std::process::ExitCode;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::{Config, Converter};
use serde_json::Value;

use crate::args::OutDir;
use crate::input::{self, Result};
use crate::progress::{Tally, Unit};
use crate::sink::Sink;

/// Why one line of an error object could not be replayed.
#[derive(Debug)]
enum ReplayError {
    NotJson(serde_json::Error),
    NoRawData,
    RawDataNotString,
    RawDataNotBase64,
    /// A line of the record could not be converted.
    Record(firehose_ltsv::Error),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::NotJson(error) => write!(f, "not a JSON object: {error}"),
            ReplayError::NoRawData => f.write_str("no \"rawData\""),
            ReplayError::RawDataNotString => f.write_str("\"rawData\" is not a string"),
            ReplayError::RawDataNotBase64 => f.write_str("\"rawData\" is not base64"),
            ReplayError::Record(error) => match error.line() {
                Some(line) => write!(f, "record line {line}: {error}"),
                None => error.fmt(f),
            },
        }
    }
}

/// Converts the record of every line of the error objects in `args`
/// (files, folders, `-`); each that still fails is reported as
/// `FILE:LINE: reason`, and a summary line ends the run.
pub(crate) fn run(
    args: &[OsString],
    config: &Config,
    out_dir: Option<&OutDir>,
) -> Result<ExitCode> {
    // No argument means stdin; a folder with nothing in it means nothing.
    let files = input::files_under(&input::or_stdin(args))?;
    let mut converter = Converter::new(config);
    let mut sink = Sink::new(out_dir, config)?;
    let mut tally = Tally::new(Unit::Records, true);
    let mut record = Vec::new();
    input::each_line(&files, |name, number, line| {
        let object = firehose_ltsv::trim_line_end(line);
        if object.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        tally.read += 1;
        let converted = match raw_data(object, &mut record) {
            Ok(()) => sink
                .convert(&mut converter, &record, || format!("{name}:{number}"))?
                .map_err(ReplayError::Record),
            Err(error) => Err(error),
        };
        match converted {
            Ok(counts) => {
                tally.converted += 1;
                tally.lines_written += counts.written as u64;
            }
            Err(error) => tally.fail(&format!("{name}:{number}"), &error.to_string()),
        }
        tally.tick(&sink);
        Ok(())
    })?;
    Ok(tally.finish(sink)?)
}

/// Decodes the `rawData` of one line of an error object into `record`.
fn raw_data(object: &[u8], record: &mut Vec<u8>) -> std::result::Result<(), ReplayError> {
    let mut object: serde_json::Map<String, Value> =
        serde_json::from_slice(object).map_err(ReplayError::NotJson)?;
    let raw = match object.remove("rawData") {
        None | Some(Value::Null) => return Err(ReplayError::NoRawData),
        Some(Value::String(raw)) => raw,
        Some(_) => return Err(ReplayError::RawDataNotString),
    };
    record.clear();
    BASE64
        .decode_vec(raw.as_bytes(), record)
        .map_err(|_| ReplayError::RawDataNotBase64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(object: &str) -> std::result::Result<Vec<u8>, String> {
        let mut record = b"stale".to_vec();
        raw_data(object.as_bytes(), &mut record)
            .map(|()| record)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn raw_data_is_decoded_from_the_error_object() {
        assert_eq!(
            decoded(
                r#"{"attemptsMade":4,"rawData":"YToxCg==","errorCode":"Lambda.FunctionError"}"#
            ),
            Ok(b"a:1\n".to_vec())
        );
    }

    #[test]
    fn lines_without_a_usable_record_say_why() {
        assert_eq!(decoded(r#"{"rawData":null}"#), Err("no \"rawData\"".into()));
        assert_eq!(decoded("{}"), Err("no \"rawData\"".into()));
        assert_eq!(
            decoded(r#"{"rawData":1}"#),
            Err("\"rawData\" is not a string".into())
        );
        assert_eq!(
            decoded(r#"{"rawData":"a"}"#),
            Err("\"rawData\" is not base64".into())
        );
        assert!(
            decoded("[1]")
                .unwrap_err()
                .starts_with("not a JSON object: ")
        );
    }
}
