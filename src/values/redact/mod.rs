//! Values that must not land as they were logged: addresses truncated to
//! a prefix, secret query parameters replaced by a marker, values replaced
//! by keyed pseudonyms.
//!
//! | module | concern |
//! |---|---|
//! | `ip` | addresses, and lists of them, truncated to a prefix |
//! | `query` | the values of secret parameters in URLs and request lines |
//! | `names` | which query parameters are secret |
//! | `pseudonym` | keyed pseudonyms (HMAC-SHA-256) |

pub(crate) mod ip;
pub(crate) mod names;
pub(crate) mod pseudonym;
pub(crate) mod query;

use pseudonym::PseudonymKey;

/// What is done to a label's values before they are written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Redaction {
    /// Each address truncated to a prefix.
    Ip(ip::Prefixes),
    /// The values of secret parameters replaced by a marker.
    Query(names::SecretNames),
    /// Each value replaced by its keyed pseudonym.
    Pseudonym,
    /// The label left out of every row, and its column out of the table.
    Drop,
}

impl Redaction {
    /// Appends what `value` becomes (nothing for [`Redaction::Drop`]);
    /// `key` is the pseudonyms' key, which the settings require for
    /// [`Redaction::Pseudonym`].
    pub(crate) fn apply(&self, value: &[u8], key: Option<&PseudonymKey>, out: &mut Vec<u8>) {
        match self {
            Redaction::Ip(prefixes) => ip::truncate(value, *prefixes, out),
            Redaction::Query(names) => {
                query::redact(value, names, out);
            }
            Redaction::Pseudonym => key
                .expect("the settings hold a key for pseudonyms")
                .pseudonym(value, out),
            Redaction::Drop => {}
        }
    }

    /// The same for the query of a request line, which a query rule reads
    /// as a query whatever it starts with.
    pub(crate) fn apply_to_query(
        &self,
        value: &[u8],
        key: Option<&PseudonymKey>,
        out: &mut Vec<u8>,
    ) {
        match self {
            Redaction::Query(names) => {
                query::redact_query(value, names, out);
            }
            other => other.apply(value, key, out),
        }
    }

    /// What it does, for the table's column comments and `ltsv2json
    /// schema`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Redaction::Ip(prefixes) => format!(
                "redacted: addresses truncated to IPv4 /{}, IPv6 /{}",
                prefixes.v4, prefixes.v6
            ),
            Redaction::Query(_) => {
                "redacted: secret parameters' values replaced by REDACTED".to_owned()
            }
            Redaction::Pseudonym => "redacted: keyed pseudonyms (HMAC-SHA-256)".to_owned(),
            Redaction::Drop => "dropped".to_owned(),
        }
    }
}
