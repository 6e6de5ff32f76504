//! Lines and fields: the crate's converter and parser on one line, and the
//! crate's errors in the oracle's terms, which the batch checks share.

use firehose_ltsv::{
    Config, Converter, Error, ErrorKind, LabelSyntax, LineOutcome, LineParser, ParsedLine,
};
use ltsv_oracle::product::{self, settings};
use ltsv_oracle::{
    Field, LineExpectation, Problem, Rejection, Settings, check_object, distinct, expect_line,
    folded_labels, line_fields, record_lines, shown_label,
};

use crate::settings::Picked;

/// Why a record failed, in the oracle's terms.
#[derive(Debug, PartialEq)]
pub(crate) enum Why {
    /// Its data is not base64.
    NotBase64,
    /// A rule refuses it.
    Rule(Rejection),
}

/// A crate error in the oracle's terms; panics for an error no rule gives.
pub(crate) fn why(error: &Error) -> Why {
    if let ErrorKind::Base64(_) = error.kind() {
        return Why::NotBase64;
    }
    match product::rejection(error) {
        Some(rejection) => Why::Rule(rejection),
        None => panic!("no rule gives the error {error:?}"),
    }
}

/// A crate error about one line, in the oracle's terms.
fn rejection(error: &Error) -> Rejection {
    match why(error) {
        Why::Rule(rejection) => rejection,
        Why::NotBase64 => panic!("a line cannot be base64: {error:?}"),
    }
}

/// The crate's rejection of `line` as the rules' `expected` one would be
/// written, after checking it: of labels that differ only in case, the
/// crate may name any pair the rules find, the one appearing first first.
pub(crate) fn agreed(
    settings: &Settings,
    line: &[u8],
    actual: Rejection,
    expected: &Rejection,
) -> Rejection {
    match (&actual.problem, &expected.problem) {
        (Problem::FoldedLabels { first, second }, Problem::FoldedLabels { .. }) => {
            let pairs = folded_labels(settings, line);
            assert!(
                pairs.contains(&(first.clone(), second.clone())),
                "line {}: the crate names {first:?} and {second:?}, not one of {pairs:?}",
                line.escape_ascii()
            );
            Rejection {
                problem: expected.problem.clone(),
                ..actual
            }
        }
        _ => actual,
    }
}

/// Converts `line` with the crate and checks the result against the rules,
/// and against what `LTSV_REDACT` makes of the object they expect.
pub fn check_line(picked: &Picked, line: &[u8]) {
    let config = &picked.config;
    let mut out = b"prefix".to_vec();
    let result = Converter::new(config).convert_line(line, &mut out);
    let shown = || line.escape_ascii().to_string();
    let settings = settings(config);
    match (expect_line(&settings, line), result) {
        (LineExpectation::Blank, Ok(LineOutcome::Blank))
        | (LineExpectation::Excluded, Ok(LineOutcome::Excluded)) => {
            assert_eq!(out, b"prefix", "nothing written for a line left out")
        }
        (LineExpectation::Error(expected), Err(error)) => {
            let actual = agreed(&settings, line, rejection(&error), &expected);
            assert_eq!(actual, expected, "wrong error for line {}", shown());
            assert_eq!(out, b"prefix", "nothing written for an invalid line");
        }
        (LineExpectation::Object(members), Ok(LineOutcome::Written)) => {
            assert_eq!(&out[..6], b"prefix", "only appends");
            let members = picked.redact.expected(&settings, &members, line);
            check_object(&members, &out[6..], line);
        }
        (expected, result) => panic!(
            "line {}: expected {expected:?}, got {result:?} writing {:?}",
            shown(),
            String::from_utf8_lossy(&out[6..])
        ),
    }
}

/// Checks that `lines`, `fields` and `LineParser` find the lines, fields
/// and distinct labels the rules define.
pub fn check_parser(config: &Config, data: &[u8]) {
    let rule_lines = check_lines(data);
    let settings = settings(config);
    let mut parser = LineParser::new(config.label_syntax());
    for (_, line) in rule_lines {
        let shown = || line.escape_ascii().to_string();
        let expected = check_fields(config, line);
        match (parser.parse(line), expected) {
            (Ok(parsed), Ok(fields)) => check_parsed(&settings, line, &parsed, &fields),
            (Err(error), Err(expected)) => {
                assert_eq!(rejection(&error), expected, "parse error of {}", shown())
            }
            (parsed, expected) => panic!(
                "LineParser on {}: {:?}, but the rules say {expected:?}",
                shown(),
                parsed.map(|p| p.fields().count())
            ),
        }
    }
}

/// The lines of `data` by the rules, once `lines` is found to agree.
fn check_lines(data: &[u8]) -> Vec<(usize, &[u8])> {
    // A line of only TABs is a line to `lines`; the converter skips it as a
    // line without fields.
    let crate_lines: Vec<(usize, &[u8])> = firehose_ltsv::lines(data)
        .map(|line| (line.number, line.bytes))
        .filter(|(_, line)| line.iter().any(|&b| b != b'\t'))
        .collect();
    let rule_lines = record_lines(data);
    assert_eq!(
        crate_lines,
        rule_lines,
        "lines of {:?}",
        data.escape_ascii().to_string()
    );
    rule_lines
}

/// The fields of `line` by the rules, once `fields` is found to agree.
fn check_fields<'a>(config: &Config, line: &'a [u8]) -> Result<Vec<Field<'a>>, Rejection> {
    let shown = || line.escape_ascii().to_string();
    let any_labels = config.label_syntax() == LabelSyntax::Any;
    let expected = line_fields(line, any_labels);
    let crate_fields: Result<Vec<_>, Rejection> =
        firehose_ltsv::fields(line, config.label_syntax())
            .map(|field| field.map(|f| (f.label, f.value)).map_err(|e| rejection(&e)))
            .collect();
    assert_eq!(crate_fields, expected, "fields of {}", shown());
    expected
}

/// Checks a line `LineParser` read against the `fields` the rules find in
/// it.
fn check_parsed(settings: &Settings, line: &[u8], parsed: &ParsedLine, fields: &[Field]) {
    let shown = || line.escape_ascii().to_string();
    let distinct = distinct(fields);
    let crate_distinct: Vec<(&[u8], &[u8])> = parsed.fields().collect();
    assert_eq!(crate_distinct, distinct, "distinct labels of {}", shown());
    for (label, value) in distinct {
        assert_eq!(
            parsed.value_of(label),
            Some(value),
            "value_of in {}",
            shown()
        );
    }
    assert_eq!(parsed.is_blank(), fields.is_empty(), "blank {}", shown());
    check_folded(settings, line, parsed);
}

/// Checks the labels differing only in case that `LineParser` names: a
/// pair the rules find, exactly when there is one.
fn check_folded(settings: &Settings, line: &[u8], parsed: &ParsedLine) {
    let shown = || line.escape_ascii().to_string();
    let pairs = folded_labels(settings, line);
    let found = parsed
        .folded_labels()
        .map(|(a, b)| (shown_label(a), shown_label(b)));
    match &found {
        Some(pair) => assert!(
            pairs.contains(pair),
            "folded labels of {}: {pair:?}, not one of {pairs:?}",
            shown()
        ),
        None => assert!(
            pairs.is_empty(),
            "folded labels of {}: none of {pairs:?}",
            shown()
        ),
    }
}
