//! Bytes found eight at a time, in a machine word (SWAR).
//!
//! Fields and values in access logs are short: a label is a few bytes, and
//! most values end within a few words. A vector search costs more to set up
//! than to run on such spans, while a word is one load, a handful of
//! integer operations, and the place of the first byte found is its count
//! of trailing zero bits. The operations are exact, with no carry from one
//! byte into the next, and the same on every CPU, so both x86-64 and
//! aarch64 run this very code.

/// A word of a slice, read eight bytes at a time, first byte lowest.
pub(crate) type Word = u64;

const ONES: Word = Word::from_le_bytes([0x01; 8]);
const HIGHS: Word = Word::from_le_bytes([0x80; 8]);
const LOWS: Word = !HIGHS;

/// Bytes in a word.
pub(crate) const WIDTH: usize = 8;

/// The word at `at` in `bytes`, if eight bytes are there.
#[inline(always)]
pub(crate) fn load(bytes: &[u8], at: usize) -> Option<Word> {
    let eight = bytes.get(at..at + WIDTH)?;
    Some(Word::from_le_bytes(eight.try_into().expect("eight bytes")))
}

/// The high bit of each byte of `word` that is zero.
#[inline(always)]
fn zeros(word: Word) -> Word {
    // The low seven bits of a byte, plus 0x7f, carry into its high bit
    // unless all are zero, and never past it.
    !(((word & LOWS) + LOWS) | word) & HIGHS
}

/// The high bit of each byte of `word` equal to `byte`.
#[inline(always)]
pub(crate) fn equal(word: Word, byte: u8) -> Word {
    zeros(word ^ (ONES * Word::from(byte)))
}

/// The high bit of each byte of `word` below 0x20 or above 0x7f: a control
/// byte, or one past ASCII.
#[inline(always)]
pub(crate) fn control_or_high(word: Word) -> Word {
    // The low seven bits plus 0x60 reach the high bit exactly when they
    // are at least 0x20.
    (!((word & LOWS) + ONES * 0x60) | word) & HIGHS
}

/// The place in its word of the first byte whose high bit `found` has; 8
/// when there is none.
#[inline(always)]
pub(crate) fn first(found: Word) -> usize {
    (found.trailing_zeros() / 8) as usize
}

/// Appends the `len` bytes of `bytes` at `at` to `out`. Labels and most
/// values are short: when sixteen bytes are there, they are moved as one
/// block, with no call and no branch on the length, and what is past the
/// run is cut off again.
pub(crate) fn append(out: &mut Vec<u8>, bytes: &[u8], at: usize, len: usize) {
    const BLOCK: usize = 16;
    match bytes.get(at..at + BLOCK) {
        Some(block) if len <= BLOCK => {
            let end = out.len() + len;
            out.extend_from_slice(block);
            out.truncate(end);
        }
        _ => out.extend_from_slice(&bytes[at..at + len]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(bytes: [u8; 8]) -> Word {
        Word::from_le_bytes(bytes)
    }

    #[test]
    fn every_byte_is_told_apart_in_every_place() {
        for byte in 0..=255u8 {
            for place in 0..WIDTH {
                // The other bytes are the neighbours most likely to carry.
                for other in [0x00, 0x7f, 0x80, 0xff, byte ^ 1, byte.wrapping_add(1)] {
                    let mut bytes = [other; 8];
                    bytes[place] = byte;
                    let w = word(bytes);
                    let is = |found: Word, expected: fn(u8) -> bool| {
                        let high = |i: usize| found >> (8 * i + 7) & 1 == 1;
                        (0..WIDTH).all(|i| high(i) == expected(bytes[i])) && found & !HIGHS == 0
                    };
                    assert!(is(equal(w, b':'), |b| b == b':'), "{bytes:?}");
                    assert!(is(equal(w, 0), |b| b == 0), "{bytes:?}");
                    assert!(
                        is(control_or_high(w), |b| !(0x20..0x80).contains(&b)),
                        "{bytes:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_first_byte_found_is_the_lowest() {
        assert_eq!(first(equal(word(*b"ab:cd:ef"), b':')), 2);
        assert_eq!(first(equal(word(*b"abcdefgh"), b':')), 8);
        assert_eq!(load(b"0123456789", 2), Some(word(*b"23456789")));
        assert_eq!(load(b"0123456789", 3), None);
    }

    #[test]
    fn runs_are_appended_whole_and_alone() {
        let bytes: Vec<u8> = (0..40).collect();
        for at in 0..40 {
            for len in 0..=40 - at {
                let mut out = vec![0xff];
                append(&mut out, &bytes, at, len);
                assert_eq!(out[1..], bytes[at..at + len], "{at} {len}");
            }
        }
    }
}
