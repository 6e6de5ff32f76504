//! A transformation's response held to the rules: the size limit, a
//! compact response with one entry per record, each entry against what its
//! record must come back as, the records failed for room, and the summary.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::{Config, Converter, Error, ErrorKind, MAX_RESPONSE_BYTES, NoRoom, Summary};
use ltsv_oracle::product::settings;
use ltsv_oracle::{Object, RecordExpectation, Settings, check_object, keys_json, record_lines};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::line::{Why, agreed, why};
use crate::records::{Expected, InputRecord, expect};
use crate::redact::Redact;
use crate::room::Room;
use crate::settings::Picked;

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(borrow)]
    records: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry<'a> {
    #[serde(borrow, rename = "recordId")]
    record_id: &'a RawValue,
    result: String,
    #[serde(borrow)]
    data: std::borrow::Cow<'a, str>,
    metadata: Option<Metadata<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata<'a> {
    #[serde(borrow, rename = "partitionKeys")]
    partition_keys: &'a RawValue,
}

impl Entry<'_> {
    /// Its partition keys as the JSON text it holds, `None` without
    /// metadata.
    fn partition_keys(&self) -> Option<&str> {
        self.metadata.as_ref().map(|m| m.partition_keys.get())
    }
}

/// Checks a transformation's result for `records` against the rules:
/// every record once and in order, `Ok` data exactly the converted lines,
/// failed data byte-identical, the metadata rule, the size limit, the
/// summary's counts and each failure's reason. `delivery_stream` is the
/// summary's stream name, when the caller knows it.
pub fn check_response(
    picked: &Picked,
    records: &[InputRecord],
    result: Result<(&str, &Summary), &Error>,
    delivery_stream: Option<Option<&str>>,
) {
    let config = &picked.config;
    let sent = Sent::new(config, &picked.redact, records);
    // A batch that does not fit even returned unchanged is refused, with
    // that size, before anything is converted; any other is answered.
    let (response, summary) = match result {
        Ok(ok) => ok,
        Err(error) => {
            sent.check_refused(error);
            return;
        }
    };
    let entries = sent.check_shape(response);
    let mut tally = Tally {
        counts: Summary {
            records: records.len(),
            response_bytes: response.len(),
            delivery_stream: match delivery_stream {
                Some(name) => name.map(str::to_owned),
                None => summary.delivery_stream.clone(),
            },
            ..Summary::default()
        },
        failures: Vec::new(),
        failed_records: Vec::new(),
        prefix_len: r#"{"records":["#.len(),
    };
    for (i, entry_text) in entries.iter().enumerate() {
        sent.check_entry(i, entry_text, &mut tally);
        tally.prefix_len += entry_text.len() + 1;
    }
    sent.check_failures(config, summary, &tally);
    let summary = Summary {
        failures: Vec::new(),
        ..summary.clone()
    };
    assert_eq!(summary, tally.counts, "summary counts");
}

/// The records sent and what the rules say must come back.
struct Sent<'a> {
    records: &'a [InputRecord],
    /// The settings in the rules' terms, and what `LTSV_REDACT` does.
    settings: Settings,
    redact: &'a Redact,
    /// What each record must come back as.
    expected: Vec<Expected>,
    room: Room,
    /// Failed and dropped records carry empty metadata unless only leaving
    /// it out makes the batch fit.
    with_metadata: bool,
}

impl<'a> Sent<'a> {
    /// Works out what each record must come back as, which also checks the
    /// crate's parser and converter on its data.
    fn new(config: &Config, redact: &'a Redact, records: &'a [InputRecord]) -> Self {
        let mut converter = Converter::new(config);
        let expected: Vec<Expected> = records
            .iter()
            .map(|record| expect(config, &mut converter, &record.data))
            .collect();
        let room = Room::new(records, &expected);
        let with_metadata = room.all_failed_len(true) <= MAX_RESPONSE_BYTES;
        Sent {
            records,
            settings: settings(config),
            redact,
            expected,
            room,
            with_metadata,
        }
    }

    /// Checks that the batch was refused because it does not fit even
    /// returned unchanged.
    fn check_refused(&self, error: &Error) {
        assert_eq!(
            error.kind(),
            &ErrorKind::ResponseTooLarge {
                len: self.room.all_failed_len(false),
                limit: MAX_RESPONSE_BYTES
            },
            "only a batch too large to return unchanged is refused"
        );
        assert!(self.room.all_failed_len(false) > MAX_RESPONSE_BYTES);
    }

