//! One task from start to end: read the source object as it arrives,
//! convert its lines, upload the hourly objects in parts as they fill, and
//! complete them all only once the whole object has been converted. A task
//! that fails aborts its uploads; one that is killed leaves only
//! incomplete uploads, which S3 never shows.

use std::io::Write;
use std::time::{Duration, Instant};

use firehose_ltsv::Config;
use firehose_ltsv_output::Files;

use crate::failed::FailedLines;
use crate::limits::Limits;
use crate::lines::{Decoder, Lines};
use crate::naming::SourceId;
use crate::objects::Objects;
use crate::outcome::{Failure, Summary};
use crate::rows::Rows;
use crate::sniff::{NotALog, Sniff};
use crate::store::{Body, Source, Store};
use crate::task::Task;
use crate::uploads::Uploads;

/// What every task of a function shares.
#[derive(Debug)]
pub struct Job<S> {
    /// The buckets.
    pub store: S,
    /// The conversion settings, the transformation function's.
    pub config: Config,
    /// The hourly objects' format: the stack's `OutputFormat`.
    pub files: Files,
    /// What a task may hold in memory.
    pub limits: Limits,
}

/// One invocation's frame: who runs it and until when.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// The function's ARN, named in failed lines' records.
    pub function_arn: String,
    /// When the invocation times out, if known.
    pub deadline: Option<Instant>,
}

type Pipeline<'a> = Decoder<Sniff<Lines<Rows<'a>>>>;

/// Backfills the object `task` names.
pub async fn run<S: Store>(
    job: &Job<S>,
    task: &Task,
    invocation: &Invocation,
) -> Result<Summary, Failure> {
    let started = Instant::now();
    let source = job.store.get(task).await?;
    let id = SourceId::new(&task.bucket, &task.key, &source.etag);
    let failed = FailedLines {
        arrival_ms: source.last_modified_ms,
        function_arn: invocation.function_arn.clone(),
    };
    let objects = Objects::new(id.clone(), &job.files, job.limits);
    let rows = Rows::new(&job.config, objects, failed);
    let lines = Lines::new(rows, job.limits.max_line);
    let mut pipeline = Decoder::new(Sniff::new(lines));
    let mut uploads = Uploads::new(job.store.clone(), job.limits.uploads_in_flight);
    let stop_at = invocation
        .deadline
        .map(|deadline| stop_at(started, deadline));
    let converted = convert(&mut pipeline, source, &mut uploads, job.limits, stop_at).await;
    let rows = pipeline.get_mut().get_mut().sink();
    if let Some(label) = rows.first_undeclared_label() {
        tracing::warn!(
            lines = rows.summary.undeclared,
            first_label = %label,
            "lines hold labels LTSV_LOG_FORMAT does not declare: the table has no column for them"
        );
    }
    let mut summary = std::mem::take(&mut rows.summary);
    let objects = rows.objects();
    if let Err(failure) = converted.map(|bytes_in| summary.bytes_in = bytes_in) {
        uploads.abort().await;
        return Err(failure);
    }
    summary.id = format!("backfill-{id}");
    summary.objects = objects.row_objects();
    summary.failed_object = objects.failed_object().map(|o| objects.key(o).to_owned());
    let stale_failed = objects.failed_key();
    uploads.complete().await?;
    if summary.failed == 0 {
        // An earlier attempt's failed lines, which would be replayed twice.
        job.store.delete(&stale_failed).await?;
    }
    Ok(summary)
}

/// Streams the source through the pipeline, uploading pieces as they come;
/// the bytes read.
async fn convert<S: Store>(
    pipeline: &mut Pipeline<'_>,
    mut source: Source<S::Body>,
    uploads: &mut Uploads<S>,
    limits: Limits,
    stop_at: Option<Instant>,
) -> Result<u64, Failure> {
    let mut read = 0u64;
    let bad = |read: u64| {
        move |error: std::io::Error| match error.get_ref() {
            Some(not_a_log) if not_a_log.is::<NotALog>() => Failure::Permanent(error.to_string()),
            _ => Failure::Permanent(format!("at byte {read}: {error}")),
        }
    };
    while let Some(chunk) = source.body.next_chunk().await? {
        if stop_at.is_some_and(|at| Instant::now() >= at) {
            return Err(out_of_time(read, source.size));
        }
        for feed in chunk.chunks(limits.feed_bytes.max(1)) {
            feed_all(pipeline, feed, &mut read).map_err(bad(read))?;
            send_pieces(pipeline, uploads).await?;
        }
    }
    pipeline.finish().map_err(bad(read))?;
    let sniff = pipeline.get_mut();
    sniff.finish().map_err(bad(read))?;
    let lines = sniff.get_mut();
    lines.finish().map_err(bad(read))?;
    lines.sink().objects().finish().map_err(bad(read))?;
    send_pieces(pipeline, uploads).await?;
    Ok(read)
}

/// Writes all of `feed`, counting in `read` the bytes the pipeline took,
/// so that on error `read` is where the source went wrong (the decoder
/// takes what it could decompress and fails on the next write), not where
/// the feed began.
fn feed_all(pipeline: &mut Pipeline<'_>, mut feed: &[u8], read: &mut u64) -> std::io::Result<()> {
    while !feed.is_empty() {
        let taken = match pipeline.write(feed) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(taken) => taken,
            // No stage of the pipeline is interrupted: each writes to memory.
            Err(error) => return Err(error),
        };
        *read += taken as u64;
        feed = &feed[taken..];
    }
    Ok(())
}

async fn send_pieces<S: Store>(
    pipeline: &mut Pipeline<'_>,
    uploads: &mut Uploads<S>,
) -> Result<(), Failure> {
    let objects = pipeline.get_mut().get_mut().sink().objects();
    for piece in objects.take_pieces() {
        let key = objects.key(piece.object).to_owned();
        uploads.send(piece, &key).await?;
    }
    Ok(())
}

/// When to give up reading: early enough before the deadline to complete
/// or abort the uploads (a fifth of the time, at most 30 seconds).
fn stop_at(started: Instant, deadline: Instant) -> Instant {
    let budget = deadline.saturating_duration_since(started);
    deadline - (budget / 5).min(Duration::from_secs(30))
}

/// Why a task that ran out of time fails: retrying cannot help.
fn out_of_time(read: u64, size: Option<u64>) -> Failure {
    let size = size.map_or_else(|| "?".to_owned(), |size| size.to_string());
    Failure::Permanent(format!(
        "out of time after reading {read} of {size} bytes: give the function more \
         memory, which brings more CPU, or split the object"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_stops_a_fifth_of_the_time_before_the_deadline_at_most_30_s() {
        let start = Instant::now();
        let short = start + Duration::from_secs(10);
        assert_eq!(stop_at(start, short), start + Duration::from_secs(8));
        let long = start + Duration::from_secs(900);
        assert_eq!(stop_at(start, long), start + Duration::from_secs(870));
        assert_eq!(stop_at(start, start), start);
    }
}
