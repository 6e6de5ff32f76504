//! Bytes as text: how values are unescaped, and how bytes that are not
//! UTF-8 are written.

use crate::settings::Unescape;

/// Bytes as the rules write them into JSON text: UTF-8 as it is, every byte
/// that is not part of valid UTF-8 as the four characters `\xhh`.
pub fn as_text(bytes: &[u8]) -> String {
    let mut text = String::new();
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

/// The documented escapes: `\"`, `\\`, `\xHH` (either case), `\t`, `\n`,
/// `\r`, `\b` and `\v`; any other backslash is kept as it is.
pub fn unescape(value: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::new();
    let mut i = 0;
    while i < value.len() {
        if value[i] != b'\\' {
            out.push(value[i]);
            i += 1;
            continue;
        }
        let simple = match value.get(i + 1) {
            Some(b'"') => Some(b'"'),
            Some(b'\\') => Some(b'\\'),
            Some(b't') => Some(b'\t'),
            Some(b'n') => Some(b'\n'),
            Some(b'r') => Some(b'\r'),
            Some(b'b') => Some(0x08),
            Some(b'v') => Some(0x0b),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            i += 2;
            continue;
        }
        if let (Some(b'x' | b'X'), Some(&h), Some(&l)) =
            (value.get(i + 1), value.get(i + 2), value.get(i + 3))
            && let (Some(h), Some(l)) = (hex(h), hex(l))
        {
            out.push(h << 4 | l);
            i += 4;
            continue;
        }
        out.push(b'\\');
        i += 1;
    }
    out
}

/// JSON's string escapes, as nginx's `escape=json` writes them: `\"`,
/// `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\uXXXX` (hex digits of
/// either case) as a UTF-16 code unit; a high surrogate's escape followed
/// by a low surrogate's is the one character of the pair. A lone
/// surrogate, an incomplete `\u` and any other backslash are kept: the
/// backslash is written and reading goes on from the byte after it.
pub fn unescape_json(value: &[u8]) -> Vec<u8> {
    // The code unit of a whole `\uXXXX` at `at`.
    let unit = |at: usize| -> Option<u32> {
        let [b'\\', b'u', digits @ ..] = value.get(at..at + 6)? else {
            return None;
        };
        let digits = std::str::from_utf8(digits).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < value.len() {
        if value[i] != b'\\' {
            out.push(value[i]);
            i += 1;
            continue;
        }
        let simple = match value.get(i + 1) {
            Some(b'"') => Some(b'"'),
            Some(b'\\') => Some(b'\\'),
            Some(b'/') => Some(b'/'),
            Some(b'b') => Some(0x08),
            Some(b'f') => Some(0x0c),
            Some(b'n') => Some(b'\n'),
            Some(b'r') => Some(b'\r'),
            Some(b't') => Some(b'\t'),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            i += 2;
            continue;
        }
        let decoded = match unit(i) {
            Some(high @ 0xd800..=0xdbff) => match unit(i + 6) {
                Some(low @ 0xdc00..=0xdfff) => {
                    let code = 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
                    char::from_u32(code).map(|c| (c, 12))
                }
                _ => None,
            },
            Some(0xdc00..=0xdfff) | None => None,
            Some(code) => char::from_u32(code).map(|c| (c, 6)),
        };
        match decoded {
            Some((c, len)) => {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                i += len;
            }
            None => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    out
}

/// A string value: decoded as `LTSV_UNESCAPE` says, when the decoding is
/// valid UTF-8; otherwise as logged.
pub fn string_value(unescaping: Unescape, logged: &[u8]) -> String {
    let decoded = match unescaping {
        Unescape::Off => None,
        Unescape::Escapes => Some(unescape(logged)),
        Unescape::Json => Some(unescape_json(logged)),
    };
    if let Some(decoded) = decoded
        && let Ok(text) = String::from_utf8(decoded)
    {
        return text;
    }
    as_text(logged)
}

/// A label as an error message shows it: escaped as ASCII, and cut to 64
/// bytes (then followed by `...`), since labels are client data too.
pub fn shown_label(label: &[u8]) -> String {
    const MAX: usize = 64;
    let shown = label.get(..MAX).unwrap_or(label).escape_ascii().to_string();
    if label.len() > MAX {
        shown + "..."
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_escapes_are_decoded() {
        for (logged, decoded) in [
            (&br#"\"\\\t\n\r\b\v"#[..], &b"\"\\\t\n\r\x08\x0b"[..]),
            (br"\x41\X41\xe3\x81\x82", "AAあ".as_bytes()),
            // Not escapes: kept, backslash and all.
            (br"\a\u0041\/\f\0", br"\a\u0041\/\f\0"),
            // A pair of backslashes is one escape: the `x41` after it is text.
            (br"\\x41", br"\x41"),
            (br"\\\x41", br"\A"),
            // Incomplete at the end, or not hex.
            (br"\x", br"\x"),
            (br"\x4", br"\x4"),
            (br"\x4\x41", br"\x4A"),
            (br"\xg1", br"\xg1"),
            (br"\", br"\"),
        ] {
            assert_eq!(unescape(logged), decoded, "{}", logged.escape_ascii());
        }
    }

    #[test]
    fn json_escapes_are_decoded_and_anything_else_kept() {
        for (logged, decoded) in [
            (&br#"\"\\\/\b\f\n\r\t"#[..], &b"\"\\/\x08\x0c\n\r\t"[..]),
            (br"\u0041\u00e9\u3042\u00E9", "Aéあé".as_bytes()),
            (br"\u0000\u001f", b"\x00\x1f"),
            // A surrogate pair is one character, in either case.
            (br"\ud83d\ude00\uD83D\uDE00", "😀😀".as_bytes()),
            // Not JSON escapes: kept, backslash and all.
            (br"\x41\a\v\'\0\U0041", br"\x41\a\v\'\0\U0041"),
            (br"\u", br"\u"),
            (br"\u004", br"\u004"),
            (br"\u004g", br"\u004g"),
            (br"\u+041", br"\u+041"),
            (br"\", br"\"),
            // A lone surrogate is kept, and what follows it read on.
            (br"\ud83d", br"\ud83d"),
            (br"\ude00\ud83d", br"\ude00\ud83d"),
            (br"\ud83d\u0041", br"\ud83dA"),
            (br"\ud83d\ud83d\ude00", "\\ud83d😀".as_bytes()),
            (br"\ud83dx\ude00", br"\ud83dx\ude00"),
            // A pair of backslashes is one escape: the `u0041` after it is text.
            (br"\\u0041", br"\u0041"),
            (br"\\\u0041", br"\A"),
        ] {
            assert_eq!(unescape_json(logged), decoded, "{}", logged.escape_ascii());
        }
    }

    #[test]
    fn a_value_that_does_not_decode_to_utf8_is_kept_as_logged() {
        let escapes = Unescape::Escapes;
        assert_eq!(string_value(escapes, br"\xe3\x81\x82"), "あ");
        assert_eq!(string_value(escapes, br"\xe3\x81"), r"\xe3\x81");
        // A raw lead byte completed by escapes is valid once decoded.
        assert_eq!(string_value(escapes, b"\xe3\\x81\\x82"), "あ");
        // Kept as logged: the raw byte is written as text.
        assert_eq!(string_value(escapes, b"\xff\\x41"), r"\xff\x41");
        assert_eq!(string_value(Unescape::Off, br"\x41"), r"\x41");
        assert_eq!(string_value(Unescape::Json, br"\x41\u0041"), r"\x41A");
        assert_eq!(string_value(Unescape::Json, b"\xff\\u0041"), r"\xff\u0041");
        // Each mode decodes only its own escapes.
        assert_eq!(string_value(escapes, br"\u0041\/"), r"\u0041\/");
    }

    #[test]
    fn bytes_that_are_not_utf8_become_hex_text() {
        assert_eq!(as_text(b"a\x80\xe3\x81\x82\xe3"), r"a\x80あ\xe3");
        assert_eq!(as_text(b"\xed\xa0\x80"), r"\xed\xa0\x80");
    }

    #[test]
    fn labels_in_messages_are_escaped_and_cut() {
        assert_eq!(shown_label(b"a\"b\xff"), r#"a\"b\xff"#);
        let long = [b'a'; 65];
        assert_eq!(shown_label(&long), format!("{}...", "a".repeat(64)));
        assert_eq!(shown_label(&long[..64]), "a".repeat(64));
    }
}
