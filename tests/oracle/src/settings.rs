//! The settings, as the oracle describes them: what README.md's
//! configuration table says each variable means, and its defaults.

/// A type from `LTSV_TYPES`.
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
    /// `LTSV_UNESCAPE`.
    pub unescape: bool,
    /// `LTSV_NULL_VALUES`.
    pub null_values: Vec<Vec<u8>>,
    /// `LTSV_TYPES`, in its order.
    pub types: Vec<(Vec<u8>, Type)>,
    /// `LTSV_ON_TYPE_ERROR`.
    pub on_type_error: OnTypeError,
    /// `LTSV_SPLIT_REQUEST`.
    pub split_request: Option<Vec<u8>>,
    /// `LTSV_DROP`.
    pub drop: Vec<DropRule>,
    /// `PARTITION_KEYS`.
    pub partition_keys: Vec<Key>,
}

impl Default for Settings {
    /// The defaults of README.md's configuration table.
    fn default() -> Settings {
        let types = [
            ("status", Type::Integer),
            ("size", Type::Integer),
            ("reqtime_microsec", Type::Integer),
            ("runtime", Type::Float),
            ("time", Type::Time),
        ];
        Settings {
            any_labels: false,
            unescape: true,
            null_values: vec![b"-".to_vec()],
            types: types
                .iter()
                .map(|&(label, ty)| (label.as_bytes().to_vec(), ty))
                .collect(),
            on_type_error: OnTypeError::Fail,
            split_request: None,
            drop: Vec::new(),
            partition_keys: Vec::new(),
        }
    }
}

impl Settings {
    /// The type of `label`, if `LTSV_TYPES` gives it one.
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

    /// The label the event time comes from: the first of type `time`.
    pub fn time_label(&self) -> Option<&[u8]> {
        self.types
            .iter()
            .find(|(_, ty)| *ty == Type::Time)
            .map(|(label, _)| label.as_slice())
    }
}
