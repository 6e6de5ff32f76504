//! The Lambda binary as Lambda runs it: a process talking to a stand-in
//! for the Lambda Runtime API on 127.0.0.1, with the log level and format
//! set the way Lambda's advanced logging controls set them; and what it
//! does with a bad setting, before the runtime starts.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use common::{command, project_file, run};
use serde_json::Value;

const LAMBDA: &str = env!("CARGO_BIN_EXE_firehose-ltsv");

/// What the function sent back for its one invocation, and what it wrote
/// to stdout (its logs and metrics) meanwhile.
struct Invocation {
    /// `response` or `error`, the last part of the path it posted to.
    outcome: String,
    body: String,
    stdout: String,
}

/// Serves one invocation of `event` to a new function process with
/// `env` set, and returns what it did.
fn invoke(event: &str, env: &[(&str, &str)]) -> Invocation {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let (posted, received) = mpsc::channel();
    let event = Arc::new(event.as_bytes().to_vec());
    let served = Arc::new(AtomicUsize::new(0));
    thread::spawn(move || {
        for stream in listener.incoming() {
            let (event, served, posted) = (event.clone(), served.clone(), posted.clone());
            thread::spawn(move || serve(stream.unwrap(), &event, &served, &posted));
        }
    });
    let mut function = function(&address.to_string(), env);
    let (path, body) = received
        .recv_timeout(Duration::from_secs(30))
        .expect("the function answers within 30 s");
    function.kill().unwrap();
    let output = function.wait_with_output().unwrap();
    Invocation {
        outcome: path.rsplit('/').next().unwrap().to_owned(),
        body: String::from_utf8(body).unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
    }
}

/// The function, started as Lambda starts it, seeing only the variables
/// Lambda sets and `env`.
fn function(runtime_api: &str, env: &[(&str, &str)]) -> Child {
    Command::new(LAMBDA)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "firehose-ltsv")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Answers one connection's requests: the first `next` gets the event,
/// later ones wait (the test ends the process); posts are handed to the
/// test.
fn serve(
    stream: TcpStream,
    event: &[u8],
    served: &AtomicUsize,
    posted: &mpsc::Sender<(String, Vec<u8>)>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    while let Some((method, path, body)) = read_request(&mut reader) {
        if method == "GET" {
            if served.fetch_add(1, Ordering::SeqCst) > 0 {
                thread::sleep(Duration::from_secs(60));
                return;
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Lambda-Runtime-Aws-Request-Id: request-1\r\n\
                 Lambda-Runtime-Deadline-Ms: 9999999999999\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:firehose-ltsv\r\n\r\n",
                event.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(event).unwrap();
        } else {
            stream
                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            let _ = posted.send((path, body));
        }
    }
}

/// One HTTP/1.1 request: method, path and body; `None` at the end of the
/// connection.
fn read_request(reader: &mut impl BufRead) -> Option<(String, String, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?.to_owned(), words.next()?.to_owned());
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
    }
    let len = headers
        .get("content-length")
        .map_or(0, |len| len.parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some((method, path, body))
}

fn bad_records() -> String {
    std::fs::read_to_string(project_file("events/bad-records.json")).unwrap()
}

/// The lines of `stdout` that are log lines, not the metrics line.
fn log_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|line| !line.contains("\"_aws\""))
        .collect()
}

#[test]
fn the_response_is_what_the_handler_returns_and_logs_are_text_by_default() {
    let event = bad_records();
    let invocation = invoke(&event, &[]);
    assert_eq!(invocation.outcome, "response");
    let (expected, _) =
        firehose_ltsv::transform(&event, &firehose_ltsv::Config::default()).unwrap();
    assert_eq!(invocation.body, expected.get());
    let logs = log_lines(&invocation.stdout);
    assert!(
        logs.iter()
            .any(|l| l.contains("INFO") && l.contains("batch transformed")),
        "{logs:?}"
    );
    assert_eq!(
        logs.iter().filter(|l| l.contains("WARN")).count(),
        5,
        "{logs:?}"
    );
    assert!(
        logs.iter()
            .all(|l| serde_json::from_str::<Value>(l).is_err()),
        "{logs:?}"
    );
    let metrics = invocation
        .stdout
        .lines()
        .filter(|l| l.contains("\"_aws\""))
        .count();
    assert_eq!(metrics, 1, "one metrics line");
}

#[test]
fn aws_lambda_log_format_json_makes_every_log_line_json() {
    let invocation = invoke(&bad_records(), &[("AWS_LAMBDA_LOG_FORMAT", "JSON")]);
    let logs = log_lines(&invocation.stdout);
    let levels: Vec<String> = logs
        .iter()
        .map(|line| {
            let line: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("{line}"));
            line["level"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(levels.iter().filter(|l| *l == "WARN").count(), 5);
    assert_eq!(levels.iter().filter(|l| *l == "INFO").count(), 1);
}

#[test]
fn aws_lambda_log_level_leaves_out_lower_levels() {
    let warn = invoke(&bad_records(), &[("AWS_LAMBDA_LOG_LEVEL", "WARN")]);
    let logs = log_lines(&warn.stdout);
    assert_eq!(logs.len(), 5, "{logs:?}");
    assert!(logs.iter().all(|l| l.contains("WARN")), "{logs:?}");
    // FATAL, Lambda's highest level, leaves errors only: none here.
    let fatal = invoke(&bad_records(), &[("AWS_LAMBDA_LOG_LEVEL", "FATAL")]);
    assert_eq!(log_lines(&fatal.stdout), Vec::<&str>::new());
    // It takes precedence over RUST_LOG, which works when it is unset.
    let both = invoke(
        &bad_records(),
        &[("AWS_LAMBDA_LOG_LEVEL", "ERROR"), ("RUST_LOG", "debug")],
    );
    assert_eq!(log_lines(&both.stdout), Vec::<&str>::new());
    let rust_log = invoke(&bad_records(), &[("RUST_LOG", "warn")]);
    assert_eq!(log_lines(&rust_log.stdout).len(), 5);
}

#[test]
fn a_request_that_is_not_an_event_is_a_failed_invocation() {
    let invocation = invoke(r#"{"Records":[]}"#, &[]);
    assert_eq!(invocation.outcome, "error");
    let error: Value = serde_json::from_str(&invocation.body).unwrap();
    assert_eq!(error["errorType"], "InvalidFirehoseEvent");
    assert!(
        error["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("not a Firehose event: ")
    );
}

#[test]
fn a_misspelt_variable_is_a_warning_at_start_up() {
    let invocation = invoke(
        &bad_records(),
        &[
            ("LTSV_TYPE", "status:integer"),
            ("AWS_LAMBDA_LOG_LEVEL", "WARN"),
        ],
    );
    let logs = log_lines(&invocation.stdout);
    assert!(
        logs[0].ends_with("LTSV_TYPE is not a setting; did you mean LTSV_TYPES?"),
        "{logs:?}"
    );
    assert!(logs[0].contains("WARN"), "{logs:?}");
    assert!(
        invoke(&bad_records(), &[("AWS_LAMBDA_LOG_LEVEL", "WARN")])
            .stdout
            .lines()
            .all(|l| !l.contains("not a setting"))
    );
}

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
