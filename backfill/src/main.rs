//! The backfill function's binary: reads the transformation function's
//! settings and the log bucket once, then runs each S3 Batch Operations
//! task it is given.

use firehose_ltsv::{Config, init_tracing};
use firehose_ltsv_backfill::{GzipJson, Job, Limits, S3Store, handle};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing(std::io::stdout);
    let config = Config::from_env().inspect_err(|error| {
        tracing::error!(%error, "invalid configuration");
    })?;
    let log_bucket = std::env::var("LOG_BUCKET")
        .ok()
        .filter(|bucket| !bucket.is_empty())
        .ok_or("LOG_BUCKET: the bucket to write into is not set")?;
    let job = Job {
        store: S3Store::from_env(log_bucket).await,
        config,
        encoding: Box::new(GzipJson::default()),
        limits: Limits::default(),
    };
    let job = &job;
    lambda_runtime::run(service_fn(move |event| handle(event, job))).await
}
