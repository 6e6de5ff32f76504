//! The settings of a function on Lambda: the environment, with the key of
//! keyed pseudonyms read once from Secrets Manager when
//! `LTSV_REDACT_KEY_SECRET` names a secret, so that the key is in no
//! environment variable and only the function's role can read it.

use crate::config::Config;
use crate::config::settings::{REDACT_KEY, REDACT_KEY_SECRET};
use crate::error::Error;

/// Reads the settings from the environment, and the pseudonyms' key from
/// the secret `LTSV_REDACT_KEY_SECRET` names, if it names one (its
/// `SecretString`, in place of `LTSV_REDACT_KEY`).
pub async fn config_from_env() -> Result<Config, Error> {
    let secret = std::env::var(REDACT_KEY_SECRET).unwrap_or_default();
    let key = match secret.trim() {
        "" => None,
        id => Some(read_secret(id).await?),
    };
    Config::from_lookup(|variable| match (variable, &key) {
        (REDACT_KEY, Some(key)) => Some(key.clone()),
        _ => std::env::var(variable).ok(),
    })
}

/// The `SecretString` of the secret `id` (its ARN or name), with the
/// region and credentials the environment gives (on Lambda, the
/// function's role).
#[cfg(feature = "secrets-manager")]
async fn read_secret(id: &str) -> Result<String, Error> {
    use aws_config::BehaviorVersion;
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let shared = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await;
    let client = aws_sdk_secretsmanager::Client::new(&shared);
    let cannot =
        |why: String| Error::setting(REDACT_KEY_SECRET, format!("cannot read {id}: {why}"));
    let output = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|error| {
            cannot(aws_sdk_secretsmanager::error::DisplayErrorContext(error).to_string())
        })?;
    output
        .secret_string
        .ok_or_else(|| cannot("the secret holds binary data, not a string".to_owned()))
}

/// Without a Secrets Manager client, a secret cannot be read.
#[cfg(not(feature = "secrets-manager"))]
async fn read_secret(id: &str) -> Result<String, Error> {
    Err(Error::setting(
        REDACT_KEY_SECRET,
        format!("cannot read {id}: built without the secrets-manager feature"),
    ))
}
