//! `LTSV_REDACT` in a backfill task: the hourly objects, gzip JSON or
//! Parquet, hold what the transformation function would write, secrets
//! redacted; a line that fails keeps its raw bytes in its error record.

mod common;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{Memory, apache_log, expected_rows, gunzip, invocation, job, small_limits, task};
use firehose_ltsv::{Config, columns};
use firehose_ltsv_backfill::run;
use firehose_ltsv_output::{Files, OutputFormat, Table};
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::Value;

/// A line with a secret in each label the rules cover.
const SECRET_LINE: &[u8] = b"time:[26/Nov/2026:05:54:09 +0900]\t\
forwardedfor:198.51.100.23, 2001:db8:85a3:8d3:1319:8a2e:370:7348\thost:192.0.2.77\t\
req:GET /login?user=alice&password=Hunter2Secret HTTP/1.1\tstatus:302\tsize:-\t\
referer:https://app.example.com/cb#access_token=2YotnFZFEjr1zCsicMWpAA\tua:curl/8.5.0\t\
reqtime_microsec:85\tcache:-\truntime:-\tvhost:www.example.com\n";

/// A line that fails (a status that is not an integer), with secrets too.
const FAILING_LINE: &[u8] = b"time:[26/Nov/2026:05:54:10 +0900]\thost:192.0.2.77\t\
req:GET /reset?token=ResetTokenSecret HTTP/1.1\tstatus:OK\n";

/// What must not land in the table: the secrets of both lines, and the
/// addresses of the log's own lines too.
const SECRETS: [&str; 6] = [
    "Hunter2Secret",
    "2YotnFZFEjr1zCsicMWpAA",
    "ResetTokenSecret",
    "192.0.2.77",
    "8a2e:370:7348",
    "198.51.100.23",
];

fn check_no_secret(text: &str, place: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} in {place}: {text}");
    }
}

#[tokio::test]
async fn backfilled_objects_are_redacted_and_failed_lines_kept_as_logged() {
    let config = Config::from_vars(&[
        (
            "LTSV_REDACT",
            "req:query,referer:query,host:ip,forwardedfor:ip",
        ),
        ("LTSV_SPLIT_REQUEST", "req"),
    ])
    .unwrap();
    let log = [apache_log(), SECRET_LINE.to_vec(), FAILING_LINE.to_vec()].concat();
    let parquet = Files::new(
        OutputFormat::Parquet,
        Table::new(columns(&config, true).unwrap()),
    );
    for format in [OutputFormat::Json, OutputFormat::Parquet] {
        let memory = Memory::new();
        memory.put_source("old", "access.log", &log);
        let mut job = job(&memory, config.clone(), small_limits(4));
        if format == OutputFormat::Parquet {
            job.files = parquet.clone();
        }
        let summary = run(&job, &task("old", "access.log"), &invocation())
            .await
            .unwrap();
        assert_eq!((summary.written, summary.failed), (100, 1), "{format:?}");
        let objects = memory.raw();
        // Each row as the table reads it.
        let mut rows: BTreeMap<String, String> = BTreeMap::new();
        for (key, bytes) in objects.iter().filter(|(key, _)| key.starts_with("logs/")) {
            let text = match format {
                OutputFormat::Json => gunzip(bytes),
                _ => {
                    let reader =
                        SerializedFileReader::new(bytes::Bytes::from(bytes.clone())).unwrap();
                    let rows: Vec<String> = reader
                        .get_row_iter(None)
                        .unwrap()
                        .map(|row| row.unwrap().to_string())
                        .collect();
                    rows.join("\n")
                }
            };
            rows.insert(key.clone(), text);
        }
        let table: String = rows.values().cloned().collect();
        check_no_secret(&table, &format!("{format:?} objects"));
        for kept in [
            "192.0.2.0",
            "198.51.100.0, 2001:db8:85a3::",
            "password=REDACTED",
            "access_token=REDACTED",
            "curl/8.5.0",
        ] {
            assert!(table.contains(kept), "{format:?}: {kept}");
        }
        if format == OutputFormat::Json {
            // The rows the transformation function would write, and no other.
            let expected: usize = expected_rows(&config, &log).values().map(Vec::len).sum();
            assert_eq!(table.lines().count(), expected);
            for row in expected_rows(&config, &log).values().flatten() {
                assert!(table.contains(row.as_str()), "{row}");
            }
        }

        // A failed line's error record holds the line as logged, as
        // Firehose's processing-failed records hold a failed record's data
        // (docs/privacy.md): the bucket's errors/ prefix is no place for
        // readers of the table.
        let failed_key = summary.failed_object.clone().unwrap();
        assert!(failed_key.starts_with("errors/backfill-failed/"));
        let records: Vec<Value> = gunzip(&objects[&failed_key])
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(records.len(), 1);
        let raw = BASE64
            .decode(records[0]["rawData"].as_str().unwrap())
            .unwrap();
        assert_eq!(raw, FAILING_LINE);
        assert_eq!(
            records[0]["errorMessage"],
            "line 101: label \"status\": value is not a valid integer"
        );
    }
}
