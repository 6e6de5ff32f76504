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

/// Every setting, in the order the README's configuration table lists them.
pub const SETTINGS: [Setting; 10] = [
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
];

#[cfg(test)]
mod tests {
    use super::*;

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
