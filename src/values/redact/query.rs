//! The values of secret parameters in request lines, URLs and queries,
//! replaced by a marker.
//!
//! For labels holding a request line (`GET /a?b=c HTTP/1.1`), a URL
//! (`https://h/p?q#f`, a `Referer`), a path with its query (`/p?q`), or a
//! query alone (`a=1&b=2`: nginx's `$args`, the `query` part of a split
//! request, Apache's `%q` with its leading `?`).
//!
//! Where parameters are found:
//!
//! - A request line is a method (letters, digits, `-`, `_`, `.`), a space,
//!   the target, and, if the last word starts with `HTTP/` (any case), a
//!   space and that protocol. Anything else is a target as a whole.
//! - The target's query starts after its first `?` and ends at its first
//!   `#`; the fragment after the `#` is scanned too, as OAuth's implicit
//!   flow puts `access_token=` there.
//! - The target is a path or a URL when the part before its first `?` or
//!   `#` starts with `/` or with a scheme and `://` (`https://`). Otherwise
//!   the target up to any `#` is a query as a whole (`a=1&b=2`, `?a=1`,
//!   `next=/home&token=x`, `redirect=https://h/&code=x`), as is the query of
//!   a split request line whatever it starts with ([`redact_query`]).
//! - In a path, each `;name=value` is a parameter too (a Servlet's
//!   `;jsessionid=`), its value ending at the next `;`, `/` or space.
//! - In a query and a fragment, parameters are separated by `&`, by `;`
//!   (some back ends split on it: CVE-2021-23336's parameter cloaking), and
//!   by `?` (so that a URL nested unencoded in a value, `next=/cb?code=x`,
//!   and a single-page application's `#/reset?token=x` have theirs found).
//! - A parameter is `name=value`; one without `=` has no value.
//!
//! A name is secret if, after `+` is read as a space, `%XX` escapes are
//! decoded (an invalid escape stays as it is) and ASCII letters are
//! lowercased, it is one of [`DEFAULT_NAMES`](super::names::DEFAULT_NAMES) or the names configured, or
//! it contains one of [`SECRET_PARTS`](super::names::SECRET_PARTS). An empty name is not secret.
//!
//! A secret parameter's value, all the bytes between its `=` and the next
//! separator, becomes `REDACTED`; an empty value stays empty, as it reveals
//! nothing. Every other byte is kept exactly: names, `=`, separators, path,
//! fragment, method and protocol.

use memchr::{memchr, memrchr};

use super::names::SecretNames;

/// What replaces a secret parameter's value: OpenTelemetry's marker for
/// redacted query values.
pub(crate) const MARKER: &[u8] = b"REDACTED";

/// Appends `value` to `out` with the value of every secret parameter
/// replaced by [`MARKER`], as the module documentation describes; returns
/// whether any was. Every other byte is kept exactly. Any bytes are
/// accepted.
pub(crate) fn redact(value: &[u8], names: &SecretNames, out: &mut Vec<u8>) -> bool {
    let (start, end) = target(value);
    redact_target(value, start, end, false, names, out)
}

/// The same for the query of a request line (what follows its `?`), read
/// as a query even where it starts as a path or a URL would
/// (`/next&token=x`, `https://h/&code=x`).
pub(crate) fn redact_query(value: &[u8], names: &SecretNames, out: &mut Vec<u8>) -> bool {
    redact_target(value, 0, value.len(), true, names, out)
}

