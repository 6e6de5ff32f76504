//! Every setting, defined once: its environment variable, its command-line
//! flag, its default and what it means.
//!
//! [`Config`](crate::Config) reads its values by these definitions;
//! `ltsv2json --help` is written from them; tests hold the README's
//! configuration table and the SAM template's parameter defaults to them.

/// One setting of the function (and of `ltsv2json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The environment variable, e.g. `LTSV_TYPES`.
    pub variable: &'static str,
    /// The `ltsv2json` flag without its dashes, e.g. `types`.
    pub flag: &'static str,
    /// What the flag takes, as `--help` shows it, e.g. `LABEL:TYPE,...`.
    pub takes: &'static str,
    /// The value when the variable is unset.
    pub default: &'static str,
    /// One line on what it does.
    pub help: &'static str,
}

/// The Apache `LogFormat` of the README, which the template deploys.
pub(crate) const APACHE_FORMAT: &str = r"time:%t\tforwardedfor:%{X-Forwarded-For}i\thost:%h\treq:%r\tstatus:%>s\tsize:%b\treferer:%{Referer}i\tua:%{User-Agent}i\treqtime_microsec:%D\tcache:%{X-Cache}o\truntime:%{X-Runtime}o\tvhost:%{Host}i";

/// `LTSV_LOG_FORMAT`.
pub(crate) const LOG_FORMAT: Setting = Setting {
    variable: "LTSV_LOG_FORMAT",
    flag: "log-format",
    takes: "FORMAT",
    default: APACHE_FORMAT,
    help: "the server's LogFormat or log_format line: labels and their types",
};

/// `LTSV_TYPES`.
pub(crate) const TYPES: Setting = Setting {
    variable: "LTSV_TYPES",
    flag: "types",
    takes: "LABEL:TYPE,...",
    // `%{X-Runtime}o` is a header: Apache cannot say it is a number.
    default: "runtime:float",
    help: "types over the log format's: integer, float, bool, string, time",
};

/// `LTSV_NULL_VALUES`.
pub(crate) const NULL_VALUES: Setting = Setting {
    variable: "LTSV_NULL_VALUES",
    flag: "null-values",
    takes: "LIST",
    default: "-",
    help: "values (as logged) written as null",
};

/// `LTSV_ON_TYPE_ERROR`.
pub(crate) const ON_TYPE_ERROR: Setting = Setting {
    variable: "LTSV_ON_TYPE_ERROR",
    flag: "on-type-error",
    takes: "fail|null|string",
    default: "fail",
    help: "what a value not of its type does",
};

/// `LTSV_UNESCAPE`.
pub(crate) const UNESCAPE: Setting = Setting {
    variable: "LTSV_UNESCAPE",
    flag: "unescape",
    takes: "true|false|json",
    default: "",
    help: "decode escapes in values; empty: as the log format's escape= says",
};

/// `LTSV_STRICT_LABELS`.
pub(crate) const STRICT_LABELS: Setting = Setting {
    variable: "LTSV_STRICT_LABELS",
    flag: "strict-labels",
    takes: "true|false",
    default: "true",
    help: "labels must match [0-9A-Za-z_.-]+",
};

/// `LTSV_SPLIT_REQUEST`.
pub(crate) const SPLIT_REQUEST: Setting = Setting {
    variable: "LTSV_SPLIT_REQUEST",
    flag: "split-request",
    takes: "LABEL",
    default: "",
    help: "request line to split into method, path, query, protocol",
};

/// `LTSV_DROP`.
pub(crate) const DROP: Setting = Setting {
    variable: "LTSV_DROP",
    flag: "drop",
    takes: "RULES",
    default: "",
    help: "label=value and label^=prefix rules of lines to leave out",
};

/// `PARTITION_KEYS`.
pub(crate) const PARTITION_KEYS: Setting = Setting {
    variable: "PARTITION_KEYS",
    flag: "partition-keys",
    takes: "LIST",
    default: "",
    help: "year, month, day, hour and labels returned as partitionKeys",
};

/// `METRICS_NAMESPACE`.
pub(crate) const METRICS_NAMESPACE: Setting = Setting {
    variable: "METRICS_NAMESPACE",
    flag: "metrics-namespace",
    takes: "NAME",
    default: "FirehoseLtsv",
    help: "CloudWatch namespace of each invocation's metrics (invoke only)",
};

/// `OUTPUT_FORMAT`.
pub(crate) const OUTPUT_FORMAT: Setting = Setting {
    variable: "OUTPUT_FORMAT",
    flag: "output-format",
    takes: "json|parquet|iceberg",
    default: "json",
    help: "the table's format; iceberg: records keyed by column, times in microseconds",
};

/// `LTSV_REDACT`.
pub(crate) const REDACT: Setting = Setting {
    variable: "LTSV_REDACT",
    flag: "redact",
    takes: "LABEL:RULE,...",
    default: "",
    help: "values redacted before they land: ip[/V4/V6], query[+NAME], hmac, drop",
};

/// The variable holding the key of `LTSV_REDACT`'s keyed pseudonyms: a
/// secret, so an environment variable and never a flag.
pub const REDACT_KEY: &str = "LTSV_REDACT_KEY";

