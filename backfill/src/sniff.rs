//! Whether the source is text at all, told from its first bytes as `file`
//! tells text from data: an object of random or binary bytes (an image,
//! a zip, a log compressed other than by gzip) is not a log, and its
//! "lines" would fill the failed lines' object with junk that `replay`
//! reports forever.

use std::io::{self, Write};

/// How much of the decoded source is looked at.
pub(crate) const SNIFF_BYTES: usize = 64 * 1024;

/// Passes the decoded bytes through to `W`, counting, in the first
/// [`SNIFF_BYTES`], the NUL bytes and the bytes that are not part of valid
/// UTF-8. Once that share is past any log's, writing fails.
///
/// A log with a few bad bytes is still a log: Apache and nginx escape
/// every byte outside printable ASCII, and a server that does not (h2o,
/// nginx's `escape=none`) writes UTF-8 but for the odd raw byte a client
/// sent. So the source is refused only when more than [`MAX_BAD_BYTES`]
/// bytes, and more than one in [`MAX_BAD_SHARE`], are bad; random bytes
/// are about half bad.
#[derive(Debug)]
pub(crate) struct Sniff<W> {
    out: W,
    seen: usize,
    bad: usize,
    /// The start of a UTF-8 sequence that the next write may complete.
    pending: Vec<u8>,
}

/// Bad bytes a log may hold in its first [`SNIFF_BYTES`], whatever its size.
pub(crate) const MAX_BAD_BYTES: usize = 32;
/// A log's bad bytes are fewer than one in this many.
pub(crate) const MAX_BAD_SHARE: usize = 100;

impl<W: Write> Sniff<W> {
    /// A sniffer in front of `out`.
    pub(crate) fn new(out: W) -> Sniff<W> {
        Sniff {
            out,
            seen: 0,
            bad: 0,
            pending: Vec::new(),
        }
    }

    /// The writer the bytes go to.
    pub(crate) fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Ends the source: a sequence cut off by its end is bad too, and a
    /// source shorter than [`SNIFF_BYTES`] is judged on what it has.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.bad += std::mem::take(&mut self.pending).len();
        self.verdict()
    }

    fn count(&mut self, bytes: &[u8]) {
        // NUL is UTF-8, but no text file holds one.
        self.bad += bytes.iter().filter(|&&b| b == 0).count();
        let joined;
        let mut rest = match self.pending.is_empty() {
            true => bytes,
            false => {
                joined = [std::mem::take(&mut self.pending).as_slice(), bytes].concat();
                &joined[..]
            }
        };
        while let Err(error) = std::str::from_utf8(rest) {
            let valid = error.valid_up_to();
            match error.error_len() {
                Some(len) => {
                    self.bad += len;
                    rest = &rest[valid + len..];
                }
                None => {
                    self.pending = rest[valid..].to_vec();
                    return;
                }
            }
        }
    }

    fn verdict(&self) -> io::Result<()> {
        if self.bad > MAX_BAD_BYTES && self.bad * MAX_BAD_SHARE > self.seen {
            let error = NotALog {
                bad: self.bad,
                seen: self.seen,
            };
            return Err(io::Error::new(io::ErrorKind::InvalidData, error));
        }
        Ok(())
    }
}

/// Why a source is not a log: said of its first bytes as a whole, not of
/// a place in it.
#[derive(Debug)]
pub(crate) struct NotALog {
    bad: usize,
    seen: usize,
}

impl std::fmt::Display for NotALog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not a log: {} of its first {} bytes are NUL or not UTF-8 \
             (binary data, or compressed other than by gzip?)",
            self.bad, self.seen
        )
    }
}

impl std::error::Error for NotALog {}

