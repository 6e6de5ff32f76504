//! A record's data: base64, decoded with the engine the response encodes
//! with, and told apart from data that is not base64 before any record is
//! converted.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::Simd;
use base64::engine::general_purpose::PAD;

use crate::error::{Error, ErrorKind};

/// Standard, padded base64, with the vector instructions the CPU has
/// (NEON on Graviton).
pub(crate) static BASE64: LazyLock<Simd> = LazyLock::new(|| Simd::standard(PAD));

/// Decodes a record's `data` into `out` (cleared first).
pub(crate) fn decode(data: &str, out: &mut Vec<u8>) -> Result<(), Error> {
    out.clear();
    BASE64
        .decode_vec(data.as_bytes(), out)
        .map_err(|error| Error::new(ErrorKind::Base64(error)))
}

/// Whether the standard engine decodes `data`: padded, canonical base64.
/// The body is checked without branching per byte, so the compiler can
/// vectorize it: room is reserved for every record before any is decoded.
pub(crate) fn is_base64(data: &[u8]) -> bool {
    fn is_symbol(byte: u8) -> bool {
        // Setting bit 5 turns upper case into lower and nothing else into
        // a letter: one range test for both cases.
        let letter = (byte | 0x20).wrapping_sub(b'a') < 26;
        let digit = byte.wrapping_sub(b'0') < 10;
        letter | digit | (byte == b'+') | (byte == b'/')
    }
    /// The 6-bit value of a symbol.
    fn value(byte: u8) -> u8 {
        match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            _ => 63,
        }
    }
    let Some(last) = data.len().checked_sub(4) else {
        return data.is_empty();
    };
    let (body, quad) = data.split_at(last);
    if !data.len().is_multiple_of(4) || !body.iter().fold(true, |ok, &b| ok & is_symbol(b)) {
        return false;
    }
    // The bits past the last whole byte must be zero, as the engine requires.
    match *quad {
        [a, b, b'=', b'='] => is_symbol(a) && is_symbol(b) && value(b) & 0x0f == 0,
        [a, b, c, b'='] => is_symbol(a) && is_symbol(b) && is_symbol(c) && value(c) & 0x03 == 0,
        _ => quad.iter().all(|&b| is_symbol(b)),
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn is_base64_agrees_with_the_decoder_on_every_byte_in_every_place() {
        for valid in ["QUJDREVG", "QUJDQUI=", "QUJDQQ=="] {
            for at in 0..valid.len() {
                for byte in 0..=u8::MAX {
                    let mut data = valid.as_bytes().to_vec();
                    data[at] = byte;
                    assert_eq!(
                        is_base64(&data),
                        STANDARD.decode(&data).is_ok(),
                        "{:?}",
                        data.escape_ascii().to_string()
                    );
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

        /// Room for failed records is reserved with `is_base64`, and their
        /// data is chosen by whether decoding fails: the two must agree.
        #[test]
        fn is_base64_agrees_with_the_decoder(
            text in prop_oneof![
                "[A-Za-z0-9+/=]{0,12}",
                "([A-Za-z0-9+/]{4}){0,3}[A-Za-z0-9+/]{2,3}={0,2}",
                proptest::collection::vec(any::<u8>(), 0..12)
                    .prop_map(|bytes| STANDARD.encode(bytes)),
                ".{0,8}",
            ]
        ) {
            prop_assert_eq!(
                is_base64(text.as_bytes()),
                STANDARD.decode(&text).is_ok(),
                "{:?}", text
            );
        }
    }
}
