//! The Lambda function: reads its settings once, then transforms every
//! Firehose batch it is given.

use firehose_ltsv::{config_from_env, handle, init_tracing, unknown_variables};
use lambda_runtime::{Error, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    init_tracing(std::io::stdout);
    let config = config_from_env().await.inspect_err(|error| {
        tracing::error!(%error, "invalid configuration");
    })?;
    let names = std::env::vars_os().filter_map(|(name, _)| name.into_string().ok());
    for warning in unknown_variables(names) {
        tracing::warn!("{warning}");
    }
    let config = &config;
    lambda_runtime::run(service_fn(move |event| {
        std::future::ready(handle(event, config))
    }))
    .await
}
