//! Files of the table in the delivery stream's S3 layout, so that old logs
//! and replayed records land where Firehose would have put them: under
//! `year=YYYY/month=MM/day=DD/hour=HH/` by each line's event time in UTC,
//! as gzip NDJSON or as Parquet.

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use firehose_ltsv::{DateHour, Timestamp};
use firehose_ltsv_output::{OutputFormat, Table, TableFile};

/// How many partition files a [`PartitionWriter`] keeps open at once by
/// default.
pub(crate) const MAX_OPEN_FILES: usize = 64;

struct OpenFile {
    file: Box<dyn TableFile<BufWriter<File>>>,
    /// When this file was last written to, in writes since the start.
    last_used: u64,
}

/// What a finished [`PartitionWriter`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Written {
    /// Files created.
    pub(crate) files: usize,
    /// Lines written.
    pub(crate) lines: u64,
    /// Bytes written, before compression.
    pub(crate) bytes: u64,
    /// Values of labels the table has no column for, left out of Parquet.
    pub(crate) left_out: u64,
}

/// Writes converted lines into files of the table under
/// `DIR/year=…/month=…/day=…/hour=…/`, one file per hour at a time.
///
/// Files stay open while their hour keeps coming back, up to a bound
/// ([`MAX_OPEN_FILES`] by default); past it, the least recently used one is
/// closed, and an hour that comes back after that gets a new file. Every
/// file is new: names are `PREFIX-SEQ.EXT`, the prefix being
/// `ltsv2json-PID-YYYYMMDDTHHMMSSZ` (process and start time), the sequence
/// counting up over the whole run, and a name that exists already is
/// skipped, so nothing in the folder is ever overwritten or appended to.
pub(crate) struct PartitionWriter {
    dir: PathBuf,
    format: OutputFormat,
    table: Table,
    prefix: String,
    max_open: usize,
    open: HashMap<DateHour, OpenFile>,
    next_seq: u64,
    writes: u64,
    written: Written,
}

impl fmt::Debug for PartitionWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartitionWriter")
            .field("dir", &self.dir)
            .field("prefix", &self.prefix)
            .field("max_open", &self.max_open)
            .field("open", &self.open.len())
            .field("written", &self.written)
            .finish()
    }
}

impl PartitionWriter {
    /// A writer of `format` files of `table` into `dir` (created when the
    /// first line comes), with file names from this process and the
    /// current time.
    pub(crate) fn new(
        dir: impl Into<PathBuf>,
        format: OutputFormat,
        table: Table,
    ) -> PartitionWriter {
        PartitionWriter::with_prefix(dir, format, table, default_prefix(), MAX_OPEN_FILES)
    }

    /// A writer into `dir` naming its files `PREFIX-SEQ.EXT` and keeping
    /// at most `max_open` (at least 1) files open.
    pub(crate) fn with_prefix(
        dir: impl Into<PathBuf>,
        format: OutputFormat,
        table: Table,
        prefix: impl Into<String>,
        max_open: usize,
    ) -> PartitionWriter {
        PartitionWriter {
            dir: dir.into(),
            format,
            table,
            prefix: prefix.into(),
            max_open: max_open.max(1),
            open: HashMap::new(),
            next_seq: 1,
            writes: 0,
            written: Written::default(),
        }
    }

    /// The folder written into.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// What has been written so far (files created, lines, bytes).
    pub(crate) fn written(&self) -> Written {
        self.written
    }

    /// Appends one JSON line (ending in `\n`) to the file of `hour`, opening
    /// a new one if that hour has none open.
    pub(crate) fn write_line(&mut self, hour: DateHour, line: &[u8]) -> io::Result<()> {
        self.writes += 1;
        let key = hour;
        if !self.open.contains_key(&key) {
            if self.open.len() >= self.max_open {
                self.close_least_recently_used()?;
            }
            let file = BufWriter::with_capacity(1 << 16, self.create(hour)?);
            self.open.insert(
                key,
                OpenFile {
                    file: self.format.open(&self.table, file)?,
                    last_used: 0,
                },
            );
        }
        let open = self.open.get_mut(&key).expect("opened above");
        open.last_used = self.writes;
        open.file.write_line(line)?;
        self.written.lines += 1;
        self.written.bytes += line.len() as u64;
        Ok(())
    }

