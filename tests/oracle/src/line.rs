//! What one line must become.

use serde_json::Value;

use crate::ltsv::{Field, Rejection, distinct, line_fields};
use crate::settings::Settings;
use crate::text::{as_text, string_value};
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
    /// The line is invalid.
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
    let parts = request.and_then(|request| {
        let words: Vec<&[u8]> = request.split(|&b| b == b' ').collect();
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
    });
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
}
