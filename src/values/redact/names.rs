//! Which query parameters are secret: a default list of names, researched
//! and cited, parts that make any name holding them secret, and the names a
//! rule adds; compared as a server reads a name.

use crate::values::escapes::hex_digit;

/// The names whose values are secret by default, lowercase.
pub const DEFAULT_NAMES: &[&str] = &[
    // Passwords and client secrets.
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "client_secret",
    // OAuth 2.0 and bearer tokens: RFC 6750 §2.3 (`access_token` in a
    // query), RFC 6749 §4.1.2 (the authorization `code`), RFC 9700 (tokens
    // in URLs leak through logs and referers).
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "code",
    "auth",
    "authorization",
    "bearer",
    "jwt",
    // API keys.
    "api_key",
    "apikey",
    "api-key",
    "x-api-key",
    "key",
    "private_key",
    "privatekey",
    // One-time passwords and reset links (OWASP Forgot Password Cheat Sheet).
    "otp",
    "reset_token",
    // Session identifiers and CSRF tokens (OWASP Logging Cheat Sheet): the
    // Servlet specification's, PHP's, ASP.NET's, Express's, Rails'.
    "session",
    "sessionid",
    "session_id",
    "sid",
    "jsessionid",
    "phpsessid",
    "asp.net_sessionid",
    "connect.sid",
    "csrf",
    "csrf_token",
    "_csrf",
    "xsrf-token",
    "authenticity_token",
    // Signed URLs: those OpenTelemetry's semantic conventions redact in
    // `url.query`, AWS Signature Version 4 and 2, Google Cloud Storage,
    // Azure shared access signatures (`sig`).
    "signature",
    "sig",
    "awsaccesskeyid",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
    // SAML's HTTP-Redirect binding carries the assertion in the URL.
    "samlresponse",
];

/// Parts that make a name secret wherever they are in it, lowercase:
/// `user_password`, `my_token`, `x-client-secret` are secrets too.
pub const SECRET_PARTS: &[&str] = &["passw", "secret", "token", "signature", "credential"];

/// The longest of [`SECRET_PARTS`].
const LONGEST_PART: usize = 10;

/// Which bytes, in either case, start one of [`SECRET_PARTS`]: most of a
/// name's places are ruled out by one look-up.
const STARTS_PART: [bool; 256] = {
    let mut starts = [false; 256];
    let mut part = 0;
    while part < SECRET_PARTS.len() {
        let first = SECRET_PARTS[part].as_bytes()[0];
        starts[first as usize] = true;
        starts[first.to_ascii_uppercase() as usize] = true;
        part += 1;
    }
    starts
};

/// The parameter names whose values are secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SecretNames {
    /// Exact names, ASCII-lowercased, sorted by length then bytes, without
    /// repeats; [`SECRET_PARTS`] apply besides.
    exact: Vec<Vec<u8>>,
    /// Where in `exact` the names of each length start: those `n` bytes
    /// long are `exact[by_len[n]..by_len[n + 1]]`.
    by_len: Vec<usize>,
}

impl SecretNames {
    /// [`DEFAULT_NAMES`] and [`SECRET_PARTS`].
    pub(crate) fn default_list() -> SecretNames {
        SecretNames::with(std::iter::empty::<&[u8]>())
    }

    /// The default list and the names in `extra`, compared the same way.
    pub(crate) fn with<N: AsRef<[u8]>>(extra: impl IntoIterator<Item = N>) -> SecretNames {
        let mut exact: Vec<Vec<u8>> = DEFAULT_NAMES
            .iter()
            .map(|name| name.as_bytes().to_vec())
            .chain(
                extra
                    .into_iter()
                    .map(|name| name.as_ref().to_ascii_lowercase()),
            )
            .collect();
        exact.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        exact.dedup();
        let longest = exact.last().map_or(0, Vec::len);
        let by_len = (0..=longest + 1)
            .map(|len| exact.partition_point(|name| name.len() < len))
            .collect();
        SecretNames { exact, by_len }
    }

    /// Whether `name`, as logged, is secret: after `+` is read as a space,
    /// `%XX` escapes are decoded (an invalid escape kept as it is) and ASCII
    /// letters are lowercased, it is one of the names or contains one of
    /// [`SECRET_PARTS`]. An empty name is not secret.
    pub(crate) fn is_secret(&self, name: &[u8]) -> bool {
        let Some(&first) = name.first() else {
            return false;
        };
        // Names are short: a loop costs less than a search's set-up.
        if name.iter().any(|&b| b == b'%' || b == b'+') {
            return self
                .of_len(Decoded(name).count())
                .iter()
                .any(|exact| exact.iter().copied().eq(Decoded(name)))
                || has_secret_part(Decoded(name));
        }
        let first = first.to_ascii_lowercase();
        self.of_len(name.len())
            .iter()
            .any(|exact| exact.first() == Some(&first) && starts_with_lowercase(name, exact))
            || name.iter().enumerate().any(|(at, &byte)| {
                STARTS_PART[usize::from(byte)]
                    && SECRET_PARTS
                        .iter()
                        .any(|part| starts_with_lowercase(&name[at..], part.as_bytes()))
            })
    }

