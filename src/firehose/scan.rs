//! The event's text, read: the one reader of Firehose events.
//!
//! An event is a JSON object whose `records` are objects with a string
//! `recordId` and `data`, and whose `deliveryStreamArn`, if it has one, is
//! a string or null; each of these members at most once, and every other
//! member any JSON value, skipped however deeply it nests. That is what
//! serde_json reads into [`Event`] (a test holds the two to each other),
//! but that serde would also take an event or a record written as an
//! array of its fields, which Firehose never sends; serde is used only to
//! say why a text is not an event.
//!
//! Nearly all of an event is its records' base64 `data`. serde_json reads
//! a string a byte or a word at a time; here the end of each is found with
//! one vectorized search (`memchr`), and the whole event costs a fraction
//! of the parse. A string is borrowed from the text unless it has escapes.

use std::borrow::Cow;

use memchr::memchr2;

use crate::firehose::record::{Event, Record};

/// Reads `text` as a Firehose event, if it is one.
pub(super) fn event(text: &str) -> Option<Event<'_>> {
    let mut scanner = Scanner { text, at: 0 };
    let (mut arn, mut records) = (None, None);
    scanner.object(|scanner, key| match &*key {
        "deliveryStreamArn" if arn.is_none() => {
            arn = Some(scanner.string_or_null()?);
            Some(())
        }
        "records" if records.is_none() => {
            records = Some(scanner.records()?);
            Some(())
        }
        "deliveryStreamArn" | "records" => None,
        _ => scanner.skip(),
    })?;
    scanner.whitespace();
    (scanner.at == text.len()).then_some(())?;
    Some(Event {
        delivery_stream_arn: arn.flatten(),
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

    /// The text up to the next quote or backslash, which must hold no
    /// control byte, and that byte.
    // Inlined: it runs once or twice for every string of the event.
    #[inline(always)]
    fn run(&mut self) -> Option<(&'a str, u8)> {
        let bytes = &self.text.as_bytes()[self.at..];
        let end = memchr2(b'"', b'\\', bytes)?;
        // Tested whole, so that the test vectorizes.
        let control = bytes[..end]
            .iter()
            .fold(false, |found, &b| found | (b < 0x20));
        if control {
            return None;
        }
        let start = self.at;
        self.at += end + 1;
        // The run ends before an ASCII byte, so at a character boundary.
        Some((&self.text[start..start + end], bytes[end]))
    }

    /// A string, after whitespace: its text, borrowed when it has no
    /// escapes, decoded as serde decodes them when it has.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.byte(b'"')?;
        let (run, end) = self.run()?;
        if end == b'"' {
            return Some(Cow::Borrowed(run));
        }
        let mut decoded = String::from(run);
        loop {
            decoded.push(self.escape()?);
            let (run, end) = self.run()?;
            decoded.push_str(run);
            if end == b'"' {
                return Some(Cow::Owned(decoded));
            }
        }
    }

    /// The character of the escape after a backslash: a surrogate pair is
    /// one, and a surrogate alone is no character at all.
    fn escape(&mut self) -> Option<char> {
        let c = match self.peek()? {
            b'u' => {
                self.at += 1;
                let unit = self.hex()?;
                match unit {
                    0xD800..=0xDBFF => {
                        let rest = &self.text.as_bytes()[self.at..];
                        rest.starts_with(b"\\u").then_some(())?;
                        self.at += 2;
                        let low = self.hex().filter(|low| (0xDC00..=0xDFFF).contains(low))?;
                        let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        return char::from_u32(code);
                    }
                    unit => return char::from_u32(unit),
                }
            }
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            _ => return None,
        };
        self.at += 1;
        Some(c)
    }

    /// Four hex digits, as a UTF-16 code unit.
    fn hex(&mut self) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + 4)?;
        let unit = digits
            .bytes()
            .try_fold(0, |n, b| Some(n << 4 | char::from(b).to_digit(16)?))?;
        self.at += 4;
        Some(unit)
    }

    /// Passes over a string, after whitespace, checking only what serde
    /// checks of a string it skips: no control byte, and escapes it knows,
    /// a `\u` with four hex digits, whatever they are.
    fn skip_string(&mut self) -> Option<()> {
        self.byte(b'"')?;
        while self.run()?.1 == b'\\' {
            match self.peek()? {
                b'u' => {
                    self.at += 1;
                    self.hex()?;
                }
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                _ => return None,
            }
        }
        Some(())
    }

    fn string_or_null(&mut self) -> Option<Option<Cow<'a, str>>> {
        self.whitespace();
        match self.peek()? {
            b'n' => self.word("null").map(|()| None),
            _ => self.string().map(Some),
        }
    }

    /// An object's members, each handed to `member` with its key, which
    /// takes the value.
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
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

    /// The records: objects with a `recordId` and a `data`, each once.
    fn records(&mut self) -> Option<Vec<Record<'a>>> {
        let mut records = Vec::new();
        self.byte(b'[')?;
        if self.byte(b']').is_some() {
            return Some(records);
        }
        loop {
            let (mut id, mut data) = (None, None);
            self.object(|scanner, key| match &*key {
                "recordId" if id.is_none() => scanner.string().map(|s| id = Some(s)),
                "data" if data.is_none() => scanner.string().map(|s| data = Some(s)),
                "recordId" | "data" => None,
                _ => scanner.skip(),
            })?;
            records.push(Record {
                record_id: id?,
                data: data?,
            });
            if self.byte(b',').is_none() {
                return self.byte(b']').map(|()| records);
            }
        }
    }

    /// Passes over one value, however deeply it nests: the objects and
    /// arrays it is inside of are counted, not recursed into.
    fn skip(&mut self) -> Option<()> {
        // The closing bracket of each object or array the value is in.
        let mut open: Vec<u8> = Vec::new();
        loop {
            self.whitespace();
            match self.peek()? {
                b'{' | b'[' => {
                    let close = if self.peek()? == b'{' { b'}' } else { b']' };
                    self.at += 1;
                    if self.byte(close).is_none() {
                        open.push(close);
                        if close == b'}' {
                            self.skip_string()?;
                            self.byte(b':')?;
                        }
                        continue;
                    }
                }
                b'"' => self.skip_string()?,
                b't' => self.word("true")?,
                b'f' => self.word("false")?,
                b'n' => self.word("null")?,
                _ => self.number()?,
            }
            // A value ended: end the objects and arrays it ends, or go on
            // to the next value of the one it is in.
            loop {
                let Some(&close) = open.last() else {
                    return Some(());
                };
                if self.byte(b',').is_some() {
                    if close == b'}' {
                        self.skip_string()?;
                        self.byte(b':')?;
                    }
                    break;
                }
                self.byte(close)?;
                open.pop();
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<()> {
        let bytes = self.text.as_bytes();
        let digits = |at: usize| {
            bytes[at.min(bytes.len())..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let mut at = self.at + usize::from(self.peek() == Some(b'-'));
        let whole = digits(at);
        if whole == 0 || (whole > 1 && bytes[at] == b'0') {
            return None;
        }
        at += whole;
        if bytes.get(at) == Some(&b'.') {
            let fraction = digits(at + 1);
            (fraction > 0).then_some(())?;
            at += 1 + fraction;
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1 + usize::from(matches!(bytes.get(at + 1), Some(b'+' | b'-')));
            let exponent = digits(at);
            (exponent > 0).then_some(())?;
            at += exponent;
        }
        self.at = at;
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

        /// What is read here is what serde reads, and what is refused here
        /// serde refuses.
        #[test]
        fn the_reader_reads_exactly_what_serde_reads(text in events()) {
            prop_assert_eq!(super::event(&text).map(|e| terms(&e)), by_serde(&text), "{}", text);
        }
    }

    #[test]
    fn events_read_here_are_those_serde_reads() {
        let usual = r#"{"invocationId":"i","deliveryStreamArn":"arn:x","region":"us-east-1","records":[{"recordId":"1","approximateArrivalTimestamp":1795640069223,"data":"YTox"},{"recordId":"2","data":"","kinesisRecordMetadata":{"shardId":"s","sequenceNumber":"1","subsequenceNumber":0,"partitionKey":"p"}}]}"#;
        for text in [
            usual,
            " {\n\"records\" : [ ] } \n",
            r#"{"deliveryStreamArn":null,"records":[{"recordId":"1","data":"","a":[true,false,null,-0,12]}],"b":{"c":"x y"}}"#,
            // Escapes, decoded where the value is read.
            r#"{"records":[{"recordId":"x\u0031\/\b\f\n\r\t\"\\","data":"YQ=="}]}"#,
            r#"{"r\u0065cords":[{"recordId":"\ud83d\ude00\u00e9","data":""}]}"#,
            // In skipped values, a `\u` needs only its four hex digits.
            r#"{"records":[],"x":"\ud800","y":["\udc00\u0041"]}"#,
            // Numbers of every form.
            r#"{"records":[],"n":[1.5,1e3,-1E-3,0.25e+7,-0,123456789012345678901234567890]}"#,
        ] {
            let event = super::event(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(Some(terms(&event)), by_serde(text), "{text}");
        }
        let event =
            super::event(r#"{"records":[{"recordId":"\ud83d\ude00\u00e9","data":""}]}"#).unwrap();
        assert_eq!(event.records[0].record_id, "😀é");
        assert!(matches!(
            super::event(usual).unwrap().records[0].data,
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn what_serde_refuses_is_refused_here() {
        for text in [
            "{\"records\":[{\"recordId\":\"\u{1}\u{2}\",\"data\":\"\"}]}",
            "{\"records\":[],\"x\":\"a\tb\"}",
            r#"{"records":[{"recordId":"1\,"data":"YQ=="}]}"#,
            r#"{"records":[],"records":[]}"#,
            r#"{"records":[{"recordId":"1","data":"a","data":"b"}]}"#,
            r#"{"deliveryStreamArn":"a","deliveryStreamArn":null,"records":[]}"#,
            r#"{"records":[]} x"#,
            r#"{"records":[{"recordId":"1"}]}"#,
            r#"{"records":[{"recordId":1,"data":""}]}"#,
            r#"{"records":null}"#,
            r#"{"deliveryStreamArn":1,"records":[]}"#,
            r#"{"records":[],"n":01}"#,
            r#"{"records":[],"n":-}"#,
            r#"{"records":[],"n":[-]}"#,
            r#"{"records":[],"n":1.}"#,
            r#"{"records":[],"n":.5}"#,
            r#"{"records":[],"n":+1}"#,
            r#"{"records":[],"n":1e}"#,
            r#"{"records":[],"x":[1,]}"#,
            r#"{"records":[],"x":{"a":1,}}"#,
            r#"{"records":[],}"#,
            r#"{"records":[],"x":"\x41"}"#,
            r#"{"records":[],"x":"\u12"}"#,
            // A surrogate alone is no character, in a value that is read.
            r#"{"records":[{"recordId":"\ud800","data":""}]}"#,
            r#"{"records":[{"recordId":"\udc00","data":""}]}"#,
            r#"{"records":[{"recordId":"\ud800\u0041","data":""}]}"#,
            r#"{"records":[{"recordId":"\ud800\udbff","data":""}]}"#,
            "\u{feff}{\"records\":[]}",
        ] {
            assert!(super::event(text).is_none(), "{text}");
            assert_eq!(by_serde(text), None, "{text}");
        }
    }

    #[test]
    fn an_event_or_record_written_as_a_list_is_refused_though_serde_reads_it() {
        for text in [r#"[null,[]]"#, r#"{"records":[["1","YQ=="]]}"#] {
            assert!(super::event(text).is_none(), "{text}");
            assert!(by_serde(text).is_some(), "{text}");
        }
    }

    #[test]
    fn values_nested_however_deep_are_skipped_without_recursion() {
        for (open, empty, close) in [("[", "[]", "]"), (r#"{"a":"#, "{}", "}")] {
            let nested = |depth: usize| {
                format!(
                    r#"{{"records":[{{"recordId":"1","data":"","a":{}{empty}{}}}]}}"#,
                    open.repeat(depth - 1),
                    close.repeat(depth - 1)
                )
            };
            for depth in [1, 2, 17, 128, 129, 100_000] {
                let text = nested(depth);
                let read = super::event(&text).map(|e| terms(&e));
                assert_eq!(read, by_serde(&text), "{open} {depth}");
                assert!(read.is_some(), "{open} {depth}");
            }
            // Unbalanced, however deep: refused.
            let unbalanced = nested(1000).replacen(close, "", 1);
            assert!(super::event(&unbalanced).is_none(), "{open}");
        }
    }
}
