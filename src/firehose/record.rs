//! A Firehose transformation event's parts the function reads: the
//! records, each an id and its data, borrowed from the event's text.
//!
//! Records are read here rather than through `aws_lambda_events`, whose
//! event type decodes every record's base64 while parsing and so rejects a
//! whole batch for one record's bad data: here only that record fails.

use std::borrow::Cow;

use serde::Deserialize;

/// The parts of the event the function reads; others are ignored.
#[derive(Deserialize)]
pub(crate) struct Event<'a> {
    #[serde(borrow, default, rename = "deliveryStreamArn")]
    pub(crate) delivery_stream_arn: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) records: Vec<Record<'a>>,
}

/// One record: its id and its data, still base64.
#[derive(Deserialize)]
pub(crate) struct Record<'a> {
    #[serde(borrow, rename = "recordId")]
    pub(crate) record_id: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) data: Cow<'a, str>,
}

#[cfg(test)]
impl<'a> Record<'a> {
    /// A record with `record_id` and `data`, as the event would hold it.
    pub(crate) fn new(record_id: &'a str, data: &'a str) -> Record<'a> {
        Record {
            record_id: Cow::Borrowed(record_id),
            data: Cow::Borrowed(data),
        }
    }
}
