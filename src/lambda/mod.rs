//! The Lambda function around the pure [`transform`]: the runtime's event
//! type, the log lines, the metrics line and the clock.
//!
//! | module | concern |
//! |---|---|
//! | `key` | the settings on Lambda, the pseudonyms' key read from Secrets Manager |
//! | `metrics` | one CloudWatch Embedded Metric Format line per invocation |

pub(crate) mod key;
pub(crate) mod metrics;

use std::io::{self, Write};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::value::RawValue;
use tracing::level_filters::LevelFilter;
use tracing::{info, warn};
use tracing_subscriber::fmt::MakeWriter;

use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::firehose::summary::Summary;
use crate::firehose::{MAX_RESPONSE_BYTES, transform};

/// The Lambda handler: transforms a Firehose event, logs one summary line
/// and one warning per failed record, writes the invocation's metrics to
/// stdout, and returns the response.
///
/// The payload is taken as raw JSON so that records can be decoded one by
/// one; a payload that is not a Firehose event fails the invocation.
pub fn handle(event: LambdaEvent<Box<RawValue>>, config: &Config) -> Result<Box<RawValue>, Error> {
    handle_with_metrics(event, config, &mut io::stdout().lock())
}

/// [`handle`], writing the metrics line to `metrics` instead of stdout.
pub fn handle_with_metrics(
    event: LambdaEvent<Box<RawValue>>,
    config: &Config,
    metrics: &mut impl Write,
) -> Result<Box<RawValue>, Error> {
    let started = Instant::now();
    let (response, summary) = transform(event.payload.get(), config)?;
    warn_failures(&summary);
    if let Some(namespace) = &config.metrics_namespace() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        if let Err(error) = metrics::write(metrics, namespace, &summary, now.as_millis() as u64) {
            warn!(%error, "metrics not written");
        }
    }
    log_summary(&summary, started);
    Ok(response)
}

/// One warning per failed record (one for all that failed for lack of
/// room). Never a record's contents: only ids, line numbers, labels and
/// counts.
fn warn_failures(summary: &Summary) {
    for failure in &summary.failures {
        warn!(
            record_id = %failure.record_id,
            line = failure.error.line(),
            reason = %failure.error,
            "record failed"
        );
    }
    if let Some(no_room) = &summary.no_room {
        warn!(
            records = no_room.records,
            first_record_id = %no_room.first_record_id,
            reason = %Error::new(ErrorKind::ResponseFull {
                    limit: MAX_RESPONSE_BYTES,
                }),
            "records failed"
        );
    }
    if let Some(label) = &summary.first_undeclared_label {
        warn!(
            lines = summary.lines_undeclared,
            first_label = %label,
            "lines hold labels LTSV_LOG_FORMAT does not declare: the table has no column for them"
        );
    }
}

/// The invocation's one INFO line: its counts and how long it took.
fn log_summary(summary: &Summary, started: Instant) {
    info!(
        records = summary.records,
        ok = summary.ok,
        dropped = summary.dropped,
        failed = summary.failed,
        lines_out = summary.lines_out,
        lines_dropped = summary.lines_excluded,
        bytes_in = summary.bytes_in,
        bytes_out = summary.bytes_out,
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "batch transformed"
    );
}

impl From<Error> for Diagnostic {
    fn from(error: Error) -> Diagnostic {
        let error_type = match error.kind() {
            ErrorKind::NotFirehoseEvent(_) => "InvalidFirehoseEvent",
            ErrorKind::ResponseTooLarge { .. } => "ResponseTooLarge",
            _ => "TransformError",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Sets up logging as Lambda's advanced logging controls ask: the level
/// from `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else `INFO`), and JSON
/// lines when `AWS_LAMBDA_LOG_FORMAT` is `JSON`, written to `writer`.
pub fn init_tracing<W>(writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let logs = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level_filter(level.as_deref()))
        .with_writer(writer);
    if json {
        logs.json().init();
    } else {
        logs.init();
    }
}

/// A Lambda log level (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`,
/// in any case) as a filter; unset or unknown is `INFO`.
fn level_filter(level: Option<&str>) -> LevelFilter {
    match level {
        Some(level) if level.eq_ignore_ascii_case("fatal") => LevelFilter::ERROR,
        Some(level) => level.parse().unwrap_or(LevelFilter::INFO),
        None => LevelFilter::INFO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_log_levels_map_to_filters() {
        for (level, filter) in [
            (None, LevelFilter::INFO),
            (Some("TRACE"), LevelFilter::TRACE),
            (Some("debug"), LevelFilter::DEBUG),
            (Some("Info"), LevelFilter::INFO),
            (Some("WARN"), LevelFilter::WARN),
            (Some("ERROR"), LevelFilter::ERROR),
            (Some("FATAL"), LevelFilter::ERROR),
            (Some("off"), LevelFilter::OFF),
            (Some("loud"), LevelFilter::INFO),
        ] {
            assert_eq!(level_filter(level), filter, "{level:?}");
        }
    }

    #[test]
    fn errors_become_diagnostics_named_by_kind() {
        let diagnostic = Diagnostic::from(Error::new(ErrorKind::NotFirehoseEvent("x".into())));
        assert_eq!(diagnostic.error_type, "InvalidFirehoseEvent");
        assert_eq!(diagnostic.error_message, "not a Firehose event: x");
        let diagnostic =
            Diagnostic::from(Error::new(ErrorKind::ResponseTooLarge { len: 7, limit: 5 }));
        assert_eq!(diagnostic.error_type, "ResponseTooLarge");
        assert_eq!(
            Diagnostic::from(Error::new(ErrorKind::Panic)).error_type,
            "TransformError"
        );
    }
}