/// [`redact`] with the target at `value[start..end]`, a query as a whole
/// when `query`.
fn redact_target(
    value: &[u8],
    start: usize,
    end: usize,
    query: bool,
    names: &SecretNames,
    out: &mut Vec<u8>,
) -> bool {
    // Every secret value follows a `=`: most request lines and paths have
    // none.
    if memchr(b'=', value).is_none() {
        out.extend_from_slice(value);
        return false;
    }
    out.reserve(value.len());
    let mut redaction = Redaction {
        value,
        names,
        out,
        copied: 0,
        redacted: false,
    };
    let hash = memchr(b'#', &value[start..end]).map(|at| start + at);
    let before_hash = hash.unwrap_or(end);
    let question = memchr(b'?', &value[start..before_hash]).map_or(before_hash, |at| start + at);
    if !query && is_path(&value[start..question]) {
        redaction.path(start, question);
        // From the `?`, which a query reads as a separator.
        redaction.query(question, before_hash);
    } else {
        redaction.query(start, before_hash);
    }
    if let Some(hash) = hash {
        redaction.query(hash + 1, end);
    }
    redaction.out.extend_from_slice(&value[redaction.copied..]);
    redaction.redacted
}

/// Whether the start of a target, up to its first `?` or `#`, is a path or
/// a URL: it starts with `/`, or with a scheme (a letter, then letters,
/// digits, `+`, `-`, `.`) and `://`. A query's values may hold both
/// (`next=/home`), but never before its first `=`.
fn is_path(before_query: &[u8]) -> bool {
    match before_query.first() {
        Some(b'/') => true,
        Some(first) if first.is_ascii_alphabetic() => {
            let scheme = before_query
                .iter()
                .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
                .unwrap_or(before_query.len());
            before_query[scheme..].starts_with(b"://")
        }
        _ => false,
    }
}

/// Where the target of a request line starts and ends; the whole value when
/// it is not a request line.
fn target(value: &[u8]) -> (usize, usize) {
    let Some(space) = memchr(b' ', value) else {
        return (0, value.len());
    };
    let method = &value[..space];
    if method.is_empty()
        || !method
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return (0, value.len());
    }
    // Only a protocol ends the target: what follows any other space may be
    // the rest of a secret value.
    match memrchr(b' ', value) {
        Some(last)
            if last > space
                && value[last + 1..]
                    .get(..5)
                    .is_some_and(|word| word.eq_ignore_ascii_case(b"HTTP/")) =>
        {
            (space + 1, last)
        }
        _ => (space + 1, value.len()),
    }
}

/// A value being copied to `out`, secret values replaced.
struct Redaction<'a> {
    value: &'a [u8],
    names: &'a SecretNames,
    out: &'a mut Vec<u8>,
    /// How much of `value` is in `out`, replaced or not.
    copied: usize,
    /// Whether a value was replaced.
    redacted: bool,
}

