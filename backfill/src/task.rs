//! The S3 Batch Operations invocation: the one task it holds, and the
//! response that reports its result.
//!
//! `aws_lambda_events` has the event and response types. Schema 2.0 names
//! the bucket in a task's `s3Bucket`, a field its `S3BatchJobTask` lacks
//! (it has 1.0's `s3BucketArn`): the crate's `catch-all-fields` feature
//! keeps the fields it does not know, and the bucket is read from there.

use aws_lambda_events::s3::batch_job::{S3BatchJobEvent, S3BatchJobResponse, S3BatchJobResult};
use serde_json::Value;

use crate::outcome::{Failure, Summary};

/// The object a task asks to backfill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// The task's id, returned with its result.
    pub id: String,
    /// The source bucket's name.
    pub bucket: String,
    /// The object's key, decoded.
    pub key: String,
    /// The object's version, when the manifest names one.
    pub version_id: Option<String>,
}

/// The invocation's task, or why it cannot be run: an invocation with
/// another number of tasks, an unknown schema version, or a task without
/// a bucket or with a key that does not decode.
pub fn task_of(event: &S3BatchJobEvent) -> Result<Task, Failure> {
    let [task] = event.tasks.as_slice() else {
        return Err(Failure::Permanent(format!(
            "expected one task per invocation, got {}",
            event.tasks.len()
        )));
    };
    let version = event.invocation_schema_version.as_deref().unwrap_or("");
    let bucket = match version {
        "1.0" => task.s3_bucket_arn.as_deref().and_then(bucket_of_arn),
        "2.0" => task.other.get("s3Bucket").and_then(Value::as_str),
        other => {
            return Err(Failure::Permanent(format!(
                "unknown invocationSchemaVersion {other:?}: 1.0 and 2.0 are known"
            )));
        }
    };
    let bucket = bucket
        .filter(|bucket| !bucket.is_empty())
        .ok_or_else(|| Failure::Permanent(format!("schema {version}: the task names no bucket")))?;
    let key = task
        .s3_key
        .as_deref()
        .ok_or_else(|| Failure::Permanent("the task has no s3Key".into()))?;
    Ok(Task {
        id: task.task_id.clone().unwrap_or_default(),
        bucket: bucket.to_owned(),
        key: decode_key(key)?,
        version_id: task.s3_version_id.clone().filter(|v| !v.is_empty()),
    })
}

/// The bucket of `arn:aws:s3:::bucket` (in any partition).
fn bucket_of_arn(arn: &str) -> Option<&str> {
    let (prefix, bucket) = arn.rsplit_once(":::")?;
    prefix.starts_with("arn:").then_some(bucket)
}

/// A key as Batch Operations sends it: URL-encoded as a form value, with
/// `+` for a space and `%XX` for other bytes, which must make UTF-8.
fn decode_key(encoded: &str) -> Result<String, Failure> {
    let bad = |why: &str| Failure::Permanent(format!("s3Key {encoded:?}: {why}"));
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut rest = encoded.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = rest
                    .get(..2)
                    .ok_or_else(|| bad("% without two hex digits"))?;
                let hex = std::str::from_utf8(hex).map_err(|_| bad("% without two hex digits"))?;
                let value =
                    u8::from_str_radix(hex, 16).map_err(|_| bad("% without two hex digits"))?;
                bytes.push(value);
                rest = &rest[2..];
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).map_err(|_| bad("does not decode to UTF-8"))
}

