//! Amazon Data Firehose transformation of LTSV access logs into typed,
//! newline-delimited JSON.
//!
//! The folders are the stages of a record's way: a Firehose event comes
//! in, each record is decoded and its lines converted, each line is parsed
//! into fields, each field's value read as its type, and the line written
//! as a JSON object; then the response goes back. A stage uses only the
//! stages after it in this map (each folder's own map orders its files the
//! same way), so data flows one way and nothing reaches back up:
//!
//! | module | concern |
//! |---|---|
//! | `lambda` | the Lambda glue: [`handle`], logs, metrics, clock |
//! | `firehose` | the batch: event in, records decoded, one result per record out |
//! | `convert` | records into lines: drop rules, one object per line, partition keys |
//! | `write` | a parsed line as a JSON object: keys, types, nulls, request parts |
//! | `columns` | the table the settings imply: column names and types |
//! | `config` | the settings, validated once, and the server's log format |
//! | `parse` | lines and fields, each line parsed once |
//! | `error` | the one error type: kind and place |
//! | `values` | what a value means: types, escapes, request lines, times |
//!
//! ```
//! use firehose_ltsv::{Config, transform};
//!
//! let event = r#"{"records":[{"recordId":"1","data":"c3RhdHVzOjIwMAo="}]}"#;
//! let (response, summary) = transform(event, &Config::default()).unwrap();
//! assert_eq!(summary.ok, 1);
//! // "eyJzdGF0dXMiOjIwMH0K" is {"status":200} and a newline.
//! assert!(response.get().contains(r#""result":"Ok","data":"eyJzdGF0dXMiOjIwMH0K""#));
//! ```
#![deny(missing_docs)]

mod columns;
mod config;
mod convert;
mod error;
mod firehose;
mod lambda;
mod parse;
mod values;
mod write;

pub use columns::{Column, ColumnType, SOURCE_LINE, columns, columns_for};
pub use config::format::{FormatField, LogFormat, Server};
pub use config::output::OutputFormat;
pub use config::settings::{REDACT_KEY, REDACT_KEY_SECRET, SETTINGS, Setting, unknown_variables};
pub use config::{Config, DropRule, OnTypeError, PartitionKey};
pub use convert::partition::event_hour;
pub use convert::{Converter, LineCounts, LineOutcome};
pub use error::{Error, ErrorKind, Position};
pub use firehose::summary::{Failure, NoRoom, Summary};
pub use firehose::{MAX_RESPONSE_BYTES, transform};
pub use lambda::key::config_from_env;
pub use lambda::{handle, handle_with_metrics, init_tracing};
pub use parse::line::{LineParser, ParsedLine};
pub use parse::ltsv::{Field, Fields, LabelSyntax, Line, Lines, fields, lines, trim_line_end};
pub use values::escapes::Unescape;
pub use values::redact::names::{DEFAULT_NAMES as SECRET_PARAMETERS, SECRET_PARTS};
pub use values::request::REQUEST_PARTS;
pub use values::time::{DateHour, Timestamp};
pub use values::types::Type;
pub use write::json::{str_len as json_str_len, write_str as write_json_str};
