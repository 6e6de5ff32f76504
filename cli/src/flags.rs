//! Every command and every command's flag, defined once: `--help` is
//! written from them, the parser checks each flag against them, and a test
//! holds the README's synopsis to them. The settings' flags are defined,
//! the same way, by the library's `SETTINGS`.

use std::fmt::Write as _;

use firehose_ltsv::{SETTINGS, Setting};

/// One command of `ltsv2json`.
#[derive(Debug)]
pub(crate) struct CommandSpec {
    /// Its word on the command line; converting, the default, has none.
    pub(crate) name: &'static str,
    /// What it is doing, for messages: "when converting or replaying".
    pub(crate) doing: &'static str,
    /// Whether the settings' flags apply to it.
    pub(crate) settings: bool,
    /// What it takes after its flags.
    pub(crate) operands: &'static str,
    /// What it does, for `--help`.
    pub(crate) help: &'static str,
}

/// One flag of a command (the settings' flags are `SETTINGS`').
#[derive(Debug)]
pub(crate) struct Flag {
    /// Its name, without the dashes.
    pub(crate) name: &'static str,
    /// What it takes, as `--help` shows it; empty for a switch.
    pub(crate) takes: &'static str,
    /// The commands it applies to, by name.
    pub(crate) commands: &'static [&'static str],
    /// Flags of one group exclude each other.
    pub(crate) group: Option<&'static str>,
    /// What it does, for `--help`.
    pub(crate) help: &'static str,
}

/// Every command, in the order `--help` lists them.
pub(crate) const COMMANDS: [CommandSpec; 5] = [
    CommandSpec {
        name: "",
        doing: "converting",
        settings: true,
        operands: "[FILE...]",
        help: "Convert LTSV lines (from stdin when no FILE or FILE is -) to JSON lines \
               on stdout. Bad lines are reported on stderr as FILE:LINE: reason, and \
               the exit status is 1 if there were any.",
    },
    CommandSpec {
        name: "replay",
        doing: "replaying",
        settings: true,
        operands: "[FILE|DIR...]",
        help: "Convert again the records of Firehose error objects: the S3 objects \
               under the processing-failed/ error prefix, from stdin when no FILE or \
               FILE is -; a DIR is read recursively, and no object is read twice. \
               Records that convert now go to stdout as JSON lines; those that still \
               fail are reported on stderr as FILE:LINE: record line N: reason (LINE \
               is the error object's line in FILE, N the line in the record), or \
               FILE:LINE: reason when that line holds no usable record, and the exit \
               status is 1 if there were any. A summary line ends the run.",
    },
    CommandSpec {
        name: "invoke",
        doing: "invoking",
        settings: true,
        operands: "EVENT.json",
        help: "Run the Lambda handler on a Firehose event file (- for stdin) and \
               print its response.",
    },
    CommandSpec {
        name: "event",
        doing: "making an event",
        settings: false,
        operands: "[FILE...]",
        help: "Wrap log lines into a Firehose event, one record per line, line end \
               included, as Kinesis Agent sends them.",
    },
    CommandSpec {
        name: "schema",
        doing: "printing a schema",
        settings: true,
        operands: "",
        help: "Print what the log format (--log-format, LTSV_LOG_FORMAT) implies: \
               the LTSV_TYPES value, the Glue table's columns and SerDe as \
               template.yaml holds them with LtsvSplitRequest set, and an Athena \
               CREATE TABLE statement.",
    },
];

/// Every command's flag, in the order `--help` lists them.
pub(crate) const FLAGS: [Flag; 9] = [
    Flag {
        name: "out-dir",
        takes: "DIR",
        commands: &["", "replay"],
        group: None,
        help: "write into DIR's hourly folders instead of stdout, as files of the \
               table's format (--output-format; see below)",
    },
    Flag {
        name: "decode",
        takes: "",
        commands: &["invoke"],
        group: None,
        help: "print each record's result and decoded data instead",
    },
    Flag {
        name: "aggregate",
        takes: "BYTES",
        commands: &["event"],
        group: Some("shape"),
        help: "pack lines into records of up to BYTES, as the agent does with \
               aggregatedRecordSizeBytes",
    },
    Flag {
        name: "deaggregated",
        takes: "",
        commands: &["event"],
        group: Some("shape"),
        help: "each line a record without its line end, as Firehose hands lines \
               to the function after splitting",
    },
    Flag {
        name: "json",
        takes: "",
        commands: &["schema"],
        group: Some("schema output"),
        help: "print the columns as JSON",
    },
    Flag {
        name: "ddl",
        takes: "",
        commands: &["schema"],
        group: Some("schema output"),
        help: "print only the Athena statement",
    },
    Flag {
        name: "update-template",
        takes: "FILE",
        commands: &["schema"],
        group: Some("schema output"),
        help: "rewrite the template's LogFormat and LtsvTypes defaults and its \
               marked table blocks",
    },
    Flag {
        name: "table",
        takes: "DB.TABLE",
        commands: &["schema"],
        group: None,
        help: "the statement's table",
    },
    Flag {
        name: "location",
        takes: "S3URL",
        commands: &["schema"],
        group: None,
        help: "the statement's table location",
    },
];

