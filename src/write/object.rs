//! One parsed line written as one JSON object: keys in the order labels
//! first appear, values typed, nulled, unescaped or redacted as the
//! settings say, and the request line's parts after them.

use crate::config::output::OutputFormat;
use crate::config::{Config, OnTypeError};
use crate::error::{Error, ErrorKind, display_label};
use crate::parse::line::ParsedLine;
use crate::parse::shape::Span;
use crate::values::escapes::Unescape;
use crate::values::redact::Redaction;
use crate::values::request::{self, REQUEST_PARTS};
use crate::values::typed::TypedWriter;
use crate::values::types::Type;
use crate::write::json;
use crate::write::labels::{LabelTable, LineLabels};

/// Writes JSON objects with one [`Config`], reusing its buffers from line
/// to line.
#[derive(Debug)]
pub(crate) struct ObjectWriter<'c> {
    config: &'c Config,
    /// Each label's type, and whether the log format declares it.
    labels: LabelTable,
    /// The same for the labels of the last line written.
    line_labels: LineLabels,
    values: ValueWriter<'c>,
}

impl<'c> ObjectWriter<'c> {
    pub(crate) fn new(config: &'c Config) -> ObjectWriter<'c> {
        ObjectWriter {
            config,
            labels: LabelTable::new(config),
            line_labels: LineLabels::default(),
            values: ValueWriter {
                config,
                unescaped: Vec::new(),
                null_lengths: config
                    .null_values()
                    .iter()
                    .fold(0, |bits, null| bits | length_bit(null)),
                typed: TypedWriter::new(config.output_format() == OutputFormat::Iceberg),
                redacted: Vec::new(),
            },
        }
    }

    /// Appends `line` as a JSON object followed by `\n`, and returns the
    /// first of its labels the log format does not declare, if there is a
    /// format. On a type error (with `LTSV_ON_TYPE_ERROR=fail`) `out` is
    /// left as it was.
    pub(crate) fn write<'a>(
        &mut self,
        line: &ParsedLine<'a>,
        out: &mut Vec<u8>,
    ) -> Result<Option<&'a [u8]>, Error> {
        let mark = out.len();
        let labels = &mut self.line_labels;
        labels.learn(&self.labels, line, self.config.label_syntax());
        let written = labels.written();
        if written == 0 {
            out.push(b'{');
        }
        for (span, field) in line.spans().zip(labels.fields()) {
            if field.left_out {
                continue;
            }
            labels.append_key(field, out);
            if let Some(rule) = field.redact {
                let (_, redaction) = &self.config.redactions()[usize::from(rule)];
                self.values
                    .write_redacted(redaction, line.value(span), span.plain, out);
                continue;
            }
            if let Err(expected) = self.values.write(field.ty, line, span, out) {
                out.truncate(mark);
                return Err(Error::new(ErrorKind::Type {
                    label: display_label(line.label(span)),
                    expected,
                }));
            }
        }
        if let Some(label) = self.config.split_request() {
            self.write_request_parts(label, line, written == 0, out);
        }
        out.extend_from_slice(b"}\n");
        let undeclared = self.line_labels.first_undeclared();
        Ok(undeclared.and_then(|i| line.spans().nth(i).map(|span| line.label(span))))
    }

    /// Appends `method`, `path`, `query` and `protocol` from the request
    /// line in `label`, each unless the line has a label of that name; all
    /// are null when the request line is missing, null or of another shape.
    /// `first`: nothing was written before them.
    fn write_request_parts(
        &mut self,
        label: &[u8],
        line: &ParsedLine,
        first: bool,
        out: &mut Vec<u8>,
    ) {
        let parts = line
            .value_of(label)
            .filter(|value| !self.config.is_null(value))
            .and_then(request::split);
        // Each part takes the request line's rule, then its own: decoded
        // first, a part shows no escape a secret's name or separator could
        // hide behind (`\x3f` for `?`). The query is read as one whatever it
        // starts with (`?/next&token=x`).
        let line_rule = self.config.redaction_of(label);
        let mut comma = !first;
        for (i, name) in REQUEST_PARTS.iter().enumerate() {
            let own = self.config.redaction_of(name.as_bytes());
            if line.has(name.as_bytes()) || own == Some(&Redaction::Drop) {
                continue;
            }
            if comma {
                out.push(b',');
            }
            comma = true;
            out.extend_from_slice(b"\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
            match (parts.and_then(|parts| parts[i]), line_rule.or(own)) {
                (Some(part), Some(first)) => {
                    let then = own.filter(|_| line_rule.is_some());
                    let query = *name == "query";
                    self.values
                        .write_redacted_part(first, then, query, part, out);
                }
                (Some(part), None) => self.values.write_string(part, out),
                (None, _) => out.extend_from_slice(b"null"),
            }
        }
    }
}

