//! The escapes web servers write in values, decoded.

use memchr::memchr;

/// How logged values are unescaped (`LTSV_UNESCAPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unescape {
    /// Values are kept as logged.
    Off,
    /// The escapes Apache httpd and nginx write by default: `\xHH` and
    /// backslash escapes; see [`unescape`].
    Escapes,
    /// JSON string escapes, as nginx writes them with `escape=json`.
    Json,
}

impl Unescape {
    /// The name used in `LTSV_UNESCAPE`.
    pub fn name(self) -> &'static str {
        match self {
            Unescape::Off => "false",
            Unescape::Escapes => "true",
            Unescape::Json => "json",
        }
    }

    /// Decodes `value` into `out` (cleared first) and returns whether the
    /// result is valid UTF-8; with `Off`, copies it.
    pub(crate) fn decode(self, value: &[u8], out: &mut Vec<u8>) -> bool {
        match self {
            Unescape::Off => {
                out.clear();
                out.extend_from_slice(value);
                std::str::from_utf8(out).is_ok()
            }
            Unescape::Escapes => unescape(value, out),
            Unescape::Json => unescape_json(value, out),
        }
    }
}

/// Decodes the escapes Apache httpd and nginx write in log values into
/// `out` (cleared first) and returns whether the result is valid UTF-8.
///
/// `\"`, `\\`, `\xHH` (either case), `\t`, `\n`, `\r`, `\b` and `\v` are
/// decoded; any other backslash sequence is kept as it is. When the result
/// is not valid UTF-8 the caller should keep the value as logged.
pub(crate) fn unescape(value: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut rest = value;
    while let Some(backslash) = memchr(b'\\', rest) {
        out.extend_from_slice(&rest[..backslash]);
        let escape = &rest[backslash..];
        let (decoded, used) = match escape {
            [_, b'x' | b'X', h, l, ..] => match (hex_digit(*h), hex_digit(*l)) {
                (Some(h), Some(l)) => (h << 4 | l, 4),
                _ => (b'\\', 1),
            },
            [_, b'"', ..] => (b'"', 2),
            [_, b'\\', ..] => (b'\\', 2),
            [_, b't', ..] => (b'\t', 2),
            [_, b'n', ..] => (b'\n', 2),
            [_, b'r', ..] => (b'\r', 2),
            [_, b'b', ..] => (0x08, 2),
            [_, b'v', ..] => (0x0b, 2),
            _ => (b'\\', 1),
        };
        out.push(decoded);
        rest = &escape[used..];
    }
    out.extend_from_slice(rest);
    std::str::from_utf8(out).is_ok()
}

/// Decodes JSON string escapes, as nginx's `escape=json` writes them, into
/// `out` (cleared first) and returns whether the result is valid UTF-8.
///
/// `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` and `\uXXXX` (UTF-16,
/// surrogate pairs joined) are decoded; anything else, a lone surrogate
/// included, is kept as it is.
pub(crate) fn unescape_json(value: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut rest = value;
    while let Some(backslash) = memchr(b'\\', rest) {
        out.extend_from_slice(&rest[..backslash]);
        let escape = &rest[backslash..];
        let used = match escape {
            [_, b'u', ..] => match utf16_escape(escape) {
                Some((c, used)) => {
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    used
                }
                None => {
                    out.push(b'\\');
                    1
                }
            },
            [_, byte, ..] => {
                let decoded = match byte {
                    b'"' | b'\\' | b'/' => Some(*byte),
                    b'b' => Some(0x08),
                    b'f' => Some(0x0c),
                    b'n' => Some(b'\n'),
                    b'r' => Some(b'\r'),
                    b't' => Some(b'\t'),
                    _ => None,
                };
                match decoded {
                    Some(decoded) => {
                        out.push(decoded);
                        2
                    }
                    None => {
                        out.push(b'\\');
                        1
                    }
                }
            }
            _ => {
                out.push(b'\\');
                1
            }
        };
        rest = &escape[used..];
    }
    out.extend_from_slice(rest);
    std::str::from_utf8(out).is_ok()
}

/// The character of a `\uXXXX` escape (two, for a surrogate pair) at the
/// start of `escape`, and how many bytes it takes.
fn utf16_escape(escape: &[u8]) -> Option<(char, usize)> {
    let unit = |at: usize| -> Option<u16> {
        let hex = escape.get(at..at + 6)?;
        if hex[..2] != *b"\\u" {
            return None;
        }
        hex[2..]
            .iter()
            .try_fold(0u16, |n, &b| Some(n << 4 | u16::from(hex_digit(b)?)))
    };
    let high = unit(0)?;
    match high {
        0xd800..=0xdbff => {
            let low = unit(6).filter(|low| (0xdc00..=0xdfff).contains(low))?;
            let c = 0x10000 + ((u32::from(high) - 0xd800) << 10) + (u32::from(low) - 0xdc00);
            Some((char::from_u32(c)?, 12))
        }
        _ => Some((char::from_u32(u32::from(high))?, 6)),
    }
}

