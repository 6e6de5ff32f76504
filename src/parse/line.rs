//! A line parsed once: its fields' places, with repeated labels resolved.
//!
//! Conversion, drop rules, partition keys and event hours all read a line
//! through [`ParsedLine`], so the rule for a repeated label is written
//! once, here: a label keeps the place where it first appears and takes the
//! value it last has.
//!
//! ```
//! use firehose_ltsv::{LabelSyntax, LineParser};
//!
//! let mut parser = LineParser::new(LabelSyntax::Strict);
//! let line = parser.parse(b"a:1\tb:2\ta:3").unwrap();
//! assert_eq!(line.value_of(b"a"), Some(&b"3"[..]));
//! let fields: Vec<_> = line.fields().collect();
//! assert_eq!(fields, [(&b"a"[..], &b"3"[..]), (b"b", b"2")]);
//! ```

use crate::error::Error;
use crate::parse::ltsv::{self, LabelSyntax};
use crate::parse::shape::{Shape, Span};
use crate::parse::words;

/// Lines with at most this many fields find repeated labels by comparing
/// every pair; longer ones sort, so the cost stays `O(n log n)`.
const PAIRWISE_LIMIT: usize = 32;

/// Marks a field whose label appears earlier in the line.
const REPEAT: usize = usize::MAX;

/// One of 64 bits picked by a label's length and end bytes, in either
/// ASCII case: labels with different bits differ even ignoring case, so
/// only labels with the same bit need comparing, for repeats and for case.
pub(crate) fn label_bit(label: &[u8]) -> u64 {
    let fold = |byte: Option<u8>| byte.map(|b| b | 0x20);
    let (first, last) = (fold(label.first().copied()), fold(label.last().copied()));
    let mixed = (label.len() as u64)
        ^ u64::from(first.unwrap_or(0)) << 8
        ^ u64::from(last.unwrap_or(0)) << 16;
    1 << (mixed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58)
}

/// Parses lines into [`ParsedLine`]s, reusing its buffers from line to line.
#[derive(Clone, Debug)]
pub struct LineParser {
    syntax: LabelSyntax,
    spans: Vec<Span>,
    /// For each field, the index of the field whose value it takes, or
    /// [`REPEAT`] for a label seen earlier.
    winners: Vec<usize>,
    sorted: Vec<usize>,
    /// The first two distinct labels that differ only in case, by index.
    folded: Option<(usize, usize)>,
    /// The labels of the last line whose labels were all distinct.
    shape: Shape,
}

impl LineParser {
    /// A parser accepting labels of `syntax`.
    pub fn new(syntax: LabelSyntax) -> LineParser {
        LineParser {
            syntax,
            spans: Vec::new(),
            winners: Vec::new(),
            sorted: Vec::new(),
            folded: None,
            shape: Shape::default(),
        }
    }

    /// Parses one line (without its line end). The first field that is not
    /// a valid `label:value` pair is the error.
    pub fn parse<'a>(&'a mut self, line: &'a [u8]) -> Result<ParsedLine<'a>, Error> {
        self.spans.clear();
        self.folded = None;
        let shape = if self.shape.split(line, &mut self.spans) {
            // Labels already found valid and distinct, even ignoring case.
            self.winners.clear();
            self.winners.extend(0..self.spans.len());
            self.shape.id()
        } else {
            self.parse_fields(line)?;
            let distinct = self.winners.iter().enumerate().all(|(i, &w)| w == i);
            if distinct && self.folded.is_none() && !self.spans.is_empty() {
                self.shape.record(line, &self.spans);
                self.shape.id()
            } else {
                None
            }
        };
        Ok(ParsedLine {
            line,
            spans: &self.spans,
            winners: &self.winners,
            folded: self.folded,
            shape,
        })
    }

    /// Finds the fields of `line` and resolves its labels: the first
    /// field that is not a valid `label:value` pair is the error.
    fn parse_fields(&mut self, line: &[u8]) -> Result<(), Error> {
        self.spans.clear();
        let mut fields = ltsv::fields(line, self.syntax);
        while let Some(field) = fields.next_field() {
            let (field, plain) = field?;
            self.spans.push(Span {
                start: field.start,
                label_len: field.label.len(),
                value_len: field.value.len(),
                bit: label_bit(field.label),
                plain,
            });
        }
        self.resolve_repeats(line);
        if self.syntax == LabelSyntax::Any && self.folded.is_none() {
            self.fold_unicode(line);
        }
        Ok(())
    }

