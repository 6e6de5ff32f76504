//! Converted lines written into the delivery stream's S3 layout, so that old
//! logs and replayed records land where Firehose would have put them:
//! gzip NDJSON files under `year=YYYY/month=MM/day=DD/hour=HH/`, by each
//! line's event time in UTC.
//!
//! ```
//! use firehose_ltsv::Config;
//! use firehose_ltsv::backfill::{self, PartitionWriter};
//!
//! let config = Config::default();
//! let line = b"time:[01/Jan/2022:08:59:59 +0900]\tstatus:200";
//! let hour = backfill::event_hour(&config, line).unwrap();
//! assert_eq!(backfill::partition_path(hour), "year=2021/month=12/day=31/hour=23");
//!
//! let dir = std::env::temp_dir().join(format!("backfill-doc-{}", std::process::id()));
//! let mut writer = PartitionWriter::new(&dir);
//! writer.write_line(hour, b"{\"status\":200}\n").unwrap();
//! let written = writer.finish().unwrap();
//! assert_eq!((written.files, written.lines), (1, 1));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::config::Config;
use crate::partition;
use crate::time::{DateHour, Timestamp};

/// How many partition files a [`PartitionWriter`] keeps open at once by
/// default.
pub const MAX_OPEN_FILES: usize = 64;

/// Why a line has no event time to partition it by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeError {
    /// `LTSV_TYPES` has no label of type `time`.
    NoTimeLabel,
    /// The line has no such label, or its value is empty or null.
    Missing(String),
    /// The value is not a timestamp.
    BadTime(String),
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::NoTimeLabel => {
                write!(f, "no event time: LTSV_TYPES has no label of type time")
            }
            TimeError::Missing(label) => {
                write!(
                    f,
                    "no event time: label \"{label}\" is missing, empty or null"
                )
            }
            TimeError::BadTime(label) => {
                write!(f, "no event time: label \"{label}\" is not a valid time")
            }
        }
    }
}

impl std::error::Error for TimeError {}

/// The UTC hour of a line's event time: the value of
/// [`Config::time_label`], judged as the partition keys judge it (a
/// repeated label by its last value; empty and null values are missing).
/// The line is assumed to have converted already.
pub fn event_hour(config: &Config, line: &[u8]) -> Result<DateHour, TimeError> {
    let label = config.time_label().ok_or(TimeError::NoTimeLabel)?;
    let show = || String::from_utf8_lossy(label).into_owned();
    let value =
        partition::present_value(config, line, label).ok_or_else(|| TimeError::Missing(show()))?;
    let time = Timestamp::parse(value).ok_or_else(|| TimeError::BadTime(show()))?;
    Ok(time.date_hour())
}

/// The folder of an hour, relative to the output folder, as the stream's
/// S3 prefix names it: `year=2021/month=06/day=28/hour=08`.
pub fn partition_path(hour: DateHour) -> String {
    format!(
        "year={:04}/month={:02}/day={:02}/hour={:02}",
        hour.year, hour.month, hour.day, hour.hour
    )
}

struct OpenFile {
    /// Lines are gathered before compressing: the encoder is much faster
    /// on large writes than on one line at a time.
    encoder: BufWriter<GzEncoder<File>>,
    /// When this file was last written to, in writes since the start.
    last_used: u64,
}

/// What a finished [`PartitionWriter`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Files created.
    pub files: usize,
    /// Lines written.
    pub lines: u64,
    /// Bytes written, before compression.
    pub bytes: u64,
}

/// Writes JSON lines into gzip files under `DIR/year=…/month=…/day=…/hour=…/`,
/// one file per hour at a time.
///
/// Files stay open while their hour keeps coming back, up to a bound
/// ([`MAX_OPEN_FILES`] by default); past it, the least recently used one is
/// closed, and an hour that comes back after that gets a new file. Every
/// file is new: names are `PREFIX-SEQ.json.gz`, the prefix being
/// `ltsv2json-PID-YYYYMMDDTHHMMSSZ` (process and start time), the sequence
/// counting up over the whole run, and a name that exists already is
/// skipped, so nothing in the folder is ever overwritten or appended to.
pub struct PartitionWriter {
    dir: PathBuf,
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
    /// A writer into `dir` (created when the first line comes), with file
    /// names from this process and the current time.
    pub fn new(dir: impl Into<PathBuf>) -> PartitionWriter {
        PartitionWriter::with_prefix(dir, default_prefix(), MAX_OPEN_FILES)
    }

    /// A writer into `dir` naming its files `PREFIX-SEQ.json.gz` and keeping
    /// at most `max_open` (at least 1) files open.
    pub fn with_prefix(
        dir: impl Into<PathBuf>,
        prefix: impl Into<String>,
        max_open: usize,
    ) -> PartitionWriter {
        PartitionWriter {
            dir: dir.into(),
            prefix: prefix.into(),
            max_open: max_open.max(1),
            open: HashMap::new(),
            next_seq: 1,
            writes: 0,
            written: Written::default(),
        }
    }

    /// The folder written into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What has been written so far (files created, lines, bytes).
    pub fn written(&self) -> Written {
        self.written
    }

