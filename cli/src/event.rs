//! `ltsv2json event`: log lines wrapped into a Firehose event, one record
//! per line, as Kinesis Agent sends them.

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::trim_line_end;
use serde::Serialize;

use crate::input::{self, Result};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    invocation_id: String,
    delivery_stream_arn: &'static str,
    region: &'static str,
    records: Vec<EventRecord>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventRecord {
    record_id: String,
    approximate_arrival_timestamp: u64,
    data: String,
}

/// Writes a Firehose event holding each non-blank line of the inputs as
/// one record, line end included.
pub(crate) fn run(files: &[OsString]) -> Result<ExitCode> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?;
    let millis = u64::try_from(now.as_millis())?;
    let mut records = Vec::new();
    input::each_line(&input::or_stdin(files), |_, _, line| {
        if !trim_line_end(line).is_empty() {
            records.push(EventRecord {
                record_id: format!(
                    "49546986683135544286507457936321625675700192471156{:06}",
                    records.len()
                ),
                approximate_arrival_timestamp: millis,
                data: BASE64.encode(line),
            });
        }
        Ok(())
    })?;
    let event = Event {
        invocation_id: format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (millis >> 16) as u32,
            millis as u16,
            now.subsec_nanos() & 0xfff,
            (now.subsec_nanos() >> 12) & 0xfff,
            records.len()
        ),
        delivery_stream_arn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/ltsv-access-logs",
        region: "us-east-1",
        records,
    };
    let mut json = serde_json::to_vec_pretty(&event)?;
    json.push(b'\n');
    io::stdout().lock().write_all(&json)?;
    Ok(ExitCode::SUCCESS)
}
