//! `ltsv2json event`: log lines wrapped into a Firehose event, in records
//! as Kinesis Agent sends them (one a line, or packed together), or as
//! Firehose hands them to the function after splitting packed records.

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::trim_line_end;
use serde::Serialize;

use crate::args::EventShape;
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

/// Writes a Firehose event holding the non-blank lines of the inputs in
/// records of `shape`.
pub(crate) fn run(files: &[OsString], shape: EventShape) -> Result<ExitCode> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?;
    let millis = u64::try_from(now.as_millis())?;
    let mut datas: Vec<Vec<u8>> = Vec::new();
    input::each_line(&input::or_stdin(files), |_, _, line| {
        if !trim_line_end(line).is_empty() {
            add(&mut datas, line, shape);
        }
        Ok(())
    })?;
    let records: Vec<EventRecord> = datas
        .iter()
        .enumerate()
        .map(|(i, data)| EventRecord {
            record_id: format!("49546986683135544286507457936321625675700192471156{i:06}"),
            approximate_arrival_timestamp: millis,
            data: BASE64.encode(data),
        })
        .collect();
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

/// Adds `line` (its line end included) to the records: a record of its
/// own, or, aggregated, appended to the last record while that stays
/// within the size, as Kinesis Agent packs lines.
fn add(records: &mut Vec<Vec<u8>>, line: &[u8], shape: EventShape) {
    match shape {
        EventShape::Lines => records.push(line.to_vec()),
        EventShape::Deaggregated => records.push(trim_line_end(line).to_vec()),
        EventShape::Aggregated(size) => match records.last_mut() {
            Some(last) if last.len() + line.len() <= size => last.extend_from_slice(line),
            _ => records.push(line.to_vec()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shaped(lines: &[&str], shape: EventShape) -> Vec<String> {
        let mut records = Vec::new();
        for line in lines {
            add(&mut records, line.as_bytes(), shape);
        }
        records
            .into_iter()
            .map(|r| String::from_utf8(r).unwrap())
            .collect()
    }

    #[test]
    fn lines_are_records_whole_packed_or_without_their_ends() {
        let lines = ["a:1\n", "b:22\r\n", "c:3\n", "d:4"];
        assert_eq!(shaped(&lines, EventShape::Lines), lines);
        assert_eq!(
            shaped(&lines, EventShape::Deaggregated),
            ["a:1", "b:22", "c:3", "d:4"]
        );
        // Up to 10 bytes a record; a line is never split.
        assert_eq!(
            shaped(&lines, EventShape::Aggregated(10)),
            ["a:1\nb:22\r\n", "c:3\nd:4"]
        );
        assert_eq!(
            shaped(&lines, EventShape::Aggregated(4)),
            ["a:1\n", "b:22\r\n", "c:3\n", "d:4"]
        );
        assert_eq!(shaped(&lines, EventShape::Aggregated(1 << 16)).len(), 1);
    }
}
