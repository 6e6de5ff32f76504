//! The handler against the Firehose contract, called the way the Lambda
//! runtime calls it, on the sample events and on batches built here.

use std::fs;
use std::path::Path;

use aws_lambda_events::event::firehose::{KinesisFirehoseEvent, KinesisFirehoseResponse};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::firehose::MAX_RESPONSE_BYTES;
use firehose_ltsv::{Config, EventError, handle};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;
use serde_json::value::RawValue;

fn config(vars: &[(&str, &str)]) -> Config {
    Config::from_vars(vars).unwrap()
}

fn invoke(event: &str, config: &Config) -> Result<String, EventError> {
    let payload: Box<RawValue> = serde_json::from_str(event).unwrap();
    handle(LambdaEvent::new(payload, Context::default()), config).map(|r| r.get().to_owned())
}

/// A Firehose event holding `records` as data, with ids "0", "1", ...
fn event_of(records: &[&[u8]]) -> String {
    let records: Vec<Value> = records
        .iter()
        .enumerate()
        .map(|(i, data)| {
            serde_json::json!({
                "recordId": i.to_string(),
                "approximateArrivalTimestamp": 1_624_868_568_000u64,
                "data": BASE64.encode(data),
            })
        })
        .collect();
    serde_json::json!({
        "invocationId": "00000000-0000-4000-8000-000000000000",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/test",
        "region": "us-east-1",
        "records": records,
    })
    .to_string()
}

/// One record of a response, decoded.
#[derive(Debug)]
struct Returned {
    id: String,
    result: String,
    data: Vec<u8>,
    raw_data: String,
    keys: Value,
}

/// Checks what every response must satisfy for `event`, and decodes it.
fn check_contract(event: &str, response: &str) -> Vec<Returned> {
    assert!(response.len() <= MAX_RESPONSE_BYTES);
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
                id: output["recordId"].as_str().unwrap().to_owned(),
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

fn sample_events() -> Vec<(String, String)> {
    let mut events: Vec<_> = fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("events"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&path).unwrap())
        })
        .collect();
    events.sort();
    events
}

#[test]
fn every_sample_event_meets_the_contract() {
    let config = Config::default();
    let events = sample_events();
    let names: Vec<_> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "apache.json",
            "bad-records.json",
            "empty.json",
            "nginx.json"
        ]
    );
    for (name, event) in &events {
        // The samples are Firehose events as far as the reference types can
        // tell, except bad-records.json, one of whose records is not base64:
        // the reference types reject the whole batch for it.
        let parsed = serde_json::from_str::<KinesisFirehoseEvent>(event);
        assert_eq!(parsed.is_ok(), name != "bad-records.json", "{name}");
        let response = invoke(event, &config).unwrap();
        check_contract(event, &response);
    }
}

#[test]
fn real_server_logs_convert_in_full() {
    let config = Config::default();
    for (name, event) in sample_events() {
        if name == "bad-records.json" || name == "empty.json" {
            continue;
        }
        let response = invoke(&event, &config).unwrap();
        let records = check_contract(&event, &response);
        assert!(records.iter().all(|r| r.result == "Ok"), "{name}");
        assert!(records.len() > 90, "{name}");
        for record in &records {
            let object: Value = serde_json::from_slice(&record.data).unwrap();
            assert!(object["status"].is_i64(), "{name}: {object}");
            let time = object["time"].as_str().unwrap();
            assert!(time.starts_with("2026-11-2"), "{name}: {time}");
        }
    }
}

#[test]
fn bad_records_fail_alone() {
    let event =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("events/bad-records.json"))
            .unwrap();
    let response = invoke(&event, &Config::default()).unwrap();
    let records = check_contract(&event, &response);
    assert_eq!(
        results(&records),
        [
            "Ok",
            "ProcessingFailed",
            "Ok",
            "ProcessingFailed",
            "ProcessingFailed",
            "Dropped",
            "Ok",
            "ProcessingFailed",
            "ProcessingFailed",
            "Ok"
        ]
    );
    assert_eq!(records[4].data, b"this is not base64!");
    assert_eq!(records[6].data.iter().filter(|&&b| b == b'\n').count(), 2);
}

