//! The handler against the Firehose contract, called the way the Lambda
//! runtime calls it: the sample events under the README's own formats,
//! every record back once and in order whatever its id or data, partition
//! keys, labels that differ only in case, lines with labels the format
//! does not declare, and the requests that fail the invocation because
//! they are not Firehose events.

mod common;

use std::fs;

use aws_lambda_events::event::firehose::{KinesisFirehoseEvent, KinesisFirehoseResponse};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{
    config, dropped_entry, escape_every_char, event, event_json, event_of, failed_entry, invoke,
    invoke_json, invoke_with_metrics, ok_entry, project_file, sample_events,
};
use firehose_ltsv::{Config, ErrorKind, LogFormat, Summary, transform};
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// One record of a response, decoded.
#[derive(Debug)]
struct Returned {
    result: String,
    data: Vec<u8>,
    raw_data: String,
    keys: Value,
}

/// Checks what every response must satisfy for `event`, and decodes it.
fn check_contract(event: &str, response: &str) -> Vec<Returned> {
    let typed: KinesisFirehoseResponse =
        serde_json::from_str(response).expect("the response is a KinesisFirehoseResponse");
    let request: Value = serde_json::from_str(event).unwrap();
    let response: Value = serde_json::from_str(response).unwrap();
    let inputs = request["records"].as_array().unwrap();
    let outputs = response["records"].as_array().unwrap();
    assert_eq!(typed.records.len(), outputs.len());
    assert_eq!(inputs.len(), outputs.len(), "one result per record");
    inputs
        .iter()
        .zip(outputs)
        .map(|(input, output)| {
            assert_eq!(
                output["recordId"], input["recordId"],
                "same ids, same order"
            );
            let result = output["result"].as_str().unwrap().to_owned();
            let raw_data = output["data"].as_str().unwrap().to_owned();
            let data = BASE64.decode(&raw_data).unwrap_or_default();
            match result.as_str() {
                "Ok" => {
                    let text = std::str::from_utf8(&data).expect("Ok data is UTF-8");
                    assert!(text.ends_with('\n'));
                    for line in text.lines() {
                        let object: Value = serde_json::from_str(line).unwrap();
                        assert!(object.is_object(), "{line}");
                    }
                }
                "Dropped" => assert!(data.is_empty()),
                "ProcessingFailed" => {
                    let input = input["data"].as_str().unwrap();
                    if BASE64.decode(input).is_ok() {
                        assert_eq!(raw_data, input, "failed data is unchanged");
                    } else {
                        assert_eq!(data, input.as_bytes(), "text that is not base64 is wrapped");
                    }
                }
                other => panic!("unexpected result {other:?}"),
            }
            Returned {
                result,
                data,
                raw_data,
                keys: output["metadata"]["partitionKeys"].clone(),
            }
        })
        .collect()
}

fn results(records: &[Returned]) -> Vec<&str> {
    records.iter().map(|r| r.result.as_str()).collect()
}

// --- The sample events ----------------------------------------------------------

/// The README's nginx `log_format` directive, as its "nginx" section
/// shows it for the server's configuration.
fn readme_nginx_format() -> String {
    let readme = fs::read_to_string(project_file("docs/configuration.md")).unwrap();
    let (_, block) = readme.split_once("```nginx\n").expect("an nginx block");
    block
        .lines()
        .find(|line| line.starts_with("log_format "))
        .expect("a log_format directive in the nginx block")
        .to_owned()
}

/// The settings the README gives for the nginx sample: its `log_format`,
/// no `LTSV_TYPES` of its own, and the request line split.
fn readme_nginx_config() -> Config {
    config(&[
        ("LTSV_LOG_FORMAT", &readme_nginx_format()),
        ("LTSV_TYPES", ""),
        ("LTSV_SPLIT_REQUEST", "req"),
    ])
}

#[test]
fn every_sample_event_meets_the_contract() {
    let config = Config::default();
    let events = sample_events();
    let names: Vec<_> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "apache-aggregated.json",
            "apache-deaggregated.json",
            "apache.json",
            "bad-records.json",
            "empty.json",
            "nginx.json"
        ]
    );
    for (name, path) in &events {
        let event = fs::read_to_string(path).unwrap();
        // The samples are Firehose events as far as the reference types can
        // tell, except bad-records.json, one of whose records is not base64:
        // the reference types reject the whole batch for it.
        let parsed = serde_json::from_str::<KinesisFirehoseEvent>(&event);
        assert_eq!(parsed.is_ok(), name != "bad-records.json", "{name}");
        let response = invoke(&event, &config).unwrap();
        let records = check_contract(&event, &response);
        assert_eq!(records.is_empty(), name == "empty.json", "{name}");
    }
}

