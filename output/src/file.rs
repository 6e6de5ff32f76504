//! One file of the table: lines go in as the function wrote them (a JSON
//! object and its newline), and its encoded bytes come out as they
//! accumulate, so that a large file can be written, or uploaded in parts,
//! while it is still being filled, and never be held whole.

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex};

use flate2::write::DeflateEncoder;

use crate::ndjson::GzipLines;
use crate::parquet::{ParquetFile, TimeUnit};
use crate::{OutputFormat, Table};

/// One file being written.
pub trait TableFile: Send {
    /// Adds one line the function wrote (a JSON object, `\n` optional);
    /// for an Iceberg table's staging file, with where the row came from,
    /// for its `source_line` column.
    fn write_line(&mut self, line: &[u8], source: Option<&str>) -> io::Result<()>;

    /// How many encoded bytes wait to be taken.
    fn pending(&self) -> usize;

    /// Takes the encoded bytes waiting: the file is every piece taken, in
    /// order, followed by what [`finish`](Self::finish) returns.
    fn take(&mut self) -> Vec<u8>;

    /// Values left out so far: Parquet files hold only the table's columns,
    /// each of its type, so a value of a label without a column, or not of
    /// its column's type, is left out (the latter as a null).
    fn values_left_out(&self) -> u64;

    /// Ends the file and returns its last bytes.
    fn finish(self: Box<Self>) -> io::Result<Vec<u8>>;
}

/// Gzip compressors of finished files, for the next: thousands of files,
/// each with a compressor of its own, fragment the heap until the process
/// holds several times what it uses.
pub(crate) type Spare = Arc<Mutex<Vec<DeflateEncoder<Vec<u8>>>>>;

/// Files of one format and table, opened one after another.
#[derive(Clone)]
pub struct Files {
    format: OutputFormat,
    table: Table,
    spare: Spare,
}

impl fmt::Debug for Files {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Files")
            .field("format", &self.format)
            .field("columns", &self.table.columns().len())
            .finish()
    }
}

impl Files {
    /// Files of `format`; Parquet files have `table`'s columns (gzip
    /// NDJSON keeps every line as it is), their times in milliseconds, or
    /// for an Iceberg table in microseconds, as Iceberg keeps them.
    pub fn new(format: OutputFormat, table: Table) -> Files {
        Files {
            format,
            table,
            spare: Spare::default(),
        }
    }

    /// Their format.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// A new, empty file.
    pub fn open(&self) -> io::Result<Box<dyn TableFile>> {
        Ok(match self.format {
            OutputFormat::Json => Box::new(GzipLines::new(&self.spare)),
            OutputFormat::Parquet => Box::new(ParquetFile::new(&self.table, TimeUnit::Millis)?),
            OutputFormat::Iceberg => Box::new(ParquetFile::new(&self.table, TimeUnit::Micros)?),
        })
    }

    /// Compressors kept for the files to come.
    #[cfg(test)]
    pub(crate) fn spare(&self) -> usize {
        self.spare.lock().expect("not poisoned").len()
    }
}
