//! What some settings hold once read: the rule for a value not of its
//! type, the rules of lines to leave out, the partition keys.

/// What to do with a value that does not parse as its label's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnTypeError {
    /// The line is invalid, so its record is `ProcessingFailed`.
    Fail,
    /// Write `null`.
    Null,
    /// Write the value as a string.
    String,
}

/// One rule of `LTSV_DROP`: lines whose label matches are left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropRule {
    /// The label to look at.
    pub label: Vec<u8>,
    /// `^=`: the value starts with `value`; `=`: it equals it.
    pub prefix: bool,
    /// Compared with the value as logged.
    pub value: Vec<u8>,
}

impl DropRule {
    /// Whether a field with this label and value (as logged) matches.
    pub fn matches(&self, label: &[u8], value: &[u8]) -> bool {
        label == self.label
            && if self.prefix {
                value.starts_with(&self.value)
            } else {
                value == self.value
            }
    }
}

/// One entry of `PARTITION_KEYS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartitionKey {
    /// Four-digit UTC year of the first line's time.
    Year,
    /// Two-digit UTC month.
    Month,
    /// Two-digit UTC day of the month.
    Day,
    /// Two-digit UTC hour.
    Hour,
    /// The value of this label in the first line, made safe for an S3 prefix.
    Label(String),
}

impl PartitionKey {
    /// The key's name in the response's `partitionKeys`.
    pub fn name(&self) -> &str {
        match self {
            PartitionKey::Year => "year",
            PartitionKey::Month => "month",
            PartitionKey::Day => "day",
            PartitionKey::Hour => "hour",
            PartitionKey::Label(label) => label,
        }
    }
}
