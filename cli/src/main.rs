//! `ltsv2json`: the function's conversion on the command line, for
//! backfilling old logs and replaying failed records into the stream's S3
//! layout, and a local stand-in for invoking the Lambda function on a
//! Firehose event.

mod args;
mod convert;
mod event;
mod flags;
mod input;
mod invoke;
mod looks;
mod partitions;
mod progress;
mod replay;
mod schema;
mod sink;
mod template;

use std::io;
use std::process::ExitCode;

use args::Command;
use firehose_ltsv::{Config, ErrorKind, SETTINGS, unknown_variables};

/// Exit status for usage, configuration and I/O errors.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        // Output piped into `head` and the like: not an error.
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

fn run() -> input::Result<ExitCode> {
    let Some(args) = args::parse(std::env::args_os().skip(1))? else {
        return Ok(ExitCode::SUCCESS);
    };
    if !matches!(args.command, Command::Event { .. }) {
        let names = std::env::vars_os().filter_map(|(name, _)| name.into_string().ok());
        for warning in unknown_variables(names) {
            eprintln!("ltsv2json: warning: {warning}");
        }
    }
    let config = || {
        Config::from_lookup(|variable| args.setting(variable))
            .map_err(|error| as_given(error, &args))
    };
    let out_dir = args.out_dir.as_ref();
    match &args.command {
        Command::Convert(files) => convert::run(files, &config()?, out_dir),
        Command::Replay(files) => replay::run(files, &config()?, out_dir),
        Command::Invoke { event, decode } => invoke::run(event, *decode, &config()?),
        Command::Event { files, shape } => event::run(files, *shape),
        Command::Schema(schema) => {
            let given = |variable| {
                args.setting(variable)
                    .unwrap_or_else(|| default_of(variable))
            };
            // The stack redacts the format's query-bearing labels unless
            // told otherwise: its table shows what it redacts.
            let redact = match args.setting("LTSV_REDACT") {
                Some(redact) => redact,
                None => template::default_redact(&config()?),
            };
            let config = Config::from_lookup(|variable| match variable {
                "LTSV_REDACT" => Some(redact.clone()),
                _ => args.setting(variable),
            })
            .map_err(|error| as_given(error, &args))?;
            let given = template::Given {
                log_format: given("LTSV_LOG_FORMAT"),
                types: given("LTSV_TYPES"),
                redact,
            };
            schema::run(schema, &config, &given)
        }
    }
}

/// A bad setting's error, naming the flag when the value came from one,
/// as the user typed it.
fn as_given(error: firehose_ltsv::Error, args: &args::Args) -> String {
    if let ErrorKind::Setting { variable, message } = error.kind()
        && args.overrides.iter().any(|(given, _)| given == variable)
        && let Some(setting) = SETTINGS.iter().find(|s| s.variable == *variable)
    {
        return format!("--{}: {message}", setting.flag);
    }
    error.to_string()
}

/// The default of the setting of `variable`.
fn default_of(variable: &str) -> String {
    SETTINGS
        .iter()
        .find(|setting| setting.variable == variable)
        .map_or_else(String::new, |setting| setting.default.to_owned())
}
