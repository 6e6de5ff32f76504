//! `ltsv2json replay` on real gzip Firehose error objects, and `--out-dir`
//! backfilling logs into the delivery stream's `year=/month=/day=/hour=`
//! layout, run as separate processes.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use common::{Run, command, project_file, run};

const LTSV2JSON: &str = env!("CARGO_BIN_EXE_ltsv2json");

/// The settings under which the records below convert.
const FIXED: [&str; 4] = [
    "--on-type-error",
    "null",
    "--types",
    "status:integer,size:integer,reqtime_microsec:float,time:time",
];

/// Runs `ltsv2json` with `args`, none of this machine's settings, and
/// `stdin`.
fn ltsv2json(args: &[&str], stdin: &[u8]) -> Run {
    let mut command = command(LTSV2JSON, &[]);
    command.args(args);
    run(command, stdin)
}

/// A fresh folder under the temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "ltsv2json-replay-{}-{}-{name}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// Writes `contents` at `relative`, making its folders.
    fn file(&self, relative: &str, contents: &[u8]) -> String {
        let path = self.0.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    }

    fn join(&self, relative: &str) -> String {
        self.0.join(relative).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// One gzip member holding `data`.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// One gzip member per part, one after the other, as concatenated gzip
/// files are.
fn gzip_members(parts: &[&[u8]]) -> Vec<u8> {
    parts.iter().flat_map(|part| gzip(part)).collect()
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    MultiGzDecoder::new(fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// One line of a processing-failed error object holding `raw` as its
/// record's data, as Firehose writes them.
fn error_line(raw: &[u8]) -> String {
    let object = serde_json::json!({
        "attemptsMade": 1,
        "arrivalTimestamp": 1624868568000u64,
        "errorCode": "Lambda.ProcessingFailed",
        "errorMessage": "The Lambda function was successfully invoked but it returned an error result.",
        "attemptEndingTimestamp": 1624868569000u64,
        "rawData": BASE64.encode(raw),
        "lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:firehose-ltsv:$LATEST",
    });
    format!("{object}\n")
}

fn error_object(records: &[&[u8]]) -> String {
    records.iter().map(|raw| error_line(raw)).collect()
}

// Records that failed under the default settings: a status that is not an
// integer, and reqtime_microsec logged in seconds, which needs its own type.
const A1: &[u8] = b"time:[28/Jun/2021:17:22:48 +0900]\thost:192.0.2.1\tstatus:OK\tsize:12\n";
const B1: &[u8] = b"time:[28/Jun/2021:17:59:59 +0900]\treq:GET / HTTP/1.1\tstatus:200\treqtime_microsec:0.001234\n";
const A2: &[u8] = b"time:2021-06-28T23:30:00-01:00\tstatus:-\tsize:x1\n";
const B2: &[u8] = b"time:1624924800.5\tstatus:404\treqtime_microsec:1e3\n";
/// A record of two lines, with CRLF.
const AB3: &[u8] = b"time:[29/Jun/2021:09:00:00 +0900]\tstatus:OK\r\n\
time:[29/Jun/2021:09:00:01 +0900]\treqtime_microsec:0.5\r\n";
/// No time: converts, but cannot be put in an hour's folder.
const A4: &[u8] = b"status:503\tsize:OK\tua:\\xe3\\x81\\x82\n";
/// The second line has no time.
const T9: &[u8] = b"time:1624924800\tstatus:200\nstatus:OK\n";

const A1_JSON: &str =
    "{\"time\":\"2021-06-28 08:22:48\",\"host\":\"192.0.2.1\",\"status\":null,\"size\":12}\n";
const B1_JSON: &str = "{\"time\":\"2021-06-28 08:59:59\",\"req\":\"GET / HTTP/1.1\",\"status\":200,\"reqtime_microsec\":0.001234}\n";
const A2_JSON: &str = "{\"time\":\"2021-06-29 00:30:00\",\"status\":null,\"size\":null}\n";
const B2_JSON: &str =
    "{\"time\":\"2021-06-29 00:00:00.500\",\"status\":404,\"reqtime_microsec\":1000.0}\n";
const AB3_JSON: &str = "{\"time\":\"2021-06-29 00:00:00\",\"status\":null}\n\
{\"time\":\"2021-06-29 00:00:01\",\"reqtime_microsec\":0.5}\n";
const A4_JSON: &str = "{\"status\":503,\"size\":null,\"ua\":\"あ\"}\n";
const T9_JSON: &str = "{\"time\":\"2021-06-29 00:00:00\",\"status\":200}\n{\"status\":null}\n";

/// Three error objects: a single-member gzip one, a multi-member gzip one
/// and a plain one holding lines that cannot be replayed.
struct ErrorObjects {
    dir: TempDir,
    single: String,
    multi: String,
    plain: String,
}

fn error_objects() -> ErrorObjects {
    let dir = TempDir::new("failed");
    let single = dir.file(
        "2021/06/28/08/ltsv-access-logs-1-2021-06-28-08-22-49-1a2b.gz",
        &gzip(error_object(&[A1, B1]).as_bytes()),
    );
    let multi = dir.file(
        "2021/06/28/23/ltsv-access-logs-1-2021-06-28-23-30-01-3c4d.gz",
        &gzip_members(&[
            error_object(&[A2]).as_bytes(),
            error_object(&[B2, AB3]).as_bytes(),
        ]),
    );
    let plain = [
        error_line(A4),
        "\n".to_owned(),
        "not json\n".to_owned(),
        "{\"attemptsMade\":1,\"errorCode\":\"Lambda.ProcessingFailed\"}\n".to_owned(),
        "{\"rawData\":\"@@@\"}\n".to_owned(),
        "{\"rawData\":42}\n".to_owned(),
        error_line(b"time:[28/Jun/2021:17:22:48 +0900]\tnocolon\n"),
        error_line(b"time:1624924800\ta:1\n\nb c:2\n"),
        error_line(T9),
    ]
    .concat();
    let plain = dir.file("2021/06/29/00/plain-object", plain.as_bytes());
    ErrorObjects {
        dir,
        single,
        multi,
        plain,
    }
}

/// What is reported for the plain object's lines that cannot be replayed,
/// whatever the settings.
fn unreplayable(plain: &str) -> String {
    format!(
        "{plain}:3: not a JSON object: expected ident at line 1 column 2\n\
         {plain}:4: no \"rawData\"\n\
         {plain}:5: \"rawData\" is not base64\n\
         {plain}:6: \"rawData\" is not a string\n\
         {plain}:7: record line 1: field 2 (byte 35): no ':' between label and value\n\
         {plain}:8: record line 3: field 1 (byte 1): label holds ' ', outside [0-9A-Za-z_.-]\n"
    )
}

// --- replay -------------------------------------------------------------------

#[test]
fn replay_under_the_old_settings_fails_every_record_again() {
    let objects = error_objects();
    let (single, multi, plain) = (&objects.single, &objects.multi, &objects.plain);
    let run = ltsv2json(&["replay", single, multi, plain], b"");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!(
            "{single}:1: record line 1: label \"status\": value is not a valid integer\n\
             {single}:2: record line 1: label \"reqtime_microsec\": value is not a valid integer\n\
             {multi}:1: record line 1: label \"size\": value is not a valid integer\n\
             {multi}:2: record line 1: label \"reqtime_microsec\": value is not a valid integer\n\
             {multi}:3: record line 1: label \"status\": value is not a valid integer\n\
             {plain}:1: record line 1: label \"size\": value is not a valid integer\n\
             {}\
             {plain}:9: record line 2: label \"status\": value is not a valid integer\n\
             ltsv2json: 13 records in, 0 converted, 13 failed; 0 lines written\n",
            unreplayable(plain)
        )
    );
    assert_eq!(run.code, Some(1));
}

#[test]
fn replay_with_fixed_settings_writes_what_converts_now_and_lists_the_rest() {
    let objects = error_objects();
    let (single, multi, plain) = (&objects.single, &objects.multi, &objects.plain);
    let run = ltsv2json(
        &[&FIXED[..], &["replay", single, multi, plain]].concat(),
        b"",
    );
    assert_eq!(
        run.stdout,
        [
            A1_JSON, B1_JSON, A2_JSON, B2_JSON, AB3_JSON, A4_JSON, T9_JSON
        ]
        .concat()
    );
    assert_eq!(
        run.stderr,
        format!(
            "{}ltsv2json: 13 records in, 7 converted, 6 failed; 9 lines written\n",
            unreplayable(plain)
        )
    );
    assert_eq!(run.code, Some(1));
}

#[test]
fn replay_exits_0_when_every_record_converts() {
    let objects = error_objects();
    let run = ltsv2json(
        &[&FIXED[..], &["replay", &objects.single, &objects.multi]].concat(),
        b"",
    );
    assert_eq!(
        (run.code, run.stdout, run.stderr),
        (
            Some(0),
            [A1_JSON, B1_JSON, A2_JSON, B2_JSON, AB3_JSON].concat(),
            "ltsv2json: 5 records in, 5 converted, 0 failed; 6 lines written\n".to_owned()
        )
    );
}

#[test]
fn replay_reads_gzip_or_plain_objects_from_stdin() {
    let objects = error_objects();
    let multi = fs::read(&objects.multi).unwrap();
    let plain = error_object(&[A1, B1]);
    for args in [&["replay"][..], &["replay", "-"]] {
        let args = [&FIXED[..], args].concat();
        let run = ltsv2json(&args, &multi);
        assert_eq!(
            (run.code, run.stdout, run.stderr),
            (
                Some(0),
                [A2_JSON, B2_JSON, AB3_JSON].concat(),
                "ltsv2json: 3 records in, 3 converted, 0 failed; 4 lines written\n".to_owned()
            ),
            "{args:?}"
        );
        let run = ltsv2json(&args, plain.as_bytes());
        assert_eq!(run.stdout, [A1_JSON, B1_JSON].concat(), "{args:?}");
        assert_eq!(run.code, Some(0), "{args:?}");
    }
    let run = ltsv2json(&["replay"], b"{\"rawData\":\"c3RhdHVzOk9L\"}\n");
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            Some(1),
            "",
            "<stdin>:1: record line 1: label \"status\": value is not a valid integer\n\
             ltsv2json: 1 record in, 0 converted, 1 failed; 0 lines written\n"
        )
    );
}

