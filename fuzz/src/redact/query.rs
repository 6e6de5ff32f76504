//! The query rule, written again from its documentation: where a value's
//! parameters are, which names are secret, and the check that no secret
//! value is left in a request part.

use firehose_ltsv::{SECRET_PARAMETERS, SECRET_PARTS};

/// What replaces a secret parameter's value, and an address that is none.
pub(super) const MARKER: &[u8] = b"REDACTED";

/// Whether a parameter name, as logged, is secret: read with `+` as a
/// space, `%XX` decoded (an invalid escape as it is) and ASCII letters
/// lowercased, it is a default name or one of `extra`, or holds a secret
/// part. An empty name is not secret.
fn is_secret(name: &[u8], extra: &[&str]) -> bool {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut decoded = Vec::new();
    let mut i = 0;
    while i < name.len() {
        let byte = match name[i] {
            b'+' => b' ',
            b'%' => match (
                name.get(i + 1).and_then(|&b| hex(b)),
                name.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(high), Some(low)) => {
                    i += 2;
                    (high * 16 + low) as u8
                }
                _ => b'%',
            },
            other => other,
        };
        decoded.push(byte.to_ascii_lowercase());
        i += 1;
    }
    !decoded.is_empty()
        && (SECRET_PARAMETERS
            .iter()
            .chain(extra)
            .any(|n| n.as_bytes() == decoded)
            || SECRET_PARTS
                .iter()
                .any(|part| decoded.windows(part.len()).any(|w| w == part.as_bytes())))
}

/// Where the values of secret parameters are in `value[start..end]`, a
/// query or fragment: parameters separated by `&`, `;` and `?`.
fn query_values(
    value: &[u8],
    start: usize,
    end: usize,
    extra: &[&str],
    out: &mut Vec<(usize, usize)>,
) {
    let mut from = start;
    for at in start..=end {
        if at == end || matches!(value[at], b'&' | b';' | b'?') {
            parameter(value, from, at, extra, out);
            from = at + 1;
        }
    }
}

/// The same for the `;name=value` parameters of the path in
/// `value[start..end]`, each ending at a `;`, `/` or space.
fn path_values(
    value: &[u8],
    start: usize,
    end: usize,
    extra: &[&str],
    out: &mut Vec<(usize, usize)>,
) {
    let path = &value[start..end];
    for (at, _) in path.iter().enumerate().filter(|&(_, &b)| b == b';') {
        let from = start + at + 1;
        let to = value[from..end]
            .iter()
            .position(|&b| matches!(b, b';' | b'/' | b' '))
            .map_or(end, |n| from + n);
        parameter(value, from, to, extra, out);
    }
}

/// The value of the parameter `value[start..end]`, if it is secret and not
/// empty.
fn parameter(
    value: &[u8],
    start: usize,
    end: usize,
    extra: &[&str],
    out: &mut Vec<(usize, usize)>,
) {
    let parameter = &value[start..end];
    if let Some(equals) = parameter.iter().position(|&b| b == b'=')
        && equals + 1 < parameter.len()
        && is_secret(&parameter[..equals], extra)
    {
        out.push((start + equals + 1, end));
    }
}

/// `value` with each secret parameter's value replaced by the marker: in a
/// request line (a method of letters, digits, `-`, `_`, `.`, a space, the
/// target, and a space and a protocol when the last word starts with
/// `HTTP/`), its target; otherwise the whole value, as the target. The
/// target's query (after its first `?`, to its first `#`) and fragment
/// hold parameters; so does its path (`;name=value`), unless the target
/// before any `?` or `#` is not a path or URL ([`is_path`]), or `as_query`,
/// when it is a query as a whole.
pub(super) fn query(value: &[u8], extra: &[&str], as_query: bool) -> Vec<u8> {
    let (start, end) = target(value);
    let hash = value[start..end]
        .iter()
        .position(|&b| b == b'#')
        .map(|at| start + at);
    let query_end = hash.unwrap_or(end);
    let question = value[start..query_end]
        .iter()
        .position(|&b| b == b'?')
        .map_or(query_end, |at| start + at);
    let mut secrets = Vec::new();
    if !as_query && is_path(&value[start..question]) {
        path_values(value, start, question, extra, &mut secrets);
        if question < query_end {
            query_values(value, question + 1, query_end, extra, &mut secrets);
        }
    } else {
        query_values(value, start, query_end, extra, &mut secrets);
    }
    if let Some(hash) = hash {
        query_values(value, hash + 1, end, extra, &mut secrets);
    }
    let mut out = Vec::new();
    let mut copied = 0;
    for (from, to) in secrets {
        out.extend_from_slice(&value[copied..from]);
        out.extend_from_slice(MARKER);
        copied = to;
    }
    out.extend_from_slice(&value[copied..]);
    out
}

