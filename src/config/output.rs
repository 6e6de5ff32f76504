//! What the table is, and so what the lines are written for: JSON lines
//! whose keys are the labels, which Firehose delivers as they are (gzip
//! NDJSON) or converts to Parquet; or, for an Apache Iceberg table, which
//! Firehose writes by column name, records keyed by column with times in
//! microseconds.

use std::fmt;
use std::str::FromStr;

/// The table's format (`OUTPUT_FORMAT`, the template's `OutputFormat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    /// Gzip NDJSON, one object a line, keyed by label.
    #[default]
    Json,
    /// Parquet of the table's columns, which Firehose converts the JSON
    /// lines to.
    Parquet,
    /// An Apache Iceberg table: one object a record, keyed by column, a
    /// time as an integer of microseconds since the epoch, labels the log
    /// format does not declare left out.
    Iceberg,
}

impl OutputFormat {
    /// Every format, as `OUTPUT_FORMAT` and the template list them.
    pub const ALL: [OutputFormat; 3] = [
        OutputFormat::Json,
        OutputFormat::Parquet,
        OutputFormat::Iceberg,
    ];

    /// Its name, as `OUTPUT_FORMAT`, `--output-format` and the template's
    /// `OutputFormat` spell it.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Json => "json",
            OutputFormat::Parquet => "parquet",
            OutputFormat::Iceberg => "iceberg",
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OutputFormat {
    type Err = String;

    fn from_str(name: &str) -> Result<OutputFormat, String> {
        OutputFormat::ALL
            .into_iter()
            .find(|format| format.name() == name)
            .ok_or_else(|| format!("{name:?} is not an output format (json, parquet or iceberg)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_named_and_read_back_by_name() {
        for (format, name) in OutputFormat::ALL
            .into_iter()
            .zip(["json", "parquet", "iceberg"])
        {
            assert_eq!(format.name(), name);
            assert_eq!(format.to_string(), name);
            assert_eq!(name.parse::<OutputFormat>(), Ok(format));
        }
        assert_eq!(OutputFormat::default(), OutputFormat::Json);
        for unknown in ["", "JSON", "csv", " json"] {
            assert_eq!(
                unknown.parse::<OutputFormat>(),
                Err(format!(
                    "{unknown:?} is not an output format (json, parquet or iceberg)"
                ))
            );
        }
    }
}
