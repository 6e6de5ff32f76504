//! What the function writes besides its response: one INFO summary per
//! invocation and one WARN per failed record, with its `recordId`, line
//! number and reason, and never the records' contents (client addresses,
//! credentials, e-mail addresses, cookies, URLs), which the README promises
//! are not logged at INFO or WARN; one metrics line in CloudWatch's
//! Embedded Metric Format. Logs are captured from the handler with a
//! subscriber at TRACE, so that nothing is filtered out before it is
//! checked.

mod common;

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{STREAM, config, event, event_of, invoke_with_metrics};
use firehose_ltsv::Config;
use serde_json::{Value, json};
use tracing::Level;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Client data that must never reach a log.
const SECRETS: [&str; 9] = [
    "203.0.113.77",
    "Authorization: Bearer sk-live-4f9a8b7c6d5e3f2a1b0c",
    "sk-live-4f9a8b7c6d5e3f2a1b0c",
    "alice@example.com",
    "SESSIONID=9f8e7d6c5b4a39281706",
    "9f8e7d6c5b4a39281706",
    "/account?token=tok_123secret",
    "tok_123secret",
    "SecretBrowser/9.1",
];

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("logs are UTF-8")
    }
}

/// The tests here install a subscriber for their thread only; running them
/// one at a time keeps tracing's per-callsite caches out of the picture.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A record: its id and its `data` as sent.
type Record = (&'static str, String);

/// A record of `text`, base64-encoded.
fn base64(id: &'static str, text: &str) -> Record {
    (id, BASE64.encode(text))
}

/// A record whose data is `text` as it is, which is not base64.
fn raw(id: &'static str, text: &str) -> Record {
    (id, text.to_owned())
}

/// What one invocation wrote: the response, the log as JSON events, and
/// the metrics line.
struct Invocation {
    response: Value,
    events: Vec<Value>,
    log: String,
    metrics: String,
}

/// Runs the handler under a JSON subscriber at TRACE.
fn logged_json(records: &[Record], config: &Config) -> Invocation {
    let _serial = one_at_a_time();
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_writer(captured.clone())
        .finish();
    let mut metrics = Vec::new();
    let response = tracing::subscriber::with_default(subscriber, || {
        invoke_with_metrics(&event(records), config, &mut metrics)
    })
    .unwrap();
    let log = captured.text();
    let events = log
        .lines()
        .map(|line| serde_json::from_str(line).expect("each log line is one JSON event"))
        .collect();
    Invocation {
        response: serde_json::from_str(&response).unwrap(),
        events,
        log,
        metrics: String::from_utf8(metrics).unwrap(),
    }
}

/// Runs the handler under the text format, at INFO, as in Lambda.
fn logged_text(records: &[Record], config: &Config) -> String {
    let _serial = one_at_a_time();
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_target(false)
        .without_time()
        .with_max_level(Level::INFO)
        .with_writer(captured.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        invoke_with_metrics(&event(records), config, &mut io::sink())
    })
    .unwrap();
    captured.text()
}

/// Everything a log must not hold for `records`: the secrets, each
/// record's data as sent, and each decodable record's text and its lines.
fn forbidden(records: &[Record]) -> Vec<String> {
    let mut forbidden: Vec<String> = SECRETS.iter().map(|s| s.to_string()).collect();
    for (_, data) in records {
        forbidden.push(data.clone());
        if let Ok(decoded) = BASE64.decode(data) {
            let text = String::from_utf8(decoded).unwrap();
            forbidden.extend(
                text.lines()
                    .filter(|line| line.len() > 12)
                    .map(str::to_owned),
            );
        }
    }
    forbidden
}