/// The value of a hexadecimal digit.
pub(crate) fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unescaped(value: &[u8]) -> (Vec<u8>, bool) {
        let mut out = vec![b'x'; 3];
        let utf8 = unescape(value, &mut out);
        (out, utf8)
    }

    #[test]
    fn apache_and_nginx_escapes_are_decoded() {
        assert_eq!(
            unescaped(br#"\"\\\t\n\r\b\v"#),
            (b"\"\\\t\n\r\x08\x0b".to_vec(), true)
        );
        assert_eq!(unescaped(br"\xe3\x81\x82"), ("あ".into(), true));
        assert_eq!(unescaped(br"\xE3\x81\X82"), ("あ".into(), true));
        assert_eq!(unescaped(br"a\x00b"), (b"a\x00b".to_vec(), true));
        assert_eq!(unescaped(b"plain"), (b"plain".to_vec(), true));
    }

    #[test]
    fn unknown_and_incomplete_escapes_stay_as_they_are() {
        for kept in [
            &br"\u00e9"[..],
            br"\a",
            br"\x",
            br"\x4",
            br"\xg1",
            br"a\",
            br"\ud800",
        ] {
            assert_eq!(unescaped(kept), (kept.to_vec(), true), "{kept:?}");
        }
        assert_eq!(unescaped(br"\\x41"), (br"\x41".to_vec(), true));
        assert_eq!(unescaped(br"\\\x41"), (br"\A".to_vec(), true));
    }

    #[test]
    fn decoding_to_invalid_utf8_is_reported() {
        assert_eq!(unescaped(br"\xff"), (vec![0xff], false));
        assert_eq!(unescaped(br"\xe3\x81"), (vec![0xe3, 0x81], false));
        assert_eq!(unescaped(br"\xc0\xaf"), (vec![0xc0, 0xaf], false));
    }

    fn json_unescaped(value: &[u8]) -> (Vec<u8>, bool) {
        let mut out = vec![b'x'; 3];
        let utf8 = unescape_json(value, &mut out);
        (out, utf8)
    }

    #[test]
    fn json_escapes_are_decoded() {
        assert_eq!(
            json_unescaped(br#"\"\\\/\b\f\n\r\t"#),
            (b"\"\\/\x08\x0c\n\r\t".to_vec(), true)
        );
        assert_eq!(json_unescaped(br"a\u0001b"), (b"a\x01b".to_vec(), true));
        assert_eq!(json_unescaped(br"\u00e9\u3042"), ("éあ".into(), true));
        assert_eq!(json_unescaped(br"\ud83d\ude00"), ("😀".into(), true));
        assert_eq!(json_unescaped(br"\uD83D\uDE00"), ("😀".into(), true));
        assert_eq!(json_unescaped("あ".as_bytes()), ("あ".into(), true));
    }

    #[test]
    fn json_escapes_that_are_not_whole_stay_as_they_are() {
        for kept in [
            &br"\x41"[..],
            br"\a",
            br"\u00",
            br"\u00g1",
            br"\ud83d",
            br"\ud83dx",
            br"\ude00",
            br"a\",
        ] {
            assert_eq!(json_unescaped(kept), (kept.to_vec(), true), "{kept:?}");
        }
        assert_eq!(json_unescaped(br"\\u0041"), (br"\u0041".to_vec(), true));
        // A lone surrogate stays; the escape after it is whole.
        assert_eq!(
            json_unescaped(br"\ud83d\u0041"),
            (br"\ud83dA".to_vec(), true)
        );
        assert_eq!(json_unescaped(b"\xff"), (vec![0xff], false));
    }

    #[test]
    fn each_mode_decodes_its_own_escapes() {
        let mut out = Vec::new();
        assert!(Unescape::Off.decode(br"\x41\u0041", &mut out));
        assert_eq!(out, br"\x41\u0041");
        assert!(Unescape::Escapes.decode(br"\x41\u0041", &mut out));
        assert_eq!(out, br"A\u0041");
        assert!(Unescape::Json.decode(br"\x41\u0041", &mut out));
        assert_eq!(out, br"\x41A");
        assert!(!Unescape::Off.decode(b"\xff", &mut out));
        assert_eq!(
            [Unescape::Off, Unescape::Escapes, Unescape::Json].map(Unescape::name),
            ["false", "true", "json"]
        );
    }
}
