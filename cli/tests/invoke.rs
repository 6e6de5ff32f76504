//! `ltsv2json invoke`, the Lambda handler on an event file, and
//! `ltsv2json event`, which makes such files from logs.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::fs;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::{Config, MAX_RESPONSE_BYTES, transform};
use serde_json::{Value, json};

use common::{Entry, TempDir, all_failing_batch, entries, ltsv2json, project_file, sample_events};

/// Runs `invoke` on `path` with `args` before it, checks it answered with
/// one JSON line, and returns the response's entries.
fn invoke_file(path: &str, args: &[&str]) -> Vec<Entry> {
    let mut all = args.to_vec();
    all.extend(["invoke", path]);
    let run = ltsv2json(&all, &[], b"");
    assert_eq!(run.code, Some(0), "{path}: {}", run.stderr);
    assert!(run.stdout.ends_with('\n'), "{path}");
    assert_eq!(run.stdout.lines().count(), 1, "{path}: one JSON document");
    entries(&run.stdout)
}

/// The decoded data of `Ok` entries, one `String` per record.
fn ok_data(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter(|entry| entry.result == "Ok")
        .map(|entry| String::from_utf8(BASE64.decode(&entry.data).unwrap()).unwrap())
        .collect()
}

#[test]
fn invoke_prints_what_the_handler_answers_for_every_sample_event() {
    let events = sample_events();
    assert_eq!(events.len(), 6);
    for (name, path) in events {
        let run = ltsv2json(&["invoke", &path], &[], b"");
        assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
        let event = fs::read_to_string(&path).unwrap();
        let (response, _) = transform(&event, &Config::default()).unwrap();
        assert_eq!(run.stdout, format!("{}\n", response.get()), "{name}");
        // Room for metadata on every record, as the reference type needs.
        assert!(
            entries(&run.stdout).iter().all(|e| e.metadata.is_some()),
            "{name}"
        );
    }
}

#[test]
fn invoke_decode_prints_a_header_per_record_then_its_data_indented() {
    let path = project_file("events/bad-records.json");
    let response = invoke_file(&path, &[]);
    let run = ltsv2json(&["invoke", "--decode", &path], &[], b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    let mut blocks: Vec<(&str, Vec<&str>)> = Vec::new();
    for line in run.stdout.lines() {
        match line.strip_prefix("    ") {
            Some(data) => blocks
                .last_mut()
                .expect("a header comes first")
                .1
                .push(data),
            None => blocks.push((line, Vec::new())),
        }
    }
    let headers: Vec<String> = blocks.iter().map(|(h, _)| h.to_string()).collect();
    let expected: Vec<String> = response
        .iter()
        .map(|entry| format!("{} {}", entry.id, entry.result))
        .collect();
    assert_eq!(headers, expected);

    assert_eq!(
        blocks[1].1,
        ["time:[26/Nov/2026:05:54:09 +0900]\thost:127.0.0.1\tnot-a-field"]
    );
    assert_eq!(blocks[4].1, ["this is not base64!"]);
    assert!(blocks[5].1.is_empty(), "a dropped record has no data");
    for (i, (block, entry)) in blocks.iter().zip(&response).enumerate() {
        if entry.result == "Ok" {
            let text = String::from_utf8(BASE64.decode(&entry.data).unwrap()).unwrap();
            assert_eq!(block.1, text.lines().collect::<Vec<_>>(), "record {i}");
        }
    }
}

/// In a batch so large that failed records leave out their empty
/// metadata, `--decode` shows them all the same.
#[test]
fn invoke_decode_shows_records_that_came_back_without_metadata() {
    let (event, records) = all_failing_batch(1000, MAX_RESPONSE_BYTES + 1);
    let dir = TempDir::new("tight");
    let path = dir.file("tight.json", event.as_bytes());
    assert!(
        invoke_file(&path, &[]).iter().all(|e| e.metadata.is_none()),
        "metadata left out"
    );
    let run = ltsv2json(&["invoke", "--decode", &path], &[], b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let headers: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| !line.starts_with(' '))
        .collect();
    let expected: Vec<String> = records
        .iter()
        .map(|(id, _)| format!("{id} ProcessingFailed"))
        .collect();
    assert_eq!(headers, expected);
}

#[test]
fn invoke_returns_partition_keys_set_by_flag() {
    let response = invoke_file(
        &project_file("events/apache.json"),
        &["--partition-keys", "year,month,day,hour,vhost"],
    );
    assert_eq!(
        response[0].metadata,
        Some(json!({"partitionKeys": {
            "year": "2026",
            "month": "11",
            "day": "25",
            "hour": "20",
            "vhost": "www.example.com",
        }}))
    );
}

#[test]
fn invoke_fails_the_invocation_for_what_is_not_a_firehose_event() {
    let dir = TempDir::new("not-events");
    for contents in [
        &b"not json"[..],
        b"",
        b"{}",
        b"{\"records\":[{\"data\":\"YQ==\"}]}",
        b"{\"records\":{}}",
    ] {
        let event = dir.file("event.json", contents);
        let run = ltsv2json(&["invoke", &event], &[], b"");
        let shown = String::from_utf8_lossy(contents);
        assert_eq!(run.code, Some(1), "{shown}");
        assert_eq!(run.stdout, "", "{shown}");
        assert!(
            run.stderr.contains("ltsv2json: invocation failed: "),
            "{shown}: {}",
            run.stderr
        );
    }
    // A log given as the event: named as not JSON, with what an event is.
    let log = dir.file(
        "access.ltsv",
        b"time:[28/Jun/2021:17:22:48 +0900]\tstatus:200\n",
    );
    let run = ltsv2json(&["invoke", &log], &[], b"");
    assert_eq!(
        run.stderr,
        format!(
            "ltsv2json: invocation failed: {log} is not JSON (expected ident at line 1 column 2): \
             an event is a JSON object with a `records` list, which `ltsv2json event` makes from \
             log lines\n"
        )
    );
    // JSON of another shape: named as what it is.
    let list = dir.file("list.json", br#"[{"records":[]}]"#);
    let run = ltsv2json(&["invoke", &list], &[], b"");
    assert!(
        run.stderr
            .ends_with("each with a string `recordId` and `data`, not a list\n"),
        "{}",
        run.stderr
    );
}

// --- event --------------------------------------------------------------------

/// Makes an event of `args` (files, or stdin when empty), checks it is a
/// Firehose event as Firehose writes one, and returns it with the decoded
/// data of each record.
fn make_event(args: &[&str], stdin: &[u8]) -> (String, Vec<Vec<u8>>) {
    let mut all = vec!["event"];
    all.extend(args);
    let run = ltsv2json(&all, &[], stdin);
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""));
    let event: Value = serde_json::from_str(&run.stdout).unwrap();
    for field in ["invocationId", "deliveryStreamArn", "region"] {
        assert!(
            event[field].as_str().is_some_and(|value| !value.is_empty()),
            "{field}"
        );
    }
    let records = event["records"].as_array().unwrap();
    let mut ids: Vec<&str> = records
        .iter()
        .map(|record| record["recordId"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), records.len(), "record ids are unique");
    let data = records
        .iter()
        .map(|record| {
            assert!(record["approximateArrivalTimestamp"].is_u64(), "{record}");
            BASE64.decode(record["data"].as_str().unwrap()).unwrap()
        })
        .collect();
    (run.stdout, data)
}