#[test]
fn replay_reads_folders_recursively_and_each_object_once() {
    let objects = error_objects();
    let root = objects.dir.0.to_str().unwrap();
    let expected = [
        A1_JSON, B1_JSON, A2_JSON, B2_JSON, AB3_JSON, A4_JSON, T9_JSON,
    ]
    .concat();
    // What `failed/`, and `failed/**/*` with globstar, expand to.
    let globbed = [
        objects.join("2021"),
        objects.join("2021/06"),
        objects.join("2021/06/28"),
        objects.join("2021/06/28/08"),
        objects.single.clone(),
        objects.join("2021/06/28/23"),
        objects.multi.clone(),
        objects.join("2021/06/29"),
        objects.join("2021/06/29/00"),
        objects.plain.clone(),
    ];
    let globbed: Vec<&str> = globbed.iter().map(String::as_str).collect();
    for files in [vec![root], globbed] {
        let run = ltsv2json(&[&FIXED[..], &["replay"], &files].concat(), b"");
        assert_eq!(run.stdout, expected, "{files:?}");
        assert!(
            run.stderr
                .ends_with("ltsv2json: 13 records in, 7 converted, 6 failed; 9 lines written\n"),
            "{}",
            run.stderr
        );
        assert_eq!(run.code, Some(1));
    }
    // An empty folder holds nothing to replay; it does not mean stdin.
    let empty = TempDir::new("empty");
    let run = ltsv2json(&["replay", empty.0.to_str().unwrap()], b"{}\n");
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            Some(0),
            "",
            "ltsv2json: 0 records in, 0 converted, 0 failed; 0 lines written\n"
        )
    );
}

