//! The response, written straight into one buffer as JSON, with converted
//! data base64-encoded in place; its limit, and the results it gives.

use std::iter;

use base64::Engine;
use serde::Deserialize;
use serde::de::value::{self, MapDeserializer};
use serde_json::value::RawValue;

use crate::firehose::decode::BASE64;
use crate::firehose::record::Record;
use crate::write::json;

/// The largest response this function returns, in bytes: Lambda rejects
/// responses of 6 MB (6,291,456 bytes) or more; Firehose's documentation
/// asks for less than 6,000,000.
pub const MAX_RESPONSE_BYTES: usize = 5_999_999;

/// A record's result, as Firehose spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Transformed; Firehose delivers the new data.
    Ok,
    /// Deliberately left out: the record had no lines, or `LTSV_DROP`
    /// removed them all.
    Dropped,
    /// Not transformed; Firehose writes the original data to the error prefix.
    ProcessingFailed,
}

impl Outcome {
    /// The `result` string of the response.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "Ok",
            Outcome::Dropped => "Dropped",
            Outcome::ProcessingFailed => "ProcessingFailed",
        }
    }
}

/// What an entry's `data` holds.
#[derive(Clone, Copy)]
pub(crate) enum Data<'a> {
    /// Output to base64-encode.
    Encode(&'a [u8]),
    /// The record's data exactly as received: base64, which needs no
    /// JSON escapes.
    Original(&'a str),
    /// Nothing: a `Dropped` record.
    Empty,
}

/// What comes before an entry's partition keys.
const METADATA: &[u8] = br#","metadata":{"partitionKeys":"#;

/// The response being written: `{"records":[` and the entries so far.
pub(crate) struct Response {
    out: Vec<u8>,
    entries: usize,
}

impl Response {
    pub(crate) const HEAD: &'static [u8] = b"{\"records\":[";
    pub(crate) const TAIL: &'static [u8] = b"]}";

    /// A response with room for about `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Response {
        let mut out = Vec::with_capacity(capacity);
        out.extend_from_slice(Self::HEAD);
        Response { out, entries: 0 }
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.out.len()
    }

    /// The bytes [`push`](Self::push) appends for an entry, without the
    /// comma that separates it from the one before.
    /// `id_len` is the length of its record's id, written as JSON.
    pub(crate) fn entry_len(
        id_len: usize,
        outcome: Outcome,
        data: &Data,
        keys: Option<&[u8]>,
    ) -> usize {
        const FIXED: usize = r#"{"recordId":,"result":"","data":}"#.len();
        let data = match data {
            Data::Encode(bytes) => {
                2 + base64::encoded_len(bytes.len(), true).expect("fits in memory")
            }
            Data::Original(text) => 2 + text.len(),
            Data::Empty => 2,
        };
        let metadata = keys.map_or(0, |keys| METADATA.len() + keys.len() + 1);
        FIXED + id_len + outcome.as_str().len() + data + metadata
    }

    /// Appends one record's entry; `keys` is its `partitionKeys` object,
    /// or `None` for an entry without `metadata`.
    pub(crate) fn push(
        &mut self,
        record: &Record,
        outcome: Outcome,
        data: Data,
        keys: Option<&[u8]>,
    ) {
        let out = &mut self.out;
        if self.entries > 0 {
            out.push(b',');
        }
        self.entries += 1;
        out.extend_from_slice(b"{\"recordId\":");
        json::write_str(out, record.record_id.as_bytes());
        out.extend_from_slice(b",\"result\":\"");
        out.extend_from_slice(outcome.as_str().as_bytes());
        out.extend_from_slice(b"\",\"data\":");
        match data {
            Data::Encode(bytes) => {
                out.push(b'"');
                let start = out.len();
                // Padded, the encoding is exactly this long.
                out.resize(
                    start + base64::encoded_len(bytes.len(), true).expect("fits in memory"),
                    0,
                );
                BASE64
                    .encode_slice(bytes, &mut out[start..])
                    .expect("buffer sized by encoded_len");
                out.push(b'"');
            }
            Data::Original(text) => {
                out.push(b'"');
                out.extend_from_slice(text.as_bytes());
                out.push(b'"');
            }
            Data::Empty => out.extend_from_slice(b"\"\""),
        }
        if let Some(keys) = keys {
            out.extend_from_slice(METADATA);
            out.extend_from_slice(keys);
            out.push(b'}');
        }
        out.push(b'}');
    }

    /// The finished response.
    pub(crate) fn finish(mut self) -> Box<RawValue> {
        self.out.extend_from_slice(Self::TAIL);
        let text = String::from_utf8(self.out).expect("the response is written as UTF-8");
        raw_value(text)
    }
}

/// `json`, which this module wrote, as a [`RawValue`] without parsing it
/// again: a parse of the whole response costs as much as reading the
/// event did. `RawValue::from_string` parses, and its unchecked twin needs
/// `unsafe`, which this crate forbids; so the text is handed to
/// `Box<RawValue>`'s `Deserialize` the way serde_json's own deserializer
/// hands it text it has checked: one map entry under serde_json's token.
/// Every response the tests see is parsed again, to hold this to JSON.
fn raw_value(json: String) -> Box<RawValue> {
    const TOKEN: &str = "$serde_json::private::RawValue";
    let entry = MapDeserializer::<_, value::Error>::new(iter::once((TOKEN, json)));
    let raw = Box::<RawValue>::deserialize(entry).expect("serde_json's token for a RawValue");
    debug_assert!(
        RawValue::from_string(raw.get().to_owned()).is_ok(),
        "the response is JSON"
    );
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_separated_and_take_the_room_reckoned() {
        let mut response = Response::with_capacity(0);
        let entries: [(Record, Outcome, Data, Option<&[u8]>); 3] = [
            (
                Record::new("1", "x"),
                Outcome::Ok,
                Data::Encode(b"a"),
                Some(b"{}"),
            ),
            (Record::new("2", "x"), Outcome::Dropped, Data::Empty, None),
            (
                Record::new("\"3", "YQ=="),
                Outcome::ProcessingFailed,
                Data::Original("YQ=="),
                None,
            ),
        ];
        for (i, (record, outcome, data, keys)) in entries.iter().enumerate() {
            let before = response.len();
            response.push(record, *outcome, *data, *keys);
            let id_len = json::str_len(&record.record_id);
            let reckoned = Response::entry_len(id_len, *outcome, data, *keys);
            assert_eq!(response.len() - before, usize::from(i > 0) + reckoned);
        }
        assert_eq!(
            response.finish().get(),
            r#"{"records":[{"recordId":"1","result":"Ok","data":"YQ==","metadata":{"partitionKeys":{}}},{"recordId":"2","result":"Dropped","data":""},{"recordId":"\"3","result":"ProcessingFailed","data":"YQ=="}]}"#
        );
    }

    #[test]
    fn an_empty_response_is_an_empty_list() {
        assert_eq!(
            Response::with_capacity(0).finish().get(),
            r#"{"records":[]}"#
        );
    }
}
