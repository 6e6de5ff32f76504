//! `ltsv2json`: the function's conversion on the command line, and a local
//! stand-in for invoking the Lambda function on a Firehose event.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::config::VARIABLES;
use firehose_ltsv::{Config, Converter, handle_with_metrics, ltsv};
use lambda_runtime::{Context, LambdaEvent};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

const USAGE: &str = "\
Convert LTSV access logs to newline-delimited JSON, as the firehose-ltsv
Lambda function does.

Usage:
  ltsv2json [OPTIONS] [FILE...]
      Convert LTSV lines (from stdin when no FILE or FILE is -) to JSON lines
      on stdout. Bad lines are reported on stderr as FILE:LINE: reason, and
      the exit status is 1 if there were any.
  ltsv2json [OPTIONS] invoke [--decode] EVENT.json
      Run the Lambda handler on a Firehose event file (- for stdin) and
      print its response.
      --decode prints each record's result and decoded data instead.
  ltsv2json event [FILE...]
      Wrap log lines into a Firehose event, one record per line.

Options (each overrides the environment variable named after it):
  --strict-labels true|false    LTSV_STRICT_LABELS
  --unescape true|false         LTSV_UNESCAPE
  --null-values LIST            LTSV_NULL_VALUES
  --types LABEL:TYPE,...        LTSV_TYPES
  --on-type-error fail|null|string
                                LTSV_ON_TYPE_ERROR
  --partition-keys LIST         PARTITION_KEYS
  -h, --help                    Show this help
  -V, --version                 Show the version
";

/// Exit status for usage, configuration and I/O errors.
const EXIT_USAGE: u8 = 2;

enum Command {
    Convert(Vec<OsString>),
    Invoke { event: OsString, decode: bool },
    Event(Vec<OsString>),
}

struct Args {
    command: Command,
    overrides: Vec<(&'static str, String)>,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error)
            if error.downcast_ref::<io::Error>().map(io::Error::kind)
                == Some(io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ltsv2json: {error}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let Some(args) = parse_args()? else {
        return Ok(ExitCode::SUCCESS);
    };
    let config = || {
        Config::from_lookup(|name| {
            args.overrides
                .iter()
                .rev()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| value.clone())
                .or_else(|| std::env::var(name).ok())
        })
    };
    match &args.command {
        Command::Convert(files) => convert(files, &config()?),
        Command::Invoke { event, decode } => invoke(event, *decode, &config()?),
        Command::Event(files) => event(files),
    }
}

fn parse_args() -> Result<Option<Args>, lexopt::Error> {
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_env();
    let mut overrides = Vec::new();
    let mut subcommand: Option<String> = None;
    let mut decode = false;
    let mut files = Vec::new();
    while let Some(arg) = parser.next()? {
        match arg {
            Short('h') | Long("help") => {
                print!("{USAGE}");
                return Ok(None);
            }
            Short('V') | Long("version") => {
                println!("ltsv2json {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            Long("decode") if subcommand.as_deref() == Some("invoke") => decode = true,
            Long(flag) if setting_variable(flag).is_some() => {
                let variable = setting_variable(flag).expect("checked by the guard");
                overrides.push((variable, parser.value()?.string()?));
            }
            Value(value) if subcommand.is_none() && files.is_empty() => match value.to_str() {
                Some(name @ ("invoke" | "event")) => subcommand = Some(name.to_owned()),
                _ => files.push(value),
            },
            Value(value) => files.push(value),
            _ => return Err(arg.unexpected()),
        }
    }
    let command = match subcommand.as_deref() {
        None => Command::Convert(files),
        Some("event") => Command::Event(files),
        _ => {
            let mut files = files.into_iter();
            match (files.next(), files.next()) {
                (Some(event), None) => Command::Invoke { event, decode },
                _ => return Err("invoke takes exactly one EVENT.json".into()),
            }
        }
    };
    Ok(Some(Args { command, overrides }))
}

/// The environment variable a `--flag` overrides: `--null-values` is
/// `LTSV_NULL_VALUES`, `--partition-keys` is `PARTITION_KEYS`.
fn setting_variable(flag: &str) -> Option<&'static str> {
    let name = flag.replace('-', "_").to_ascii_uppercase();
    VARIABLES
        .into_iter()
        .find(|variable| *variable == name || variable.strip_prefix("LTSV_") == Some(&name))
}

/// Opens each file (`-` or none for stdin) for reading, named for messages.
fn inputs(files: &[OsString]) -> impl Iterator<Item = io::Result<(String, Box<dyn BufRead>)>> {
    let files = if files.is_empty() {
        vec![OsString::from("-")]
    } else {
        files.to_vec()
    };
    files.into_iter().map(|file| {
        if file == "-" {
            return Ok((
                "<stdin>".to_owned(),
                Box::new(io::stdin().lock()) as Box<dyn BufRead>,
            ));
        }
        let name = file.to_string_lossy().into_owned();
        let opened =
            File::open(&file).map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))?;
        Ok((
            name,
            Box::new(BufReader::with_capacity(1 << 16, opened)) as Box<dyn BufRead>,
        ))
    })
}