    /// Fills `winners`: the first occurrence of each label points at its
    /// last occurrence, every later one is [`REPEAT`]; and notes the first
    /// labels that differ only in ASCII case.
    fn resolve_repeats(&mut self, line: &[u8]) {
        self.winners.clear();
        self.winners.extend(0..self.spans.len());
        if self.spans.len() <= PAIRWISE_LIMIT {
            let mut seen = 0;
            for i in 0..self.spans.len() {
                let bit = self.spans[i].bit;
                if seen & bit != 0 {
                    self.resolve_pairwise(line, i);
                }
                seen |= bit;
            }
            return;
        }
        let spans = &self.spans;
        self.sorted.clear();
        self.sorted.extend(0..spans.len());
        // Stable, so equal labels stay in input order.
        self.sorted
            .sort_by(|&a, &b| spans[a].label(line).cmp(spans[b].label(line)));
        for group in self
            .sorted
            .chunk_by(|&a, &b| spans[a].label(line) == spans[b].label(line))
        {
            if let [first, .., last] = *group {
                self.winners[first] = last;
                for &repeat in &group[1..] {
                    self.winners[repeat] = REPEAT;
                }
            }
        }
        self.sorted.retain(|&i| self.winners[i] != REPEAT);
        self.sorted.sort_by(|&a, &b| {
            let (a, b) = (spans[a].label(line), spans[b].label(line));
            a.iter()
                .map(u8::to_ascii_lowercase)
                .cmp(b.iter().map(u8::to_ascii_lowercase))
        });
        self.folded = self
            .sorted
            .windows(2)
            .find(|pair| {
                spans[pair[0]]
                    .label(line)
                    .eq_ignore_ascii_case(spans[pair[1]].label(line))
            })
            .map(|pair| (pair[0].min(pair[1]), pair[0].max(pair[1])));
    }

    /// Resolves field `i`, whose bit an earlier field has: a repeat of the
    /// earlier label, or a label differing from it only in case.
    fn resolve_pairwise(&mut self, line: &[u8], i: usize) {
        let spans = &self.spans;
        let (span, label) = (spans[i], spans[i].label(line));
        for (j, earlier) in spans[..i].iter().enumerate() {
            if self.winners[j] == REPEAT || earlier.bit != span.bit {
                continue;
            }
            let earlier = earlier.label(line);
            if earlier == label {
                // The first occurrence is the earlier one not repeated.
                self.winners[j] = i;
                self.winners[i] = REPEAT;
                return;
            }
            if self.folded.is_none() && earlier.eq_ignore_ascii_case(label) {
                self.folded = Some((j, i));
            }
        }
    }

    /// Notes labels that differ only in case beyond ASCII, as Athena's
    /// JSON SerDe folds them (Java's `toLowerCase`, much as Rust's). Only
    /// [`LabelSyntax::Any`] allows labels outside ASCII, and only a line
    /// with one can have such a pair; its other member may be ASCII, as
    /// the Kelvin sign `K` is `k` lowercased.
    fn fold_unicode(&mut self, line: &[u8]) {
        let distinct = || {
            self.spans
                .iter()
                .enumerate()
                .filter(|&(i, _)| self.winners[i] != REPEAT)
                .map(|(i, span)| (i, span.label(line)))
        };
        if distinct().all(|(_, label)| label.is_ascii()) {
            return;
        }
        let mut seen: Vec<(usize, String)> = Vec::new();
        for (i, label) in distinct() {
            // Labels are UTF-8 under `LabelSyntax::Any`.
            let lower = String::from_utf8_lossy(label).to_lowercase();
            if let Some(&(j, _)) = seen.iter().find(|(_, other)| *other == lower) {
                self.folded = Some((j, i));
                return;
            }
            seen.push((i, lower));
        }
    }
}

/// A line's distinct labels, each in the place it first appears, with the
/// value it last has. Borrowed from the line and its [`LineParser`].
#[derive(Clone, Copy, Debug)]
pub struct ParsedLine<'a> {
    line: &'a [u8],
    spans: &'a [Span],
    winners: &'a [usize],
    folded: Option<(usize, usize)>,
    shape: Option<u64>,
}

