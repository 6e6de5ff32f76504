//! Batches made from fuzz input and sent as Firehose events, their
//! responses then held to the rules.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::records::InputRecord;
use crate::response::check_response;
use crate::settings::{Picked, settings_from_bytes};

/// Separates records in the input of the batch targets.
pub const SEPARATOR: &[u8] = b"\x1e\xff";

/// A batch made from fuzz input: its settings and records.
pub struct Batch {
    /// The settings the input's first two bytes pick.
    pub settings: Picked,
    /// The records, in the order the event sends them.
    pub records: Vec<InputRecord>,
}

/// Reads the input of the batch targets: two settings bytes (see
/// [`settings_from_bytes`]), a flags byte, then the records' bytes separated
/// by `SEPARATOR`, the bytes `1e ff`. Flags:
///
/// - bits 0–3: record `i` is sent as raw text, not base64, when bit `i % 4`
///   is set (text that happens to be base64 is decoded like any record);
/// - bit 4: record ids hold characters JSON must escape.
pub fn batch_from_input(input: &[u8]) -> Option<Batch> {
    let [first, second, flags, rest @ ..] = input else {
        return None;
    };
    let settings = settings_from_bytes(*first, *second);
    let mut parts = Vec::new();
    let mut rest = rest;
    while let Some(at) = rest.windows(2).position(|w| w == SEPARATOR) {
        parts.push(&rest[..at]);
        rest = &rest[at + 2..];
    }
    parts.push(rest);
    let records = parts
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let data = if flags >> (i % 4) & 1 == 1 {
                String::from_utf8_lossy(bytes).into_owned()
            } else {
                BASE64.encode(bytes)
            };
            let id = if flags & 0x10 != 0 {
                format!("{i}\"\\</script>\u{0}\u{1f}\u{7f}é\u{2028}😀")
            } else {
                format!("4954698668313554428650745793632162567570019247115600{i:04}")
            };
            InputRecord { id, data }
        })
        .collect();
    Some(Batch { settings, records })
}

/// The stream every batch target's events name.
pub const STREAM: &str = "fuzz";

/// The Firehose event of `records`, as Firehose writes it.
pub fn event_json(records: &[InputRecord]) -> String {
    let mut event = format!(
        concat!(
            r#"{{"invocationId":"00000000-0000-4000-8000-000000000000","#,
            r#""deliveryStreamArn":"arn:aws:firehose:us-east-1:123456789012:deliverystream/{}","#,
            r#""region":"us-east-1","records":["#
        ),
        STREAM
    );
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            event.push(',');
        }
        event.push_str(r#"{"recordId":"#);
        event.push_str(&serde_json::to_string(&record.id).unwrap());
        event.push_str(r#","approximateArrivalTimestamp":1624868568000,"data":"#);
        event.push_str(&serde_json::to_string(&record.data).unwrap());
        event.push('}');
    }
    event.push_str("]}");
    event
}

/// Transforms the batch's event and checks the result against the rules.
pub fn check_batch(batch: &Batch) {
    let event = event_json(&batch.records);
    let result = firehose_ltsv::transform(&event, &batch.settings.config);
    check_response(
        &batch.settings,
        &batch.records,
        result.as_ref().map(|(r, s)| (r.get(), s)),
        Some(Some(STREAM)),
    );
}
