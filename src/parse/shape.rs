//! The labels lines keep repeating, checked rather than found.
//!
//! A server writes every line of its log in one format, so nearly every
//! line has the labels of the line before it, in the same order. [`Shape`]
//! keeps those of the last line whose labels were all distinct; a line
//! that spells them out again, field after field, is split by comparing
//! each label with the one expected, a word at a time, rather than by
//! searching for its `:` and testing its every byte, and its labels are
//! known to be valid and distinct.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::parse::ltsv;
use crate::parse::words::{self, Word};

/// Where a field sits in its line.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) label_len: usize,
    pub(crate) value_len: usize,
    /// A bit picked by the label (`line::label_bit`).
    pub(crate) bit: u64,
    /// Whether the value holds no byte that writing it must look at: no
    /// escape, nothing JSON escapes, nothing past ASCII.
    pub(crate) plain: bool,
}

impl Span {
    pub(crate) fn label<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.start..self.start + self.label_len]
    }

    pub(crate) fn value_start(&self) -> usize {
        self.start + self.label_len + 1
    }

    pub(crate) fn value<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.value_start()..self.value_start() + self.value_len]
    }
}

/// One field of a shape: its label and `:`, and how to compare them.
#[derive(Clone, Debug)]
struct Expected {
    /// Where `label:` is in [`Shape::text`].
    at: usize,
    label_len: usize,
    bit: u64,
    /// The first word of `label:`, zero past its end, and the bits of
    /// the word it fills.
    head: Word,
    mask: Word,
}

/// The labels of a line, in order, with a number that no other shape
/// ever has.
#[derive(Clone, Debug, Default)]
pub(crate) struct Shape {
    /// Each field's `label:`, one after another.
    text: Vec<u8>,
    fields: Vec<Expected>,
    id: Option<u64>,
}

/// Numbers shapes, in every parser alike, so that two shapes with the
/// same number are the same labels in the same order.
static SHAPES: AtomicU64 = AtomicU64::new(0);

impl Shape {
    /// The number of the labels last recorded, if any were.
    pub(crate) fn id(&self) -> Option<u64> {
        self.id
    }

    /// Records the labels of `spans`, fields of `line` whose labels are
    /// valid and distinct, even ignoring case, under a new number.
    pub(crate) fn record(&mut self, line: &[u8], spans: &[Span]) {
        self.text.clear();
        self.fields.clear();
        for span in spans {
            let at = self.text.len();
            let pattern = &line[span.start..span.value_start()];
            self.text.extend_from_slice(pattern);
            let mut head = [0; words::WIDTH];
            let n = pattern.len().min(words::WIDTH);
            head[..n].copy_from_slice(&pattern[..n]);
            self.fields.push(Expected {
                at,
                label_len: span.label_len,
                bit: span.bit,
                head: Word::from_le_bytes(head),
                mask: Word::MAX >> (8 * (words::WIDTH - n)),
            });
        }
        self.id = Some(SHAPES.fetch_add(1, Ordering::Relaxed));
    }

    /// Splits `line` into `spans` if it is exactly the recorded labels,
    /// in order, each with its value: no field more, none less, none
    /// empty. Returns whether it is; when not, `spans` holds whatever was
    /// split before the line strayed.
    pub(crate) fn split(&self, line: &[u8], spans: &mut Vec<Span>) -> bool {
        if self.id.is_none() {
            return false;
        }
        let mut pos = 0;
        for expected in &self.fields {
            if !self.holds(expected, line, pos) {
                return false;
            }
            let value_start = pos + expected.label_len + 1;
            let (end, plain) = ltsv::value_end(line, value_start);
            spans.push(Span {
                start: pos,
                label_len: expected.label_len,
                value_len: end - value_start,
                bit: expected.bit,
                plain,
            });
            pos = end + 1;
        }
        // Past the end: the last value ran to the end of the line.
        pos == line.len() + 1
    }

    /// Whether `line` holds the `label:` of `expected` at `at`. Most
    /// labels, with their `:`, fit in a word: one comparison.
    fn holds(&self, expected: &Expected, line: &[u8], at: usize) -> bool {
        let pattern = &self.text[expected.at..expected.at + expected.label_len + 1];
        match words::load(line, at) {
            Some(word) if (word ^ expected.head) & expected.mask != 0 => false,
            Some(_) if pattern.len() <= words::WIDTH => true,
            _ => line.get(at..at + pattern.len()) == Some(pattern),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(line: &[u8]) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut fields = ltsv::fields(line, ltsv::LabelSyntax::Strict);
        while let Some(field) = fields.next_field() {
            let (field, plain) = field.unwrap();
            spans.push(Span {
                start: field.start,
                label_len: field.label.len(),
                value_len: field.value.len(),
                bit: field.label.len() as u64,
                plain,
            });
        }
        spans
    }

    fn places(spans: &[Span]) -> Vec<(usize, usize, usize, u64, bool)> {
        spans
            .iter()
            .map(|s| (s.start, s.label_len, s.value_len, s.bit, s.plain))
            .collect()
    }

    #[test]
    fn a_line_with_the_recorded_labels_splits_as_any_line_would() {
        let mut shape = Shape::default();
        let first = b"time:1\treqtime_microsec:22\tua:x";
        shape.record(first, &spans(first));
        let id = shape.id().unwrap();
        for line in [
            &first[..],
            b"time:\treqtime_microsec:a:b\\\"c\tua:",
            b"time:[28/Jun/2021:17:22:48 +0900]\treqtime_microsec:1\tua:\xe3\x81\x82",
        ] {
            let mut split = Vec::new();
            assert!(shape.split(line, &mut split), "{line:?}");
            assert_eq!(places(&split), places(&spans(line)));
        }
        let mut other = Shape::default();
        other.record(first, &spans(first));
        assert_ne!(other.id(), Some(id), "every shape has its own number");
    }

    #[test]
    fn a_line_that_strays_is_not_split() {
        let mut shape = Shape::default();
        assert!(!shape.split(b"", &mut Vec::new()), "nothing recorded");
        let first = b"time:1\treqtime_microsec:22\tua:x";
        shape.record(first, &spans(first));
        for line in [
            &b"time:1\treqtime_microsec:22"[..],
            b"time:1\treqtime_microsec:22\tua:x\t",
            b"time:1\treqtime_microsec:22\tua:x\tb:2",
            b"time:1\t\treqtime_microsec:22\tua:x",
            b"time:1\treqtime_microsec_:22\tua:x",
            b"time:1\treqtime_Microsec:22\tua:x",
            b"Time:1\treqtime_microsec:22\tua:x",
            b"time:1\tua:x\treqtime_microsec:22",
            b"time",
            b"",
        ] {
            assert!(!shape.split(line, &mut Vec::new()), "{line:?}");
        }
    }
}
