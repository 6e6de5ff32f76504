//! One CloudWatch Embedded Metric Format line per invocation: plain JSON on
//! stdout, which Lambda sends to CloudWatch Logs and CloudWatch turns into
//! metrics, with no client library and no API call.

use std::io::{self, Write};

use serde_json::json;

use crate::firehose::summary::Summary;

/// A metric's name, its unit, and how it is read off a [`Summary`].
type Metric = (&'static str, &'static str, fn(&Summary) -> usize);

const METRICS: [Metric; 10] = [
    ("RecordsIn", "Count", |s| s.records),
    ("RecordsOk", "Count", |s| s.ok),
    ("RecordsDropped", "Count", |s| s.dropped),
    ("RecordsFailed", "Count", |s| s.failed),
    ("LinesOut", "Count", |s| s.lines_out),
    ("LinesDropped", "Count", |s| s.lines_excluded),
    ("LinesWithUndeclaredLabels", "Count", |s| s.lines_undeclared),
    ("BytesIn", "Bytes", |s| s.bytes_in),
    ("BytesOut", "Bytes", |s| s.bytes_out),
    ("ResponseBytes", "Bytes", |s| s.response_bytes),
];

/// The dimension every metric has.
pub(crate) const DIMENSION: &str = "DeliveryStream";

/// Writes the metrics of one invocation as one EMF line in `namespace`,
/// with the delivery stream (or `unknown`) as their dimension.
pub(crate) fn write(
    out: &mut impl Write,
    namespace: &str,
    summary: &Summary,
    timestamp_ms: u64,
) -> io::Result<()> {
    let definitions: Vec<_> = METRICS
        .iter()
        .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
        .collect();
    let mut line = json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [[DIMENSION]],
                "Metrics": definitions,
            }],
        },
        DIMENSION: summary.delivery_stream.as_deref().unwrap_or("unknown"),
    });
    for (name, _, value) in METRICS {
        line[name] = json!(value(summary));
    }
    let mut text = serde_json::to_vec(&line)?;
    text.push(b'\n');
    out.write_all(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_with_every_metric() {
        let summary = Summary {
            records: 5,
            ok: 2,
            dropped: 1,
            failed: 2,
            lines_out: 3,
            lines_excluded: 4,
            lines_undeclared: 6,
            bytes_in: 100,
            bytes_out: 120,
            response_bytes: 400,
            delivery_stream: Some("logs".into()),
            ..Summary::default()
        };
        let mut out = Vec::new();
        write(&mut out, "Web", &summary, 1_700_000_000_000).unwrap();
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        assert!(out.ends_with(b"\n"));
        let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000u64);
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Web");
        assert_eq!(directive["Dimensions"], json!([["DeliveryStream"]]));
        assert_eq!(line["DeliveryStream"], "logs");
        let expected = [
            ("RecordsIn", 5),
            ("RecordsOk", 2),
            ("RecordsDropped", 1),
            ("RecordsFailed", 2),
            ("LinesOut", 3),
            ("LinesDropped", 4),
            ("LinesWithUndeclaredLabels", 6),
            ("BytesIn", 100),
            ("BytesOut", 120),
            ("ResponseBytes", 400),
        ];
        let names: Vec<_> = directive["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, expected.map(|(name, _)| name));
        for (name, value) in expected {
            assert_eq!(line[name], value, "{name}");
        }
    }
}
