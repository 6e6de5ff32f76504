//! The response's size limit, 5,999,999 bytes: records whose output does
//! not fit come back failed with their data, room is kept for every record
//! still to come, empty metadata is left out only when it alone would not
//! fit, and a batch too large to return even unchanged fails the
//! invocation.

mod common;

use std::fs;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{
    EMPTY_METADATA, Entry, all_failing_batch, entries, event, event_of, invoke, json_char,
    project_file,
};
use firehose_ltsv::{Config, ErrorKind, MAX_RESPONSE_BYTES, transform};
use serde_json::{Value, json};

/// Lambda's limit on the size of a request.
const REQUEST_LIMIT: usize = 6_291_456;

#[test]
fn records_that_would_overflow_the_response_fail_with_their_data() {
    // Each control byte becomes six (`\u0001`), and base64 adds a third: a
    // batch of such records can't all come back converted, though the
    // request is far below the limit.
    let line = [b"a:".as_slice(), &[1u8; 150_000], b"\n"].concat();
    let records: Vec<&[u8]> = vec![&line; 12];
    let request = event_of(&records);
    assert!(request.len() < 2_500_000);
    let (response, summary) = transform(&request, &Config::default()).unwrap();
    assert!(response.get().len() <= MAX_RESPONSE_BYTES);
    let entries = entries(response.get());
    let ok = entries.iter().take_while(|e| e.result == "Ok").count();
    assert!((1..12).contains(&ok), "{ok} of 12 fit");
    assert_eq!((summary.ok, summary.failed), (ok, 12 - ok));
    // `a` is not in the default format: each line written counts, no other.
    assert_eq!((summary.lines_out, summary.lines_undeclared), (ok, ok));
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry.id, i.to_string());
        // A small batch has room for every record's metadata.
        assert_eq!(entry.metadata, Some(json!({"partitionKeys": {}})));
        if i >= ok {
            assert_eq!(entry.result, "ProcessingFailed");
            assert_eq!(entry.data, BASE64.encode(&line), "record {i}");
        }
    }
    // The first records that fit are converted, not just echoed back.
    let object: Value = serde_json::from_slice(&BASE64.decode(&entries[0].data).unwrap()).unwrap();
    assert_eq!(object["a"], "\u{1}".repeat(150_000));
    // One warning counts them all.
    let no_room = summary.no_room.unwrap();
    assert_eq!(
        (no_room.first_record_id, no_room.records),
        (ok.to_string(), 12 - ok)
    );
    assert!(summary.failures.is_empty());
}

#[test]
fn records_that_fail_for_room_are_not_counted_as_written() {
    // The first record's output (`big`, a label the default format lacks)
    // cannot fit; the second's (`small`, another) does. Only the second is
    // written: its line is the one counted, its label the one named.
    let big = [b"big:".as_slice(), &[1u8; 1_200_000], b"\n"].concat();
    let request = event_of(&[&big, b"status:200\tsmall:1\n"]);
    let (response, summary) = transform(&request, &Config::default()).unwrap();
    let results: Vec<String> = entries(response.get())
        .into_iter()
        .map(|e| e.result)
        .collect();
    assert_eq!(results, ["ProcessingFailed", "Ok"]);
    assert_eq!(summary.no_room.as_ref().map(|n| n.records), Some(1));
    assert_eq!((summary.lines_out, summary.lines_undeclared), (1, 1));
    assert_eq!(summary.first_undeclared_label.as_deref(), Some("small"));
}

/// The control bytes JSON writes as six characters (`\u00XX`).
fn six_byte_controls() -> Vec<u8> {
    (0..0x20u8)
        .filter(|b| !b"\x08\t\n\x0c\r".contains(b))
        .collect()
}