impl<W: Write> Write for Sniff<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.seen < SNIFF_BYTES {
            let look = &buf[..buf.len().min(SNIFF_BYTES - self.seen)];
            self.count(look);
            self.seen += look.len();
            if self.seen == SNIFF_BYTES {
                // A sequence cut off here may go on: it is not counted.
                self.pending.clear();
                self.verdict()?;
            }
        }
        self.out.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a sniffer lets through when `source` is written `step` bytes
    /// at a time, or why it refused.
    fn sniffed(source: &[u8], step: usize) -> io::Result<Vec<u8>> {
        let mut sniff = Sniff::new(Vec::new());
        for chunk in source.chunks(step.max(1)) {
            sniff.write_all(chunk)?;
        }
        sniff.finish()?;
        Ok(std::mem::take(sniff.get_mut()))
    }

    /// Bytes that look random (xorshift), the same every run.
    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 56) as u8
            })
            .collect()
    }

    fn log() -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/apache_access.ltsv"
        );
        std::fs::read(path).unwrap()
    }

    #[test]
    fn random_bytes_are_not_a_log() {
        for len in [200, 4096, SNIFF_BYTES, 3 * SNIFF_BYTES] {
            for step in [1, 7, 16 * 1024] {
                let error = sniffed(&noise(len), step).unwrap_err();
                assert_eq!(error.kind(), io::ErrorKind::InvalidData);
                let message = error.to_string();
                let seen = len.min(SNIFF_BYTES);
                assert!(message.starts_with("not a log: "), "{message}");
                assert!(
                    message.contains(&format!(" of its first {seen} bytes are NUL or not UTF-8")),
                    "{message}"
                );
            }
        }
    }

    #[test]
    fn a_log_with_a_few_bad_bytes_passes_whole() {
        let mut log = log();
        assert!(log.len() > SNIFF_BYTES / 4);
        // A raw Latin-1 byte, a lone continuation byte, a NUL, a cut
        // sequence: a client's junk, a few times over.
        for (n, at) in (100..log.len()).step_by(log.len() / 8).enumerate() {
            let junk: &[u8] = [&b"\xe9"[..], b"\x80", b"\0", b"\xe3\x81"][n % 4];
            log.splice(at..at, junk.iter().copied());
        }
        for step in [1, 3, 1000, log.len()] {
            assert_eq!(sniffed(&log, step).unwrap(), log, "{step}");
        }
    }

    #[test]
    fn utf8_split_across_writes_is_not_bad() {
        let text = "時刻:[28/Jun/2021:17:22:48 +0900]\tua:😀 ü\n".repeat(400);
        let mut with_bad = text.clone().into_bytes();
        with_bad.extend_from_slice(&[0xff; MAX_BAD_BYTES]);
        for step in 1..=5 {
            assert_eq!(sniffed(text.as_bytes(), step).unwrap(), text.as_bytes());
            assert!(sniffed(&with_bad, step).is_ok(), "{step}");
        }
    }

    #[test]
    fn the_bounds_are_both_a_count_and_a_share() {
        // More than MAX_BAD_BYTES, in a short source: refused.
        let short = [vec![b'a'; 100], vec![0; MAX_BAD_BYTES + 1]].concat();
        assert!(sniffed(&short, 10).is_err());
        assert!(sniffed(&short[..100 + MAX_BAD_BYTES], 10).is_ok());
        // In the first SNIFF_BYTES, a hundredth: refused only past it.
        let share = SNIFF_BYTES / MAX_BAD_SHARE;
        let body = |bad: usize| {
            let mut bytes = vec![b'x'; SNIFF_BYTES];
            bytes[..bad].fill(0);
            bytes
        };
        assert!(sniffed(&body(share), 4096).is_ok());
        assert!(sniffed(&body(share + 1), 4096).is_err());
        // Exactly one in MAX_BAD_SHARE is still a log; one more is not.
        let exact = [vec![b'y'; 40 * (MAX_BAD_SHARE - 1)], vec![0; 40]].concat();
        assert!(sniffed(&exact, 100).is_ok());
        let over = [vec![b'y'; 40 * (MAX_BAD_SHARE - 1) - 1], vec![0; 40]].concat();
        assert!(sniffed(&over, 100).is_err());
        // A cut sequence at the very end counts; one cut off where the
        // sniffing stops does not.
        let cut = [
            vec![b'a'; 100],
            vec![0; MAX_BAD_BYTES],
            b"\xe3\x81".to_vec(),
        ]
        .concat();
        assert!(sniffed(&cut, 1).is_err());
        let mut edge = body(share);
        edge[SNIFF_BYTES - 2..].copy_from_slice(b"\xe3\x81");
        edge.extend_from_slice(b"\x82 and on");
        assert!(sniffed(&edge, 1000).is_ok());
    }

    #[test]
    fn flushing_reaches_the_writer_behind() {
        let mut sniff = Sniff::new(io::BufWriter::new(Vec::new()));
        sniff.write_all(b"status:200\n").unwrap();
        assert!(sniff.get_mut().get_ref().is_empty());
        sniff.flush().unwrap();
        assert_eq!(sniff.get_mut().get_ref(), b"status:200\n");
    }

    #[test]
    fn what_follows_the_first_bytes_is_not_looked_at() {
        let source = [vec![b'a'; SNIFF_BYTES], noise(SNIFF_BYTES)].concat();
        assert_eq!(sniffed(&source, 5000).unwrap(), source);
    }
}