impl<'a> ParsedLine<'a> {
    /// The line, as given to [`LineParser::parse`].
    pub fn bytes(&self) -> &'a [u8] {
        self.line
    }

    /// Whether the line has no fields (only TABs).
    pub fn is_blank(&self) -> bool {
        self.spans.is_empty()
    }

    /// Each distinct label with its value, in the order labels first appear.
    pub fn fields(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + use<'a> {
        let line = self.line;
        self.spans()
            .map(move |span| (span.label(line), span.value(line)))
    }

    /// The value `label` takes: its last one in the line.
    pub fn value_of(&self, label: &[u8]) -> Option<&'a [u8]> {
        let bit = label_bit(label);
        self.spans()
            .find(|span| span.bit == bit && span.label(self.line) == label)
            .map(|span| span.value(self.line))
    }

    /// Two distinct labels of the line that differ only in case (which
    /// Athena's JSON SerDe ignores), the first two found.
    pub fn folded_labels(&self) -> Option<(&'a [u8], &'a [u8])> {
        let (a, b) = self.folded?;
        Some((
            self.spans[a].label(self.line),
            self.spans[b].label(self.line),
        ))
    }

    /// Whether the line has `label`.
    pub fn has(&self, label: &[u8]) -> bool {
        self.value_of(label).is_some()
    }

    /// A number for the line's labels, in order, when they are all
    /// distinct: lines with the same number have the same labels in the
    /// same order, which lets a writer keep what it looked up for them.
    pub(crate) fn shape(&self) -> Option<u64> {
        self.shape
    }

    /// The field each distinct label takes its value from, in the order
    /// labels first appear: [`fields`](Self::fields) as places. A repeated
    /// label's is its last field, which spells the label as its first does.
    pub(crate) fn spans(&self) -> impl Iterator<Item = Span> + use<'a> {
        let spans = self.spans;
        self.winners
            .iter()
            .filter(|&&winner| winner != REPEAT)
            .map(move |&winner| spans[winner])
    }

    /// The label of a span of this line.
    pub(crate) fn label(&self, span: Span) -> &'a [u8] {
        span.label(self.line)
    }

    /// The value of a span of this line.
    pub(crate) fn value(&self, span: Span) -> &'a [u8] {
        span.value(self.line)
    }

    /// Appends the value of a span of this line to `out`.
    pub(crate) fn append_value(&self, span: Span, out: &mut Vec<u8>) {
        words::append(out, self.line, span.value_start(), span.value_len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn fields(line: &[u8]) -> Vec<(String, String)> {
        let mut parser = LineParser::new(LabelSyntax::Strict);
        let parsed = parser.parse(line).unwrap();
        parsed
            .fields()
            .map(|(l, v)| {
                (
                    String::from_utf8(l.to_vec()).unwrap(),
                    String::from_utf8(v.to_vec()).unwrap(),
                )
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|&(l, v)| (l.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn repeated_labels_keep_first_place_and_last_value() {
        assert_eq!(
            fields(b"a:1\tb:2\ta:3\tc:4\ta:5"),
            pairs(&[("a", "5"), ("b", "2"), ("c", "4")])
        );
    }

    #[test]
    fn long_lines_follow_the_same_rule() {
        let mut line = Vec::new();
        for i in 0..200 {
            line.extend_from_slice(format!("k{}:{}\t", i % 50, i).as_bytes());
        }
        let expected: Vec<_> = (0..50)
            .map(|k| (format!("k{k}"), (k + 150).to_string()))
            .collect();
        assert_eq!(fields(&line), expected);
    }

    #[test]
    fn both_strategies_agree_at_the_limit() {
        for n in [PAIRWISE_LIMIT - 1, PAIRWISE_LIMIT, PAIRWISE_LIMIT + 1] {
            let line: Vec<u8> = (0..n)
                .flat_map(|i| format!("k{}:{i}\t", i % 7).into_bytes())
                .collect();
            let expected: Vec<_> = (0..7)
                .map(|k| (format!("k{k}"), (k + (n - 1 - k) / 7 * 7).to_string()))
                .collect();
            assert_eq!(fields(&line), expected, "{n} fields");
        }
    }

    #[test]
    fn value_of_is_the_last_value_and_has_says_whether() {
        let mut parser = LineParser::new(LabelSyntax::Strict);
        let line = parser.parse(b"time:-\tua:x\ttime:1624868568\tb:").unwrap();
        assert_eq!(line.value_of(b"time"), Some(&b"1624868568"[..]));
        assert_eq!(line.value_of(b"b"), Some(&b""[..]));
        assert_eq!(line.value_of(b"missing"), None);
        assert!(line.has(b"ua"));
        assert!(!line.has(b"u"));
        assert!(!line.is_blank());
        assert_eq!(line.bytes(), b"time:-\tua:x\ttime:1624868568\tb:");
    }

    #[test]
    fn a_line_of_empty_fields_is_blank() {
        let mut parser = LineParser::new(LabelSyntax::Strict);
        let line = parser.parse(b"\t\t").unwrap();
        assert!(line.is_blank());
        assert_eq!(line.fields().count(), 0);
    }

    #[test]
    fn the_first_bad_field_is_the_error() {
        let mut parser = LineParser::new(LabelSyntax::Strict);
        let error = parser.parse(b"a:1\tb c:2\tnocolon").unwrap_err();
        assert_eq!(*error.kind(), ErrorKind::InvalidLabelByte(b' '));
        assert_eq!(error.position().field, Some(2));
    }

    fn folded(syntax: LabelSyntax, line: &[u8]) -> Option<(String, String)> {
        let mut parser = LineParser::new(syntax);
        let parsed = parser.parse(line).unwrap();
        parsed.folded_labels().map(|(a, b)| {
            (
                String::from_utf8(a.to_vec()).unwrap(),
                String::from_utf8(b.to_vec()).unwrap(),
            )
        })
    }

    #[test]
    fn labels_that_differ_only_in_case_are_found() {
        let strict = LabelSyntax::Strict;
        let pair = |a: &str, b: &str| Some((a.to_owned(), b.to_owned()));
        assert_eq!(folded(strict, b"ua:x\tUA:y"), pair("ua", "UA"));
        assert_eq!(folded(strict, b"a:1\tuA:x\tb:2\tUa:y"), pair("uA", "Ua"));
        assert_eq!(folded(strict, b"xYz:1\txyz:2"), pair("xYz", "xyz"));
        // Repeats of one label are not a case difference.
        assert_eq!(folded(strict, b"ua:x\tua:y"), None);
        assert_eq!(folded(strict, b"ua:x\tub:y\tUa_:z"), None);
        assert_eq!(folded(strict, b"a_b:1\ta-b:2"), None);
        // Long lines are sorted rather than compared pairwise.
        let mut long: Vec<u8> = (0..40)
            .flat_map(|i| format!("k{i}:x\t").into_bytes())
            .collect();
        assert_eq!(folded(strict, &long), None);
        long.extend_from_slice(b"K7:y");
        assert_eq!(folded(strict, &long), pair("k7", "K7"));
        // Beyond ASCII, with any labels.
        assert_eq!(
            folded(LabelSyntax::Any, "Äb:1\täb:2".as_bytes()),
            pair("Äb", "äb")
        );
        assert_eq!(folded(LabelSyntax::Any, "Äb:1\tÄb:2".as_bytes()), None);
        // A pair in ASCII, found while the line is split, is the one named.
        assert_eq!(
            folded(LabelSyntax::Any, "Äb:1\täb:2\tx:3\tX:4".as_bytes()),
            pair("x", "X")
        );
        // The Kelvin sign is `k` lowercased.
        assert_eq!(
            folded(LabelSyntax::Any, "\u{212a}:1\tx:2\tk:3".as_bytes()),
            pair("\u{212a}", "k")
        );
        assert_eq!(folded(LabelSyntax::Any, "\u{212a}:1\tj:2".as_bytes()), None);
    }

    #[test]
    fn lines_with_the_same_distinct_labels_share_a_shape() {
        let mut parser = LineParser::new(LabelSyntax::Strict);
        let mut shape = |line: &[u8]| parser.parse(line).unwrap().shape();
        let first = shape(b"a:1\tb:2");
        assert!(first.is_some());
        assert_eq!(shape(b"a:x\tb:"), first);
        // Repeated or case-folded labels, or none, have no shape, and leave
        // the one recorded in place.
        assert_eq!(shape(b"a:1\ta:2"), None);
        assert_eq!(shape(b"a:1\tA:2"), None);
        assert_eq!(shape(b""), None);
        assert_eq!(shape(b"a:3\tb:4"), first);
        let other = shape(b"b:1\ta:2");
        assert!(other.is_some() && other != first);
    }

    #[test]
    fn label_bits_ignore_case_and_spread_common_labels() {
        assert_eq!(label_bit(b"UA"), label_bit(b"ua"));
        assert_eq!(label_bit(b"Time"), label_bit(b"tIME"));
        // The labels of the README's Apache and nginx formats: few share a
        // bit, so most lookups compare one label at most.
        let labels = [
            "time",
            "host",
            "forwardedfor",
            "req",
            "method",
            "uri",
            "protocol",
            "status",
            "size",
            "referer",
            "ua",
            "reqtime_microsec",
            "cache",
            "runtime",
            "vhost",
            "reqtime",
            "upstream_response_time",
            "time_iso8601",
            "msec",
        ];
        let bits: std::collections::HashSet<u64> =
            labels.iter().map(|l| label_bit(l.as_bytes())).collect();
        assert!(
            bits.len() >= 15,
            "{} bits for {} labels",
            bits.len(),
            labels.len()
        );
    }

    #[test]
    fn labels_with_the_same_bit_are_still_told_apart() {
        // Same length, first and last byte: the same bit, different labels.
        assert_eq!(label_bit(b"axb"), label_bit(b"ayb"));
        assert_eq!(
            fields(b"axb:1\tayb:2\taxb:3"),
            pairs(&[("axb", "3"), ("ayb", "2")])
        );
        let mut parser = LineParser::new(LabelSyntax::Strict);
        let line = parser.parse(b"axb:1\tayb:2").unwrap();
        assert_eq!(line.value_of(b"ayb"), Some(&b"2"[..]));
        assert_eq!(line.value_of(b"azb"), None);
    }
}
