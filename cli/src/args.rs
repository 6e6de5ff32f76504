//! The command line: which command, which settings, which files.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::PathBuf;

use firehose_ltsv::{SETTINGS, Setting};
use firehose_ltsv_output::OutputFormat;

const ABOUT: &str = "\
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
  ltsv2json event [--aggregate BYTES | --deaggregated] [FILE...]
      Wrap log lines into a Firehose event, one record per line, line end
      included, as Kinesis Agent sends them; --aggregate packs lines into
      records of up to BYTES, as the agent does with
      aggregatedRecordSizeBytes; --deaggregated gives each line without its
      line end, as Firehose hands lines to the function after splitting.
  ltsv2json [OPTIONS] schema [--json | --ddl | --update-template FILE]
      Print what the log format (--log-format, LTSV_LOG_FORMAT) implies:
      the LTSV_TYPES value, the Glue table's columns and SerDe as
      template.yaml holds them, and an Athena CREATE TABLE statement
      (--table DB.TABLE, --location S3URL). --json prints the columns as
      JSON, --ddl only the statement. --update-template FILE rewrites the
      template's LogFormat and LtsvTypes defaults and its marked table block.

Input, from files or stdin, may be gzip-compressed (one or more members).

--out-dir DIR writes the lines into DIR instead of stdout, as the
delivery stream lays them out in S3: files under
DIR/year=YYYY/month=MM/day=DD/hour=HH/ by each line's event time in UTC
(the first label of type time in LTSV_TYPES). A line with no valid time
fails like any bad line (when replaying, with its whole record). Files
are new on every run, named ltsv2json-PID-STARTTIME-SEQ.json.gz; none is
ever overwritten. --output-format parquet writes Parquet files (.parquet)
of the table's columns instead, for a stack whose OutputFormat is parquet.
Progress shows on stderr when it is a terminal, and a summary line ends
the run. Then `aws s3 sync DIR s3://BUCKET/logs/` puts the files where the
stream's table reads them.
";

/// What `--help` prints: the commands, then every setting's flag.
pub(crate) fn usage() -> String {
    let mut usage =
        format!("{ABOUT}\nOptions (each overrides the environment variable named after it):\n");
    for Setting {
        variable,
        flag,
        takes,
        help,
        ..
    } in SETTINGS
    {
        let option = format!("--{flag} {takes}");
        let _ = writeln!(usage, "  {option:<30}{variable}\n        {help}");
    }
    usage.push_str("  -h, --help                    Show this help\n");
    usage.push_str("  -V, --version                 Show the version\n");
    usage
}

/// A command and its own arguments.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// Convert LTSV files.
    Convert(Vec<OsString>),
    /// Convert the records of Firehose error objects again.
    Replay(Vec<OsString>),
    /// Run the Lambda handler on an event.
    Invoke { event: OsString, decode: bool },
    /// Wrap lines into an event.
    Event {
        files: Vec<OsString>,
        shape: EventShape,
    },
    /// Print the table the settings imply.
    Schema(Schema),
}

/// How `event` puts lines into records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum EventShape {
    /// One line a record, line end included.
    #[default]
    Lines,
    /// Lines packed into records of up to this many bytes.
    Aggregated(usize),
    /// One line a record, without its line end.
    Deaggregated,
}

/// What `schema` prints, or which template it rewrites.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Schema {
    pub(crate) output: SchemaOutput,
    /// `--table DB.TABLE` for the statement.
    pub(crate) table: Option<String>,
    /// `--location S3URL` for the statement.
    pub(crate) location: Option<String>,
}

/// The forms `schema` prints in.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) enum SchemaOutput {
    /// Every form, for people.
    #[default]
    All,
    /// The columns as JSON.
    Json,
    /// Only the Athena statement.
    Ddl,
    /// Rewrite this template.
    UpdateTemplate(PathBuf),
}

/// Where `--out-dir` writes, and in which format.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OutDir {
    pub(crate) dir: PathBuf,
    pub(crate) format: OutputFormat,
}

/// A parsed command line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Args {
    pub(crate) command: Command,
    /// `(variable, value)` for each setting flag, in order: a later one wins.
    pub(crate) overrides: Vec<(&'static str, String)>,
    pub(crate) out_dir: Option<OutDir>,
}

impl Args {
    /// The value of `variable`: its last flag, else the environment.
    pub(crate) fn setting(&self, variable: &str) -> Option<String> {
        self.overrides
            .iter()
            .rev()
            .find(|(name, _)| *name == variable)
            .map(|(_, value)| value.clone())
            .or_else(|| std::env::var(variable).ok())
    }
}