/// Where a request line's target is in `value`; all of it when it is not a
/// request line.
pub(super) fn target(value: &[u8]) -> (usize, usize) {
    let words: Vec<&[u8]> = value.split(|&b| b == b' ').collect();
    let method = words[0];
    let is_method = words.len() > 1
        && !method.is_empty()
        && method
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !is_method {
        return (0, value.len());
    }
    let start = method.len() + 1;
    let last = words[words.len() - 1];
    let protocol = words.len() > 2 && last.len() >= 5 && last[..5].eq_ignore_ascii_case(b"HTTP/");
    match protocol {
        true => (start, value.len() - last.len() - 1),
        false => (start, value.len()),
    }
}

/// Whether a target, up to its first `?` or `#`, is a path or a URL: it
/// starts with `/`, or with a scheme (a letter, then letters, digits, `+`,
/// `-`, `.`) followed by `://`.
fn is_path(start: &[u8]) -> bool {
    if start.first() == Some(&b'/') {
        return true;
    }
    let Some(colon) = start.windows(3).position(|w| w == b"://") else {
        return false;
    };
    let scheme = &start[..colon];
    scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

/// What a request part is.
#[derive(Clone, Copy)]
pub(super) enum Part {
    /// A path, up to a `#` and the fragment after it.
    Path,
    /// A query, up to a `#` and the fragment after it.
    Query,
}

/// Checks that no secret parameter in `part` has a value but the marker.
pub(super) fn check_no_secret_value(part: &[u8], kind: Part, extra: &[&str]) {
    let mut secrets = Vec::new();
    let hash = part.iter().position(|&b| b == b'#');
    let (before, fragment) = match hash {
        Some(hash) => (hash, Some(hash + 1)),
        None => (part.len(), None),
    };
    match kind {
        // Unless it starts as a path or a URL, what comes before a `?` is
        // a query too.
        Part::Path if is_path(part.split(|&b| b == b'?' || b == b'#').next().unwrap()) => {
            path_values(part, 0, before, extra, &mut secrets)
        }
        Part::Path | Part::Query => query_values(part, 0, before, extra, &mut secrets),
    }
    if let Some(start) = fragment {
        query_values(part, start, part.len(), extra, &mut secrets);
    }
    for (from, to) in secrets {
        assert_eq!(
            &part[from..to],
            MARKER,
            "a secret value left in the request part {}",
            part.escape_ascii()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_examples() {
        let q = |value: &str| String::from_utf8(query(value.as_bytes(), &[], false)).unwrap();
        assert_eq!(
            q("GET /login?user=alice&password=hunter2 HTTP/1.1"),
            "GET /login?user=alice&password=REDACTED HTTP/1.1"
        );
        assert_eq!(q("GET /p?token=abc def"), "GET /p?token=REDACTED");
        assert_eq!(
            q("/a;jsessionid=X/b;v=1;sid=Y/c"),
            "/a;jsessionid=REDACTED/b;v=1;sid=REDACTED/c"
        );
        assert_eq!(
            q("https://app.example/#/reset?token=abc&x=1"),
            "https://app.example/#/reset?token=REDACTED&x=1"
        );
        assert_eq!(
            q("/p?%74oken=abc&%2574oken=x&api+key=y"),
            "/p?%74oken=REDACTED&%2574oken=x&api+key=y"
        );
        assert_eq!(q("token=x?a=1"), "token=REDACTED?a=1");
        assert_eq!(q("next=/home&token=x"), "next=/home&token=REDACTED");
        assert_eq!(
            q("u=https://h/&code=x#a;sid=y"),
            "u=https://h/&code=REDACTED#a;sid=REDACTED"
        );
        assert_eq!(q("x-1.a+b://h/p;sid=y&z"), "x-1.a+b://h/p;sid=REDACTED");
        let as_query = |value: &str| String::from_utf8(query(value.as_bytes(), &[], true)).unwrap();
        assert_eq!(as_query("/next&token=x"), "/next&token=REDACTED");
        assert!(is_path(b"/") && is_path(b"s3://b") && !is_path(b"1a://b") && !is_path(b"a=b://"));
    }
}
