//! Lines that could not be converted, written as Firehose writes the
//! records a transformation failed: one JSON object per line, the data in
//! `rawData` as base64, so that `ltsv2json replay` reads both alike.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;

/// The `errorCode` of a line the backfill could not convert.
pub const ERROR_CODE: &str = "Backfill.ProcessingFailed";

/// What every failed line of one task shares.
///
/// Both of a record's times are the source object's last modification,
/// never the clock's: a task run again writes the same bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedLines {
    /// When the line arrived in S3: the source object's last modification,
    /// in milliseconds since the epoch.
    pub arrival_ms: i64,
    /// The function's ARN, as Firehose names the function that failed a
    /// record.
    pub function_arn: String,
}

/// The fields of Firehose's `processing-failed` objects, in their order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorRecord<'a> {
    attempts_made: u32,
    arrival_timestamp: i64,
    error_code: &'a str,
    error_message: &'a str,
    attempt_ending_timestamp: i64,
    raw_data: &'a str,
    lambda_arn: &'a str,
}

impl FailedLines {
    /// Appends the error record of `line` (as read, its line end
    /// included), the `number`-th of its object, which failed for `reason`.
    pub fn write(&self, out: &mut Vec<u8>, line: &[u8], number: u64, reason: &str) {
        let record = ErrorRecord {
            attempts_made: 1,
            arrival_timestamp: self.arrival_ms,
            error_code: ERROR_CODE,
            error_message: &format!("line {number}: {reason}"),
            attempt_ending_timestamp: self.arrival_ms,
            raw_data: &BASE64.encode(line),
            lambda_arn: &self.function_arn,
        };
        serde_json::to_writer(&mut *out, &record).expect("writing to memory");
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn a_failed_line_is_a_firehose_error_record() {
        let failed = FailedLines {
            arrival_ms: 1_624_868_568_000,
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:backfill".into(),
        };
        let mut out = b"{}\n".to_vec();
        failed.write(&mut out, b"status:OK\r\n", 7, "label \"status\": bad");
        let text = std::str::from_utf8(&out[3..]).unwrap();
        assert!(text.ends_with('\n') && text.matches('\n').count() == 1);
        assert!(
            text.starts_with(r#"{"attemptsMade":1,"arrivalTimestamp":1624868568000,"errorCode":"#)
        );
        let record: Value = serde_json::from_str(text).unwrap();
        assert_eq!(
            record,
            json!({
                "attemptsMade": 1,
                "arrivalTimestamp": 1_624_868_568_000u64,
                "errorCode": "Backfill.ProcessingFailed",
                "errorMessage": "line 7: label \"status\": bad",
                "attemptEndingTimestamp": 1_624_868_568_000u64,
                "rawData": BASE64.encode(b"status:OK\r\n"),
                "lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:backfill",
            })
        );
    }
}
