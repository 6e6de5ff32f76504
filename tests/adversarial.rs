//! Hostile and extreme LTSV against the rules in README.md ("Conversion
//! rules", "What happens to bad input"): JSON-injection attempts, every
//! control byte, invalid UTF-8, labels at the edges of `[0-9A-Za-z_.-]`,
//! repeated labels, typed values at their limits, CR and NUL, and lines and
//! records at Firehose's size limits.
//!
//! Every expected result is written out from the rules.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{
    STREAM, config, dropped_entry, event, failed_entry, invoke_json, json_char, ok_entry,
};
use firehose_ltsv::{
    Config, Converter, Error, ErrorKind, LineOutcome, Position, Summary, Type, transform,
};
use ltsv_oracle::Members;
use serde_json::{Value, json};

// --- Helpers --------------------------------------------------------------------

fn any_labels() -> Config {
    config(&[("LTSV_STRICT_LABELS", "false")])
}

/// An error as these tests write it: what went wrong, and where.
#[derive(Clone, Debug, PartialEq)]
struct Bad {
    kind: ErrorKind,
    position: Position,
}

impl From<Error> for Bad {
    fn from(error: Error) -> Bad {
        Bad {
            kind: error.kind().clone(),
            position: error.position(),
        }
    }
}

/// Converts one line; "" when it has no fields. Nothing may be written on
/// error, and the output must be UTF-8.
fn line(config: &Config, line: &[u8]) -> Result<String, Bad> {
    let mut out = b"#".to_vec();
    let result = Converter::new(config).convert_line(line, &mut out);
    if result != Ok(LineOutcome::Written) {
        assert_eq!(out, b"#", "nothing written for {result:?}");
    }
    let text = String::from_utf8(out.split_off(1)).expect("output is UTF-8");
    result.map_err(Bad::from).map(|outcome| {
        assert_ne!(outcome, LineOutcome::Excluded, "no drop rules here");
        text
    })
}

/// The JSON a value logged as `logged` is written as, in the object of the
/// line `v:` followed by it.
fn value_json(config: &Config, logged: &[u8]) -> Result<String, Bad> {
    line(config, &[b"v:", logged].concat()).map(|object| {
        object
            .strip_prefix("{\"v\":")
            .and_then(|rest| rest.strip_suffix("}\n"))
            .unwrap_or_else(|| panic!("not one member: {object}"))
            .to_owned()
    })
}

/// Converts a whole record (its lines with their ends).
fn record(config: &Config, data: &[u8]) -> Result<String, Bad> {
    let mut out = Vec::new();
    let result = Converter::new(config).convert_record(data, &mut out);
    let text = String::from_utf8(out).expect("output is UTF-8");
    result.map_err(Bad::from).map(|_| text)
}

/// The error of field `field` (1-based, empty fields counted), which starts
/// at byte `start` of its line.
fn field_error(field: usize, start: usize, kind: ErrorKind) -> Bad {
    Bad {
        kind,
        position: Position {
            line: None,
            field: Some(field),
            byte: Some(start),
        },
    }
}

fn type_error(label: &str, expected: Type) -> Bad {
    Bad {
        kind: ErrorKind::Type {
            label: label.to_owned(),
            expected,
        },
        position: Position::default(),
    }
}

/// `error`, on line `line` of its record.
fn line_error(line: usize, error: Bad) -> Bad {
    Bad {
        position: Position {
            line: Some(line),
            ..error.position
        },
        ..error
    }
}

// --- JSON injection in every field of an Apache line ------------------------------