    /// Appends one JSON line (ending in `\n`) to the file of `hour`, opening
    /// a new one if that hour has none open.
    pub fn write_line(&mut self, hour: DateHour, line: &[u8]) -> io::Result<()> {
        self.writes += 1;
        let key = hour;
        if !self.open.contains_key(&key) {
            if self.open.len() >= self.max_open {
                self.close_least_recently_used()?;
            }
            let file = self.create(hour)?;
            self.open.insert(
                key,
                OpenFile {
                    encoder: BufWriter::with_capacity(
                        1 << 16,
                        GzEncoder::new(file, Compression::default()),
                    ),
                    last_used: 0,
                },
            );
        }
        let open = self.open.get_mut(&key).expect("opened above");
        open.last_used = self.writes;
        open.encoder.write_all(line)?;
        self.written.lines += 1;
        self.written.bytes += line.len() as u64;
        Ok(())
    }

    /// Closes every file and returns what was written.
    pub fn finish(mut self) -> io::Result<Written> {
        let mut first_error = None;
        for (_, open) in self.open.drain() {
            if let Err(error) = close(open) {
                first_error.get_or_insert(error);
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
        match oldest.and_then(|key| self.open.remove(&key)) {
            Some(open) => close(open),
            None => Ok(()),
        }
    }

    /// Creates the next file of `hour`'s folder that does not exist yet.
    fn create(&mut self, hour: DateHour) -> io::Result<File> {
        let folder = self.dir.join(partition_path(hour));
        fs::create_dir_all(&folder).map_err(|e| with_path(e, &folder))?;
        loop {
            let path = folder.join(format!("{}-{:06}.json.gz", self.prefix, self.next_seq));
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

fn close(open: OpenFile) -> io::Result<()> {
    let encoder = open
        .encoder
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    encoder.finish()?.flush()
}

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// `ltsv2json-PID-YYYYMMDDTHHMMSSZ` for this process, now.
fn default_prefix() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let stamp = Timestamp::parse(now.to_string().as_bytes()).map_or_else(
        || now.to_string(),
        |time| {
            let DateHour {
                year,
                month,
                day,
                hour,
            } = time.date_hour();
            let (minute, second) = (now / 60 % 60, now % 60);
            format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
        },
    );
    format!("ltsv2json-{}-{stamp}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use flate2::read::MultiGzDecoder;

    fn config(vars: &[(&str, &str)]) -> Config {
        Config::from_vars(vars).unwrap()
    }

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
    fn event_hour_is_the_utc_hour_of_the_time_label() {
        let config = Config::default();
        assert_eq!(
            event_hour(&config, b"time:[01/Jan/2022:08:59:59 +0900]\ta:1"),
            Ok(hour(2021, 12, 31, 23))
        );
        // A repeated label counts by its last value, as conversion does.
        assert_eq!(
            event_hour(&config, b"time:-\ttime:1624868568.5"),
            Ok(hour(2021, 6, 28, 8))
        );
        let iso = self::config(&[("LTSV_TYPES", "status:integer,ts:time,time:time")]);
        assert_eq!(
            event_hour(&iso, b"time:x\tts:2021-06-28T00:30:00-01:00"),
            Ok(hour(2021, 6, 28, 1))
        );
    }

    #[test]
    fn lines_without_a_usable_time_are_errors() {
        let config = Config::default();
        for (line, error) in [
            (&b"status:200"[..], TimeError::Missing("time".into())),
            (b"time:-", TimeError::Missing("time".into())),
            (b"time:", TimeError::Missing("time".into())),
            (b"time:yesterday", TimeError::BadTime("time".into())),
            (
                b"time:28/Jun/2021:17:22:48",
                TimeError::BadTime("time".into()),
            ),
        ] {
            assert_eq!(event_hour(&config, line), Err(error), "{line:?}");
        }
        let untimed = self::config(&[("LTSV_TYPES", "status:integer")]);
        assert_eq!(
            event_hour(&untimed, b"time:1624868568"),
            Err(TimeError::NoTimeLabel)
        );
        assert_eq!(
            TimeError::Missing("time".into()).to_string(),
            "no event time: label \"time\" is missing, empty or null"
        );
        assert_eq!(
            TimeError::BadTime("time".into()).to_string(),
            "no event time: label \"time\" is not a valid time"
        );
        assert_eq!(
            TimeError::NoTimeLabel.to_string(),
            "no event time: LTSV_TYPES has no label of type time"
        );
    }

    #[test]
    fn partition_paths_are_zero_padded() {
        assert_eq!(
            partition_path(hour(2021, 6, 8, 0)),
            "year=2021/month=06/day=08/hour=00"
        );
        assert_eq!(
            partition_path(hour(999, 12, 31, 23)),
            "year=0999/month=12/day=31/hour=23"
        );
    }

    #[test]
    fn lines_go_to_their_hour_and_files_are_closed_least_recently_used_first() {
        let dir = TempDir::new();
        let mut writer = PartitionWriter::with_prefix(&dir.0, "run", 2);
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
                bytes: 18
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
        let folder = dir.0.join(partition_path(a));
        fs::create_dir_all(&folder).unwrap();
        fs::write(folder.join("run-000001.json.gz"), b"older").unwrap();
        fs::create_dir(folder.join("run-000002.json.gz")).unwrap();
        let mut writer = PartitionWriter::with_prefix(&dir.0, "run", 64);
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
        let written = PartitionWriter::new(&dir.0).finish().unwrap();
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
}