#[test]
fn real_server_logs_convert_in_full_under_their_own_formats() {
    // Each sample under the README's format for its server: every key
    // written is a label the format declares (or a request part), so the
    // table has a column for each, and no line counts as drift.
    let apache = Config::default();
    let nginx = readme_nginx_config();
    for (name, config) in [
        ("apache.json", &apache),
        ("apache-aggregated.json", &apache),
        ("apache-deaggregated.json", &apache),
        ("nginx.json", &nginx),
    ] {
        let event = fs::read_to_string(project_file(&format!("events/{name}"))).unwrap();
        let response = invoke(&event, config).unwrap();
        let records = check_contract(&event, &response);
        assert!(records.iter().all(|r| r.result == "Ok"), "{name}");
        let declared: Vec<&str> = config
            .log_format()
            .as_ref()
            .unwrap()
            .fields()
            .iter()
            .map(|f| f.label.as_str())
            .collect();
        let mut lines = 0;
        for record in &records {
            for line in std::str::from_utf8(&record.data).unwrap().lines() {
                let object: Value = serde_json::from_str(line).unwrap();
                assert!(object["status"].is_i64(), "{name}: {object}");
                let time = object["time"].as_str().unwrap();
                assert!(time.starts_with("2026-11-2"), "{name}: {time}");
                for key in object.as_object().unwrap().keys() {
                    let split = ["method", "path", "query", "protocol"].contains(&key.as_str());
                    assert!(
                        declared.contains(&key.as_str())
                            || (split && config.split_request().is_some()),
                        "{name}: {key} is not in the format"
                    );
                }
                lines += 1;
            }
        }
        assert!(lines > 90, "{name}");
        let (_, summary) = transform(&event, config).unwrap();
        assert_eq!(summary.lines_out, lines, "{name}");
        assert_eq!(
            (summary.lines_undeclared, summary.first_undeclared_label),
            (0, None),
            "{name}"
        );
    }
}

