//! The `ltsv2json` command line (convert, invoke, event) and the start-up of
//! the Lambda binary, run as separate processes.

mod common;

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lambda_events::event::firehose::{KinesisFirehoseEvent, KinesisFirehoseResponse};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use common::{Run, command, project_file, run};

const LTSV2JSON: &str = env!("CARGO_BIN_EXE_ltsv2json");
const LAMBDA: &str = env!("CARGO_BIN_EXE_firehose-ltsv");

const BAD_TYPE_MESSAGE: &str = "LTSV_TYPES: unknown type \"long\" for label \"status\" \
     (types: integer, float, bool, string, time)";

fn ltsv2json(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let mut command = command(LTSV2JSON, env);
    command.args(args);
    run(command, stdin)
}

/// A file under the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &[u8]) -> TempFile {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "ltsv2json-cli-{}-{}-{name}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("temporary paths are UTF-8 here")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

// --- convert ------------------------------------------------------------------

/// Lines 2 and 4 are bad; line 3 is blank and line 6 holds only an empty
/// field, so neither writes anything; line 5 ends in CRLF and line 7 has no
/// line end at all.
const MIXED: &[u8] = b"time:[28/Jun/2021:17:22:48 +0900]\tstatus:200\tsize:-\tua:\\xe3\\x81\\x82\n\
host:192.0.2.1\tnocolon\n\
\n\
status:abc\tsize:1\n\
req:GET / HTTP/1.1\r\n\
\t\n\
a:1";

const MIXED_JSON: &str = "{\"time\":\"2021-06-28 08:22:48\",\"status\":200,\
\"size\":null,\"ua\":\"あ\"}\n\
{\"req\":\"GET / HTTP/1.1\"}\n\
{\"a\":\"1\"}\n";

const GOOD: &[u8] = b"status:304\tsize:-\treq:GET /\n\nruntime:0.5\tref:\\\"q\\\"\n";

const GOOD_JSON: &str = "{\"status\":304,\"size\":null,\"req\":\"GET /\"}\n\
{\"runtime\":0.5,\"ref\":\"\\\"q\\\"\"}\n";

/// What conversion reports for the bad lines of `MIXED`, read from `path`.
fn mixed_errors(path: &str) -> String {
    format!(
        "{path}:2: field 2 (byte 16): no ':' between label and value\n\
         {path}:4: label \"status\": value is not a valid integer\n"
    )
}

#[test]
fn convert_writes_good_lines_and_reports_bad_ones_by_file_and_line() {
    let mixed = TempFile::new("mixed.ltsv", MIXED);
    let run = ltsv2json(&[mixed.path()], &[], b"");
    assert_eq!(run.stdout, MIXED_JSON);
    assert_eq!(run.stderr, mixed_errors(mixed.path()));
    assert_eq!(run.code, Some(1));
}

#[test]
fn convert_exits_0_when_every_line_converts() {
    let good = TempFile::new("good.ltsv", GOOD);
    let run = ltsv2json(&[good.path()], &[], b"");
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (Some(0), GOOD_JSON, "")
    );
}

#[test]
fn convert_numbers_lines_per_file() {
    let good = TempFile::new("good.ltsv", GOOD);
    let mixed = TempFile::new("mixed.ltsv", MIXED);
    let run = ltsv2json(&[good.path(), mixed.path()], &[], b"");
    assert_eq!(run.stdout, format!("{GOOD_JSON}{MIXED_JSON}"));
    assert_eq!(run.stderr, mixed_errors(mixed.path()));
    assert_eq!(run.code, Some(1));
}

#[test]
fn convert_reads_stdin_without_a_file_or_for_dash() {
    for args in [&[][..], &["-"]] {
        let run = ltsv2json(args, &[], GOOD);
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr.as_str()),
            (Some(0), GOOD_JSON, "")
        );
        let run = ltsv2json(args, &[], MIXED);
        assert_eq!(run.stdout, MIXED_JSON);
        assert_eq!(
            run.stderr,
            "<stdin>:2: field 2 (byte 16): no ':' between label and value\n\
             <stdin>:4: label \"status\": value is not a valid integer\n"
        );
        assert_eq!(run.code, Some(1));
    }
}

