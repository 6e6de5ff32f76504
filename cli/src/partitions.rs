//! The table's files in a folder laid out as the delivery stream lays out
//! its S3 prefix, so that old logs and replayed records land where
//! Firehose would have put them: under `year=YYYY/month=MM/day=DD/hour=HH/`
//! by each line's event time in UTC. Which file a line goes to, and when a
//! file ends, is `firehose_ltsv_output`'s [`HourFiles`]; this is where the
//! files go, and their names.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use firehose_ltsv::{DateHour, Timestamp};
use firehose_ltsv_output::{Destination, Files, HourFiles};

/// How many files are open at once by default.
pub(crate) const MAX_OPEN_FILES: usize = 64;

/// Encoded bytes a file gathers before they are written to it.
const PIECE_BYTES: usize = 1 << 16;

/// The hourly folders under a directory, as a destination of files.
///
/// Every file is new: names are `PREFIX-SEQ.EXT`, the prefix being
/// `ltsv2json-PID-YYYYMMDDTHHMMSSZ` (process and start time), the sequence
/// counting up over the whole run, and a name that exists already is
/// skipped, so nothing in the folder is ever overwritten or appended to.
#[derive(Debug)]
pub(crate) struct Folder {
    dir: PathBuf,
    prefix: String,
    next_seq: u64,
}

impl Folder {
    /// Files under `dir` (created when the first comes), named from this
    /// process and the current time.
    pub(crate) fn new(dir: impl Into<PathBuf>) -> Folder {
        Folder::with_prefix(dir, default_prefix())
    }

    /// Files under `dir` named `PREFIX-SEQ.EXT`.
    pub(crate) fn with_prefix(dir: impl Into<PathBuf>, prefix: impl Into<String>) -> Folder {
        Folder {
            dir: dir.into(),
            prefix: prefix.into(),
            next_seq: 1,
        }
    }

    /// The folder written into.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The files of `files`' format in the hourly folders of `self`, at
    /// most `max_open` open at once.
    pub(crate) fn hour_files(self, files: Files, max_open: usize) -> HourFiles<Folder> {
        HourFiles::new(files, self, max_open, PIECE_BYTES)
    }
}

impl Destination for Folder {
    type File = File;

    /// Creates the next file of `hour`'s folder that does not exist yet.
    fn create(&mut self, hour: DateHour, _seq: u32, extension: &str) -> io::Result<File> {
        let folder = self.dir.join(hour.partition_path());
        fs::create_dir_all(&folder).map_err(|e| with_path(e, &folder))?;
        loop {
            let name = format!("{}-{:06}.{extension}", self.prefix, self.next_seq);
            let path = folder.join(name);
            self.next_seq += 1;
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => return Ok(file),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(with_path(error, &path)),
            }
        }
    }

    fn write(&mut self, file: &mut File, piece: Vec<u8>) -> io::Result<()> {
        file.write_all(&piece)
    }

    fn close(&mut self, mut file: File, last: Vec<u8>) -> io::Result<()> {
        file.write_all(&last)?;
        file.flush()
    }
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
    use firehose_ltsv_output::{OutputFormat, Table, Written};
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
        let mut writer = hour_files(&dir.0, OutputFormat::Json, "run", 2);
        let (a, b, c) = (
            hour(2021, 6, 28, 8),
            hour(2021, 6, 28, 9),
            hour(2022, 1, 1, 0),
        );
        writer.write_line(a, b"a1\n", None).unwrap(); // opens run-000001 for a
        writer.write_line(b, b"b1\n", None).unwrap(); // opens run-000002 for b
        writer.write_line(a, b"a2\n", None).unwrap(); // a is now the most recent
        writer.write_line(c, b"c1\n", None).unwrap(); // closes b, opens run-000003
        writer.write_line(a, b"a3\n", None).unwrap(); // a stayed open
        writer.write_line(b, b"b2\n", None).unwrap(); // closes c, new file for b
        assert_eq!(writer.written().files, 4);
        writer.finish().unwrap();
        let written = writer.written();
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

    /// An open file goes to disk a piece of at least 64 KiB at a time:
    /// never held whole, never written a line at a time.
    #[test]
    fn an_open_file_is_written_a_piece_at_a_time() {
        let dir = TempDir::new();
        let mut writer = hour_files(&dir.0, OutputFormat::Json, "run", 2);
        let a = hour(2021, 6, 28, 8);
        let name = format!("{}/run-000001.json.gz", a.partition_path());
        let path = dir.0.join(&name);
        // Lines gzip cannot shrink much: pseudo-random hex (xorshift).
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut lines = String::new();
        let mut sizes = Vec::new();
        for _ in 0..10_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let line = format!("{state:016x}{:016x}\n", state.rotate_left(29));
            writer.write_line(a, line.as_bytes(), None).unwrap();
            lines.push_str(&line);
            sizes.push(fs::metadata(&path).map_or(0, |m| m.len()));
        }
        let pieces: Vec<u64> = sizes.iter().copied().filter(|&n| n > 0).collect();
        assert!(
            !pieces.is_empty(),
            "nothing written while the file was open"
        );
        // 64 KiB: written out, as the constant could be mistaken.
        assert!(
            pieces.iter().all(|&n| n >= 65_536),
            "a piece smaller than 64 KiB: {}",
            pieces[0]
        );
        writer.finish().unwrap();
        assert_eq!(contents(&dir.0), [(name, lines)]);
    }

    #[test]
    fn existing_files_are_never_overwritten() {
        let dir = TempDir::new();
        let a = hour(2021, 6, 28, 8);
        let folder = dir.0.join(a.partition_path());
        fs::create_dir_all(&folder).unwrap();
        fs::write(folder.join("run-000001.json.gz"), b"older").unwrap();
        fs::create_dir(folder.join("run-000002.json.gz")).unwrap();
        let mut writer = hour_files(&dir.0, OutputFormat::Json, "run", 64);
        writer.write_line(a, b"new\n", None).unwrap();
        writer.finish().unwrap();
        assert_eq!(writer.written().files, 1);
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
        let mut files =
            Folder::new(&dir.0).hour_files(Files::new(OutputFormat::Parquet, table()), 4);
        files.finish().unwrap();
        let written = files.written();
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

    fn hour_files(
        dir: &Path,
        format: OutputFormat,
        prefix: &str,
        max_open: usize,
    ) -> HourFiles<Folder> {
        Folder::with_prefix(dir, prefix).hour_files(Files::new(format, table()), max_open)
    }

    fn table() -> Table {
        Table::new(vec![Column::new("status", ColumnType::Bigint)])
    }

    #[test]
    fn parquet_files_take_the_table_and_count_what_it_cannot_hold() {
        let dir = TempDir::new();
        let mut writer = hour_files(&dir.0, OutputFormat::Parquet, "run", 1);
        let (a, b) = (hour(2021, 6, 28, 8), hour(2021, 6, 28, 9));
        writer
            .write_line(a, b"{\"status\":200,\"ua\":\"x\"}\n", None)
            .unwrap();
        writer
            .write_line(b, b"{\"status\":201,\"ua\":\"y\",\"v\":1}\n", None)
            .unwrap();
        // Not of its column's type: a null, and counted.
        writer.write_line(b, b"{\"status\":\"x\"}\n", None).unwrap();
        writer.finish().unwrap();
        let written = writer.written();
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
        let mut writer = hour_files(&dir.0, OutputFormat::Json, long.as_str(), 4);
        let error = writer
            .write_line(hour(2021, 6, 28, 8), b"{}\n", None)
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
