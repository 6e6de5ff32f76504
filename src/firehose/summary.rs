//! What one invocation did: counts for the metrics and the log, and the
//! records that failed, for the warnings.

use crate::convert::LineCounts;
use crate::error::{Error, ErrorKind};

/// Counts for one invocation, and its failed records.
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
    /// Lines left out by `LTSV_DROP` rules, across `Ok` and `Dropped` records.
    pub lines_excluded: usize,
    /// Lines written that hold a label `LTSV_LOG_FORMAT` does not declare.
    pub lines_undeclared: usize,
    /// The first such label in an `Ok` record, escaped and cut short
    /// (never a value).
    pub first_undeclared_label: Option<String>,
    /// Decoded bytes of all records.
    pub bytes_in: usize,
    /// Bytes of JSON written across `Ok` records, before base64.
    pub bytes_out: usize,
    /// Bytes of the response.
    pub response_bytes: usize,
    /// The delivery stream's name, from the event's `deliveryStreamArn`.
    pub delivery_stream: Option<String>,
    /// Each record that failed for a reason of its own, in order.
    pub failures: Vec<Failure>,
    /// Records that failed only because the response had no room left for
    /// them, which are many or none: their count and the first one's id.
    pub no_room: Option<NoRoom>,
}

impl Summary {
    /// Counts a record returned `Ok`.
    pub(crate) fn count_ok(&mut self, lines: LineCounts, bytes: usize) {
        self.ok += 1;
        self.lines_out += lines.written;
        self.lines_excluded += lines.excluded;
        self.lines_undeclared += lines.undeclared;
        self.bytes_out += bytes;
    }

    /// Counts a record returned `Dropped`.
    pub(crate) fn count_dropped(&mut self, lines: LineCounts) {
        self.dropped += 1;
        self.lines_excluded += lines.excluded;
    }

    /// Counts a record returned `ProcessingFailed`, and keeps why.
    pub(crate) fn count_failed(&mut self, record_id: &str, error: Error) {
        self.failed += 1;
        if matches!(error.kind(), ErrorKind::ResponseFull { .. }) {
            // Once the response is full, most records after it fail the
            // same way: they are counted together, not one by one.
            self.no_room
                .get_or_insert_with(|| NoRoom {
                    first_record_id: record_id.to_owned(),
                    records: 0,
                })
                .records += 1;
        } else {
            self.failures.push(Failure {
                record_id: record_id.to_owned(),
                error,
            });
        }
    }
}

/// A record that failed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The record's `recordId`.
    pub record_id: String,
    /// Why it failed.
    pub error: Error,
}

/// Records failed for lack of room in the response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoRoom {
    /// The `recordId` of the first of them.
    pub first_record_id: String,
    /// How many there were.
    pub records: usize,
}

/// The name of the delivery stream in a `deliveryStreamArn`
/// (`arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME`).
pub(crate) fn delivery_stream_name(arn: &str) -> &str {
    arn.rsplit_once("deliverystream/")
        .map_or(arn, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_come_from_the_arn() {
        assert_eq!(
            delivery_stream_name("arn:aws:firehose:us-east-1:123456789012:deliverystream/logs-1"),
            "logs-1"
        );
        assert_eq!(delivery_stream_name("odd"), "odd");
    }

    #[test]
    fn records_without_room_are_counted_together() {
        let mut summary = Summary::default();
        for id in ["a", "b", "c"] {
            summary.count_failed(id, Error::new(ErrorKind::ResponseFull { limit: 10 }));
        }
        summary.count_failed("d", Error::new(ErrorKind::Panic));
        assert_eq!(summary.failed, 4);
        assert_eq!(
            summary.no_room,
            Some(NoRoom {
                first_record_id: "a".into(),
                records: 3
            })
        );
        assert_eq!(summary.failures.len(), 1);
    }
}