/// Checks that no INFO, WARN or ERROR output holds anything forbidden, in
/// the text as written and in its decoded fields.
fn assert_nothing_leaks(invocation: &Invocation, records: &[Record]) {
    let forbidden = forbidden(records);
    for (line, event) in invocation.log.lines().zip(&invocation.events) {
        let level = event["level"].as_str().unwrap();
        if !matches!(level, "INFO" | "WARN" | "ERROR") {
            continue;
        }
        let decoded = event.to_string();
        for secret in &forbidden {
            assert!(!line.contains(secret.as_str()), "{secret:?} logged: {line}");
            assert!(
                !decoded.contains(secret.as_str()),
                "{secret:?} logged: {decoded}"
            );
        }
    }
    for secret in &forbidden {
        assert!(
            !invocation.metrics.contains(secret.as_str()),
            "{secret:?} in the metrics line"
        );
    }
    // Nor does the converted output of an Ok record.
    for entry in invocation.response["records"].as_array().unwrap() {
        if entry["result"] == "Ok" {
            let data = entry["data"].as_str().unwrap();
            assert!(!invocation.log.contains(data));
        }
    }
}

/// The events at `level`.
fn at(invocation: &Invocation, level: &str) -> Vec<Value> {
    invocation
        .events
        .iter()
        .filter(|event| event["level"] == level)
        .cloned()
        .collect()
}

/// The message of the warning about labels the log format does not declare.
const UNDECLARED: &str =
    "lines hold labels LTSV_LOG_FORMAT does not declare: the table has no column for them";

