//! The S3 calls a task makes, as a trait: the function's S3 client
//! implements it, and the tests an in-memory bucket.
//!
//! Objects are written only by multipart uploads, completed once the whole
//! source has been converted: until then S3 shows nothing, and an upload
//! left behind by a task that was killed is never visible (the log bucket
//! aborts such uploads after seven days).

use std::future::Future;

use bytes::Bytes;

use crate::outcome::Failure;
use crate::task::Task;

/// A source object being read.
#[derive(Debug)]
pub struct Source<B> {
    /// Its ETag, naming its content.
    pub etag: String,
    /// When it was last modified, in milliseconds since the epoch.
    pub last_modified_ms: i64,
    /// Its size in bytes, when known.
    pub size: Option<u64>,
    /// Its bytes, as they arrive.
    pub body: B,
}

/// The bytes of a source object, as they arrive.
pub trait Body: Send {
    /// The next chunk, or `None` at the end.
    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<Bytes>, Failure>> + Send;
}

/// Reading the source bucket and writing the log bucket.
pub trait Store: Clone + Send + Sync + 'static {
    /// A source object's bytes.
    type Body: Body;

    /// Starts reading the object `task` names.
    fn get(&self, task: &Task) -> impl Future<Output = Result<Source<Self::Body>, Failure>> + Send;

    /// Starts a multipart upload to `key` of the log bucket: its upload id.
    fn start_upload(&self, key: &str) -> impl Future<Output = Result<String, Failure>> + Send;

    /// Uploads part `number` (from 1) of an upload: the part's ETag.
    fn upload_part(
        &self,
        key: String,
        upload_id: String,
        number: i32,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<String, Failure>> + Send + 'static;

    /// Makes an upload the object at its key, from its parts in order:
    /// `(number, ETag)`.
    fn complete_upload(
        &self,
        key: String,
        upload_id: String,
        parts: Vec<(i32, String)>,
    ) -> impl Future<Output = Result<(), Failure>> + Send + 'static;

    /// Discards an upload and its parts.
    fn abort_upload(
        &self,
        key: String,
        upload_id: String,
    ) -> impl Future<Output = Result<(), Failure>> + Send + 'static;

    /// Deletes `key` of the log bucket, if it exists.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), Failure>> + Send;
}