impl ErrorObjects {
    fn join(&self, relative: &str) -> String {
        self.dir.join(relative)
    }
}

#[test]
fn replay_into_out_dir_puts_whole_records_in_their_hours() {
    let objects = error_objects();
    let out = TempDir::new("replayed");
    let out_dir = out.join("logs");
    let (single, multi, plain) = (&objects.single, &objects.multi, &objects.plain);
    let run = ltsv2json(
        &[
            &FIXED[..],
            &["replay", "--out-dir", &out_dir, single, multi, plain],
        ]
        .concat(),
        b"",
    );
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!(
            "{plain}:1: record line 1: no event time: label \"time\" is missing, empty or null\n\
             {}\
             {plain}:9: record line 2: no event time: label \"time\" is missing, empty or null\n\
             ltsv2json: 13 records in, 5 converted, 8 failed; 6 lines written; \
             2 files written under {out_dir}\n",
            unreplayable(plain)
        )
    );
    assert_eq!(run.code, Some(1));
    let tree = read_tree(Path::new(&out_dir));
    assert_eq!(
        by_hour(&tree),
        BTreeMap::from([
            (
                "year=2021/month=06/day=28/hour=08".to_owned(),
                [A1_JSON, B1_JSON].concat()
            ),
            (
                "year=2021/month=06/day=29/hour=00".to_owned(),
                [A2_JSON, B2_JSON, AB3_JSON].concat()
            ),
        ])
    );
    check_names(&tree, run.pid);
}

