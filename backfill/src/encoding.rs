//! How an hour's rows become the bytes of its object: the seam between the
//! conversion and the file format. Rows arrive as the function writes
//! them (one JSON object and its newline); an encoder may hand out its
//! bytes as they accumulate, so that they can be uploaded in parts while
//! the hour is still being written.
//!
//! Two encodings, as the stack's `OutputFormat` says: gzip NDJSON, the
//! stream's own format ([`GzipJson`]), or Parquet of the table's columns,
//! as the stream's record format conversion writes it ([`ParquetRows`]).
//! The Parquet writer writes into any [`Write`]: here a buffer it shares
//! with its encoder, whose [`take`](Encoder::take) empties it.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use firehose_ltsv_output::{OutputFormat, Table, TableFile};
use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};

/// A file format for hourly objects.
pub trait Encoding: fmt::Debug + Send + Sync {
    /// The end of the objects' names, for example `.json.gz`.
    fn extension(&self) -> &'static str;

    /// A new, empty object.
    fn encoder(&self) -> io::Result<Box<dyn Encoder>>;
}

/// One object being written.
pub trait Encoder: Send {
    /// Adds one row: a JSON object followed by `\n`.
    fn write_row(&mut self, row: &[u8]) -> io::Result<()>;

    /// How many encoded bytes wait to be taken.
    fn pending(&self) -> usize;

    /// Takes the encoded bytes waiting: the object is every piece taken,
    /// in order, followed by what [`finish`](Self::finish) returns.
    fn take(&mut self) -> Vec<u8>;

    /// Ends the object and returns its last bytes.
    fn finish(self: Box<Self>) -> io::Result<Vec<u8>>;
}

/// Gzip-compressed JSON lines, as the delivery stream writes them: one
/// gzip member an object.
///
/// A finished object hands its compressor back for the next one: thousands
/// of hourly objects, each with a compressor of its own, fragment the heap
/// until the process holds several times what it uses.
#[derive(Debug)]
pub struct GzipJson {
    level: Compression,
    spare: Arc<Mutex<Vec<DeflateEncoder<Vec<u8>>>>>,
}

/// A gzip member's header: deflate, no name or time, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

impl GzipJson {
    /// Gzip at `level` (0–9).
    pub fn new(level: u32) -> GzipJson {
        GzipJson {
            level: Compression::new(level),
            spare: Arc::default(),
        }
    }
}

impl Default for GzipJson {
    /// The level the command line's `--out-dir` writes with.
    fn default() -> GzipJson {
        GzipJson::new(Compression::default().level())
    }
}

impl Encoding for GzipJson {
    fn extension(&self) -> &'static str {
        ".json.gz"
    }

    fn encoder(&self) -> io::Result<Box<dyn Encoder>> {
        let spare = self.spare.lock().expect("not poisoned").pop();
        let mut deflate = spare.unwrap_or_else(|| DeflateEncoder::new(Vec::new(), self.level));
        deflate.get_mut().extend_from_slice(&GZIP_HEADER);
        Ok(Box::new(GzipJsonEncoder {
            deflate,
            crc: Crc::new(),
            spare: Arc::clone(&self.spare),
        }))
    }
}

struct GzipJsonEncoder {
    deflate: DeflateEncoder<Vec<u8>>,
    crc: Crc,
    spare: Arc<Mutex<Vec<DeflateEncoder<Vec<u8>>>>>,
}

impl Encoder for GzipJsonEncoder {
    fn write_row(&mut self, row: &[u8]) -> io::Result<()> {
        self.crc.update(row);
        self.deflate.write_all(row)
    }

    fn pending(&self) -> usize {
        self.deflate.get_ref().len()
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(self.deflate.get_mut())
    }

    fn finish(mut self: Box<Self>) -> io::Result<Vec<u8>> {
        self.deflate.try_finish()?;
        let mut last = self.take();
        last.extend_from_slice(&self.crc.sum().to_le_bytes());
        last.extend_from_slice(&self.crc.amount().to_le_bytes());
        // Ready for another object; there are never more spare than were
        // ever open at once.
        self.deflate.reset(Vec::new())?;
        self.spare.lock().expect("not poisoned").push(self.deflate);
        Ok(last)
    }
}

/// Parquet files of the table's columns, as the stream's record format
/// conversion writes them with `OutputFormat=parquet`: the same reader
/// reads old and new hours alike. A value of a label without a column, or
/// not of its column's type, is left out, as conversion leaves it out.
#[derive(Debug)]
pub struct ParquetRows {
    table: Table,
}

