//! Settings, read once and validated before any record is seen. Each is
//! defined in [`SETTINGS`](crate::SETTINGS); a value that is not valid is
//! an error naming its variable and the bad part.
//!
//! | module | concern |
//! |---|---|
//! | `redact` | what is done to some labels' values, and the pseudonyms' key |
//! | `read` | each setting's text read and checked |
//! | `rules` | what some settings hold: type-error rule, drop rules, partition keys |
//! | `format` | a server's own log format line: labels and types |
//! | `output` | the table's format: JSON, Parquet or Iceberg |
//! | `names` | the column a label is read into |
//! | `settings` | every setting defined once: variable, flag, default, help |

pub(crate) mod format;
pub(crate) mod names;
pub(crate) mod output;
mod read;
mod redact;
mod rules;
pub(crate) mod settings;

use crate::config::format::LogFormat;
use crate::config::settings::Setting;
use crate::error::Error;
use crate::parse::ltsv::LabelSyntax;
use crate::values::escapes::Unescape;
use crate::values::redact::Redaction;
use crate::values::redact::pseudonym::PseudonymKey;
use crate::values::types::Type;
use output::OutputFormat;
use read::{
    Given, check_declared, check_iceberg, check_label, combine_types, parse_drop_rules,
    parse_log_format, parse_namespace, parse_partition_keys, parse_types, time_label,
};
use redact::{Context, check_redactions, parse_redactions};
pub use rules::{DropRule, OnTypeError, PartitionKey};

/// Validated settings: made only by reading and checking every setting
/// ([`Config::from_env`], [`Config::from_vars`], [`Config::from_lookup`]),
/// and read-only after.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    label_syntax: LabelSyntax,
    log_format: Option<LogFormat>,
    unescape: Unescape,
    null_values: Vec<Vec<u8>>,
    types: Vec<(Vec<u8>, Type)>,
    on_type_error: OnTypeError,
    split_request: Option<Vec<u8>>,
    drop: Vec<DropRule>,
    partition_keys: Vec<PartitionKey>,
    metrics_namespace: Option<String>,
    output_format: OutputFormat,
    redactions: Vec<(Vec<u8>, Redaction)>,
    pseudonym_key: Option<PseudonymKey>,
}

impl Default for Config {
    fn default() -> Config {
        Config::from_lookup(|_| None).expect("the defaults are valid")
    }
}