// --- backfill -----------------------------------------------------------------

/// Every file under `dir`: its folder (relative) and name, and its
/// decompressed text, in path order.
fn read_tree(dir: &Path) -> Vec<(String, String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String, String)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let folder = path.parent().unwrap().strip_prefix(root).unwrap();
                out.push((
                    folder.to_str().unwrap().to_owned(),
                    path.file_name().unwrap().to_str().unwrap().to_owned(),
                    gunzip(&path),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Each hour's folder and its files' text concatenated in name order.
fn by_hour(tree: &[(String, String, String)]) -> BTreeMap<String, String> {
    let mut hours = BTreeMap::<String, String>::new();
    for (folder, _, text) in tree {
        hours.entry(folder.clone()).or_default().push_str(text);
    }
    hours
}

/// Files are named `ltsv2json-PID-YYYYMMDDTHHMMSSZ-SEQ.json.gz`.
fn check_names(tree: &[(String, String, String)], pid: u32) {
    for (_, name, _) in tree {
        let rest = name
            .strip_prefix(&format!("ltsv2json-{pid}-"))
            .and_then(|rest| rest.strip_suffix(".json.gz"))
            .unwrap_or_else(|| panic!("{name}"));
        let (stamp, seq) = rest.split_once('-').unwrap_or_else(|| panic!("{name}"));
        assert_eq!(stamp.len(), 16, "{name}");
        assert_eq!((&stamp[8..9], &stamp[15..]), ("T", "Z"), "{name}");
        assert_eq!(seq.len(), 6, "{name}");
        assert!(seq.bytes().all(|b| b.is_ascii_digit()), "{name}");
    }
}

/// The hour folder of a converted line, from its `time` field, or `None`
/// when the line has no time.
fn hour_of(json: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let time = value["time"].as_str()?;
    Some(format!(
        "year={}/month={}/day={}/hour={}",
        &time[0..4],
        &time[5..7],
        &time[8..10],
        &time[11..13]
    ))
}

/// Lines over several hours and days, offsets that cross midnight UTC in
/// both directions and a year end, a leap day, and lines that cannot be
/// placed: no time (6), a null time (7), a time that is not one (8).
const CRAFTED: &[u8] = b"time:[31/Dec/2021:23:59:59 +0000]\tstatus:200\tsize:1\n\
time:[01/Jan/2022:08:30:00 +0900]\tstatus:200\n\
time:2021-12-31T20:15:00-04:00\tstatus:304\r\n\
\n\
time:1641000000\tstatus:200\n\
status:200\tsize:5\n\
time:-\tstatus:200\n\
time:yesterday\tstatus:200\n\
time:[01/Jan/2022:10:00:00 +0900]\tstatus:500\n\
time:[29/Feb/2024:12:00:00 -1200]\n\
time:2021-12-31T23:59:59.999Z\tstatus:201";

#[test]
fn backfill_puts_each_line_of_real_logs_in_its_utc_hour() {
    let inputs = TempDir::new("logs");
    let crafted = inputs.file("crafted.ltsv", CRAFTED);
    let apache = project_file("tests/data/apache_access.ltsv");
    let nginx = project_file("tests/data/nginx_access.ltsv");
    let files = [apache.as_str(), nginx.as_str(), crafted.as_str()];

    let plain = ltsv2json(&files, b"");
    assert_eq!(
        plain.stderr,
        format!("{crafted}:8: label \"time\": value is not a valid time\n")
    );

    let out = TempDir::new("backfill");
    let out_dir = out.join("logs");
    let run = ltsv2json(&[&["--out-dir", &out_dir][..], &files].concat(), b"");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!(
            "{crafted}:6: no event time: label \"time\" is missing, empty or null\n\
             {crafted}:7: no event time: label \"time\" is missing, empty or null\n\
             {crafted}:8: label \"time\": value is not a valid time\n\
             ltsv2json: 206 lines in, 202 written, 3 failed, 1 blank or dropped; \
             5 files written under {out_dir}\n"
        )
    );
    assert_eq!(run.code, Some(1));

    let tree = read_tree(Path::new(&out_dir));
    check_names(&tree, run.pid);
    let hours = by_hour(&tree);
    assert_eq!(
        hours.keys().collect::<Vec<_>>(),
        [
            "year=2021/month=12/day=31/hour=23",
            "year=2022/month=01/day=01/hour=00",
            "year=2022/month=01/day=01/hour=01",
            "year=2024/month=03/day=01/hour=00",
            "year=2026/month=11/day=25/hour=20",
        ]
    );
    assert_eq!(
        hours["year=2021/month=12/day=31/hour=23"],
        "{\"time\":\"2021-12-31 23:59:59\",\"status\":200,\"size\":1}\n\
         {\"time\":\"2021-12-31 23:30:00\",\"status\":200}\n\
         {\"time\":\"2021-12-31 23:59:59.999\",\"status\":201}\n"
    );
    assert_eq!(
        hours["year=2022/month=01/day=01/hour=00"],
        "{\"time\":\"2022-01-01 00:15:00\",\"status\":304}\n"
    );
    assert_eq!(
        hours["year=2022/month=01/day=01/hour=01"],
        "{\"time\":\"2022-01-01 01:20:00\",\"status\":200}\n\
         {\"time\":\"2022-01-01 01:00:00\",\"status\":500}\n"
    );
    assert_eq!(
        hours["year=2024/month=03/day=01/hour=00"],
        "{\"time\":\"2024-03-01 00:00:00\"}\n"
    );

    // Every line `ltsv2json FILE...` writes is in its hour's folder, in
    // input order, except the two with no time.
    let mut expected = BTreeMap::<String, String>::new();
    let mut untimed = Vec::new();
    for line in plain.stdout.split_inclusive('\n') {
        match hour_of(line) {
            Some(hour) => expected.entry(hour).or_default().push_str(line),
            None => untimed.push(line),
        }
    }
    assert_eq!(hours, expected);
    assert_eq!(
        untimed,
        [
            "{\"status\":200,\"size\":5}\n",
            "{\"time\":null,\"status\":200}\n"
        ]
    );
    assert_eq!(
        hours["year=2026/month=11/day=25/hour=20"],
        ltsv2json(&[apache.as_str(), nginx.as_str()], b"").stdout
    );
}

#[test]
fn a_second_run_into_the_same_folder_adds_files_and_changes_none() {
    let out = TempDir::new("twice");
    let out_dir = out.join("logs");
    let apache = project_file("tests/data/apache_access.ltsv");
    let inputs = TempDir::new("twice-logs");
    // The first five lines of CRAFTED, all with a time but the blank one.
    let crafted = inputs.file(
        "crafted.ltsv",
        b"time:[31/Dec/2021:23:59:59 +0000]\tstatus:200\tsize:1\n\
time:[01/Jan/2022:08:30:00 +0900]\tstatus:200\n\
time:2021-12-31T20:15:00-04:00\tstatus:304\r\n\
\n\
time:1641000000\tstatus:200\n",
    );

    let first = ltsv2json(&["--out-dir", &out_dir, &apache, &crafted], b"");
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let before: Vec<(PathBuf, Vec<u8>)> = walk_files(Path::new(&out_dir));
    assert_eq!(before.len(), 4);

    let second = ltsv2json(&["--out-dir", &out_dir, &apache, &crafted], b"");
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(
        second.stderr,
        format!(
            "ltsv2json: 104 lines in, 103 written, 0 failed, 1 blank or dropped; \
             4 files written under {out_dir}\n"
        )
    );
    let after = walk_files(Path::new(&out_dir));
    assert_eq!(after.len(), 8);
    for file in &before {
        assert!(after.contains(file), "{} changed", file.0.display());
    }

    // Each run's files hold the same lines in the same hours.
    let tree = read_tree(Path::new(&out_dir));
    let run_hours = |pid: u32| {
        let prefix = format!("ltsv2json-{pid}-");
        let files: Vec<_> = tree
            .iter()
            .filter(|(_, name, _)| name.starts_with(&prefix))
            .cloned()
            .collect();
        by_hour(&files)
    };
    assert_eq!(run_hours(first.pid).len(), 4);
    assert_eq!(run_hours(first.pid), run_hours(second.pid));
}

fn walk_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk_files(&path));
        } else {
            let bytes = fs::read(&path).unwrap();
            out.push((path, bytes));
        }
    }
    out.sort();
    out
}

