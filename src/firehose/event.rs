//! The request: a Firehose transformation event, read without copying.

use crate::error::{Error, ErrorKind};
use crate::firehose::record::Event;
use crate::firehose::scan;

/// Parses the JSON text of a Firehose event; what is not one is an error
/// that says where. Events of the shape Firehose writes are read by
/// [`scan`], the rest by serde.
pub(crate) fn parse(event_json: &str) -> Result<Event<'_>, Error> {
    if let Some(event) = scan::event(event_json) {
        return Ok(event);
    }
    serde_json::from_str(event_json).map_err(|error| {
        // Parse again, only on this rare path, for an error that names the
        // path; text after the event is found only by the first parse.
        let deserializer = &mut serde_json::Deserializer::from_str(event_json);
        let why = match serde_path_to_error::deserialize::<_, Event>(deserializer) {
            Err(located) => located.to_string(),
            Ok(_) => error.to_string(),
        };
        Error::new(ErrorKind::NotFirehoseEvent(why))
    })
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
        assert!(why(r#"{"records":[]} x"#).contains("trailing characters"));
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
