//! The command line: which command, which settings, which files. What
//! each command and flag is, and `--help`, are in [`crate::flags`].

use std::ffi::OsString;
use std::path::PathBuf;

use firehose_ltsv::SETTINGS;
use lexopt::ValueExt;

use crate::flags::{self, CommandSpec, Flag};

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

/// Where `--out-dir` writes: the format is the setting's
/// (`OUTPUT_FORMAT`, `--output-format`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OutDir {
    pub(crate) dir: PathBuf,
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
        match arg {
            Short('h') | Long("help") => {
                print!("{}", flags::usage());
                return Ok(None);
            }
            Short('V') | Long("version") => {
                println!("ltsv2json {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            Long(name) => match (flags::flag(name), SETTINGS.iter().find(|s| s.flag == name)) {
                (Some(flag), _) => {
                    let value = (!flag.takes.is_empty())
                        .then(|| parser.value())
                        .transpose()?;
                    seen.flags.push((flag, value));
                }
                (None, Some(setting)) => {
                    let value = parser.value()?.string()?;
                    seen.overrides.push((setting.variable, value));
                }
                (None, None) => return Err(arg.unexpected()),
            },
            Value(value) if seen.command.is_none() && seen.files.is_empty() => {
                match value.to_str().and_then(flags::command) {
                    Some(command) if !command.name.is_empty() => seen.command = Some(command),
                    _ => seen.files.push(value),
                }
            }
            Value(value) => seen.files.push(value),
            _ => return Err(arg.unexpected()),
        }
    }
    seen.args().map(Some)
}

/// The command line's parts, as they were read.
#[derive(Default)]
struct Seen {
    command: Option<&'static CommandSpec>,
    flags: Vec<(&'static Flag, Option<OsString>)>,
    files: Vec<OsString>,
    overrides: Vec<(&'static str, String)>,
}

impl Seen {
    /// The value of `--name`, the last one given; `Some(None)` for a switch.
    fn flag(&self, name: &str) -> Option<Option<&OsString>> {
        self.flags
            .iter()
            .rev()
            .find(|(flag, _)| flag.name == name)
            .map(|(_, value)| value.as_ref())
    }

    /// Checks that every flag given goes with the command, and with no
    /// other of its group.
    fn check_flags(&self, command: &CommandSpec) -> Result<(), lexopt::Error> {
        for (flag, _) in &self.flags {
            if !flag.commands.contains(&command.name) {
                let doing: Vec<&str> = flag
                    .commands
                    .iter()
                    .filter_map(|name| flags::command(name))
                    .map(|command| command.doing)
                    .collect();
                return Err(
                    format!("--{} works only when {}", flag.name, doing.join(" or ")).into(),
                );
            }
            let rival = self.flags.iter().find(|(other, _)| {
                other.name != flag.name && other.group.is_some() && other.group == flag.group
            });
            if let Some((rival, _)) = rival {
                return Err(format!(
                    "--{} and --{} exclude each other: give one",
                    flag.name, rival.name
                )
                .into());
            }
        }
        Ok(())
    }

    /// The command they make, once they are known to go together.
    fn args(self) -> Result<Args, lexopt::Error> {
        let spec = self.command.unwrap_or(&flags::COMMANDS[0]);
        self.check_flags(spec)?;
        let out_dir = self.flag("out-dir").map(|dir| OutDir {
            dir: PathBuf::from(dir.expect("takes a value")),
        });
        let command = self.command(spec)?;
        Ok(Args {
            command,
            overrides: self.overrides,
            out_dir,
        })
    }

    fn command(&self, spec: &CommandSpec) -> Result<Command, lexopt::Error> {
        let files = self.files.clone();
        Ok(match spec.name {
            "" => Command::Convert(files),
            "replay" => Command::Replay(files),
            "event" => Command::Event {
                files,
                shape: self.shape()?,
            },
            "schema" => match files.first() {
                None => Command::Schema(self.schema()),
                Some(extra) => {
                    return Err(format!("schema takes no FILE: {}", extra.to_string_lossy()).into());
                }
            },
            _ => match files.as_slice() {
                [event] => Command::Invoke {
                    event: event.clone(),
                    decode: self.flag("decode").is_some(),
                },
                _ => return Err("invoke takes exactly one EVENT.json".into()),
            },
        })
    }

    fn shape(&self) -> Result<EventShape, lexopt::Error> {
        if let Some(size) = self.flag("aggregate") {
            return match size.expect("takes a value").parse()? {
                0 => Err("--aggregate takes a size in bytes, at least 1".into()),
                size => Ok(EventShape::Aggregated(size)),
            };
        }
        Ok(match self.flag("deaggregated") {
            Some(_) => EventShape::Deaggregated,
            None => EventShape::Lines,
        })
    }

    fn schema(&self) -> Schema {
        let text = |name| {
            self.flag(name)
                .flatten()
                .map(|value| value.to_string_lossy().into_owned())
        };
        let output = if self.flag("json").is_some() {
            SchemaOutput::Json
        } else if self.flag("ddl").is_some() {
            SchemaOutput::Ddl
        } else if let Some(path) = self.flag("update-template").flatten() {
            SchemaOutput::UpdateTemplate(path.into())
        } else {
            SchemaOutput::All
        };
        Schema {
            output,
            table: text("table"),
            location: text("location"),
        }
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
                out_dir: Some(OutDir { dir: "out".into() })
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
        // The output format is a setting, a flag like the others.
        assert_eq!(
            parsed(&["replay", "--output-format", "parquet", "--out-dir", "o"])
                .unwrap()
                .overrides,
            [("OUTPUT_FORMAT", "parquet".to_owned())]
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
        // Alternatives exclude each other, whatever their order.
        for args in [
            ["event", "--aggregate", "65536", "--deaggregated"],
            ["event", "--deaggregated", "--aggregate", "65536"],
        ] {
            let error = parsed(&args).unwrap_err();
            assert!(
                error == "--aggregate and --deaggregated exclude each other: give one"
                    || error == "--deaggregated and --aggregate exclude each other: give one",
                "{error}"
            );
        }
        assert_eq!(
            parsed(&["schema", "--json", "--ddl"]).unwrap_err(),
            "--json and --ddl exclude each other: give one"
        );
        assert_eq!(
            parsed(&["--decode", "x"]).unwrap_err(),
            "--decode works only when invoking"
        );
        assert_eq!(
            parsed(&["invoke", "--json", "x"]).unwrap_err(),
            "--json works only when printing a schema"
        );
        // The same flag twice is no conflict: the last one counts.
        let args = parsed(&["schema", "--table", "a.b", "--table", "c.d"]).unwrap();
        assert_eq!(
            args.command,
            Command::Schema(Schema {
                output: SchemaOutput::All,
                table: Some("c.d".into()),
                location: None
            })
        );
    }
}
