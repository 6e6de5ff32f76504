//! Each line of a source object converted as the transformation function
//! converts it, with the same settings, and put in the object of its own
//! event hour; a line that fails becomes an error record instead.

use std::io;

use firehose_ltsv::{Config, Converter, event_hour};

use crate::failed::FailedLines;
use crate::lines::LineSink;
use crate::objects::Objects;
use crate::outcome::Summary;

/// The conversion of one source object's lines.
#[derive(Debug)]
pub(crate) struct Rows<'a> {
    config: &'a Config,
    converter: Converter<'a>,
    objects: Objects,
    failed: FailedLines,
    json: Vec<u8>,
    record: Vec<u8>,
    undeclared_label: Option<String>,
    /// The line counts so far.
    pub(crate) summary: Summary,
}

impl<'a> Rows<'a> {
    /// Lines converted with `config` into `objects`, failed ones described
    /// by `failed`.
    pub(crate) fn new(config: &'a Config, objects: Objects, failed: FailedLines) -> Rows<'a> {
        Rows {
            config,
            converter: Converter::new(config),
            objects,
            failed,
            json: Vec::new(),
            record: Vec::new(),
            undeclared_label: None,
            summary: Summary::default(),
        }
    }

    /// The objects written into.
    pub(crate) fn objects(&mut self) -> &mut Objects {
        &mut self.objects
    }

    /// The first label `LTSV_LOG_FORMAT` does not declare, if a line had one.
    pub(crate) fn first_undeclared_label(&self) -> Option<&str> {
        self.undeclared_label.as_deref()
    }
}

impl LineSink for Rows<'_> {
    fn line(&mut self, line: &[u8]) -> io::Result<()> {
        self.summary.lines += 1;
        self.json.clear();
        let config = self.config;
        let mut hour = None;
        let converted = self
            .converter
            .convert_record_with(line, &mut self.json, |parsed, _, _| {
                hour = Some(event_hour(config, parsed)?);
                Ok(())
            });
        match (converted, hour) {
            (Ok(counts), Some(hour)) => {
                self.summary.written += 1;
                self.summary.undeclared += counts.undeclared as u64;
                if self.undeclared_label.is_none() {
                    self.undeclared_label = (self.converter.undeclared_label(line))
                        .map(|label| label.escape_ascii().to_string());
                }
                let source = self.objects.source_line(self.summary.lines);
                self.objects.write_row(hour, &self.json, source.as_deref())
            }
            (Ok(counts), None) if counts.excluded > 0 => {
                self.summary.dropped += 1;
                Ok(())
            }
            (Ok(_), None) => {
                self.summary.blank += 1;
                Ok(())
            }
            (Err(error), _) => {
                self.summary.failed += 1;
                self.record.clear();
                let reason = error.to_string();
                self.failed
                    .write(&mut self.record, line, self.summary.lines, &reason);
                self.objects.write_failed(&self.record)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::naming::SourceId;
    use firehose_ltsv_output::{Files, OutputFormat, Table};
    use std::io::Read;

    use flate2::read::MultiGzDecoder;
    use serde_json::Value;

    fn text(bytes: &[u8]) -> String {
        let mut text = String::new();
        MultiGzDecoder::new(bytes)
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn lines_go_to_their_hour_failures_to_error_records() {
        let config = Config::from_vars(&[("LTSV_DROP", "ua=probe")]).unwrap();
        let files = Files::new(OutputFormat::Json, Table::new(Vec::new()));
        let objects = Objects::new(SourceId::new("b", "k", "e"), &files, Limits::default());
        let failed = FailedLines {
            arrival_ms: 1,
            function_arn: "arn".into(),
        };
        let mut rows = Rows::new(&config, objects, failed);
        let lines: [&[u8]; 6] = [
            b"time:[28/Jun/2021:17:22:48 +0900]\tstatus:200\n",
            b"\n",
            b"time:[28/Jun/2021:17:22:49 +0900]\tua:probe\n",
            b"time:[28/Jun/2021:18:00:00 +0900]\tstatus:OK\r\n",
            b"status:200\n",
            b"time:[28/Jun/2021:18:00:00 +0900]\tstatus:201\tzz:1",
        ];
        for line in lines {
            rows.line(line).unwrap();
        }
        let summary = rows.summary.clone();
        assert_eq!(
            (
                summary.lines,
                summary.written,
                summary.failed,
                summary.dropped,
                summary.blank
            ),
            (6, 2, 2, 1, 1)
        );
        assert_eq!(summary.undeclared, 1);
        assert_eq!(rows.first_undeclared_label(), Some("zz"));
        let objects = rows.objects();
        objects.finish().unwrap();
        let pieces = objects.take_pieces();
        assert_eq!(pieces.len(), 3);
        let piece = |object: usize| &pieces.iter().find(|p| p.object == object).unwrap().bytes;
        assert!(
            objects
                .key(0)
                .starts_with("logs/year=2021/month=06/day=28/hour=08/")
        );
        assert_eq!(
            text(piece(0)),
            "{\"time\":\"2021-06-28 08:22:48\",\"status\":200}\n"
        );
        assert!(objects.key(1).starts_with("errors/backfill-failed/"));
        assert_eq!(objects.failed_object(), Some(1));
        let failed: Vec<Value> = text(piece(1))
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(
            failed[0]["errorMessage"],
            "line 4: label \"status\": value is not a valid integer"
        );
        assert_eq!(
            failed[1]["errorMessage"],
            "line 5: no event time: label \"time\" is missing, empty or null"
        );
        assert!(
            objects
                .key(2)
                .starts_with("logs/year=2021/month=06/day=28/hour=09/")
        );
    }
}
