//! `ltsv2json [FILE...]`: LTSV lines to JSON lines, on stdout or into the
//! hourly folders of `--out-dir`.

use std::ffi::OsString;
use std::process::ExitCode;

use firehose_ltsv::{Config, Converter};

use crate::args::OutDir;
use crate::input::{self, Result};
use crate::looks::Looks;
use crate::progress::{Tally, Unit};
use crate::sink::Sink;

/// Converts every line of `files`; each bad line is reported as
/// `FILE:LINE: reason`. Into a folder, a summary line ends the run.
pub(crate) fn run(
    files: &[OsString],
    config: &Config,
    out_dir: Option<&OutDir>,
) -> Result<ExitCode> {
    let mut converter = Converter::new(config);
    let mut sink = Sink::new(out_dir, config)?;
    let mut tally = Tally::new(Unit::Lines, out_dir.is_some());
    let mut looks = Looks::default();
    let mut file = String::new();
    input::each_line(&input::or_stdin(files), |name, number, line| {
        if number == 1 {
            if let Some(said) = looks.end() {
                tally.note(&file, said);
            }
            (looks, file) = (Looks::default(), name.to_owned());
        }
        tally.read += 1;
        let converted = sink.convert(&mut converter, line, || format!("{name}:{number}"))?;
        if let Some(said) = looks.line(line, converted.is_err()) {
            tally.note(name, said);
        }
        match converted {
            Ok(counts) => {
                let written = counts.written as u64;
                tally.converted += written;
                tally.lines_written += written;
            }
            Err(error) => tally.fail(&format!("{name}:{number}"), &error.to_string()),
        }
        tally.tick(&sink);
        Ok(())
    })?;
    if let Some(said) = looks.end() {
        tally.note(&file, said);
    }
    Ok(tally.finish(sink)?)
}
