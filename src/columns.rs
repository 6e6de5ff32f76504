//! The table the settings imply: one column per label of the log format
//! (and per request part, when request lines are split), named as Athena
//! accepts, typed as Glue spells it; for an Iceberg table, keyed by column
//! name, with the column backfilled rows say their source in.
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
use crate::config::names::column_name;
use crate::config::output::OutputFormat;
use crate::values::redact::Redaction;
use crate::values::request::REQUEST_PARTS;
use crate::values::types::Type;

/// The partition columns of the stream's layout, which no label may take.
pub(crate) const PARTITION_COLUMNS: [&str; 4] = ["year", "month", "day", "hour"];

/// The column of an Iceberg table where a backfilled row says where it
/// came from (`backfill-ID:LINE`, `FILE:LINE`): the key that moves each
/// row into the table once, however often it is backfilled. The stream's
/// rows leave it null.
pub const SOURCE_LINE: &str = "source_line";

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

    /// Its name in Iceberg's schema: `long` for Glue's `bigint`, and the
    /// same for the others (a timestamp without a zone, in microseconds).
    pub fn iceberg_name(self) -> &'static str {
        match self {
            ColumnType::Bigint => "long",
            other => other.name(),
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
    /// What `LTSV_REDACT` does to its values, if anything, as the table's
    /// column comment says it.
    pub redacted: Option<String>,
}

impl Column {
    /// The column of `label`, of type `ty`, named as [`column_name`] names
    /// it, with nothing redacted.
    pub fn new(label: &str, ty: ColumnType) -> Column {
        Column {
            name: column_name(label),
            label: label.to_owned(),
            ty,
            redacted: None,
        }
    }
}

/// The table's columns for `config`, in its output format: see
/// [`columns_for`].
pub fn columns(config: &Config, split_request: bool) -> Result<Vec<Column>, String> {
    columns_for(config, split_request, config.output_format())
}

/// The columns of the table of `format` for `config`: the log format's
/// labels in order, then, with `split_request`, the request parts the
/// format does not have; for an Iceberg table, each keyed by its name, and
/// then [`SOURCE_LINE`]. It is an error for there to be no log format, for
/// two labels to make one column, or, for a table partitioned by
/// `year/month/day/hour` folders, for a label to take one of their names.
pub fn columns_for(
    config: &Config,
    split_request: bool,
    format: OutputFormat,
) -> Result<Vec<Column>, String> {
    let log_format = config
        .log_format()
        .ok_or("LTSV_LOG_FORMAT is empty: the labels, and so the columns, are unknown")?;
    let labels = log_format.fields().iter().map(|field| field.label.as_str());
    let parts = REQUEST_PARTS
        .into_iter()
        .filter(|part| split_request && !log_format.fields().iter().any(|f| f.label == *part));
    let iceberg = format == OutputFormat::Iceberg;
    let mut columns: Vec<Column> = Vec::new();
    for label in labels.chain(parts) {
        let redaction = config.redaction_of(label.as_bytes());
        if redaction == Some(&Redaction::Drop) {
            continue;
        }
        let name = column_name(label);
        // An Iceberg table's partitions are hidden: any name is a column.
        if PARTITION_COLUMNS.contains(&name.as_str()) && !iceberg {
            return Err(format!(
                "label {label:?} would be column {name:?}, a partition column of the table"
            ));
        }
        if iceberg && name == SOURCE_LINE {
            return Err(format!(
                "label {label:?} would be column {SOURCE_LINE:?}, which backfilled rows keep their source in"
            ));
        }
        if let Some(other) = columns.iter().find(|c| c.name == name) {
            return Err(format!(
                "labels {:?} and {label:?} would both be column {name:?}",
                other.label
            ));
        }
        let ty = config.type_of(label.as_bytes()).unwrap_or(Type::String);
        // Records for an Iceberg table are keyed by column.
        let key = if iceberg { name.as_str() } else { label };
        columns.push(Column {
            redacted: redaction.map(Redaction::describe),
            ..Column::new(key, ColumnType::of(ty))
        });
    }
    if iceberg {
        columns.push(Column::new(SOURCE_LINE, ColumnType::String));
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
