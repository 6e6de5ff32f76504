//! The crate's one error type: what went wrong ([`ErrorKind`]) and, for
//! data, where ([`Position`]).
//!
//! A message never holds a value from the data, which is client data
//! (addresses, user agents, URLs): only labels, escaped and cut short, and
//! positions.

use std::fmt;

use crate::values::types::Type;

/// An error reading settings, converting data or answering an invocation.
///
/// Its `Display` gives the reason and, for a field, where in its line the
/// field is; the line number is in [`Error::line`], for the caller to
/// report in its own frame (`FILE:LINE`, a record's line, a log field).
///
/// ```
/// use firehose_ltsv::{Config, Converter, ErrorKind};
///
/// let config = Config::default();
/// let mut out = Vec::new();
/// let error = Converter::new(&config)
///     .convert_record(b"status:200\n\nstatus:x\n", &mut out)
///     .unwrap_err();
/// assert_eq!(error.line(), Some(3));
/// assert!(matches!(error.kind(), ErrorKind::Type { .. }));
/// assert_eq!(error.to_string(), r#"label "status": value is not a valid integer"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    position: Position,
    /// What the data looked like, when that says more than the error.
    hint: Option<&'static str>,
}

/// Where in the data an error is; each part is known only for errors
/// about that part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// 1-based number of the line in its record, counting blank lines.
    pub line: Option<usize>,
    /// 1-based position of the field among its line's TAB-separated
    /// fields, counting empty ones.
    pub field: Option<usize>,
    /// Byte offset of that field in its line.
    pub byte: Option<usize>,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A field has no `:` between label and value.
    MissingColon,
    /// A field starts with `:`.
    EmptyLabel,
    /// A label holds a byte outside `[0-9A-Za-z_.-]` (strict labels only).
    InvalidLabelByte(u8),
    /// A label is not UTF-8 text, which a JSON key must be (any labels).
    LabelNotUtf8,
    /// A value does not parse as its label's type (`LTSV_ON_TYPE_ERROR=fail`).
    Type {
        /// The label, escaped and cut short for display.
        label: String,
        /// The type the value should have had.
        expected: Type,
    },
    /// No label has a time type, so a line has no event time.
    NoTimeLabel,
    /// The time label is missing from a line, or its value is empty or null.
    NoEventTime {
        /// The time label.
        label: String,
    },
    /// The time label's value is not a valid time.
    BadEventTime {
        /// The time label.
        label: String,
    },
    /// A label that is a partition key is missing from the line the keys
    /// come from, or its value is empty or null.
    NoPartitionValue {
        /// The label.
        label: String,
    },
    /// Two labels of a line differ only in case: Athena's JSON SerDe folds
    /// case, so they would be one column and every query of the file
    /// would fail.
    FoldedLabels {
        /// The first, escaped and cut short for display.
        first: String,
        /// The other.
        second: String,
    },
    /// A record's `data` is not valid base64.
    Base64(base64::DecodeError),
    /// A record's output would push the response past `limit` bytes.
    ResponseFull {
        /// The largest response, in bytes.
        limit: usize,
    },
    /// Converting a record panicked: a bug, kept to that one record.
    Panic,
    /// For an Iceberg table, a record wrote more than one line: Firehose's
    /// Iceberg writer takes one JSON object a record.
    OneObjectPerRecord {
        /// The lines the record wrote.
        lines: usize,
    },
    /// The request is not a Firehose transformation event.
    NotFirehoseEvent(String),
    /// Even with every record returned unchanged, the response would be
    /// `len` bytes, more than `limit`.
    ResponseTooLarge {
        /// The size of the response with every record failed.
        len: usize,
        /// The largest response, in bytes.
        limit: usize,
    },
    /// A setting is not valid.
    Setting {
        /// The environment variable.
        variable: &'static str,
        /// What is wrong with its value.
        message: String,
    },
}

impl Error {
    /// An error of `kind`, with no position.
    pub fn new(kind: ErrorKind) -> Error {
        Error(Box::new(Inner {
            kind,
            position: Position::default(),
            hint: None,
        }))
    }

    /// An error about the field at `field` (1-based), starting at `byte`
    /// of its line.
    pub(crate) fn in_field(kind: ErrorKind, field: usize, byte: usize) -> Error {
        let mut error = Error::new(kind);
        error.0.position.field = Some(field);
        error.0.position.byte = Some(byte);
        error
    }

    /// A setting that is not valid.
    pub(crate) fn setting(variable: &'static str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Setting {
            variable,
            message: message.into(),
        })
    }

    /// This error, placed on line `line` of its record.
    pub(crate) fn at_line(mut self, line: usize) -> Error {
        self.0.position.line = Some(line);
        self
    }

    /// This error, with what the data looked like.
    pub(crate) fn with_hint(mut self, hint: &'static str) -> Error {
        self.0.hint = Some(hint);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Where it went wrong.
    pub fn position(&self) -> Position {
        self.0.position
    }

    /// The line of its record the error is on, when it is about one line.
    pub fn line(&self) -> Option<usize> {
        self.0.position.line
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.reason(f)?;
        match self.0.hint {
            Some(hint) => write!(f, " ({hint})"),
            None => Ok(()),
        }
    }
}

