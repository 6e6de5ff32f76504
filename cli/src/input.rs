//! Reading input: files or stdin, plain or gzip, line by line; and the
//! files under folders, each once.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// What a run's input loop may fail with: I/O, or a reason to stop.
pub(crate) type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The files a command reads: those given, or stdin when none is.
pub(crate) fn or_stdin(files: &[OsString]) -> Vec<OsString> {
    match files {
        [] => vec![OsString::from("-")],
        files => files.to_vec(),
    }
}

/// Calls `each` with every line of every file (`-` for stdin), its line
/// end included: the file's name for messages, the line's 1-based number
/// in its file, and the line.
pub(crate) fn each_line(
    files: &[OsString],
    mut each: impl FnMut(&str, usize, &[u8]) -> Result<()>,
) -> Result<()> {
    let mut line = Vec::new();
    for file in files {
        let (name, mut reader) = open(file)?;
        let mut number = 0;
        loop {
            line.clear();
            if reader
                .read_until(b'\n', &mut line)
                .map_err(|e| in_file(&name, e))?
                == 0
            {
                break;
            }
            number += 1;
            each(&name, number, &line)?;
        }
    }
    Ok(())
}

/// Opens `file` (`-` for stdin), named for messages, decompressing it if
/// it starts as gzip does.
fn open(file: &OsStr) -> io::Result<(String, Box<dyn BufRead>)> {
    let (name, raw) = if file == "-" {
        (
            "<stdin>".to_owned(),
            Box::new(io::stdin().lock()) as Box<dyn Read>,
        )
    } else {
        let name = file.to_string_lossy().into_owned();
        let opened = File::open(file).map_err(|e| in_file(&name, e))?;
        (name, Box::new(opened) as Box<dyn Read>)
    };
    let reader = decompressing(raw).map_err(|e| in_file(&name, e))?;
    Ok((name, reader))
}

/// An I/O error that names its file.
pub(crate) fn in_file(name: &str, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{name}: {error}"))
}

/// `raw`, buffered, and decompressed when it starts with gzip's magic
/// bytes (1f 8b), however many gzip members follow one another, as
/// `logrotate` and Firehose write them.
fn decompressing(mut raw: Box<dyn Read>) -> io::Result<Box<dyn BufRead>> {
    let mut magic = [0; 2];
    let mut len = 0;
    while len < magic.len() {
        match raw.read(&mut magic[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    let raw = io::Cursor::new(magic[..len].to_vec()).chain(raw);
    Ok(if magic[..len] == [0x1f, 0x8b] {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, raw))
    })
}

/// The files of `args`: each FILE, every file under each DIR (recursively,
/// in name order), `-` for stdin, and none twice, so that `failed/`,
/// `failed/*` and `failed/**/*` all read each file once.
pub(crate) fn files_under(args: &[OsString]) -> io::Result<Vec<OsString>> {
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for arg in args {
        let mut found = Vec::new();
        if arg != "-" && Path::new(arg).is_dir() {
            walk(Path::new(arg), &mut found)?;
        } else {
            found.push(PathBuf::from(arg));
        }
        for path in found {
            // A path that cannot be resolved is kept, to fail when opened.
            let canonical = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if path == Path::new("-") || seen.insert(canonical) {
                files.push(path.into_os_string());
            }
        }
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let name = dir.to_string_lossy();
    let mut entries = fs::read_dir(dir)
        .and_then(|entries| {
            entries
                .map(|entry| entry.map(|e| e.path()))
                .collect::<io::Result<Vec<_>>>()
        })
        .map_err(|e| in_file(&name, e))?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        decompressing(Box::new(io::Cursor::new(raw.to_vec())))
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn plain_input_passes_through_and_gzip_members_are_joined() {
        assert_eq!(read_all(b"a:1\n"), b"a:1\n");
        assert_eq!(read_all(b""), b"");
        assert_eq!(read_all(b"\x1f"), b"\x1f");
        let members = [gzip(b"a:1\n"), gzip(b"b:2\n")].concat();
        assert_eq!(read_all(&members), b"a:1\nb:2\n");
    }
}