fn convert(files: &[OsString], config: &Config) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut converter = Converter::new(config);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut line = Vec::new();
    let mut json = Vec::new();
    let mut failed = false;
    for input in inputs(files) {
        let (name, mut reader) = input?;
        let mut number = 0;
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            number += 1;
            json.clear();
            if let Err(error) = converter.convert_line(ltsv::trim_line_end(&line), &mut json) {
                eprintln!("{name}:{number}: {error}");
                failed = true;
            }
            out.write_all(&json)?;
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn invoke(
    path: &OsString,
    decode: bool,
    config: &Config,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let name = path.to_string_lossy();
    let text = if path == "-" {
        io::read_to_string(io::stdin())
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| format!("{name}: {e}"))?;
    lambda_runtime::tracing::init_default_subscriber_with_writer(io::stderr);
    // The runtime would reject a payload that is not JSON before the handler
    // runs; that too is a failed invocation.
    let response = serde_json::from_str::<Box<RawValue>>(&text)
        .map_err(|error| error.to_string())
        .and_then(|payload| {
            // Metrics go to stderr: stdout is the response.
            handle_with_metrics(
                LambdaEvent::new(payload, Context::default()),
                config,
                &mut io::stderr(),
            )
            .map_err(|error| error.to_string())
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
    metadata: ResponseMetadata,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResponseMetadata {
    partition_keys: serde_json::Map<String, serde_json::Value>,
}

/// Prints each record's id, result and partition keys, then its data
/// decoded, indented, one line per line.
fn print_decoded(out: &mut impl Write, response: &str) -> Result<(), Box<dyn std::error::Error>> {
    let response: Response = serde_json::from_str(response)?;
    for record in response.records {
        write!(out, "{} {}", record.record_id, record.result)?;
        for (key, value) in &record.metadata.partition_keys {
            write!(out, " {key}={}", value.as_str().unwrap_or_default())?;
        }
        writeln!(out)?;
        let data = match BASE64.decode(&record.data) {
            Ok(data) => data,
            Err(_) => record.data.into_bytes(),
        };
        for line in data.split_inclusive(|&b| b == b'\n') {
            writeln!(
                out,
                "    {}",
                String::from_utf8_lossy(ltsv::trim_line_end(line))
            )?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    invocation_id: String,
    delivery_stream_arn: &'static str,
    region: &'static str,
    records: Vec<EventRecord>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventRecord {
    record_id: String,
    approximate_arrival_timestamp: u64,
    data: String,
}

/// Writes a Firehose event holding each non-empty line of the inputs as one
/// record, line end included, as Kinesis Agent sends them.
fn event(files: &[OsString]) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?;
    let millis = u64::try_from(now.as_millis())?;
    let mut records = Vec::new();
    let mut line = Vec::new();
    for input in inputs(files) {
        let (_, mut reader) = input?;
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            if ltsv::trim_line_end(&line).is_empty() {
                continue;
            }
            records.push(EventRecord {
                record_id: format!(
                    "49546986683135544286507457936321625675700192471156{:06}",
                    records.len()
                ),
                approximate_arrival_timestamp: millis,
                data: BASE64.encode(&line),
            });
        }
    }
    let event = Event {
        invocation_id: format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (millis >> 16) as u32,
            millis as u16,
            now.subsec_nanos() & 0xfff,
            (now.subsec_nanos() >> 12) & 0xfff,
            records.len()
        ),
        delivery_stream_arn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/ltsv-access-logs",
        region: "us-east-1",
        records,
    };
    let mut json = serde_json::to_vec_pretty(&event)?;
    json.push(b'\n');
    io::stdout().lock().write_all(&json)?;
    Ok(ExitCode::SUCCESS)
}
