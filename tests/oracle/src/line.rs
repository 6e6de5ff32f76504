//! What one line must become.

use serde_json::Value;

use crate::ltsv::{Field, Problem, Rejection, distinct, line_fields};
use crate::settings::Settings;
use crate::text::{as_text, shown_label, string_value};
use crate::value::expect_value;

/// A JSON object's members, in order.
pub type Object = Vec<(String, Value)>;

/// What one line must become.
#[derive(Clone, Debug, PartialEq)]
pub enum LineExpectation {
    /// No fields: nothing is written.
    Blank,
    /// An `LTSV_DROP` rule matches: nothing is written.
    Excluded,
    /// The line is invalid: its fields (first), two of its labels that
    /// differ only in case (then), or a value not of its type (last).
    Error(Rejection),
    /// One JSON object with these members, in this order.
    Object(Object),
}

/// What `line` (without its line end) must become under `settings`.
pub fn expect_line(settings: &Settings, line: &[u8]) -> LineExpectation {
    let fields = match line_fields(line, settings.any_labels) {
        Ok(fields) => fields,
        Err(rejection) => return LineExpectation::Error(rejection),
    };
    if fields.is_empty() {
        return LineExpectation::Blank;
    }
    let distinct = distinct(&fields);
    if is_excluded(settings, &distinct) {
        return LineExpectation::Excluded;
    }
    if let Some(&(first, second)) = folded_pairs(&distinct).first() {
        return LineExpectation::Error(Rejection::new(Problem::FoldedLabels {
            first: shown_label(first),
            second: shown_label(second),
        }));
    }
    let mut members = Vec::new();
    for &(label, logged) in &distinct {
        match expect_value(settings, label, logged) {
            Ok(value) => members.push((as_text(label), value)),
            Err(rejection) => return LineExpectation::Error(rejection),
        }
    }
    if let Some(request_label) = &settings.split_request {
        members.extend(request_parts(settings, &distinct, request_label));
    }
    LineExpectation::Object(members)
}

/// Whether two labels are one column to Athena, whose JSON SerDe
/// lowercases keys: equal once lowercased (Unicode's lowercase, which for
/// ASCII is ASCII's, and which also turns the Kelvin sign `\u{212a}` into
/// `k`), yet not the same label.
pub fn one_column(a: &[u8], b: &[u8]) -> bool {
    let lower = |label: &[u8]| String::from_utf8_lossy(label).to_lowercase();
    a != b && (a.eq_ignore_ascii_case(b) || lower(a) == lower(b))
}

/// Every pair of distinct labels that [`one_column`] joins, each pair in
/// order of appearance, ordered by where the second appears, then the
/// first.
fn folded_pairs<'a>(distinct: &[Field<'a>]) -> Vec<(&'a [u8], &'a [u8])> {
    let mut pairs = Vec::new();
    for (i, &(second, _)) in distinct.iter().enumerate() {
        for &(first, _) in &distinct[..i] {
            if one_column(first, second) {
                pairs.push((first, second));
            }
        }
    }
    pairs
}

/// Every pair of labels that makes `line` fail for differing only in case,
/// as messages show them: the product may name any of them, the first in
/// the line first.
pub fn folded_labels(settings: &Settings, line: &[u8]) -> Vec<(String, String)> {
    let Ok(fields) = line_fields(line, settings.any_labels) else {
        return Vec::new();
    };
    folded_pairs(&distinct(&fields))
        .into_iter()
        .map(|(first, second)| (shown_label(first), shown_label(second)))
        .collect()
}

/// The first label of a line the log format does not declare, in the
/// order of the object's keys: a written line with one is counted (once)
/// as holding undeclared labels. None without a format.
pub fn first_undeclared<'a>(settings: &Settings, line: &'a [u8]) -> Option<&'a [u8]> {
    let fields = line_fields(line, settings.any_labels).ok()?;
    distinct(&fields)
        .into_iter()
        .map(|(label, _)| label)
        .find(|label| settings.is_undeclared(label))
}

