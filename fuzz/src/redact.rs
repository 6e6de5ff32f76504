//! `LTSV_REDACT` as the settings bytes pick it, and what its rules make of
//! the objects the conversion rules expect: written again from the rules
//! as documented (`LTSV_REDACT` in docs/configuration.md, and the rules'
//! own documentation in the crate's `values::redact` modules), apart from
//! the crate's code.
//!
//! A redacted label's value is decoded as `LTSV_UNESCAPE` says (even where
//! that is not UTF-8, so that no escape hides a secret from the rule), then
//! redacted; a null value stays null; a dropped label is left out. The
//! request line's parts are split from the line as logged, as without
//! rules, and each is decoded and redacted by the request line's rule.

use hmac::{Hmac, KeyInit, Mac};
use ltsv_oracle::{
    Object, Settings, Unescape, as_text, distinct, line_fields, unescape, unescape_json,
};
use serde_json::Value;
use sha2::Sha256;

/// `LTSV_REDACT_KEY` whenever a rule is picked: 36 bytes.
pub(crate) const KEY: &str = "fuzz-pseudonym-key-0123456789abcdefg";

/// What replaces a secret parameter's value.
const MARKER: &[u8] = b"REDACTED";

/// The parameter names whose values are secret by default, lowercase: the
/// query rule's documented list.
const DEFAULT_NAMES: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "code",
    "auth",
    "authorization",
    "bearer",
    "jwt",
    "api_key",
    "apikey",
    "api-key",
    "x-api-key",
    "key",
    "private_key",
    "privatekey",
    "otp",
    "reset_token",
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
    "signature",
    "sig",
    "awsaccesskeyid",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
    "samlresponse",
];

/// Parts that make any name holding them secret, lowercase.
const SECRET_PARTS: &[&str] = &["passw", "secret", "token", "signature", "credential"];

/// One rule of `LTSV_REDACT`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Rule {
    /// `query`, with these names added to the defaults (`query+NAME`).
    Query(&'static [&'static str]),
    /// `ip/V4/V6`.
    Ip(u8, u8),
    /// `hmac`.
    Hmac,
    /// `drop`.
    Drop,
}

/// The prefix lengths of `forwardedfor`'s `ip` rule, by first-byte bits
/// 0–1: the default written out, none kept, whole addresses, and lengths
/// that cut inside a byte and a group.
const FORWARDED_PREFIXES: [(u8, u8); 4] = [(24, 48), (0, 0), (32, 128), (13, 61)];

/// The rules picked, each with its label and its text in `LTSV_REDACT`.
#[derive(Clone, Debug, Default)]
pub struct Redact {
    rules: Vec<(&'static str, String, Rule)>,
}

impl Redact {
    /// The rules second-byte bits 6 (`query` on `req`, `query+q+state` on
    /// `referer`) and 7 (`ip` on `host`, `ip/V4/V6` on `forwardedfor` with
    /// [`FORWARDED_PREFIXES`] by first-byte bits 0–1, `hmac` on `ua`,
    /// `drop` on `cache`) pick, each only for a label `declared` says the
    /// log format has.
    pub(crate) fn pick(first: u8, second: u8, declared: impl Fn(&str) -> bool) -> Redact {
        let (v4, v6) = FORWARDED_PREFIXES[usize::from(first & 3)];
        let mut candidates = Vec::new();
        if second & 0x40 != 0 {
            candidates.push(("req", "query".to_owned(), Rule::Query(&[])));
            candidates.push((
                "referer",
                "query+q+State".to_owned(),
                Rule::Query(&["q", "state"]),
            ));
        }
        if second & 0x80 != 0 {
            candidates.push(("host", "ip".to_owned(), Rule::Ip(24, 48)));
            candidates.push(("forwardedfor", format!("ip/{v4}/{v6}"), Rule::Ip(v4, v6)));
            candidates.push(("ua", "hmac".to_owned(), Rule::Hmac));
            candidates.push(("cache", "drop".to_owned(), Rule::Drop));
        }
        Redact {
            rules: candidates
                .into_iter()
                .filter(|(label, _, _)| declared(label))
                .collect(),
        }
    }

