//! The [`Store`] of the function: the AWS SDK's S3 client, and which of
//! its errors are worth a retry.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use bytes::Bytes;

use crate::outcome::Failure;
use crate::store::{Body, Source, Store};
use crate::task::Task;

/// The source buckets, read, and the log bucket, written, through S3.
#[derive(Clone, Debug)]
pub struct S3Store {
    client: Client,
    log_bucket: String,
}

impl S3Store {
    /// A store writing into `log_bucket`, with the region, credentials and
    /// endpoint the environment gives (on Lambda, the function's role).
    ///
    /// With `AWS_ENDPOINT_URL` set (an S3-compatible server), buckets are
    /// addressed in the path, as such servers expect. Checksums are sent
    /// only where S3 requires them: TLS protects the bytes in transit.
    pub async fn from_env(log_bucket: String) -> S3Store {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .retry_config(RetryConfig::standard().with_max_attempts(5))
            .load()
            .await;
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(shared.endpoint_url().is_some())
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .build();
        S3Store {
            client: Client::from_conf(config),
            log_bucket,
        }
    }
}

/// A source object's body, as it arrives.
#[derive(Debug)]
pub struct S3Body(ByteStream);

impl Body for S3Body {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, Failure> {
        self.0
            .next()
            .await
            .transpose()
            .map_err(|error| Failure::Temporary(format!("reading the object: {error}")))
    }
}

impl Store for S3Store {
    type Body = S3Body;

    async fn get(&self, task: &Task) -> Result<Source<S3Body>, Failure> {
        let object = self
            .client
            .get_object()
            .bucket(&task.bucket)
            .key(&task.key)
            .set_version_id(task.version_id.clone())
            .send()
            .await
            .map_err(|error| failure(error, "GetObject"))?;
        Ok(Source {
            etag: object.e_tag().unwrap_or_default().to_owned(),
            last_modified_ms: object
                .last_modified()
                .and_then(|t| t.to_millis().ok())
                .unwrap_or(0),
            size: object
                .content_length()
                .and_then(|len| u64::try_from(len).ok()),
            body: S3Body(object.body),
        })
    }

    async fn start_upload(&self, key: &str) -> Result<String, Failure> {
        let upload = self
            .client
            .create_multipart_upload()
            .bucket(&self.log_bucket)
            .key(key)
            .send()
            .await
            .map_err(|error| failure(error, "CreateMultipartUpload"))?;
        upload
            .upload_id
            .ok_or_else(|| Failure::Temporary("CreateMultipartUpload: no upload id".into()))
    }

    fn upload_part(
        &self,
        key: String,
        upload_id: String,
        number: i32,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<String, Failure>> + Send + 'static {
        let request = self
            .client
            .upload_part()
            .bucket(&self.log_bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(bytes));
        async move {
            let part = request
                .send()
                .await
                .map_err(|error| failure(error, "UploadPart"))?;
            part.e_tag
                .ok_or_else(|| Failure::Temporary("UploadPart: no ETag".into()))
        }
    }

    fn complete_upload(
        &self,
        key: String,
        upload_id: String,
        parts: Vec<(i32, String)>,
    ) -> impl Future<Output = Result<(), Failure>> + Send + 'static {
        let parts = parts
            .into_iter()
            .map(|(number, etag)| {
                CompletedPart::builder()
                    .part_number(number)
                    .e_tag(etag)
                    .build()
            })
            .collect();
        let request = self
            .client
            .complete_multipart_upload()
            .bucket(&self.log_bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            );
        async move {
            request
                .send()
                .await
                .map(drop)
                .map_err(|error| failure(error, "CompleteMultipartUpload"))
        }
    }

    fn abort_upload(
        &self,
        key: String,
        upload_id: String,
    ) -> impl Future<Output = Result<(), Failure>> + Send + 'static {
        let request = self
            .client
            .abort_multipart_upload()
            .bucket(&self.log_bucket)
            .key(key)
            .upload_id(upload_id);
        async move {
            request
                .send()
                .await
                .map(drop)
                .map_err(|error| failure(error, "AbortMultipartUpload"))
        }
    }

    async fn delete(&self, key: &str) -> Result<(), Failure> {
        self.client
            .delete_object()
            .bucket(&self.log_bucket)
            .key(key)
            .send()
            .await
            .map(drop)
            .map_err(|error| failure(error, "DeleteObject"))
    }
}

/// An SDK error as a task's failure: temporary when a retry may succeed.
fn failure<E>(error: SdkError<E, HttpResponse>, call: &str) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &error {
        SdkError::ServiceError(context) => {
            let code = context.err().code().unwrap_or("");
            let message = context.err().message().unwrap_or("");
            let status = context.raw().status().as_u16();
            let reason = match code {
                "" => format!("{call}: {status} {}", DisplayErrorContext(&error)),
                code => format!("{call}: {status} {code} {message}"),
            };
            if is_temporary(status, code) {
                Failure::Temporary(reason)
            } else {
                Failure::Permanent(reason)
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Failure::Temporary(format!("{call}: {}", DisplayErrorContext(&error)))
        }
        _ => Failure::Permanent(format!("{call}: {}", DisplayErrorContext(&error))),
    }
}

/// Whether an S3 error answer may go away: throttling, or a fault of S3's.
fn is_temporary(status: u16, code: &str) -> bool {
    const TEMPORARY_CODES: [&str; 4] = [
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestTimeout",
    ];
    status >= 500 || status == 429 || TEMPORARY_CODES.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_and_server_faults_are_temporary_the_rest_permanent() {
        for (status, code) in [
            (503, "SlowDown"),
            (500, "InternalError"),
            (400, "RequestTimeout"),
            (429, ""),
            (400, "ThrottlingException"),
        ] {
            assert!(is_temporary(status, code), "{status} {code}");
        }
        for (status, code) in [
            (404, "NoSuchKey"),
            (404, "NoSuchBucket"),
            (403, "AccessDenied"),
            (400, "InvalidRequest"),
            (301, "PermanentRedirect"),
        ] {
            assert!(!is_temporary(status, code), "{status} {code}");
        }
    }
}
