//! LTSV records to JSON lines: each line parsed once, left out when blank or
//! when an `LTSV_DROP` rule matches it, and otherwise written as one object.
//!
//! ```
//! use firehose_ltsv::{Config, Converter};
//!
//! let config = Config::default();
//! let mut converter = Converter::new(&config);
//! let mut out = Vec::new();
//! let line = b"time:[28/Jun/2021:17:22:48 +0900]\tstatus:200\tsize:-\tua:\\xe3\\x81\\x82";
//! converter.convert_line(line, &mut out).unwrap();
//! assert_eq!(
//!     out,
//!     "{\"time\":\"2021-06-28 08:22:48\",\"status\":200,\"size\":null,\"ua\":\"あ\"}\n".as_bytes()
//! );
//! ```
//!
//! | module | concern |
//! |---|---|
//! | `partition` | a line's event time, and a record's partition keys |

pub(crate) mod partition;

use std::ops::Range;

use crate::config::Config;
use crate::error::{Error, ErrorKind, display_label};
use crate::parse::line::{LineParser, ParsedLine};
use crate::parse::ltsv;
use crate::write::object::ObjectWriter;

/// What became of one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineOutcome {
    /// One JSON object was written.
    Written,
    /// The line has no fields: nothing was written.
    Blank,
    /// An `LTSV_DROP` rule matched: nothing was written.
    Excluded,
}

/// How many lines of a record were written and excluded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// Lines written as JSON objects.
    pub written: usize,
    /// Lines left out by `LTSV_DROP` rules.
    pub excluded: usize,
    /// Lines written that hold a label `LTSV_LOG_FORMAT` does not declare.
    pub undeclared: usize,
}

/// Converts LTSV to JSON lines with one [`Config`], reusing its buffers
/// across lines and records.
#[derive(Debug)]
pub struct Converter<'c> {
    config: &'c Config,
    parser: LineParser,
    writer: ObjectWriter<'c>,
    /// Where, in the record last converted, its first label the log format
    /// does not declare is.
    undeclared: Option<Range<usize>>,
}

impl<'c> Converter<'c> {
    /// A converter for `config`.
    pub fn new(config: &'c Config) -> Converter<'c> {
        Converter {
            config,
            parser: LineParser::new(config.label_syntax()),
            writer: ObjectWriter::new(config),
            undeclared: None,
        }
    }

    /// The first label `LTSV_LOG_FORMAT` does not declare that a written
    /// line of `record` holds, `record` being the record (or line) this
    /// converter last converted: the sign of a server whose format changed
    /// without the table.
    pub fn undeclared_label<'r>(&self, record: &'r [u8]) -> Option<&'r [u8]> {
        self.undeclared.clone().and_then(|place| record.get(place))
    }

    /// The settings this converter applies.
    pub fn config(&self) -> &'c Config {
        self.config
    }

    /// Converts one line (without its line end) to a JSON object followed by
    /// `\n`, appended to `out`, unless it has no fields or an `LTSV_DROP`
    /// rule matches it. On error `out` is left as it was.
    ///
    /// Keys come in input order, each label once: a repeated label keeps its
    /// first position and takes its last value. With `LTSV_SPLIT_REQUEST`,
    /// the request line's parts follow, under labels the line does not have.
    pub fn convert_line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<LineOutcome, Error> {
        let parsed = self
            .parser
            .parse(line)
            .map_err(|error| hinted(error, line))?;
        let written = line_outcome(self.config, &mut self.writer, &parsed, out)
            .map_err(|error| hinted(error, line))?;
        self.undeclared = written.undeclared.map(|label| place(line, label));
        Ok(written.outcome)
    }

    /// Converts every line of `record` (LF or CRLF line ends, blank lines
    /// skipped), appending one JSON object per line to `out`, and counts
    /// the lines written and excluded. On error `out` is left as it was,
    /// and the error has the number of its line.
    pub fn convert_record(
        &mut self,
        record: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<LineCounts, Error> {
        self.convert_record_with(record, out, |_, _, _| Ok(()))
    }

    /// [`convert_record`](Self::convert_record), calling `written` with each
    /// line written, its number in the record and the place of its object
    /// in `out`. An error from `written` fails the record as a bad line
    /// would.
    pub fn convert_record_with(
        &mut self,
        record: &[u8],
        out: &mut Vec<u8>,
        mut written: impl FnMut(&ParsedLine, usize, Range<usize>) -> Result<(), Error>,
    ) -> Result<LineCounts, Error> {
        let mark = out.len();
        let mut counts = LineCounts::default();
        self.undeclared = None;
        for line in ltsv::lines(record) {
            let start = out.len();
            let converted = self.parser.parse(line.bytes).and_then(|parsed| {
                let converted = line_outcome(self.config, &mut self.writer, &parsed, out)?;
                if converted.outcome == LineOutcome::Written {
                    written(&parsed, line.number, start..out.len())?;
                }
                Ok(converted)
            });
            if let Ok(Converted {
                undeclared: Some(label),
                ..
            }) = &converted
            {
                self.undeclared.get_or_insert_with(|| place(record, label));
                counts.undeclared += 1;
            }
            match converted.map(|converted| converted.outcome) {
                Ok(LineOutcome::Written) => counts.written += 1,
                Ok(LineOutcome::Excluded) => counts.excluded += 1,
                Ok(LineOutcome::Blank) => {}
                Err(error) => {
                    out.truncate(mark);
                    return Err(hinted(error, line.bytes).at_line(line.number));
                }
            }
        }
        Ok(counts)
    }
}