/// What follows the commands in `--help`.
const AFTER: &str = "\
Input, from files or stdin, may be gzip-compressed (one or more members).

--out-dir DIR writes the lines into DIR instead of stdout, as the
delivery stream lays them out in S3: files under
DIR/year=YYYY/month=MM/day=DD/hour=HH/ by each line's event time in UTC
(the time of the first label of a time type: the log format's, unless
LTSV_TYPES types another). A line with no valid time fails like any bad
line (when replaying, with its whole record). Files are new on every run,
named ltsv2json-PID-STARTTIME-SEQ.json.gz; none is ever overwritten.
--output-format parquet writes Parquet files (.parquet) of the table's
columns instead, for a stack whose OutputFormat is parquet; iceberg, the
Parquet of an Iceberg table's staging table, whose rows say where they
came from (FILE:LINE) in its source_line column. Progress shows
on stderr when it is a terminal, and a summary line ends the run. Then
`aws s3 sync DIR s3://BUCKET/logs/` puts the files where the stream's
table reads them.
";

/// The flag named `name`, if a command has one.
pub(crate) fn flag(name: &str) -> Option<&'static Flag> {
    FLAGS.iter().find(|flag| flag.name == name)
}

/// The command named `name`.
pub(crate) fn command(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|command| command.name == name)
}

/// `--name TAKES`, or `--name` for a switch.
fn shown(name: &str, takes: &str) -> String {
    match takes {
        "" => format!("--{name}"),
        takes => format!("--{name} {takes}"),
    }
}

/// The command's usage line: `ltsv2json [OPTIONS] NAME [FLAGS] OPERANDS`,
/// a group's flags as alternatives.
pub(crate) fn synopsis(command: &CommandSpec) -> String {
    let mut line = String::from("ltsv2json");
    if command.settings {
        line.push_str(" [OPTIONS]");
    }
    if !command.name.is_empty() {
        line.push(' ');
        line.push_str(command.name);
    }
    let flags: Vec<&Flag> = FLAGS
        .iter()
        .filter(|flag| flag.commands.contains(&command.name))
        .collect();
    let mut groups_shown: Vec<&str> = Vec::new();
    for flag in &flags {
        match flag.group {
            Some(group) if groups_shown.contains(&group) => {}
            Some(group) => {
                groups_shown.push(group);
                let members: Vec<String> = flags
                    .iter()
                    .filter(|f| f.group == Some(group))
                    .map(|f| shown(f.name, f.takes))
                    .collect();
                let _ = write!(line, " [{}]", members.join(" | "));
            }
            None => {
                let _ = write!(line, " [{}]", shown(flag.name, flag.takes));
            }
        }
    }
    if !command.operands.is_empty() {
        line.push(' ');
        line.push_str(command.operands);
    }
    line
}

/// `text` wrapped to lines of at most `width`, each indented by `indent`.
fn wrapped(text: &str, indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent + line.len() + 1 + word.len() > width {
            let _ = writeln!(out, "{:indent$}{line}", "");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{:indent$}{line}", "");
    }
    out
}

/// A synopsis in lines of at most `width`, broken only between its
/// bracketed parts, the lines after the first indented further.
fn wrapped_synopsis(synopsis: &str, width: usize) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut depth = 0;
    for c in synopsis.chars() {
        if c == '[' && depth == 0 && parts.last().is_some_and(|p| p.ends_with(' ')) {
            let last = parts.last_mut().expect("checked");
            last.pop();
            parts.push(String::new());
        }
        depth += i32::from(c == '[') - i32::from(c == ']');
        match parts.last_mut() {
            Some(part) => part.push(c),
            None => parts.push(c.to_string()),
        }
    }
    let mut out = String::from("  ");
    let mut line_len = 2;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 && line_len + 1 + part.len() > width {
            out.push_str("\n        ");
            line_len = 8;
        } else if i > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(part);
        line_len += part.len();
    }
    out.push('\n');
    out
}

