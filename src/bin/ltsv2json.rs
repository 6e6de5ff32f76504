//! `ltsv2json`: the function's conversion on the command line, backfilling
//! old logs and replaying failed records into the stream's S3 layout, and a
//! local stand-in for invoking the Lambda function on a Firehose event.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::backfill::{self, PartitionWriter};
use firehose_ltsv::config::VARIABLES;
use firehose_ltsv::convert::Converted;
use firehose_ltsv::time::DateHour;
use firehose_ltsv::{Config, Converter, handle_with_metrics, ltsv};
use flate2::read::MultiGzDecoder;
use lambda_runtime::{Context, LambdaEvent};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

const USAGE: &str = "\
Convert LTSV access logs to newline-delimited JSON, as the firehose-ltsv
Lambda function does.

Usage:
  ltsv2json [OPTIONS] [--out-dir DIR] [FILE...]
      Convert LTSV lines (from stdin when no FILE or FILE is -) to JSON lines
      on stdout. Bad lines are reported on stderr as FILE:LINE: reason, and
      the exit status is 1 if there were any.
  ltsv2json [OPTIONS] replay [--out-dir DIR] [FILE|DIR...]
      Convert again the records of Firehose error objects: the S3 objects
      under the processing-failed/ error prefix, from stdin when no FILE or
      FILE is -; a DIR is read recursively, and no object is read twice.
      Records that convert now go to stdout as JSON lines; those that still
      fail are reported on stderr as FILE:LINE: record line N: reason (LINE
      is the error object's line in FILE, N the line in the record), or
      FILE:LINE: reason when that line holds no usable record, and the exit
      status is 1 if there were any. A summary line ends the run.
  ltsv2json [OPTIONS] invoke [--decode] EVENT.json
      Run the Lambda handler on a Firehose event file (- for stdin) and
      print its response.
      --decode prints each record's result and decoded data instead.
  ltsv2json event [FILE...]
      Wrap log lines into a Firehose event, one record per line.

Input, from files or stdin, may be gzip-compressed (one or more members).

--out-dir DIR writes the JSON lines into DIR instead of stdout, as the
delivery stream lays them out in S3: gzip files under
DIR/year=YYYY/month=MM/day=DD/hour=HH/ by each line's event time in UTC
(the first label of type time in LTSV_TYPES). A line with no valid time
fails like any bad line (when replaying, with its whole record). Files
are new on every run, named ltsv2json-PID-STARTTIME-SEQ.json.gz; none is
ever overwritten. Progress shows on stderr when it is a terminal, and a
summary line ends the run. Then `aws s3 sync DIR s3://BUCKET/logs/` puts
the files where the stream's table reads them.

Options (each overrides the environment variable named after it):
  --strict-labels true|false    LTSV_STRICT_LABELS
  --unescape true|false         LTSV_UNESCAPE
  --null-values LIST            LTSV_NULL_VALUES
  --types LABEL:TYPE,...        LTSV_TYPES
  --on-type-error fail|null|string
                                LTSV_ON_TYPE_ERROR
  --split-request LABEL         LTSV_SPLIT_REQUEST
  --drop RULES                  LTSV_DROP
  --partition-keys LIST         PARTITION_KEYS
  --metrics-namespace NAME      METRICS_NAMESPACE (invoke only)
  -h, --help                    Show this help
  -V, --version                 Show the version
";

/// Exit status for usage, configuration and I/O errors.
const EXIT_USAGE: u8 = 2;

enum Command {
    Convert(Vec<OsString>),
    Replay(Vec<OsString>),
    Invoke { event: OsString, decode: bool },
    Event(Vec<OsString>),
}

struct Args {
    command: Command,
    overrides: Vec<(&'static str, String)>,
    out_dir: Option<PathBuf>,
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
    let out_dir = args.out_dir.as_deref();
    match &args.command {
        Command::Convert(files) => convert(files, &config()?, out_dir),
        Command::Replay(files) => replay(files, &config()?, out_dir),
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
    let mut out_dir = None;
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
            Long("out-dir") => out_dir = Some(PathBuf::from(parser.value()?)),
            Long(flag) if setting_variable(flag).is_some() => {
                let variable = setting_variable(flag).expect("checked by the guard");
                overrides.push((variable, parser.value()?.string()?));
            }
            Value(value) if subcommand.is_none() && files.is_empty() => match value.to_str() {
                Some(name @ ("invoke" | "event" | "replay")) => subcommand = Some(name.to_owned()),
                _ => files.push(value),
            },
            Value(value) => files.push(value),
            _ => return Err(arg.unexpected()),
        }
    }
    let command = match subcommand.as_deref() {
        None => Command::Convert(files),
        Some("replay") => Command::Replay(files),
        Some("event") => Command::Event(files),
        _ => {
            let mut files = files.into_iter();
            match (files.next(), files.next()) {
                (Some(event), None) => Command::Invoke { event, decode },
                _ => return Err("invoke takes exactly one EVENT.json".into()),
            }
        }
    };
    if out_dir.is_some() && matches!(command, Command::Invoke { .. } | Command::Event(_)) {
        return Err("--out-dir works only when converting or replaying".into());
    }
    Ok(Some(Args {
        command,
        overrides,
        out_dir,
    }))
}

/// The environment variable a `--flag` overrides: `--null-values` is
/// `LTSV_NULL_VALUES`, `--partition-keys` is `PARTITION_KEYS`.
fn setting_variable(flag: &str) -> Option<&'static str> {
    let name = flag.replace('-', "_").to_ascii_uppercase();
    VARIABLES
        .into_iter()
        .find(|variable| *variable == name || variable.strip_prefix("LTSV_") == Some(&name))
}