    /// The response's entries, once the response is found within the limit,
    /// compact, and with one entry per record.
    fn check_shape<'r>(&self, response: &'r str) -> Vec<&'r str> {
        assert!(
            self.room.all_failed_len(false) <= MAX_RESPONSE_BYTES,
            "answered, but even returned unchanged the batch takes {} bytes",
            self.room.all_failed_len(false)
        );
        assert!(
            response.len() <= MAX_RESPONSE_BYTES,
            "response of {} bytes",
            response.len()
        );
        let parsed: Response = serde_json::from_str(response)
            .unwrap_or_else(|e| panic!("response is not {{\"records\":[...]}}: {e}"));
        let entries: Vec<&str> = parsed.records.iter().map(|r| r.get()).collect();
        assert_eq!(
            response,
            format!(r#"{{"records":[{}]}}"#, entries.join(",")),
            "the response is compact, so its size can be reckoned"
        );
        assert_eq!(entries.len(), self.records.len(), "one result per record");
        entries
    }

    /// Checks entry `i` against what record `i` must come back as, and
    /// counts it.
    fn check_entry(&self, i: usize, entry_text: &str, tally: &mut Tally) {
        let entry: Entry = serde_json::from_str(entry_text)
            .unwrap_or_else(|e| panic!("entry {i} {entry_text:?}: {e}"));
        let id: String = serde_json::from_str(entry.record_id.get()).unwrap();
        assert_eq!(id, self.records[i].id, "entry {i}: ids in order");
        let (decoded_len, expectation, converted) = self.expected[i].parts();
        // Bytes in: every record that decodes.
        tally.counts.bytes_in += decoded_len.unwrap_or(0);
        match (entry.result.as_str(), expectation) {
            (
                "Ok",
                Some(RecordExpectation::Ok {
                    objects,
                    excluded,
                    undeclared,
                    first_undeclared,
                    keys,
                }),
            ) => {
                self.check_ok_entry(i, &entry, converted, objects, keys);
                let first_undeclared = first_undeclared.as_deref();
                tally.count_ok(
                    objects.len(),
                    *excluded,
                    *undeclared,
                    first_undeclared,
                    converted.len(),
                );
            }
            ("Dropped", Some(RecordExpectation::Dropped { excluded })) => {
                assert_eq!(entry.data, "", "entry {i}: Dropped data");
                assert_eq!(
                    entry.partition_keys(),
                    self.with_metadata.then_some("{}"),
                    "entry {i}: metadata of a Dropped record"
                );
                tally.counts.dropped += 1;
                tally.counts.lines_excluded += excluded;
            }
            ("ProcessingFailed", _) => self.check_failed_entry(i, &entry, id, tally),
            (result, expectation) => {
                panic!("entry {i}: result {result:?}, but the rules say {expectation:?}")
            }
        }
    }

    /// Checks entry `i`, `ProcessingFailed`, against what record `i` must
    /// come back as, and counts it.
    fn check_failed_entry(&self, i: usize, entry: &Entry, id: String, tally: &mut Tally) {
        let (_, expectation, converted) = self.expected[i].parts();
        assert_eq!(
            entry.data, self.room.failed_data[i],
            "entry {i}: failed data must be as received ({expectation:?})"
        );
        assert_eq!(
            entry.partition_keys(),
            self.with_metadata.then_some("{}"),
            "entry {i}: metadata of a failed record"
        );
        match expectation {
            None => tally.failed_for(i, id, Why::NotBase64),
            Some(RecordExpectation::Failed(rejection)) => {
                tally.failed_for(i, id, Why::Rule(rejection.clone()))
            }
            Some(RecordExpectation::Ok { keys, .. }) => {
                self.check_no_room(i, entry, converted, keys, tally.prefix_len);
                tally.no_room(id);
            }
            Some(expectation) => {
                panic!("entry {i}: ProcessingFailed, but the rules say {expectation:?}")
            }
        }
        tally.counts.failed += 1;
    }

    /// Checks that entry `i`, of a record that converts, failed only for
    /// room: its Ok entry would not fit beside failed entries for the rest.
    fn check_no_room(
        &self,
        i: usize,
        entry: &Entry,
        converted: &[u8],
        keys: &[(String, String)],
        prefix_len: usize,
    ) {
        let ok_entry_len = r#"{"recordId":,"result":"Ok","data":"","metadata":{"partitionKeys":}}"#
            .len()
            + entry.record_id.get().len()
            + base64::encoded_len(converted.len(), true).unwrap()
            + keys_json(keys).len();
        let rest: usize = (i + 1..self.records.len())
            .map(|j| 1 + self.room.failed_len(j, self.with_metadata))
            .sum();
        let needed = prefix_len + ok_entry_len + rest + "]}".len();
        assert!(
            needed > MAX_RESPONSE_BYTES,
            "entry {i} failed although converting it fits ({needed} bytes)"
        );
    }

    /// Checks an `Ok` entry: its data exactly the crate's output, one object
    /// per line as the rules write it (and `LTSV_REDACT` redacts), and its
    /// partition keys.
    fn check_ok_entry(
        &self,
        i: usize,
        entry: &Entry,
        converted: &[u8],
        objects: &[(Object, Vec<u8>)],
        keys: &[(String, String)],
    ) {
        let data = BASE64
            .decode(entry.data.as_bytes())
            .unwrap_or_else(|e| panic!("entry {i}: Ok data is not base64: {e}"));
        assert_eq!(data, converted, "entry {i}: Ok data");
        let lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
        assert_eq!(lines.len(), objects.len(), "entry {i}: one object per line");
        for (written, (members, line)) in lines.iter().zip(objects) {
            let members = self.redact.expected(&self.settings, members, line);
            check_object(&members, written, line);
        }
        assert_eq!(
            entry.partition_keys(),
            Some(keys_json(keys).as_str()),
            "entry {i}: partition keys"
        );
    }

    /// Checks the failures the summary reports, and why, against those the
    /// entries showed.
    fn check_failures(&self, config: &Config, summary: &Summary, tally: &Tally) {
        let settings = settings(config);
        let reported: Vec<(String, Why)> = summary
            .failures
            .iter()
            .enumerate()
            .map(|(k, failure)| {
                let mut actual = why(&failure.error);
                // Of labels differing in case, the pair the crate names must be
                // one the rules find in that line.
                if let (Why::Rule(rejection), Some((_, Why::Rule(expected)))) =
                    (&actual, tally.failures.get(k))
                    && rejection.line == expected.line
                    && let Ok(data) = BASE64.decode(&self.records[tally.failed_records[k]].data)
                    && let Some((_, line)) = record_lines(&data)
                        .into_iter()
                        .find(|(number, _)| Some(*number) == expected.line)
                {
                    actual = Why::Rule(agreed(&settings, line, rejection.clone(), expected));
                }
                (failure.record_id.clone(), actual)
            })
            .collect();
        assert_eq!(
            reported, tally.failures,
            "each failed record and why, in order"
        );
    }
}