impl Config {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings from `(variable, value)` pairs instead of the
    /// environment; a variable not listed is unset.
    ///
    /// ```
    /// let config = firehose_ltsv::Config::from_vars(&[
    ///     ("LTSV_LOG_FORMAT", r"status:%>s\tua:%{User-Agent}i"),
    ///     ("LTSV_TYPES", "ua:string"),
    /// ])
    /// .unwrap();
    /// assert_eq!(config.types().len(), 2);
    /// ```
    pub fn from_vars(vars: &[(&str, &str)]) -> Result<Config, Error> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    /// Reads the settings from `lookup`, which returns a variable's value or
    /// `None` when it is unset. An unset variable takes its default; a set but
    /// empty list variable means an empty list.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let get = |setting: &'static Setting| Given {
            variable: setting.variable,
            value: lookup(setting.variable).unwrap_or_else(|| setting.default.to_owned()),
        };
        let label_syntax = if get(&settings::STRICT_LABELS).boolean()? {
            LabelSyntax::Strict
        } else {
            LabelSyntax::Any
        };
        let log_format = parse_log_format(&get(&settings::LOG_FORMAT))?;
        let unescape = get(&settings::UNESCAPE).unescape(log_format.as_ref())?;
        let null_values = get(&settings::NULL_VALUES)
            .list()
            .map(|value| value.as_bytes().to_vec())
            .collect();
        let explicit = parse_types(&get(&settings::TYPES), label_syntax)?;
        let types = combine_types(log_format.as_ref(), explicit);
        let on_type_error = get(&settings::ON_TYPE_ERROR).choice(&[
            ("fail", OnTypeError::Fail),
            ("null", OnTypeError::Null),
            ("string", OnTypeError::String),
        ])?;
        let split = get(&settings::SPLIT_REQUEST);
        let split_request = match split.value.trim() {
            "" => None,
            label => {
                check_label(&split, label, label_syntax)?;
                check_declared(&split, label, log_format.as_ref())?;
                Some(label.as_bytes().to_vec())
            }
        };
        let drop = parse_drop_rules(&get(&settings::DROP), label_syntax)?;
        let keys = get(&settings::PARTITION_KEYS);
        let partition_keys = parse_partition_keys(&keys, &types)?;
        for key in &partition_keys {
            if let PartitionKey::Label(label) = key {
                check_declared(&keys, label, log_format.as_ref())?;
            }
        }
        let metrics_namespace = parse_namespace(&get(&settings::METRICS_NAMESPACE))?;
        let output = get(&settings::OUTPUT_FORMAT);
        let output_format: OutputFormat = output
            .value
            .trim()
            .parse()
            .map_err(|why| output.error(why))?;
        let redact = get(&settings::REDACT);
        let redactions = parse_redactions(&redact, label_syntax)?;
        let key = Given {
            variable: settings::REDACT_KEY,
            value: lookup(settings::REDACT_KEY).unwrap_or_default(),
        };
        let context = Context {
            format: log_format.as_ref(),
            types: &types,
            time_label: time_label(&types),
            split_request: split_request.as_deref(),
            partition_keys: &partition_keys,
        };
        let pseudonym_key = check_redactions(&redact, &redactions, &context, &key)?;
        let config = Config {
            label_syntax,
            log_format,
            unescape,
            null_values,
            types,
            on_type_error,
            split_request,
            drop,
            partition_keys,
            metrics_namespace,
            output_format,
            redactions,
            pseudonym_key,
        };
        if output_format == OutputFormat::Iceberg {
            check_iceberg(
                &output,
                config.log_format.as_ref(),
                config.split_request.is_some(),
                config.on_type_error,
                &config.partition_keys,
            )?;
        }
        Ok(config)
    }

    /// Which labels are accepted (`LTSV_STRICT_LABELS`).
    pub fn label_syntax(&self) -> LabelSyntax {
        self.label_syntax
    }

    /// The server's log format, when `LTSV_LOG_FORMAT` gives one: the
    /// labels it declares and the types their directives give.
    pub fn log_format(&self) -> Option<&LogFormat> {
        self.log_format.as_ref()
    }

    /// How escapes in values are decoded (`LTSV_UNESCAPE`, or the format's).
    pub fn unescape(&self) -> Unescape {
        self.unescape
    }

    /// Values written as JSON `null`, compared with the value as logged.
    pub fn null_values(&self) -> &[Vec<u8>] {
        &self.null_values
    }

    /// Typed labels: those the log format types, in its order, each
    /// replaced by its `LTSV_TYPES` entry if it has one, then the other
    /// `LTSV_TYPES` entries in their order.
    pub fn types(&self) -> &[(Vec<u8>, Type)] {
        &self.types
    }

    /// What happens to a value that is not of its type.
    pub fn on_type_error(&self) -> OnTypeError {
        self.on_type_error
    }

    /// The label holding a request line (`%r`, `$request`) to split into
    /// `method`, `path`, `query` and `protocol`.
    pub fn split_request(&self) -> Option<&[u8]> {
        self.split_request.as_deref()
    }

    /// Lines matching any of these rules are left out.
    pub fn drop_rules(&self) -> &[DropRule] {
        &self.drop
    }

    /// Partition keys to return with every `Ok` record.
    pub fn partition_keys(&self) -> &[PartitionKey] {
        &self.partition_keys
    }

    /// CloudWatch namespace for the metrics of each invocation, if any.
    pub fn metrics_namespace(&self) -> Option<&str> {
        self.metrics_namespace.as_deref()
    }

    /// The table's format, which decides what the lines are written for.
    pub fn output_format(&self) -> OutputFormat {
        self.output_format
    }

    /// The type configured for `label`, if any.
    pub fn type_of(&self, label: &[u8]) -> Option<Type> {
        self.types
            .iter()
            .find(|(typed, _)| typed == label)
            .map(|&(_, ty)| ty)
    }

    /// Whether `value`, as logged, is written as `null`.
    pub fn is_null(&self, value: &[u8]) -> bool {
        self.null_values.iter().any(|null| null == value)
    }

    /// The label whose time is each line's event time, which the
    /// `year`/`month`/`day`/`hour` partition keys and backfill's hours use:
    /// the first label of a time type in [`types`](Self::types), so the
    /// log format's first, unless `LTSV_TYPES` types one it lacks.
    pub fn time_label(&self) -> Option<&[u8]> {
        time_label(&self.types)
    }

    /// What `LTSV_REDACT` does to `label`'s values, if anything.
    pub(crate) fn redaction_of(&self, label: &[u8]) -> Option<&Redaction> {
        self.redactions
            .iter()
            .find(|(redacted, _)| redacted == label)
            .map(|(_, redaction)| redaction)
    }

    /// Each label `LTSV_REDACT` names, with what it does to its values.
    pub(crate) fn redactions(&self) -> &[(Vec<u8>, Redaction)] {
        &self.redactions
    }

    /// The key of keyed pseudonyms, when one is set.
    pub(crate) fn pseudonym_key(&self) -> Option<&PseudonymKey> {
        self.pseudonym_key.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, Error> {
        Config::from_vars(vars)
    }

    fn error(vars: &[(&str, &str)]) -> String {
        config(vars).unwrap_err().to_string()
    }

    #[test]
    fn defaults() {
        let config = Config::default();
        assert_eq!(config.label_syntax, LabelSyntax::Strict);
        assert_eq!(config.unescape, Unescape::Escapes);
        assert_eq!(config.log_format.as_ref().unwrap().fields().len(), 12);
        assert_eq!(config.null_values, [b"-".to_vec()]);
        assert_eq!(config.on_type_error, OnTypeError::Fail);
        assert!(config.partition_keys.is_empty());
        let types: Vec<_> = config
            .types
            .iter()
            .map(|(label, ty)| (std::str::from_utf8(label).unwrap(), *ty))
            .collect();
        // The README's Apache format with `runtime:float`: the types it
        // has always had by default.
        assert_eq!(
            types,
            [
                ("time", Type::Time),
                ("status", Type::Integer),
                ("size", Type::Integer),
                ("reqtime_microsec", Type::Integer),
                ("runtime", Type::Float),
            ]
        );
        assert_eq!(config.time_label(), Some(&b"time"[..]));
    }

    #[test]
    fn explicit_types_override_and_extend_the_formats() {
        let config = config(&[
            ("LTSV_LOG_FORMAT", r"a:%>s\tb:%{X}i\tc:%t\td:%D"),
            ("LTSV_TYPES", "extra:bool,a:string,b:float"),
        ])
        .unwrap();
        let types: Vec<_> = config
            .types
            .iter()
            .map(|(label, ty)| (std::str::from_utf8(label).unwrap(), *ty))
            .collect();
        assert_eq!(
            types,
            [
                ("a", Type::String),
                ("b", Type::Float),
                ("c", Type::Time),
                ("d", Type::Integer),
                ("extra", Type::Bool),
            ]
        );
        assert_eq!(config.type_of(b"a"), Some(Type::String));
        let none = self::config(&[("LTSV_LOG_FORMAT", ""), ("LTSV_TYPES", "")]).unwrap();
        assert!(none.types.is_empty());
        assert!(none.log_format.is_none());
    }

    #[test]
    fn the_time_label_may_be_an_epoch_in_its_unit() {
        let config = config(&[("LTSV_LOG_FORMAT", r"status:%>s\tt:%{msec}t")]).unwrap();
        assert_eq!(config.time_label(), Some(&b"t"[..]));
        assert_eq!(config.type_of(b"t"), Some(Type::TimeMsec));
        assert!(
            self::config(&[
                ("LTSV_LOG_FORMAT", "t:%{usec}t"),
                ("PARTITION_KEYS", "hour")
            ])
            .is_ok()
        );
    }

    #[test]
    fn unescaping_follows_the_format_unless_set() {
        let unescape = |vars: &[(&str, &str)]| config(vars).unwrap().unescape;
        let json = "log_format x escape=json 'a:$status';";
        assert_eq!(unescape(&[("LTSV_LOG_FORMAT", json)]), Unescape::Json);
        let none = "log_format x escape=none 'a:$status';";
        assert_eq!(unescape(&[("LTSV_LOG_FORMAT", none)]), Unescape::Off);
        assert_eq!(
            unescape(&[("LTSV_LOG_FORMAT", json), ("LTSV_UNESCAPE", "true")]),
            Unescape::Escapes
        );
        assert_eq!(
            unescape(&[("LTSV_LOG_FORMAT", ""), ("LTSV_UNESCAPE", " ")]),
            Unescape::Escapes
        );
        assert_eq!(unescape(&[("LTSV_UNESCAPE", "JSON")]), Unescape::Json);
        assert_eq!(
            error(&[("LTSV_UNESCAPE", "yes")]),
            r#"LTSV_UNESCAPE: expected true or false or json, got "yes""#
        );
    }

    #[test]
    fn a_format_that_cannot_be_read_stops_with_the_bad_part() {
        assert_eq!(
            error(&[("LTSV_LOG_FORMAT", r"time:%t\tstatus")]),
            r#"LTSV_LOG_FORMAT: field 2 "status" has no ':'"#
        );
        assert_eq!(
            error(&[("LTSV_LOG_FORMAT", r#"LogFormat "a:%{X" x"#)]),
            r#"LTSV_LOG_FORMAT: "%{X" has no closing '}'"#
        );
    }

    #[test]
    fn every_setting_is_read() {
        let config = config(&[
            ("LTSV_STRICT_LABELS", "false"),
            ("LTSV_UNESCAPE", "FALSE"),
            ("LTSV_NULL_VALUES", " -, , null "),
            ("LTSV_LOG_FORMAT", ""),
            ("LTSV_TYPES", " reqtime : float , ok:bool,ts:time,ua:string"),
            ("LTSV_ON_TYPE_ERROR", "string"),
            ("PARTITION_KEYS", "year,month,day,hour,vhost"),
        ])
        .unwrap();
        assert_eq!(config.label_syntax, LabelSyntax::Any);
        assert_eq!(config.unescape, Unescape::Off);
        assert_eq!(
            config.null_values,
            [b"-".to_vec(), b"".to_vec(), b"null".to_vec()]
        );
        assert_eq!(config.type_of(b"reqtime"), Some(Type::Float));
        assert_eq!(config.type_of(b"ok"), Some(Type::Bool));
        assert_eq!(config.type_of(b"ua"), Some(Type::String));
        assert_eq!(config.type_of(b"status"), None);
        assert_eq!(config.time_label(), Some(&b"ts"[..]));
        assert_eq!(config.on_type_error, OnTypeError::String);
        let names: Vec<_> = config
            .partition_keys
            .iter()
            .map(PartitionKey::name)
            .collect();
        assert_eq!(names, ["year", "month", "day", "hour", "vhost"]);
    }

    #[test]
    fn split_drop_and_metrics_settings() {
        let config = config(&[
            ("LTSV_SPLIT_REQUEST", "req"),
            (
                "LTSV_DROP",
                "ua^=ELB-HealthChecker,req^=GET /healthz, status=404",
            ),
            ("METRICS_NAMESPACE", "Web/Logs"),
        ])
        .unwrap();
        assert_eq!(config.split_request.as_deref(), Some(&b"req"[..]));
        let rule = |label: &str, prefix, value: &str| DropRule {
            label: label.into(),
            prefix,
            value: value.into(),
        };
        assert_eq!(
            config.drop,
            [
                rule("ua", true, "ELB-HealthChecker"),
                rule("req", true, "GET /healthz"),
                rule("status", false, "404"),
            ]
        );
        assert!(config.drop[0].matches(b"ua", b"ELB-HealthChecker/2.0"));
        assert!(!config.drop[0].matches(b"ua", b"Mozilla ELB-HealthChecker"));
        assert!(!config.drop[0].matches(b"agent", b"ELB-HealthChecker/2.0"));
        assert!(config.drop[2].matches(b"status", b"404"));
        assert!(!config.drop[2].matches(b"status", b"4040"));
        assert_eq!(config.metrics_namespace.as_deref(), Some("Web/Logs"));

        let defaults = Config::default();
        assert_eq!(defaults.split_request, None);
        assert!(defaults.drop.is_empty());
        assert_eq!(defaults.metrics_namespace.as_deref(), Some("FirehoseLtsv"));
        assert_eq!(
            self::config(&[("METRICS_NAMESPACE", "")])
                .unwrap()
                .metrics_namespace,
            None
        );
    }

    #[test]
    fn bad_split_drop_and_metrics_settings_are_named() {
        assert_eq!(
            error(&[("LTSV_DROP", "ua")]),
            r#"LTSV_DROP: rule "ua" is not label=value or label^=prefix"#
        );
        assert_eq!(
            error(&[("LTSV_DROP", "user agent^=x")]),
            r#"LTSV_DROP: label "user agent" has characters outside [0-9A-Za-z_.-]"#
        );
        assert_eq!(
            error(&[("LTSV_SPLIT_REQUEST", "re q")]),
            r#"LTSV_SPLIT_REQUEST: label "re q" has characters outside [0-9A-Za-z_.-]"#
        );
        assert_eq!(
            error(&[("METRICS_NAMESPACE", "a b")]),
            r#"METRICS_NAMESPACE: "a b" is not a CloudWatch namespace (up to 255 of [0-9A-Za-z.-_/#:])"#
        );
    }

    #[test]
    fn empty_lists_mean_none() {
        let config = config(&[
            ("LTSV_NULL_VALUES", ""),
            ("LTSV_LOG_FORMAT", ""),
            ("LTSV_TYPES", ""),
            ("PARTITION_KEYS", " "),
        ])
        .unwrap();
        assert!(config.null_values.is_empty());
        assert!(config.types.is_empty());
        assert!(config.partition_keys.is_empty());
    }

    #[test]
    fn errors_name_the_variable_and_the_bad_part() {
        assert_eq!(
            error(&[("LTSV_TYPES", "status:integer,size:long")]),
            r#"LTSV_TYPES: unknown type "long" for label "size" (types: integer, float, bool, string, time, time_msec, time_usec)"#
        );
        assert_eq!(
            error(&[("LTSV_TYPES", "status")]),
            r#"LTSV_TYPES: entry "status" is not label:type (types: integer, float, bool, string, time, time_msec, time_usec)"#
        );
        assert_eq!(
            error(&[("LTSV_TYPES", "status:integer,,size:integer")]),
            "LTSV_TYPES: empty entry (a stray comma?)"
        );
        assert_eq!(
            error(&[("PARTITION_KEYS", "year,")]),
            "PARTITION_KEYS: empty entry (a stray comma?)"
        );
        assert_eq!(
            error(&[("LTSV_TYPES", ":integer")]),
            "LTSV_TYPES: empty label"
        );
        assert_eq!(
            error(&[("LTSV_TYPES", "a b:integer")]),
            r#"LTSV_TYPES: label "a b" has characters outside [0-9A-Za-z_.-]"#
        );
        assert_eq!(
            error(&[("LTSV_TYPES", "a:integer,a:float")]),
            r#"LTSV_TYPES: label "a" is listed twice"#
        );
        assert_eq!(
            error(&[("LTSV_STRICT_LABELS", "")]),
            r#"LTSV_STRICT_LABELS: expected true or false, got """#
        );
        assert_eq!(
            error(&[("LTSV_ON_TYPE_ERROR", "skip")]),
            r#"LTSV_ON_TYPE_ERROR: expected fail or null or string, got "skip""#
        );
        assert_eq!(
            error(&[("PARTITION_KEYS", "year,year")]),
            r#"PARTITION_KEYS: key "year" is listed twice"#
        );
        assert_eq!(
            error(&[
                ("PARTITION_KEYS", "hour"),
                ("LTSV_LOG_FORMAT", ""),
                ("LTSV_TYPES", "status:integer")
            ]),
            r#"PARTITION_KEYS: key "hour" needs a label of type time (LTSV_LOG_FORMAT, LTSV_TYPES)"#
        );
        assert_eq!(
            error(&[("PARTITION_KEYS", "a:b")]),
            r#"PARTITION_KEYS: label "a:b" holds a TAB or ':'"#
        );
    }

    #[test]
    fn settings_that_name_a_label_the_format_lacks_stop_with_its_labels() {
        assert_eq!(
            error(&[("LTSV_SPLIT_REQUEST", "reqs")]),
            r#"LTSV_SPLIT_REQUEST: the log format has no label "reqs"; did you mean "req"?"#
        );
        assert_eq!(
            error(&[("PARTITION_KEYS", "year,vhst")]),
            r#"PARTITION_KEYS: the log format has no label "vhst"; did you mean "vhost"?"#
        );
        assert_eq!(
            error(&[("PARTITION_KEYS", "domain")]),
            r#"PARTITION_KEYS: the log format has no label "domain" (its labels: time, forwardedfor, host, req, status, size, referer, ua, reqtime_microsec, cache, runtime, vhost)"#
        );
        // Labels the format writes are taken; without a format, any label.
        assert!(config(&[("LTSV_SPLIT_REQUEST", "req"), ("PARTITION_KEYS", "vhost")]).is_ok());
        let none = [
            ("LTSV_LOG_FORMAT", ""),
            ("LTSV_SPLIT_REQUEST", "request"),
            ("PARTITION_KEYS", "domain"),
        ];
        assert!(config(&none).is_ok());
    }

    #[test]
    fn any_labels_allow_wider_type_labels() {
        let config = config(&[
            ("LTSV_STRICT_LABELS", "false"),
            ("LTSV_TYPES", "a b:integer"),
        ])
        .unwrap();
        assert_eq!(config.type_of(b"a b"), Some(Type::Integer));
    }
}