#[test]
fn the_empty_batch_gives_an_empty_response() {
    let response = invoke(r#"{"records":[]}"#, &Config::default()).unwrap();
    assert_eq!(response, r#"{"records":[]}"#);
}

#[test]
fn a_request_that_is_not_a_firehose_event_fails_the_invocation() {
    for (event, expected) in [
        ("{}", "not a Firehose event: missing field `records`"),
        (
            r#"{"records":[{"data":"YQ=="}]}"#,
            "not a Firehose event: records[0]: missing field `recordId`",
        ),
        (
            r#"{"records":[{"recordId":"1","data":7}]}"#,
            "not a Firehose event: records[0].data: invalid type: integer `7`",
        ),
        (
            "[1,2]",
            "not a Firehose event: [0]: invalid type: integer `1`",
        ),
        ("null", "not a Firehose event: invalid type: null"),
    ] {
        let error = invoke(event, &Config::default()).unwrap_err().to_string();
        assert!(error.starts_with(expected), "{error}");
    }
}

#[test]
fn fields_the_function_does_not_need_are_ignored() {
    // aws_lambda_events panics on a fractional timestamp; this function never
    // reads it, and takes extra fields such as kinesisRecordMetadata in stride.
    let event = r#"{"invocationId":"i","records":[{"recordId":"r","approximateArrivalTimestamp":1.5,
        "kinesisRecordMetadata":{"shardId":"s"},"data":"YToxCg==","extra":true}]}"#;
    let response = invoke(event, &Config::default()).unwrap();
    let records = check_contract(event, &response);
    assert_eq!(records[0].data, b"{\"a\":\"1\"}\n");
}

#[test]
fn escaped_record_ids_and_data_come_back_intact() {
    // "bm9jb2xvbg==" is a line without a colon, so the record fails.
    let event = r#"{"records":[{"recordId":"a\"b\\c\u00e9","data":"bm9jb2xvbg\u003d\u003d"}]}"#;
    let response = invoke(event, &Config::default()).unwrap();
    let records = check_contract(event, &response);
    assert_eq!(records[0].id, "a\"b\\cé");
    assert_eq!(records[0].result, "ProcessingFailed");
    assert_eq!(records[0].raw_data, "bm9jb2xvbg==");
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
        serde_json::json!({"year":"2021","month":"12","day":"31","hour":"23","vhost":"www.example.com"})
    );
    // With partitioning off, every record still carries empty metadata, which
    // Firehose ignores and the reference response type requires.
    let response = invoke(&event, &Config::default()).unwrap();
    let records = check_contract(&event, &response);
    assert_eq!(results(&records), ["Ok", "Ok", "Dropped"]);
    assert_eq!(records[0].keys, serde_json::json!({}));
}

#[test]
fn records_that_would_overflow_the_response_fail_with_their_data() {
    // Each control byte becomes six (`\u0001`), and base64 adds a third: a
    // batch of such records can't all come back converted.
    let line = [b"a:".as_slice(), &[1u8; 150_000], b"\n"].concat();
    let records: Vec<&[u8]> = vec![&line; 12];
    let event = event_of(&records);
    assert!(event.len() < 2_500_000);
    let response = invoke(&event, &Config::default()).unwrap();
    assert!(response.len() <= MAX_RESPONSE_BYTES);
    let records = check_contract(&event, &response);
    let ok = records.iter().take_while(|r| r.result == "Ok").count();
    assert!((1..12).contains(&ok), "{ok} of 12 fit");
    assert!(records[ok..].iter().all(|r| r.result == "ProcessingFailed"));
    // The first records that fit are converted, not just echoed back.
    let object: Value = serde_json::from_slice(&records[0].data).unwrap();
    assert_eq!(object["a"].as_str().unwrap().len(), 150_000);
}

#[test]
fn a_batch_too_large_even_when_returned_unchanged_fails_the_invocation() {
    let line = vec![b'a'; 4_600_000];
    let event = event_of(&[&line]);
    let error = invoke(&event, &Config::default()).unwrap_err();
    assert!(matches!(error, EventError::ResponseTooLarge(_)), "{error}");
}

#[test]
fn a_full_size_batch_fits_by_leaving_out_empty_metadata() {
    // Lambda takes requests up to 6 MB. Returned with an empty metadata
    // object each, these records would not fit even unconverted; without
    // it they always do, since a failed entry is shorter than the
    // request's entry for the same record.
    let log = fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/apache_access.ltsv"))
        .unwrap();
    let lines: Vec<&[u8]> = log.split_inclusive(|&b| b == b'\n').collect();
    let records: Vec<&[u8]> = lines.iter().copied().cycle().take(13_800).collect();
    let event = event_of(&records);
    assert!(
        (5_500_000..6_291_456).contains(&event.len()),
        "{}",
        event.len()
    );

    let response = invoke(&event, &Config::default()).unwrap();
    assert!(response.len() <= MAX_RESPONSE_BYTES);
    let request: Value = serde_json::from_str(&event).unwrap();
    let response: Value = serde_json::from_str(&response).unwrap();
    let outputs = response["records"].as_array().unwrap();
    assert_eq!(outputs.len(), records.len());
    let ok = outputs.iter().filter(|r| r["result"] == "Ok").count();
    assert!((1..records.len()).contains(&ok), "{ok} converted");
    for (output, input) in outputs.iter().zip(request["records"].as_array().unwrap()) {
        assert_eq!(output["recordId"], input["recordId"]);
        if output["result"] == "Ok" {
            assert_eq!(output["metadata"], serde_json::json!({"partitionKeys": {}}));
        } else {
            assert_eq!(output["result"], "ProcessingFailed");
            assert_eq!(output["data"], input["data"]);
            assert!(output.get("metadata").is_none());
        }
    }
}

