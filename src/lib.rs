//! Amazon Data Firehose transformation of LTSV access logs into typed,
//! newline-delimited JSON.
//!
//! Data flows one way, and a module only uses the ones after it here:
//!
//! | module | concern |
//! |---|---|
//! | `lambda` | the Lambda glue: [`handle`], logs, metrics, clock |
//! | `metrics` | one CloudWatch Embedded Metric Format line per invocation |
//! | `firehose` | the batch: event in, one result per record out, the response budget |
//! | `summary` | what an invocation did: counts and failed records |
//! | `convert` | records into lines, drop rules, one object per line |
//! | `partition` | event time and partition keys of a line |
//! | `columns` | the table the settings imply: column names and types |
//! | `object` | a parsed line as a JSON object: types, nulls, request parts |
//! | `typed` | typed values written as JSON, common cases without parsing |
//! | `request` | request lines split into method, path, query, protocol |
//! | `labels` | what the settings say of a label: type, declared |
//! | `config` | settings, validated once |
//! | `format` | a server's own log format line: labels and types |
//! | `settings` | every setting defined once: variable, flag, default, help |
//! | `line` | a line parsed once: repeated labels resolved |
//! | `shape` | the labels lines keep repeating, checked rather than found |
//! | `ltsv` | lines and fields, without allocating |
//! | `error` | the one error type |
//! | `value` | what a value means: escapes and types |
//! | `time` | timestamps and zero-padded numbers |
//! | `json` | JSON strings that stay valid whatever bytes a log holds |
//! | `words` | bytes found eight at a time, in a machine word |
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
mod format;
mod json;
mod labels;
mod lambda;
mod line;
mod ltsv;
mod metrics;
mod object;
mod partition;
mod request;
mod settings;
mod shape;
mod summary;
mod time;
mod typed;
mod value;
mod words;

pub use columns::{Column, ColumnType, PARTITION_COLUMNS, column_name, columns};
pub use config::{Config, DropRule, OnTypeError, PartitionKey};
pub use convert::{Converter, LineCounts, LineOutcome};
pub use error::{Error, ErrorKind, Position};
pub use firehose::{MAX_RESPONSE_BYTES, Outcome, transform};
pub use format::{FormatField, LogFormat, Server};
pub use json::{str_len as json_str_len, write_str as write_json_str};
pub use lambda::{handle, handle_with_metrics, init_tracing};
pub use line::{LineParser, ParsedLine};
pub use ltsv::{
    Field, Fields, LabelSyntax, Line, Lines, fields, is_label_byte, lines, trim_line_end,
};
pub use partition::{MAX_VALUE_LEN, event_hour, event_time, write_keys};
pub use request::REQUEST_PARTS;
pub use settings::{SETTINGS, Setting};
pub use summary::{Failure, NoRoom, Summary};
pub use time::{DateHour, Timestamp};
pub use value::{Type, Unescape};
