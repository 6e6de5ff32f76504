//! What a task comes to: the counts of a task that succeeded, or why one
//! failed and whether S3 Batch Operations should try it again.

use std::fmt;

use serde::Serialize;

/// Why a task failed, as S3 Batch Operations needs to know it: whether a
/// later attempt may succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Throttling, a 5xx answer, a timeout or a dropped connection: Batch
    /// Operations tries the task again (`TemporaryFailure`).
    Temporary(String),
    /// A missing object, a denied request or input that is not a log: the
    /// same attempt would fail the same way (`PermanentFailure`).
    Permanent(String),
}

impl Failure {
    /// The result code Batch Operations reads.
    pub fn result_code(&self) -> &'static str {
        match self {
            Failure::Temporary(_) => "TemporaryFailure",
            Failure::Permanent(_) => "PermanentFailure",
        }
    }

    /// The reason, for the completion report.
    pub fn reason(&self) -> &str {
        match self {
            Failure::Temporary(reason) | Failure::Permanent(reason) => reason,
        }
    }

    /// The same failure, its reason prefixed with `context`.
    pub fn context(self, context: impl fmt::Display) -> Failure {
        match self {
            Failure::Temporary(reason) => Failure::Temporary(format!("{context}: {reason}")),
            Failure::Permanent(reason) => Failure::Permanent(format!("{context}: {reason}")),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.result_code(), self.reason())
    }
}

/// What a task did, written as JSON into the completion report's
/// `resultString`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The name every object of this source carries: `backfill-<id>`.
    pub id: String,
    /// Bytes of the object as stored (compressed, for a gzip object).
    pub bytes_in: u64,
    /// Lines read, blank ones included.
    pub lines: u64,
    /// Lines written as rows.
    pub written: u64,
    /// Lines that could not be converted, written to `errors/backfill-failed/`.
    pub failed: u64,
    /// Lines an `LTSV_DROP` rule left out.
    pub dropped: u64,
    /// Blank lines.
    pub blank: u64,
    /// Lines holding labels `LTSV_LOG_FORMAT` does not declare.
    pub undeclared: u64,
    /// Objects written under `logs/`.
    pub objects: u64,
    /// The object holding the failed lines, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_object: Option<String>,
}

impl Summary {
    /// The `resultString` of a task that succeeded.
    pub fn result_string(&self) -> String {
        serde_json::to_string(self).expect("a summary is plain data")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_carry_their_result_code_and_context() {
        let failure = Failure::Temporary("SlowDown".into()).context("reading s3://a/b");
        assert_eq!(failure.result_code(), "TemporaryFailure");
        assert_eq!(failure.reason(), "reading s3://a/b: SlowDown");
        assert_eq!(
            Failure::Permanent("NoSuchKey".into()).to_string(),
            "PermanentFailure: NoSuchKey"
        );
    }

    #[test]
    fn the_result_string_is_json_without_an_absent_failed_object() {
        let summary = Summary {
            id: "0123".into(),
            lines: 3,
            written: 2,
            blank: 1,
            objects: 1,
            ..Summary::default()
        };
        assert_eq!(
            summary.result_string(),
            r#"{"id":"0123","bytesIn":0,"lines":3,"written":2,"failed":0,"dropped":0,"blank":1,"undeclared":0,"objects":1}"#
        );
    }
}
