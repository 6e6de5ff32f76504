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
    /// Each line's hour, number in its record and place in `json`, for the
    /// hourly folders.
    hours: Vec<(DateHour, usize, Range<usize>)>,
    /// Whether the files keep each row's source.
    sources: bool,
}

enum Out<'a> {
    Stdout(BufWriter<StdoutLock<'a>>),
    Dir(HourFiles<Folder>),
}

impl Sink<'_> {
    /// To stdout, or into the files of the table's format in the hourly
    /// folders under `out_dir`: for Parquet, of the table `config`
    /// implies, with the request parts' columns the stack's table always
    /// has.
    pub(crate) fn new(out_dir: Option<&OutDir>, config: &Config) -> Result<Sink<'static>, String> {
        let out = match out_dir {
            Some(OutDir { dir }) => {
                let format = config.output_format();
                let table = match format {
                    OutputFormat::Json => Table::new(Vec::new()),
                    OutputFormat::Parquet | OutputFormat::Iceberg => {
                        Table::new(columns(config, true).map_err(|e| {
                            format!("--output-format {format} needs the table's columns: {e}")
                        })?)
                    }
                };
                let files = Files::new(format, table);
                Out::Dir(Folder::new(dir).hour_files(files, MAX_OPEN_FILES))
            }
            None => Out::Stdout(BufWriter::with_capacity(1 << 16, io::stdout().lock())),
        };
        Ok(Sink {
            out,
            json: Vec::new(),
            hours: Vec::new(),
            sources: config.output_format() == OutputFormat::Iceberg,
        })
    }

    /// Converts `record` (one line, or a Firehose record of several) and
    /// writes its lines: to stdout, or each to the file of its hour. A
    /// record that fails, or has a line without an event time when hours
    /// are needed, writes nothing: the inner error. `source` says where the
    /// record came from (`FILE:LINE`), which an Iceberg table's staging
    /// files keep in each row's `source_line`: as it is for a record of one
    /// line, and as `FILE:LINE:N` for the `N`th line of a record of several.
    pub(crate) fn convert(
        &mut self,
        converter: &mut Converter,
        record: &[u8],
        source: impl FnOnce() -> String,
    ) -> io::Result<Result<LineCounts, Error>> {
        self.json.clear();
        self.hours.clear();
        let config = converter.config();
        let hours = matches!(self.out, Out::Dir(_)).then_some(&mut self.hours);
        let counts = match hours {
            None => converter.convert_record(record, &mut self.json),
            Some(hours) => {
                converter.convert_record_with(record, &mut self.json, |line, number, place| {
                    hours.push((event_hour(config, line)?, number, place));
                    Ok(())
                })
            }
        };
        if counts.is_ok() {
            match &mut self.out {
                Out::Stdout(out) => out.write_all(&self.json)?,
                Out::Dir(writer) => {
                    let source = self.sources.then(source);
                    let several = self.hours.len() > 1;
                    for (hour, number, place) in &self.hours {
                        let source = match (&source, several) {
                            (Some(source), true) => Some(format!("{source}:{number}")),
                            (source, _) => source.clone(),
                        };
                        writer.write_line(*hour, &self.json[place.clone()], source.as_deref())?;
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