    /// Whether no rule is picked.
    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// `LTSV_REDACT`'s value.
    pub(crate) fn setting(&self) -> String {
        let entries: Vec<String> = self
            .rules
            .iter()
            .map(|(label, rule, _)| format!("{label}:{rule}"))
            .collect();
        entries.join(",")
    }

    fn rule(&self, label: &[u8]) -> Option<Rule> {
        self.rules
            .iter()
            .find(|(name, _, _)| name.as_bytes() == label)
            .map(|&(_, _, rule)| rule)
    }

    /// What `line`, which the conversion rules write as `members`, must be
    /// written as with these rules.
    pub(crate) fn expected(
        &self,
        settings: &Settings,
        members: &[(String, Value)],
        line: &[u8],
    ) -> Object {
        if self.rules.is_empty() {
            return members.to_vec();
        }
        let fields = line_fields(line, settings.any_labels)
            .unwrap_or_else(|_| panic!("a line written has fields: {}", line.escape_ascii()));
        let fields = distinct(&fields);
        assert!(members.len() >= fields.len(), "a member for each label");
        let mut object = Vec::new();
        for (member, &(label, logged)) in members.iter().zip(&fields) {
            assert_eq!(member.0, as_text(label), "members in the labels' order");
            match self.rule(label) {
                None => object.push(member.clone()),
                Some(Rule::Drop) => {}
                Some(rule) => object.push((member.0.clone(), redacted(settings, rule, logged))),
            }
        }
        let parts = &members[fields.len()..];
        object.extend(self.request_parts(settings, &fields, parts));
        object
    }