#[test]
fn bad_records_fail_alone() {
    let event = fs::read_to_string(project_file("events/bad-records.json")).unwrap();
    let response = invoke(&event, &Config::default()).unwrap();
    let records = check_contract(&event, &response);
    assert_eq!(
        results(&records),
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
    let request: Value = serde_json::from_str(&event).unwrap();
    for (i, (record, input)) in records
        .iter()
        .zip(request["records"].as_array().unwrap())
        .enumerate()
    {
        let sent = input["data"].as_str().unwrap();
        match record.result.as_str() {
            // Text that is not base64 comes back encoded.
            "ProcessingFailed" if i == 4 => assert_eq!(record.raw_data, BASE64.encode(sent)),
            "ProcessingFailed" => {
                assert_eq!(record.raw_data, sent, "record {i} comes back as sent")
            }
            "Dropped" => assert_eq!(record.raw_data, "", "record {i}"),
            _ => {
                let text = std::str::from_utf8(&record.data).unwrap();
                let lines: Vec<&str> = text.split_inclusive('\n').collect();
                assert_eq!(lines.len(), if i == 6 { 2 } else { 1 }, "record {i}");
                for line in lines {
                    let object: Value = serde_json::from_str(line).unwrap();
                    assert_eq!(object["time"], "2026-11-25 20:54:09", "record {i}");
                    assert_eq!(object["status"], 200, "record {i}");
                }
            }
        }
    }
    assert_eq!(records[4].data, b"this is not base64!");
    assert_eq!(
        std::str::from_utf8(&records[9].data).unwrap(),
        "{\"time\":\"2026-11-25 20:54:09\",\"forwardedfor\":\"198.51.100.23, 10.0.0.5\",\
         \"host\":\"127.0.0.1\",\"req\":\"GET /static/style.css HTTP/1.1\",\"status\":200,\
         \"size\":29,\"referer\":\"https://www.example.com/\",\"ua\":\"Mozilla/5.0 (iPhone; \
         CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
         Version/17.4.1 Mobile/15E148 Safari/604.1\",\"reqtime_microsec\":717,\
         \"cache\":\"HIT from edge-01\",\"runtime\":0.000412,\"vhost\":\"127.0.0.1:18080\"}\n"
    );
}

#[test]
fn the_documented_nginx_settings_type_the_nginx_sample() {
    // The README's nginx format: $request_time a float, the three clocks
    // times, $upstream_response_time (which can list several upstreams) a
    // string.
    let config = readme_nginx_config();
    let types: Vec<(&str, &str)> = config
        .types()
        .iter()
        .map(|(label, ty)| (std::str::from_utf8(label).unwrap(), ty.name()))
        .collect();
    assert_eq!(
        types,
        [
            ("time", "time"),
            ("status", "integer"),
            ("size", "integer"),
            ("reqtime", "float"),
            ("time_iso8601", "time"),
            ("msec", "time"),
        ]
    );
    assert_eq!(config.unescape().name(), "true", "nginx's default escaping");
    let event = fs::read_to_string(project_file("events/nginx.json")).unwrap();
    let response = invoke(&event, &config).unwrap();
    let records = check_contract(&event, &response);
    assert!(records.iter().all(|r| r.result == "Ok"));
    let objects: Vec<Value> = records
        .iter()
        .map(|r| serde_json::from_slice(&r.data).unwrap())
        .collect();
    for object in &objects {
        assert!(object["reqtime"].is_f64(), "{object}");
        // nginx's three clocks agree: $time_local, $time_iso8601 and $msec.
        let local = object["time"].as_str().unwrap();
        assert_eq!(object["time_iso8601"], local);
        assert!(object["msec"].as_str().unwrap().starts_with(local));
        let upstream = &object["upstream_response_time"];
        assert!(upstream.is_null() || upstream.is_string(), "{object}");
    }
    let upstreams: Vec<&str> = objects
        .iter()
        .filter_map(|o| o["upstream_response_time"].as_str())
        .collect();
    assert!(upstreams.contains(&"0.000, 0.024"), "{upstreams:?}");
    let first = &objects[0];
    assert_eq!(
        (
            &first["method"],
            &first["path"],
            &first["query"],
            &first["protocol"]
        ),
        (
            &Value::from("GET"),
            &Value::from("/"),
            &Value::Null,
            &Value::from("HTTP/1.1")
        )
    );
}

// --- Records, whatever they hold --------------------------------------------------

#[test]
fn empty_batches_empty_records_repeated_ids_and_data_that_is_not_base64() {
    let empty = r#"{"records":[]}"#;
    assert_eq!(invoke(empty, &Config::default()).unwrap(), empty);
    let (_, summary) = transform(empty, &Config::default()).unwrap();
    assert_eq!(
        summary,
        Summary {
            response_bytes: 14,
            ..Summary::default()
        }
    );

    let request = event(&[
        ("empty", ""),
        ("same", "YTox"),
        ("same", "YTox"),
        ("", "YTox"),
        ("unpadded", "YQ"),
        ("trailing bits", "YR=="),
        ("newline", "YTox\n"),
        ("space", " YTox"),
        ("text", "not base64!"),
    ]);
    let response = invoke_json(&request, &Config::default()).unwrap();
    let converted = b"{\"a\":\"1\"}\n";
    assert_eq!(
        response,
        json!({"records": [
            dropped_entry("empty"),
            ok_entry("same", converted),
            ok_entry("same", converted),
            ok_entry("", converted),
            failed_entry("unpadded", "WVE="),
            failed_entry("trailing bits", "WVI9PQ=="),
            failed_entry("newline", "WVRveAo="),
            failed_entry("space", "IFlUb3g="),
            failed_entry("text", "bm90IGJhc2U2NCE="),
        ]})
    );
}

#[test]
fn record_ids_and_data_come_back_exactly_however_they_are_escaped() {
    let ids = [
        "\"},{\"recordId\":\"x",
        "</script>",
        "\u{0}\u{1f}\u{7f}",
        "\\",
        "é😀\u{2028}",
        "\\ud800",
        "a\"b\\cé",
    ];
    // "YTox" is `a:1`; "bm9jb2xvbg==" is a line without a colon, which
    // comes back as it came, its escapes decoded.
    let converted = b"{\"a\":\"1\"}\n";
    let expected: Vec<Value> = ids
        .iter()
        .flat_map(|id| [ok_entry(id, converted), failed_entry(id, "bm9jb2xvbg==")])
        .collect();
    for escaped in [false, true] {
        let quote = |text: &str| match escaped {
            true => escape_every_char(text),
            false => serde_json::to_string(text).unwrap(),
        };
        let records = ids.iter().flat_map(|id| {
            [
                (quote(id), quote("YTox")),
                (quote(id), quote("bm9jb2xvbg==")),
            ]
        });
        let response = invoke_json(&event_json(records), &Config::default()).unwrap();
        assert_eq!(response, json!({"records": expected}), "escaped: {escaped}");
    }
}

#[test]
fn partition_keys_come_from_the_first_lines_event_time() {
    let config = config(&[("PARTITION_KEYS", "year,month,day,hour,vhost")]);
    let event = event_of(&[
        b"time:[01/Jan/2022:08:59:59 +0900]\tvhost:www.example.com\n\
          time:[01/Jan/2022:09:00:00 +0900]\tvhost:other\n",
        b"time:-\tvhost:www.example.com\n",
        b"\n",
    ]);
    let response = invoke(&event, &config).unwrap();
    let records = check_contract(&event, &response);
    assert_eq!(results(&records), ["Ok", "ProcessingFailed", "Dropped"]);
    assert_eq!(
        records[0].keys,
        json!({"year":"2021","month":"12","day":"31","hour":"23","vhost":"www.example.com"})
    );
    // With partitioning off, every record still carries empty metadata, which
    // Firehose ignores and the reference response type requires.
    let response = invoke(&event, &Config::default()).unwrap();
    let records = check_contract(&event, &response);
    assert_eq!(results(&records), ["Ok", "Ok", "Dropped"]);
    assert_eq!(records[0].keys, json!({}));
}

// --- Labels that differ only in case, and labels the format lacks ---------------

/// Each failed record's id, line and reason.
fn failures(summary: &Summary) -> Vec<(String, Option<usize>, String)> {
    summary
        .failures
        .iter()
        .map(|f| {
            (
                f.record_id.clone(),
                f.error.position().line,
                f.error.to_string(),
            )
        })
        .collect()
}

#[test]
fn a_line_with_labels_that_differ_only_in_case_fails_its_record_alone() {
    let config = config(&[("LTSV_DROP", "ua^=ELB"), ("LTSV_STRICT_LABELS", "false")]);
    let event = event_of(&[
        b"status:200\tua:curl\n",
        // Line 2 (after a blank one) holds `UA` and `ua`.
        b"status:200\tua:curl\n\nstatus:200\tUA:curl\tua:x\n",
        // Left out by a drop rule before the case is looked at.
        b"status:200\tua:ELB-HealthChecker\tUA:x\n",
        // A repeat is one label, whatever its values.
        b"status:200\tua:x\tua:y\n",
        // The case first, then the type of `status`.
        b"status:OK\tStatus:200\n",
        // Beyond ASCII, as Unicode lowercases.
        "\u{c4}b:1\t\u{e4}b:2\n".as_bytes(),
    ]);
    let response = invoke(&event, &config).unwrap();
    let records = check_contract(&event, &response);
    assert_eq!(
        results(&records),
        [
            "Ok",
            "ProcessingFailed",
            "Dropped",
            "Ok",
            "ProcessingFailed",
            "ProcessingFailed"
        ]
    );
    let (_, summary) = transform(&event, &config).unwrap();
    let why = |first: &str, second: &str| {
        format!(
            "labels \"{first}\" and \"{second}\" differ only in case, which Athena ignores: \
             they would be one column"
        )
    };
    assert_eq!(
        failures(&summary),
        [
            ("1".to_owned(), Some(3), why("UA", "ua")),
            ("4".to_owned(), Some(1), why("status", "Status")),
            ("5".to_owned(), Some(1), why(r"\xc3\x84b", r"\xc3\xa4b")),
        ]
    );
    assert_eq!(
        (summary.ok, summary.dropped, summary.lines_excluded),
        (2, 1, 1)
    );
}

#[test]
fn lines_with_labels_the_format_does_not_declare_are_counted_in_a_metric() {
    let event = event_of(&[
        b"status:200\tua:x\n",
        // Two lines with labels the README's Apache format lacks.
        b"status:200\tupstream:a\tzz:1\nstatus:404\tzz:2\n\n",
        b"zz:1\tstatus:-\n",
        b"\n",
    ]);
    let apache = Config::default();
    let mut metrics = Vec::new();
    let response = invoke_with_metrics(&event, &apache, &mut metrics).unwrap();
    assert_eq!(
        results(&check_contract(&event, &response)),
        ["Ok", "Ok", "Ok", "Dropped"]
    );
    let (_, summary) = transform(&event, &apache).unwrap();
    assert_eq!(summary.lines_out, 4);
    assert_eq!(summary.lines_undeclared, 3);
    // The first label written that the format lacks: a name, never a value.
    assert_eq!(summary.first_undeclared_label.as_deref(), Some("upstream"));
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.contains("\"LinesWithUndeclaredLabels\":3"),
        "{metrics}"
    );

    // The output is the same without a format, but nothing is undeclared.
    let none = config(&[("LTSV_LOG_FORMAT", ""), ("LTSV_TYPES", "status:integer")]);
    let mut metrics = Vec::new();
    assert_eq!(
        invoke_with_metrics(&event, &none, &mut metrics).unwrap(),
        response
    );
    let (_, summary) = transform(&event, &none).unwrap();
    assert_eq!(
        (summary.lines_undeclared, summary.first_undeclared_label),
        (0, None)
    );
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.contains("\"LinesWithUndeclaredLabels\":0"),
        "{metrics}"
    );

    // Declared labels are matched exactly: another case is another label.
    let format = config(&[("LTSV_LOG_FORMAT", r"Status:%>s\tua:%{User-Agent}i")]);
    assert_eq!(
        format.log_format(),
        Some(&LogFormat::parse(r"Status:%>s\tua:%{User-Agent}i").unwrap())
    );
    let (_, summary) = transform(&event_of(&[b"status:200\n", b"Status:200\n"]), &format).unwrap();
    assert_eq!(summary.lines_undeclared, 1);
    assert_eq!(summary.first_undeclared_label.as_deref(), Some("status"));
}