/// Whether an `LTSV_DROP` rule matches a line's distinct fields: a rule
/// looks at its label's value as logged (its last, for a label that
/// repeats).
fn is_excluded(settings: &Settings, distinct: &[Field]) -> bool {
    distinct.iter().any(|&(label, value)| {
        settings.drop.iter().any(|rule| {
            rule.label == label
                && if rule.prefix {
                    value.starts_with(&rule.value)
                } else {
                    value == rule.value
                }
        })
    })
}

/// `method`, `path`, `query` and `protocol` of the request line (`METHOD SP
/// TARGET SP PROTOCOL`, the query after the target's first `?`), each only
/// when the line has no label of that name; all null when the request line
/// is missing, null or of another shape.
fn request_parts(settings: &Settings, fields: &[Field], request_label: &[u8]) -> Object {
    let request = fields
        .iter()
        .find(|(label, _)| *label == request_label)
        .map(|&(_, value)| value)
        .filter(|value| !settings.is_null(value));
    let parts = request.and_then(split_request);
    ["method", "path", "query", "protocol"]
        .iter()
        .enumerate()
        .filter(|(_, name)| !fields.iter().any(|(label, _)| label == &name.as_bytes()))
        .map(|(i, name)| {
            let value = match parts.and_then(|parts| parts[i]) {
                Some(part) => Value::String(string_value(settings.unescape, part)),
                None => Value::Null,
            };
            (name.to_string(), value)
        })
        .collect()
}

