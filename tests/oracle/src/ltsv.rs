//! Records into lines, lines into fields, and what makes a line invalid.

use std::collections::BTreeMap;

use crate::settings::Type;

/// Why a line or record is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A field has no `:`.
    MissingColon,
    /// A field starts with `:`.
    EmptyLabel,
    /// With strict labels, a label byte outside `[0-9A-Za-z_.-]`: the first.
    InvalidLabelByte(u8),
    /// With any labels, a label that is not UTF-8.
    LabelNotUtf8,
    /// Two distinct labels of the line differ only in case, so Athena's
    /// JSON SerDe, which ignores case, would take them for one column.
    /// Which two a line with several such pairs names is the product's
    /// choice: see [`folded_labels`](crate::folded_labels).
    FoldedLabels {
        /// The one that appears first, as messages show it.
        first: String,
        /// The other.
        second: String,
    },
    /// A value not of its label's type, under `LTSV_ON_TYPE_ERROR=fail`.
    Type {
        /// The label, as messages show it (see [`shown_label`](crate::shown_label)).
        label: String,
        /// The label's type.
        expected: Type,
    },
    /// The time label is missing from the line the partition keys come
    /// from, or its value is empty or null.
    NoEventTime {
        /// The time label.
        label: String,
    },
    /// The time label's value is not a valid time.
    BadEventTime {
        /// The time label.
        label: String,
    },
    /// A label partition key is missing from that line, or empty or null.
    NoPartitionValue {
        /// The label.
        label: String,
    },
}

/// A problem and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// What is wrong.
    pub problem: Problem,
    /// The 1-based line of its record, counting blank lines, for a record.
    pub line: Option<usize>,
    /// For a field: its 1-based place among the line's TAB-separated
    /// fields (empty ones counted), and the byte of the line it starts at.
    pub field: Option<(usize, usize)>,
}

impl Rejection {
    /// A problem with no place yet.
    pub fn new(problem: Problem) -> Rejection {
        Rejection {
            problem,
            line: None,
            field: None,
        }
    }

    /// This rejection, placed on line `line` of its record.
    pub fn at_line(self, line: usize) -> Rejection {
        Rejection {
            line: Some(line),
            ..self
        }
    }
}

/// A field's label and value.
pub type Field<'a> = (&'a [u8], &'a [u8]);

/// The lines of a record: each ends in LF or CRLF (the last may end in
/// neither), a CR not followed by LF is data, and lines that are empty or
/// only TABs are skipped. Returns each line's 1-based number and bytes.
pub fn record_lines(data: &[u8]) -> Vec<(usize, &[u8])> {
    let pieces: Vec<&[u8]> = split(data, b'\n').collect();
    let last = pieces.len() - 1;
    let mut lines = Vec::new();
    for (i, piece) in pieces.into_iter().enumerate() {
        // Only a CR that the LF follows belongs to the line end.
        let piece = if i < last {
            piece.strip_suffix(b"\r").unwrap_or(piece)
        } else {
            piece
        };
        if piece.iter().any(|&b| b != b'\t') {
            lines.push((i + 1, piece));
        }
    }
    lines
}

/// `data` split on every `byte`, as `<[u8]>::split` does; with `memchr`,
/// so that long inputs are not scanned byte by byte (which the fuzzers'
/// coverage tracing makes slow).
fn split(data: &[u8], byte: u8) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(byte, data)
        .chain([data.len()])
        .map(move |end| {
            let piece = &data[start..end];
            start = end + 1;
            piece
        })
}

/// Whether `byte` may be in a strict label: `[0-9A-Za-z_.-]`.
pub fn is_label_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-')
}