/// What the command line asks for: a command, or only help or the version
/// (printed here, hence `None`).
pub(crate) fn parse(
    args: impl IntoIterator<Item = OsString>,
) -> Result<Option<Args>, lexopt::Error> {
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_args(args);
    let mut seen = Seen::default();
    while let Some(arg) = parser.next()? {
        let subcommand = seen.subcommand.as_deref();
        match arg {
            Short('h') | Long("help") => {
                print!("{}", usage());
                return Ok(None);
            }
            Short('V') | Long("version") => {
                println!("ltsv2json {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            Long("decode") if subcommand == Some("invoke") => seen.decode = true,
            Long("out-dir") => seen.out_dir = Some(PathBuf::from(parser.value()?)),
            Long("output-format") => seen.output_format = Some(parser.value()?.parse()?),
            Long("aggregate") if subcommand == Some("event") => {
                seen.shape = EventShape::Aggregated(parser.value()?.parse()?);
            }
            Long("deaggregated") if subcommand == Some("event") => {
                seen.shape = EventShape::Deaggregated;
            }
            Long("json") if subcommand == Some("schema") => {
                seen.schema.output = SchemaOutput::Json;
            }
            Long("ddl") if subcommand == Some("schema") => {
                seen.schema.output = SchemaOutput::Ddl;
            }
            Long("update-template") if subcommand == Some("schema") => {
                seen.schema.output = SchemaOutput::UpdateTemplate(parser.value()?.into());
            }
            Long("table") if subcommand == Some("schema") => {
                seen.schema.table = Some(parser.value()?.string()?);
            }
            Long("location") if subcommand == Some("schema") => {
                seen.schema.location = Some(parser.value()?.string()?);
            }
            Long(flag) if SETTINGS.iter().any(|s| s.flag == flag) => {
                let setting = SETTINGS.iter().find(|s| s.flag == flag);
                let variable = setting.expect("checked by the guard").variable;
                seen.overrides.push((variable, parser.value()?.string()?));
            }
            Value(value) if subcommand.is_none() && seen.files.is_empty() => match value.to_str() {
                Some(name @ ("invoke" | "event" | "replay" | "schema")) => {
                    seen.subcommand = Some(name.to_owned());
                }
                _ => seen.files.push(value),
            },
            Value(value) => seen.files.push(value),
            _ => return Err(arg.unexpected()),
        }
    }
    seen.args().map(Some)
}

/// The command line's parts, as they were read.
#[derive(Default)]
struct Seen {
    subcommand: Option<String>,
    decode: bool,
    out_dir: Option<PathBuf>,
    output_format: Option<OutputFormat>,
    schema: Schema,
    shape: EventShape,
    files: Vec<OsString>,
    overrides: Vec<(&'static str, String)>,
}

impl Seen {
    /// The command they make, once they are known to go together.
    fn args(self) -> Result<Args, lexopt::Error> {
        let Seen { files, .. } = self;
        let command = match self.subcommand.as_deref() {
            None => Command::Convert(files),
            Some("replay") => Command::Replay(files),
            Some("event") => Command::Event {
                files,
                shape: self.shape,
            },
            Some("schema") => match files.first() {
                None => Command::Schema(self.schema),
                Some(extra) => {
                    return Err(format!("schema takes no FILE: {}", extra.to_string_lossy()).into());
                }
            },
            _ => {
                let mut files = files.into_iter();
                match (files.next(), files.next()) {
                    (Some(event), None) => Command::Invoke {
                        event,
                        decode: self.decode,
                    },
                    _ => return Err("invoke takes exactly one EVENT.json".into()),
                }
            }
        };
        if self.shape == EventShape::Aggregated(0) {
            return Err("--aggregate takes a size in bytes, at least 1".into());
        }
        if self.out_dir.is_some() && !matches!(command, Command::Convert(_) | Command::Replay(_)) {
            return Err("--out-dir works only when converting or replaying".into());
        }
        if self.output_format.is_some() && self.out_dir.is_none() {
            return Err("--output-format works only with --out-dir".into());
        }
        let out_dir = self.out_dir.map(|dir| OutDir {
            dir,
            format: self.output_format.unwrap_or_default(),
        });
        Ok(Args {
            command,
            overrides: self.overrides,
            out_dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Result<Args, String> {
        parse(args.iter().map(OsString::from))
            .map(|args| args.expect("a command"))
            .map_err(|error| error.to_string())
    }

    fn files(names: &[&str]) -> Vec<OsString> {
        names.iter().map(OsString::from).collect()
    }

    #[test]
    fn every_setting_has_its_flag() {
        for setting in SETTINGS {
            let flag = format!("--{}", setting.flag);
            let args = parsed(&[&flag, "x", "a.log"]).unwrap();
            assert_eq!(args.overrides, [(setting.variable, "x".to_owned())]);
            assert_eq!(args.command, Command::Convert(files(&["a.log"])));
        }
    }

    #[test]
    fn the_last_flag_wins_over_earlier_ones() {
        let args = parsed(&["--types=a:integer", "--types", "b:float"]).unwrap();
        assert_eq!(args.setting("LTSV_TYPES").as_deref(), Some("b:float"));
    }

    #[test]
    fn commands_take_their_own_arguments() {
        assert_eq!(
            parsed(&["replay", "--out-dir", "out", "failed/"]).unwrap(),
            Args {
                command: Command::Replay(files(&["failed/"])),
                overrides: vec![],
                out_dir: Some(OutDir {
                    dir: "out".into(),
                    format: OutputFormat::Json
                })
            }
        );
        assert_eq!(
            parsed(&["invoke", "--decode", "e.json"]).unwrap().command,
            Command::Invoke {
                event: "e.json".into(),
                decode: true
            }
        );
        assert_eq!(
            parsed(&["event"]).unwrap().command,
            Command::Event {
                files: vec![],
                shape: EventShape::Lines
            }
        );
        assert_eq!(
            parsed(&["event", "--aggregate", "65536", "a.log"])
                .unwrap()
                .command,
            Command::Event {
                files: files(&["a.log"]),
                shape: EventShape::Aggregated(65536)
            }
        );
        assert_eq!(
            parsed(&["event", "--deaggregated"]).unwrap().command,
            Command::Event {
                files: vec![],
                shape: EventShape::Deaggregated
            }
        );
        // A file named like a command, after a file, is a file.
        assert_eq!(
            parsed(&["a.log", "event"]).unwrap().command,
            Command::Convert(files(&["a.log", "event"]))
        );
    }

    #[test]
    fn misuse_is_refused_with_the_reason() {
        assert_eq!(
            parsed(&["invoke"]).unwrap_err(),
            "invoke takes exactly one EVENT.json"
        );
        assert_eq!(
            parsed(&["invoke", "a.json", "b.json"]).unwrap_err(),
            "invoke takes exactly one EVENT.json"
        );
        assert_eq!(
            parsed(&["event", "--out-dir", "x"]).unwrap_err(),
            "--out-dir works only when converting or replaying"
        );
        assert!(parsed(&["--decode", "x"]).unwrap_err().contains("--decode"));
        assert!(parsed(&["--json"]).unwrap_err().contains("--json"));
        assert_eq!(
            parsed(&["--output-format", "parquet", "a.log"]).unwrap_err(),
            "--output-format works only with --out-dir"
        );
        assert_eq!(
            parsed(&["--out-dir", "o", "--output-format", "orc"]).unwrap_err(),
            "cannot parse argument \"orc\": \"orc\" is not an output format (json or parquet)"
        );
        assert_eq!(
            parsed(&["replay", "--output-format", "parquet", "--out-dir", "o"])
                .unwrap()
                .out_dir,
            Some(OutDir {
                dir: "o".into(),
                format: OutputFormat::Parquet
            })
        );
        assert!(
            parsed(&["--aggregate", "9"])
                .unwrap_err()
                .contains("--aggregate")
        );
        assert!(parsed(&["event", "--aggregate", "x"]).is_err());
        assert_eq!(
            parsed(&["event", "--aggregate", "0"]).unwrap_err(),
            "--aggregate takes a size in bytes, at least 1"
        );
        assert_eq!(
            parsed(&["schema", "x"]).unwrap_err(),
            "schema takes no FILE: x"
        );
        assert_eq!(
            parsed(&["schema", "--out-dir", "x"]).unwrap_err(),
            "--out-dir works only when converting or replaying"
        );
        assert!(parsed(&["--nope"]).unwrap_err().contains("--nope"));
    }

    #[test]
    fn help_lists_every_setting_with_its_variable_and_help() {
        let usage = usage();
        for setting in SETTINGS {
            let line = format!("--{} {}", setting.flag, setting.takes);
            let at = usage.find(&line).unwrap_or_else(|| panic!("{line}"));
            let rest = &usage[at..];
            assert!(rest.contains(setting.variable), "{}", setting.variable);
            assert!(rest.contains(setting.help), "{}", setting.help);
        }
        assert!(usage.lines().all(|line| line.len() <= 80), "{usage}");
    }
}