/// The WARN events about failed records, as (record id, line, reason).
fn warnings(invocation: &Invocation) -> Vec<(String, Option<u64>, String)> {
    at(invocation, "WARN")
        .iter()
        .filter(|event| event["fields"]["message"] != UNDECLARED)
        .map(|event| {
            let fields = &event["fields"];
            assert_eq!(fields["message"], "record failed", "{event}");
            (
                fields["record_id"].as_str().unwrap().to_owned(),
                fields["line"].as_u64(),
                fields["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Checks the one INFO summary's counts.
fn assert_summary(invocation: &Invocation, expected: &[(&str, usize)]) {
    let info = at(invocation, "INFO");
    assert_eq!(info.len(), 1, "one summary: {info:?}");
    let fields = &info[0]["fields"];
    assert_eq!(fields["message"], "batch transformed");
    for (name, value) in expected {
        assert_eq!(fields[name], json!(value), "{name} in {fields}");
    }
    assert!(fields["elapsed_ms"].as_f64().unwrap() >= 0.0);
}

fn results(invocation: &Invocation) -> Vec<String> {
    invocation.response["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["recordId"].as_str().unwrap(),
                r["result"].as_str().unwrap()
            )
        })
        .collect()
}

/// A good line full of client data; its vhost gives the partition key.
const GOOD: &str = "time:[28/Jun/2021:17:22:48 +0900]\thost:203.0.113.77\t\
    req:GET /account?token=tok_123secret HTTP/1.1\tstatus:200\tsize:512\t\
    ua:SecretBrowser/9.1\tauth:Authorization: Bearer sk-live-4f9a8b7c6d5e3f2a1b0c\t\
    cookie:SESSIONID=9f8e7d6c5b4a39281706\temail:alice@example.com\tvhost:www.example.com";

/// Records that fail for each reason, every one full of client data.
fn strict_records() -> Vec<Record> {
    vec![
        base64("good", &format!("{GOOD}\n")),
        // Line 2: the second field has no ':'.
        base64(
            "no-colon",
            &format!(
                "{GOOD}\nhost:203.0.113.77\tAuthorization Bearer sk-live-4f9a8b7c6d5e3f2a1b0c\n"
            ),
        ),
        // Line 3 (after a blank one): a value that is not an integer.
        base64(
            "bad-type",
            &format!("{GOOD}\n\nstatus:alice@example.com\tvhost:www.example.com\n"),
        ),
        // A label with a space.
        base64(
            "bad-label",
            "user email:alice@example.com\tcookie:SESSIONID=9f8e7d6c5b4a39281706\n",
        ),
        // Not base64.
        raw(
            "not-base64",
            "203.0.113.77 Authorization: Bearer sk-live-4f9a8b7c6d5e3f2a1b0c alice@example.com",
        ),
        // No vhost for the partition key.
        base64(
            "no-vhost",
            "time:[28/Jun/2021:17:22:48 +0900]\thost:203.0.113.77\temail:alice@example.com\n",
        ),
        base64("blank", "\n\t\n"),
        // A date that does not exist.
        base64(
            "bad-time",
            "time:[31/Apr/2021:10:00:00 +0000]\thost:203.0.113.77\tvhost:www.example.com\n",
        ),
        // No vhost in line 1, the line the keys come from, and a bad type
        // in line 3: the first problem in line order is the one reported.
        base64(
            "keys-first",
            "host:203.0.113.77\temail:alice@example.com\n\nstatus:tok_123secret\tvhost:www.example.com\n",
        ),
    ]
}

#[test]
fn failed_records_are_logged_by_id_line_and_reason_without_their_contents() {
    let config = config(&[("PARTITION_KEYS", "vhost")]);
    let records = strict_records();
    let invocation = logged_json(&records, &config);
    assert_eq!(
        results(&invocation),
        [
            "good:Ok",
            "no-colon:ProcessingFailed",
            "bad-type:ProcessingFailed",
            "bad-label:ProcessingFailed",
            "not-base64:ProcessingFailed",
            "no-vhost:ProcessingFailed",
            "blank:Dropped",
            "bad-time:ProcessingFailed",
            "keys-first:ProcessingFailed",
        ]
    );
    assert_nothing_leaks(&invocation, &records);

    let warnings = warnings(&invocation);
    let expected: Vec<(String, Option<u64>, String)> = [
        (
            "no-colon",
            Some(2),
            "field 2 (byte 19): no ':' between label and value",
        ),
        (
            "bad-type",
            Some(3),
            "label \"status\": value is not a valid integer",
        ),
        (
            "bad-label",
            Some(1),
            "field 1 (byte 1): label holds ' ', outside [0-9A-Za-z_.-]",
        ),
        (
            "not-base64",
            None,
            "data is not valid base64: Invalid symbol 46, offset 3.",
        ),
        (
            "no-vhost",
            Some(1),
            "partition key: label \"vhost\" is missing, empty or null",
        ),
        (
            "bad-time",
            Some(1),
            "label \"time\": value is not a valid time",
        ),
        (
            "keys-first",
            Some(1),
            "partition key: label \"vhost\" is missing, empty or null",
        ),
    ]
    .iter()
    .map(|&(id, line, reason)| (id.to_owned(), line, reason.to_owned()))
    .collect();
    assert_eq!(warnings, expected);

    // Bytes in: every record that decodes; bytes out: the one Ok record.
    let decoded: usize = records
        .iter()
        .filter_map(|(_, data)| BASE64.decode(data).ok())
        .map(|d| d.len())
        .sum();
    let output = BASE64
        .decode(invocation.response["records"][0]["data"].as_str().unwrap())
        .unwrap();
    let counts = [
        ("records", "RecordsIn", 9),
        ("ok", "RecordsOk", 1),
        ("dropped", "RecordsDropped", 1),
        ("failed", "RecordsFailed", 7),
        ("lines_out", "LinesOut", 1),
        ("lines_dropped", "LinesDropped", 0),
        ("bytes_in", "BytesIn", decoded),
        ("bytes_out", "BytesOut", output.len()),
    ];
    let summary: Vec<(&str, usize)> = counts.iter().map(|&(log, _, n)| (log, n)).collect();
    assert_summary(&invocation, &summary);
    // The metrics line holds the same counts, and the stream's name.
    let metrics: Value = serde_json::from_str(&invocation.metrics).unwrap();
    assert_eq!(metrics["DeliveryStream"], STREAM);
    for (_, metric, n) in counts {
        assert_eq!(metrics[metric], n, "{metric}");
    }
    // Nothing else is logged at INFO or above.
    let others: Vec<&Value> = invocation
        .events
        .iter()
        .filter(|e| matches!(e["level"].as_str(), Some("ERROR")))
        .collect();
    assert!(others.is_empty(), "{others:?}");
}

#[test]
fn with_any_labels_failed_records_are_logged_without_their_contents() {
    let config = config(&[("LTSV_STRICT_LABELS", "false")]);
    let records = vec![
        base64(
            "good",
            "client ip:203.0.113.77\tAuthorization:Bearer sk-live-4f9a8b7c6d5e3f2a1b0c\n",
        ),
        // Line 2 starts with ':': an empty label.
        base64(
            "empty-label",
            "client ip:203.0.113.77\n:alice@example.com\n",
        ),
        base64(
            "no-colon",
            "alice@example.com SESSIONID=9f8e7d6c5b4a39281706\n",
        ),
        base64(
            "bad-type",
            "size:sk-live-4f9a8b7c6d5e3f2a1b0c\tua:SecretBrowser/9.1\n",
        ),
        raw("not-base64", "tok_123secret=="),
    ];
    let invocation = logged_json(&records, &config);
    assert_eq!(
        results(&invocation),
        [
            "good:Ok",
            "empty-label:ProcessingFailed",
            "no-colon:ProcessingFailed",
            "bad-type:ProcessingFailed",
            "not-base64:ProcessingFailed",
        ]
    );
    assert_nothing_leaks(&invocation, &records);
    let expected: Vec<(String, Option<u64>, String)> = [
        ("empty-label", Some(2), "field 1 (byte 1): empty label"),
        (
            "no-colon",
            Some(1),
            "field 1 (byte 1): no ':' between label and value",
        ),
        (
            "bad-type",
            Some(1),
            "label \"size\": value is not a valid integer",
        ),
        (
            "not-base64",
            None,
            "data is not valid base64: Invalid symbol 95, offset 3.",
        ),
    ]
    .iter()
    .map(|&(id, line, reason)| (id.to_owned(), line, reason.to_owned()))
    .collect();
    assert_eq!(warnings(&invocation), expected);
    assert_summary(
        &invocation,
        &[
            ("records", 5),
            ("ok", 1),
            ("dropped", 0),
            ("failed", 4),
            ("lines_out", 1),
        ],
    );
}

#[test]
fn a_time_kept_as_a_string_that_cannot_partition_is_logged_without_it() {
    // The bad time passes conversion as a string, then fails the
    // partition key it is needed for.
    let config = config(&[("LTSV_ON_TYPE_ERROR", "string"), ("PARTITION_KEYS", "hour")]);
    let records = vec![
        base64("good", &format!("{GOOD}\n")),
        base64(
            "bad-time",
            "time:alice@example.com\thost:203.0.113.77\tstatus:tok_123secret\n",
        ),
    ];
    let invocation = logged_json(&records, &config);
    assert_eq!(
        results(&invocation),
        ["good:Ok", "bad-time:ProcessingFailed"]
    );
    assert_nothing_leaks(&invocation, &records);
    assert_eq!(
        warnings(&invocation),
        [(
            "bad-time".to_owned(),
            Some(1),
            "no event time: label \"time\" is not a valid time".to_owned()
        )]
    );
    assert_summary(&invocation, &[("records", 2), ("ok", 1), ("failed", 1)]);
}

#[test]
fn the_text_format_lambda_uses_holds_no_record_contents_either() {
    let records = strict_records();
    let log = logged_text(&records, &config(&[("PARTITION_KEYS", "vhost")]));
    for secret in forbidden(&records) {
        assert!(!log.contains(&secret), "{secret:?} logged: {log}");
    }
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 9, "{log}");
    for (line, (id, number)) in lines.iter().zip([
        ("no-colon", Some(2)),
        ("bad-type", Some(3)),
        ("bad-label", Some(1)),
        ("not-base64", None),
        ("no-vhost", Some(1)),
        ("bad-time", Some(1)),
        ("keys-first", Some(1)),
    ]) {
        assert!(line.starts_with(" WARN record failed "), "{line}");
        assert!(line.contains(&format!("record_id={id} ")), "{line}");
        match number {
            Some(n) => assert!(line.contains(&format!(" line={n} ")), "{line}"),
            None => assert!(!line.contains(" line="), "{line}"),
        }
    }
    // The good line has labels Apache's format lacks; only the first is named.
    assert_eq!(
        lines[7],
        format!(" WARN {UNDECLARED} lines=1 first_label=auth")
    );
    assert!(
        lines[8]
            .starts_with(" INFO batch transformed records=9 ok=1 dropped=1 failed=7 lines_out=1 "),
        "{}",
        lines[8]
    );
}

#[test]
fn labels_the_format_does_not_declare_are_named_once_an_invocation_never_their_values() {
    let config = config(&[(
        "LTSV_LOG_FORMAT",
        r"time:%t\thost:%h\treq:%r\tstatus:%>s\tsize:%b\tua:%{User-Agent}i\tvhost:%{Host}i",
    )]);
    let records = vec![
        base64("first", &format!("{GOOD}\n")),
        base64("second", &format!("{GOOD}\n{GOOD}\n")),
        base64(
            "declared",
            "time:[28/Jun/2021:17:22:48 +0900]\tstatus:200\n",
        ),
    ];
    let invocation = logged_json(&records, &config);
    assert_eq!(
        results(&invocation),
        ["first:Ok", "second:Ok", "declared:Ok"]
    );
    assert_nothing_leaks(&invocation, &records);
    let drift: Vec<&Value> = invocation
        .events
        .iter()
        .filter(|event| event["fields"]["message"] == UNDECLARED)
        .collect();
    assert_eq!(drift.len(), 1, "once per invocation: {drift:?}");
    assert_eq!(drift[0]["level"], "WARN");
    assert_eq!(drift[0]["fields"]["first_label"], "auth");
    assert_eq!(drift[0]["fields"]["lines"], 3);
    assert!(warnings(&invocation).is_empty());
    assert!(
        invocation
            .metrics
            .contains("\"LinesWithUndeclaredLabels\":3"),
        "{}",
        invocation.metrics
    );
    // Without a format, nothing is undeclared.
    let none = logged_json(&records, &self::config(&[("LTSV_LOG_FORMAT", "")]));
    assert!(
        none.events
            .iter()
            .all(|e| e["fields"]["message"] != UNDECLARED)
    );
}

#[test]
fn the_leak_check_catches_a_logged_secret() {
    // The check above must fail when a record's content reaches the log,
    // whether as text, escaped in JSON, or as the record's base64.
    let records = strict_records();
    for leaked in [
        r#"{"level":"WARN","fields":{"message":"record failed","ua":"SecretBrowser/9.1"}}"#
            .to_owned(),
        r#"{"level":"INFO","fields":{"message":"x","ip":"203.0.113\u002e77"}}"#.to_owned(),
        format!(
            r#"{{"level":"ERROR","fields":{{"message":"x","data":"{}"}}}}"#,
            records[3].1
        ),
    ] {
        let invocation = Invocation {
            response: json!({"records": []}),
            events: vec![serde_json::from_str(&leaked).unwrap()],
            log: leaked.clone(),
            metrics: String::new(),
        };
        let caught =
            std::panic::catch_unwind(|| assert_nothing_leaks(&invocation, &records)).is_err();
        assert!(caught, "not caught: {leaked}");
    }
}

// --- Metrics ----------------------------------------------------------------------

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
    // Alone: tracing caches whether a log line is wanted when it is first
    // reached, and a handler running with no subscriber while another test
    // sets one up can leave that test's lines unwritten.
    let _serial = one_at_a_time();
    let config = config(&[("LTSV_DROP", "ua^=ELB-HealthChecker")]);
    let event = event_of(&[
        b"status:200\tua:curl\nstatus:204\tua:ELB-HealthChecker/2.0\n",
        b"ua:ELB-HealthChecker/2.0\n",
        b"status:oops\n",
    ]);
    let mut metrics = Vec::new();
    let response = invoke_with_metrics(&event, &config, &mut metrics).unwrap();
    let text = String::from_utf8(metrics).unwrap();
    assert_eq!(text.lines().count(), 1);
    let emf = check_emf(&text);
    assert_eq!(
        emf["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "FirehoseLtsv"
    );
    assert_eq!(
        emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["DeliveryStream"]])
    );
    assert_eq!(emf["DeliveryStream"], STREAM);
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
    assert_eq!(emf["ResponseBytes"], response.len());

    let quiet = self::config(&[("METRICS_NAMESPACE", "")]);
    let mut metrics = Vec::new();
    invoke_with_metrics(&event, &quiet, &mut metrics).unwrap();
    assert!(metrics.is_empty());
}