/// Converts stdin with `args` and `env`, expecting success.
fn converted(args: &[&str], env: &[(&str, &str)], stdin: &str) -> String {
    let run = ltsv2json(args, env, stdin.as_bytes());
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (Some(0), ""),
        "{args:?} {env:?}"
    );
    run.stdout
}

#[test]
fn flags_override_the_environment() {
    let line = "status:200\tok:true\n";
    let env = [("LTSV_TYPES", "status:string")];
    assert_eq!(
        converted(&[], &env, line),
        "{\"status\":\"200\",\"ok\":\"true\"}\n"
    );
    assert_eq!(
        converted(&["--types", "status:integer,ok:bool"], &env, line),
        "{\"status\":200,\"ok\":true}\n"
    );
    assert_eq!(
        converted(&["--types=status:integer"], &env, line),
        "{\"status\":200,\"ok\":\"true\"}\n"
    );
    // The flag replaces the variable before it is read, even an invalid one.
    assert_eq!(
        converted(
            &["--types", "status:integer"],
            &[("LTSV_TYPES", "status:long")],
            line
        ),
        "{\"status\":200,\"ok\":\"true\"}\n"
    );
    assert_eq!(
        converted(
            &["--types", "status:string", "--types", "status:integer"],
            &[],
            line
        ),
        "{\"status\":200,\"ok\":\"true\"}\n",
        "the last of a repeated flag wins"
    );

    let line = "a:-\tb:N/A\tc:none\n";
    let env = [("LTSV_NULL_VALUES", "none")];
    assert_eq!(
        converted(&[], &env, line),
        "{\"a\":\"-\",\"b\":\"N/A\",\"c\":null}\n"
    );
    assert_eq!(
        converted(&["--null-values", "-,N/A"], &env, line),
        "{\"a\":null,\"b\":null,\"c\":\"none\"}\n"
    );

    let line = "status:OK\tsize:12\n";
    let env = [("LTSV_ON_TYPE_ERROR", "fail")];
    assert_eq!(
        converted(&["--on-type-error", "null"], &env, line),
        "{\"status\":null,\"size\":12}\n"
    );
    assert_eq!(
        converted(&["--on-type-error", "string"], &env, line),
        "{\"status\":\"OK\",\"size\":12}\n"
    );
    let run = ltsv2json(
        &["--on-type-error", "fail"],
        &[("LTSV_ON_TYPE_ERROR", "null")],
        line.as_bytes(),
    );
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            Some(1),
            "",
            "<stdin>:1: label \"status\": value is not a valid integer\n"
        )
    );

    let line = "ua:\\x41\\\"b\\\"\n";
    let env = [("LTSV_UNESCAPE", "true")];
    assert_eq!(converted(&[], &env, line), "{\"ua\":\"A\\\"b\\\"\"}\n");
    assert_eq!(
        converted(&["--unescape", "false"], &env, line),
        "{\"ua\":\"\\\\x41\\\\\\\"b\\\\\\\"\"}\n"
    );

    let line = "user agent:curl\n";
    let env = [("LTSV_STRICT_LABELS", "true")];
    let run = ltsv2json(&[], &env, line.as_bytes());
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            Some(1),
            "",
            "<stdin>:1: field 1 (byte 1): label holds ' ', outside [0-9A-Za-z_.-]\n"
        )
    );
    assert_eq!(
        converted(&["--strict-labels", "false"], &env, line),
        "{\"user agent\":\"curl\"}\n"
    );
}

#[test]
fn a_bad_setting_exits_2_naming_the_variable() {
    for (args, env) in [
        (&[][..], &[("LTSV_TYPES", "status:long")][..]),
        (
            &["--types", "status:long"],
            &[("LTSV_TYPES", "status:integer")],
        ),
    ] {
        let run = ltsv2json(args, env, b"status:200\n");
        assert_eq!(run.code, Some(2), "{args:?} {env:?}");
        assert_eq!(run.stdout, "");
        assert_eq!(run.stderr, format!("ltsv2json: {BAD_TYPE_MESSAGE}\n"));
    }
}