/// Opens each file (`-` or none for stdin) for reading, named for messages,
/// decompressing it if it starts as gzip does.
fn inputs(files: &[OsString]) -> impl Iterator<Item = io::Result<(String, Box<dyn BufRead>)>> {
    if files.is_empty() {
        open_each(vec![OsString::from("-")])
    } else {
        open_each(files.to_vec())
    }
}

/// Opens each of `files` (`-` for stdin) as [`inputs`] does.
fn open_each(files: Vec<OsString>) -> impl Iterator<Item = io::Result<(String, Box<dyn BufRead>)>> {
    files.into_iter().map(|file| {
        let (name, raw) = if file == "-" {
            (
                "<stdin>".to_owned(),
                Box::new(io::stdin().lock()) as Box<dyn Read>,
            )
        } else {
            let name = file.to_string_lossy().into_owned();
            let opened = File::open(&file).map_err(|e| in_file(&name, e))?;
            (name, Box::new(opened) as Box<dyn Read>)
        };
        let reader = decompressing(raw).map_err(|e| in_file(&name, e))?;
        Ok((name, reader))
    })
}

/// An I/O error that names its file.
fn in_file(name: &str, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{name}: {error}"))
}

/// `raw`, buffered, and decompressed when it starts with gzip's magic
/// bytes (1f 8b), however many gzip members follow one another.
fn decompressing(mut raw: Box<dyn Read>) -> io::Result<Box<dyn BufRead>> {
    let mut magic = [0; 2];
    let mut len = 0;
    while len < magic.len() {
        match raw.read(&mut magic[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    let raw = io::Cursor::new(magic[..len].to_vec()).chain(raw);
    Ok(if magic[..len] == [0x1f, 0x8b] {
        Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(raw)))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, raw))
    })
}

/// Reads one line, line end included, into `line` (cleared first); 0 at
/// the end of the input. Errors name the input.
fn read_line(name: &str, reader: &mut dyn BufRead, line: &mut Vec<u8>) -> io::Result<usize> {
    line.clear();
    reader.read_until(b'\n', line).map_err(|e| in_file(name, e))
}

fn convert(
    files: &[OsString],
    config: &Config,
    out_dir: Option<&Path>,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let Some(out_dir) = out_dir else {
        return convert_to_stdout(files, config);
    };
    let mut converter = Converter::new(config);
    let mut writer = PartitionWriter::new(out_dir);
    let mut tally = Tally::new(Unit::Lines);
    let mut line = Vec::new();
    let mut json = Vec::new();
    for input in inputs(files) {
        let (name, mut reader) = input?;
        let mut number = 0;
        while read_line(&name, &mut reader, &mut line)? > 0 {
            number += 1;
            tally.read += 1;
            let bytes = ltsv::trim_line_end(&line);
            json.clear();
            match converter.convert_line(bytes, &mut json) {
                Ok(Converted::Written) => match backfill::event_hour(config, bytes) {
                    Ok(hour) => {
                        writer.write_line(hour, &json)?;
                        tally.converted += 1;
                        tally.lines_written += 1;
                    }
                    Err(error) => tally.fail(format_args!("{name}:{number}: {error}")),
                },
                Ok(Converted::Blank | Converted::Dropped) => {}
                Err(error) => tally.fail(format_args!("{name}:{number}: {error}")),
            }
            tally.tick(&writer);
        }
    }
    tally.finish(Some(writer))
}