#[test]
fn event_makes_one_record_per_non_blank_line_with_its_line_end() {
    let log = b"a:1\n\nb:2\r\n\r\nc:3";
    let dir = TempDir::new("event");
    let file = dir.file("lines.ltsv", log);
    let (_, data) = make_event(&[&file], b"");
    assert_eq!(data, [&b"a:1\n"[..], b"b:2\r\n", b"c:3"]);
    let (_, data) = make_event(&[], log);
    assert_eq!(data, [&b"a:1\n"[..], b"b:2\r\n", b"c:3"]);
}

#[test]
fn an_event_made_from_a_log_converts_as_the_log_does() {
    let dir = TempDir::new("event");
    let crafted = dir.file(
        "crafted.ltsv",
        b"a:1\n\nua:\\xe3\\x81\\x82\r\nstatus:-\tsize:7",
    );
    for path in [
        project_file("tests/data/apache_access.ltsv"),
        project_file("tests/data/nginx_access.ltsv"),
        crafted,
    ] {
        let converted = ltsv2json(&[&path], &[], b"");
        assert_eq!(
            (converted.code, converted.stderr.as_str()),
            (Some(0), ""),
            "{path}"
        );

        let (json, _) = make_event(&[&path], b"");
        let event = dir.file("event.json", json.as_bytes());
        let response = invoke_file(&event, &[]);
        assert!(response.iter().all(|e| e.result == "Ok"), "{path}");
        let expected: Vec<&str> = converted.stdout.split_inclusive('\n').collect();
        assert_eq!(ok_data(&response), expected, "{path}");
    }
}

#[test]
fn event_pipes_into_invoke_through_stdin() {
    let (json, _) = make_event(&[], b"status:200\nstatus:x\n");
    let run = ltsv2json(&["invoke", "--decode", "-"], &[], json.as_bytes());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let headers: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| !line.starts_with(' '))
        .map(|line| line.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(headers, ["Ok", "ProcessingFailed"]);
    assert!(
        run.stdout.contains("    {\"status\":200}\n"),
        "{}",
        run.stdout
    );
}
