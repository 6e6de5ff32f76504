//! Amazon Data Firehose transformation of LTSV access logs into typed,
//! newline-delimited JSON.
//!
//! Data flows one way through the modules:
//!
//! - [`firehose`]: the batch: the event's records in, one result per record
//!   out, the response size guard;
//! - [`ltsv`]: records into lines, lines into `label:value` fields, without
//!   allocating;
//! - [`convert`]: fields into one JSON object per line, applying the
//!   [`config`] rules;
//! - [`value`] and [`time`]: what a value means (escapes, nulls, types,
//!   timestamps);
//! - [`json`]: JSON strings that stay valid whatever bytes a log holds;
//! - [`partition`]: partition keys from a record's event time;
//! - [`backfill`]: converted lines into the stream's hourly S3 layout (CLI);
//! - [`metrics`]: one CloudWatch Embedded Metric Format line per invocation.
//!
//! ```
//! use firehose_ltsv::{Config, firehose};
//!
//! let event = r#"{"records":[{"recordId":"1","data":"c3RhdHVzOjIwMAo="}]}"#;
//! let (response, summary) = firehose::transform(event, &Config::default()).unwrap();
//! assert_eq!(summary.ok, 1);
//! // "eyJzdGF0dXMiOjIwMH0K" is {"status":200} and a newline.
//! assert!(response.get().contains(r#""result":"Ok","data":"eyJzdGF0dXMiOjIwMH0K""#));
//! ```

pub mod backfill;
pub mod config;
pub mod convert;
pub mod firehose;
pub mod json;
pub mod ltsv;
pub mod metrics;
pub mod partition;
pub mod time;
pub mod value;

pub use config::{Config, ConfigError};
pub use convert::{Converter, LineError, RecordError};
pub use firehose::{EventError, Outcome, Summary, handle, handle_with_metrics, transform};
