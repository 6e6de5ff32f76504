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
//! rules, and each is decoded and redacted by the request line's rule, the
//! query read as a query whatever it starts with.

mod ip;
mod query;

use hmac::{Hmac, KeyInit, Mac};
use ltsv_oracle::{
    Object, Settings, Unescape, as_text, distinct, line_fields, split_request, unescape,
    unescape_json,
};
use serde_json::Value;
use sha2::Sha256;

use ip::truncate;
use query::{Part, check_no_secret_value, query, target};

/// `LTSV_REDACT_KEY` whenever a rule is picked: 36 bytes.
pub(crate) const KEY: &str = "fuzz-pseudonym-key-0123456789abcdefg";

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
        parts
            .iter()
            .map(|(key, _)| {
                let at = ["method", "path", "query", "protocol"]
                    .iter()
                    .position(|name| name == key)
                    .unwrap_or_else(|| panic!("{key} is no request part"));
                let value = match split.and_then(|split| split[at]) {
                    Some(part) => {
                        // The query is one whatever it starts with.
                        let out = query(&text(settings.unescape, part), extra, at == 2);
                        // Each part is read alone: the query's first `#`
                        // starts its fragment even where the path held one.
                        match at {
                            1 => check_no_secret_value(&out, Part::Path, extra),
                            2 => check_no_secret_value(&out, Part::Query, extra),
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
            let out = query(&text, extra, false);
            // Nothing the rule would redact is left; unless the value a
            // secret parameter held ran to the end of a request line and
            // took a space with it, so that the last word is now the
            // protocol and the target ends elsewhere.
            let protocol = |value: &[u8]| target(value).1 < value.len();
            if protocol(&text) == protocol(&out) {
                assert_eq!(
                    query(&out, extra, false).escape_ascii().to_string(),
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
    fn a_pseudonym_is_128_bits_in_hex() {
        assert_eq!(pseudonym(b"").len(), 32);
        assert!(pseudonym(b"x").iter().all(u8::is_ascii_hexdigit));
    }
}
