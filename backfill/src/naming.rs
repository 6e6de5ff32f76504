//! Where a source object's rows and failed lines go: keys that depend only
//! on the object (its bucket, key and ETag), the hour and a sequence, so
//! that running a task again writes the same keys and replaces its
//! objects instead of adding to them.

use std::fmt;

use firehose_ltsv::DateHour;
use sha2::{Digest, Sha256};

/// Where converted rows go in the log bucket: the delivery stream's prefix,
/// which the Athena table reads.
pub const LOGS_PREFIX: &str = "logs/";

/// Where converted rows go when the stream writes an Iceberg table: Parquet
/// files a staging table reads, which a `MERGE` moves into the Iceberg
/// table once, keyed by each row's `source_line`.
pub const STAGING_PREFIX: &str = "backfill-staging/";

/// Where lines that failed go in the log bucket, beside Firehose's own
/// `errors/processing-failed/`.
pub const FAILED_PREFIX: &str = "errors/backfill-failed/";

/// A source object's identity: 128 bits of SHA-256 over its bucket, key
/// and ETag, in hex. The same object gives the same id on every run; an
/// object whose content changed (a new ETag) gives a new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceId(String);

impl SourceId {
    /// The id of `bucket`/`key` holding the content `etag` names (its quotes,
    /// as S3 returns it, are ignored).
    pub fn new(bucket: &str, key: &str, etag: &str) -> SourceId {
        let mut hash = Sha256::new();
        for part in [bucket, key, etag.trim_matches('"')] {
            // Lengths first, so no two different triples hash the same bytes.
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        let digest = hash.finalize();
        SourceId(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The key of the `seq`-th object (from 1) of this source's rows in
    /// `hour`, under `prefix` and ending in `extension`:
    /// `logs/year=…/month=…/day=…/hour=…/backfill-ID-000001.json.gz`.
    pub fn hour_key(&self, prefix: &str, hour: DateHour, seq: u32, extension: &str) -> String {
        format!(
            "{prefix}{}/backfill-{self}-{seq:06}.{extension}",
            hour.partition_path()
        )
    }

    /// Where line `line` (from 1) of this source says it came from, in an
    /// Iceberg table's `source_line` column: `backfill-ID:LINE`.
    pub fn source_line(&self, line: u64) -> String {
        format!("backfill-{self}:{line}")
    }

    /// The key of the object holding this source's failed lines.
    pub fn failed_key(&self) -> String {
        format!("{FAILED_PREFIX}backfill-{self}.json.gz")
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_bucket_key_and_content_only() {
        let id = SourceId::new(
            "old-logs",
            "web1/access.log.1.gz",
            "\"9b2cf535f27731c974343645a3985328\"",
        );
        assert_eq!(id.to_string().len(), 32);
        assert!(id.to_string().bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            id,
            SourceId::new(
                "old-logs",
                "web1/access.log.1.gz",
                "9b2cf535f27731c974343645a3985328"
            )
        );
        let others = [
            SourceId::new(
                "old-logs2",
                "web1/access.log.1.gz",
                "9b2cf535f27731c974343645a3985328",
            ),
            SourceId::new(
                "old-logs",
                "web1/access.log.2.gz",
                "9b2cf535f27731c974343645a3985328",
            ),
            SourceId::new(
                "old-logs",
                "web1/access.log.1.gz",
                "9b2cf535f27731c974343645a3985329",
            ),
            // The parts are kept apart: moving a character across them differs.
            SourceId::new(
                "old-log",
                "sweb1/access.log.1.gz",
                "9b2cf535f27731c974343645a3985328",
            ),
        ];
        for other in others {
            assert_ne!(id, other);
        }
    }

    #[test]
    fn keys_follow_the_stream_layout() {
        let id = SourceId("00112233445566778899aabbccddeeff".into());
        let hour = DateHour {
            year: 2021,
            month: 6,
            day: 28,
            hour: 8,
        };
        assert_eq!(
            id.hour_key(LOGS_PREFIX, hour, 2, "json.gz"),
            "logs/year=2021/month=06/day=28/hour=08/backfill-00112233445566778899aabbccddeeff-000002.json.gz"
        );
        assert_eq!(
            id.hour_key(STAGING_PREFIX, hour, 1, "parquet"),
            "backfill-staging/year=2021/month=06/day=28/hour=08/backfill-00112233445566778899aabbccddeeff-000001.parquet"
        );
        assert_eq!(
            id.source_line(17),
            "backfill-00112233445566778899aabbccddeeff:17"
        );
        assert_eq!(
            id.failed_key(),
            "errors/backfill-failed/backfill-00112233445566778899aabbccddeeff.json.gz"
        );
    }
}