/// The variable naming the Secrets Manager secret the function reads the
/// pseudonyms' key from at start-up, in place of [`REDACT_KEY`].
pub const REDACT_KEY_SECRET: &str = "LTSV_REDACT_KEY_SECRET";

/// Every setting, in the order the README's configuration table lists them.
pub const SETTINGS: [Setting; 12] = [
    LOG_FORMAT,
    TYPES,
    NULL_VALUES,
    ON_TYPE_ERROR,
    UNESCAPE,
    STRICT_LABELS,
    SPLIT_REQUEST,
    DROP,
    PARTITION_KEYS,
    METRICS_NAMESPACE,
    OUTPUT_FORMAT,
    REDACT,
];

/// Warnings for the variables among `names` that look like settings but
/// are none: any `LTSV_` variable not in [`SETTINGS`], and a variable a
/// letter or two from a setting's name, each with the setting it is
/// nearest to. A misspelt variable would otherwise be ignored in silence.
///
/// ```
/// let names = ["LTSV_TYPE", "PATH", "LTSV_NULL_VALUES", "PARTITION_KEY", "LTSV_COLOR"];
/// assert_eq!(
///     firehose_ltsv::unknown_variables(names),
///     [
///         "LTSV_TYPE is not a setting; did you mean LTSV_TYPES?",
///         "PARTITION_KEY is not a setting; did you mean PARTITION_KEYS?",
///         "LTSV_COLOR is not a setting (the settings: LTSV_LOG_FORMAT, LTSV_TYPES, LTSV_NULL_VALUES, LTSV_ON_TYPE_ERROR, LTSV_UNESCAPE, LTSV_STRICT_LABELS, LTSV_SPLIT_REQUEST, LTSV_DROP, PARTITION_KEYS, METRICS_NAMESPACE, OUTPUT_FORMAT, LTSV_REDACT, LTSV_REDACT_KEY, LTSV_REDACT_KEY_SECRET)",
///     ]
/// );
/// ```
pub fn unknown_variables<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Vec<String> {
    let settings = SETTINGS.iter().map(|s| s.variable);
    let variables: Vec<&str> = settings.chain([REDACT_KEY, REDACT_KEY_SECRET]).collect();
    let mut warnings = Vec::new();
    for name in names {
        let name = name.as_ref();
        if variables.contains(&name) {
            continue;
        }
        match nearest(name, &variables) {
            Some(setting) => {
                warnings.push(format!("{name} is not a setting; did you mean {setting}?"));
            }
            None if name.starts_with("LTSV_") => warnings.push(format!(
                "{name} is not a setting (the settings: {})",
                variables.join(", ")
            )),
            None => {}
        }
    }
    warnings
}

/// The one of `names` within two edits of `name`, the nearest first.
pub(crate) fn nearest<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|candidate| (edits(name, candidate), *candidate))
        .filter(|&(distance, _)| distance <= 2)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, case-insensitive: inserted, removed or replaced
/// characters.
fn edits(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (
        a.chars().map(|c| c.to_ascii_uppercase()).collect(),
        b.chars().map(|c| c.to_ascii_uppercase()).collect(),
    );
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let replace = previous[j] + usize::from(ca != cb);
            current.push(replace.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_letter_or_two_off_are_nearest_to_their_setting() {
        assert_eq!(edits("LTSV_TYPE", "LTSV_TYPES"), 1);
        assert_eq!(edits("ltsv_types", "LTSV_TYPES"), 0);
        assert_eq!(edits("LTSV_TPYES", "LTSV_TYPES"), 2);
        assert_eq!(edits("", "ab"), 2);
        assert_eq!(edits("abc", ""), 3);
        let names = ["LTSV_TYPES", "LTSV_DROP"];
        assert_eq!(nearest("LTSV_DRP", &names), Some("LTSV_DROP"));
        assert_eq!(nearest("LTSV_DROPS", &names), Some("LTSV_DROP"));
        assert_eq!(nearest("LTSV_DR", &names), Some("LTSV_DROP"));
        assert_eq!(nearest("LTSV_D", &names), None);
        // Lambda's, the backfill function's and the system's own are left alone.
        let others = [
            "AWS_LAMBDA_LOG_LEVEL",
            "OUTPUT_FORMAT",
            "LOG_BUCKET",
            "GLIBC_TUNABLES",
            "PATH",
            "RUST_LOG",
        ];
        assert!(unknown_variables(others).is_empty());
        assert!(unknown_variables(SETTINGS.map(|s| s.variable)).is_empty());
    }

    #[test]
    fn variables_and_flags_are_unique_and_named_alike() {
        for (i, setting) in SETTINGS.iter().enumerate() {
            for other in &SETTINGS[i + 1..] {
                assert_ne!(setting.variable, other.variable);
                assert_ne!(setting.flag, other.flag);
            }
            // The flag is the variable without its LTSV_ prefix, in kebab case.
            let name = setting.variable.trim_start_matches("LTSV_");
            assert_eq!(setting.flag, name.to_ascii_lowercase().replace('_', "-"));
        }
    }
}
