//! What a run reports on stderr: each failure as it happens, a progress
//! line while it writes files (when stderr is a terminal), and a summary.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::sink::Sink;

/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Failures reported one by one for each reason; the rest are counted.
const SHOWN_PER_REASON: u64 = 10;

/// What a run counts: lines when converting, records when replaying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    Lines,
    Records,
}

/// Counts and reports of one run.
#[derive(Debug)]
pub(crate) struct Tally {
    unit: Unit,
    /// Whether a summary line ends the run.
    summary: bool,
    /// Lines, or records of error objects, read.
    pub(crate) read: u64,
    /// Lines, or records, converted (and written).
    pub(crate) converted: u64,
    failed: u64,
    /// Each reason a failure was reported for, and how many had it.
    reasons: Vec<(String, u64)>,
    pub(crate) lines_written: u64,
    /// Whether to draw a progress line: stderr is a terminal.
    progress: bool,
    /// Whether a progress line is on the screen.
    shown: bool,
    drawn: Instant,
}

impl Tally {
    /// A tally of `unit`s, ending with a summary line if `summary`.
    pub(crate) fn new(unit: Unit, summary: bool) -> Tally {
        Tally {
            unit,
            summary,
            read: 0,
            converted: 0,
            failed: 0,
            reasons: Vec::new(),
            lines_written: 0,
            progress: io::stderr().is_terminal(),
            shown: false,
            drawn: Instant::now(),
        }
    }

    /// Reports a failure at `place` (`FILE:LINE`) on stderr, above the
    /// progress line: the first few of each reason, one by one; the rest
    /// are counted and said at the end.
    pub(crate) fn fail(&mut self, place: &str, reason: &str) {
        self.failed += 1;
        let seen = match self.reasons.iter_mut().find(|(r, _)| r == reason) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                self.reasons.push((reason.to_owned(), 1));
                1
            }
        };
        if seen <= SHOWN_PER_REASON {
            self.clear();
            eprintln!("{place}: {reason}");
        }
    }

    /// Says once, above the progress line, what a file looks like.
    pub(crate) fn note(&mut self, name: &str, looks: &str) {
        self.clear();
        eprintln!("ltsv2json: {name} does not look like LTSV: {looks}");
    }

    /// Redraws the progress line, if files are being written and it is time.
    pub(crate) fn tick(&mut self, sink: &Sink) {
        let Some((_, files)) = sink.files() else {
            return;
        };
        if !self.progress
            || !self.read.is_multiple_of(1024)
            || self.drawn.elapsed() < PROGRESS_EVERY
        {
            return;
        }
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

    /// Finishes `sink`, prints the summary line, naming the folder and what
    /// it got, and gives the exit status: 1 if anything failed.
    pub(crate) fn finish(mut self, sink: Sink) -> io::Result<ExitCode> {
        let dir = sink.files().map(|(dir, _)| dir.display().to_string());
        let written = sink.finish()?;
        self.clear();
        let files = match dir.zip(written) {
            Some((dir, written)) => {
                format!("; {} written under {dir}", counted(written.files, "file"))
            }
            None => String::new(),
        };
        for (reason, count) in &self.reasons {
            if let Some(more) = count.checked_sub(SHOWN_PER_REASON).filter(|&n| n > 0) {
                eprintln!(
                    "ltsv2json: {} failed the same way: {reason}",
                    counted(more, "other")
                );
            }
        }
        if self.summary {
            eprintln!("ltsv2json: {}{files}", self.counts());
        }
        if let Some(left_out) = written.map(|w| w.left_out).filter(|&n| n > 0) {
            eprintln!(
                "ltsv2json: {left_out} values left out of the Parquet files: of labels the table \
                 has no column for, or not of their column's type (see ltsv2json schema)"
            );
        }
        Ok(match self.failed {
            0 => ExitCode::SUCCESS,
            _ => ExitCode::FAILURE,
        })
    }

    fn counts(&self) -> String {
        match self.unit {
            Unit::Lines => format!(
                "{} in, {} written, {} failed, {} blank or dropped",
                counted(self.read, "line"),
                self.converted,
                self.failed,
                self.read - self.converted - self.failed
            ),
            Unit::Records => format!(
                "{} in, {} converted, {} failed; {} written",
                counted(self.read, "record"),
                self.converted,
                self.failed,
                counted(self.lines_written, "line")
            ),
        }
    }
}

/// `1 line`, `2 lines`.
fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_name_their_unit_in_the_singular_or_plural() {
        let mut tally = Tally::new(Unit::Lines, true);
        tally.read = 5;
        tally.converted = 3;
        tally.failed = 1;
        assert_eq!(
            tally.counts(),
            "5 lines in, 3 written, 1 failed, 1 blank or dropped"
        );
        let mut tally = Tally::new(Unit::Records, true);
        tally.read = 1;
        tally.converted = 1;
        tally.lines_written = 1;
        assert_eq!(
            tally.counts(),
            "1 record in, 1 converted, 0 failed; 1 line written"
        );
        assert_eq!(counted(0, "file"), "0 files");
    }

    #[test]
    fn failures_of_one_reason_are_shown_ten_times_then_counted() {
        let mut tally = Tally::new(Unit::Lines, false);
        for n in 0..25 {
            tally.fail(&format!("a.log:{n}"), "same");
        }
        tally.fail("a.log:26", "other");
        assert_eq!(tally.failed, 26);
        assert_eq!(
            tally.reasons,
            [("same".to_owned(), 25), ("other".to_owned(), 1)]
        );
    }
}