/// A record that fails after some of its lines converted writes nothing:
/// the label the summary names (and the function logs at WARN) must be one
/// that was written, in an `Ok` record.
#[test]
fn the_first_undeclared_label_named_is_one_written() {
    let event = event_of(&[
        // Line 1, with `zz`, converts; line 2 fails the record.
        b"zz:1\nstatus:OK\n",
        b"status:200\tyy:1\n",
    ]);
    let (_, summary) = transform(&event, &Config::default()).unwrap();
    assert_eq!((summary.ok, summary.failed), (1, 1));
    assert_eq!(summary.lines_undeclared, 1);
    assert_eq!(summary.first_undeclared_label.as_deref(), Some("yy"));
}

// --- Requests that fail the invocation ----------------------------------------------

/// The error `transform` gives `request`, which must be `NotFirehoseEvent`;
/// for a request the runtime can deliver (one JSON value), the handler
/// must fail the same way.
fn refused(request: &str) -> String {
    let error = match transform(request, &Config::default()) {
        Err(error) => error,
        Ok((response, _)) => panic!("{request}: answered {}", response.get()),
    };
    assert!(
        matches!(error.kind(), ErrorKind::NotFirehoseEvent(_)),
        "{request}: {error:?}"
    );
    if serde_json::from_str::<Box<RawValue>>(request).is_ok() {
        let handled = invoke(request, &Config::default()).unwrap_err();
        assert_eq!(handled, error, "{request}");
    }
    error.to_string()
}