/// The method, path, query and protocol of a request line of three
/// non-empty words separated by single spaces, the query after the
/// target's first `?`.
pub fn split_request(line: &[u8]) -> Option<[Option<&[u8]>; 4]> {
    let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    match words[..] {
        [method, target, protocol]
            if !method.is_empty() && !target.is_empty() && !protocol.is_empty() =>
        {
            let (path, query) = match target.iter().position(|&b| b == b'?') {
                Some(q) => (&target[..q], Some(&target[q + 1..])),
                None => (target, None),
            };
            Some([Some(method), Some(path), query, Some(protocol)])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DropRule;

    fn members(members: &[(&str, Value)]) -> Object {
        members
            .iter()
            .map(|(key, value)| (key.to_string(), value.clone()))
            .collect()
    }

    fn object(pairs: &[(&str, Value)]) -> LineExpectation {
        LineExpectation::Object(members(pairs))
    }

    #[test]
    fn request_lines_of_three_words_are_split() {
        let settings = Settings {
            split_request: Some(b"req".to_vec()),
            ..Settings::default()
        };
        assert_eq!(
            expect_line(&settings, b"req:GET /a?b=\\x41?c HTTP/1.1"),
            object(&[
                ("req", Value::from("GET /a?b=A?c HTTP/1.1")),
                ("method", Value::from("GET")),
                ("path", Value::from("/a")),
                ("query", Value::from("b=A?c")),
                ("protocol", Value::from("HTTP/1.1")),
            ])
        );
        // Two spaces make an empty word: not a request line.
        let null = [
            ("method", Value::Null),
            ("path", Value::Null),
            ("query", Value::Null),
            ("protocol", Value::Null),
        ];
        for line in [&b"req:GET  / HTTP/1.1"[..], b"req:-", b"req:BOGUS", b"a:1"] {
            let LineExpectation::Object(written) = expect_line(&settings, line) else {
                panic!("{}", line.escape_ascii());
            };
            assert_eq!(written[written.len() - 4..], members(&null));
        }
        // A key the line has is not overwritten, nor repeated.
        assert_eq!(
            expect_line(&settings, b"method:get\treq:GET / HTTP/1.1"),
            object(&[
                ("method", Value::from("get")),
                ("req", Value::from("GET / HTTP/1.1")),
                ("path", Value::from("/")),
                ("query", Value::Null),
                ("protocol", Value::from("HTTP/1.1")),
            ])
        );
    }

    #[test]
    fn drop_rules_look_at_the_last_value_before_types() {
        let settings = Settings {
            drop: vec![DropRule {
                label: b"ua".to_vec(),
                prefix: true,
                value: b"ELB".to_vec(),
            }],
            ..Settings::default()
        };
        assert_eq!(
            expect_line(&settings, b"status:x\tua:curl\tua:ELB-HealthChecker"),
            LineExpectation::Excluded
        );
        assert!(matches!(
            expect_line(&settings, b"status:x\tua:ELB\tua:curl"),
            LineExpectation::Error(_)
        ));
        assert_eq!(expect_line(&settings, b"\t\t"), LineExpectation::Blank);
    }

    fn folded(first: &str, second: &str) -> LineExpectation {
        LineExpectation::Error(Rejection::new(Problem::FoldedLabels {
            first: first.to_owned(),
            second: second.to_owned(),
        }))
    }

    #[test]
    fn labels_that_differ_only_in_case_fail_after_drop_rules_and_before_types() {
        let settings = Settings {
            drop: vec![DropRule {
                label: b"x".to_vec(),
                prefix: false,
                value: b"drop".to_vec(),
            }],
            ..Settings::default()
        };
        assert_eq!(expect_line(&settings, b"ua:a\tUA:b"), folded("ua", "UA"));
        // Before the type error of `status`, after the field error.
        assert_eq!(
            expect_line(&settings, b"status:x\tStatus:1\tua:a"),
            folded("status", "Status")
        );
        assert!(matches!(
            expect_line(&settings, b"ua:a\tUA:b\tnocolon"),
            LineExpectation::Error(Rejection {
                problem: Problem::MissingColon,
                ..
            })
        ));
        assert_eq!(
            expect_line(&settings, b"ua:a\tUA:b\tx:drop"),
            LineExpectation::Excluded
        );
        // A repeat is one label; the pair comes in order of appearance.
        assert!(matches!(
            expect_line(&settings, b"ua:a\tua:b"),
            LineExpectation::Object(_)
        ));
        assert_eq!(
            expect_line(&settings, b"UA:a\tb:1\tua:b\tUA:c"),
            folded("UA", "ua")
        );
        assert_eq!(
            folded_labels(&settings, b"a:1\tB:2\tb:3\tA:4\tAa:5\taA:6\taa:7"),
            [
                ("B".to_owned(), "b".to_owned()),
                ("a".to_owned(), "A".to_owned()),
                ("Aa".to_owned(), "aA".to_owned()),
                ("Aa".to_owned(), "aa".to_owned()),
                ("aA".to_owned(), "aa".to_owned()),
            ]
        );
        // `_`, `-` and `.` are not letters.
        assert!(folded_labels(&settings, b"a_b:1\ta-b:2\ta.b:3\tA@:4").is_empty());
    }

    #[test]
    fn beyond_ascii_labels_fold_as_unicode_lowercases_them() {
        let any = Settings {
            any_labels: true,
            ..Settings::default()
        };
        let line = |text: &str| text.as_bytes().to_vec();
        assert_eq!(
            expect_line(&any, &line("Äb:1\täB:2")),
            folded(r"\xc3\x84b", r"\xc3\xa4B")
        );
        assert_eq!(
            expect_line(&any, &line("Σ:1\tσ:2")),
            folded(r"\xce\xa3", r"\xcf\x83")
        );
        // The Kelvin sign lowercases to an ASCII k.
        assert_eq!(
            expect_line(&any, &line("\u{212a}:1\tk:2")),
            folded(r"\xe2\x84\xaa", "k")
        );
        for apart in ["Äb:1\tÄb:2", "ä:1\ta:2", "ß:1\tss:2", "ς:1\tσ:2"] {
            assert!(
                matches!(expect_line(&any, &line(apart)), LineExpectation::Object(_)),
                "{apart}"
            );
        }
    }

    #[test]
    fn undeclared_labels_are_those_the_format_lacks() {
        let settings = Settings::default();
        assert_eq!(first_undeclared(&settings, b"status:200\tua:x"), None);
        assert_eq!(
            first_undeclared(&settings, b"status:200\tzz:1\tStatus:2\tzz:3"),
            Some(&b"zz"[..])
        );
        let none = Settings {
            declared: None,
            ..Settings::default()
        };
        assert_eq!(first_undeclared(&none, b"zz:1"), None);
    }
}
