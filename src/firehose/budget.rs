//! Room in the response. Every record is converted only if its entry
//! leaves room for all the records after it to come back failed, so a
//! response that starts out fitting always fits.

use crate::error::{Error, ErrorKind};
use crate::firehose::decode::is_base64;
use crate::firehose::record::Record;
use crate::firehose::response::{Data, MAX_RESPONSE_BYTES, Outcome, Response};
use crate::write::json;

/// The metadata of a record without partition keys.
pub(crate) const EMPTY_METADATA: &[u8] = br#","metadata":{"partitionKeys":{}}"#;

/// The room reserved for the records not yet written.
///
/// Invariant: the response written so far, plus `reserved`, plus the
/// closing `]}`, is at most [`MAX_RESPONSE_BYTES`]. [`ResponseBudget::new`]
/// establishes it, and [`ResponseBudget::fits`] keeps it: a record may take
/// more room than its failed entry only when the rest still fit.
pub(crate) struct ResponseBudget {
    /// For each record, its comma and failed entry (with empty metadata
    /// when [`Self::metadata`]).
    failed: Vec<usize>,
    /// For each record, the length of its id written as JSON.
    ids: Vec<usize>,
    /// For each record, whether its data is base64, to come back as it
    /// came if it fails.
    base64: Vec<bool>,
    reserved: usize,
    metadata: bool,
}

impl ResponseBudget {
    /// The budget for `records`, or the error for a batch too large to
    /// return even with every record failed.
    ///
    /// Records that are not `Ok` need no metadata, but the reference
    /// response type insists on it, so they carry an empty one unless that
    /// alone would overflow the response: without it, a failed entry is no
    /// larger than the request's entry for the same record, so every batch
    /// Firehose can send can be answered.
    pub(crate) fn new(records: &[Record]) -> Result<ResponseBudget, Error> {
        let ids: Vec<usize> = records
            .iter()
            .map(|record| json::str_len(&record.record_id))
            .collect();
        let base64: Vec<bool> = records
            .iter()
            .map(|record| is_base64(record.data.as_bytes()))
            .collect();
        let mut failed: Vec<usize> = records
            .iter()
            .enumerate()
            .map(|(i, record)| {
                let data = failed_data(record, base64[i]);
                let entry = Response::entry_len(ids[i], Outcome::ProcessingFailed, &data, None);
                usize::from(i > 0) + entry
            })
            .collect();
        let frame = Response::HEAD.len() + Response::TAIL.len();
        let bare: usize = frame + failed.iter().sum::<usize>();
        let metadata = bare + records.len() * EMPTY_METADATA.len() <= MAX_RESPONSE_BYTES;
        if !metadata && bare > MAX_RESPONSE_BYTES {
            return Err(Error::new(ErrorKind::ResponseTooLarge {
                len: bare,
                limit: MAX_RESPONSE_BYTES,
            }));
        }
        if metadata {
            failed
                .iter_mut()
                .for_each(|len| *len += EMPTY_METADATA.len());
        }
        let reserved = failed.iter().sum();
        Ok(ResponseBudget {
            failed,
            ids,
            base64,
            reserved,
            metadata,
        })
    }

    /// The length of record `i`'s id, written as JSON.
    pub(crate) fn id_len(&self, i: usize) -> usize {
        self.ids[i]
    }

    /// The data `record`, record `i`, comes back with if it fails.
    pub(crate) fn failed_data<'a>(&self, i: usize, record: &'a Record) -> Data<'a> {
        failed_data(record, self.base64[i])
    }

    /// Whether entries that are not `Ok` carry an empty `metadata`.
    pub(crate) fn metadata(&self) -> bool {
        self.metadata
    }

    /// Frees the room held for record `i`, which is about to be written.
    pub(crate) fn release(&mut self, i: usize) {
        self.reserved -= self.failed[i];
    }

    /// Whether a response of `len` bytes still leaves room for every record
    /// not yet written to come back failed.
    pub(crate) fn fits(&self, len: usize) -> bool {
        len + self.reserved + Response::TAIL.len() <= MAX_RESPONSE_BYTES
    }
}

/// The data a failed record goes back with: exactly as received, except
/// when that is not base64, which Firehose never sends and requires back:
/// such text is encoded, so the error output still holds exactly the text
/// that arrived.
fn failed_data<'a>(record: &'a Record, base64: bool) -> Data<'a> {
    match base64 {
        true => Data::Original(&record.data),
        false => Data::Encode(record.data.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserved_room_is_exactly_what_failed_entries_take() {
        let records = [
            Record::new("a\"1", "YWJj"),
            Record::new("2", "not base64!"),
            Record::new("3", ""),
        ];
        let mut all_failed = Response::with_capacity(0);
        for record in &records {
            let data = match is_base64(record.data.as_bytes()) {
                true => Data::Original(&record.data),
                false => Data::Encode(record.data.as_bytes()),
            };
            all_failed.push(record, Outcome::ProcessingFailed, data, Some(b"{}"));
        }
        let budget = ResponseBudget::new(&records).unwrap();
        assert!(budget.metadata());
        let expected = all_failed.finish().get().len();
        assert_eq!(
            Response::HEAD.len() + budget.reserved + Response::TAIL.len(),
            expected
        );
        assert!(budget.fits(Response::HEAD.len()));
        assert!(!budget.fits(MAX_RESPONSE_BYTES - expected + Response::HEAD.len() + 1));
    }

    #[test]
    fn releasing_a_record_frees_its_entry_and_comma() {
        let records = [Record::new("1", "YQ=="), Record::new("2", "YQ==")];
        let mut budget = ResponseBudget::new(&records).unwrap();
        let (first, second) = (budget.failed[0], budget.failed[1]);
        assert_eq!(second, first + 1, "the second entry has a comma");
        budget.release(0);
        assert_eq!(budget.reserved, second);
        budget.release(1);
        assert_eq!(budget.reserved, 0);
    }

    #[test]
    fn metadata_is_left_out_only_when_it_alone_would_not_fit() {
        // One record whose failed entry, with the frame, is `size` bytes.
        let fixed = r#"{"records":[{"recordId":"1","result":"ProcessingFailed","data":""}]}"#.len();
        let sized = |size: usize| "A".repeat((size - fixed) / 4 * 4);
        let fits = sized(MAX_RESPONSE_BYTES - EMPTY_METADATA.len());
        assert!(
            ResponseBudget::new(&[Record::new("1", &fits)])
                .unwrap()
                .metadata()
        );
        let tight = sized(MAX_RESPONSE_BYTES - 3);
        assert!(
            !ResponseBudget::new(&[Record::new("1", &tight)])
                .unwrap()
                .metadata()
        );
        let over = "A".repeat(MAX_RESPONSE_BYTES);
        let error = ResponseBudget::new(&[Record::new("1", &over)])
            .err()
            .unwrap();
        assert!(
            matches!(error.kind(), ErrorKind::ResponseTooLarge { len, .. } if *len > MAX_RESPONSE_BYTES)
        );
    }
}