#[test]
fn a_6_mb_event_of_control_characters_fills_the_response_and_no_more() {
    // 38,000 records of 64 bytes (`c:`, 61 control bytes, LF), each 88
    // base64 characters that convert to 375 bytes of JSON (500 in base64):
    // the worst expansion there is.
    let controls = six_byte_controls();
    let value: Vec<u8> = controls.iter().copied().cycle().take(61).collect();
    let data = [b"c:", &value[..], b"\n"].concat();
    let written: String = value.iter().map(|&b| json_char(b)).collect();
    let output = format!("{{\"c\":\"{written}\"}}\n");
    assert_eq!((data.len(), output.len()), (64, 375));
    let encoded = BASE64.encode(&data);
    let n = 38_000;
    let ids: Vec<String> = (0..n).map(|i| format!("{i:05}")).collect();
    let records: Vec<(&str, &str)> = ids
        .iter()
        .map(|id| (id.as_str(), encoded.as_str()))
        .collect();
    let request = event(&records);
    assert_eq!(request.len(), 6_194_170);
    assert!(request.len() < REQUEST_LIMIT);

    // Room for every record: with empty metadata the batch would not fit
    // even unconverted, so failed records carry none. A record is `Ok` when
    // its entry fits beside failed entries for all the records after it.
    let ok_entry = json!({"recordId": "00000", "result": "Ok", "data": BASE64.encode(&output),
        "metadata": {"partitionKeys": {}}})
    .to_string()
    .len();
    let failed_entry =
        r#"{"recordId":"00000","result":"ProcessingFailed","data":""}"#.len() + encoded.len();
    let with_metadata = 14 + n * (failed_entry + EMPTY_METADATA.len()) + (n - 1);
    assert!(with_metadata > MAX_RESPONSE_BYTES);
    let size = |ok: usize| 14 + ok * ok_entry + (n - ok) * failed_entry + (n - 1);
    let fit = (0..=n)
        .take_while(|&ok| size(ok) <= MAX_RESPONSE_BYTES)
        .last()
        .unwrap();
    assert_eq!(fit, 962);
    assert_eq!(size(fit), 5_999_673);

    let (response, summary) = transform(&request, &Config::default()).unwrap();
    assert_eq!(response.get().len(), 5_999_673);
    assert_eq!((summary.ok, summary.failed), (962, n - 962));
    let results = entries(response.get());
    assert_eq!(results.len(), n);
    let converted = BASE64.encode(&output);
    for (i, (result, id)) in results.into_iter().zip(&ids).enumerate() {
        let expected = if i < fit {
            Entry {
                id: id.clone(),
                result: "Ok".to_owned(),
                data: converted.clone(),
                metadata: Some(json!({"partitionKeys": {}})),
            }
        } else {
            Entry {
                id: id.clone(),
                result: "ProcessingFailed".to_owned(),
                data: encoded.clone(),
                metadata: None,
            }
        };
        assert!(result == expected, "record {i}: {result:.80?}");
    }
}

#[test]
fn a_full_size_batch_fits_by_leaving_out_empty_metadata() {
    // Lambda takes requests up to 6 MB. Returned with an empty metadata
    // object each, these records would not fit even unconverted; without
    // it they always do, since a failed entry is shorter than the
    // request's entry for the same record. Records that convert keep
    // theirs.
    let log = fs::read(project_file("tests/data/apache_access.ltsv")).unwrap();
    let lines: Vec<&[u8]> = log.split_inclusive(|&b| b == b'\n').collect();
    let records: Vec<&[u8]> = lines.iter().copied().cycle().take(13_800).collect();
    let request = event_of(&records);
    assert!(
        (5_500_000..REQUEST_LIMIT).contains(&request.len()),
        "{}",
        request.len()
    );

    let response = invoke(&request, &Config::default()).unwrap();
    let request: Value = serde_json::from_str(&request).unwrap();
    let outputs = entries(&response);
    assert_eq!(outputs.len(), records.len());
    let ok = outputs.iter().filter(|r| r.result == "Ok").count();
    assert!((1..records.len()).contains(&ok), "{ok} converted");
    for (output, input) in outputs.iter().zip(request["records"].as_array().unwrap()) {
        assert_eq!(output.id, input["recordId"]);
        if output.result == "Ok" {
            assert_eq!(output.metadata, Some(json!({"partitionKeys": {}})));
        } else {
            assert_eq!(output.result, "ProcessingFailed");
            assert_eq!(output.data, input["data"]);
            assert_eq!(output.metadata, None);
        }
    }
}

