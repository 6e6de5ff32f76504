//! Gzip NDJSON: the lines as the function wrote them, one gzip member a
//! file, as the delivery stream writes them.

use std::io::{self, Write};
use std::sync::Arc;

use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};

use crate::TableFile;
use crate::file::Spare;

/// A gzip member's header: deflate, no name or time, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// Lines gathered before they are compressed: the compressor is much
/// faster on large writes than on one line at a time.
const GATHER: usize = 64 * 1024;

/// One gzip NDJSON file; its compressor goes back to the spares when it
/// ends.
pub(crate) struct GzipLines {
    deflate: DeflateEncoder<Vec<u8>>,
    gathered: Vec<u8>,
    crc: Crc,
    spare: Spare,
}

impl GzipLines {
    /// A file compressed by a spare compressor, or a new one.
    pub(crate) fn new(spare: &Spare) -> GzipLines {
        let reused = spare.lock().expect("not poisoned").pop();
        let mut deflate =
            reused.unwrap_or_else(|| DeflateEncoder::new(Vec::new(), Compression::default()));
        deflate.get_mut().extend_from_slice(&GZIP_HEADER);
        GzipLines {
            deflate,
            gathered: Vec::with_capacity(GATHER),
            crc: Crc::new(),
            spare: Arc::clone(spare),
        }
    }

    fn compress_gathered(&mut self) -> io::Result<()> {
        self.crc.update(&self.gathered);
        self.deflate.write_all(&self.gathered)?;
        self.gathered.clear();
        Ok(())
    }
}

impl TableFile for GzipLines {
    fn write_line(&mut self, line: &[u8], _source: Option<&str>) -> io::Result<()> {
        self.gathered.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            self.gathered.push(b'\n');
        }
        if self.gathered.len() >= GATHER {
            self.compress_gathered()?;
        }
        Ok(())
    }

    fn pending(&self) -> usize {
        self.deflate.get_ref().len()
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(self.deflate.get_mut())
    }

    fn values_left_out(&self) -> u64 {
        0
    }

    fn finish(mut self: Box<Self>) -> io::Result<Vec<u8>> {
        self.compress_gathered()?;
        self.deflate.try_finish()?;
        let mut last = self.take();
        last.extend_from_slice(&self.crc.sum().to_le_bytes());
        last.extend_from_slice(&self.crc.amount().to_le_bytes());
        // Ready for another file; there are never more spares than files
        // were ever open at once.
        self.deflate.reset(Vec::new())?;
        self.spare.lock().expect("not poisoned").push(self.deflate);
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::MultiGzDecoder;

    use crate::{Files, OutputFormat, Table};

    fn files() -> Files {
        Files::new(OutputFormat::Json, Table::new(Vec::new()))
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut text = Vec::new();
        MultiGzDecoder::new(bytes).read_to_end(&mut text).unwrap();
        text
    }

    #[test]
    fn lines_come_back_one_a_line() {
        let mut file = files().open().unwrap();
        file.write_line(b"{\"a\":1}\n", None).unwrap();
        file.write_line(b"{\"b\":2}", None).unwrap();
        assert_eq!(file.values_left_out(), 0);
        assert_eq!(gunzip(&file.finish().unwrap()), b"{\"a\":1}\n{\"b\":2}\n");
    }

    #[test]
    fn taken_pieces_and_the_end_make_one_gzip_member() {
        let mut file = files().open().unwrap();
        let mut bytes = Vec::new();
        let mut expected = Vec::new();
        for i in 0..20_000 {
            let row = format!("{{\"n\":{i},\"pad\":\"{:x}\"}}\n", i * 7919);
            file.write_line(row.as_bytes(), None).unwrap();
            expected.extend_from_slice(row.as_bytes());
            if file.pending() > 1000 {
                bytes.extend(file.take());
            }
        }
        assert!(bytes.len() > 1000, "pieces were taken along the way");
        assert_eq!(file.pending(), 0);
        bytes.extend(file.finish().unwrap());
        assert_eq!(gunzip(&bytes), expected);
        // One member: its trailer's size and checksum are of every line.
        let size = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap());
        assert_eq!(size as usize, expected.len());
    }

    #[test]
    fn a_compressor_handed_back_writes_the_same_bytes_again() {
        let files = files();
        let file = |files: &Files| {
            let mut file = files.open().unwrap();
            for i in 0..3000 {
                file.write_line(format!("{{\"n\":{i}}}\n").as_bytes(), None)
                    .unwrap();
            }
            let mut bytes = file.take();
            bytes.extend(file.finish().unwrap());
            bytes
        };
        let first = file(&files);
        assert_eq!(files.spare(), 1);
        assert_eq!(file(&files), first);
        assert_eq!(files.spare(), 1, "reused, not added");
        assert_eq!(gunzip(&first).split(|&b| b == b'\n').count(), 3001);
        // Two open at once: two compressors, both kept; none for Parquet.
        let (a, b) = (files.open().unwrap(), files.open().unwrap());
        a.finish().unwrap();
        b.finish().unwrap();
        assert_eq!(files.spare(), 2);
        let parquet = Files::new(OutputFormat::Parquet, Table::new(Vec::new()));
        parquet.open().unwrap().finish().unwrap();
        assert_eq!(parquet.spare(), 0);
    }

    #[test]
    fn an_empty_file_is_an_empty_member() {
        let file = files().open().unwrap();
        assert_eq!(gunzip(&file.finish().unwrap()), b"");
    }
}
