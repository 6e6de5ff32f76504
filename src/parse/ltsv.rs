//! Splitting LTSV data into lines and lines into `label:value` fields.
//!
//! This is the allocation-free core of the crate: every item borrows from the
//! input, and the hot loops search eight bytes at a time (see `words`).
//!
//! ```
//! use firehose_ltsv::{fields, lines, LabelSyntax};
//!
//! let data = b"host:127.0.0.1\treq:GET / HTTP/1.1\r\n\nstatus:200\n";
//! let mut numbered = lines(data);
//! let first = numbered.next().unwrap();
//! assert_eq!(first.number, 1);
//!
//! let parsed: Vec<_> = fields(first.bytes, LabelSyntax::Strict)
//!     .map(|field| field.unwrap())
//!     .map(|field| (field.label, field.value))
//!     .collect();
//! assert_eq!(parsed, [(&b"host"[..], &b"127.0.0.1"[..]), (b"req", b"GET / HTTP/1.1")]);
//!
//! // The blank second line is skipped; numbering still counts it.
//! assert_eq!(numbered.next().unwrap().number, 3);
//! assert!(numbered.next().is_none());
//! ```

use memchr::memchr;

use crate::error::{Error, ErrorKind};
use crate::parse::words::{self, Word};

/// One non-blank line of LTSV data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number within the data, counting blank lines too.
    pub number: usize,
    /// The line without its `\n` or `\r\n` terminator.
    pub bytes: &'a [u8],
}

/// Iterator over the non-blank lines of LTSV data; see [`lines`].
#[derive(Clone, Debug)]
pub struct Lines<'a> {
    rest: &'a [u8],
    number: usize,
}

/// Splits `data` into lines ending in LF or CRLF (the last line may lack
/// one), skipping lines that are empty once the terminator is removed.
pub fn lines(data: &[u8]) -> Lines<'_> {
    Lines {
        rest: data,
        number: 0,
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        while !self.rest.is_empty() {
            let (line, rest) = match memchr(b'\n', self.rest) {
                Some(end) => (&self.rest[..=end], &self.rest[end + 1..]),
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            self.number += 1;
            let line = trim_line_end(line);
            if !line.is_empty() {
                return Some(Line {
                    number: self.number,
                    bytes: line,
                });
            }
        }
        None
    }
}

/// Removes a line's `\n` or `\r\n` terminator, if it has one. A CR not
/// followed by LF is data, even at the end.
pub fn trim_line_end(line: &[u8]) -> &[u8] {
    match line.strip_suffix(b"\n") {
        Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
        None => line,
    }
}

/// Which labels a line may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelSyntax {
    /// Labels match `[0-9A-Za-z_.-]+`, as the LTSV specification requires.
    Strict,
    /// Any non-empty UTF-8 label without a TAB or `:` in it.
    Any,
}

/// One `label:value` field, borrowed from its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    /// Byte offset of the field in its line: the label starts here and the
    /// value starts at `start + label.len() + 1`.
    pub start: usize,
    /// Everything before the first `:`.
    pub label: &'a [u8],
    /// Everything after the first `:`, up to the next TAB or the end of line.
    pub value: &'a [u8],
}

/// Iterator over the fields of one line; see [`fields`].
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    line: &'a [u8],
    /// Where the next field starts; past the end when there is none.
    pos: usize,
    field: usize,
    syntax: LabelSyntax,
}

/// Splits one line (without its terminator) into fields on TAB, and each
/// field into label and value on its first `:`. Empty fields are skipped.
pub fn fields(line: &[u8], syntax: LabelSyntax) -> Fields<'_> {
    Fields {
        line,
        pos: 0,
        field: 0,
        syntax,
    }
}

/// Whether a value's `byte` is one that ends it (TAB) or that its writer
/// must look at: a backslash (an escape to decode), a quote or a control
/// byte (a JSON escape), or a byte past ASCII (UTF-8 to check). As a
/// signed byte, a control byte and one past ASCII are both below `0x20`.
/// Written without branches so that a chunk's test vectorizes.
fn is_stop(byte: u8) -> bool {
    ((byte as i8) < 0x20) | (byte == b'"') | (byte == b'\\')
}

