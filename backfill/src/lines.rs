//! The source object's bytes, as they arrive, into lines: gzip (one member
//! or several, as `logrotate` writes them) or plain, told apart by gzip's
//! magic bytes, and never held whole.

use std::io::{self, Write};

use flate2::write::MultiGzDecoder;

/// What receives each line.
pub(crate) trait LineSink {
    /// One line, its line end included (the last line of an object may
    /// have none).
    fn line(&mut self, line: &[u8]) -> io::Result<()>;
}

/// Splits what is written to it into lines for `S`. Only a line that spans
/// two writes is copied, and none may be longer than `max_line`.
#[derive(Debug)]
pub(crate) struct Lines<S> {
    sink: S,
    partial: Vec<u8>,
    max_line: usize,
}

impl<S: LineSink> Lines<S> {
    /// Lines for `sink`, none longer than `max_line` bytes.
    pub(crate) fn new(sink: S, max_line: usize) -> Lines<S> {
        Lines {
            sink,
            partial: Vec::new(),
            max_line,
        }
    }

    /// The sink.
    pub(crate) fn sink(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Hands over the last line, if the object does not end in a line end.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        if !self.partial.is_empty() {
            self.sink.line(&self.partial)?;
            self.partial.clear();
        }
        Ok(())
    }

    fn too_long(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a line is longer than {} bytes: not a log", self.max_line),
        )
    }
}

impl<S: LineSink> Write for Lines<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(end) = memchr::memchr(b'\n', rest) {
            let (line, tail) = rest.split_at(end + 1);
            if self.partial.is_empty() {
                if line.len() > self.max_line {
                    return Err(self.too_long());
                }
                self.sink.line(line)?;
            } else {
                self.partial.extend_from_slice(line);
                if self.partial.len() > self.max_line {
                    return Err(self.too_long());
                }
                self.sink.line(&self.partial)?;
                self.partial.clear();
            }
            rest = tail;
        }
        if self.partial.len() + rest.len() > self.max_line {
            return Err(self.too_long());
        }
        self.partial.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The source's bytes into `W`: decompressed when they start as gzip does.
#[derive(Debug)]
pub(crate) struct Decoder<W: Write> {
    state: State<W>,
}

#[derive(Debug)]
enum State<W: Write> {
    /// Fewer than two bytes seen: gzip or not is still open.
    Start(Option<W>, Vec<u8>),
    Plain(W),
    Gzip(Box<MultiGzDecoder<W>>),
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

impl<W: Write> Decoder<W> {
    /// A decoder writing into `out`.
    pub(crate) fn new(out: W) -> Decoder<W> {
        Decoder {
            state: State::Start(Some(out), Vec::new()),
        }
    }

    /// The writer decoded bytes go to.
    pub(crate) fn get_mut(&mut self) -> &mut W {
        match &mut self.state {
            State::Start(out, _) => out.as_mut().expect("present until decided"),
            State::Plain(out) => out,
            State::Gzip(decoder) => decoder.get_mut(),
        }
    }

    /// Ends the source: a gzip source must end with a whole member.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        if let State::Start(..) = self.state {
            self.decide()?;
        }
        match &mut self.state {
            State::Gzip(decoder) => decoder.try_finish(),
            _ => Ok(()),
        }
    }

    fn decide(&mut self) -> io::Result<()> {
        let State::Start(out, head) = &mut self.state else {
            return Ok(());
        };
        let out = out.take().expect("present until decided");
        let head = std::mem::take(head);
        self.state = if head.starts_with(&GZIP_MAGIC) {
            State::Gzip(Box::new(MultiGzDecoder::new(out)))
        } else {
            State::Plain(out)
        };
        self.write_all(&head)
    }
}

