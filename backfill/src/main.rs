//! The backfill function's binary: reads the transformation function's
//! settings, the stack's output format and the log bucket once, then runs
//! each S3 Batch Operations task it is given.

use firehose_ltsv::{Config, columns, config_from_env, init_tracing, unknown_variables};
use firehose_ltsv_backfill::{Job, Limits, S3Store, handle};
use firehose_ltsv_output::{Files, OutputFormat, Table};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing(std::io::stdout);
    let config = config_from_env().await.inspect_err(|error| {
        tracing::error!(%error, "invalid configuration");
    })?;
    let names = std::env::vars_os().filter_map(|(name, _)| name.into_string().ok());
    for warning in unknown_variables(names) {
        tracing::warn!("{warning}");
    }
    let log_bucket = std::env::var("LOG_BUCKET")
        .ok()
        .filter(|bucket| !bucket.is_empty())
        .ok_or("LOG_BUCKET: the bucket to write into is not set")?;
    let files = files(&config).inspect_err(|error| {
        tracing::error!(%error, "invalid configuration");
    })?;
    let job = Job {
        store: S3Store::from_env(log_bucket).await,
        config,
        files,
        limits: Limits::default(),
    };
    let job = &job;
    lambda_runtime::run(service_fn(move |event| handle(event, job))).await
}

/// The hourly objects' format: `OUTPUT_FORMAT`, the stack's output
/// format, so that old hours are written as the stream writes new ones
/// (for an Iceberg table, as Parquet files its staging table reads).
fn files(config: &Config) -> Result<Files, String> {
    let format = config.output_format();
    let table = match format {
        OutputFormat::Json => Table::new(Vec::new()),
        OutputFormat::Parquet | OutputFormat::Iceberg => {
            Table::new(columns(config, true).map_err(|error| format!("OUTPUT_FORMAT: {error}"))?)
        }
    };
    Ok(Files::new(format, table))
}
