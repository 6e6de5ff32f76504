//! The table's files, written apart from the stream: converted lines as
//! gzip NDJSON, as Firehose delivers them, or as Parquet, as Firehose's
//! record format conversion writes them (or, for an Iceberg table, as the
//! Parquet a staging table holds for it); and the files of each hour of
//! event time, a bounded number open at once, wherever they go. The
//! command line's `--out-dir` and the backfill function's objects are both
//! written through [`HourFiles`]: a format is written once, here.
//!
//! | module | concern |
//! |---|---|
//! | `hours` | the files of each hour, a bounded number open; where they go |
//! | `file` | one file: lines in, its bytes out as they accumulate |
//! | `ndjson` | gzip NDJSON, its compressors reused |
//! | `parquet` | Parquet of the table's column types |
//!
//! ```
//! use firehose_ltsv::{Config, columns};
//! use firehose_ltsv_output::{Files, OutputFormat, Table};
//!
//! let config = Config::default();
//! let table = Table::new(columns(&config, true).unwrap());
//! let files = Files::new(OutputFormat::Parquet, table);
//! let mut file = files.open().unwrap();
//! file.write_line(br#"{"time":"2021-06-28 08:22:48","status":200}"#, None).unwrap();
//! let bytes = file.finish().unwrap();
//! assert_eq!(&bytes[..4], b"PAR1");
//! ```

mod file;
mod hours;
mod ndjson;
mod parquet;

use std::sync::Arc;

use firehose_ltsv::Column;
pub use firehose_ltsv::OutputFormat;

pub use file::{Files, TableFile};
pub use hours::{Destination, HourFiles, Written};

/// The ending of the names of `format`'s files: gzip NDJSON for JSON,
/// Parquet for a Parquet or an Iceberg table.
pub fn extension(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Json => "json.gz",
        OutputFormat::Parquet | OutputFormat::Iceberg => "parquet",
    }
}

/// The columns of the table a file belongs to, shared by its files.
#[derive(Clone, Debug)]
pub struct Table(Arc<Vec<Column>>);

impl Table {
    /// The table of `columns`.
    pub fn new(columns: Vec<Column>) -> Table {
        Table(Arc::new(columns))
    }

    /// Its columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use firehose_ltsv::ColumnType;

    use super::*;

    #[test]
    fn json_files_are_gzip_and_the_others_parquet() {
        let extensions = OutputFormat::ALL.map(extension);
        assert_eq!(extensions, ["json.gz", "parquet", "parquet"]);
    }

    #[test]
    fn each_format_opens_its_own_kind_of_file() {
        let table = Table::new(vec![Column::new("status", ColumnType::Bigint)]);
        assert_eq!(table.columns()[0].name, "status");
        let line = b"{\"status\":200,\"extra\":1}\n";

        let mut json = Files::new(OutputFormat::Json, table.clone())
            .open()
            .unwrap();
        json.write_line(line, None).unwrap();
        assert_eq!(json.values_left_out(), 0);
        let gzip = json.finish().unwrap();
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_end(&mut text)
            .unwrap();
        assert_eq!(text, line);

        let mut parquet = Files::new(OutputFormat::Parquet, table).open().unwrap();
        parquet.write_line(line, None).unwrap();
        assert_eq!(parquet.values_left_out(), 1, "extra has no column");
        let file = parquet.finish().unwrap();
        assert_eq!(
            (&file[..4], &file[file.len() - 4..]),
            (&b"PAR1"[..], &b"PAR1"[..])
        );
    }
}
