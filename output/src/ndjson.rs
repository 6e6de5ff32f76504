//! Gzip NDJSON: the lines as the function wrote them.

use std::io::{self, BufWriter, Write};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::TableFile;

/// Lines gathered before compressing: the encoder is much faster on large
/// writes than on one line at a time.
pub(crate) struct GzipLines<W: Write> {
    encoder: BufWriter<GzEncoder<W>>,
}

impl<W: Write> GzipLines<W> {
    pub(crate) fn new(sink: W) -> GzipLines<W> {
        GzipLines {
            encoder: BufWriter::with_capacity(
                1 << 16,
                GzEncoder::new(sink, Compression::default()),
            ),
        }
    }
}

impl<W: Write + Send> TableFile<W> for GzipLines<W> {
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.encoder.write_all(line)?;
        if !line.ends_with(b"\n") {
            self.encoder.write_all(b"\n")?;
        }
        Ok(())
    }

    fn values_left_out(&self) -> u64 {
        0
    }

    fn finish(self: Box<Self>) -> io::Result<W> {
        let encoder = self
            .encoder
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        encoder.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn lines_come_back_one_a_line() {
        let mut file = Box::new(GzipLines::new(Vec::new()));
        file.write_line(b"{\"a\":1}\n").unwrap();
        file.write_line(b"{\"b\":2}").unwrap();
        assert_eq!(file.values_left_out(), 0);
        let gzip = file.finish().unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "{\"a\":1}\n{\"b\":2}\n");
    }
}