/// [`is_stop`] for each byte of a word.
fn stops(word: Word) -> Word {
    words::control_or_high(word) | words::equal(word, b'"') | words::equal(word, b'\\')
}

/// Bytes tested together when passing over a long value.
const CHUNK: usize = 16;

/// Where the value starting at `from` ends (its TAB, or the end of the
/// line), and whether it is plain: free of every byte [`is_stop`] names,
/// so that it is written exactly as it is.
///
/// Most values end within a word. A longer one is passed over a chunk at
/// a time, each chunk tested whole with comparisons the compiler turns
/// into vector instructions (SSE2, NEON), and the chunk that holds a stop
/// is searched a word at a time.
#[inline]
pub(crate) fn value_end(line: &[u8], from: usize) -> (usize, bool) {
    let mut at = from;
    if let Some(word) = words::load(line, at) {
        let found = stops(word);
        if found != 0 {
            return stopped(line, at + words::first(found));
        }
        at += words::WIDTH;
        while let Some(chunk) = line.get(at..at + CHUNK) {
            if chunk.iter().fold(false, |stop, &b| stop | is_stop(b)) {
                break;
            }
            at += CHUNK;
        }
        while let Some(word) = words::load(line, at) {
            let found = stops(word);
            if found != 0 {
                return stopped(line, at + words::first(found));
            }
            at += words::WIDTH;
        }
    }
    match line[at..].iter().position(|&b| is_stop(b)) {
        Some(i) => stopped(line, at + i),
        None => (line.len(), true),
    }
}

/// [`value_end`] for a value whose first stop is at `at`.
fn stopped(line: &[u8], at: usize) -> (usize, bool) {
    match line[at] {
        b'\t' => (at, true),
        _ => (
            memchr(b'\t', &line[at..]).map_or(line.len(), |i| at + i),
            false,
        ),
    }
}

/// The first `:` or TAB at or after `from`, or the end of the line: where
/// a field's label ends, or the field itself when it has no `:`.
fn colon_or_tab(line: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(word) = words::load(line, at) {
        let found = words::equal(word, b':') | words::equal(word, b'\t');
        if found != 0 {
            return at + words::first(found);
        }
        at += words::WIDTH;
    }
    line[at..]
        .iter()
        .position(|&b| b == b':' || b == b'\t')
        .map_or(line.len(), |i| at + i)
}

impl<'a> Fields<'a> {
    /// The next field, and whether its value is plain (see [`value_end`]).
    pub(crate) fn next_field(&mut self) -> Option<Result<(Field<'a>, bool), Error>> {
        let line = self.line;
        while self.pos <= line.len() {
            let start = self.pos;
            self.field += 1;
            let error = |kind| Some(Err(Error::in_field(kind, self.field, start)));
            let stop = colon_or_tab(line, start);
            if line.get(stop) != Some(&b':') {
                self.pos = stop + 1;
                if stop == start {
                    // An empty field, or none at the end of the line.
                    continue;
                }
                return error(ErrorKind::MissingColon);
            }
            // The value runs to the next TAB: colons in it are data.
            let (end, plain) = value_end(line, stop + 1);
            self.pos = end + 1;
            let label = &line[start..stop];
            if label.is_empty() {
                return error(ErrorKind::EmptyLabel);
            }
            match self.syntax {
                // Tested whole, without a branch per byte: labels are valid.
                LabelSyntax::Strict => {
                    if !label.iter().fold(true, |ok, &b| ok & is_label_byte(b)) {
                        let bad = label.iter().find(|&&b| !is_label_byte(b));
                        return error(ErrorKind::InvalidLabelByte(*bad.expect("a bad byte")));
                    }
                }
                // Written as a key, an invalid byte would become the same
                // `\xhh` text as a label that spells it out.
                LabelSyntax::Any => {
                    if std::str::from_utf8(label).is_err() {
                        return error(ErrorKind::LabelNotUtf8);
                    }
                }
            }
            let field = Field {
                start,
                label,
                value: &line[stop + 1..end],
            };
            return Some(Ok((field, plain)));
        }
        None
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_field().map(|field| field.map(|(field, _)| field))
    }
}

