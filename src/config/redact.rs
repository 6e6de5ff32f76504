//! `LTSV_REDACT`: what is done to the values of some labels before they
//! land, each rule checked against the other settings; and the key keyed
//! pseudonyms are made with (`LTSV_REDACT_KEY`).

use crate::config::format::LogFormat;
use crate::config::read::{Given, check_declared, check_label};
use crate::config::rules::PartitionKey;
use crate::error::Error;
use crate::parse::ltsv::LabelSyntax;
use crate::values::redact::Redaction;
use crate::values::redact::ip::Prefixes;
use crate::values::redact::names::SecretNames;
use crate::values::redact::pseudonym::{MIN_KEY_BYTES, PseudonymKey};
use crate::values::request::REQUEST_PARTS;
use crate::values::types::Type;

/// The rules, for messages.
const RULES: &str = "ip, ip/V4/V6, query, query+NAME+..., hmac, drop";

/// Each `label:rule` entry of `setting`, in order.
pub(super) fn parse_redactions(
    setting: &Given,
    syntax: LabelSyntax,
) -> Result<Vec<(Vec<u8>, Redaction)>, Error> {
    let mut rules: Vec<(Vec<u8>, Redaction)> = Vec::new();
    for entry in setting.list() {
        if entry.is_empty() {
            return Err(setting.error("empty entry (a stray comma?)"));
        }
        let Some((label, rule)) = entry.rsplit_once(':') else {
            return Err(setting.error(format!(
                "entry {entry:?} is not label:rule (rules: {RULES})"
            )));
        };
        let (label, rule) = (label.trim(), rule.trim());
        check_label(setting, label, syntax)?;
        let redaction = parse_rule(setting, label, rule)?;
        if rules.iter().any(|(other, _)| other == label.as_bytes()) {
            return Err(setting.error(format!("label {label:?} has two rules")));
        }
        rules.push((label.as_bytes().to_vec(), redaction));
    }
    Ok(rules)
}

fn parse_rule(setting: &Given, label: &str, rule: &str) -> Result<Redaction, Error> {
    let (name, rest) = rule
        .find(['/', '+'])
        .map_or((rule, ""), |at| rule.split_at(at));
    match (name, rest) {
        ("ip", rest) if rest.is_empty() || rest.starts_with('/') => {
            let mut prefixes = Prefixes::DEFAULT;
            let mut lengths = rest.split('/').skip(1);
            if let Some(v4) = lengths.next() {
                prefixes.v4 = prefix(setting, rule, v4, 32, "IPv4")?;
            }
            if let Some(v6) = lengths.next() {
                prefixes.v6 = prefix(setting, rule, v6, 128, "IPv6")?;
            }
            if lengths.next().is_some() {
                return Err(setting.error(format!(
                    "{rule}: an ip rule takes an IPv4 and an IPv6 prefix, as ip/24/48"
                )));
            }
            Ok(Redaction::Ip(prefixes))
        }
        ("query", rest) if rest.is_empty() || rest.starts_with('+') => {
            let extra: Vec<Vec<u8>> = rest
                .split('+')
                .skip(1)
                .map(|name| name.trim().as_bytes().to_ascii_lowercase())
                .collect();
            if extra.iter().any(Vec::is_empty) {
                return Err(setting.error(format!("{rule}: an empty parameter name")));
            }
            Ok(Redaction::Query(match extra.is_empty() {
                true => SecretNames::default_list(),
                false => SecretNames::with(extra),
            }))
        }
        ("hmac", "") => Ok(Redaction::Pseudonym),
        ("drop", "") => Ok(Redaction::Drop),
        _ => Err(setting.error(format!(
            "{rule:?} is not a rule for label {label:?} (rules: {RULES})"
        ))),
    }
}

/// A prefix length of at most `max` bits.
fn prefix(setting: &Given, rule: &str, text: &str, max: u8, family: &str) -> Result<u8, Error> {
    text.parse::<u8>()
        .ok()
        .filter(|&bits| bits <= max)
        .ok_or_else(|| setting.error(format!("{rule}: an {family} prefix is 0 to {max} bits")))
}

/// The other settings the rules meet.
pub(super) struct Context<'a> {
    pub(super) format: Option<&'a LogFormat>,
    pub(super) types: &'a [(Vec<u8>, Type)],
    pub(super) time_label: Option<&'a [u8]>,
    pub(super) split_request: Option<&'a [u8]>,
    pub(super) partition_keys: &'a [PartitionKey],
}

/// Checks the rules against the other settings: each names a label the
/// log format has (or, when request lines are split, a request part), of
/// text unless it is dropped; no rule leaves a way around it (the event
/// time, a partition key, the request line split into parts); and
/// pseudonyms have a key. Returns the key, if `key` holds one.
pub(super) fn check_redactions(
    setting: &Given,
    rules: &[(Vec<u8>, Redaction)],
    context: &Context,
    key: &Given,
) -> Result<Option<PseudonymKey>, Error> {
    for (label, redaction) in rules {
        let text = String::from_utf8_lossy(label);
        let part = context.split_request.is_some() && REQUEST_PARTS.contains(&&*text);
        if !part {
            check_declared(setting, &text, context.format)?;
        }
        if context.time_label == Some(label) {
            return Err(setting.error(format!(
                "label {text:?} is the event time, which files each line: it cannot be redacted"
            )));
        }
        let ty = context.types.iter().find(|(typed, _)| typed == label);
        let typed = ty.filter(|(_, ty)| *ty != Type::String);
        if let Some((_, ty)) = typed.filter(|_| *redaction != Redaction::Drop) {
            return Err(setting.error(format!(
                "label {text:?} is of type {ty}: only text is redacted (make it string in LTSV_TYPES, or drop it)"
            )));
        }
        let keyed = context.partition_keys.iter().any(|key| match key {
            PartitionKey::Label(keyed) => keyed.as_bytes() == label.as_slice(),
            _ => false,
        });
        if keyed {
            return Err(setting.error(format!(
                "label {text:?} is a partition key (PARTITION_KEYS): its values would be in the S3 keys as logged"
            )));
        }
        let split = context.split_request == Some(label.as_slice());
        if split && !matches!(redaction, Redaction::Query(_)) {
            return Err(setting.error(format!(
                "label {text:?} is the request line LTSV_SPLIT_REQUEST splits: only its query can be redacted ({text}:query)"
            )));
        }
    }
    let pseudonym_key = match key.value.as_str() {
        "" => None,
        secret => Some(PseudonymKey::new(secret.as_bytes()).ok_or_else(|| {
            key.error(format!(
                "a key of {} bytes is too short: at least {MIN_KEY_BYTES}",
                secret.len()
            ))
        })?),
    };
    let hashed = rules.iter().find(|(_, r)| *r == Redaction::Pseudonym);
    if let (Some((label, _)), None) = (hashed, &pseudonym_key) {
        return Err(setting.error(format!(
            "label {:?} is pseudonymized (hmac), which needs a key of at least {MIN_KEY_BYTES} bytes in {}",
            String::from_utf8_lossy(label),
            key.variable
        )));
    }
    Ok(pseudonym_key)
}