/// For a response to an all-failing batch: how many entries there are, how
/// many come back `ProcessingFailed` with their data unchanged and their id
/// in place, and how many carry empty metadata (asserted this way so that a
/// failure does not print 6 MB).
fn failed_entries(response: &str, records: &[(String, String)]) -> (usize, usize, usize) {
    let entries = entries(response);
    let unchanged = entries
        .iter()
        .zip(records)
        .filter(|(entry, (id, data))| {
            entry.id == *id && entry.result == "ProcessingFailed" && entry.data == *data
        })
        .count();
    let with_metadata = entries
        .iter()
        .filter(|entry| entry.metadata == Some(json!({"partitionKeys": {}})))
        .count();
    (entries.len(), unchanged, with_metadata)
}

#[test]
fn failed_records_lose_their_empty_metadata_only_when_it_does_not_fit() {
    // One byte too many with metadata: every record comes back without it.
    let (request, records) = all_failing_batch(1000, MAX_RESPONSE_BYTES + 1);
    assert!(request.len() < REQUEST_LIMIT);
    let response = invoke(&request, &Config::default()).unwrap();
    assert_eq!(failed_entries(&response, &records), (1000, 1000, 0));
    assert_eq!(
        response.len(),
        MAX_RESPONSE_BYTES + 1 - 1000 * EMPTY_METADATA.len()
    );
}

/// With metadata the all-failed response below is exactly 5,999,999 bytes,
/// the most a response may hold: it fits, so every record keeps its
/// metadata (the size check must count one comma fewer than entries).
#[test]
fn metadata_is_kept_in_a_batch_that_fits_to_the_byte() {
    let (request, records) = all_failing_batch(1000, MAX_RESPONSE_BYTES);
    let response = invoke(&request, &Config::default()).unwrap();
    assert_eq!(failed_entries(&response, &records), (1000, 1000, 1000));
    assert_eq!(response.len(), MAX_RESPONSE_BYTES);
}

#[test]
fn a_batch_too_large_even_when_returned_unchanged_fails_the_invocation() {
    // One byte over the limit without metadata, which is what the error
    // reports: the size of the response with every record failed.
    let size = MAX_RESPONSE_BYTES + 1 + 1000 * EMPTY_METADATA.len();
    let (request, _) = all_failing_batch(1000, size);
    let error = invoke(&request, &Config::default()).unwrap_err();
    assert_eq!(
        *error.kind(),
        ErrorKind::ResponseTooLarge {
            len: MAX_RESPONSE_BYTES + 1,
            limit: MAX_RESPONSE_BYTES
        },
        "{error}"
    );
    // A single record too, whatever it holds: a batch is refused before any
    // of it is converted.
    let line = vec![b'a'; 4_600_000];
    let error = invoke(&event_of(&[&line]), &Config::default()).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::ResponseTooLarge { len, .. } if *len > MAX_RESPONSE_BYTES),
        "{error}"
    );
}

/// The room reserved for records not yet written must be what their failed
/// entries really take. Data made only of base64 characters, in a length
/// that is a multiple of 4, that still does not decode (padding in the
/// middle) comes back re-encoded, a third larger than the text that
/// arrived; counting it at its arrival size lets an earlier `Ok` record use
/// room that is not there, and the whole batch then fails as too large
/// although failing that one record would have fitted.
#[test]
fn room_is_reserved_for_undecodable_data_at_its_reencoded_size() {
    let lines = b"a:-\n".repeat(170_000);
    let undecodable = "YR==".repeat(750_000);
    assert!(BASE64.decode(&undecodable).is_err());
    let grows = ("grows", BASE64.encode(&lines));
    let undecodable = ("undecodable", undecodable);
    // Undecodable data first: nothing is reserved when the growing record
    // is written, so it fails for lack of room and the response fits.
    for (order, records) in [
        ("undecodable first", [&undecodable, &grows]),
        ("growing record first", [&grows, &undecodable]),
    ] {
        let request = event(&[records[0].clone(), records[1].clone()]);
        let (response, summary) = transform(&request, &Config::default()).unwrap_or_else(|error| {
            panic!("{order}: failing the growing record would fit, but: {error}")
        });
        assert!(response.get().len() <= MAX_RESPONSE_BYTES);
        assert_eq!((summary.ok, summary.failed), (0, 2));
    }
}
