//! The response's size, reckoned from the records sent: the room each
//! record's failed entry takes, and the response with every record failed,
//! which decide whether a batch is answered, whether failed and dropped
//! records carry metadata, and which records may fail for room.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::records::{Expected, InputRecord};

/// What a failed or dropped record's empty metadata adds to its entry.
const EMPTY_METADATA: &str = r#","metadata":{"partitionKeys":{}}"#;

/// The room the records take when they fail, which decides whether the
/// batch is answered at all, whether metadata fits and which records may
/// fail for room.
pub(crate) struct Room {
    /// What each record's `data` comes back as when it fails.
    pub(crate) failed_data: Vec<String>,
    /// The length of each record's failed entry without metadata:
    /// `{"recordId":ID,"result":"ProcessingFailed","data":"DATA"}`, where
    /// DATA is base64, which JSON writes as it is.
    failed_lens: Vec<usize>,
}

impl Room {
    /// The room `records` take when they fail, given what each must come
    /// back as.
    pub(crate) fn new(records: &[InputRecord], expected: &[Expected]) -> Room {
        let failed_data: Vec<String> = records
            .iter()
            .zip(expected)
            .map(|(record, expected)| match expected {
                Expected::NotBase64 => BASE64.encode(&record.data),
                Expected::Decoded { .. } => record.data.clone(),
            })
            .collect();
        let failed_lens = records
            .iter()
            .zip(&failed_data)
            .map(|(record, data)| {
                r#"{"recordId":,"result":"ProcessingFailed","data":""}"#.len()
                    + serde_json::to_string(&record.id).unwrap().len()
                    + data.len()
            })
            .collect();
        Room {
            failed_data,
            failed_lens,
        }
    }

    /// The length of record `i`'s failed entry, with or without metadata.
    pub(crate) fn failed_len(&self, i: usize, metadata: bool) -> usize {
        self.failed_lens[i] + if metadata { EMPTY_METADATA.len() } else { 0 }
    }

    /// The length of the response with every record failed, with or
    /// without metadata.
    pub(crate) fn all_failed_len(&self, metadata: bool) -> usize {
        let records = self.failed_lens.len();
        let entries: usize = (0..records).map(|i| self.failed_len(i, metadata)).sum();
        r#"{"records":[]}"#.len() + entries + records.saturating_sub(1)
    }
}
