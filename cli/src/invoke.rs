//! `ltsv2json invoke`: the Lambda handler run on an event file, as the
//! runtime would run it.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::process::ExitCode;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::{Config, handle_with_metrics, init_tracing, trim_line_end};
use lambda_runtime::{Context, LambdaEvent};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::input;

/// Runs the handler on the event in `path` (`-` for stdin) and prints its
/// response, or with `decode` each record's result and data. Logs and the
/// metrics line go to stderr. An invocation that fails exits 1.
pub(crate) fn run(path: &OsStr, decode: bool, config: &Config) -> input::Result<ExitCode> {
    let name = path.to_string_lossy();
    let text = if path == "-" {
        io::read_to_string(io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| format!("{name}: {e}"))?;
    init_tracing(io::stderr);
    // The runtime would reject a payload that is not JSON before the handler
    // runs; that too is a failed invocation.
    let response = serde_json::from_str::<Box<RawValue>>(&text)
        .map_err(|error| {
            format!(
                "{name} is not JSON ({error}): an event is a JSON object with a `records` list, \
                 which `ltsv2json event` makes from log lines"
            )
        })
        .and_then(|payload| {
            let event = LambdaEvent::new(payload, Context::default());
            handle_with_metrics(event, config, &mut io::stderr()).map_err(|e| e.to_string())
        });
    let response = match response {
        Ok(response) => response,
        Err(error) => {
            eprintln!("ltsv2json: invocation failed: {error}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut out = io::stdout().lock();
    if decode {
        print_decoded(&mut out, response.get())?;
    } else {
        writeln!(out, "{}", response.get())?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Deserialize)]
struct Response {
    records: Vec<ResponseRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseRecord {
    record_id: String,
    result: String,
    data: String,
    /// Left out of failed and dropped records when the response is tight.
    #[serde(default)]
    metadata: ResponseMetadata,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseMetadata {
    partition_keys: Keys,
}

/// Partition keys in the order the response gives them.
#[derive(Default)]
struct Keys(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Keys, D::Error> {
        struct KeysVisitor;

        impl<'de> serde::de::Visitor<'de> for KeysVisitor {
            type Value = Keys;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of partition keys")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_entry()? {
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }

        deserializer.deserialize_map(KeysVisitor)
    }
}

/// Prints each record's id, result and partition keys, then its data
/// decoded, indented, one line per line.
fn print_decoded(out: &mut impl Write, response: &str) -> input::Result<()> {
    let response: Response = serde_json::from_str(response)?;
    for record in response.records {
        write!(out, "{} {}", record.record_id, record.result)?;
        for (key, value) in &record.metadata.partition_keys.0 {
            write!(out, " {key}={}", value.as_str().unwrap_or_default())?;
        }
        writeln!(out)?;
        let data = match BASE64.decode(&record.data) {
            Ok(data) => data,
            Err(_) => record.data.into_bytes(),
        };
        for line in data.split_inclusive(|&b| b == b'\n') {
            writeln!(out, "    {}", String::from_utf8_lossy(trim_line_end(line)))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(response: &str) -> String {
        let mut out = Vec::new();
        print_decoded(&mut out, response).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn records_are_shown_with_their_keys_and_lines() {
        assert_eq!(
            decoded(
                r#"{"records":[{"recordId":"1","result":"Ok","data":"eyJhIjoxfQp7ImIiOjJ9Cg==","metadata":{"partitionKeys":{"year":"2021","hour":"08"}}}]}"#
            ),
            "1 Ok year=2021 hour=08\n    {\"a\":1}\n    {\"b\":2}\n"
        );
    }

    #[test]
    fn records_without_metadata_are_shown_too() {
        // What the handler returns for failed records when the response is
        // too tight for their empty metadata.
        assert_eq!(
            decoded(r#"{"records":[{"recordId":"7","result":"ProcessingFailed","data":"YTox"}]}"#),
            "7 ProcessingFailed\n    a:1\n"
        );
    }
}
