//! How an hour's rows become the bytes of its object: the seam between the
//! conversion and the file format. Rows arrive as the function writes
//! them (one JSON object and its newline); an encoder may hand out its
//! bytes as they accumulate, so that they can be uploaded in parts while
//! the hour is still being written.
//!
//! Gzip NDJSON, the stream's own format, is the one encoding here. Another
//! format implements the same two traits: one that writes into any
//! [`Write`] does so over a buffer it shares with its encoder, whose
//! [`take`](Encoder::take) empties it.

use std::fmt;
use std::io::{self, Write};

use flate2::Compression;
use flate2::write::GzEncoder;

/// A file format for hourly objects.
pub trait Encoding: fmt::Debug + Send + Sync {
    /// The end of the objects' names, for example `.json.gz`.
    fn extension(&self) -> &'static str;

    /// A new, empty object.
    fn encoder(&self) -> Box<dyn Encoder>;
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

/// Gzip-compressed JSON lines, as the delivery stream writes them.
#[derive(Clone, Copy, Debug)]
pub struct GzipJson {
    level: Compression,
}

impl GzipJson {
    /// Gzip at `level` (0–9).
    pub fn new(level: u32) -> GzipJson {
        GzipJson {
            level: Compression::new(level),
        }
    }
}

impl Default for GzipJson {
    /// The level the command line's `--out-dir` writes with.
    fn default() -> GzipJson {
        GzipJson {
            level: Compression::default(),
        }
    }
}

impl Encoding for GzipJson {
    fn extension(&self) -> &'static str {
        ".json.gz"
    }

    fn encoder(&self) -> Box<dyn Encoder> {
        Box::new(GzipJsonEncoder(GzEncoder::new(Vec::new(), self.level)))
    }
}

struct GzipJsonEncoder(GzEncoder<Vec<u8>>);

impl Encoder for GzipJsonEncoder {
    fn write_row(&mut self, row: &[u8]) -> io::Result<()> {
        self.0.write_all(row)
    }

    fn pending(&self) -> usize {
        self.0.get_ref().len()
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(self.0.get_mut())
    }

    fn finish(self: Box<Self>) -> io::Result<Vec<u8>> {
        self.0.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    use flate2::read::MultiGzDecoder;

    #[test]
    fn taken_pieces_and_the_end_make_one_gzip_member() {
        let mut encoder = GzipJson::new(1).encoder();
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
}