impl<W: Write> Write for Decoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.state {
            State::Start(_, head) => {
                let take = buf.len().min(GZIP_MAGIC.len() - head.len());
                head.extend_from_slice(&buf[..take]);
                if head.len() == GZIP_MAGIC.len() {
                    self.decide()?;
                }
                Ok(take)
            }
            State::Plain(out) => out.write(buf),
            State::Gzip(decoder) => decoder.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.state {
            State::Start(..) => Ok(()),
            State::Plain(out) => out.flush(),
            State::Gzip(decoder) => decoder.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;

    #[derive(Default)]
    struct Collect(Vec<Vec<u8>>);

    impl LineSink for Collect {
        fn line(&mut self, line: &[u8]) -> io::Result<()> {
            self.0.push(line.to_vec());
            Ok(())
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    /// The lines of `source` written `step` bytes at a time.
    fn lines(source: &[u8], step: usize) -> io::Result<Vec<Vec<u8>>> {
        let mut decoder = Decoder::new(Lines::new(Collect::default(), 64));
        for chunk in source.chunks(step) {
            decoder.write_all(chunk)?;
        }
        decoder.finish()?;
        decoder.get_mut().finish()?;
        Ok(std::mem::take(&mut decoder.get_mut().sink().0))
    }

    #[test]
    fn plain_and_multi_member_gzip_give_the_same_lines_whatever_the_chunks() {
        let text = b"a:1\r\nb:2\n\nc:3";
        let members = [gzip(b"a:1\r\nb:"), gzip(b"2\n\nc:3")].concat();
        let expected: Vec<Vec<u8>> = vec![
            b"a:1\r\n".to_vec(),
            b"b:2\n".to_vec(),
            b"\n".to_vec(),
            b"c:3".to_vec(),
        ];
        for step in [1, 2, 3, 7, 1000] {
            assert_eq!(lines(text, step).unwrap(), expected, "plain, {step}");
            assert_eq!(lines(&members, step).unwrap(), expected, "gzip, {step}");
        }
        assert_eq!(lines(b"", 1).unwrap(), Vec::<Vec<u8>>::new());
        assert_eq!(lines(b"x", 1).unwrap(), vec![b"x".to_vec()]);
        assert_eq!(lines(b"\x1f", 1).unwrap(), vec![b"\x1f".to_vec()]);
    }

    #[test]
    fn truncated_or_corrupt_gzip_and_overlong_lines_are_errors() {
        let whole = gzip(b"a:1\nb:2\n");
        assert!(
            lines(&whole[..whole.len() - 4], 5).is_err(),
            "truncated trailer"
        );
        assert!(
            lines(&whole[..whole.len() / 2], 5).is_err(),
            "truncated data"
        );
        let mut corrupt = whole.clone();
        corrupt[12] ^= 0xff;
        assert!(lines(&corrupt, 5).is_err(), "corrupt");
        let long = [b'x'; 65];
        for source in [
            &long[..],
            &[&long[..], b"\n"].concat(),
            &[b"a\n", &long[..]].concat(),
        ] {
            for step in [1, 100] {
                let error = lines(source, step).unwrap_err();
                assert_eq!(error.kind(), io::ErrorKind::InvalidData);
                assert!(
                    error.to_string().contains("longer than 64 bytes"),
                    "{error}"
                );
            }
        }
        assert_eq!(lines(&[b'x'; 64], 10).unwrap().len(), 1);
    }

    #[test]
    fn a_line_of_exactly_the_longest_length_passes_however_it_is_split() {
        // 64 bytes, its line end included, after a short line.
        let longest = [&[b'x'; 63][..], b"\n"].concat();
        let source = [&b"a\n"[..], &longest, &longest[..63]].concat();
        for step in 1..=source.len() {
            let got = lines(&source, step).unwrap();
            assert_eq!(got, [&b"a\n"[..], &longest, &longest[..63]], "{step}");
        }
        // One byte more, as the first line, a later one or the last: refused.
        let over = [&[b'x'; 64][..], b"\n"].concat();
        for source in [
            over.clone(),
            [&b"a\n"[..], &over].concat(),
            [&b"a\n"[..], &over[..65]].concat(),
        ] {
            for step in [1, 2, 63, 64, 65, 66, 1000] {
                assert!(lines(&source, step).is_err(), "{step}");
            }
        }
    }

    #[test]
    fn lines_pass_through_as_they_arrive_not_at_the_end() {
        // Whatever the first write, plain or gzip: the complete lines are
        // handed over before the source ends, so nothing is held whole.
        let text = b"a:1\nb:2\nc:3\nd:4\n";
        for source in [text.to_vec(), gzip(text)] {
            for first in 1..=3 {
                let mut decoder = Decoder::new(Lines::new(Collect::default(), 64));
                decoder.write_all(&source[..first]).unwrap();
                decoder.write_all(&source[first..]).unwrap();
                decoder.flush().unwrap();
                assert_eq!(decoder.get_mut().sink().0.len(), 4, "{first}");
            }
        }
    }
}
