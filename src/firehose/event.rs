//! The request: a Firehose transformation event, read without copying.

use crate::error::{Error, ErrorKind};
use crate::firehose::record::Event;
use crate::firehose::scan;

/// What an event is, as messages say it.
const SHAPE: &str = "expected a JSON object with a `records` list of objects, each with a string `recordId` and `data`";

/// Parses the JSON text of a Firehose event; what is not one is an error
/// that says where and why.
pub(crate) fn parse(event_json: &str) -> Result<Event<'_>, Error> {
    scan::event(event_json)
        .ok_or_else(|| Error::new(ErrorKind::NotFirehoseEvent(why_not(event_json))))
}

/// Why `text` is not an event: what serde_json finds, with the path to
/// it, or, for JSON of another shape, what it is. Parsed again, only on
/// this rare path.
fn why_not(text: &str) -> String {
    let json = serde_json::from_str::<serde_json::Value>(text);
    let other = match &json {
        Ok(serde_json::Value::Object(_)) | Err(_) => None,
        Ok(serde_json::Value::Array(_)) => Some("a list"),
        Ok(serde_json::Value::String(_)) => Some("a string"),
        Ok(serde_json::Value::Number(_)) => Some("a number"),
        Ok(serde_json::Value::Bool(_)) => Some("a boolean"),
        Ok(serde_json::Value::Null) => Some("null"),
    };
    if let Some(other) = other {
        return format!("{SHAPE}, not {other}");
    }
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    // The path to what is wrong; none when only text after the event is.
    let located = serde_path_to_error::deserialize::<_, Event>(deserializer)
        .err()
        .map(|located| located.to_string());
    match (json, located) {
        (Err(_), Some(located)) => format!("not JSON: {located}"),
        (Err(error), None) => format!("not JSON: {error}"),
        (Ok(_), Some(located)) => located,
        // serde takes a record written as a list of its fields too.
        (Ok(_), None) => SHAPE.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn why(text: &str) -> String {
        match parse(text).err().map(|e| e.kind().clone()) {
            Some(ErrorKind::NotFirehoseEvent(why)) => why,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_path_to_the_problem() {
        assert_eq!(
            why(r#"{"records":[{"recordId":"1","data":2}]}"#),
            "records[0].data: invalid type: integer `2`, expected a string at line 1 column 36"
        );
        assert_eq!(
            why(r#"{"records":[]} x"#),
            "not JSON: trailing characters at line 1 column 16"
        );
        assert_eq!(
            why("time:[28/Jun/2021:17:22:48 +0900]\tstatus:200"),
            "not JSON: expected ident at line 1 column 2"
        );
        let shape = "expected a JSON object with a `records` list of objects, each with a string `recordId` and `data`";
        for (text, what) in [
            (r#"[{"records":[]}]"#, "a list"),
            (r#""records""#, "a string"),
            ("1", "a number"),
            ("true", "a boolean"),
            ("null", "null"),
        ] {
            assert_eq!(why(text), format!("{shape}, not {what}"), "{text}");
        }
        // serde reads a record written as a list of its fields; not here.
        assert_eq!(why(r#"{"records":[["1","YQ=="]]}"#), shape);
        assert_eq!(
            why(r#"{"records":[{"recordId":"1"}]}"#),
            "records[0]: missing field `data` at line 1 column 28"
        );
    }

    #[test]
    fn escaped_strings_are_decoded_and_others_borrowed() {
        let event =
            parse(r#"{"deliveryStreamArn":"a","records":[{"recordId":"x\u0031","data":"YQ=="}]}"#)
                .unwrap();
        assert_eq!(event.delivery_stream_arn.as_deref(), Some("a"));
        let record = &event.records[0];
        assert_eq!(record.record_id, "x1");
        assert!(matches!(record.data, Cow::Borrowed("YQ==")));
    }
}
