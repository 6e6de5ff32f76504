//! Where converted lines go: stdout, or the table's files in the stream's
//! S3 layout (see [`crate::partitions`]).

use std::io::{self, BufWriter, StdoutLock, Write};
use std::ops::Range;
use std::path::Path;

use firehose_ltsv::{Config, Converter, DateHour, Error, LineCounts, columns, event_hour};
use firehose_ltsv_output::{Files, HourFiles, OutputFormat, Table, Written};

use crate::args::OutDir;
use crate::partitions::{Folder, MAX_OPEN_FILES};

/// Where converted lines go, and the buffers for converting into it.
pub(crate) struct Sink<'a> {
    out: Out<'a>,
    json: Vec<u8>,
    /// Each line's hour and place in `json`, for the hourly folders.
    hours: Vec<(DateHour, Range<usize>)>,
}

enum Out<'a> {
    Stdout(BufWriter<StdoutLock<'a>>),
    Dir(HourFiles<Folder>),
}

impl Sink<'_> {
    /// To stdout, or into the files of `out_dir`'s format in the hourly
    /// folders under it: for Parquet, of the table `config` implies, with
    /// the request parts' columns the stack's table always has.
    pub(crate) fn new(out_dir: Option<&OutDir>, config: &Config) -> Result<Sink<'static>, String> {
        let out = match out_dir {
            Some(OutDir { dir, format }) => {
                let table = match format {
                    OutputFormat::Parquet => Table::new(columns(config, true).map_err(|e| {
                        format!("--output-format parquet needs the table's columns: {e}")
                    })?),
                    OutputFormat::Json => Table::new(Vec::new()),
                };
                let files = Files::new(*format, table);
                Out::Dir(Folder::new(dir).hour_files(files, MAX_OPEN_FILES))
            }
            None => Out::Stdout(BufWriter::with_capacity(1 << 16, io::stdout().lock())),
        };
        Ok(Sink {
            out,
            json: Vec::new(),
            hours: Vec::new(),
        })
    }

    /// Converts `record` (one line, or a Firehose record of several) and
    /// writes its lines: to stdout, or each to the file of its hour. A
    /// record that fails, or has a line without an event time when hours
    /// are needed, writes nothing: the inner error.
    pub(crate) fn convert(
        &mut self,
        converter: &mut Converter,
        record: &[u8],
    ) -> io::Result<Result<LineCounts, Error>> {
        self.json.clear();
        self.hours.clear();
        let config = converter.config();
        let hours = matches!(self.out, Out::Dir(_)).then_some(&mut self.hours);
        let counts = match hours {
            None => converter.convert_record(record, &mut self.json),
            Some(hours) => converter.convert_record_with(record, &mut self.json, |line, place| {
                hours.push((event_hour(config, line)?, place));
                Ok(())
            }),
        };
        if counts.is_ok() {
            match &mut self.out {
                Out::Stdout(out) => out.write_all(&self.json)?,
                Out::Dir(writer) => {
                    for (hour, place) in &self.hours {
                        writer.write_line(*hour, &self.json[place.clone()])?;
                    }
                }
            }
        }
        Ok(counts)
    }

    /// The folder files go to, and how many were created so far.
    pub(crate) fn files(&self) -> Option<(&Path, usize)> {
        match &self.out {
            Out::Stdout(_) => None,
            Out::Dir(files) => {
                let count = files.written().files as usize;
                Some((files.destination().dir(), count))
            }
        }
    }

    /// Flushes stdout or closes every file; what the folder got, if any.
    pub(crate) fn finish(self) -> io::Result<Option<Written>> {
        match self.out {
            Out::Stdout(mut out) => out.flush().map(|()| None),
            Out::Dir(mut files) => files.finish().map(|()| Some(files.written())),
        }
    }
}
