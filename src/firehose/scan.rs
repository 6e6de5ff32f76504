//! Firehose events of the shape Firehose writes, read without serde.
//!
//! Nearly all of an event is its records' base64 `data`. serde_json reads
//! a string a byte or a word at a time; here the end of each is found with
//! one vectorized search (`memchr`), and the whole event costs a fraction
//! of the parse. Only text that is plainly a Firehose event is read here:
//! strings without escapes or control bytes, integers, the literals, and
//! objects and arrays of those, nested a little, each of the event's
//! fields at most once. Anything else, valid or not, is left to serde,
//! which reads it, or refuses it with the error it would give anyway.

use std::borrow::Cow;

use memchr::memchr2;

use crate::firehose::record::{Event, Record};

/// Objects and arrays nested deeper than this are left to serde.
const MAX_DEPTH: usize = 16;

/// Reads `text` as a Firehose event, if it is one of the plain shape.
pub(super) fn event(text: &str) -> Option<Event<'_>> {
    let mut scanner = Scanner { text, at: 0 };
    let (mut arn, mut records) = (None, None);
    scanner.object(|scanner, key| match key {
        "deliveryStreamArn" if arn.is_none() => {
            arn = Some(scanner.string_or_null()?);
            Some(())
        }
        "records" if records.is_none() => {
            records = Some(scanner.records()?);
            Some(())
        }
        "deliveryStreamArn" | "records" => None,
        _ => scanner.skip(0),
    })?;
    scanner.whitespace();
    (scanner.at == text.len()).then_some(())?;
    Some(Event {
        delivery_stream_arn: arn.flatten().map(Cow::Borrowed),
        records: records?,
    })
}

