//! What several test files need: settings, the handler called as the
//! Lambda runtime calls it, Firehose events and responses, temporary
//! folders, and the project's binaries run as processes.
//!
//! The root package's tests use it as `mod common;`, the command line's
//! (`cli/tests`) as `#[path = "../../tests/common/mod.rs"] mod common;`, so
//! it uses only crates both have: base64, flate2, serde, serde_json and
//! firehose-ltsv.

// Each test file compiles this module for itself and uses only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::{Config, Error, MAX_RESPONSE_BYTES, SETTINGS, handle_with_metrics};
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use lambda_runtime::{Context, LambdaEvent};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

// --- Settings and the handler ------------------------------------------------

/// The settings `vars` give, every other variable unset.
pub(crate) fn config(vars: &[(&str, &str)]) -> Config {
    Config::from_vars(vars).unwrap()
}

/// The handler, called as the Lambda runtime calls it, its metrics line
/// written to `metrics`; every response it gives is checked to fit.
pub(crate) fn invoke_with_metrics(
    event: &str,
    config: &Config,
    metrics: &mut impl Write,
) -> Result<String, Error> {
    let payload: Box<RawValue> = serde_json::from_str(event).expect("test events are JSON");
    let response = handle_with_metrics(
        LambdaEvent::new(payload, Context::default()),
        config,
        metrics,
    )?;
    let response = response.get().to_owned();
    assert!(
        response.len() <= MAX_RESPONSE_BYTES,
        "{} bytes",
        response.len()
    );
    Ok(response)
}

/// The handler's response text, its metrics line kept off the test output.
pub(crate) fn invoke(event: &str, config: &Config) -> Result<String, Error> {
    invoke_with_metrics(event, config, &mut io::sink())
}

/// The handler's response, parsed.
pub(crate) fn invoke_json(event: &str, config: &Config) -> Result<Value, Error> {
    invoke(event, config).map(|response| serde_json::from_str(&response).unwrap())
}

// --- Firehose events and responses -------------------------------------------

/// The delivery stream every event built here names.
pub(crate) const STREAM: &str = "test";

/// A Firehose event as Firehose writes it, of records whose `recordId` and
/// `data` are given as JSON text (quoted, and escaped as the caller likes).
pub(crate) fn event_json(records: impl IntoIterator<Item = (String, String)>) -> String {
    let records: Vec<String> = records
        .into_iter()
        .map(|(id, data)| {
            format!(
                r#"{{"recordId":{id},"approximateArrivalTimestamp":1624868568000,"data":{data}}}"#
            )
        })
        .collect();
    format!(
        concat!(
            r#"{{"invocationId":"00000000-0000-4000-8000-000000000000","#,
            r#""deliveryStreamArn":"arn:aws:firehose:us-east-1:123456789012:deliverystream/{}","#,
            r#""region":"us-east-1","records":[{}]}}"#
        ),
        STREAM,
        records.join(",")
    )
}

/// A Firehose event of `(recordId, data)` records, `data` sent as given.
pub(crate) fn event<I: AsRef<str>, D: AsRef<str>>(records: &[(I, D)]) -> String {
    let quote = |text: &str| serde_json::to_string(text).unwrap();
    event_json(
        records
            .iter()
            .map(|(id, data)| (quote(id.as_ref()), quote(data.as_ref()))),
    )
}

/// A Firehose event holding `records` as data, base64-encoded, with ids
/// "0", "1", ...
pub(crate) fn event_of(records: &[&[u8]]) -> String {
    let records: Vec<(String, String)> = records
        .iter()
        .enumerate()
        .map(|(i, data)| (i.to_string(), BASE64.encode(data)))
        .collect();
    event(&records)
}

/// Every character of `text` as a `\uXXXX` escape, quoted: JSON a writer
/// may legally send for it.
pub(crate) fn escape_every_char(text: &str) -> String {
    let mut json = String::from("\"");
    for unit in text.encode_utf16() {
        json.push_str(&format!("\\u{unit:04x}"));
    }
    json.push('"');
    json
}

/// The sample events, `events/*.json`: each one's file name and path, by
/// name.
pub(crate) fn sample_events() -> Vec<(String, String)> {
    let mut events: Vec<(String, String)> = fs::read_dir(project_file("events"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            (name, path.to_str().unwrap().to_owned())
        })
        .collect();
    events.sort();
    events
}