fn convert_to_stdout(
    files: &[OsString],
    config: &Config,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut converter = Converter::new(config);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut line = Vec::new();
    let mut json = Vec::new();
    let mut failed = false;
    for input in inputs(files) {
        let (name, mut reader) = input?;
        let mut number = 0;
        while read_line(&name, &mut reader, &mut line)? > 0 {
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

/// Why one record of an error object could not be replayed.
enum ReplayError {
    NotJson(serde_json::Error),
    NoRawData,
    RawDataNotString,
    RawDataNotBase64,
    /// A line of the record, with its number in the record.
    Line(usize, Box<dyn fmt::Display>),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::NotJson(error) => write!(f, "not a JSON object: {error}"),
            ReplayError::NoRawData => f.write_str("no \"rawData\""),
            ReplayError::RawDataNotString => f.write_str("\"rawData\" is not a string"),
            ReplayError::RawDataNotBase64 => f.write_str("\"rawData\" is not base64"),
            ReplayError::Line(number, error) => write!(f, "record line {number}: {error}"),
        }
    }
}

/// Where converted records go: stdout, or the hourly folders of `--out-dir`.
enum Sink<'a> {
    Stdout(BufWriter<io::StdoutLock<'a>>),
    Dir(PartitionWriter),
}

fn replay(
    files: &[OsString],
    config: &Config,
    out_dir: Option<&Path>,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    // No argument means stdin; a folder with nothing in it means nothing.
    let files = if files.is_empty() {
        vec![OsString::from("-")]
    } else {
        replay_files(files)?
    };
    let mut converter = Converter::new(config);
    let mut sink = match out_dir {
        Some(dir) => Sink::Dir(PartitionWriter::new(dir)),
        None => Sink::Stdout(BufWriter::with_capacity(1 << 16, io::stdout().lock())),
    };
    let mut tally = Tally::new(Unit::Records);
    let mut line = Vec::new();
    let mut record = Vec::new();
    let mut json = Vec::new();
    let mut hours = Vec::new();
    for input in open_each(files) {
        let (name, mut reader) = input?;
        let mut number = 0;
        while read_line(&name, &mut reader, &mut line)? > 0 {
            number += 1;
            let object = ltsv::trim_line_end(&line);
            if object.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            tally.read += 1;
            json.clear();
            hours.clear();
            let converted = decode_raw_data(object, &mut record).and_then(|()| match &sink {
                Sink::Stdout(_) => converter
                    .convert_record(&record, &mut json)
                    .map(|counts| counts.written)
                    .map_err(|e| ReplayError::Line(e.line, Box::new(e.error))),
                Sink::Dir(_) => convert_timed(&mut converter, &record, &mut json, &mut hours),
            });
            match converted {
                Ok(lines) => {
                    match &mut sink {
                        Sink::Stdout(out) => out.write_all(&json)?,
                        Sink::Dir(writer) => {
                            for &(hour, start, end) in &hours {
                                writer.write_line(hour, &json[start..end])?;
                            }
                        }
                    }
                    tally.converted += 1;
                    tally.lines_written += lines as u64;
                }
                Err(error) => tally.fail(format_args!("{name}:{number}: {error}")),
            }
            if let Sink::Dir(writer) = &sink {
                tally.tick(writer);
            }
        }
    }
    match sink {
        Sink::Stdout(mut out) => {
            out.flush()?;
            tally.finish(None)
        }
        Sink::Dir(writer) => tally.finish(Some(writer)),
    }
}

/// Decodes the `rawData` of one line of an error object into `record`.
fn decode_raw_data(object: &[u8], record: &mut Vec<u8>) -> Result<(), ReplayError> {
    let mut object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(object).map_err(ReplayError::NotJson)?;
    let raw = match object.remove("rawData") {
        None | Some(serde_json::Value::Null) => return Err(ReplayError::NoRawData),
        Some(serde_json::Value::String(raw)) => raw,
        Some(_) => return Err(ReplayError::RawDataNotString),
    };
    record.clear();
    BASE64
        .decode_vec(raw.as_bytes(), record)
        .map_err(|_| ReplayError::RawDataNotBase64)
}

/// Converts every line of `record` as `Converter::convert_record` does,
/// also noting each written line's hour and place in `json`; a line that
/// fails, or has no event time, fails the whole record, so that a record
/// is either replayed whole or not at all.
fn convert_timed(
    converter: &mut Converter,
    record: &[u8],
    json: &mut Vec<u8>,
    hours: &mut Vec<(DateHour, usize, usize)>,
) -> Result<usize, ReplayError> {
    let config = converter.config();
    for line in ltsv::lines(record) {
        let start = json.len();
        let written = converter
            .convert_line(line.bytes, json)
            .map_err(|e| ReplayError::Line(line.number, Box::new(e)))?;
        if written == Converted::Written {
            let hour = backfill::event_hour(config, line.bytes)
                .map_err(|e| ReplayError::Line(line.number, Box::new(e)))?;
            hours.push((hour, start, json.len()));
        }
    }
    Ok(hours.len())
}

/// The files to replay: each FILE, every file under each DIR (recursively,
/// in name order), `-` for stdin, and none twice, so that `failed/`,
/// `failed/*` and `failed/**/*` all read each error object once.
fn replay_files(args: &[OsString]) -> io::Result<Vec<OsString>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
        let name = dir.to_string_lossy();
        let mut entries = fs::read_dir(dir)
            .and_then(|entries| {
                entries
                    .map(|entry| entry.map(|e| e.path()))
                    .collect::<io::Result<Vec<_>>>()
            })
            .map_err(|e| in_file(&name, e))?;
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for arg in args {
        let mut found = Vec::new();
        if arg != "-" && Path::new(arg).is_dir() {
            walk(Path::new(arg), &mut found)?;
        } else {
            found.push(PathBuf::from(arg));
        }
        for path in found {
            // A path that cannot be resolved is kept, to fail when opened.
            let canonical = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if path == Path::new("-") || seen.insert(canonical) {
                files.push(path.into_os_string());
            }
        }
    }
    Ok(files)
}

