//! The backfill function: S3 Batch Operations invokes it on each object of
//! old LTSV logs, and it converts the object as the transformation function
//! converts Firehose records, with the same settings, into the delivery
//! stream's hourly layout of the log bucket.
//!
//! | module | concern |
//! |---|---|
//! | `handler` | the Lambda handler: invocation in, result out |
//! | `task` | the Batch Operations event and response |
//! | `run` | one task: stream, convert, upload, complete or abort |
//! | `uploads` | multipart uploads: parts in flight, completion, abort |
//! | `s3` | the S3 client, and which errors are temporary |
//! | `store` | the S3 calls a task makes, as a trait |
//! | `lines` | the object's bytes into lines: gzip or plain |
//! | `sniff` | whether the object is text at all |
//! | `rows` | each line converted, into its hour or the failed lines |
//! | `objects` | the hourly objects and the failed lines' object, in parts |
//! | `failed` | failed lines as Firehose's error records |
//! | `naming` | deterministic keys per source object |
//! | `limits` | what a task may hold in memory |
//! | `outcome` | a task's counts, or why it failed |

mod failed;
mod handler;
mod limits;
mod lines;
mod naming;
mod objects;
mod outcome;
mod rows;
mod run;
mod s3;
mod sniff;
mod store;
mod task;
mod uploads;

pub use failed::{ERROR_CODE, FailedLines};
pub use handler::handle;
pub use limits::{Limits, MIN_PART_BYTES};
pub use naming::{FAILED_PREFIX, LOGS_PREFIX, STAGING_PREFIX, SourceId};
pub use outcome::{Failure, Summary};
pub use run::{Invocation, Job, run};
pub use s3::{S3Body, S3Store};
pub use store::{Body, Source, Store};
pub use task::{Task, response, task_of};