/// The `Ok` entry of record `id` converted to `output`, without partition
/// keys.
pub(crate) fn ok_entry(id: &str, output: &[u8]) -> Value {
    json!({
        "recordId": id,
        "result": "Ok",
        "data": BASE64.encode(output),
        "metadata": {"partitionKeys": {}},
    })
}

/// The entry of record `id` failed, with `data` as it comes back.
pub(crate) fn failed_entry(id: &str, data: &str) -> Value {
    json!({
        "recordId": id,
        "result": "ProcessingFailed",
        "data": data,
        "metadata": {"partitionKeys": {}},
    })
}

/// The entry of record `id` dropped.
pub(crate) fn dropped_entry(id: &str) -> Value {
    json!({
        "recordId": id,
        "result": "Dropped",
        "data": "",
        "metadata": {"partitionKeys": {}},
    })
}

/// What JSON writes for each byte below 0x20 inside a string.
const CONTROL_JSON: [&str; 32] = [
    r"\u0000", r"\u0001", r"\u0002", r"\u0003", r"\u0004", r"\u0005", r"\u0006", r"\u0007", r"\b",
    r"\t", r"\n", r"\u000b", r"\f", r"\r", r"\u000e", r"\u000f", r"\u0010", r"\u0011", r"\u0012",
    r"\u0013", r"\u0014", r"\u0015", r"\u0016", r"\u0017", r"\u0018", r"\u0019", r"\u001a",
    r"\u001b", r"\u001c", r"\u001d", r"\u001e", r"\u001f",
];

/// The text of a byte inside a JSON string: its escape below 0x20, itself
/// otherwise (DEL needs no escape).
pub(crate) fn json_char(byte: u8) -> String {
    match CONTROL_JSON.get(usize::from(byte)) {
        Some(escape) => (*escape).to_owned(),
        None => char::from(byte).to_string(),
    }
}

/// One entry of a response, every member as sent; for responses too large
/// to compare as `Value`s, and where no reference type is at hand.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    #[serde(rename = "recordId")]
    pub(crate) id: String,
    pub(crate) result: String,
    pub(crate) data: String,
    pub(crate) metadata: Option<Value>,
}

/// The entries of a response.
pub(crate) fn entries(response: &str) -> Vec<Entry> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Response {
        records: Vec<Entry>,
    }
    serde_json::from_str::<Response>(response)
        .expect("a response is {\"records\":[...]}")
        .records
}

/// The metadata of a record that is not `Ok`, or of one without partition
/// keys, when there is room for it.
pub(crate) const EMPTY_METADATA: &str = r#","metadata":{"partitionKeys":{}}"#;

/// A batch of `n` records that all fail (each a line without `:`), whose
/// every-record-failed response with empty metadata is exactly `size`
/// bytes: the first record's id is padded to reach it. Returns the event
/// and its `(recordId, data)` records.
pub(crate) fn all_failing_batch(n: usize, size: usize) -> (String, Vec<(String, String)>) {
    let data = BASE64.encode([&b"no colon "[..], &[b'x'; 4400][..], b"\n"].concat());
    let entry = |id: &str| {
        r#"{"recordId":"","result":"ProcessingFailed","data":""}"#.len()
            + EMPTY_METADATA.len()
            + id.len()
            + data.len()
    };
    let mut ids: Vec<String> = (0..n).map(|i| format!("{i:04}")).collect();
    let total = |ids: &[String]| {
        r#"{"records":[]}"#.len() + ids.iter().map(|id| entry(id)).sum::<usize>() + (n - 1)
    };
    let pad = size - total(&ids);
    ids[0].push_str(&"p".repeat(pad));
    assert_eq!(total(&ids), size);
    let records: Vec<(String, String)> = ids.into_iter().map(|id| (id, data.clone())).collect();
    (event(&records), records)
}

// --- Files -------------------------------------------------------------------

/// The path of a file of this project, as text.
pub(crate) fn project_file(relative: &str) -> String {
    // Both packages that use this module are one level or none below the
    // project: the root, and cli/.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = if manifest.join("template.yaml").exists() {
        manifest
    } else {
        manifest.parent().unwrap()
    };
    root.join(relative).to_str().unwrap().to_owned()
}