/// Checks a line against the Embedded Metric Format specification's
/// requirements, and returns it parsed.
fn check_emf(line: &str) -> Value {
    let root: Value = serde_json::from_str(line).expect("an EMF line is one JSON object");
    let aws = root["_aws"].as_object().expect("_aws is an object");
    assert!(
        aws["Timestamp"].is_u64(),
        "Timestamp is a number of milliseconds"
    );
    let directives = aws["CloudWatchMetrics"].as_array().unwrap();
    assert!(!directives.is_empty());
    for directive in directives {
        let namespace = directive["Namespace"].as_str().unwrap();
        assert!((1..=255).contains(&namespace.len()));
        for set in directive["Dimensions"].as_array().unwrap() {
            let set = set.as_array().unwrap();
            assert!(set.len() <= 30, "at most 30 dimensions in a set");
            for dimension in set {
                let name = dimension.as_str().unwrap();
                assert!(
                    root[name].is_string(),
                    "dimension {name} is a string member"
                );
            }
        }
        let metrics = directive["Metrics"].as_array().unwrap();
        assert!((1..=100).contains(&metrics.len()), "1 to 100 metrics");
        for metric in metrics {
            let name = metric["Name"].as_str().unwrap();
            assert!((1..=1024).contains(&name.len()));
            if let Some(unit) = metric.get("Unit") {
                assert!(
                    ["Count", "Bytes"].contains(&unit.as_str().unwrap()),
                    "{unit}"
                );
            }
            assert!(root[name].is_number(), "metric {name} is a number member");
        }
    }
    root
}

#[test]
fn each_invocation_writes_one_emf_line_of_its_counts() {
    let config = config(&[("LTSV_DROP", "ua^=ELB-HealthChecker")]);
    let event = event_of(&[
        b"status:200\tua:curl\nstatus:204\tua:ELB-HealthChecker/2.0\n",
        b"ua:ELB-HealthChecker/2.0\n",
        b"status:oops\n",
    ]);
    let payload: Box<RawValue> = serde_json::from_str(&event).unwrap();
    let mut metrics = Vec::new();
    let response = firehose_ltsv::handle_with_metrics(
        LambdaEvent::new(payload, Context::default()),
        &config,
        &mut metrics,
    )
    .unwrap();
    let text = String::from_utf8(metrics).unwrap();
    assert_eq!(text.lines().count(), 1);
    let emf = check_emf(&text);
    assert_eq!(
        emf["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "FirehoseLtsv"
    );
    assert_eq!(emf["DeliveryStream"], "test");
    for (name, value) in [
        ("RecordsIn", 3),
        ("RecordsOk", 1),
        ("RecordsDropped", 1),
        ("RecordsFailed", 1),
        ("LinesOut", 1),
        ("LinesDropped", 2),
        // Every record's decoded bytes, failed ones included.
        ("BytesIn", 55 + 25 + 12),
        // `{"status":200,"ua":"curl"}` and its newline.
        ("BytesOut", 27),
    ] {
        assert_eq!(emf[name], value, "{name}");
    }
    assert_eq!(emf["ResponseBytes"], response.get().len());

    let quiet = self::config(&[("METRICS_NAMESPACE", "")]);
    let payload: Box<RawValue> = serde_json::from_str(&event).unwrap();
    let mut metrics = Vec::new();
    firehose_ltsv::handle_with_metrics(
        LambdaEvent::new(payload, Context::default()),
        &quiet,
        &mut metrics,
    )
    .unwrap();
    assert!(metrics.is_empty());
}

#[test]
fn the_documented_nginx_settings_type_the_nginx_sample() {
    // The README's nginx settings: $request_time as float, times typed,
    // $upstream_response_time (which can list several upstreams) a string.
    let config = config(&[
        (
            "LTSV_TYPES",
            "time:time,status:integer,size:integer,reqtime:float,time_iso8601:time,msec:time",
        ),
        ("LTSV_SPLIT_REQUEST", "req"),
    ]);
    let event = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("events/nginx.json"))
        .unwrap();
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