#[test]
fn a_request_that_is_not_a_firehose_event_fails_with_the_problem_named() {
    for (request, message) in [
        (
            "",
            "not a Firehose event: not JSON: EOF while parsing a value",
        ),
        (
            "{",
            "not a Firehose event: not JSON: EOF while parsing an object",
        ),
        (
            r#"{"records":["#,
            "not a Firehose event: not JSON: records: EOF while parsing a list",
        ),
        (
            r#"{"records":[{"recordId":"1","data":"YTox"}"#,
            "not a Firehose event: not JSON: records: EOF while parsing a list",
        ),
        (
            "{records:[]}",
            "not a Firehose event: not JSON: key must be a string",
        ),
        (
            "null",
            "not a Firehose event: expected a JSON object with a `records` list of objects, each with a string `recordId` and `data`, not null",
        ),
        (
            "[1,2]",
            "not a Firehose event: expected a JSON object with a `records` list of objects, each with a string `recordId` and `data`, not a list",
        ),
        ("{}", "not a Firehose event: missing field `records`"),
        (
            r#"{"Records":[]}"#,
            "not a Firehose event: missing field `records`",
        ),
        (
            r#"{"records":null}"#,
            "not a Firehose event: records: invalid type: null, expected a sequence",
        ),
        (
            r#"{"records":{}}"#,
            "not a Firehose event: records: invalid type: map, expected a sequence",
        ),
        (
            r#"{"records":[],"records":[]}"#,
            "not a Firehose event: duplicate field `records`",
        ),
        (
            r#"{"records":[1]}"#,
            "not a Firehose event: records[0]: invalid type: integer `1`",
        ),
        (
            r#"{"records":[{"data":"YTox"}]}"#,
            "not a Firehose event: records[0]: missing field `recordId`",
        ),
        (
            r#"{"records":[{"recordId":"1","data":"YTox"},{"recordId":"2"}]}"#,
            "not a Firehose event: records[1]: missing field `data`",
        ),
        (
            r#"{"records":[{"recordId":1,"data":"YTox"}]}"#,
            "not a Firehose event: records[0].recordId: invalid type: integer `1`",
        ),
        (
            r#"{"records":[{"recordId":null,"data":"YTox"}]}"#,
            "not a Firehose event: records[0].recordId: invalid type: null",
        ),
        (
            r#"{"records":[{"recordId":"1","data":7}]}"#,
            "not a Firehose event: records[0].data: invalid type: integer `7`",
        ),
        (
            r#"{"records":[{"recordId":"1","data":"\ud800"}]}"#,
            "not a Firehose event: not JSON: records[0].data: ",
        ),
    ] {
        let error = refused(request);
        assert!(error.starts_with(message), "{request}: {error}");
    }
    for data in ["null", "true", "1.5", "{}", r#"["YTox"]"#] {
        let request = format!(r#"{{"records":[{{"recordId":"1","data":{data}}}]}}"#);
        let error = refused(&request);
        assert!(
            error.starts_with("not a Firehose event: records[0].data: invalid type: "),
            "{request}: {error}"
        );
    }
}

/// Text after the event is refused with an error that names it. (Through
/// `handle` the runtime's own parse refuses such text first; this is
/// `transform`, which `ltsv2json invoke` also uses.)
#[test]
fn text_after_the_event_is_refused_and_named() {
    let error = refused(r#"{"records":[]} x"#);
    assert!(
        error.starts_with("not a Firehose event: not JSON: trailing characters"),
        "{error}"
    );
}

#[test]
fn fields_the_function_does_not_read_never_fail_a_batch() {
    // The reference types panic on a fractional timestamp; this function
    // never reads it, and takes fields it does not know in stride.
    let converted = ok_entry("r", b"{\"a\":\"1\"}\n");
    for timestamp in ["1.5", "-1", "1e400", "\"soon\"", "null", "[]"] {
        let request = format!(
            r#"{{"invocationId":"i","records":[{{"recordId":"r","approximateArrivalTimestamp":{timestamp},
                "kinesisRecordMetadata":{{"shardId":"s"}},"data":"YTox","extra":true}}]}}"#
        );
        let response = invoke_json(&request, &Config::default()).unwrap();
        assert_eq!(response, json!({"records": [converted]}), "{timestamp}");
    }
    // However deep they nest; `transform`, since the runtime's own parse
    // stops at 128 levels.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let request = format!(
        r#"{{"invocationId":{deep},"records":[{{"recordId":"r","kinesisRecordMetadata":{{"shardId":{deep}}},"data":"YTox","extra":{deep}}}],"extra":{deep}}}"#
    );
    let (response, _) = transform(&request, &Config::default()).unwrap();
    let response: Value = serde_json::from_str(response.get()).unwrap();
    assert_eq!(response, json!({"records": [converted]}));
}