    /// The exact names `len` bytes long: a handful at most.
    fn of_len(&self, len: usize) -> &[Vec<u8>] {
        match (self.by_len.get(len), self.by_len.get(len + 1)) {
            (Some(&start), Some(&end)) => &self.exact[start..end],
            _ => &[],
        }
    }
}

/// Whether `name` starts with `lowercase` in any case; unlike
/// `eq_ignore_ascii_case`, it stops at the first difference, which in a name
/// that is not secret is mostly the first or second byte.
fn starts_with_lowercase(name: &[u8], lowercase: &[u8]) -> bool {
    name.len() >= lowercase.len()
        && name
            .iter()
            .zip(lowercase)
            .all(|(&byte, &lower)| byte.to_ascii_lowercase() == lower)
}

/// Whether the bytes of `name` contain one of [`SECRET_PARTS`], looking at
/// each byte once through a window as long as the longest part.
fn has_secret_part(name: impl Iterator<Item = u8>) -> bool {
    // The window starts as NULs, which no part holds.
    let mut window = [0; LONGEST_PART];
    for byte in name {
        window.copy_within(1.., 0);
        window[LONGEST_PART - 1] = byte;
        if SECRET_PARTS
            .iter()
            .any(|part| window.ends_with(part.as_bytes()))
        {
            return true;
        }
    }
    false
}

/// A name's bytes as a server reads them, ASCII-lowercased: `+` a space,
/// `%XX` the byte, an invalid escape as it is.
struct Decoded<'a>(&'a [u8]);

impl Iterator for Decoded<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        let (byte, rest) = match (first, rest) {
            (b'+', _) => (b' ', rest),
            (b'%', [high, low, after @ ..]) => match (hex_digit(*high), hex_digit(*low)) {
                (Some(high), Some(low)) => (high << 4 | low, after),
                _ => (b'%', rest),
            },
            _ => (first, rest),
        };
        self.0 = rest;
        Some(byte.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let names = SecretNames::default_list();
        for name in DEFAULT_NAMES.iter().chain(SECRET_PARTS) {
            let upper = name.to_ascii_uppercase();
            let escaped: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
            for form in [name, upper.as_str(), escaped.as_str()] {
                assert!(names.is_secret(form.as_bytes()), "{form}");
            }
        }
        for name in [
            "", "a", "q", "keys", "passes", "codes", "id", "state", "api key", "+",
        ] {
            assert!(!names.is_secret(name.as_bytes()), "{name}");
        }
        let extra = SecretNames::with(["X-Custom-Auth", "ticket"]);
        assert!(extra.is_secret(b"x-custom-auth"));
        assert!(extra.is_secret(b"TICKET"));
        assert!(extra.is_secret(b"tick%65t"));
        assert!(extra.is_secret(b"token"));
        assert!(!names.is_secret(b"ticket"));
        assert_ne!(extra, names);
        let long = "l".repeat(80);
        let long_escaped: String = long.bytes().map(|b| format!("%{b:02x}")).collect();
        let with_long = SecretNames::with([long.as_str(), ""]);
        assert!(with_long.is_secret(long.to_ascii_uppercase().as_bytes()));
        assert!(with_long.is_secret(long_escaped.as_bytes()));
        assert!(!with_long.is_secret(&long.as_bytes()[1..]));
        assert!(!with_long.is_secret(b""));
        for name in [
            format!("{}token", "a".repeat(70)),
            format!("{}%74oken", "%61".repeat(30)),
            format!("{}SIGNATURE+", "+".repeat(70)),
        ] {
            assert!(names.is_secret(name.as_bytes()), "{name}");
        }
        assert_eq!(SecretNames::with(Vec::<Vec<u8>>::new()), names);
        assert_eq!(
            LONGEST_PART,
            SECRET_PARTS.iter().map(|part| part.len()).max().unwrap()
        );
        for name in DEFAULT_NAMES.iter().chain(SECRET_PARTS) {
            assert_eq!(name.to_ascii_lowercase(), *name);
        }
    }
}