/// A place in the event's text.
struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Takes `byte`, after whitespace.
    fn byte(&mut self, byte: u8) -> Option<()> {
        self.whitespace();
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// Takes `word` (a literal), after whitespace.
    fn word(&mut self, word: &str) -> Option<()> {
        self.whitespace();
        let rest = &self.text.as_bytes()[self.at..];
        rest.starts_with(word.as_bytes())
            .then(|| self.at += word.len())
    }

    /// A string without escapes or control bytes, after whitespace: its
    /// text, borrowed.
    fn string(&mut self) -> Option<&'a str> {
        self.byte(b'"')?;
        let bytes = &self.text.as_bytes()[self.at..];
        let end = memchr2(b'"', b'\\', bytes)?;
        let content = &bytes[..end];
        // Tested whole, so that the test vectorizes.
        let control = content.iter().fold(false, |found, &b| found | (b < 0x20));
        if bytes[end] == b'\\' || control {
            return None;
        }
        let start = self.at;
        self.at += end + 1;
        // Both ends are quotes, so both are character boundaries.
        Some(&self.text[start..start + end])
    }

    fn string_or_null(&mut self) -> Option<Option<&'a str>> {
        self.whitespace();
        match self.peek()? {
            b'n' => self.word("null").map(|()| None),
            _ => self.string().map(Some),
        }
    }

    /// An object's members, each handed to `member` with its key, which
    /// takes the value.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.byte(b'{')?;
        if self.byte(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.byte(b':')?;
            member(self, key)?;
            if self.byte(b',').is_none() {
                return self.byte(b'}');
            }
        }
    }

    /// An array's values, each taken by `value`.
    fn array(&mut self, mut value: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.byte(b'[')?;
        if self.byte(b']').is_some() {
            return Some(());
        }
        loop {
            value(self)?;
            if self.byte(b',').is_none() {
                return self.byte(b']');
            }
        }
    }

    /// The records: objects with a `recordId` and a `data`, each once.
    fn records(&mut self) -> Option<Vec<Record<'a>>> {
        let mut records = Vec::new();
        self.array(|scanner| {
            let (mut id, mut data) = (None, None);
            scanner.object(|scanner, key| match key {
                "recordId" if id.is_none() => scanner.string().map(|s| id = Some(s)),
                "data" if data.is_none() => scanner.string().map(|s| data = Some(s)),
                "recordId" | "data" => None,
                _ => scanner.skip(1),
            })?;
            records.push(Record {
                record_id: Cow::Borrowed(id?),
                data: Cow::Borrowed(data?),
            });
            Some(())
        })?;
        Some(records)
    }

    /// Any value of the plain shape, `depth` objects and arrays deep.
    fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.whitespace();
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(|scanner, _| scanner.skip(depth + 1)),
            b'[' => self.array(|scanner| scanner.skip(depth + 1)),
            b't' => self.word("true"),
            b'f' => self.word("false"),
            b'n' => self.word("null"),
            _ => self.integer(),
        }
    }

    /// `-?(0|[1-9][0-9]*)`. A fraction or an exponent after it is not a
    /// separator, so the object or array around it refuses it.
    fn integer(&mut self) -> Option<()> {
        let bytes = self.text.as_bytes();
        let start = self.at + usize::from(self.peek() == Some(b'-'));
        let digits = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let leading_zero = digits > 1 && bytes[start] == b'0';
        if digits == 0 || leading_zero {
            return None;
        }
        self.at = start + digits;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;

    /// An event's stream and its records' ids and data.
    type Terms = (Option<String>, Vec<(String, String)>);

    /// What serde makes of `text`, in comparable terms.
    fn by_serde(text: &str) -> Option<Terms> {
        let event: Event = serde_json::from_str(text).ok()?;
        Some(terms(&event))
    }

    fn terms(event: &Event) -> Terms {
        let records = event
            .records
            .iter()
            .map(|r| (r.record_id.to_string(), r.data.to_string()));
        (
            event.delivery_stream_arn.as_deref().map(str::to_owned),
            records.collect(),
        )
    }

    /// JSON text of values of every kind, plain and not.
    fn value() -> impl Strategy<Value = String> {
        let plain = select(
            &[
                r#""plain""#,
                r#""""#,
                r#""é""#,
                "0",
                "-0",
                "12",
                "-7",
                "true",
                "false",
                "null",
            ][..],
        );
        let unusual = select(
            &[
                r#""a\"b""#,
                r#""\u0041""#,
                "\"\u{1}\"",
                "01",
                "1.5",
                "1e3",
                "-",
                "nul",
                "tru",
            ][..],
        );
        let leaf = prop_oneof![8 => plain, 1 => unusual].prop_map(str::to_owned);
        leaf.prop_recursive(3, 12, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                proptest::collection::vec(
                    (select(&["a", "b", "recordId", "data"][..]), inner),
                    0..4
                )
                .prop_map(|m| {
                    let members: Vec<String> =
                        m.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    /// A member of a record, or of the event: a field it reads, in a usual
    /// or an unusual spelling, or another field.
    fn member(names: &'static [&'static str]) -> impl Strategy<Value = String> {
        let string = prop_oneof![
            8 => select(&["\"49546986683135544286507457936321625675700192471156000001\"", "\"YTox\"", "\"\""][..]),
            1 => select(&["\"x\\u0031\"", "null", "1"][..]),
        ];
        prop_oneof![
            4 => (select(names), string).prop_map(|(k, v)| format!("\"{k}\":{v}")),
            1 => (select(&["approximateArrivalTimestamp", "kinesisRecordMetadata", "invocationId", "region", "r\\u0065cordId"][..]), value())
                .prop_map(|(k, v)| format!("\"{k}\":{v}")),
        ]
    }

    fn record() -> impl Strategy<Value = String> {
        proptest::collection::vec(member(&["recordId", "data"]), 0..5)
            .prop_map(|m| format!("{{{}}}", m.join(",")))
    }

    /// Events, mostly of the shape Firehose writes, with whitespace between
    /// tokens, and sometimes text after them.
    fn events() -> impl Strategy<Value = String> {
        let records = proptest::collection::vec(record(), 0..4)
            .prop_map(|r| format!("\"records\":[{}]", r.join(",")));
        let members = proptest::collection::vec(
            prop_oneof![3 => records, 2 => member(&["deliveryStreamArn"])],
            0..4,
        );
        (
            members,
            select(&["", " ", "\n\t ", "\r\n", "\u{c}", " x", "]"][..]),
            any::<bool>(),
        )
            .prop_map(|(members, after, spaced)| {
                let text = format!("{{{}}}{after}", members.join(","));
                match spaced {
                    true => text
                        .replace(',', " ,\n")
                        .replace(':', "\t: ")
                        .replace('[', "[ "),
                    false => text,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, failure_persistence: None, ..ProptestConfig::default() })]

        /// What is read here is what serde reads; what is not, serde
        /// decides.
        #[test]
        fn an_event_read_here_is_the_event_serde_reads(text in events()) {
            if let Some(event) = super::event(&text) {
                prop_assert_eq!(Some(terms(&event)), by_serde(&text), "{}", text);
            }
        }
    }

    #[test]
    fn events_of_the_usual_shape_are_read_here() {
        let text = r#"{"invocationId":"i","deliveryStreamArn":"arn:x","region":"us-east-1","records":[{"recordId":"1","approximateArrivalTimestamp":1795640069223,"data":"YTox"},{"recordId":"2","data":"","kinesisRecordMetadata":{"shardId":"s","sequenceNumber":"1","subsequenceNumber":0,"partitionKey":"p"}}]}"#;
        let event = super::event(text).expect("read here");
        assert_eq!(Some(terms(&event)), by_serde(text));
        assert!(super::event(" {\n\"records\" : [ ] } \n").is_some());
        // Literals, a null stream, and strings with spaces are plain too.
        let literals = r#"{"deliveryStreamArn":null,"records":[{"recordId":"1","data":"","a":[true,false,null,-0,12]}],"b":{"c":"x y"}}"#;
        let event = super::event(literals).expect("read here");
        assert_eq!(Some(terms(&event)), by_serde(literals));
        for left in [
            "{\"records\":[{\"recordId\":\"\u{1}\u{2}\",\"data\":\"\"}]}",
            r#"{"records":[{"recordId":"1\,"data":"YQ=="}]}"#,
            r#"{"records":[{"recordId":"x\u0031","data":"YQ=="}]}"#,
            r#"{"records":[],"records":[]}"#,
            r#"{"records":[{"recordId":"1","data":"a","data":"b"}]}"#,
            r#"{"records":[]} x"#,
            r#"{"records":[{"recordId":"1"}]}"#,
            r#"{"records":[],"n":1.5}"#,
            r#"{"records":[],"n":1e3}"#,
            r#"{"records":[],"n":-1E3}"#,
            r#"{"records":[],"n":01}"#,
            r#"{"records":[],"n":-}"#,
            r#"{"records":[],"n":[-]}"#,
        ] {
            assert!(super::event(left).is_none(), "{left}");
        }
    }

    #[test]
    fn values_nested_past_the_limit_are_left_to_serde() {
        for (open, empty, close) in [("[", "[]", "]"), (r#"{"a":"#, "{}", "}")] {
            let nested = |depth: usize| {
                format!(
                    r#"{{"records":[{{"recordId":"1","data":"","a":{}{empty}{}}}]}}"#,
                    open.repeat(depth - 1),
                    close.repeat(depth - 1)
                )
            };
            // The record is one level, so its value may be nested this deep.
            assert!(super::event(&nested(MAX_DEPTH)).is_some(), "{open}");
            assert!(super::event(&nested(MAX_DEPTH + 1)).is_none(), "{open}");
            // However deep, without exhausting the stack.
            assert!(super::event(&nested(100_000)).is_none(), "{open}");
        }
    }
}
