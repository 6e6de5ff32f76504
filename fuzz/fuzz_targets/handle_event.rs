//! Arbitrary bytes as the request: whatever they are, the function must
//! answer without panicking, with `Err` for anything that is not a Firehose
//! event and otherwise a response that follows the rules.
#![no_main]

use firehose_ltsv::{Config, ErrorKind, handle, transform};
use firehose_ltsv_fuzz::{InputRecord, Picked, Redact, check_response, settings_from_bytes};
use lambda_runtime::{Context, LambdaEvent};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::value::RawValue;

/// The request as Firehose defines it, read apart from the crate.
#[derive(Deserialize)]
struct Event {
    #[serde(default, rename = "deliveryStreamArn")]
    delivery_stream_arn: Option<String>,
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "recordId")]
    record_id: String,
    data: String,
}

/// Whether the event and its records are JSON objects: serde would read a
/// struct from a list of its fields too, which is no Firehose event.
fn objects(text: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(event)) => match event.get("records") {
            Some(serde_json::Value::Array(records)) => records.iter().all(|r| r.is_object()),
            _ => true,
        },
        _ => false,
    }
}

fn run(text: &str, settings: &Picked) {
    let config = &settings.config;
    let transformed = transform(text, config);
    // The Lambda runtime hands the handler raw JSON, so only text that is
    // one JSON value reaches it; it must agree with `transform`.
    if let Ok(payload) = serde_json::from_str::<Box<RawValue>>(text) {
        let handled = handle(LambdaEvent::new(payload, Context::default()), config);
        match (&transformed, &handled) {
            (Ok((a, _)), Ok(b)) => assert_eq!(a.get(), b.get(), "handle and transform agree"),
            // The runtime's parse drops the whitespace around the value, so
            // positions in the message may differ.
            (Err(a), Err(b)) => {
                assert_eq!(
                    std::mem::discriminant(a.kind()),
                    std::mem::discriminant(b.kind())
                )
            }
            _ => panic!("handle and transform disagree"),
        }
    }
    match serde_json::from_str::<Event>(text).and_then(|event| match objects(text) {
        true => Ok(event),
        false => Err(serde::de::Error::custom(
            "an event or a record that is not an object",
        )),
    }) {
        Ok(event) => {
            let records: Vec<InputRecord> = event
                .records
                .into_iter()
                .map(|r| InputRecord {
                    id: r.record_id,
                    data: r.data,
                })
                .collect();
            // The stream's name is what follows `deliverystream/`.
            let stream = event.delivery_stream_arn.as_deref().map(|arn| {
                arn.rsplit_once("deliverystream/")
                    .map_or(arn, |(_, name)| name)
            });
            check_response(
                settings,
                &records,
                transformed.as_ref().map(|(r, s)| (r.get(), s)),
                Some(stream),
            );
        }
        Err(expected) => match transformed.as_ref().map_err(|e| e.kind()) {
            Err(ErrorKind::NotFirehoseEvent(why)) => {
                // The error names the problem (the path to it, then what
                // serde_json found), never just "unreadable".
                assert_ne!(why, "unreadable", "error for {expected}");
            }
            other => panic!(
                "not a Firehose event ({expected}), but got {:?}",
                other.map(|(r, _)| r.get().len())
            ),
        },
    }
}

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let default = Picked {
        config: Config::default(),
        redact: Redact::default(),
    };
    run(text, &default);
    // Other settings, picked by the input's length, so that every setting
    // meets every kind of request.
    let [first, second, ..] = input.len().to_le_bytes();
    run(text, &settings_from_bytes(first, second));
});