impl Redaction<'_> {
    /// The parameters of the query or fragment in `value[start..end]`.
    fn query(&mut self, start: usize, end: usize) {
        // Parameters are short: one pass noting separators and the first
        // `=` costs less than a search for each, whose set-up dominates.
        let value = self.value;
        let mut parameter = start;
        let mut equals = None;
        for (offset, &byte) in value[start..end].iter().enumerate() {
            let at = start + offset;
            match byte {
                b'&' | b';' | b'?' => {
                    self.parameter(parameter, equals, at);
                    parameter = at + 1;
                    equals = None;
                }
                b'=' if equals.is_none() => equals = Some(at),
                _ => {}
            }
        }
        self.parameter(parameter, equals, end);
    }

    /// The `;name=value` parameters of the path in `value[start..end]`.
    fn path(&mut self, start: usize, end: usize) {
        let value = self.value;
        let mut at = start;
        while let Some(semicolon) = memchr(b';', &value[at..end]) {
            let parameter = at + semicolon + 1;
            let mut equals = None;
            at = end;
            for (offset, &byte) in value[parameter..end].iter().enumerate() {
                match byte {
                    b';' | b'/' | b' ' => {
                        at = parameter + offset;
                        break;
                    }
                    b'=' if equals.is_none() => equals = Some(parameter + offset),
                    _ => {}
                }
            }
            self.parameter(parameter, equals, at);
        }
    }

    /// The parameter in `value[start..end]`, whose first `=` is at
    /// `equals`: its value replaced if its name is secret.
    fn parameter(&mut self, start: usize, equals: Option<usize>, end: usize) {
        if let Some(equals) = equals
            && equals + 1 < end
            && self.names.is_secret(&self.value[start..equals])
        {
            self.out
                .extend_from_slice(&self.value[self.copied..equals + 1]);
            self.out.extend_from_slice(MARKER);
            self.copied = end;
            self.redacted = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;
    use crate::values::redact::names::{DEFAULT_NAMES, SECRET_PARTS};

    fn redacted(value: &[u8], names: &SecretNames) -> (Vec<u8>, bool) {
        let mut out = b"kept".to_vec();
        let redacted = redact(value, names, &mut out);
        assert!(out.starts_with(b"kept"));
        (out.split_off(4), redacted)
    }

    #[test]
    fn real_values() {
        let cases: &[(&[u8], &[u8])] = &[
            // Request lines.
            (
                b"GET /login?user=alice&password=hunter2 HTTP/1.1",
                b"GET /login?user=alice&password=REDACTED HTTP/1.1",
            ),
            (
                b"GET /cb?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz HTTP/2.0",
                b"GET /cb?code=REDACTED&state=xyz HTTP/2.0",
            ),
            (
                b"GET /cart;jsessionid=0123456789ABCDEF HTTP/1.1",
                b"GET /cart;jsessionid=REDACTED HTTP/1.1",
            ),
            (
                b"GET /p?token=a b HTTP/1.1",
                b"GET /p?token=REDACTED HTTP/1.1",
            ),
            (b"get /?Sid=1 http/1.0", b"get /?Sid=REDACTED http/1.0"),
            // HTTP/0.9 has no protocol; a last word that is no protocol may
            // be the rest of a secret.
            (b"GET /p?token=abc", b"GET /p?token=REDACTED"),
            (b"GET /p?token=abc def", b"GET /p?token=REDACTED"),
            (b"GET /search?q=token HTTP/1.1", b"GET /search?q=token HTTP/1.1"),
            (b"OPTIONS * HTTP/1.1", b"OPTIONS * HTTP/1.1"),
            // The target starts after the method's space: a path, whose
            // parameters end at a `/`.
            (
                b"GET /a;sid=x/b?c HTTP/1.1",
                b"GET /a;sid=REDACTED/b?c HTTP/1.1",
            ),
            (b"GET /a;sid=x/b", b"GET /a;sid=REDACTED/b"),
            // A protocol needs a target before it.
            (b"GET HTTP/token=x", b"GET HTTP/token=REDACTED"),
            (
                b"M-SEARCH /?api_key=k HTTP/1.1",
                b"M-SEARCH /?api_key=REDACTED HTTP/1.1",
            ),
            // Absolute URLs and referers, with fragments.
            (
                b"https://example.com/cb#access_token=2YotnFZFEjr1zCsicMWpAA&token_type=example&expires_in=3600",
                b"https://example.com/cb#access_token=REDACTED&token_type=REDACTED&expires_in=3600",
            ),
            (
                b"https://example.com/p?a=1#frag",
                b"https://example.com/p?a=1#frag",
            ),
            (
                b"https://example.com?password=x",
                b"https://example.com?password=REDACTED",
            ),
            (
                b"https://app.example/#/reset?token=abc&x=1",
                b"https://app.example/#/reset?token=REDACTED&x=1",
            ),
            (
                b"https://example.com/login?next=/cb?code=abc",
                b"https://example.com/login?next=/cb?code=REDACTED",
            ),
            (
                b"https://example.com/p?token=a b",
                b"https://example.com/p?token=REDACTED",
            ),
            // A presigned S3 URL.
            (
                b"https://bucket.s3.amazonaws.com/key.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
                  &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request\
                  &X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600\
                  &X-Amz-Security-Token=IQoJb3JpZ2luX2Vj&X-Amz-SignedHeaders=host\
                  &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
                b"https://bucket.s3.amazonaws.com/key.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
                  &X-Amz-Credential=REDACTED\
                  &X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600\
                  &X-Amz-Security-Token=REDACTED&X-Amz-SignedHeaders=host\
                  &X-Amz-Signature=REDACTED",
            ),
            (
                b"/f?AWSAccessKeyId=AKIA&Expires=1&Signature=abc%3D",
                b"/f?AWSAccessKeyId=REDACTED&Expires=1&Signature=REDACTED",
            ),
            (
                b"/c/b.txt?sv=2022-11-02&se=2024&sr=b&sp=r&sig=abc%2Bdef%3D",
                b"/c/b.txt?sv=2022-11-02&se=2024&sr=b&sp=r&sig=REDACTED",
            ),
            // Path parameters.
            (
                b"/cart;jsessionid=0123?item=1",
                b"/cart;jsessionid=REDACTED?item=1",
            ),
            (
                b"/a;jsessionid=X/b;v=1;sid=Y/c",
                b"/a;jsessionid=REDACTED/b;v=1;sid=REDACTED/c",
            ),
            (b"/a;token/b;=x;token=", b"/a;token/b;=x;token="),
            (b"/p;sid=a=b/c", b"/p;sid=REDACTED/c"),
            // Names as logged: escaped, in any case, with `+`.
            (b"/p?%74oken=abc", b"/p?%74oken=REDACTED"),
            (b"/p?TOKEN=abc", b"/p?TOKEN=REDACTED"),
            (b"/p?To%4BeN=abc", b"/p?To%4BeN=REDACTED"),
            (b"/p?client+secret=x", b"/p?client+secret=REDACTED"),
            (b"/p?api+key=x", b"/p?api+key=x"),
            (b"/p?api%5fkey=x", b"/p?api%5fkey=REDACTED"),
            (b"/p?%zztoken=x", b"/p?%zztoken=REDACTED"),
            (b"/p?to%zzken=x&%7=1&%=2", b"/p?to%zzken=x&%7=1&%=2"),
            (b"/p?%2574oken=x", b"/p?%2574oken=x"),
            (b"/p?user_password=x", b"/p?user_password=REDACTED"),
            (b"/p?Passwort=x", b"/p?Passwort=REDACTED"),
            (b"/p?monkey=x&keyword=y&zipcode=z", b"/p?monkey=x&keyword=y&zipcode=z"),
            // A part cut short at the end of a name is no part.
            (
                b"/p?toke=x&my_secre=y&Credentia=z&%74oke=w",
                b"/p?toke=x&my_secre=y&Credentia=z&%74oke=w",
            ),
            (b"/p?SAMLResponse=PHNhbWw", b"/p?SAMLResponse=REDACTED"),
            (
                b"/p?ASP.NET_SessionId=x&connect.sid=s%3Ay",
                b"/p?ASP.NET_SessionId=REDACTED&connect.sid=REDACTED",
            ),
            // Repeated, `;`-separated, odd shapes.
            (b"/p?token=a&token=b", b"/p?token=REDACTED&token=REDACTED"),
            (b"/p?a=1;token=x;b=2", b"/p?a=1;token=REDACTED;b=2"),
            (b"/p?a=1&token", b"/p?a=1&token"),
            (b"/p?a=1&&b=2", b"/p?a=1&&b=2"),
            (b"/p?a=1&&token=2&", b"/p?a=1&&token=REDACTED&"),
            (b"/p?", b"/p?"),
            (b"?", b"?"),
            (b"/p?token=", b"/p?token="),
            (b"/p?token==", b"/p?token=REDACTED"),
            (b"/p?=token", b"/p?=token"),
            (b"/p?token=a=b&c=d", b"/p?token=REDACTED&c=d"),
            (b"/p?token=a/b", b"/p?token=REDACTED"),
            (b"/p#token=x#y", b"/p#token=REDACTED"),
            // Queries alone.
            (b"a=1&password=x", b"a=1&password=REDACTED"),
            (b"?sid=abc", b"?sid=REDACTED"),
            (b"token=", b"token="),
            (b"token=x y", b"token=REDACTED"),
            (b"a=1#token=x", b"a=1#token=REDACTED"),
            (b"token=x?a=1", b"token=REDACTED?a=1"),
            // A query's values may look like paths and URLs.
            (b"next=/home&token=x", b"next=/home&token=REDACTED"),
            (
                b"redirect=https://h/p;a&code=x#sid=y",
                b"redirect=https://h/p;a&code=REDACTED#sid=REDACTED",
            ),
            (b"h/a;sid=y&token=z", b"h/a;sid=REDACTED&token=REDACTED"),
            (b"1http://h/;sid=y&a", b"1http://h/;sid=REDACTED&a"),
            (b"git+ssh://h/p;sid=y&a", b"git+ssh://h/p;sid=REDACTED"),
            (b"s3.x-y://b/k;sid=y/z", b"s3.x-y://b/k;sid=REDACTED/z"),
            (b"a:/b;sid=y/z", b"a:/b;sid=REDACTED"),
            (b"-", b"-"),
            (b"", b""),
            // Bytes that are not UTF-8.
            (b"/p?token=\xff\xfe&a=\xff", b"/p?token=REDACTED&a=\xff"),
            (b"/p?\xfftoken\xfe=x", b"/p?\xfftoken\xfe=REDACTED"),
            (b"/p?%FFtoken=x&%ff=y", b"/p?%FFtoken=REDACTED&%ff=y"),
        ];
        let names = SecretNames::default_list();
        for &(value, expected) in cases {
            let (out, redacted) = redacted(value, &names);
            assert_eq!(
                out.escape_ascii().to_string(),
                expected.escape_ascii().to_string(),
                "{:?}",
                value.escape_ascii().to_string()
            );
            assert_eq!(
                redacted,
                value != expected,
                "{:?}",
                value.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn a_request_lines_query_is_one_whatever_it_starts_with() {
        let names = SecretNames::default_list();
        for (value, expected) in [
            (
                &b"/next&token=x#sid=y"[..],
                &b"/next&token=REDACTED#sid=REDACTED"[..],
            ),
            (
                b"https://h/;sid=y&code=x",
                b"https://h/;sid=REDACTED&code=REDACTED",
            ),
            (b"a=1", b"a=1"),
        ] {
            let mut out = b"kept".to_vec();
            let redacted = redact_query(value, &names, &mut out);
            assert_eq!(out, [&b"kept"[..], expected].concat());
            assert_eq!(redacted, value != expected);
        }
    }

    #[test]
    fn a_replaced_value_that_was_the_marker_still_counts() {
        let names = SecretNames::default_list();
        assert_eq!(
            redacted(b"/p?token=REDACTED", &names),
            (b"/p?token=REDACTED".to_vec(), true)
        );
    }

    /// `name` as a server reads it: `+` a space, `%XX` the byte, lowercase.
    fn naive_decode(name: &[u8]) -> Vec<u8> {
        let mut decoded = Vec::new();
        let mut i = 0;
        while i < name.len() {
            let escape = name
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|hex| u8::from_str_radix(hex, 16).ok());
            match (name[i], escape) {
                (b'+', _) => {
                    decoded.push(b' ');
                    i += 1;
                }
                (b'%', Some(byte)) => {
                    decoded.push(byte);
                    i += 3;
                }
                (byte, _) => {
                    decoded.push(byte);
                    i += 1;
                }
            }
        }
        decoded.to_ascii_lowercase()
    }

    /// The module documentation, followed word by word, one copy at a time.
    struct Oracle {
        names: Vec<Vec<u8>>,
        redacted: bool,
    }

    impl Oracle {
        fn new(extra: &[&str]) -> Oracle {
            let names = DEFAULT_NAMES
                .iter()
                .chain(extra)
                .map(|name| name.to_ascii_lowercase().into_bytes())
                .collect();
            Oracle {
                names,
                redacted: false,
            }
        }

        fn is_secret(&self, name: &[u8]) -> bool {
            let decoded = naive_decode(name);
            !name.is_empty()
                && (self.names.contains(&decoded)
                    || SECRET_PARTS
                        .iter()
                        .any(|part| decoded.windows(part.len()).any(|w| w == part.as_bytes())))
        }

        /// A path or a URL, by its start: `/`, or a scheme and `://`.
        fn is_path(head: &[u8]) -> bool {
            let Some(colon) = head.windows(3).position(|w| w == b"://") else {
                return head.starts_with(b"/");
            };
            head.starts_with(b"/")
                || (head[0].is_ascii_alphabetic()
                    && head[..colon]
                        .iter()
                        .all(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)))
        }

        fn redact(&mut self, value: &[u8]) -> Vec<u8> {
            let words: Vec<&[u8]> = value.split(|&b| b == b' ').collect();
            let method = words[0];
            let is_request = words.len() >= 2
                && !method.is_empty()
                && method
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !is_request {
                return self.target(value);
            }
            let last = words[words.len() - 1];
            let has_protocol = words.len() >= 3 && last.to_ascii_lowercase().starts_with(b"http/");
            let target = if has_protocol {
                words[1..words.len() - 1].join(&b' ')
            } else {
                words[1..].join(&b' ')
            };
            let mut out = method.to_vec();
            out.push(b' ');
            out.extend(self.target(&target));
            if has_protocol {
                out.push(b' ');
                out.extend(last);
            }
            out
        }

        fn target(&mut self, target: &[u8]) -> Vec<u8> {
            let (before_hash, fragment) = split_once(target, b'#');
            let (head, query) = split_once(before_hash, b'?');
            let mut out = if Self::is_path(head) {
                let mut out = self.path(head);
                if let Some(query) = query {
                    out.push(b'?');
                    out.extend(self.query(query));
                }
                out
            } else {
                self.query(before_hash)
            };
            if let Some(fragment) = fragment {
                out.push(b'#');
                out.extend(self.query(fragment));
            }
            out
        }

        fn path(&mut self, path: &[u8]) -> Vec<u8> {
            let mut pieces = path.split(|&b| b == b';');
            let mut out = pieces.next().unwrap().to_vec();
            for piece in pieces {
                out.push(b';');
                let cut = piece
                    .iter()
                    .position(|&b| b == b'/' || b == b' ')
                    .unwrap_or(piece.len());
                out.extend(self.parameter(&piece[..cut]));
                out.extend(&piece[cut..]);
            }
            out
        }

        fn query(&mut self, query: &[u8]) -> Vec<u8> {
            let mut parameters = vec![Vec::new()];
            let mut separators = Vec::new();
            for &b in query {
                if b"&;?".contains(&b) {
                    separators.push(b);
                    parameters.push(Vec::new());
                } else {
                    parameters.last_mut().unwrap().push(b);
                }
            }
            let mut out = Vec::new();
            for (i, parameter) in parameters.iter().enumerate() {
                if i > 0 {
                    out.push(separators[i - 1]);
                }
                out.extend(self.parameter(parameter));
            }
            out
        }

        fn parameter(&mut self, parameter: &[u8]) -> Vec<u8> {
            match split_once(parameter, b'=') {
                (name, Some(value)) if !value.is_empty() && self.is_secret(name) => {
                    self.redacted = true;
                    [name, b"=", MARKER].concat()
                }
                _ => parameter.to_vec(),
            }
        }
    }

    fn split_once(bytes: &[u8], separator: u8) -> (&[u8], Option<&[u8]>) {
        match bytes.iter().position(|&b| b == separator) {
            Some(at) => (&bytes[..at], Some(&bytes[at + 1..])),
            None => (bytes, None),
        }
    }

    /// The pieces tricky values are made of: the bytes that matter here,
    /// names secret or not.
    const PIECES: &[&[u8]] = &[
        b"GET ",
        b"get ",
        b" HTTP/1.1",
        b" ",
        b"http/",
        b"https://h",
        b"/",
        b"?",
        b"#",
        b"&",
        b";",
        b"=",
        b"==",
        b"%",
        b"%74",
        b"%7",
        b"%zz",
        b"+",
        b"token",
        b"toke",
        b"ToKeN",
        b"code",
        b"sid",
        b"passw",
        b"jsessionid",
        b"ticket",
        b"a",
        b"b1",
        b"-",
        b"\xff",
        b"\t",
        b",",
    ];

    fn tricky_value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(select(PIECES), 0..24).prop_map(|pieces| pieces.concat()),
            // Long names, escaped or not.
            (
                "[a-z%+]{0,90}",
                select(&["token", "ToKeN", "%74oken", "pass", "", "ticket"][..]),
                "[a-z%+]{0,8}",
            )
                .prop_map(
                    |(before, name, after)| format!("/p?{before}{name}{after}=v").into_bytes()
                ),
            proptest::collection::vec(any::<u8>(), 0..64),
        ]
    }

    /// A name's bytes in random case, any of them escaped in either case,
    /// as `choices` (one byte a position) decide.
    fn obscure(text: &str, choices: &[u8; 32]) -> String {
        text.bytes()
            .enumerate()
            .map(|(i, b)| {
                let choice = choices[i % 32];
                let b = if choice & 1 == 1 {
                    b.to_ascii_uppercase()
                } else {
                    b
                };
                match (choice & 2 == 2, choice & 4 == 4) {
                    (true, true) => format!("%{b:02x}"),
                    (true, false) => format!("%{b:02X}"),
                    (false, _) => char::from(b).to_string(),
                }
            })
            .collect()
    }

    /// Where a parameter is put.
    #[derive(Clone, Copy, Debug)]
    enum Place {
        Query,
        Fragment,
        Path,
    }

    /// A parameter the attacker's test puts in a value.
    #[derive(Clone, Debug)]
    struct Parameter {
        place: Place,
        name: String,
        /// As written; a secret's is `S3CR37` and a number, unique, and
        /// maybe escaped.
        value: String,
        /// A secret's value as a server reads it.
        secret: Option<String>,
    }

    fn secret_parameter() -> impl Strategy<Value = Parameter> {
        (
            prop_oneof![
                select(DEFAULT_NAMES).prop_map(str::to_owned),
                ("[a-z_]{0,4}", select(SECRET_PARTS), "[a-z_]{0,4}")
                    .prop_map(|(before, part, after)| format!("{before}{part}{after}")),
            ],
            "[A-Za-z0-9]{0,10}",
            any::<[u8; 32]>(),
            any::<[u8; 32]>(),
        )
            .prop_map(|(name, value, name_choices, value_choices)| Parameter {
                place: Place::Query,
                name: obscure(&name, &name_choices),
                value: obscure(&value, &value_choices),
                secret: Some(value),
            })
    }

    fn plain_parameter() -> impl Strategy<Value = Parameter> {
        ("[a-z][a-z0-9]{0,7}", "[A-Za-z0-9._~/:-]{0,8}")
            .prop_filter("a name that is not secret", |(name, _)| {
                !Oracle::new(&[]).is_secret(name.as_bytes())
            })
            .prop_map(|(name, value)| Parameter {
                place: Place::Query,
                name,
                value,
                secret: None,
            })
    }

    /// Parameters placed, secrets given unique values, and the value made
    /// of them in one of the shapes labels hold; and whether it is a query
    /// alone.
    fn attack() -> impl Strategy<Value = (Vec<u8>, Vec<Parameter>, bool)> {
        (
            proptest::collection::vec(
                (
                    prop_oneof![secret_parameter(), plain_parameter()],
                    prop_oneof![Just(Place::Query), Just(Place::Fragment), Just(Place::Path)],
                    1..3usize,
                    any::<bool>(),
                ),
                1..8,
            ),
            0..5u8,
        )
            .prop_map(|(drawn, shape)| {
                let mut parameters = Vec::new();
                for (parameter, place, repeats, semicolon) in drawn {
                    for _ in 0..repeats {
                        let mut parameter = parameter.clone();
                        parameter.place = place;
                        if let Some(secret) = &mut parameter.secret {
                            let unique = format!("S3CR37{}X{secret}", parameters.len());
                            parameter.value =
                                format!("S3CR37{}X{}", parameters.len(), parameter.value);
                            *secret = unique;
                        }
                        parameters.push((parameter, if semicolon { ";" } else { "&" }));
                    }
                }
                let join = |place: fn(Place) -> bool| {
                    let mut joined = String::new();
                    for (parameter, separator) in parameters.iter().filter(|(p, _)| place(p.place))
                    {
                        if !joined.is_empty() {
                            joined.push_str(separator);
                        }
                        joined.push_str(&format!("{}={}", parameter.name, parameter.value));
                    }
                    joined
                };
                let query = join(|place| matches!(place, Place::Query));
                let fragment = join(|place| matches!(place, Place::Fragment));
                let path: String = parameters
                    .iter()
                    .filter(|(p, _)| matches!(p.place, Place::Path))
                    .map(|(p, _)| format!("/seg;{}={}", p.name, p.value))
                    .chain(["/end".to_owned()])
                    .collect();
                let target = format!("{path}?{query}#{fragment}");
                let value = match shape {
                    0 => format!("GET {target} HTTP/1.1"),
                    1 => format!("https://example.com{target}"),
                    2 => target,
                    // Path parameters are query parameters in a query alone.
                    3 => format!(
                        "{query}&{}#{fragment}",
                        path.replace("/seg;", "&").replace("/end", "")
                    ),
                    _ => format!(
                        "?{query}&{}#{fragment}",
                        path.replace("/seg;", "&").replace("/end", "")
                    ),
                };
                (
                    value.into_bytes(),
                    parameters.into_iter().map(|(p, _)| p).collect(),
                    shape >= 3,
                )
            })
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

        /// `redact` is the module documentation followed word by word.
        #[test]
        fn agrees_with_a_naive_oracle(value in tricky_value(), extra in any::<bool>()) {
            let extra: &[&str] = if extra { &["b1", "Ticket"] } else { &[] };
            let mut oracle = Oracle::new(extra);
            let expected = oracle.redact(&value);
            let (out, redacted) = redacted(&value, &SecretNames::with(extra.iter().map(|e| e.as_bytes())));
            prop_assert_eq!(
                out.escape_ascii().to_string(),
                expected.escape_ascii().to_string(),
                "{:?}", value.escape_ascii().to_string()
            );
            prop_assert_eq!(redacted, oracle.redacted);
        }

        /// Whatever the names look like as logged, no secret value gets
        /// through, as written or as decoded, and every other parameter
        /// stays as it was.
        #[test]
        fn no_secret_gets_through((value, parameters, alone) in attack(), as_query in any::<bool>()) {
            let names = SecretNames::default_list();
            let out = if alone && as_query {
                let mut out = Vec::new();
                redact_query(&value, &names, &mut out);
                out
            } else {
                redacted(&value, &names).0
            };
            for parameter in &parameters {
                match &parameter.secret {
                    Some(secret) => {
                        prop_assert!(
                            !contains(&out, parameter.value.as_bytes()) && !contains(&out, secret.as_bytes()),
                            "{:?} in {:?}", parameter, String::from_utf8_lossy(&out)
                        );
                    }
                    None => {
                        let kept = format!("{}={}", parameter.name, parameter.value);
                        prop_assert!(
                            contains(&out, kept.as_bytes()),
                            "{:?} in {:?}", kept, String::from_utf8_lossy(&out)
                        );
                    }
                }
            }
        }
    }
}