/// What the entries add up to, to hold against the crate's summary.
struct Tally {
    counts: Summary,
    /// Each record failed for a reason of its own, and why.
    failures: Vec<(String, Why)>,
    /// The index in `records` of each of them.
    failed_records: Vec<usize>,
    /// The length of the response before the entry being checked.
    prefix_len: usize,
}

impl Tally {
    /// Counts a record written.
    fn count_ok(
        &mut self,
        lines: usize,
        excluded: usize,
        undeclared: usize,
        first_undeclared: Option<&str>,
        bytes_out: usize,
    ) {
        self.counts.ok += 1;
        self.counts.lines_out += lines;
        self.counts.lines_excluded += excluded;
        // Lines with labels the format lacks, of records written; and the
        // first such label written in the batch.
        self.counts.lines_undeclared += undeclared;
        if self.counts.first_undeclared_label.is_none() {
            self.counts.first_undeclared_label = first_undeclared.map(str::to_owned);
        }
        self.counts.bytes_out += bytes_out;
    }

    /// Keeps record `i`, failed for a reason of its own.
    fn failed_for(&mut self, i: usize, id: String, why: Why) {
        self.failures.push((id, why));
        self.failed_records.push(i);
    }

    /// Counts a record failed for room.
    fn no_room(&mut self, id: String) {
        self.counts
            .no_room
            .get_or_insert(NoRoom {
                first_record_id: id,
                records: 0,
            })
            .records += 1;
    }
}