#[test]
fn an_hour_that_comes_back_after_its_file_was_closed_gets_a_new_file() {
    // 70 hours, twice over: more than the 64 files kept open, so every
    // hour's file is closed before the hour comes back.
    let base = 1_640_995_200; // 2022-01-01 00:00:00 UTC
    let log: String = (0..140)
        .map(|i| format!("time:{}\tn:{i}\n", base + (i % 70) * 3600))
        .collect();
    let out = TempDir::new("many");
    let out_dir = out.join("logs");
    let run = ltsv2json(&["--out-dir", &out_dir], log.as_bytes());
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr),
        (
            Some(0),
            "",
            format!(
                "ltsv2json: 140 lines in, 140 written, 0 failed, 0 blank or dropped; \
                 140 files written under {out_dir}\n"
            )
        )
    );
    let tree = read_tree(Path::new(&out_dir));
    let hours = by_hour(&tree);
    assert_eq!(hours.len(), 70);
    for h in 0..70 {
        let day = 1 + h / 24;
        let folder = format!("year=2022/month=01/day={day:02}/hour={:02}", h % 24);
        let time = format!("2022-01-{day:02} {:02}:00:00", h % 24);
        assert_eq!(
            hours[&folder],
            format!(
                "{{\"time\":\"{time}\",\"n\":\"{h}\"}}\n{{\"time\":\"{time}\",\"n\":\"{}\"}}\n",
                h + 70
            ),
            "{folder}"
        );
        assert_eq!(tree.iter().filter(|(f, _, _)| *f == folder).count(), 2);
    }

    // Hours that take turns within the bound share one file each.
    let log: String = (0..40)
        .map(|i| format!("time:{}\tn:{i}\n", base + (i % 4) * 3600))
        .collect();
    let out = TempDir::new("few");
    let out_dir = out.join("logs");
    let run = ltsv2json(&["--out-dir", &out_dir], log.as_bytes());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let tree = read_tree(Path::new(&out_dir));
    assert_eq!(tree.len(), 4);
    assert!(tree.iter().all(|(_, _, text)| text.lines().count() == 10));
}