impl Error {
    /// The reason and place, without the hint.
    fn reason(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Position {
            field: Some(field),
            byte: Some(byte),
            ..
        } = self.0.position
        {
            write!(f, "field {field} (byte {}): ", byte + 1)?;
        }
        match &self.0.kind {
            ErrorKind::MissingColon => f.write_str("no ':' between label and value"),
            ErrorKind::EmptyLabel => f.write_str("empty label"),
            ErrorKind::InvalidLabelByte(byte) => write!(
                f,
                "label holds '{}', outside [0-9A-Za-z_.-]",
                byte.escape_ascii()
            ),
            ErrorKind::LabelNotUtf8 => f.write_str("label is not UTF-8"),
            ErrorKind::Type { label, expected } => {
                write!(f, "label \"{label}\": value is not a valid {expected}")
            }
            ErrorKind::NoTimeLabel => {
                f.write_str("no event time: no label has type time (LTSV_LOG_FORMAT, LTSV_TYPES)")
            }
            ErrorKind::NoEventTime { label } => write!(
                f,
                "no event time: label \"{label}\" is missing, empty or null"
            ),
            ErrorKind::BadEventTime { label } => {
                write!(f, "no event time: label \"{label}\" is not a valid time")
            }
            ErrorKind::NoPartitionValue { label } => write!(
                f,
                "partition key: label \"{label}\" is missing, empty or null"
            ),
            ErrorKind::FoldedLabels { first, second } => write!(
                f,
                "labels \"{first}\" and \"{second}\" differ only in case, which Athena ignores: they would be one column"
            ),
            ErrorKind::Base64(error) => write!(f, "data is not valid base64: {error}"),
            ErrorKind::ResponseFull { limit } => {
                write!(f, "output would make the response exceed {limit} bytes")
            }
            ErrorKind::Panic => f.write_str("conversion panicked (a bug; please report it)"),
            ErrorKind::OneObjectPerRecord { lines } => write!(
                f,
                "the record holds {lines} lines, and an Iceberg table takes one a record \
                 (send one line a record: Kinesis Agent's aggregatedRecordSizeBytes 0)"
            ),
            ErrorKind::NotFirehoseEvent(why) => write!(f, "not a Firehose event: {why}"),
            ErrorKind::ResponseTooLarge { len, limit } => write!(
                f,
                "response of {len} bytes exceeds {limit} bytes even with records returned unchanged"
            ),
            ErrorKind::Setting { variable, message } => write!(f, "{variable}: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Base64(error) => Some(error),
            _ => None,
        }
    }
}

/// A label as it may appear in a message: escaped, and cut short so that
/// a label made of client data cannot flood a log.
pub(crate) fn display_label(label: &[u8]) -> String {
    const MAX: usize = 64;
    let shown = label.get(..MAX).unwrap_or(label).escape_ascii().to_string();
    if label.len() > MAX {
        shown + "..."
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_say_which_field_and_byte() {
        let error = Error::in_field(ErrorKind::InvalidLabelByte(b' '), 2, 4).at_line(7);
        assert_eq!(
            error.to_string(),
            "field 2 (byte 5): label holds ' ', outside [0-9A-Za-z_.-]"
        );
        assert_eq!(
            error.position(),
            Position {
                line: Some(7),
                field: Some(2),
                byte: Some(4)
            }
        );
        assert_eq!(error.line(), Some(7));
    }

    #[test]
    fn errors_without_a_field_are_just_the_reason() {
        let error = Error::new(ErrorKind::NoEventTime {
            label: "time".into(),
        });
        assert_eq!(
            error.to_string(),
            "no event time: label \"time\" is missing, empty or null"
        );
        assert_eq!(error.position(), Position::default());
        assert_eq!(
            Error::setting("LTSV_UNESCAPE", "bad").to_string(),
            "LTSV_UNESCAPE: bad"
        );
    }

    #[test]
    fn only_base64_errors_have_a_source() {
        use std::error::Error as _;
        let error = Error::new(ErrorKind::Base64(base64::DecodeError::InvalidPadding));
        assert!(error.source().is_some());
        assert!(Error::new(ErrorKind::Panic).source().is_none());
    }

    #[test]
    fn labels_in_messages_are_escaped_and_bounded() {
        assert_eq!(display_label(b"st\xffatus"), "st\\xffatus");
        let long = vec![b'a'; 100];
        assert_eq!(display_label(&long), format!("{}...", "a".repeat(64)));
        assert_eq!(display_label(&long[..64]), "a".repeat(64));
    }
}