/// The response to `event`: the task's result, `Succeeded` with the
/// summary as JSON, or the failure's code and reason. Keys the response
/// leaves out count as permanent failures.
pub fn response(event: &S3BatchJobEvent, result: &Result<Summary, Failure>) -> S3BatchJobResponse {
    let (code, string) = match result {
        Ok(summary) => ("Succeeded", summary.result_string()),
        Err(failure) => (failure.result_code(), failure.reason().to_owned()),
    };
    let results = event
        .tasks
        .iter()
        .map(|task| {
            let mut result = S3BatchJobResult::default();
            result.task_id = task.task_id.clone();
            result.result_code = Some(code.to_owned());
            result.result_string = Some(string.clone());
            result
        })
        .collect();
    let mut response = S3BatchJobResponse::default();
    response.invocation_schema_version = event.invocation_schema_version.clone();
    response.treat_missing_keys_as = Some("PermanentFailure".to_owned());
    response.invocation_id = event.invocation_id.clone();
    response.results = results;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(value: Value) -> S3BatchJobEvent {
        serde_json::from_value(value).unwrap()
    }

    fn one_task(version: &str, task: Value) -> S3BatchJobEvent {
        event(json!({
            "invocationSchemaVersion": version,
            "invocationId": "inv",
            "job": { "id": "job", "userArguments": { "k": "v" } },
            "tasks": [task],
        }))
    }

    #[test]
    fn schema_1_names_the_bucket_by_arn_and_2_by_name() {
        let v1 = one_task(
            "1.0",
            json!({"taskId": "t", "s3Key": "logs/a.gz", "s3VersionId": null,
                   "s3BucketArn": "arn:aws:s3:::old-logs"}),
        );
        let v2 = one_task(
            "2.0",
            json!({"taskId": "t", "s3Key": "logs/a.gz", "s3VersionId": "v1",
                   "s3Bucket": "old-logs"}),
        );
        let task = task_of(&v1).unwrap();
        assert_eq!(
            task,
            Task {
                id: "t".into(),
                bucket: "old-logs".into(),
                key: "logs/a.gz".into(),
                version_id: None
            }
        );
        assert_eq!(task_of(&v2).unwrap().version_id.as_deref(), Some("v1"));
        assert_eq!(task_of(&v2).unwrap().bucket, "old-logs");
        let china = one_task(
            "1.0",
            json!({"taskId": "t", "s3Key": "k", "s3BucketArn": "arn:aws-cn:s3:::b"}),
        );
        assert_eq!(task_of(&china).unwrap().bucket, "b");
    }

    #[test]
    fn keys_are_url_decoded_with_plus_for_space() {
        assert_eq!(
            decode_key("access+logs/caf%C3%A9%2B1%25.gz").unwrap(),
            "access logs/café+1%.gz"
        );
        assert_eq!(decode_key("%E3%81%82").unwrap(), "あ");
        for bad in ["a%", "a%4", "a%zz", "%FF"] {
            let failure = decode_key(bad).unwrap_err();
            assert!(matches!(failure, Failure::Permanent(_)), "{bad}");
        }
    }

    #[test]
    fn what_cannot_be_run_fails_permanently_with_a_reason() {
        let cases = [
            (
                one_task("3.0", json!({"taskId": "t", "s3Key": "k", "s3Bucket": "b"})),
                "unknown invocationSchemaVersion \"3.0\": 1.0 and 2.0 are known",
            ),
            (
                one_task(
                    "2.0",
                    json!({"taskId": "t", "s3Key": "k", "s3BucketArn": "arn:aws:s3:::b"}),
                ),
                "schema 2.0: the task names no bucket",
            ),
            (
                one_task(
                    "1.0",
                    json!({"taskId": "t", "s3Key": "k", "s3BucketArn": "bucket"}),
                ),
                "schema 1.0: the task names no bucket",
            ),
            (
                one_task(
                    "1.0",
                    json!({"taskId": "t", "s3BucketArn": "arn:aws:s3:::b"}),
                ),
                "the task has no s3Key",
            ),
            (
                event(json!({"invocationSchemaVersion": "1.0", "job": {}, "tasks": []})),
                "expected one task per invocation, got 0",
            ),
        ];
        for (event, reason) in cases {
            assert_eq!(task_of(&event), Err(Failure::Permanent(reason.into())));
        }
    }

    #[test]
    fn the_response_echoes_the_invocation_and_reports_each_task() {
        let event = one_task(
            "2.0",
            json!({"taskId": "t1", "s3Key": "k", "s3Bucket": "b"}),
        );
        let summary = Summary {
            id: "x".into(),
            ..Summary::default()
        };
        let ok = serde_json::to_value(response(&event, &Ok(summary.clone()))).unwrap();
        assert_eq!(
            ok,
            json!({
                "invocationSchemaVersion": "2.0",
                "treatMissingKeysAs": "PermanentFailure",
                "invocationId": "inv",
                "results": [{"taskId": "t1", "resultCode": "Succeeded",
                             "resultString": summary.result_string()}],
            })
        );
        let failed = response(&event, &Err(Failure::Temporary("SlowDown".into())));
        assert_eq!(
            failed.results[0].result_code.as_deref(),
            Some("TemporaryFailure")
        );
        assert_eq!(failed.results[0].result_string.as_deref(), Some("SlowDown"));
    }
}