impl ParquetRows {
    /// Parquet files of `table`'s rows.
    pub fn new(table: Table) -> ParquetRows {
        ParquetRows { table }
    }
}

impl Encoding for ParquetRows {
    fn extension(&self) -> &'static str {
        ".parquet"
    }

    fn encoder(&self) -> io::Result<Box<dyn Encoder>> {
        let written = Shared::default();
        let file = OutputFormat::Parquet.open(&self.table, written.clone())?;
        Ok(Box::new(ParquetEncoder { file, written }))
    }
}

/// Bytes a writer writes and its encoder takes.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn bytes(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.0.lock().expect("not poisoned")
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct ParquetEncoder {
    file: Box<dyn TableFile<Shared>>,
    written: Shared,
}

impl Encoder for ParquetEncoder {
    fn write_row(&mut self, row: &[u8]) -> io::Result<()> {
        self.file.write_line(row)
    }

    fn pending(&self) -> usize {
        self.written.bytes().len()
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut *self.written.bytes())
    }

    fn finish(self: Box<Self>) -> io::Result<Vec<u8>> {
        let written = self.file.finish()?;
        Ok(std::mem::take(&mut *written.bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    use flate2::read::MultiGzDecoder;

    #[test]
    fn taken_pieces_and_the_end_make_one_gzip_member() {
        let mut encoder = GzipJson::new(1).encoder().unwrap();
        let mut object = Vec::new();
        let mut expected = Vec::new();
        for i in 0..20_000 {
            let row = format!("{{\"n\":{i},\"pad\":\"{:x}\"}}\n", i * 7919);
            encoder.write_row(row.as_bytes()).unwrap();
            expected.extend_from_slice(row.as_bytes());
            if encoder.pending() > 1000 {
                object.extend(encoder.take());
            }
        }
        assert!(!object.is_empty(), "pieces were taken along the way");
        object.extend(encoder.finish().unwrap());
        let mut text = Vec::new();
        MultiGzDecoder::new(object.as_slice())
            .read_to_end(&mut text)
            .unwrap();
        assert_eq!(text, expected);
        assert_eq!(GzipJson::default().extension(), ".json.gz");
    }

    #[test]
    fn a_compressor_handed_back_writes_the_same_bytes_again() {
        let encoding = GzipJson::default();
        let object = |encoding: &GzipJson| {
            let mut encoder = encoding.encoder().unwrap();
            for i in 0..3000 {
                encoder
                    .write_row(format!("{{\"n\":{i}}}\n").as_bytes())
                    .unwrap();
            }
            let mut bytes = encoder.take();
            bytes.extend(encoder.finish().unwrap());
            bytes
        };
        let first = object(&encoding);
        assert_eq!(encoding.spare.lock().unwrap().len(), 1);
        assert_eq!(object(&encoding), first);
        assert_eq!(encoding.spare.lock().unwrap().len(), 1, "reused, not added");
        let mut text = String::new();
        MultiGzDecoder::new(first.as_slice())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text.lines().count(), 3000);
        // Two open at once: two compressors, both kept.
        let (a, b) = (encoding.encoder().unwrap(), encoding.encoder().unwrap());
        a.finish().unwrap();
        b.finish().unwrap();
        assert_eq!(encoding.spare.lock().unwrap().len(), 2);
    }

    #[test]
    fn parquet_pieces_and_the_end_make_the_file_the_table_format_writes() {
        use firehose_ltsv::{Column, ColumnType};

        let table = Table::new(vec![
            Column::new("n", ColumnType::Bigint),
            Column::new("ua", ColumnType::String),
        ]);
        let rows: Vec<String> = (0..140_000)
            .map(|i| format!("{{\"n\":{i},\"ua\":\"agent {}\"}}\n", i % 7))
            .collect();
        let mut encoder = ParquetRows::new(table.clone()).encoder().unwrap();
        assert_eq!(ParquetRows::new(table.clone()).extension(), ".parquet");
        let mut object = Vec::new();
        for row in &rows {
            encoder.write_row(row.as_bytes()).unwrap();
            if encoder.pending() > 1000 {
                object.extend(encoder.take());
            }
        }
        // More rows than one row group holds: the first was taken early.
        assert!(object.len() > 1000, "pieces were taken along the way");
        assert_eq!(encoder.pending(), 0);
        object.extend(encoder.finish().unwrap());

        let mut direct = OutputFormat::Parquet.open(&table, Vec::new()).unwrap();
        for row in &rows {
            direct.write_line(row.as_bytes()).unwrap();
        }
        assert_eq!(object, direct.finish().unwrap());
    }
}
