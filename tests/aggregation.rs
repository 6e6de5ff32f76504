//! Lines packed into records by Kinesis Agent, and split back into lines
//! by the stream before the function: both shapes convert to the same rows,
//! and only split lines are each filed under their own hour.

mod common;

use std::fs;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use common::{config, event_of, invoke_json, project_file};

/// The settings of the stack's function: keys by event hour.
fn pipeline() -> firehose_ltsv::Config {
    config(&[("PARTITION_KEYS", "year,month,day,hour")])
}

/// Each `Ok` record's lines and partition keys.
fn converted(event: &str) -> Vec<(Vec<Value>, Value)> {
    let response = invoke_json(event, &pipeline()).unwrap();
    response["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| {
            assert_eq!(record["result"], "Ok", "{record}");
            let data = BASE64.decode(record["data"].as_str().unwrap()).unwrap();
            let lines = String::from_utf8(data)
                .unwrap()
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect();
            (lines, record["metadata"]["partitionKeys"].clone())
        })
        .collect()
}

/// The partition keys of a line's own `time`, as the function computes them.
fn hour_keys(line: &Value) -> Value {
    let time = line["time"].as_str().unwrap();
    serde_json::json!({
        "year": &time[0..4], "month": &time[5..7], "day": &time[8..10], "hour": &time[11..13]
    })
}

fn rows(records: &[(Vec<Value>, Value)]) -> Vec<Value> {
    records
        .iter()
        .flat_map(|(lines, _)| lines.clone())
        .collect()
}

#[test]
fn the_sample_events_of_each_shape_convert_to_the_same_rows() {
    let read = |name: &str| fs::read_to_string(project_file(&format!("events/{name}"))).unwrap();
    let lines = converted(&read("apache.json"));
    let aggregated = converted(&read("apache-aggregated.json"));
    let deaggregated = converted(&read("apache-deaggregated.json"));
    // The agent's 64 KiB holds the whole sample; split, it is a line a record.
    assert_eq!(aggregated.len(), 1);
    assert_eq!(deaggregated.len(), 99);
    assert_eq!(rows(&aggregated), rows(&lines));
    assert_eq!(rows(&deaggregated), rows(&lines));
    for (lines, keys) in &deaggregated {
        assert_eq!(*keys, hour_keys(&lines[0]));
    }
    assert_eq!(aggregated[0].1, hour_keys(&aggregated[0].0[0]));
}

#[test]
fn split_lines_get_their_own_hour_and_a_packed_record_its_first_lines() {
    let lines: [&[u8]; 3] = [
        b"time:[28/Jun/2021:17:59:59 +0900]\tstatus:200",
        b"time:[28/Jun/2021:18:00:00 +0900]\tstatus:201",
        b"time:[29/Jun/2021:02:30:00 +0000]\tstatus:202",
    ];
    let mut packed = lines.join(&b'\n');
    packed.push(b'\n');
    let aggregated = converted(&event_of(&[&packed]));
    let deaggregated = converted(&event_of(&lines));
    assert_eq!(rows(&aggregated), rows(&deaggregated));
    let hours: Vec<&str> = deaggregated
        .iter()
        .map(|(_, keys)| keys["hour"].as_str().unwrap())
        .collect();
    assert_eq!(hours, ["08", "09", "02"]);
    assert_eq!(deaggregated[2].1["day"], "29");
    // Packed, the record is filed under its first line's hour.
    assert_eq!(aggregated.len(), 1);
    assert_eq!(aggregated[0].1, hour_keys(&deaggregated[0].0[0]));
}