    /// Closes every file and returns what was written.
    pub(crate) fn finish(mut self) -> io::Result<Written> {
        let mut first_error = None;
        for (_, open) in self.open.drain() {
            match close(open) {
                Ok(left_out) => self.written.left_out += left_out,
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(self.written),
        }
    }

    fn close_least_recently_used(&mut self) -> io::Result<()> {
        let oldest = self
            .open
            .iter()
            .min_by_key(|(_, open)| open.last_used)
            .map(|(&key, _)| key);
        if let Some(open) = oldest.and_then(|key| self.open.remove(&key)) {
            self.written.left_out += close(open)?;
        }
        Ok(())
    }

    /// Creates the next file of `hour`'s folder that does not exist yet.
    fn create(&mut self, hour: DateHour) -> io::Result<File> {
        let folder = self.dir.join(hour.partition_path());
        fs::create_dir_all(&folder).map_err(|e| with_path(e, &folder))?;
        loop {
            let path = folder.join(format!(
                "{}-{:06}.{}",
                self.prefix,
                self.next_seq,
                self.format.extension()
            ));
            self.next_seq += 1;
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    self.written.files += 1;
                    return Ok(file);
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(with_path(error, &path)),
            }
        }
    }
}

/// Ends a file, and gives how many values it left out.
fn close(open: OpenFile) -> io::Result<u64> {
    let left_out = open.file.values_left_out();
    open.file.finish()?.flush()?;
    Ok(left_out)
}

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// `ltsv2json-PID-YYYYMMDDTHHMMSSZ` for this process, now.
fn default_prefix() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let mut stamp = Vec::new();
    match i64::try_from(now)
        .ok()
        .and_then(Timestamp::from_unix_seconds)
    {
        Some(time) => time.write_basic(&mut stamp),
        None => stamp.extend_from_slice(now.to_string().as_bytes()),
    }
    format!(
        "ltsv2json-{}-{}",
        std::process::id(),
        String::from_utf8_lossy(&stamp)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    use firehose_ltsv::{Column, ColumnType};
    use std::sync::atomic::{AtomicUsize, Ordering};

    use flate2::read::MultiGzDecoder;

    fn hour(year: u16, month: u8, day: u8, hour: u8) -> DateHour {
        DateHour {
            year,
            month,
            day,
            hour,
        }
    }

    /// A fresh folder under the temporary directory, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static COUNT: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "firehose-ltsv-backfill-{}-{}",
                std::process::id(),
                COUNT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&path);
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// Every file under `dir`, relative, sorted, with its decompressed text.
    fn contents(dir: &Path) -> Vec<(String, String)> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
            for entry in fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    let mut text = String::new();
                    MultiGzDecoder::new(File::open(&path).unwrap())
                        .read_to_string(&mut text)
                        .unwrap();
                    let name = path.strip_prefix(root).unwrap().to_str().unwrap();
                    out.push((name.to_owned(), text));
                }
            }
        }
        let mut out = Vec::new();
        walk(dir, dir, &mut out);
        out.sort();
        out
    }

    #[test]
    fn lines_go_to_their_hour_and_files_are_closed_least_recently_used_first() {
        let dir = TempDir::new();
        let mut writer =
            PartitionWriter::with_prefix(&dir.0, OutputFormat::Json, table(), "run", 2);
        let (a, b, c) = (
            hour(2021, 6, 28, 8),
            hour(2021, 6, 28, 9),
            hour(2022, 1, 1, 0),
        );
        writer.write_line(a, b"a1\n").unwrap(); // opens run-000001 for a
        writer.write_line(b, b"b1\n").unwrap(); // opens run-000002 for b
        writer.write_line(a, b"a2\n").unwrap(); // a is now the most recent
        writer.write_line(c, b"c1\n").unwrap(); // closes b, opens run-000003
        writer.write_line(a, b"a3\n").unwrap(); // a stayed open
        writer.write_line(b, b"b2\n").unwrap(); // closes c, new file for b
        assert_eq!(writer.written().files, 4);
        let written = writer.finish().unwrap();
        assert_eq!(
            written,
            Written {
                files: 4,
                lines: 6,
                bytes: 18,
                left_out: 0
            }
        );
        assert_eq!(
            contents(&dir.0),
            [
                (
                    "year=2021/month=06/day=28/hour=08/run-000001.json.gz".into(),
                    "a1\na2\na3\n".into()
                ),
                (
                    "year=2021/month=06/day=28/hour=09/run-000002.json.gz".into(),
                    "b1\n".into()
                ),
                (
                    "year=2021/month=06/day=28/hour=09/run-000004.json.gz".into(),
                    "b2\n".into()
                ),
                (
                    "year=2022/month=01/day=01/hour=00/run-000003.json.gz".into(),
                    "c1\n".into()
                ),
            ]
        );
    }

    #[test]
    fn existing_files_are_never_overwritten() {
        let dir = TempDir::new();
        let a = hour(2021, 6, 28, 8);
        let folder = dir.0.join(a.partition_path());
        fs::create_dir_all(&folder).unwrap();
        fs::write(folder.join("run-000001.json.gz"), b"older").unwrap();
        fs::create_dir(folder.join("run-000002.json.gz")).unwrap();
        let mut writer =
            PartitionWriter::with_prefix(&dir.0, OutputFormat::Json, table(), "run", 64);
        writer.write_line(a, b"new\n").unwrap();
        assert_eq!(writer.finish().unwrap().files, 1);
        assert_eq!(
            fs::read(folder.join("run-000001.json.gz")).unwrap(),
            b"older"
        );
        let mut text = String::new();
        MultiGzDecoder::new(File::open(folder.join("run-000003.json.gz")).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "new\n");
    }

    #[test]
    fn nothing_written_creates_nothing() {
        let dir = TempDir::new();
        let written = PartitionWriter::new(&dir.0, OutputFormat::Parquet, table())
            .finish()
            .unwrap();
        assert_eq!(written, Written::default());
        assert!(!dir.0.exists());
    }

    #[test]
    fn default_names_hold_the_process_and_a_utc_start_time() {
        let prefix = default_prefix();
        let rest = prefix
            .strip_prefix(&format!("ltsv2json-{}-", std::process::id()))
            .unwrap();
        assert_eq!(rest.len(), "20210628T082248Z".len(), "{rest}");
        assert_eq!(&rest[8..9], "T");
        assert!(rest.ends_with('Z'));
        assert!(
            rest[..8]
                .bytes()
                .chain(rest[9..15].bytes())
                .all(|b| b.is_ascii_digit())
        );
    }

    fn table() -> Table {
        Table::new(vec![Column::new("status", ColumnType::Bigint)])
    }

    #[test]
    fn parquet_files_take_the_table_and_count_what_it_cannot_hold() {
        let dir = TempDir::new();
        let mut writer =
            PartitionWriter::with_prefix(&dir.0, OutputFormat::Parquet, table(), "run", 1);
        let (a, b) = (hour(2021, 6, 28, 8), hour(2021, 6, 28, 9));
        writer
            .write_line(a, b"{\"status\":200,\"ua\":\"x\"}\n")
            .unwrap();
        writer
            .write_line(b, b"{\"status\":201,\"ua\":\"y\",\"v\":1}\n")
            .unwrap();
        // Not of its column's type: a null, and counted.
        writer.write_line(b, b"{\"status\":\"x\"}\n").unwrap();
        let written = writer.finish().unwrap();
        assert_eq!((written.files, written.lines, written.left_out), (2, 3, 4));
        let mut names: Vec<String> = Vec::new();
        for folder in [
            "year=2021/month=06/day=28/hour=08",
            "year=2021/month=06/day=28/hour=09",
        ] {
            for entry in fs::read_dir(dir.0.join(folder)).unwrap() {
                let path = entry.unwrap().path();
                assert_eq!(&fs::read(&path).unwrap()[..4], b"PAR1");
                names.push(path.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
        names.sort();
        assert_eq!(names, ["run-000001.parquet", "run-000002.parquet"]);
    }

    #[test]
    fn a_file_that_cannot_be_made_is_an_error_naming_it() {
        // A name longer than any file system takes: not "already exists",
        // so no other name is tried; the error names the file.
        let dir = TempDir::new();
        let long = "x".repeat(300);
        let mut writer =
            PartitionWriter::with_prefix(&dir.0, OutputFormat::Json, table(), long.as_str(), 4);
        let error = writer
            .write_line(hour(2021, 6, 28, 8), b"{}\n")
            .unwrap_err();
        assert_ne!(error.kind(), io::ErrorKind::AlreadyExists);
        let expected = dir
            .0
            .join("year=2021/month=06/day=28/hour=08")
            .join(format!("{long}-000001.json.gz"));
        assert!(
            error
                .to_string()
                .starts_with(&format!("{}: ", expected.display())),
            "{error}"
        );
        assert_eq!(writer.written().files, 0);
    }
}
