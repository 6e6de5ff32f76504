//! The table the settings imply: one column per label of the log format
//! (and per request part, when request lines are split), named as Athena
//! accepts, typed as Glue spells it.
//!
//! ```
//! use firehose_ltsv::{Config, ColumnType, columns};
//!
//! let config = Config::from_vars(&[("LTSV_LOG_FORMAT", r"X-Forwarded-For:%{X-Forwarded-For}i\tstatus:%>s")]).unwrap();
//! let columns = columns(&config, false).unwrap();
//! assert_eq!((columns[0].name.as_str(), columns[0].label.as_str()), ("x_forwarded_for", "X-Forwarded-For"));
//! assert_eq!(columns[1].ty, ColumnType::Bigint);
//! ```

use crate::config::Config;
use crate::values::request::REQUEST_PARTS;
use crate::values::types::Type;

/// The partition columns of the stream's layout, which no label may take.
pub(crate) const PARTITION_COLUMNS: [&str; 4] = ["year", "month", "day", "hour"];

/// A column's type, as Glue and Athena spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// 64-bit integers.
    Bigint,
    /// Double-precision floats.
    Double,
    /// `true` or `false`.
    Boolean,
    /// UTC timestamps.
    Timestamp,
    /// Text.
    String,
}

impl ColumnType {
    /// The column type values of `ty` are read as.
    pub fn of(ty: Type) -> ColumnType {
        match ty {
            Type::Integer => ColumnType::Bigint,
            Type::Float => ColumnType::Double,
            Type::Bool => ColumnType::Boolean,
            Type::Time | Type::TimeMsec | Type::TimeUsec => ColumnType::Timestamp,
            Type::String => ColumnType::String,
        }
    }

    /// Its name in Glue and in Athena DDL.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Bigint => "bigint",
            ColumnType::Double => "double",
            ColumnType::Boolean => "boolean",
            ColumnType::Timestamp => "timestamp",
            ColumnType::String => "string",
        }
    }
}

/// One column of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Its name: the label, lowercase, with characters outside `[a-z0-9_]`
    /// made `_`.
    pub name: String,
    /// The label it holds, as the JSON has it.
    pub label: String,
    /// Its type.
    pub ty: ColumnType,
}

impl Column {
    /// The column of `label`, of type `ty`, named as [`column_name`] names it.
    pub fn new(label: &str, ty: ColumnType) -> Column {
        Column {
            name: column_name(label),
            label: label.to_owned(),
            ty,
        }
    }
}

/// The column a label is read into: lowercase, with characters outside
/// `[a-z0-9_]` made `_`, as Athena names columns.
pub(crate) fn column_name(label: &str) -> String {
    label
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '_') => c,
            _ => '_',
        })
        .collect()
}

/// The table's columns for `config`: the log format's labels in order,
/// then, with `split_request`, the request parts the format does not have.
/// It is an error for there to be no log format, for two labels to make
/// one column, or for a label to take a partition column's name.
pub fn columns(config: &Config, split_request: bool) -> Result<Vec<Column>, String> {
    let format = config
        .log_format()
        .ok_or("LTSV_LOG_FORMAT is empty: the labels, and so the columns, are unknown")?;
    let labels = format.fields().iter().map(|field| field.label.as_str());
    let parts = REQUEST_PARTS
        .into_iter()
        .filter(|part| split_request && !format.fields().iter().any(|f| f.label == *part));
    let mut columns: Vec<Column> = Vec::new();
    for label in labels.chain(parts) {
        let name = column_name(label);
        if PARTITION_COLUMNS.contains(&name.as_str()) {
            return Err(format!(
                "label {label:?} would be column {name:?}, a partition column of the table"
            ));
        }
        if let Some(other) = columns.iter().find(|c| c.name == name) {
            return Err(format!(
                "labels {:?} and {label:?} would both be column {name:?}",
                other.label
            ));
        }
        let ty = config.type_of(label.as_bytes()).unwrap_or(Type::String);
        columns.push(Column::new(label, ColumnType::of(ty)));
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(format: &str) -> Config {
        Config::from_vars(&[("LTSV_LOG_FORMAT", format), ("LTSV_TYPES", "")]).unwrap()
    }

    fn named(columns: &[Column]) -> Vec<(&str, &str, &str)> {
        columns
            .iter()
            .map(|c| (c.name.as_str(), c.label.as_str(), c.ty.name()))
            .collect()
    }

    #[test]
    fn names_are_lowercase_with_underscores() {
        assert_eq!(column_name("X-Forwarded-For"), "x_forwarded_for");
        assert_eq!(column_name("a.b"), "a_b");
        assert_eq!(column_name("UA"), "ua");
        assert_eq!(column_name("req_time2"), "req_time2");
        assert_eq!(column_name("ラベル"), "___");
    }

    #[test]
    fn each_type_has_its_glue_name() {
        let names: Vec<_> = Type::ALL.map(|ty| ColumnType::of(ty).name()).to_vec();
        assert_eq!(
            names,
            [
                "bigint",
                "double",
                "boolean",
                "string",
                "timestamp",
                "timestamp",
                "timestamp"
            ]
        );
    }

    #[test]
    fn columns_follow_the_format_and_the_request_parts_the_format_lacks() {
        let config = config(
            r"time:$time_local\tmethod:$request_method\treq:$request\treqtime:$request_time",
        );
        assert_eq!(
            named(&columns(&config, false).unwrap()),
            [
                ("time", "time", "timestamp"),
                ("method", "method", "string"),
                ("req", "req", "string"),
                ("reqtime", "reqtime", "double"),
            ]
        );
        let split = columns(&config, true).unwrap();
        assert_eq!(
            named(&split[4..]),
            [
                ("path", "path", "string"),
                ("query", "query", "string"),
                ("protocol", "protocol", "string"),
            ]
        );
    }

    #[test]
    fn explicit_types_are_the_columns_types() {
        let config = Config::from_vars(&[
            ("LTSV_LOG_FORMAT", r"status:%>s\truntime:%{X-Runtime}o"),
            ("LTSV_TYPES", "runtime:float,status:string"),
        ])
        .unwrap();
        assert_eq!(
            named(&columns(&config, false).unwrap()),
            [
                ("status", "status", "string"),
                ("runtime", "runtime", "double")
            ]
        );
    }

    #[test]
    fn labels_that_would_share_a_column_or_take_a_partition_are_errors() {
        assert_eq!(
            columns(&config(r"ua:%{User-Agent}i\tUA:%u"), false).unwrap_err(),
            r#"labels "ua" and "UA" would both be column "ua""#
        );
        assert_eq!(
            columns(&config(r"a-b:%h\ta_b:%u"), false).unwrap_err(),
            r#"labels "a-b" and "a_b" would both be column "a_b""#
        );
        assert_eq!(
            columns(&config(r"Hour:%{%H}t"), false).unwrap_err(),
            r#"label "Hour" would be column "hour", a partition column of the table"#
        );
        let none = Config::from_vars(&[("LTSV_LOG_FORMAT", "")]).unwrap();
        assert!(
            columns(&none, false)
                .unwrap_err()
                .starts_with("LTSV_LOG_FORMAT is empty")
        );
    }
}
