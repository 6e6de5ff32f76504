//! Writing JSON string literals from log bytes.
//!
//! Log values are bytes, not text: they may hold control characters, quotes
//! and byte sequences that are not UTF-8. Everything written here is valid
//! UTF-8 JSON whatever the input, so a value can never end its string early,
//! add a key or split a line.

/// What each byte becomes inside a JSON string: 0 for itself, `u` for a
/// `\u00XX` escape, or the letter of a two-character escape.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `bytes` to `out` as a JSON string literal, quotes included.
///
/// Bytes that are not part of valid UTF-8 are written as the four
/// characters `\xhh` (lower-case hex), the way Apache logs non-printable
/// bytes, so nothing is lost and the output stays valid UTF-8.
///
/// ```
/// let mut out = Vec::new();
/// firehose_ltsv::write_json_str(&mut out, b"a\"b\tc\xffd");
/// assert_eq!(out, br#""a\"b\tc\\xffd""#);
/// ```
pub fn write_str(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    // Log values are mostly ASCII with nothing to escape: one scan finds how
    // much is, and only what follows needs UTF-8 validation and escaping.
    let plain = bytes
        .chunks(CHUNK)
        .take_while(|chunk| {
            !chunk
                .iter()
                .fold(false, |found, &b| found | special(b) | (b >= 0x80))
        })
        .map(<[u8]>::len)
        .sum();
    let (plain, rest) = bytes.split_at(plain);
    out.extend_from_slice(plain);
    if std::str::from_utf8(rest).is_ok() {
        write_escaped(out, rest);
        out.push(b'"');
        return;
    }
    for chunk in rest.utf8_chunks() {
        write_escaped(out, chunk.valid().as_bytes());
        for &byte in chunk.invalid() {
            out.extend_from_slice(&[
                b'\\',
                b'\\',
                b'x',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
        }
    }
    out.push(b'"');
}

/// The number of bytes [`write_str`] appends for `text`.
pub fn str_len(text: &str) -> usize {
    // Most text has nothing to escape: one test of every byte, which
    // vectorizes, says so without the table.
    if !text.bytes().fold(false, |found, b| found | special(b)) {
        return 2 + text.len();
    }
    2 + text
        .bytes()
        .map(|byte| match ESCAPE[usize::from(byte)] {
            0 => 1,
            b'u' => 6,
            _ => 2,
        })
        .sum::<usize>()
}

/// Bytes looked at together when searching for the next one to escape.
const CHUNK: usize = 16;

/// Whether JSON needs `byte` escaped, written without branches so that
/// loops over it vectorize.
fn special(byte: u8) -> bool {
    (byte < 0x20) | (byte == b'"') | (byte == b'\\')
}

/// Appends valid UTF-8 with JSON escapes, copying unescaped runs whole.
fn write_escaped(out: &mut Vec<u8>, text: &[u8]) {
    let mut run = 0;
    for (chunk_index, chunk) in text.chunks(CHUNK).enumerate() {
        // Most values have nothing to escape: a whole chunk is tested with
        // comparisons the compiler turns into vector instructions.
        if !chunk.iter().fold(false, |found, &b| found | special(b)) {
            continue;
        }
        let offset = chunk_index * CHUNK;
        for (j, &byte) in chunk.iter().enumerate() {
            let escape = ESCAPE[usize::from(byte)];
            if escape == 0 {
                continue;
            }
            let i = offset + j;
            out.extend_from_slice(&text[run..i]);
            run = i + 1;
            if escape == b'u' {
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 0xf)],
                ]);
            } else {
                out.extend_from_slice(&[b'\\', escape]);
            }
        }
    }
    out.extend_from_slice(&text[run..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        write_str(&mut out, bytes);
        String::from_utf8(out).expect("output is UTF-8")
    }

    #[test]
    fn every_control_byte_is_escaped_and_round_trips() {
        for byte in 0..0x20u8 {
            let json = written(&[b'a', byte, b'b']);
            assert!(json.bytes().all(|b| b >= 0x20), "{json}");
            let back: String = serde_json::from_str(&json).unwrap();
            assert_eq!(back.as_bytes(), [b'a', byte, b'b']);
        }
        assert_eq!(written(b"\x00\x1f\n"), r#""\u0000\u001f\n""#);
    }

    #[test]
    fn quotes_and_backslashes_cannot_end_the_string() {
        let attack = br#"","admin":true,"x":"\"#;
        let json = written(attack);
        assert_eq!(json, r#""\",\"admin\":true,\"x\":\"\\""#);
        let back: String = serde_json::from_str(&json).unwrap();
        assert_eq!(back.as_bytes(), attack);
    }

    #[test]
    fn utf8_passes_through_and_invalid_bytes_become_hex_text() {
        assert_eq!(written("あ</script>".as_bytes()), "\"あ</script>\"");
        // Overlong, truncated, surrogate and stray continuation bytes.
        assert_eq!(written(b"\xc0\xaf"), r#""\\xc0\\xaf""#);
        assert_eq!(written(b"\xe3\x81"), r#""\\xe3\\x81""#);
        assert_eq!(written(b"\xed\xa0\x80"), r#""\\xed\\xa0\\x80""#);
        assert_eq!(written(b"a\x80\xe3\x81\x82"), r#""a\\x80あ""#);
    }

    #[test]
    fn the_quick_test_and_the_table_agree_on_every_byte() {
        for byte in 0..=u8::MAX {
            assert_eq!(special(byte), ESCAPE[usize::from(byte)] != 0, "{byte:#04x}");
        }
    }

    #[test]
    fn str_len_matches_what_write_str_writes() {
        for text in ["", "plain", "q\"b\\", "\u{0}\u{1f}\t\n", "あいう", "\u{7f}"] {
            assert_eq!(str_len(text), written(text.as_bytes()).len(), "{text:?}");
        }
    }
}
