//! The files of each hour of event time, as the delivery stream lays them
//! out, wherever they go: the command line writes them to a folder, the
//! backfill function uploads them to S3 in parts.
//!
//! At most a bounded number of hours are open. A line of another hour
//! finishes the hour written least recently; a line of that hour that
//! comes later starts its next file. A file's bytes are handed to its
//! [`Destination`] as soon as a piece of them has gathered, so what is held
//! stays bounded whatever the files' sizes or hours.

use std::collections::HashMap;
use std::fmt;
use std::io;

use firehose_ltsv::DateHour;

use crate::{Files, TableFile};

/// Where the files go.
pub trait Destination {
    /// One file being written there: a file on disk, an upload.
    type File;

    /// Begins the `seq`-th file of `hour` (an hour's first is 1), whose
    /// name ends in `extension`.
    fn create(&mut self, hour: DateHour, seq: u32, extension: &str) -> io::Result<Self::File>;

    /// Appends a piece of the file's bytes.
    fn write(&mut self, file: &mut Self::File, piece: Vec<u8>) -> io::Result<()>;

    /// Ends the file with its last bytes.
    fn close(&mut self, file: Self::File, last: Vec<u8>) -> io::Result<()>;
}

/// What the files got so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Files begun.
    pub files: u64,
    /// Lines written.
    pub lines: u64,
    /// Bytes of lines written, before they were encoded.
    pub bytes: u64,
    /// Values of labels the table has no column for, or not of their
    /// column's type, left out of Parquet.
    pub left_out: u64,
}

struct Open<F> {
    file: Box<dyn TableFile>,
    target: F,
    /// When it was last written to, in writes since the start.
    last_used: u64,
    /// When it was begun, in files begun since the start.
    begun: u64,
}

/// The files of each hour, of one format, going to one destination.
pub struct HourFiles<D: Destination> {
    files: Files,
    destination: D,
    max_open: usize,
    piece_bytes: usize,
    open: HashMap<DateHour, Open<D::File>>,
    /// How many files each hour has had.
    seqs: HashMap<DateHour, u32>,
    writes: u64,
    written: Written,
}

impl<D: Destination> fmt::Debug for HourFiles<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HourFiles")
            .field("files", &self.files)
            .field("open", &self.open.len())
            .field("written", &self.written)
            .finish()
    }
}

impl<D: Destination> HourFiles<D> {
    /// Files opened by `files`, going to `destination`, with at most
    /// `max_open` (at least 1) open at once, each handing over its bytes
    /// when at least `piece_bytes` have gathered.
    pub fn new(files: Files, destination: D, max_open: usize, piece_bytes: usize) -> HourFiles<D> {
        HourFiles {
            files,
            destination,
            max_open: max_open.max(1),
            piece_bytes,
            open: HashMap::new(),
            seqs: HashMap::new(),
            writes: 0,
            written: Written::default(),
        }
    }

    /// Adds one line the function wrote (a JSON object and its newline) to
    /// the file of `hour`, beginning one if that hour has none open; with
    /// where it came from, for an Iceberg table's staging files.
    pub fn write_line(
        &mut self,
        hour: DateHour,
        line: &[u8],
        source: Option<&str>,
    ) -> io::Result<()> {
        self.writes += 1;
        if !self.open.contains_key(&hour) {
            if self.open.len() >= self.max_open {
                self.finish_least_recently_used()?;
            }
            let seq = self.seqs.get(&hour).map_or(1, |seq| seq + 1);
            let extension = crate::extension(self.files.format());
            let target = self.destination.create(hour, seq, extension)?;
            self.seqs.insert(hour, seq);
            let file = self.files.open()?;
            let begun = self.written.files;
            self.written.files += 1;
            let open = Open {
                file,
                target,
                last_used: 0,
                begun,
            };
            self.open.insert(hour, open);
        }
        let open = self.open.get_mut(&hour).expect("opened above");
        open.last_used = self.writes;
        open.file.write_line(line, source)?;
        self.written.lines += 1;
        self.written.bytes += line.len() as u64;
        if open.file.pending() >= self.piece_bytes {
            let piece = open.file.take();
            self.destination.write(&mut open.target, piece)?;
        }
        Ok(())
    }

    /// What the files got so far.
    pub fn written(&self) -> Written {
        self.written
    }

