//! The settings, as the oracle describes them: what README.md's
//! configuration table says each variable means, and its defaults.

/// A label's type: from the log format's directive (`LTSV_LOG_FORMAT`) or
/// from `LTSV_TYPES`, which overrides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// An optional `-` and digits that fit a 64-bit integer.
    Integer,
    /// A finite decimal, optionally with an exponent.
    Float,
    /// `true` or `false`.
    Bool,
    /// The same as no type.
    String,
    /// A timestamp in one of the access-log formats, written in UTC.
    Time,
    /// A whole number of milliseconds since the Unix epoch (Apache's
    /// `%{msec}t`), written in UTC to the millisecond.
    TimeMsec,
    /// A whole number of microseconds since the Unix epoch (Apache's
    /// `%{usec}t`), written in UTC to the millisecond.
    TimeUsec,
}

impl Type {
    /// Whether values of the type are instants: `time`, `time_msec` and
    /// `time_usec`, any of which can give the event time.
    pub fn is_time(self) -> bool {
        matches!(self, Type::Time | Type::TimeMsec | Type::TimeUsec)
    }
}

/// `LTSV_UNESCAPE`: which escapes in values are decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unescape {
    /// `false` (or nginx's `escape=none`): values as logged.
    Off,
    /// `true` (Apache's and nginx's default escaping): `\"`, `\\`,
    /// `\xHH`, `\t`, `\n`, `\r`, `\b`, `\v`.
    Escapes,
    /// `json` (nginx's `escape=json`): JSON's string escapes.
    Json,
}

/// `LTSV_ON_TYPE_ERROR`: what a value not of its type does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnTypeError {
    /// The line is invalid.
    Fail,
    /// The value is written as `null`.
    Null,
    /// The value is written as a string.
    String,
}

/// One rule of `LTSV_DROP`: `label=value` or `label^=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropRule {
    /// The label looked at.
    pub label: Vec<u8>,
    /// `^=`: the value starts with `value`; `=`: it is `value`.
    pub prefix: bool,
    /// Compared with the value as logged.
    pub value: Vec<u8>,
}

/// One entry of `PARTITION_KEYS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// The UTC year of the event time, four digits.
    Year,
    /// The UTC month, two digits.
    Month,
    /// The UTC day, two digits.
    Day,
    /// The UTC hour, two digits.
    Hour,
    /// The value of this label, made safe for an S3 prefix.
    Label(Vec<u8>),
}

impl Key {
    /// The key's name in `partitionKeys`.
    pub fn name(&self) -> String {
        match self {
            Key::Year => "year".to_owned(),
            Key::Month => "month".to_owned(),
            Key::Day => "day".to_owned(),
            Key::Hour => "hour".to_owned(),
            Key::Label(label) => String::from_utf8_lossy(label).into_owned(),
        }
    }
}

/// Everything the conversion rules depend on.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// `LTSV_STRICT_LABELS=false`: any UTF-8 label, not only
    /// `[0-9A-Za-z_.-]`.
    pub any_labels: bool,
    /// `LTSV_UNESCAPE`, or what the log format's `escape=` says when it
    /// is empty.
    pub unescape: Unescape,
    /// `LTSV_NULL_VALUES`.
    pub null_values: Vec<Vec<u8>>,
    /// The labels' types: the log format's, each replaced by its
    /// `LTSV_TYPES` entry, then the other `LTSV_TYPES` entries. The first
    /// of a time type gives the event time.
    pub types: Vec<(Vec<u8>, Type)>,
    /// The labels `LTSV_LOG_FORMAT` declares; `None` without a format,
    /// when no label is undeclared.
    pub declared: Option<Vec<Vec<u8>>>,
    /// `LTSV_ON_TYPE_ERROR`.
    pub on_type_error: OnTypeError,
    /// `LTSV_SPLIT_REQUEST`.
    pub split_request: Option<Vec<u8>>,
    /// `LTSV_DROP`.
    pub drop: Vec<DropRule>,
    /// `PARTITION_KEYS`.
    pub partition_keys: Vec<Key>,
}

/// The labels of README.md's Apache `LogFormat`, the default of
/// `LTSV_LOG_FORMAT`, with the types its directives give: `%t` a time,
/// `%>s`, `%b` and `%D` integers, every header a string.
const APACHE_FORMAT: [(&str, Type); 12] = [
    ("time", Type::Time),
    ("forwardedfor", Type::String),
    ("host", Type::String),
    ("req", Type::String),
    ("status", Type::Integer),
    ("size", Type::Integer),
    ("referer", Type::String),
    ("ua", Type::String),
    ("reqtime_microsec", Type::Integer),
    ("cache", Type::String),
    ("runtime", Type::String),
    ("vhost", Type::String),
];

impl Default for Settings {
    /// The defaults of README.md's configuration table: the Apache format
    /// with `LTSV_TYPES=runtime:float`, and escapes decoded as Apache
    /// writes them.
    fn default() -> Settings {
        let types = APACHE_FORMAT
            .iter()
            .map(|&(label, ty)| match label {
                "runtime" => (label, Type::Float),
                _ => (label, ty),
            })
            .filter(|&(_, ty)| ty != Type::String)
            .map(|(label, ty)| (label.as_bytes().to_vec(), ty))
            .collect();
        let declared = APACHE_FORMAT
            .iter()
            .map(|(label, _)| label.as_bytes().to_vec())
            .collect();
        Settings {
            any_labels: false,
            unescape: Unescape::Escapes,
            null_values: vec![b"-".to_vec()],
            types,
            declared: Some(declared),
            on_type_error: OnTypeError::Fail,
            split_request: None,
            drop: Vec::new(),
            partition_keys: Vec::new(),
        }
    }
}

impl Settings {
    /// The type of `label`, if it has one.
    pub fn type_of(&self, label: &[u8]) -> Option<Type> {
        self.types
            .iter()
            .find(|(typed, _)| typed == label)
            .map(|&(_, ty)| ty)
    }

    /// Whether a value, as logged, is written as `null`.
    pub fn is_null(&self, value: &[u8]) -> bool {
        self.null_values.iter().any(|null| null == value)
    }

    /// The label the event time comes from, and its type: the first of a
    /// time type.
    pub fn time_label(&self) -> Option<(&[u8], Type)> {
        self.types
            .iter()
            .find(|(_, ty)| ty.is_time())
            .map(|(label, ty)| (label.as_slice(), *ty))
    }

    /// Whether `LTSV_LOG_FORMAT` is set and does not declare `label`.
    pub fn is_undeclared(&self, label: &[u8]) -> bool {
        self.declared
            .as_ref()
            .is_some_and(|declared| !declared.iter().any(|d| d == label))
    }
}