/// Writes values as the settings say, reusing its buffers.
#[derive(Debug)]
struct ValueWriter<'c> {
    config: &'c Config,
    unescaped: Vec<u8>,
    /// Bit `n` is set when a null value is `n` bytes long (bit 63: 63 or
    /// more), so most values are never compared with the null values.
    null_lengths: u64,
    typed: TypedWriter,
    redacted: Vec<u8>,
}

/// `value` with its escapes decoded into `buffer`, even where that gives
/// bytes that are not UTF-8 (which the JSON writer then shows as `\xhh`):
/// a rule must see the bytes the server was sent, whatever the log's
/// escaping hides.
fn decode<'v>(unescape: Unescape, value: &'v [u8], buffer: &'v mut Vec<u8>) -> &'v [u8] {
    if unescape != Unescape::Off && memchr::memchr(b'\\', value).is_some() {
        unescape.decode(value, buffer);
        buffer
    } else {
        value
    }
}

fn length_bit(value: &[u8]) -> u64 {
    1 << value.len().min(63)
}

impl ValueWriter<'_> {
    /// Writes the value of `span` as JSON per its label's type `ty`; on a
    /// type error with `LTSV_ON_TYPE_ERROR=fail`, writes nothing and
    /// returns the type.
    fn write(
        &mut self,
        ty: Option<Type>,
        line: &ParsedLine,
        span: Span,
        out: &mut Vec<u8>,
    ) -> Result<(), Type> {
        let value = line.value(span);
        if self.null_lengths & length_bit(value) != 0 && self.config.is_null(value) {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        let ty = match ty {
            // Nothing to unescape, escape or check: the value as it is.
            None | Some(Type::String) if span.plain => {
                out.push(b'"');
                line.append_value(span, out);
                out.push(b'"');
                return Ok(());
            }
            None | Some(Type::String) => {
                self.write_string(value, out);
                return Ok(());
            }
            Some(_) if value.is_empty() => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
            Some(ty) => ty,
        };
        match (
            self.typed.write(ty, value, out),
            self.config.on_type_error(),
        ) {
            (Some(()), _) => Ok(()),
            (None, OnTypeError::Fail) => Err(ty),
            (None, OnTypeError::Null) => {
                out.extend_from_slice(b"null");
                Ok(())
            }
            (None, OnTypeError::String) => {
                self.write_string(value, out);
                Ok(())
            }
        }
    }

    /// Writes what `redaction` makes of a text value, or null for a null
    /// value: the value decoded as [`write_string`](Self::write_string)
    /// decodes it, then redacted. `plain`: the value has nothing to decode
    /// or escape.
    fn write_redacted(
        &mut self,
        redaction: &Redaction,
        value: &[u8],
        plain: bool,
        out: &mut Vec<u8>,
    ) {
        if self.null_lengths & length_bit(value) != 0 && self.config.is_null(value) {
            out.extend_from_slice(b"null");
            return;
        }
        if plain {
            // What a rule writes is the value's own bytes or ASCII letters,
            // digits and punctuation: as plain as the value.
            out.push(b'"');
            redaction.apply(value, self.config.pseudonym_key(), out);
            out.push(b'"');
            return;
        }
        let ValueWriter {
            config,
            unescaped,
            redacted,
            ..
        } = self;
        let value = decode(config.unescape(), value, unescaped);
        redacted.clear();
        redaction.apply(value, config.pseudonym_key(), redacted);
        json::write_str(out, redacted);
    }

    /// Writes what `first`, then `then`, make of a request part (the
    /// request line's rule, then the part's own), decoded first; `query`:
    /// the part is the query.
    fn write_redacted_part(
        &mut self,
        first: &Redaction,
        then: Option<&Redaction>,
        query: bool,
        part: &[u8],
        out: &mut Vec<u8>,
    ) {
        let ValueWriter {
            config,
            unescaped,
            redacted,
            ..
        } = self;
        let key = config.pseudonym_key();
        let apply = |rule: &Redaction, value: &[u8], out: &mut Vec<u8>| match query {
            true => rule.apply_to_query(value, key, out),
            false => rule.apply(value, key, out),
        };
        let value = decode(config.unescape(), part, unescaped);
        redacted.clear();
        apply(first, value, redacted);
        match then {
            Some(then) => {
                unescaped.clear();
                apply(then, redacted, unescaped);
                json::write_str(out, unescaped);
            }
            None => json::write_str(out, redacted),
        }
    }

    /// Writes a string value, decoding its escapes unless that is turned
    /// off or would give invalid UTF-8.
    fn write_string(&mut self, value: &[u8], out: &mut Vec<u8>) {
        let unescape = self.config.unescape();
        if unescape != Unescape::Off
            && memchr::memchr(b'\\', value).is_some()
            && unescape.decode(value, &mut self.unescaped)
        {
            json::write_str(out, &self.unescaped);
        } else {
            json::write_str(out, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::line::LineParser;

    fn with(vars: &[(&str, &str)]) -> Config {
        Config::from_vars(vars).unwrap()
    }

    /// The object `config` writes for `line`, after whatever was in the
    /// output; on error, checks that nothing was written.
    fn convert_with(config: &Config, line: &[u8]) -> Result<String, Error> {
        let mut parser = LineParser::new(config.label_syntax());
        let parsed = parser.parse(line)?;
        let mut out = b"prefix".to_vec();
        let result = ObjectWriter::new(config).write(&parsed, &mut out);
        let text = String::from_utf8(out).expect("output is UTF-8");
        match result {
            Ok(_) => Ok(text.strip_prefix("prefix").unwrap().to_owned()),
            Err(error) => {
                assert_eq!(text, "prefix", "nothing is written on error");
                Err(error)
            }
        }
    }

    fn convert(line: &[u8]) -> Result<String, Error> {
        convert_with(&Config::default(), line)
    }

    fn type_error(label: &str, expected: Type) -> Error {
        Error::new(ErrorKind::Type {
            label: label.to_owned(),
            expected,
        })
    }

    #[test]
    fn the_apache_ltsv_format_converts_to_typed_json() {
        let line = "time:[28/Jun/2021:17:22:48 +0900]\tforwardedfor:-\thost:192.0.2.1\t\
                    req:GET /index.html?q=\\xe3\\x81\\x82 HTTP/1.1\tstatus:200\tsize:4523\t\
                    referer:-\tua:Mozilla/5.0 \\\"X\\\"\treqtime_microsec:1834\tcache:HIT\t\
                    runtime:0.012345\tvhost:example.com";
        assert_eq!(
            convert(line.as_bytes()).unwrap(),
            "{\"time\":\"2021-06-28 08:22:48\",\"forwardedfor\":null,\"host\":\"192.0.2.1\",\
             \"req\":\"GET /index.html?q=あ HTTP/1.1\",\"status\":200,\"size\":4523,\
             \"referer\":null,\"ua\":\"Mozilla/5.0 \\\"X\\\"\",\"reqtime_microsec\":1834,\
             \"cache\":\"HIT\",\"runtime\":0.012345,\"vhost\":\"example.com\"}\n"
        );
    }

    #[test]
    fn null_values_and_empty_typed_values_are_null() {
        assert_eq!(
            convert(b"ua:-\tstatus:\tsize:-\tref:").unwrap(),
            "{\"ua\":null,\"status\":null,\"size\":null,\"ref\":\"\"}\n"
        );
        let config = with(&[("LTSV_NULL_VALUES", "-,(none)")]);
        assert_eq!(
            convert_with(&config, b"a:(none)\tb:-\tc:--").unwrap(),
            "{\"a\":null,\"b\":null,\"c\":\"--\"}\n"
        );
        let config = with(&[("LTSV_NULL_VALUES", "")]);
        assert_eq!(convert_with(&config, b"a:-").unwrap(), "{\"a\":\"-\"}\n");
    }

    #[test]
    fn typed_values() {
        let config = with(&[("LTSV_TYPES", "i:integer,f:float,b:bool,s:string,t:time")]);
        assert_eq!(
            convert_with(&config, b"i:-007\tf:1e3\tb:true\ts:200\tt:1624868568.5").unwrap(),
            "{\"i\":-7,\"f\":1000.0,\"b\":true,\"s\":\"200\",\"t\":\"2021-06-28 08:22:48.500\"}\n"
        );
        for (line, label, expected) in [
            (&b"i:12abc"[..], "i", Type::Integer),
            (b"i:+1", "i", Type::Integer),
            (b"i:1e3", "i", Type::Integer),
            (b"f:NaN", "f", Type::Float),
            (b"f:inf", "f", Type::Float),
            (b"b:yes", "b", Type::Bool),
            (b"t:yesterday", "t", Type::Time),
        ] {
            assert_eq!(
                convert_with(&config, line),
                Err(type_error(label, expected))
            );
        }
    }

    #[test]
    fn on_type_error_null_or_string() {
        let null = with(&[("LTSV_ON_TYPE_ERROR", "null")]);
        assert_eq!(
            convert_with(&null, b"status:OK\tsize:12").unwrap(),
            "{\"status\":null,\"size\":12}\n"
        );
        let string = with(&[("LTSV_ON_TYPE_ERROR", "string")]);
        assert_eq!(
            convert_with(&string, b"status:\\x4f\\x4b\tsize:12").unwrap(),
            "{\"status\":\"OK\",\"size\":12}\n"
        );
    }

    #[test]
    fn unescaping_can_be_turned_off() {
        let config = with(&[("LTSV_UNESCAPE", "false")]);
        assert_eq!(
            convert_with(&config, b"ua:\\xe3\\x81\\x82\\\"").unwrap(),
            "{\"ua\":\"\\\\xe3\\\\x81\\\\x82\\\\\\\"\"}\n"
        );
    }

    #[test]
    fn escapes_that_decode_to_invalid_utf8_stay_as_logged() {
        assert_eq!(
            convert(b"ua:\\xff\\\"").unwrap(),
            "{\"ua\":\"\\\\xff\\\\\\\"\"}\n"
        );
    }

    #[test]
    fn raw_invalid_utf8_is_written_as_hex_text() {
        assert_eq!(
            convert(b"ua:a\xffb\xe3\x81\x82").unwrap(),
            "{\"ua\":\"a\\\\xffbあ\"}\n"
        );
    }

    #[test]
    fn invalid_lines_say_where() {
        assert_eq!(
            convert(b"a:1\tnocolon"),
            Err(Error::in_field(ErrorKind::MissingColon, 2, 4))
        );
        assert_eq!(
            convert(b"a:1\tstatus:abc").unwrap_err().to_string(),
            "label \"status\": value is not a valid integer"
        );
        let any = with(&[("LTSV_STRICT_LABELS", "false")]);
        assert_eq!(
            convert_with(&any, "ラベル:1\t{\"x\":2".as_bytes()).unwrap(),
            "{\"ラベル\":\"1\",\"{\\\"x\\\"\":\"2\"}\n"
        );
    }

    #[test]
    fn request_lines_split_into_method_path_query_and_protocol() {
        let config = with(&[
            ("LTSV_SPLIT_REQUEST", "req"),
            ("LTSV_LOG_FORMAT", ""),
            ("LTSV_TYPES", ""),
        ]);
        let split = |line: &str| convert_with(&config, line.as_bytes()).unwrap();
        assert_eq!(
            split("req:GET /search?q=\\xe3\\x81\\x82&x=1 HTTP/1.1\tstatus:200"),
            "{\"req\":\"GET /search?q=あ&x=1 HTTP/1.1\",\"status\":\"200\",\
             \"method\":\"GET\",\"path\":\"/search\",\"query\":\"q=あ&x=1\",\"protocol\":\"HTTP/1.1\"}\n"
        );
        assert_eq!(
            split("req:POST /a? HTTP/2.0"),
            "{\"req\":\"POST /a? HTTP/2.0\",\"method\":\"POST\",\"path\":\"/a\",\"query\":\"\",\"protocol\":\"HTTP/2.0\"}\n"
        );
        let nulls = "\"method\":null,\"path\":null,\"query\":null,\"protocol\":null}\n";
        assert_eq!(
            split("req:GET / HTTP/1.1"),
            "{\"req\":\"GET / HTTP/1.1\",\"method\":\"GET\",\"path\":\"/\",\"query\":null,\"protocol\":\"HTTP/1.1\"}\n"
        );
        assert_eq!(split("req:BOGUS"), format!("{{\"req\":\"BOGUS\",{nulls}"));
        assert_eq!(split("req:-"), format!("{{\"req\":null,{nulls}"));
        assert_eq!(split("req:GET /"), format!("{{\"req\":\"GET /\",{nulls}"));
        assert_eq!(
            split("req:GET  / HTTP/1.1"),
            format!("{{\"req\":\"GET  / HTTP/1.1\",{nulls}")
        );
        assert_eq!(split("status:408"), format!("{{\"status\":\"408\",{nulls}"));
        // Labels already in the line are not overwritten.
        assert_eq!(
            split("method:HEAD\treq:GET /x HTTP/1.0\tprotocol:h2"),
            "{\"method\":\"HEAD\",\"req\":\"GET /x HTTP/1.0\",\"protocol\":\"h2\",\"path\":\"/x\",\"query\":null}\n"
        );
    }
}