/// A line's `(label, value)` fields, or the first field that is not a
/// valid `label:value` pair: split on TAB, empty fields skipped (but
/// counted), label and value split on the first `:`; the label not empty,
/// and within `[0-9A-Za-z_.-]` (strict labels) or UTF-8 (any labels).
pub fn line_fields(line: &[u8], any_labels: bool) -> Result<Vec<Field<'_>>, Rejection> {
    let mut fields = Vec::new();
    let mut start = 0;
    for (i, field) in split(line, b'\t').enumerate() {
        let field_start = start;
        start += field.len() + 1;
        if field.is_empty() {
            continue;
        }
        let error = |problem| Rejection {
            problem,
            line: None,
            field: Some((i + 1, field_start)),
        };
        let Some(colon) = memchr::memchr(b':', field) else {
            return Err(error(Problem::MissingColon));
        };
        let (label, value) = (&field[..colon], &field[colon + 1..]);
        if label.is_empty() {
            return Err(error(Problem::EmptyLabel));
        }
        if any_labels {
            // A JSON key is text: a label that is not UTF-8 could only be
            // written as `\xhh` text, the key of another label.
            if std::str::from_utf8(label).is_err() {
                return Err(error(Problem::LabelNotUtf8));
            }
        } else if let Some(&bad) = label.iter().find(|&&b| !is_label_byte(b)) {
            return Err(error(Problem::InvalidLabelByte(bad)));
        }
        fields.push((label, value));
    }
    Ok(fields)
}

/// Each distinct label once, in the order of its first appearance, with its
/// last value.
pub fn distinct<'a>(fields: &[Field<'a>]) -> Vec<Field<'a>> {
    let mut members: Vec<Field<'a>> = Vec::new();
    // Ordered, not hashed: a hash map's random keys would make the fuzz
    // targets, which run this, take other paths on every run.
    let mut index: BTreeMap<&[u8], usize> = BTreeMap::new();
    for &(label, value) in fields {
        match index.get(label) {
            Some(&i) => members[i].1 = value,
            None => {
                index.insert(label, members.len());
                members.push((label, value));
            }
        }
    }
    members
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cr_ends_a_line_only_before_lf() {
        let data = b"a:1\r\n\r\n\t\t\nb:2\rc\n\rd:4\r";
        assert_eq!(
            record_lines(data),
            [(1, &b"a:1"[..]), (4, b"b:2\rc"), (5, b"\rd:4\r")]
        );
        assert_eq!(record_lines(b""), []);
        assert_eq!(record_lines(b"\n"), []);
        assert_eq!(record_lines(b"\r"), [(1, &b"\r"[..])]);
    }

    #[test]
    fn fields_are_numbered_with_the_empty_ones() {
        assert_eq!(
            line_fields(b"\ta:1\t\tb:x:y\t", false),
            Ok(vec![(&b"a"[..], &b"1"[..]), (b"b", b"x:y")])
        );
        let at = |field, start, problem| {
            Err(Rejection {
                problem,
                line: None,
                field: Some((field, start)),
            })
        };
        assert_eq!(
            line_fields(b"a:1\t\tnocolon", false),
            at(3, 5, Problem::MissingColon)
        );
        assert_eq!(line_fields(b":1", true), at(1, 0, Problem::EmptyLabel));
        assert_eq!(
            line_fields(b"a b:1", false),
            at(1, 0, Problem::InvalidLabelByte(b' '))
        );
        assert_eq!(
            line_fields(b"a b:1", true),
            Ok(vec![(&b"a b"[..], &b"1"[..])])
        );
        assert_eq!(
            line_fields(b"a:1\tk\x80:2", true),
            at(2, 4, Problem::LabelNotUtf8)
        );
        // The first bad field is the error, whatever follows.
        assert_eq!(
            line_fields(b"x\t:y", false),
            at(1, 0, Problem::MissingColon)
        );
    }

    #[test]
    fn a_repeated_label_keeps_its_first_place_and_takes_its_last_value() {
        let fields = line_fields(b"a:1\tb:2\ta:3\tA:4\ta:5", false).unwrap();
        assert_eq!(
            distinct(&fields),
            [(&b"a"[..], &b"5"[..]), (b"b", b"2"), (b"A", b"4")]
        );
    }
}