/// A fresh folder under the temporary directory, removed when dropped.
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "firehose-ltsv-test-{}-{}-{name}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// Writes `contents` at `relative`, making its folders, and returns its
    /// path.
    pub(crate) fn file(&self, relative: &str, contents: &[u8]) -> String {
        let path = self.0.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    }

    /// The path of `relative` in this folder, which need not exist.
    pub(crate) fn join(&self, relative: &str) -> String {
        self.0.join(relative).to_str().unwrap().to_owned()
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// One gzip member holding `data`.
pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// One gzip member per part, one after the other, as concatenated gzip
/// files are.
pub(crate) fn gzip_members(parts: &[&[u8]]) -> Vec<u8> {
    parts.iter().flat_map(|part| gzip(part)).collect()
}

/// The text of gzip data, all its members.
pub(crate) fn gunzip(gzip: &[u8]) -> String {
    let mut text = String::new();
    io::Read::read_to_string(&mut MultiGzDecoder::new(gzip), &mut text).unwrap();
    text
}

/// Every file under `dir`, with its bytes, in path order.
pub(crate) fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            let bytes = fs::read(&path).unwrap();
            out.push((path, bytes));
        }
    }
    out.sort();
    out
}

/// Every gzip file under `dir`: its folder (relative) and name, and its
/// decompressed text, in path order.
pub(crate) fn read_tree(dir: &Path) -> Vec<(String, String, String)> {
    files_under(dir)
        .into_iter()
        .map(|(path, bytes)| {
            let folder = path.parent().unwrap().strip_prefix(dir).unwrap();
            (
                folder.to_str().unwrap().to_owned(),
                path.file_name().unwrap().to_str().unwrap().to_owned(),
                gunzip(&bytes),
            )
        })
        .collect()
}

/// Each hour's folder and its files' text concatenated in name order.
pub(crate) fn by_hour(tree: &[(String, String, String)]) -> BTreeMap<String, String> {
    let mut hours = BTreeMap::<String, String>::new();
    for (folder, _, text) in tree {
        hours.entry(folder.clone()).or_default().push_str(text);
    }
    hours
}

/// Checks that files are named `ltsv2json-PID-YYYYMMDDTHHMMSSZ-SEQ.json.gz`.
pub(crate) fn check_names(tree: &[(String, String, String)], pid: u32) {
    for (_, name, _) in tree {
        let rest = name
            .strip_prefix(&format!("ltsv2json-{pid}-"))
            .and_then(|rest| rest.strip_suffix(".json.gz"))
            .unwrap_or_else(|| panic!("{name}"));
        let (stamp, seq) = rest.split_once('-').unwrap_or_else(|| panic!("{name}"));
        assert_eq!(stamp.len(), 16, "{name}");
        assert_eq!((&stamp[8..9], &stamp[15..]), ("T", "Z"), "{name}");
        assert_eq!(seq.len(), 6, "{name}");
        assert!(seq.bytes().all(|b| b.is_ascii_digit()), "{name}");
    }
}

// --- Processes ---------------------------------------------------------------

/// A command that sees none of this machine's settings, so that only what a
/// test sets can change the outcome.
pub(crate) fn command(program: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        if let Some(name) = name.to_str()
            && (name.starts_with("LTSV_") || name.starts_with("AWS_LAMBDA_") || name == "RUST_LOG")
        {
            command.env_remove(name);
        }
    }
    for setting in SETTINGS {
        command.env_remove(setting.variable);
    }
    command.envs(env.iter().copied());
    command
}

/// What a finished command did.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// The process id, which names backfill files.
    pub(crate) pid: u32,
}

/// Runs `command` with `stdin` as its input.
pub(crate) fn run(mut command: Command, stdin: &[u8]) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Written from another thread: a child that streams its output could
    // otherwise fill its stdout pipe while this one waits to write.
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // A child that exits without reading closes the pipe; that is its
        // business, and its exit status tells the test what happened.
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        pid,
    }
}

/// Runs `ltsv2json` with `args`, `env` and `stdin`. Cargo builds the
/// command line only for its own package's tests (`cli/tests`).
pub(crate) fn ltsv2json(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let Some(program) = option_env!("CARGO_BIN_EXE_ltsv2json") else {
        panic!("ltsv2json is built only for the tests in cli/tests");
    };
    let mut command = command(program, env);
    command.args(args);
    run(command, stdin)
}

/// One line of a processing-failed error object holding `raw` as its
/// record's data, as Firehose writes them.
pub(crate) fn error_line(raw: &[u8]) -> String {
    let object = serde_json::json!({
        "attemptsMade": 1,
        "arrivalTimestamp": 1624868568000u64,
        "errorCode": "Lambda.ProcessingFailed",
        "errorMessage": "The Lambda function was successfully invoked but it returned an error result.",
        "attemptEndingTimestamp": 1624868569000u64,
        "rawData": BASE64.encode(raw),
        "lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:firehose-ltsv:$LATEST",
    });
    format!("{object}\n")
}