/// Whether each byte may appear in a strict label: one lookup rather than
/// five comparisons, since every label byte of every line is tested.
static LABEL_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
        byte += 1;
    }
    table
};

/// Whether `byte` may appear in a strict LTSV label: `[0-9A-Za-z_.-]`.
pub(crate) fn is_label_byte(byte: u8) -> bool {
    LABEL_BYTES[usize::from(byte)]
}

/// Whether `line` looks like LTSV with spaces where its TABs belong: no
/// TAB, and a `label:` at its start and after a space, twice or more. Such
/// a line is one field whose value runs to its end, which fails in ways
/// that say nothing of the spaces.
pub(crate) fn spaced_fields(line: &[u8]) -> bool {
    if memchr::memchr(b'\t', line).is_some() {
        return false;
    }
    let starts_label = |at: usize| {
        let label = line[at..].iter().take_while(|&&b| is_label_byte(b)).count();
        label > 0 && line.get(at + label) == Some(&b':')
    };
    let after_spaces = memchr::memchr_iter(b' ', line).filter(|&space| starts_label(space + 1));
    starts_label(0) && after_spaces.count() >= 1
}

/// What an error of a line that [`spaced_fields`] says of says.
pub(crate) const SPACED_FIELDS: &str = "the line has no TAB: are its fields separated by spaces?";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_spaced_fields_are_told_apart() {
        for spaced in [
            &b"time:[28/Jun/2021:17:22:48 +0900] host:192.0.2.1 status:200"[..],
            b"a:1 b:2",
            b"a: b:",
        ] {
            assert!(spaced_fields(spaced), "{}", spaced.escape_ascii());
        }
        for other in [
            &b"time:[28/Jun/2021:17:22:48 +0900]\thost:192.0.2.1 status:200"[..],
            b"192.0.2.1 - - [28/Jun/2021:17:22:48 +0900] \"GET / HTTP/1.1\" 200 5",
            b"a:1",
            b"a:1 b 2",
            b" a:1 b:2",
            b"ua:curl/8.5.0 (x:1)",
            b"",
        ] {
            assert!(!spaced_fields(other), "{}", other.escape_ascii());
        }
    }

    type Pairs<'a> = Vec<(&'a [u8], &'a [u8])>;

    fn parse(line: &[u8], syntax: LabelSyntax) -> Result<Pairs<'_>, Error> {
        fields(line, syntax)
            .map(|f| f.map(|f| (f.label, f.value)))
            .collect()
    }

    fn strict(line: &[u8]) -> Result<Pairs<'_>, Error> {
        parse(line, LabelSyntax::Strict)
    }

    fn numbered(data: &[u8]) -> Vec<(usize, &[u8])> {
        lines(data).map(|l| (l.number, l.bytes)).collect()
    }

    #[test]
    fn lines_end_with_lf_or_crlf_and_blank_lines_are_skipped() {
        assert_eq!(
            numbered(b"a:1\r\nb:2\n\n\r\nc:3"),
            [(1, &b"a:1"[..]), (2, b"b:2"), (5, b"c:3")]
        );
        assert_eq!(numbered(b"a:1\n"), [(1, &b"a:1"[..])]);
        assert!(numbered(b"").is_empty());
        assert!(numbered(b"\n\r\n\n").is_empty());
    }

    #[test]
    fn a_lone_cr_is_data_not_a_line_end() {
        assert_eq!(numbered(b"a:1\rb:2\n"), [(1, &b"a:1\rb:2"[..])]);
        // Only one CR belongs to the terminator, and only before LF.
        assert_eq!(numbered(b"a:1\r\r\n"), [(1, &b"a:1\r"[..])]);
        assert_eq!(numbered(b"a:1\r"), [(1, &b"a:1\r"[..])]);
        assert_eq!(numbered(b"a:1\n\r"), [(1, &b"a:1"[..]), (2, b"\r")]);
        assert_eq!(trim_line_end(b"a\r"), b"a\r");
        assert_eq!(trim_line_end(b"a\r\n"), b"a");
    }

    #[test]
    fn fields_split_on_tab_and_first_colon() {
        assert_eq!(
            strict(b"time:[28/Jun/2021:17:22:48 +0900]\treq:GET /a:b HTTP/1.1").unwrap(),
            [
                (&b"time"[..], &b"[28/Jun/2021:17:22:48 +0900]"[..]),
                (b"req", b"GET /a:b HTTP/1.1")
            ]
        );
        assert_eq!(strict(b"a:").unwrap(), [(&b"a"[..], &b""[..])]);
        assert_eq!(strict(b"a::").unwrap(), [(&b"a"[..], &b":"[..])]);
    }

    #[test]
    fn empty_fields_are_skipped() {
        let expected = [(&b"a"[..], &b"1"[..]), (b"b", b"2")];
        assert_eq!(strict(b"\t\ta:1\t\tb:2\t").unwrap(), expected);
        assert_eq!(strict(b"a:1\tb:2\t\t\t").unwrap(), expected);
        assert!(strict(b"\t\t\t").unwrap().is_empty());
    }

    #[test]
    fn field_start_locates_label_and_value() {
        let line = b"\ta:1\tbb:22";
        for field in fields(line, LabelSyntax::Strict) {
            let field = field.unwrap();
            let label_end = field.start + field.label.len();
            assert_eq!(&line[field.start..label_end], field.label);
            assert_eq!(line[label_end], b':');
            assert_eq!(
                &line[label_end + 1..label_end + 1 + field.value.len()],
                field.value
            );
        }
    }

    #[test]
    fn a_field_without_colon_is_an_error_wherever_it_is() {
        for (line, field, start) in [
            (&b"novalue"[..], 1, 0),
            (b"a:1\tnovalue", 2, 4),
            (b"a:1\tnovalue\tb:2", 2, 4),
            (b"\t\tnovalue", 3, 2),
        ] {
            let error = strict(line).unwrap_err();
            assert_eq!(
                error,
                Error::in_field(ErrorKind::MissingColon, field, start),
                "{:?}",
                line.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn an_empty_label_is_an_error_in_both_syntaxes() {
        for syntax in [LabelSyntax::Strict, LabelSyntax::Any] {
            let error = parse(b"a:1\t:2", syntax).unwrap_err();
            assert_eq!(error, Error::in_field(ErrorKind::EmptyLabel, 2, 4));
        }
    }

    #[test]
    fn strict_labels_allow_exactly_alphanumerics_underscore_dot_and_dash() {
        for byte in 0..=255u8 {
            let line = [b'x', byte, b':', b'v'];
            if byte == b'\t' || byte == b':' {
                continue;
            }
            let expected_ok = byte.is_ascii_alphanumeric() || b"_.-".contains(&byte);
            assert_eq!(is_label_byte(byte), expected_ok);
            match strict(&line) {
                Ok(parsed) => {
                    assert!(expected_ok, "byte {byte:#04x} accepted");
                    assert_eq!(parsed, [(&line[..2], &b"v"[..])]);
                }
                Err(error) => {
                    assert!(!expected_ok, "byte {byte:#04x} rejected");
                    assert_eq!(*error.kind(), ErrorKind::InvalidLabelByte(byte));
                }
            }
        }
    }

    #[test]
    fn any_syntax_refuses_labels_that_are_not_utf8() {
        let error = parse(b"a:1\tk\x80:2", LabelSyntax::Any).unwrap_err();
        assert_eq!(*error.kind(), ErrorKind::LabelNotUtf8);
        assert_eq!(error.to_string(), "field 2 (byte 5): label is not UTF-8");
        assert!(parse(br"k\x80:2", LabelSyntax::Any).is_ok());
    }

    #[test]
    fn any_syntax_accepts_any_non_empty_label() {
        assert_eq!(
            parse("ラベル x\"{}:v".as_bytes(), LabelSyntax::Any).unwrap(),
            [("ラベル x\"{}".as_bytes(), &b"v"[..])]
        );
    }

    #[test]
    fn errors_say_where_and_why() {
        let error = strict(b"a:1\tb c:2").unwrap_err();
        assert_eq!(
            error.to_string(),
            "field 2 (byte 5): label holds ' ', outside [0-9A-Za-z_.-]"
        );
        let error = strict(b"a:1\tb").unwrap_err();
        assert_eq!(
            error.to_string(),
            "field 2 (byte 5): no ':' between label and value"
        );
    }
}
