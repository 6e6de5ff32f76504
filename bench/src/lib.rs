//! What the benchmarks run on, made in one place: the realistic batches
//! (`batch`), which the criterion benchmark and `bench/make-event` both
//! use; the zero-waste identity the handler is measured against; and the
//! stages of the handler's work, one at a time.

mod batch;
mod identity;
mod stages;

pub use batch::{Batch, EVENT_SIZES, batch, lines};
pub use identity::{Event, Record, zero_waste_identity};
pub use stages::{Stage, Stages};

/// The settings the stack deploys for redaction, `LtsvRedact`'s default:
/// the secret parameters of every label of the default log format that
/// holds a query string.
pub fn stack_redaction() -> firehose_ltsv::Config {
    let labels = firehose_ltsv::Config::default()
        .log_format()
        .map(|format| format.query_labels().join(":query,") + ":query")
        .expect("the default log format");
    firehose_ltsv::Config::from_vars(&[("LTSV_REDACT", &labels)]).expect("valid rules")
}
