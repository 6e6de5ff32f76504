//! The Lambda handler: one S3 Batch Operations invocation in, the task's
//! result out, with one log line saying what it did.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::s3::batch_job::{S3BatchJobEvent, S3BatchJobResponse};
use lambda_runtime::{Context, LambdaEvent};
use tracing::{info, warn};

use crate::run::{Invocation, Job, run};
use crate::store::Store;
use crate::task::{response, task_of};

/// Runs the invocation's task and answers with its result. A task that
/// fails is a result too (`TemporaryFailure` or `PermanentFailure`), so
/// the invocation itself only fails when the runtime cannot read the event.
pub async fn handle<S: Store>(
    event: LambdaEvent<S3BatchJobEvent>,
    job: &Job<S>,
) -> Result<S3BatchJobResponse, lambda_runtime::Error> {
    let started = Instant::now();
    let invocation = invocation(&event.context);
    let result = match task_of(&event.payload) {
        Ok(task) => {
            let result = run(job, &task, &invocation).await;
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            match &result {
                Ok(summary) => info!(
                    bucket = %task.bucket, key = %task.key, id = %summary.id,
                    lines = summary.lines, written = summary.written, failed = summary.failed,
                    objects = summary.objects, bytes_in = summary.bytes_in, elapsed_ms,
                    "object backfilled"
                ),
                Err(failure) => warn!(
                    bucket = %task.bucket, key = %task.key, result = failure.result_code(),
                    reason = failure.reason(), elapsed_ms, "object not backfilled"
                ),
            }
            result
        }
        Err(failure) => {
            warn!(reason = failure.reason(), "task not run");
            Err(failure)
        }
    };
    Ok(response(&event.payload, &result))
}

/// The invocation's function ARN and deadline, from the runtime.
fn invocation(context: &Context) -> Invocation {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64);
    // The runtime gives the deadline in milliseconds since the epoch. One
    // already past is none: Lambda never sends it, and Cargo Lambda's
    // emulator sends its timeout there instead.
    let deadline = (context.deadline > now_ms)
        .then(|| Instant::now() + Duration::from_millis(context.deadline - now_ms));
    Invocation {
        function_arn: context.invoked_function_arn.clone(),
        deadline,
    }
}