/// The README's Apache format: label, a logged value, and the JSON it
/// becomes with the default settings.
const APACHE: [(&str, &str, &str); 12] = [
    (
        "time",
        "[28/Jun/2021:17:22:48 +0900]",
        r#""2021-06-28 08:22:48""#,
    ),
    ("forwardedfor", "-", "null"),
    ("host", "192.0.2.1", r#""192.0.2.1""#),
    (
        "req",
        "GET /index.html HTTP/1.1",
        r#""GET /index.html HTTP/1.1""#,
    ),
    ("status", "200", "200"),
    ("size", "4523", "4523"),
    ("referer", "-", "null"),
    ("ua", "curl/8.5.0", r#""curl/8.5.0""#),
    ("reqtime_microsec", "1834", "1834"),
    ("cache", "HIT", r#""HIT""#),
    ("runtime", "0.012345", "0.012345"),
    ("vhost", "example.com", r#""example.com""#),
];

/// The type the default `LTSV_TYPES` gives `label`.
fn default_type(label: &str) -> Option<Type> {
    Config::default().type_of(label.as_bytes())
}

/// The Apache line with field `at` logging `value` instead.
fn apache_line(at: usize, value: &[u8]) -> Vec<u8> {
    let fields: Vec<Vec<u8>> = APACHE
        .iter()
        .enumerate()
        .map(|(i, (label, logged, _))| {
            let value = if i == at { value } else { logged.as_bytes() };
            [label.as_bytes(), b":", value].concat()
        })
        .collect();
    fields.join(&b'\t')
}

/// The JSON object of the Apache line with field `at` written as `json`.
fn apache_json(at: usize, json: &str) -> String {
    let members: Vec<String> = APACHE
        .iter()
        .enumerate()
        .map(|(i, (label, _, written))| {
            format!("\"{label}\":{}", if i == at { json } else { written })
        })
        .collect();
    format!("{{{}}}\n", members.join(","))
}

/// Injection attempts: the value as logged, its JSON with escapes decoded
/// (the default) and with `LTSV_UNESCAPE=false`.
const INJECTIONS: [(&[u8], &str, &str); 11] = [
    (
        br#"","admin":true,"x":""#,
        r#""\",\"admin\":true,\"x\":\"""#,
        r#""\",\"admin\":true,\"x\":\"""#,
    ),
    // Apache logs a quote as \", so the same attempt arrives escaped.
    (
        br#"\",\"admin\":true,\"x\":\""#,
        r#""\",\"admin\":true,\"x\":\"""#,
        r#""\\\",\\\"admin\\\":true,\\\"x\\\":\\\"""#,
    ),
    (
        br"\x22,\x22admin\x22:true,\x22x\x22:\x22",
        r#""\",\"admin\":true,\"x\":\"""#,
        r#""\\x22,\\x22admin\\x22:true,\\x22x\\x22:\\x22""#,
    ),
    (
        br#""}{"admin":true"#,
        r#""\"}{\"admin\":true""#,
        r#""\"}{\"admin\":true""#,
    ),
    // JSON escapes are not log escapes: they stay text.
    (br"\u0000", r#""\\u0000""#, r#""\\u0000""#),
    (br"\ud800", r#""\\ud800""#, r#""\\ud800""#),
    (
        br"\ud800\udc00",
        r#""\\ud800\\udc00""#,
        r#""\\ud800\\udc00""#,
    ),
    (b"</script>", r#""</script>""#, r#""</script>""#),
    (br"<\/script>", r#""<\\/script>""#, r#""<\\/script>""#),
    // Decodes to a backslash and a quote.
    (br"\x5c\x22", r#""\\\"""#, r#""\\x5c\\x22""#),
    (br"\", r#""\\""#, r#""\\""#),
];

#[test]
fn injection_attempts_in_every_field_stay_inside_their_string() {
    let default = Config::default();
    let raw = config(&[("LTSV_UNESCAPE", "false")]);
    let as_string = config(&[("LTSV_ON_TYPE_ERROR", "string")]);
    let as_null = config(&[("LTSV_ON_TYPE_ERROR", "null")]);
    for (at, (label, _, _)) in APACHE.iter().enumerate() {
        for (logged, decoded, kept) in INJECTIONS {
            let input = apache_line(at, logged);
            let shown = String::from_utf8_lossy(logged);
            match default_type(label) {
                None => {
                    assert_eq!(
                        line(&default, &input),
                        Ok(apache_json(at, decoded)),
                        "{label}: {shown}"
                    );
                    assert_eq!(
                        line(&raw, &input),
                        Ok(apache_json(at, kept)),
                        "{label}: {shown}"
                    );
                }
                Some(ty) => {
                    assert_eq!(
                        line(&default, &input),
                        Err(type_error(label, ty)),
                        "{label}: {shown}"
                    );
                    assert_eq!(
                        line(&as_string, &input),
                        Ok(apache_json(at, decoded)),
                        "{label}: {shown}"
                    );
                    assert_eq!(
                        line(&as_null, &input),
                        Ok(apache_json(at, "null")),
                        "{label}: {shown}"
                    );
                }
            }
        }
    }
}

#[test]
fn injection_attempts_in_labels_are_refused_or_stay_inside_their_key() {
    let strict = Config::default();
    let any = any_labels();
    for (input, key) in [
        (&br#"a"}{"b:1"#[..], r#""a\"}{\"b""#),
        (b"</script>:1", r#""</script>""#),
        (br"\u0000:1", r#""\\u0000""#),
        // Escapes are decoded in values only.
        (br"x\x22y:1", r#""x\\x22y""#),
        (br"x\:1", r#""x\\""#),
    ] {
        assert_eq!(
            line(&any, input),
            Ok(format!("{{{key}:\"1\"}}\n")),
            "{}",
            input.escape_ascii()
        );
        let bad = *input.iter().find(|b| !b.is_ascii_alphanumeric()).unwrap();
        assert_eq!(
            line(&strict, input),
            Err(field_error(1, 0, ErrorKind::InvalidLabelByte(bad))),
            "{}",
            input.escape_ascii()
        );
    }
}

#[test]
fn an_attack_on_every_field_comes_back_through_the_handler_as_one_object() {
    // Every string field holds an attempt; the escaped newline in it must
    // not split the line.
    let attack = br#"\",\"admin\":true}\x0a{\"admin\":true,\"x\":\""#;
    let decoded = r#""\",\"admin\":true}\n{\"admin\":true,\"x\":\"""#;
    let fields: Vec<Vec<u8>> = APACHE
        .iter()
        .map(|(label, logged, _)| {
            let value = match default_type(label) {
                None => &attack[..],
                Some(_) => logged.as_bytes(),
            };
            [label.as_bytes(), b":", value].concat()
        })
        .collect();
    let input = [&fields.join(&b'\t')[..], b"\n"].concat();
    let members: Vec<String> = APACHE
        .iter()
        .map(|(label, _, written)| {
            let value = match default_type(label) {
                None => decoded,
                Some(_) => written,
            };
            format!("\"{label}\":{value}")
        })
        .collect();
    let expected = format!("{{{}}}\n", members.join(","));

    let response = invoke_json(
        &event(&[("attack", BASE64.encode(&input))]),
        &Config::default(),
    )
    .unwrap();
    assert_eq!(
        response,
        json!({"records": [ok_entry("attack", expected.as_bytes())]})
    );
    let data = BASE64
        .decode(response["records"][0]["data"].as_str().unwrap())
        .unwrap();
    let Members(members) = serde_json::from_slice(&data).unwrap();
    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    let labels: Vec<&str> = APACHE.iter().map(|(label, _, _)| *label).collect();
    assert_eq!(keys, labels);
}

// --- Control bytes ------------------------------------------------------------------

fn control_bytes() -> impl Iterator<Item = u8> {
    (0..0x20).chain([0x7f])
}

#[test]
fn raw_control_bytes_are_escaped_and_only_tab_and_lf_split() {
    let config = Config::default();
    for byte in control_bytes() {
        let data = [b"v:A", &[byte][..], b"B\n"].concat();
        let expected = match byte {
            // A TAB ends the field: `B` is a field without `:`.
            b'\t' => Err(line_error(1, field_error(2, 4, ErrorKind::MissingColon))),
            // An LF ends the line: `B` is a line without a field.
            b'\n' => Err(line_error(2, field_error(1, 0, ErrorKind::MissingColon))),
            // A CR not followed by LF is data, like every other byte.
            _ => Ok(format!("{{\"v\":\"A{}B\"}}\n", json_char(byte))),
        };
        assert_eq!(record(&config, &data), expected, "byte {byte:#04x}");
    }
    // The whole set in one value.
    let all: Vec<u8> = control_bytes().filter(|b| !b"\t\n".contains(b)).collect();
    let expected: String = all.iter().map(|&b| json_char(b)).collect();
    assert_eq!(
        record(&config, &[b"v:", &all[..], b"\n"].concat()),
        Ok(format!("{{\"v\":\"{expected}\"}}\n"))
    );
    assert_eq!(
        expected,
        concat!(
            r"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\u000b\f\r\u000e\u000f",
            r"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b",
            r"\u001c\u001d\u001e\u001f",
            "\x7f"
        )
    );
}

#[test]
fn escaped_control_bytes_are_decoded_in_either_hex_case_and_never_split() {
    let unescaping = Config::default();
    let raw = config(&[("LTSV_UNESCAPE", "false")]);
    for byte in control_bytes() {
        for escape in [format!(r"\x{byte:02x}"), format!(r"\x{byte:02X}")] {
            let data = format!("v:A{escape}B\n");
            assert_eq!(
                record(&unescaping, data.as_bytes()),
                Ok(format!("{{\"v\":\"A{}B\"}}\n", json_char(byte))),
                "{escape}"
            );
            assert_eq!(
                record(&raw, data.as_bytes()),
                Ok(format!("{{\"v\":\"A\\\\{}B\"}}\n", &escape[1..])),
                "{escape}"
            );
        }
    }
    assert_eq!(
        line(&unescaping, br"v:\t\n\r\b\v"),
        Ok(r#"{"v":"\t\n\r\b\u000b"}"#.to_owned() + "\n")
    );
}

// --- Invalid UTF-8 --------------------------------------------------------------

/// Byte sequences that are not UTF-8, and the JSON string each becomes:
/// every byte not part of valid UTF-8 as the text `\xhh`.
const INVALID_UTF8: [(&[u8], &str); 18] = [
    (b"\xc0\xaf", r#""\\xc0\\xaf""#),                   // overlong '/'
    (b"\xc0\x80", r#""\\xc0\\x80""#),                   // overlong NUL
    (b"\xe0\x80\xaf", r#""\\xe0\\x80\\xaf""#),          // overlong, three bytes
    (b"\xf0\x80\x80\xaf", r#""\\xf0\\x80\\x80\\xaf""#), // overlong, four bytes
    (b"\xe3\x81", r#""\\xe3\\x81""#),                   // truncated at the end
    (b"\xe3\x81A", r#""\\xe3\\x81A""#),                 // truncated before ASCII
    (b"\xf0\x9f\x98", r#""\\xf0\\x9f\\x98""#),          // truncated emoji
    (b"\xed\xa0\x80", r#""\\xed\\xa0\\x80""#),          // surrogate U+D800
    (b"\xed\xbf\xbf", r#""\\xed\\xbf\\xbf""#),          // surrogate U+DFFF
    (
        b"\xed\xa0\xbd\xed\xb8\x80",
        r#""\\xed\\xa0\\xbd\\xed\\xb8\\x80""#,
    ), // a surrogate pair, CESU-8
    (b"\x80", r#""\\x80""#),                            // lone continuation
    (b"\xbf\xbf", r#""\\xbf\\xbf""#),
    (b"\xfe\xff", r#""\\xfe\\xff""#),
    (b"\xf4\x90\x80\x80", r#""\\xf4\\x90\\x80\\x80""#), // above U+10FFFF
    (b"\xf8\x88\x80\x80\x80", r#""\\xf8\\x88\\x80\\x80\\x80""#), // five-byte form
    (b"a\x80\xe3\x81\x82", r#""a\\x80あ""#),            // valid text around it stays
    (b"\xe3\x81\x82\xe3", r#""あ\\xe3""#),
    (b"\xef\xbf\xbd\xff", "\"\u{fffd}\\\\xff\""), // U+FFFD is valid, 0xff is not
];

#[test]
fn raw_invalid_utf8_becomes_hex_text() {
    for config in [Config::default(), config(&[("LTSV_UNESCAPE", "false")])] {
        for (bytes, expected) in INVALID_UTF8 {
            assert_eq!(
                value_json(&config, bytes),
                Ok(expected.to_owned()),
                "{}",
                bytes.escape_ascii()
            );
        }
    }
}

#[test]
fn escapes_of_invalid_utf8_keep_the_whole_value_as_logged() {
    let config = Config::default();
    for (logged, expected) in [
        (&br"\xc0\xaf"[..], r#""\\xc0\\xaf""#),
        (br"\xe3\x81", r#""\\xe3\\x81""#),
        (br"\xed\xa0\x80", r#""\\xed\\xa0\\x80""#),
        (br"\xf4\x90\x80\x80", r#""\\xf4\\x90\\x80\\x80""#),
        // One bad escape keeps every escape of the value as logged.
        (br"\xe3\x81\x82\xff", r#""\\xe3\\x81\\x82\\xff""#),
        (br#"\"\xff\""#, r#""\\\"\\xff\\\"""#),
        // A raw byte and escapes: decoding gives 0xff 'A', not UTF-8.
        (b"\xff\\x41", r#""\\xff\\x41""#),
        // Valid once decoded, whatever the case, even from a raw lead byte.
        (br"\xE3\x81\x82", r#""あ""#),
        (b"\xe3\\x81\\x82", r#""あ""#),
    ] {
        assert_eq!(
            value_json(&config, logged),
            Ok(expected.to_owned()),
            "{}",
            logged.escape_ascii()
        );
    }
}

#[test]
fn an_incomplete_escape_at_the_end_of_a_value_is_kept() {
    let config = Config::default();
    for (logged, expected) in [
        (&br"abc\x"[..], r#""abc\\x""#),
        (br"\x", r#""\\x""#),
        (br"\x4", r#""\\x4""#),
        (br"\x4\x41", r#""\\x4A""#),
        (br"\xg1", r#""\\xg1""#),
        (br"\", r#""\\""#),
        (br"a\\", r#""a\\""#),
        (br"\\x41", r#""\\x41""#),
        (br"\\\x41", r#""\\A""#),
    ] {
        assert_eq!(
            value_json(&config, logged),
            Ok(expected.to_owned()),
            "{}",
            logged.escape_ascii()
        );
    }
    // The escape never reaches into the next field or past the line end.
    assert_eq!(
        line(&config, b"a:\\x\tb:\\x41"),
        Ok(r#"{"a":"\\x","b":"A"}"#.to_owned() + "\n")
    );
    assert_eq!(
        record(&config, b"a:\\x4\r\nb:\\\n"),
        Ok(r#"{"a":"\\x4"}"#.to_owned() + "\n" + r#"{"b":"\\"}"# + "\n")
    );
}

// --- Labels ---------------------------------------------------------------------

#[test]
fn labels_at_the_edges_of_the_strict_set() {
    let strict = Config::default();
    let any = any_labels();
    // Each byte next to a range of [0-9A-Za-z_.-], and the three others.
    for (byte, allowed) in [
        (b'/', false),
        (b'0', true),
        (b'9', true),
        (b'@', false),
        (b'A', true),
        (b'Z', true),
        (b'[', false),
        (b'`', false),
        (b'a', true),
        (b'z', true),
        (b'{', false),
        (b'-', true),
        (b'.', true),
        (b'_', true),
        (b',', false),
        (b' ', false),
        (0x7f, false),
    ] {
        for input in [vec![b'x', byte, b'y', b':', b'v'], vec![byte, b':', b'v']] {
            let label = String::from_utf8(input[..input.len() - 2].to_vec()).unwrap();
            let object = Ok(format!("{{\"{label}\":\"v\"}}\n"));
            let strict_result = if allowed {
                object.clone()
            } else {
                Err(field_error(1, 0, ErrorKind::InvalidLabelByte(byte)))
            };
            assert_eq!(line(&strict, &input), strict_result, "{label:?}");
            assert_eq!(line(&any, &input), object, "{label:?}");
        }
    }
    // The first ':' ends the label, in both syntaxes.
    assert_eq!(
        line(&strict, b"x:y:v"),
        Ok(r#"{"x":"y:v"}"#.to_owned() + "\n")
    );
    assert_eq!(line(&any, b"x:y:v"), Ok(r#"{"x":"y:v"}"#.to_owned() + "\n"));
    // The error names the field and byte it is at.
    assert_eq!(
        line(&strict, b"a:1\t\tx/y:2"),
        Err(field_error(3, 5, ErrorKind::InvalidLabelByte(b'/')))
    );
}

#[test]
fn labels_with_bytes_above_0x7f_or_control_bytes() {
    let strict = Config::default();
    let any = any_labels();
    for byte in 0x80..=0xffu8 {
        let input = [b'x', byte, b'y', b':', b'v'];
        assert_eq!(
            line(&strict, &input),
            Err(field_error(1, 0, ErrorKind::InvalidLabelByte(byte))),
            "{byte:#04x}"
        );
        // Not UTF-8 on its own, so no JSON key can hold it.
        assert_eq!(
            line(&any, &input),
            Err(field_error(1, 0, ErrorKind::LabelNotUtf8)),
            "{byte:#04x}"
        );
    }
    assert_eq!(
        line(&strict, "xéy:v".as_bytes()),
        Err(field_error(1, 0, ErrorKind::InvalidLabelByte(0xc3)))
    );
    assert_eq!(
        line(&any, "xéy:v".as_bytes()),
        Ok("{\"xéy\":\"v\"}\n".to_owned())
    );
    for byte in control_bytes().filter(|b| !b"\t\n".contains(b)) {
        let input = [b'x', byte, b'y', b':', b'v'];
        assert_eq!(
            line(&strict, &input),
            Err(field_error(1, 0, ErrorKind::InvalidLabelByte(byte))),
            "{byte:#04x}"
        );
        assert_eq!(
            line(&any, &input),
            Ok(format!("{{\"x{}y\":\"v\"}}\n", json_char(byte))),
            "{byte:#04x}"
        );
    }
}

#[test]
fn repeated_labels_keep_their_first_place_and_last_value() {
    let config = Config::default();
    let cases: [(&[u8], &str); 7] = [
        (b"a:1\tb:2\ta:3\tc:4\ta:5", r#"{"a":"5","b":"2","c":"4"}"#),
        // A prefix is another label; so is one in another case, repeated.
        (b"A:1\tA:2", r#"{"A":"2"}"#),
        (b"a:1\tab:2\ta:3", r#"{"a":"3","ab":"2"}"#),
        (b"a:x\ta:-", r#"{"a":null}"#),
        (b"a:-\ta:x", r#"{"a":"x"}"#),
        // Only the last value is written, so only it is typed.
        (b"status:abc\tstatus:200", r#"{"status":200}"#),
        (b"a:1\t\ta:\t", r#"{"a":""}"#),
    ];
    for (input, expected) in cases {
        assert_eq!(
            line(&config, input),
            Ok(format!("{expected}\n")),
            "{}",
            input.escape_ascii()
        );
    }
    assert_eq!(
        line(&config, b"status:200\tstatus:abc"),
        Err(type_error("status", Type::Integer))
    );
    assert_eq!(
        line(&any_labels(), "é:1\té:2".as_bytes()),
        Ok("{\"é\":\"2\"}\n".to_owned())
    );
    // Labels that differ only in case would be one column to Athena.
    let folded = |first: &str, second: &str| {
        Err(Bad::from(Error::new(ErrorKind::FoldedLabels {
            first: first.into(),
            second: second.into(),
        })))
    };
    assert_eq!(line(&config, b"A:1\ta:2"), folded("A", "a"));
    assert_eq!(line(&config, b"ua:1\tb:2\tua:3\tUa:4"), folded("ua", "Ua"));
    // Shown escaped, as every label in a message is.
    assert_eq!(
        line(&any_labels(), "É:1\tx:0\té:2".as_bytes()),
        folded(r"\xc3\x89", r"\xc3\xa9")
    );
}

#[test]
fn repeated_labels_around_32_fields_follow_the_same_rule() {
    // Up to 32 fields and beyond, with the repeat first and last.
    let config = Config::default();
    for n in [2, 31, 32, 33, 34, 64, 1000] {
        let mut fields = vec!["dup:0".to_owned()];
        fields.extend((1..n - 1).map(|i| format!("k{i}:{i}")));
        fields.push(format!("dup:{}", n - 1));
        let mut members = vec![format!("\"dup\":\"{}\"", n - 1)];
        members.extend((1..n - 1).map(|i| format!("\"k{i}\":\"{i}\"")));
        assert_eq!(
            line(&config, fields.join("\t").as_bytes()),
            Ok(format!("{{{}}}\n", members.join(","))),
            "{n} fields"
        );
        // Every field the same label.
        let same: Vec<String> = (0..n).map(|i| format!("same:{i}")).collect();
        assert_eq!(
            line(&config, same.join("\t").as_bytes()),
            Ok(format!("{{\"same\":\"{}\"}}\n", n - 1)),
            "{n} fields"
        );
    }
}

/// With `LTSV_STRICT_LABELS=false`, a label holding the raw byte 0x80 and
/// the label `\x80` (four characters, as Apache would log that byte) are
/// different labels, but the first could only be written as the key
/// `"\\x80"`, the same as the second: a repeated key, against "keys are
/// exactly the line's labels". So a label that is not UTF-8 makes the line
/// invalid, wherever it is.
#[test]
fn any_labels_refuse_a_label_that_is_not_utf8_rather_than_repeat_a_key() {
    let any = any_labels();
    assert_eq!(
        line(&any, b"k\x80:1\tk\\x80:2"),
        Err(field_error(1, 0, ErrorKind::LabelNotUtf8))
    );
    assert_eq!(
        line(&any, b"k\\x80:2\t\tk\x80:1"),
        Err(field_error(3, 9, ErrorKind::LabelNotUtf8))
    );
    assert_eq!(
        line(&any, b"k\\x80:2"),
        Ok(r#"{"k\\x80":"2"}"#.to_owned() + "\n")
    );
    // Values are another matter: any bytes, written as text.
    assert_eq!(
        line(&any, b"k:\x80"),
        Ok(r#"{"k":"\\x80"}"#.to_owned() + "\n")
    );
}

// --- Typed values at their limits --------------------------------------------------

#[test]
fn typed_values_at_their_limits() {
    let config = config(&[("LTSV_TYPES", "i:integer,f:float,b:bool")]);
    let integer = Err(Type::Integer);
    let float = Err(Type::Float);
    for (input, expected) in [
        ("i:9223372036854775807", Ok("9223372036854775807")),
        ("i:-9223372036854775808", Ok("-9223372036854775808")),
        ("i:9223372036854775808", integer),
        ("i:-9223372036854775809", integer),
        ("i:-0", Ok("0")),
        ("i:00000000000000000000000000000000001", Ok("1")),
        ("i:\u{663}", integer),  // an Arabic-Indic digit
        ("i:\u{ff11}", integer), // a fullwidth digit
        ("i:1\u{0}", integer),
        // Shortest round-trip form: these digits, and no fewer, read back
        // as the same double.
        ("f:136854775847750199", Ok("1.3685477584775019e17")),
        ("f:0.1", Ok("0.1")),
        ("f:1000", Ok("1000.0")),
        ("f:1.", Ok("1.0")),
        ("f:.5", Ok("0.5")),
        ("f:-0", Ok("-0.0")),
        ("f:1.7976931348623157e308", Ok("1.7976931348623157e308")),
        ("f:1.8e308", float),
        ("f:5e-324", Ok("5e-324")),
        ("f:0x1p3", float),
        ("f:1_0", float),
        ("f:infinity", float),
        ("f:+1", float),
        ("b:false", Ok("false")),
        ("b:TRUE", Err(Type::Bool)),
    ] {
        let written = line(&config, input.as_bytes());
        match expected {
            Ok(json) => {
                let label = &input[..1];
                assert_eq!(written, Ok(format!("{{\"{label}\":{json}}}\n")), "{input}");
            }
            Err(ty) => assert_eq!(written, Err(type_error(&input[..1], ty)), "{input}"),
        }
    }
}

#[test]
fn a_fraction_of_any_length_keeps_its_milliseconds() {
    // Found by fuzzing `convert_line` (fuzz/seeds/convert_line/
    // regression-long-fraction): a fraction longer than any integer holds
    // is still a fraction, of which the first three digits are kept.
    let config = config(&[
        ("LTSV_LOG_FORMAT", ""),
        ("LTSV_TYPES", "t:time,status:integer"),
    ]);
    for (input, time) in [
        (
            "t:1624868568.12162486824868568123456\tstatus:200",
            "2021-06-28 08:22:48.121",
        ),
        (
            "t:2021-06-28T17:22:48.9999999999999999999999999+09:00\tstatus:200",
            "2021-06-28 08:22:48.999",
        ),
        ("t:1624868568.5\tstatus:200", "2021-06-28 08:22:48.500"),
    ] {
        assert_eq!(
            line(&config, input.as_bytes()),
            Ok(format!("{{\"t\":\"{time}\",\"status\":200}}\n")),
            "{input}"
        );
    }
    for bad in ["t:1624868568.\tstatus:200", "t:1624868568.12x\tstatus:200"] {
        assert_eq!(
            line(&config, bad.as_bytes()),
            Err(type_error("t", Type::Time)),
            "{bad}"
        );
    }
}

// --- Line ends, CR and NUL -----------------------------------------------------------

#[test]
fn a_cr_not_followed_by_lf_is_data() {
    let config = Config::default();
    for (data, expected) in [
        (
            &b"a:1\rb:2\n"[..],
            Ok(r#"{"a":"1\rb:2"}"#.to_owned() + "\n"),
        ),
        (b"a:1\r\r\n", Ok(r#"{"a":"1\r"}"#.to_owned() + "\n")),
        (
            b"a:1\r\tb:2\n",
            Ok(r#"{"a":"1\r","b":"2"}"#.to_owned() + "\n"),
        ),
        (b"a:\r\n", Ok(r#"{"a":""}"#.to_owned() + "\n")),
        (b"\r\n\r\n", Ok(String::new())),
        (
            b"\ra:1\n",
            Err(line_error(
                1,
                field_error(1, 0, ErrorKind::InvalidLabelByte(b'\r')),
            )),
        ),
        (
            b"a:1\r\n\rb:2\r\n",
            Err(line_error(
                2,
                field_error(1, 0, ErrorKind::InvalidLabelByte(b'\r')),
            )),
        ),
        (
            b"a:1\n\r\r\n",
            Err(line_error(2, field_error(1, 0, ErrorKind::MissingColon))),
        ),
    ] {
        assert_eq!(record(&config, data), expected, "{}", data.escape_ascii());
    }
}

/// "A CR not followed by LF is data" at the very end of a record too, where
/// the last line has no LF: the CR is kept, and a record holding only `\r`
/// is a line without `:`, not a blank one.
#[test]
fn a_cr_at_the_very_end_of_a_record_is_data_too() {
    let config = Config::default();
    let inputs: [&[u8]; 4] = [b"a:1\r", b"a:1\r\r", b"a:1\n\r", b"\r"];
    let results: Vec<_> = inputs.iter().map(|data| record(&config, data)).collect();
    assert_eq!(
        results,
        [
            Ok(r#"{"a":"1\r"}"#.to_owned() + "\n"),
            Ok(r#"{"a":"1\r\r"}"#.to_owned() + "\n"),
            Err(line_error(2, field_error(1, 0, ErrorKind::MissingColon))),
            Err(line_error(1, field_error(1, 0, ErrorKind::MissingColon))),
        ]
    );
}

#[test]
fn nul_bytes_are_data() {
    let strict = Config::default();
    assert_eq!(
        line(&strict, b"a:x\0y"),
        Ok(r#"{"a":"x\u0000y"}"#.to_owned() + "\n")
    );
    assert_eq!(
        line(&strict, b"a:\0"),
        Ok(r#"{"a":"\u0000"}"#.to_owned() + "\n")
    );
    assert_eq!(
        line(&strict, br"a:\x00"),
        Ok(r#"{"a":"\u0000"}"#.to_owned() + "\n")
    );
    assert_eq!(
        line(&strict, b"status:2\x000"),
        Err(type_error("status", Type::Integer))
    );
    assert_eq!(
        line(&strict, b"a\0:1"),
        Err(field_error(1, 0, ErrorKind::InvalidLabelByte(0)))
    );
    assert_eq!(
        line(&any_labels(), b"a\0:1"),
        Ok(r#"{"a\u0000":"1"}"#.to_owned() + "\n")
    );
    assert_eq!(
        record(&strict, b"a:1\0\nb:\0\0"),
        Ok(r#"{"a":"1\u0000"}"#.to_owned() + "\n" + r#"{"b":"\u0000\u0000"}"# + "\n")
    );
    assert_eq!(
        record(&strict, b"\0"),
        Err(line_error(1, field_error(1, 0, ErrorKind::MissingColon)))
    );
    // A failed record comes back byte for byte, NULs included.
    let data = BASE64.encode(b"a:\0\tno colon\0\n");
    let response = invoke_json(&event(&[("nul", &data)]), &strict).unwrap();
    assert_eq!(response, json!({"records": [failed_entry("nul", &data)]}));
}

// --- Size limits ------------------------------------------------------------------

/// Firehose's largest record: 1,000 KiB.
const RECORD_LIMIT: usize = 1_024_000;

#[test]
fn lines_of_1000_kib_convert_whole() {
    let config = Config::default();
    let n = RECORD_LIMIT - 2;
    for (value, written) in [
        (vec![b'a'; n], "a".repeat(n)),
        (vec![b':'; n], ":".repeat(n)),
        // Pairs of backslashes decode to one each, written escaped again.
        (vec![b'\\'; n], r"\".repeat(n)),
        (
            [&br"\x41".repeat(n / 4)[..], b"zz"].concat(),
            "A".repeat(n / 4) + "zz",
        ),
        (vec![0xff; n], r"\\xff".repeat(n)),
        // (A line of control bytes is in the next test, through the handler.)
    ] {
        let input = [b"v:", &value[..]].concat();
        assert_eq!(input.len(), RECORD_LIMIT);
        let expected = format!("{{\"v\":\"{written}\"}}\n");
        assert_eq!(
            line(&config, &input).as_deref(),
            Ok(expected.as_str()),
            "value of {:?}",
            value[0] as char
        );
    }
}

#[test]
fn a_record_of_1000_kib_is_ok_or_returned_unchanged_when_its_output_is_too_large() {
    let config = Config::default();
    let n = RECORD_LIMIT - 3;
    let plain = [b"v:", &vec![b'a'; n][..], b"\n"].concat();
    assert_eq!(plain.len(), RECORD_LIMIT);
    let response = invoke_json(&event(&[("plain", BASE64.encode(&plain))]), &config).unwrap();
    let expected = format!("{{\"v\":\"{}\"}}\n", "a".repeat(n));
    assert_eq!(
        response,
        json!({"records": [ok_entry("plain", expected.as_bytes())]})
    );

    // Six bytes of JSON per input byte, then base64: 8.2 MB, which no
    // response can hold, so the record comes back as it came.
    let control = [b"v:", &vec![0x01; n][..], b"\n"].concat();
    let data = BASE64.encode(&control);
    let response = invoke_json(&event(&[("control", &data)]), &config).unwrap();
    assert_eq!(
        response,
        json!({"records": [failed_entry("control", &data)]})
    );
}

#[test]
fn a_record_of_100_000_short_lines() {
    let config = Config::default();
    let mut data = Vec::new();
    let mut expected = String::new();
    for i in 0..100_000 {
        data.extend_from_slice(format!("n:{i}").as_bytes());
        data.extend_from_slice(if i % 2 == 0 { b"\n" } else { b"\r\n" });
        expected.push_str(&format!("{{\"n\":\"{i}\"}}\n"));
    }
    let (response, summary) =
        transform(&event(&[("lines", BASE64.encode(&data))]), &config).unwrap();
    let response_bytes = response.get().len();
    let response: Value = serde_json::from_str(response.get()).unwrap();
    assert_eq!(
        response,
        json!({"records": [ok_entry("lines", expected.as_bytes())]})
    );
    assert_eq!(
        summary,
        Summary {
            records: 1,
            ok: 1,
            dropped: 0,
            failed: 0,
            lines_out: 100_000,
            lines_excluded: 0,
            // The default format, Apache's, has no `n`.
            lines_undeclared: 100_000,
            first_undeclared_label: Some("n".to_owned()),
            bytes_in: data.len(),
            bytes_out: expected.len(),
            response_bytes,
            delivery_stream: Some(STREAM.to_owned()),
            failures: Vec::new(),
            no_room: None,
        }
    );

    // A bad line after them, past a blank one, is found by its number.
    data.extend_from_slice(b"\nbad\n");
    assert_eq!(
        record(&config, &data),
        Err(line_error(
            100_002,
            field_error(1, 0, ErrorKind::MissingColon)
        ))
    );
}

#[test]
fn a_line_of_100_000_empty_fields() {
    let config = Config::default();
    let tabs = "\t".repeat(100_000);
    assert_eq!(
        line(&config, format!("{tabs}a:1").as_bytes()),
        Ok(r#"{"a":"1"}"#.to_owned() + "\n")
    );
    assert_eq!(
        line(&config, format!("a:1{tabs}b:2{tabs}").as_bytes()),
        Ok(r#"{"a":"1","b":"2"}"#.to_owned() + "\n")
    );
    assert_eq!(line(&config, tabs.as_bytes()), Ok(String::new()));
    assert_eq!(
        line(&config, format!("{tabs}x").as_bytes()),
        Err(field_error(100_001, 100_000, ErrorKind::MissingColon))
    );
    let response = invoke_json(
        &event(&[("tabs", BASE64.encode(format!("{tabs}\n{tabs}\r\n")))]),
        &config,
    )
    .unwrap();
    assert_eq!(response, json!({"records": [dropped_entry("tabs")]}));
}

/// `f00000:vv\tf00001:vv...`: `n` fields, 9 bytes each, all labels distinct.
fn distinct_fields(n: usize) -> Vec<u8> {
    let fields: Vec<String> = (0..n).map(|i| format!("f{i:05}:{:02}", i % 100)).collect();
    fields.join("\t").into_bytes()
}

/// `d:0000000\td:0000001...`: `n` fields, all the same label.
fn same_label_fields(n: usize) -> Vec<u8> {
    let fields: Vec<String> = (0..n).map(|i| format!("d:{i:07}")).collect();
    fields.join("\t").into_bytes()
}

#[test]
fn output_grows_linearly_with_fields_and_100_000_fields_convert_exactly() {
    let config = Config::default();
    for n in [1_000, 10_000, 100_000] {
        // Each distinct field writes `"f00000":"00"` (13 bytes) and a comma
        // but the last; then the braces and the newline.
        let written = line(&config, &distinct_fields(n)).unwrap();
        assert_eq!(written.len(), 14 * n + 2, "{n} distinct labels");
        // One label: one member, whatever the number of fields.
        let written = line(&config, &same_label_fields(n)).unwrap();
        assert_eq!(written, format!("{{\"d\":\"{:07}\"}}\n", n - 1));
    }

    // 100,000 fields in 1,000 KiB, the last value padded to the limit.
    let n = 100_000;
    let pad = "z".repeat(RECORD_LIMIT - (10 * n - 1));
    let input = [&distinct_fields(n)[..], pad.as_bytes()].concat();
    assert_eq!(input.len(), RECORD_LIMIT);
    let members: Vec<String> = (0..n)
        .map(|i| {
            let last = if i == n - 1 { pad.as_str() } else { "" };
            format!("\"f{i:05}\":\"{:02}{last}\"", i % 100)
        })
        .collect();
    assert_eq!(
        line(&config, &input),
        Ok(format!("{{{}}}\n", members.join(",")))
    );

    let input = [&same_label_fields(n)[..], pad.as_bytes()].concat();
    assert_eq!(input.len(), RECORD_LIMIT);
    assert_eq!(
        line(&config, &input),
        Ok(format!("{{\"d\":\"{:07}{pad}\"}}\n", n - 1))
    );

    // Half the fields repeat 500 labels: each keeps its first place and
    // takes the value of its last field.
    let fields: Vec<String> = (0..n).map(|i| format!("r{:03}:{i:05}", i % 500)).collect();
    let members: Vec<String> = (0..500)
        .map(|k| format!("\"r{k:03}\":\"{:05}\"", n - 500 + k))
        .collect();
    assert_eq!(
        line(&config, fields.join("\t").as_bytes()),
        Ok(format!("{{{}}}\n", members.join(",")))
    );
}