    /// Where the files go.
    pub fn destination(&self) -> &D {
        &self.destination
    }

    /// Where the files go, to take what they got.
    pub fn destination_mut(&mut self) -> &mut D {
        &mut self.destination
    }

    /// Ends every open file, in the order they were begun; on error, the
    /// others are still ended, and the first error is returned.
    pub fn finish(&mut self) -> io::Result<()> {
        let mut open: Vec<Open<D::File>> = self.open.drain().map(|(_, open)| open).collect();
        open.sort_by_key(|open| open.begun);
        let mut first_error = None;
        for open in open {
            if let Err(error) = self.end(open) {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn finish_least_recently_used(&mut self) -> io::Result<()> {
        let oldest = self
            .open
            .iter()
            .min_by_key(|(_, open)| open.last_used)
            .map(|(&hour, _)| hour);
        match oldest.and_then(|hour| self.open.remove(&hour)) {
            Some(open) => self.end(open),
            None => Ok(()),
        }
    }

    /// Ends `open`: what it gathered and the file's end, as its last bytes.
    fn end(&mut self, mut open: Open<D::File>) -> io::Result<()> {
        self.written.left_out += open.file.values_left_out();
        let mut last = open.file.take();
        last.extend(open.file.finish()?);
        self.destination.close(open.target, last)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use firehose_ltsv::{Column, ColumnType};
    use flate2::read::MultiGzDecoder;

    use super::*;
    use crate::{OutputFormat, Table};

    fn hour(hour: u8) -> DateHour {
        DateHour {
            year: 2021,
            month: 6,
            day: 28,
            hour,
        }
    }

    /// Files kept in memory, with every call they got.
    #[derive(Debug, Default)]
    struct Memory {
        files: Vec<(String, Vec<u8>, bool)>,
        calls: Vec<String>,
        fail_create: bool,
    }

    impl Destination for Memory {
        type File = usize;

        fn create(&mut self, hour: DateHour, seq: u32, extension: &str) -> io::Result<usize> {
            if self.fail_create {
                return Err(io::Error::other("no room"));
            }
            let name = format!("{}/{seq}.{extension}", hour.partition_path());
            self.calls.push(format!("create {name}"));
            self.files.push((name, Vec::new(), false));
            Ok(self.files.len() - 1)
        }

        fn write(&mut self, file: &mut usize, piece: Vec<u8>) -> io::Result<()> {
            self.calls
                .push(format!("write {} {}", self.files[*file].0, piece.len()));
            self.files[*file].1.extend(piece);
            Ok(())
        }

        fn close(&mut self, file: usize, last: Vec<u8>) -> io::Result<()> {
            self.calls.push(format!("close {}", self.files[file].0));
            self.files[file].1.extend(last);
            self.files[file].2 = true;
            Ok(())
        }
    }

    fn json(max_open: usize, piece_bytes: usize) -> HourFiles<Memory> {
        let files = Files::new(OutputFormat::Json, Table::new(Vec::new()));
        HourFiles::new(files, Memory::default(), max_open, piece_bytes)
    }

    fn text(bytes: &[u8]) -> String {
        let mut text = String::new();
        MultiGzDecoder::new(bytes)
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn lines_go_to_their_hour_and_the_least_recently_used_hour_is_finished() {
        let mut hours = json(2, usize::MAX);
        for (h, line) in [(8, "a"), (9, "b"), (8, "c"), (10, "d"), (9, "e"), (8, "f")] {
            hours
                .write_line(hour(h), format!("{{\"{line}\":1}}\n").as_bytes(), None)
                .unwrap();
        }
        // 9 is finished for 10 (8 was used after it), then 8 for 9, then
        // 10 for 8: each hour that comes back gets its next file.
        hours.finish().unwrap();
        let written = hours.written();
        assert_eq!(
            (
                written.files,
                written.lines,
                written.bytes,
                written.left_out
            ),
            (5, 6, 48, 0)
        );
        let files: Vec<(String, String, bool)> = hours
            .destination()
            .files
            .iter()
            .map(|(name, bytes, closed)| (name.clone(), text(bytes), *closed))
            .collect();
        let path = |h: u8, seq: u32| format!("{}/{seq}.json.gz", hour(h).partition_path());
        assert_eq!(
            files,
            [
                (path(8, 1), "{\"a\":1}\n{\"c\":1}\n".to_owned(), true),
                (path(9, 1), "{\"b\":1}\n".to_owned(), true),
                (path(10, 1), "{\"d\":1}\n".to_owned(), true),
                (path(9, 2), "{\"e\":1}\n".to_owned(), true),
                (path(8, 2), "{\"f\":1}\n".to_owned(), true),
            ]
        );
        let closes: Vec<&String> = hours
            .destination()
            .calls
            .iter()
            .filter(|c| c.starts_with("close"))
            .collect();
        // Finished as they were pushed out, then the rest in the order begun.
        assert_eq!(
            closes,
            [
                &format!("close {}", path(9, 1)),
                &format!("close {}", path(8, 1)),
                &format!("close {}", path(10, 1)),
                &format!("close {}", path(9, 2)),
                &format!("close {}", path(8, 2)),
            ]
        );
    }

    #[test]
    fn bytes_are_handed_over_as_pieces_gather_and_at_the_end() {
        let mut hours = json(4, 1000);
        let mut expected = String::new();
        for i in 0..20_000 {
            let line = format!("{{\"n\":{i},\"pad\":\"{:x}\"}}\n", i * 7919);
            hours.write_line(hour(8), line.as_bytes(), None).unwrap();
            expected.push_str(&line);
        }
        let writes = hours
            .destination()
            .calls
            .iter()
            .filter(|c| c.starts_with("write"))
            .count();
        assert!(writes >= 3, "{writes} pieces before the end");
        // No piece is handed over before a thousand bytes have gathered.
        for call in &hours.destination().calls {
            if let Some(len) = call
                .strip_prefix("write ")
                .and_then(|c| c.rsplit(' ').next())
            {
                assert!(len.parse::<usize>().unwrap() >= 1000, "{call}");
            }
        }
        assert!(!hours.destination().files[0].2, "open until finished");
        hours.finish().unwrap();
        assert_eq!(text(&hours.destination().files[0].1), expected);
    }

    #[test]
    fn nothing_written_begins_nothing() {
        let mut hours = json(4, 10);
        // What a log of the backfill's objects shows of them.
        assert_eq!(
            format!("{hours:?}"),
            "HourFiles { files: Files { format: Json, columns: 0 }, open: 0, \
             written: Written { files: 0, lines: 0, bytes: 0, left_out: 0 } }"
        );
        hours.finish().unwrap();
        assert_eq!(hours.written(), Written::default());
        assert!(hours.destination().calls.is_empty());
    }

    #[test]
    fn parquet_files_count_what_their_table_cannot_hold() {
        let table = Table::new(vec![Column::new("status", ColumnType::Bigint)]);
        let files = Files::new(OutputFormat::Parquet, table);
        let mut hours = HourFiles::new(files, Memory::default(), 1, usize::MAX);
        hours
            .write_line(hour(8), b"{\"status\":200,\"extra\":1}\n", None)
            .unwrap();
        hours
            .write_line(hour(9), b"{\"status\":\"x\"}\n", None)
            .unwrap();
        assert_eq!(hours.written().left_out, 1, "counted when 8 was finished");
        hours.finish().unwrap();
        assert_eq!(hours.written().left_out, 2);
        let names: Vec<&str> = hours
            .destination()
            .files
            .iter()
            .map(|f| f.0.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "year=2021/month=06/day=28/hour=08/1.parquet",
                "year=2021/month=06/day=28/hour=09/1.parquet"
            ]
        );
        assert!(
            hours
                .destination()
                .files
                .iter()
                .all(|f| f.1.starts_with(b"PAR1") && f.2)
        );
    }

    #[test]
    fn a_file_that_cannot_be_begun_is_an_error_and_writes_nothing() {
        let mut hours = json(4, 10);
        hours.destination_mut().fail_create = true;
        let error = hours.write_line(hour(8), b"{}\n", None).unwrap_err();
        assert_eq!(error.to_string(), "no room");
        assert_eq!(hours.written(), Written::default());
        hours.destination_mut().fail_create = false;
        hours.write_line(hour(8), b"{}\n", None).unwrap();
        // The failed attempt used no sequence number.
        assert_eq!(
            hours.destination().files[0].0,
            "year=2021/month=06/day=28/hour=08/1.json.gz"
        );
    }
}