    /// The request line's parts, which the conversion rules expect as
    /// `parts`: split from the request line as it is logged, as without
    /// rules, then each decoded and redacted by the request line's rule.
    fn request_parts(
        &self,
        settings: &Settings,
        fields: &[(&[u8], &[u8])],
        parts: &[(String, Value)],
    ) -> Object {
        let request = settings.split_request.as_deref().and_then(|label| {
            let rule = self.rule(label)?;
            let (_, logged) = fields.iter().find(|(l, _)| *l == label)?;
            (!settings.is_null(logged)).then_some((rule, *logged))
        });
        let Some((Rule::Query(extra), logged)) = request else {
            return parts.to_vec();
        };
        let split = split_request(logged);
        let path_has_fragment = split
            .and_then(|split| split[1])
            .is_some_and(|path| text(settings.unescape, path).contains(&b'#'));
        parts
            .iter()
            .map(|(key, _)| {
                let at = ["method", "path", "query", "protocol"]
                    .iter()
                    .position(|name| name == key)
                    .unwrap_or_else(|| panic!("{key} is no request part"));
                let value = match split.and_then(|split| split[at]) {
                    Some(part) => {
                        let out = query(&text(settings.unescape, part), extra);
                        match (at, path_has_fragment) {
                            (1, _) => check_no_secret_value(&out, Part::Path, extra),
                            // A query after a `#` is all fragment.
                            (2, true) => check_no_secret_value(&out, Part::Fragment, extra),
                            (2, false) => check_no_secret_value(&out, Part::Query, extra),
                            _ => {}
                        }
                        Value::String(as_text(&out))
                    }
                    None => Value::Null,
                };
                (key.clone(), value)
            })
            .collect()
    }
}

/// What `rule` makes of the value `logged`.
fn redacted(settings: &Settings, rule: Rule, logged: &[u8]) -> Value {
    if settings.is_null(logged) {
        return Value::Null;
    }
    let text = text(settings.unescape, logged);
    let out = match rule {
        Rule::Query(extra) => {
            let out = query(&text, extra);
            // Nothing the rule would redact is left; unless the value a
            // secret parameter held ran to the end of a request line and
            // took a space with it, so that the last word is now the
            // protocol and the target ends elsewhere.
            let protocol = |value: &[u8]| target(value).1 < value.len();
            if protocol(&text) == protocol(&out) {
                assert_eq!(
                    query(&out, extra).escape_ascii().to_string(),
                    out.escape_ascii().to_string(),
                    "redacting {} again changes it",
                    text.escape_ascii()
                );
            }
            out
        }
        Rule::Ip(v4, v6) => truncate(&text, v4, v6),
        Rule::Hmac => pseudonym(&text),
        Rule::Drop => unreachable!("a dropped label has no value"),
    };
    Value::String(as_text(&out))
}

/// A value's bytes decoded as `LTSV_UNESCAPE` says.
fn text(unescaping: Unescape, logged: &[u8]) -> Vec<u8> {
    match unescaping {
        Unescape::Off => logged.to_vec(),
        Unescape::Escapes => unescape(logged),
        Unescape::Json => unescape_json(logged),
    }
}

/// The method, path, query and protocol of a request line of three
/// non-empty words separated by single spaces, the query after the
/// target's first `?`.
fn split_request(line: &[u8]) -> Option<[Option<&[u8]>; 4]> {
    let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    match words[..] {
        [method, target, protocol]
            if !method.is_empty() && !target.is_empty() && !protocol.is_empty() =>
        {
            let (path, query) = match target.iter().position(|&b| b == b'?') {
                Some(q) => (&target[..q], Some(&target[q + 1..])),
                None => (target, None),
            };
            Some([Some(method), Some(path), query, Some(protocol)])
        }
        _ => None,
    }
}

// --- query -----------------------------------------------------------------------

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
        && (DEFAULT_NAMES
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
/// before any `?` or `#` has no `/`, when it is a query as a whole.
fn query(value: &[u8], extra: &[&str]) -> Vec<u8> {
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
    if value[start..question].contains(&b'/') {
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
fn target(value: &[u8]) -> (usize, usize) {
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

/// What a request part is.
#[derive(Clone, Copy)]
enum Part {
    /// A path, up to a `#` and the fragment after it.
    Path,
    /// A query, up to a `#` and the fragment after it.
    Query,
    /// A fragment.
    Fragment,
}

/// Checks that no secret parameter in `part` has a value but the marker.
fn check_no_secret_value(part: &[u8], kind: Part, extra: &[&str]) {
    let mut secrets = Vec::new();
    let hash = part.iter().position(|&b| b == b'#');
    let (before, fragment) = match (kind, hash) {
        (Part::Fragment, _) => (0, Some(0)),
        (_, Some(hash)) => (hash, Some(hash + 1)),
        (_, None) => (part.len(), None),
    };
    match kind {
        // Without a `/`, what comes before a `?` is a query too.
        Part::Path if part[..before].contains(&b'/') => {
            path_values(part, 0, before, extra, &mut secrets)
        }
        Part::Path | Part::Query => query_values(part, 0, before, extra, &mut secrets),
        Part::Fragment => {}
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

// --- ip ------------------------------------------------------------------------

/// `value`, a `,`-separated list, with each item's address truncated: the
/// blanks (spaces, TABs) around items, a `for=` (any case) and quotes
/// kept; `-`, `unknown` and obfuscated nodes kept; addresses, their ports
/// and zones dropped and IPv4-mapped ones read as IPv4, truncated to
/// /`v4` or /`v6`; anything else `REDACTED`.
fn truncate(value: &[u8], v4: u8, v6: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, item) in value.split(|&b| b == b',').enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let blank = |b: &u8| matches!(b, b' ' | b'\t');
        let start = item.iter().position(|b| !blank(b)).unwrap_or(item.len());
        let end = item
            .iter()
            .rposition(|b| !blank(b))
            .map_or(start, |last| last + 1);
        out.extend_from_slice(&item[..start]);
        let element = &item[start..end];
        if element.is_empty() {
            out.extend_from_slice(&item[end..]);
            continue;
        }
        let (name, node) = match element.get(..4) {
            Some(name) if name.eq_ignore_ascii_case(b"for=") => element.split_at(4),
            _ => (&[][..], element),
        };
        out.extend_from_slice(name);
        match node {
            [b'"', quoted @ .., b'"'] => {
                out.push(b'"');
                out.extend(network(quoted, v4, v6));
                out.push(b'"');
            }
            _ => out.extend(network(node, v4, v6)),
        }
        out.extend_from_slice(&item[end..]);
    }
    out
}

/// `text` read by std's strict parser.
fn parse<T: std::str::FromStr>(text: &[u8]) -> Option<T> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// What a node becomes.
fn network(node: &[u8], v4: u8, v6: u8) -> Vec<u8> {
    let obfuscated = |text: &[u8]| {
        text.len() > 1
            && text[0] == b'_'
            && text[1..]
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    let port = |text: &[u8]| {
        ((1..=5).contains(&text.len()) && text.iter().all(u8::is_ascii_digit)) || obfuscated(text)
    };
    let (name, node_port) = match node.iter().position(|&b| b == b':') {
        Some(colon) => (&node[..colon], Some(&node[colon + 1..])),
        None => (node, None),
    };
    let anonymous =
        (name.eq_ignore_ascii_case(b"unknown") || obfuscated(name)) && node_port.is_none_or(port);
    if node == b"-" || anonymous {
        return node.to_vec();
    }
    let v6_address = |text: &[u8]| -> Option<std::net::IpAddr> {
        let text = text.split(|&b| b == b'%').next().unwrap_or_default();
        let address: std::net::Ipv6Addr = parse(text)?;
        Some(match address.to_ipv4_mapped() {
            Some(mapped) => mapped.into(),
            None => address.into(),
        })
    };
    let colons = node.iter().filter(|&&b| b == b':').count();
    let address = match node {
        [b'[', rest @ ..] => rest.iter().position(|&b| b == b']').and_then(|close| {
            let after = &rest[close + 1..];
            let fine = after.is_empty() || after.strip_prefix(b":").is_some_and(port);
            v6_address(&rest[..close]).filter(|_| fine)
        }),
        _ if colons == 0 => parse(node).map(std::net::IpAddr::V4),
        _ if colons == 1 => node_port
            .filter(|p| port(p))
            .and_then(|_| parse(name).map(std::net::IpAddr::V4)),
        _ => v6_address(node),
    };
    match address {
        Some(std::net::IpAddr::V4(address)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(v4)).unwrap_or(0);
            std::net::Ipv4Addr::from_bits(address.to_bits() & mask)
                .to_string()
                .into_bytes()
        }
        Some(std::net::IpAddr::V6(address)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(v6)).unwrap_or(0);
            std::net::Ipv6Addr::from_bits(address.to_bits() & mask)
                .to_string()
                .into_bytes()
        }
        None => MARKER.to_vec(),
    }
}

// --- hmac ------------------------------------------------------------------------

/// The first 128 bits of HMAC-SHA-256([`KEY`], `value`), in lowercase hex.
fn pseudonym(value: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(KEY.as_bytes()).expect("any key");
    mac.update(value);
    let digest = mac.finalize().into_bytes();
    digest[..16]
        .iter()
        .flat_map(|b| format!("{b:02x}").into_bytes())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_examples() {
        let q = |value: &str| String::from_utf8(query(value.as_bytes(), &[])).unwrap();
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
        let ip =
            |value: &str, v4, v6| String::from_utf8(truncate(value.as_bytes(), v4, v6)).unwrap();
        assert_eq!(
            ip(
                "203.0.113.195, 2001:db8:85a3:8d3:1319:8a2e:370:7348, 150.172.238.178",
                24,
                48
            ),
            "203.0.113.0, 2001:db8:85a3::, 150.172.238.0"
        );
        assert_eq!(
            ip("For=\"[2001:db8:cafe::17]:4711\"", 24, 48),
            "For=\"2001:db8:cafe::\""
        );
        assert_eq!(
            ip("[fe80::1%25eth0]:8080,::ffff:192.0.2.77", 24, 48),
            "fe80::,192.0.2.0"
        );
        assert_eq!(
            ip("\"unknown:4711\",_hidden, -,host.example,\"", 24, 48),
            "\"unknown:4711\",_hidden, -,REDACTED,REDACTED"
        );
        assert_eq!(ip("192.0.2.77:5123 ,\t", 13, 61), "192.0.0.0 ,\t");
        assert_eq!(
            ip("for=,\"\",for=\"\"", 24, 48),
            "for=REDACTED,\"REDACTED\",for=\"REDACTED\""
        );
        assert_eq!(pseudonym(b"").len(), 32);
    }
}
