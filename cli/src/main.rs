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
mod partitions;
mod progress;
mod replay;
mod schema;
mod sink;
mod template;

use std::io;
use std::process::ExitCode;

use args::Command;
use firehose_ltsv::{Config, SETTINGS};

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
    let config = || Config::from_lookup(|variable| args.setting(variable));
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
            let given = template::Given {
                log_format: given("LTSV_LOG_FORMAT"),
                types: given("LTSV_TYPES"),
            };
            schema::run(schema, &config()?, &given)
        }
    }
}

/// The default of the setting of `variable`.
fn default_of(variable: &str) -> String {
    SETTINGS
        .iter()
        .find(|setting| setting.variable == variable)
        .map_or_else(String::new, |setting| setting.default.to_owned())
}
