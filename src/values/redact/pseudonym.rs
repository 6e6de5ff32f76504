//! Keyed pseudonyms: HMAC-SHA-256 of a value under a secret key, so the
//! same value always gives the same pseudonym (rows stay joinable), and
//! without the key no pseudonym can be tied to its value, not even by
//! trying every value of a small space such as IPv4 addresses.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The fewest bytes a key may have: 256 bits, SHA-256's own strength.
pub(crate) const MIN_KEY_BYTES: usize = 32;

/// Bytes of the HMAC a pseudonym keeps: 128 bits, far from collisions in
/// any log, written as 32 hex digits.
const PSEUDONYM_BYTES: usize = 16;

/// The secret key pseudonyms are made with. Its `Debug` form hides it.
#[derive(Clone)]
pub(crate) struct PseudonymKey {
    /// The HMAC with the key set, cloned for each value.
    mac: Hmac<Sha256>,
    /// SHA-256 of the key, so that keys compare without keeping the key.
    fingerprint: [u8; 32],
}

impl PseudonymKey {
    /// The key of `secret`'s bytes, if it has at least [`MIN_KEY_BYTES`].
    pub(crate) fn new(secret: &[u8]) -> Option<PseudonymKey> {
        (secret.len() >= MIN_KEY_BYTES).then(|| PseudonymKey {
            mac: Hmac::new_from_slice(secret).expect("HMAC takes any key"),
            fingerprint: Sha256::digest(secret).into(),
        })
    }

    /// Appends the pseudonym of `value`: the first 128 bits of
    /// HMAC-SHA-256(key, value), in lowercase hex.
    pub(crate) fn pseudonym(&self, value: &[u8], out: &mut Vec<u8>) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut mac = self.mac.clone();
        mac.update(value);
        let digest = mac.finalize().into_bytes();
        for byte in &digest[..PSEUDONYM_BYTES] {
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        }
    }
}

impl PartialEq for PseudonymKey {
    fn eq(&self, other: &PseudonymKey) -> bool {
        self.fingerprint == other.fingerprint
    }
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey(hidden)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudonym(key: &PseudonymKey, value: &[u8]) -> String {
        let mut out = Vec::new();
        key.pseudonym(value, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn pseudonyms_are_the_rfc_4231_hmac_sha_256_truncated_to_128_bits() {
        // RFC 4231 test case 6's key is 131 bytes of 0xaa.
        let key = PseudonymKey::new(&[0xaa; 131]).unwrap();
        assert_eq!(
            pseudonym(
                &key,
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f"
        );
    }

    #[test]
    fn the_same_value_and_key_give_the_same_pseudonym_and_others_differ() {
        let key = PseudonymKey::new(&[7; 32]).unwrap();
        let other = PseudonymKey::new(&[8; 32]).unwrap();
        assert_eq!(pseudonym(&key, b"user-42"), pseudonym(&key, b"user-42"));
        assert_ne!(pseudonym(&key, b"user-42"), pseudonym(&key, b"user-43"));
        assert_ne!(pseudonym(&key, b"user-42"), pseudonym(&other, b"user-42"));
        assert_eq!(pseudonym(&key, b"").len(), 32);
        assert!(
            pseudonym(&key, b"x")
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    #[test]
    fn short_keys_are_refused_and_keys_never_shown() {
        assert!(PseudonymKey::new(&[1; MIN_KEY_BYTES - 1]).is_none());
        let key = PseudonymKey::new(b"0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(format!("{key:?}"), "PseudonymKey(hidden)");
        assert_eq!(
            key,
            PseudonymKey::new(b"0123456789abcdef0123456789abcdef").unwrap()
        );
        assert_ne!(
            key,
            PseudonymKey::new(b"0123456789abcdef0123456789abcdeF").unwrap()
        );
    }
}