#[test]
fn a_missing_file_exits_2_naming_it() {
    let gone = TempFile::new("gone.ltsv", b"");
    fs::remove_file(&gone.0).unwrap();
    let run = ltsv2json(&[gone.path()], &[], b"");
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with(&format!("ltsv2json: {}: ", gone.path())),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

// --- invoke -------------------------------------------------------------------

/// The record ids and data strings of an event file, as sent.
fn event_records(path: &str) -> Vec<(String, String)> {
    let event: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    event["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| {
            (
                record["recordId"].as_str().unwrap().to_owned(),
                record["data"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Runs `invoke` on `path`, checks it answered with one JSON line, and
/// returns the response both typed and raw.
fn invoke(path: &str, args: &[&str]) -> (KinesisFirehoseResponse, Value) {
    let mut all = args.to_vec();
    all.extend(["invoke", path]);
    let run = ltsv2json(&all, &[], b"");
    assert_eq!(run.code, Some(0), "{path}: {}", run.stderr);
    assert!(run.stdout.ends_with('\n'), "{path}");
    assert_eq!(run.stdout.lines().count(), 1, "{path}: one JSON document");
    let typed: KinesisFirehoseResponse = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{path}: not a KinesisFirehoseResponse: {e}"));
    let raw: Value = serde_json::from_str(&run.stdout).unwrap();
    (typed, raw)
}

fn ids(response: &KinesisFirehoseResponse) -> Vec<String> {
    response
        .records
        .iter()
        .map(|record| record.record_id.clone().unwrap())
        .collect()
}

fn results(response: &KinesisFirehoseResponse) -> Vec<&str> {
    response
        .records
        .iter()
        .map(|record| record.result.as_deref().unwrap())
        .collect()
}

#[test]
fn invoke_answers_every_sample_event_with_its_records_in_order() {
    let mut events: Vec<PathBuf> = fs::read_dir(project_file("events"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    events.sort();
    let names: Vec<_> = events
        .iter()
        .map(|path| path.file_name().unwrap().to_str().unwrap())
        .collect();
    for expected in [
        "apache.json",
        "bad-records.json",
        "empty.json",
        "nginx.json",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
    for path in &events {
        let path = path.to_str().unwrap();
        let (response, _) = invoke(path, &[]);
        let expected: Vec<String> = event_records(path).into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids(&response), expected, "{path}");
    }
    // The captured logs are all well formed.
    for name in ["apache.json", "nginx.json"] {
        let (response, _) = invoke(&project_file(&format!("events/{name}")), &[]);
        assert!(!response.records.is_empty());
        assert!(results(&response).iter().all(|&r| r == "Ok"), "{name}");
    }
    let (response, _) = invoke(&project_file("events/empty.json"), &[]);
    assert!(response.records.is_empty());
}

#[test]
fn invoke_gives_each_bad_record_its_own_result() {
    let path = project_file("events/bad-records.json");
    let (response, raw) = invoke(&path, &[]);
    assert_eq!(
        results(&response),
        [
            "Ok",               // a well-formed Apache line
            "ProcessingFailed", // "not-a-field" has no ':'
            "Ok",               // well formed, with null values
            "ProcessingFailed", // status:OK is not an integer
            "ProcessingFailed", // data is not base64
            "Dropped",          // only blank lines, LF and CRLF
            "Ok",               // two CRLF lines
            "ProcessingFailed", // label "user agent" holds a space
            "ProcessingFailed", // time with month "Foo"
            "Ok",               // values holding ", " and ':'
        ]
    );
    let sent = event_records(&path);
    for (i, ((_, data), record)) in sent.iter().zip(&response.records).enumerate() {
        let returned = raw["records"][i]["data"].as_str().unwrap();
        match record.result.as_deref().unwrap() {
            "ProcessingFailed" if i == 4 => {
                assert_eq!(
                    returned,
                    BASE64.encode(data),
                    "text that is not base64, wrapped"
                )
            }
            "ProcessingFailed" => assert_eq!(returned, data, "record {i} comes back as sent"),
            "Dropped" => assert_eq!(returned, "", "record {i}"),
            _ => {
                let text = std::str::from_utf8(&record.data).unwrap();
                let lines: Vec<&str> = text.split_inclusive('\n').collect();
                assert_eq!(lines.len(), if i == 6 { 2 } else { 1 }, "record {i}");
                for line in lines {
                    assert!(line.ends_with('\n'));
                    let object: Value = serde_json::from_str(line).unwrap();
                    assert_eq!(object["time"], "2026-11-25 20:54:09", "record {i}");
                    assert_eq!(object["status"], 200, "record {i}");
                }
            }
        }
    }
    assert_eq!(
        std::str::from_utf8(&response.records[9].data).unwrap(),
        "{\"time\":\"2026-11-25 20:54:09\",\"forwardedfor\":\"198.51.100.23, 10.0.0.5\",\
         \"host\":\"127.0.0.1\",\"req\":\"GET /static/style.css HTTP/1.1\",\"status\":200,\
         \"size\":29,\"referer\":\"https://www.example.com/\",\"ua\":\"Mozilla/5.0 (iPhone; \
         CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
         Version/17.4.1 Mobile/15E148 Safari/604.1\",\"reqtime_microsec\":717,\
         \"cache\":\"HIT from edge-01\",\"runtime\":0.000412,\"vhost\":\"127.0.0.1:18080\"}\n"
    );
}

#[test]
fn invoke_decode_prints_a_header_per_record_then_its_data_indented() {
    let path = project_file("events/bad-records.json");
    let (response, _) = invoke(&path, &[]);
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
    let expected: Vec<String> = ids(&response)
        .iter()
        .zip(results(&response))
        .map(|(id, result)| format!("{id} {result}"))
        .collect();
    assert_eq!(headers, expected);

    assert_eq!(
        blocks[1].1,
        ["time:[26/Nov/2026:05:54:09 +0900]\thost:127.0.0.1\tnot-a-field"]
    );
    assert_eq!(blocks[4].1, ["this is not base64!"]);
    assert!(blocks[5].1.is_empty(), "a dropped record has no data");
    for (i, (block, record)) in blocks.iter().zip(&response.records).enumerate() {
        if record.result.as_deref() == Some("Ok") {
            let text = std::str::from_utf8(&record.data).unwrap();
            assert_eq!(block.1, text.lines().collect::<Vec<_>>(), "record {i}");
        }
    }
}

#[test]
fn invoke_returns_partition_keys_set_by_flag() {
    let (response, _) = invoke(
        &project_file("events/apache.json"),
        &["--partition-keys", "year,month,day,hour,vhost"],
    );
    let keys = &response.records[0].metadata.partition_keys;
    let mut keys: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            ("day", "25"),
            ("hour", "20"),
            ("month", "11"),
            ("vhost", "www.example.com"),
            ("year", "2026"),
        ]
    );
}

#[test]
fn invoke_fails_the_invocation_for_what_is_not_a_firehose_event() {
    for contents in [
        &b"not json"[..],
        b"",
        b"{}",
        b"{\"records\":[{\"data\":\"YQ==\"}]}",
        b"{\"records\":{}}",
    ] {
        let event = TempFile::new("event.json", contents);
        let run = ltsv2json(&["invoke", event.path()], &[], b"");
        let shown = String::from_utf8_lossy(contents);
        assert_eq!(run.code, Some(1), "{shown}");
        assert_eq!(run.stdout, "", "{shown}");
        assert!(
            run.stderr.contains("ltsv2json: invocation failed: "),
            "{shown}: {}",
            run.stderr
        );
    }
}

#[test]
fn invoke_with_a_bad_setting_or_a_missing_event_exits_2() {
    let path = project_file("events/apache.json");
    let run = ltsv2json(&["invoke", &path], &[("LTSV_TYPES", "status:long")], b"");
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, format!("ltsv2json: {BAD_TYPE_MESSAGE}\n"));

    let gone = TempFile::new("gone.json", b"");
    fs::remove_file(&gone.0).unwrap();
    let run = ltsv2json(&["invoke", gone.path()], &[], b"");
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with(&format!("ltsv2json: {}: ", gone.path())),
        "{}",
        run.stderr
    );
}

// --- event --------------------------------------------------------------------

/// Makes an event of `args` (files, or stdin when empty), checks its shape,
/// and returns it with the decoded data of each record.
fn event(args: &[&str], stdin: &[u8]) -> (String, Vec<Vec<u8>>) {
    let mut all = vec!["event"];
    all.extend(args);
    let run = ltsv2json(&all, &[], stdin);
    assert_eq!((run.code, run.stderr.as_str()), (Some(0), ""));
    let raw: Value = serde_json::from_str(&run.stdout).unwrap();
    for field in ["invocationId", "deliveryStreamArn", "region"] {
        assert!(
            raw[field].as_str().is_some_and(|value| !value.is_empty()),
            "{field}"
        );
    }
    let typed: KinesisFirehoseEvent =
        serde_json::from_str(&run.stdout).expect("the event is a KinesisFirehoseEvent");
    let mut ids: Vec<String> = typed
        .records
        .iter()
        .map(|record| record.record_id.clone().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), typed.records.len(), "record ids are unique");
    let data = typed.records.into_iter().map(|r| r.data.0).collect();
    (run.stdout, data)
}

#[test]
fn event_makes_one_record_per_non_blank_line_with_its_line_end() {
    let log = b"a:1\n\nb:2\r\n\r\nc:3";
    let file = TempFile::new("lines.ltsv", log);
    let (_, data) = event(&[file.path()], b"");
    assert_eq!(data, [&b"a:1\n"[..], b"b:2\r\n", b"c:3"]);
    let (_, data) = event(&[], log);
    assert_eq!(data, [&b"a:1\n"[..], b"b:2\r\n", b"c:3"]);
}

#[test]
fn an_event_made_from_a_log_converts_as_the_log_does() {
    let crafted = TempFile::new(
        "crafted.ltsv",
        b"a:1\n\nua:\\xe3\\x81\\x82\r\nstatus:-\tsize:7",
    );
    for path in [
        project_file("tests/data/apache_access.ltsv"),
        project_file("tests/data/nginx_access.ltsv"),
        crafted.path().to_owned(),
    ] {
        let converted = ltsv2json(&[&path], &[], b"");
        assert_eq!(
            (converted.code, converted.stderr.as_str()),
            (Some(0), ""),
            "{path}"
        );

        let (json, _) = event(&[&path], b"");
        let event = TempFile::new("event.json", json.as_bytes());
        let (response, _) = invoke(event.path(), &[]);
        assert!(results(&response).iter().all(|&r| r == "Ok"), "{path}");
        let returned: Vec<String> = response
            .records
            .iter()
            .map(|record| String::from_utf8(record.data.0.clone()).unwrap())
            .collect();
        let expected: Vec<&str> = converted.stdout.split_inclusive('\n').collect();
        assert_eq!(returned, expected, "{path}");
    }
}

#[test]
fn event_pipes_into_invoke_through_stdin() {
    let (json, _) = event(&[], b"status:200\nstatus:x\n");
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

#[test]
fn event_ignores_conversion_settings() {
    let run = ltsv2json(&["event"], &[("LTSV_TYPES", "status:long")], b"a:1\n");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

// --- the Lambda binary --------------------------------------------------------

#[test]
fn the_lambda_binary_rejects_a_bad_setting_before_starting_the_runtime() {
    // Without AWS_LAMBDA_RUNTIME_API the runtime could not start either, so
    // only a message about LTSV_TYPES shows the settings were read first.
    let run = run(command(LAMBDA, &[("LTSV_TYPES", "status:long")]), b"");
    assert_ne!(run.code, Some(0));
    let output = format!("{}{}", run.stdout, run.stderr);
    assert!(output.contains("LTSV_TYPES"), "{output}");
    assert!(output.contains("long"), "{output}");
    assert!(!output.contains("AWS_LAMBDA_"), "{output}");
}