/// `1 line`, `2 lines`.
fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// What a run with a summary counts: lines when converting, records when
/// replaying.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Lines,
    Records,
}

/// Counts, failure reports and the progress line of a `--out-dir` or
/// replay run.
struct Tally {
    unit: Unit,
    /// Lines, or records of error objects, read.
    read: u64,
    /// Lines, or records, converted (and written, with --out-dir).
    converted: u64,
    failed: u64,
    lines_written: u64,
    /// Whether to draw a progress line: stderr is a terminal.
    progress: bool,
    /// Whether a progress line is on the screen.
    shown: bool,
    drawn: Instant,
}

/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

impl Tally {
    fn new(unit: Unit) -> Tally {
        Tally {
            unit,
            read: 0,
            converted: 0,
            failed: 0,
            lines_written: 0,
            progress: io::stderr().is_terminal(),
            shown: false,
            drawn: Instant::now(),
        }
    }

    /// Reports a failure on stderr, above the progress line.
    fn fail(&mut self, message: fmt::Arguments) {
        self.failed += 1;
        self.clear();
        eprintln!("{message}");
    }

    /// Redraws the progress line if it is time to.
    fn tick(&mut self, writer: &PartitionWriter) {
        if !self.progress
            || !self.read.is_multiple_of(1024)
            || self.drawn.elapsed() < PROGRESS_EVERY
        {
            return;
        }
        let files = writer.written().files;
        let mut err = io::stderr().lock();
        let _ = match self.unit {
            Unit::Lines => write!(
                err,
                "\r\x1b[K{} lines read, {} written, {} failed, {files} files",
                self.read, self.converted, self.failed
            ),
            Unit::Records => write!(
                err,
                "\r\x1b[K{} records read, {} converted, {} failed, {} lines written, {files} files",
                self.read, self.converted, self.failed, self.lines_written
            ),
        };
        let _ = err.flush();
        self.shown = true;
        self.drawn = Instant::now();
    }

    fn clear(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
            self.shown = false;
        }
    }

    /// Closes the output files, prints the summary line and gives the exit
    /// status: 1 if anything failed.
    fn finish(
        mut self,
        writer: Option<PartitionWriter>,
    ) -> Result<ExitCode, Box<dyn std::error::Error>> {
        let files = match writer {
            Some(writer) => {
                let dir = writer.dir().to_string_lossy().into_owned();
                let written = writer.finish()?;
                format!(
                    "; {} written under {dir}",
                    counted(written.files as u64, "file")
                )
            }
            None => String::new(),
        };
        self.clear();
        match self.unit {
            Unit::Lines => eprintln!(
                "ltsv2json: {} in, {} written, {} failed, {} blank or dropped{files}",
                counted(self.read, "line"),
                self.converted,
                self.failed,
                self.read - self.converted - self.failed
            ),
            Unit::Records => eprintln!(
                "ltsv2json: {} in, {} converted, {} failed; {} written{files}",
                counted(self.read, "record"),
                self.converted,
                self.failed,
                counted(self.lines_written, "line")
            ),
        }
        Ok(if self.failed > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    }
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
