//! The zero-waste identity: the work any Firehose transformation must do,
//! done as directly as the handler's own crates allow. A borrowed serde
//! parse of the event, the same vectorized base64 engine to decode every
//! record and encode it again, and the response written straight into one
//! buffer. It converts nothing, so it is the floor the handler's time is
//! measured against.

use std::borrow::Cow;
use std::sync::LazyLock;

use base64::Engine;
use base64::engine::Simd;
use base64::engine::general_purpose::PAD;
use firehose_ltsv::write_json_str;
use serde::Deserialize;

/// The handler's engine: standard, padded, with the CPU's vector
/// instructions.
static BASE64: LazyLock<Simd> = LazyLock::new(|| Simd::standard(PAD));

/// The parts of a Firehose event the handler reads, borrowed.
#[derive(Debug, Deserialize)]
pub struct Event<'a> {
    /// The records, in order.
    #[serde(borrow)]
    pub records: Vec<Record<'a>>,
}

/// One record: its id and its data, still base64.
#[derive(Debug, Deserialize)]
pub struct Record<'a> {
    /// The id its result must carry.
    #[serde(borrow, rename = "recordId")]
    pub record_id: Cow<'a, str>,
    /// Base64.
    #[serde(borrow)]
    pub data: Cow<'a, str>,
}

/// What each entry of the response holds beyond the request's record id
/// and data, at most.
const ENTRY: &[u8] = br#"{"recordId":"","result":"Ok","data":"","metadata":{"partitionKeys":{}}},"#;

/// Returns every record of `event`, a Firehose event's JSON, as it came:
/// decoded and encoded again, `Ok`, with empty partition keys.
pub fn zero_waste_identity(event: &str) -> Vec<u8> {
    let parsed: Event = serde_json::from_str(event).expect("a Firehose event");
    let mut response = Vec::with_capacity(event.len() + parsed.records.len() * ENTRY.len());
    let mut decoded = Vec::new();
    response.extend_from_slice(b"{\"records\":[");
    for (i, record) in parsed.records.iter().enumerate() {
        if i > 0 {
            response.push(b',');
        }
        decoded.clear();
        BASE64
            .decode_vec(record.data.as_bytes(), &mut decoded)
            .expect("base64");
        response.extend_from_slice(b"{\"recordId\":");
        write_json_str(&mut response, record.record_id.as_bytes());
        response.extend_from_slice(b",\"result\":\"Ok\",\"data\":\"");
        let start = response.len();
        let len = base64::encoded_len(decoded.len(), true).expect("fits in memory");
        response.resize(start + len, 0);
        BASE64
            .encode_slice(&decoded, &mut response[start..])
            .expect("sized by encoded_len");
        response.extend_from_slice(b"\",\"metadata\":{\"partitionKeys\":{}}}");
    }
    response.extend_from_slice(b"]}");
    response
}