#[test]
fn backfill_without_a_time_label_fails_every_line_and_writes_nothing() {
    let out = TempDir::new("untimed");
    let out_dir = out.join("logs");
    let run = ltsv2json(
        &["--types", "status:integer", "--out-dir", &out_dir],
        b"time:1641000000\tstatus:200\n\nstatus:201\n",
    );
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr),
        (
            Some(1),
            "",
            format!(
                "<stdin>:1: no event time: LTSV_TYPES has no label of type time\n\
                 <stdin>:3: no event time: LTSV_TYPES has no label of type time\n\
                 ltsv2json: 3 lines in, 0 written, 2 failed, 1 blank or dropped; \
                 0 files written under {out_dir}\n"
            )
        )
    );
    assert!(!Path::new(&out_dir).exists());
}

#[test]
fn compressed_logs_convert_as_the_plain_ones() {
    let apache = project_file("tests/data/apache_access.ltsv");
    let log = fs::read(&apache).unwrap();
    let (head, tail) = log.split_at(log.len() / 3);
    let inputs = TempDir::new("gz");
    let rotated = inputs.file("access.ltsv.2.gz", &gzip_members(&[head, tail]));
    let plain = ltsv2json(&[&apache], b"");
    assert_eq!((plain.code, plain.stderr.as_str()), (Some(0), ""));
    let run = ltsv2json(&[&rotated], b"");
    assert_eq!(
        (run.code, run.stdout, run.stderr),
        (Some(0), plain.stdout.clone(), String::new())
    );
    let run = ltsv2json(&[], &gzip(&log));
    assert_eq!(run.stdout, plain.stdout);
}

#[test]
fn out_dir_is_for_converting_and_replaying_only() {
    for args in [
        &["event", "--out-dir", "x"][..],
        &["--out-dir", "x", "invoke", "e.json"],
    ] {
        let run = ltsv2json(args, b"");
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr.as_str()),
            (
                Some(2),
                "",
                "ltsv2json: --out-dir works only when converting or replaying\n"
            ),
            "{args:?}"
        );
    }
}