/// What `--help` prints: the commands with their flags, then every
/// setting's flag.
pub(crate) fn usage() -> String {
    let mut usage = String::from(
        "Convert LTSV access logs to newline-delimited JSON, as the firehose-ltsv\n\
         Lambda function does.\n\nUsage:\n",
    );
    for command in &COMMANDS {
        usage.push_str(&wrapped_synopsis(&synopsis(command), 78));
        usage.push_str(&wrapped(command.help, 6, 78));
        for flag in FLAGS.iter().filter(|f| f.commands.contains(&command.name)) {
            let option = shown(flag.name, flag.takes);
            let help = wrapped(flag.help, 31, 78);
            match option.len() {
                ..24 => {
                    let _ = write!(usage, "      {option:<24} {}", help.trim_start());
                }
                _ => {
                    let _ = write!(usage, "      {option}\n{help}");
                }
            }
        }
    }
    usage.push('\n');
    usage.push_str(AFTER);
    usage.push_str("\nOptions (each overrides the environment variable named after it):\n");
    for Setting {
        variable,
        flag,
        takes,
        help,
        ..
    } in SETTINGS
    {
        let option = shown(flag, takes);
        let _ = writeln!(usage, "  {option:<29} {variable}");
        usage.push_str(&wrapped(help, 8, 78));
    }
    usage.push_str("  -h, --help                    Show this help\n");
    usage.push_str("  -V, --version                 Show the version\n");
    usage
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synopses_show_groups_as_alternatives() {
        let lines: Vec<String> = COMMANDS.iter().map(synopsis).collect();
        assert_eq!(
            lines,
            [
                "ltsv2json [OPTIONS] [--out-dir DIR] [FILE...]",
                "ltsv2json [OPTIONS] replay [--out-dir DIR] [FILE|DIR...]",
                "ltsv2json [OPTIONS] invoke [--decode] EVENT.json",
                "ltsv2json event [--aggregate BYTES | --deaggregated] [FILE...]",
                "ltsv2json [OPTIONS] schema [--json | --ddl | --update-template FILE] [--table DB.TABLE] [--location S3URL]",
            ]
        );
    }

    #[test]
    fn every_flag_belongs_to_commands_and_is_not_a_setting() {
        for flag in &FLAGS {
            assert!(!flag.commands.is_empty(), "{}", flag.name);
            assert!(
                flag.commands.iter().all(|c| command(c).is_some()),
                "{}",
                flag.name
            );
            assert!(
                SETTINGS.iter().all(|s| s.flag != flag.name),
                "{}",
                flag.name
            );
        }
        for (i, flag) in FLAGS.iter().enumerate() {
            assert!(FLAGS[i + 1..].iter().all(|other| other.name != flag.name));
        }
    }

    #[test]
    fn help_lists_every_command_flag_and_setting_within_80_columns() {
        let usage = usage();
        let unwrapped = usage.replace("\n        [", " [");
        for command in &COMMANDS {
            assert!(unwrapped.contains(&synopsis(command)), "{}", command.name);
        }
        for flag in &FLAGS {
            let option = shown(flag.name, flag.takes);
            let line = usage.lines().find(|l| l.trim_start().starts_with(&option));
            assert!(line.is_some_and(|l| l.starts_with("      --")), "{option}");
        }
        for setting in SETTINGS {
            let line = format!("  {}", shown(setting.flag, setting.takes));
            let at = usage.find(&line).unwrap_or_else(|| panic!("{line}"));
            let rest = &usage[at..];
            // A space between the flag and its variable, however long.
            assert!(
                rest.lines()
                    .next()
                    .unwrap()
                    .ends_with(&format!(" {}", setting.variable)),
                "{}",
                rest.lines().next().unwrap()
            );
            let help: String = rest.lines().skip(1).take(3).collect::<Vec<_>>().join(" ");
            assert!(
                help.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .starts_with(setting.help),
                "{}",
                setting.help
            );
        }
        assert!(usage.lines().all(|line| line.len() <= 80), "{usage}");
        assert_eq!(wrapped("a bb ccc", 2, 7), "  a bb\n  ccc\n");
    }
}
