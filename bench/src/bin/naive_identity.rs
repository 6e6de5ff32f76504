//! The yardstick for `bench/compare`: the identity transformation written
//! the obvious way (owned strings, decode, re-encode, serialize), reading a
//! Firehose event file and printing the response as `ltsv2json invoke`
//! does. It converts nothing, so whatever `ltsv2json invoke` spends beyond
//! it is the price of conversion.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    records: Vec<EventRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventRecord {
    record_id: String,
    data: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    records: Vec<ResponseRecord>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResponseRecord {
    record_id: String,
    result: String,
    data: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: naive_identity EVENT.json")?;
    let event: Event = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let records = event
        .records
        .into_iter()
        .map(|record| {
            let data = BASE64.decode(&record.data)?;
            Ok(ResponseRecord {
                record_id: record.record_id,
                result: "Ok".to_owned(),
                data: BASE64.encode(data),
            })
        })
        .collect::<Result<_, base64::DecodeError>>()?;
    let response = serde_json::to_string(&Response { records })?;
    println!("{response}");
    Ok(())
}