/// `error` of `line`, saying so when the line's fields seem to be
/// separated by spaces rather than TABs.
fn hinted(error: Error, line: &[u8]) -> Error {
    match ltsv::spaced_fields(line) {
        true => error.with_hint(ltsv::SPACED_FIELDS),
        false => error,
    }
}

/// Where `part`, a slice of `whole`, sits in it.
fn place(whole: &[u8], part: &[u8]) -> Range<usize> {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    start..start + part.len()
}

/// What became of a line, and its first undeclared label.
#[derive(Clone, Copy)]
struct Converted<'a> {
    outcome: LineOutcome,
    undeclared: Option<&'a [u8]>,
}

/// Writes `line` unless it is blank or excluded. Drop rules are judged
/// first, so an excluded line can fail only for not being LTSV.
fn line_outcome<'a>(
    config: &Config,
    writer: &mut ObjectWriter,
    line: &ParsedLine<'a>,
    out: &mut Vec<u8>,
) -> Result<Converted<'a>, Error> {
    let skipped = |outcome| Converted {
        outcome,
        undeclared: None,
    };
    if line.is_blank() {
        return Ok(skipped(LineOutcome::Blank));
    }
    let excluded = config.drop_rules().iter().any(|rule| {
        line.value_of(&rule.label)
            .is_some_and(|value| rule.matches(&rule.label, value))
    });
    if excluded {
        return Ok(skipped(LineOutcome::Excluded));
    }
    if let Some((first, second)) = line.folded_labels() {
        return Err(Error::new(ErrorKind::FoldedLabels {
            first: display_label(first),
            second: display_label(second),
        }));
    }
    Ok(Converted {
        outcome: LineOutcome::Written,
        undeclared: writer.write(line, out)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn with(vars: &[(&str, &str)]) -> Config {
        Config::from_vars(vars).unwrap()
    }

    #[test]
    fn a_line_of_spaced_fields_fails_saying_so() {
        let config = Config::default();
        let mut converter = Converter::new(&config);
        let mut out = Vec::new();
        let spaced = b"time:[28/Jun/2021:17:22:48 +0900] host:192.0.2.1 status:200";
        let error = converter.convert_line(spaced, &mut out).unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::Type { .. }));
        assert_eq!(
            error.to_string(),
            r#"label "time": value is not a valid time (the line has no TAB: are its fields separated by spaces?)"#
        );
        let error = converter
            .convert_record(b"status:200\nstatus:OK host:x\n", &mut out)
            .unwrap_err();
        assert_eq!(error.line(), Some(2));
        assert!(
            error
                .to_string()
                .ends_with("(the line has no TAB: are its fields separated by spaces?)")
        );
        // A line with its TABs fails as before.
        let error = converter
            .convert_line(b"status:OK\thost:x y:z", &mut out)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"label "status": value is not a valid integer"#
        );
    }

    #[test]
    fn records_hold_several_lines_and_errors_give_the_line_number() {
        let config = Config::default();
        let mut converter = Converter::new(&config);
        let mut out = Vec::new();
        assert_eq!(
            converter.convert_record(b"a:1\r\n\nb:2\n\t\n", &mut out),
            Ok(LineCounts {
                written: 2,
                excluded: 0,
                // The default format, Apache's, has neither `a` nor `b`.
                undeclared: 2
            })
        );
        assert_eq!(out, b"{\"a\":\"1\"}\n{\"b\":\"2\"}\n");
        let error = converter
            .convert_record(b"a:1\n\nstatus:x\n", &mut out)
            .unwrap_err();
        assert_eq!(error.line(), Some(3));
        assert_eq!(
            error.to_string(),
            "label \"status\": value is not a valid integer"
        );
        assert_eq!(out, b"{\"a\":\"1\"}\n{\"b\":\"2\"}\n", "nothing appended");
        let error = converter
            .convert_record(b"a:1\nbad\n", &mut out)
            .unwrap_err();
        assert_eq!(*error.kind(), ErrorKind::MissingColon);
        assert_eq!(error.line(), Some(2));
        assert_eq!(
            converter.convert_record(b"\n\r\n", &mut out),
            Ok(LineCounts::default())
        );
    }

    #[test]
    fn each_written_line_is_handed_over_with_its_place() {
        let config = with(&[("LTSV_DROP", "ua=probe"), ("LTSV_LOG_FORMAT", "")]);
        let mut converter = Converter::new(&config);
        let mut out = b"head".to_vec();
        let mut seen = Vec::new();
        let counts = converter
            .convert_record_with(b"a:1\nua:probe\n\t\nb:22\n", &mut out, |line, _, place| {
                seen.push((line.bytes().to_vec(), place));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            counts,
            LineCounts {
                written: 2,
                excluded: 1,
                undeclared: 0
            }
        );
        assert_eq!(seen, [(b"a:1".to_vec(), 4..14), (b"b:22".to_vec(), 14..25)]);
        assert_eq!(&out[4..14], b"{\"a\":\"1\"}\n");
    }

    #[test]
    fn an_error_from_the_hook_fails_the_record_at_its_line() {
        let config = Config::default();
        let mut converter = Converter::new(&config);
        let mut out = b"head".to_vec();
        let error = converter
            .convert_record_with(b"a:1\n\nb:2\n", &mut out, |line, _, _| {
                if line.has(b"b") {
                    Err(Error::new(ErrorKind::NoTimeLabel))
                } else {
                    Ok(())
                }
            })
            .unwrap_err();
        assert_eq!(*error.kind(), ErrorKind::NoTimeLabel);
        assert_eq!(error.line(), Some(3));
        assert_eq!(out, b"head");
    }

    #[test]
    fn lines_with_labels_the_format_does_not_declare_convert_and_are_counted() {
        let config = with(&[("LTSV_LOG_FORMAT", r"status:%>s\tua:%{User-Agent}i")]);
        let mut converter = Converter::new(&config);
        let mut out = Vec::new();
        let record = b"status:200\tua:x\nstatus:201\tupstream:a\tzz:1\nstatus:404\tzz:2\n";
        assert_eq!(
            converter.convert_record(record, &mut out),
            Ok(LineCounts {
                written: 3,
                excluded: 0,
                undeclared: 2
            })
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"status\":200,\"ua\":\"x\"}\n{\"status\":201,\"upstream\":\"a\",\"zz\":\"1\"}\n\
             {\"status\":404,\"zz\":\"2\"}\n"
        );
        // The record's first, found in the record.
        assert_eq!(converter.undeclared_label(record), Some(&b"upstream"[..]));
        converter
            .convert_record(b"status:1\n", &mut Vec::new())
            .unwrap();
        assert_eq!(converter.undeclared_label(b"status:1\n"), None);
        converter
            .convert_line(b"zz:1\tyy:2", &mut Vec::new())
            .unwrap();
        assert_eq!(converter.undeclared_label(b"zz:1\tyy:2"), Some(&b"zz"[..]));
        let none = with(&[("LTSV_LOG_FORMAT", "")]);
        let mut converter = Converter::new(&none);
        let counts = converter.convert_record(record, &mut Vec::new()).unwrap();
        assert_eq!(counts.undeclared, 0);
        assert_eq!(converter.undeclared_label(record), None);
    }

    #[test]
    fn labels_that_differ_only_in_case_fail_the_line_unless_it_is_excluded() {
        let config = with(&[("LTSV_DROP", "x=drop")]);
        let mut converter = Converter::new(&config);
        let mut out = b"head".to_vec();
        let error = converter
            .convert_record(b"a:1\nua:x\tUA:y\n", &mut out)
            .unwrap_err();
        assert_eq!(
            *error.kind(),
            ErrorKind::FoldedLabels {
                first: "ua".into(),
                second: "UA".into()
            }
        );
        assert_eq!(error.line(), Some(2));
        assert_eq!(
            error.to_string(),
            "labels \"ua\" and \"UA\" differ only in case, which Athena ignores: they would be one column"
        );
        assert_eq!(out, b"head");
        assert_eq!(
            converter.convert_line(b"ua:x\tUA:y\tx:drop", &mut out),
            Ok(LineOutcome::Excluded)
        );
    }

    #[test]
    fn a_line_of_empty_fields_writes_nothing() {
        let mut out = Vec::new();
        let config = Config::default();
        assert_eq!(
            Converter::new(&config).convert_line(b"\t\t", &mut out),
            Ok(LineOutcome::Blank)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn drop_rules_leave_matching_lines_out() {
        let config = with(&[("LTSV_DROP", "ua^=ELB-HealthChecker,req^=GET /healthz")]);
        let mut converter = Converter::new(&config);
        let mut out = Vec::new();
        let record = b"req:GET / HTTP/1.1\tua:curl\n\
                       req:GET /healthz HTTP/1.1\tua:curl\n\
                       req:GET / HTTP/1.1\tua:ELB-HealthChecker/2.0\n\
                       req:GET /health HTTP/1.1\tua:Mozilla ELB-HealthChecker\n";
        assert_eq!(
            converter.convert_record(record, &mut out),
            Ok(LineCounts {
                written: 2,
                excluded: 2,
                undeclared: 0
            })
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"req\":\"GET / HTTP/1.1\",\"ua\":\"curl\"}\n\
             {\"req\":\"GET /health HTTP/1.1\",\"ua\":\"Mozilla ELB-HealthChecker\"}\n"
        );
        // A repeated label is judged by the value it ends up with.
        let mut out = Vec::new();
        assert_eq!(
            converter.convert_line(b"ua:ELB-HealthChecker\tua:curl", &mut out),
            Ok(LineOutcome::Written)
        );
        assert_eq!(out, b"{\"ua\":\"curl\"}\n");
        out.clear();
        assert_eq!(
            converter.convert_line(b"ua:curl\tua:ELB-HealthChecker/2.0", &mut out),
            Ok(LineOutcome::Excluded)
        );
        assert!(out.is_empty());
        // Dropping happens before typing: an excluded line cannot fail.
        let strict = with(&[("LTSV_DROP", "ua=probe")]);
        assert_eq!(
            Converter::new(&strict).convert_line(b"status:x\tua:probe", &mut out),
            Ok(LineOutcome::Excluded)
        );
        // But it must still be LTSV.
        assert!(
            Converter::new(&strict)
                .convert_line(b"bad\tua:probe", &mut out)
                .is_err()
        );
    }
}
