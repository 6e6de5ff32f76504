//! `ltsv2json replay` on gzip and plain Firehose error objects, from files,
//! folders and stdin, into stdout or, with `--out-dir`, into the delivery
//! stream's `year=/month=/day=/hour=` layout.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{TempDir, by_hour, check_names, error_line, gzip, gzip_members, ltsv2json, read_tree};

/// The settings under which the records below convert.
const FIXED: [&str; 4] = [
    "--on-type-error",
    "null",
    "--types",
    "status:integer,size:integer,reqtime_microsec:float,time:time",
];

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
    let run = ltsv2json(&["replay", single, multi, plain], &[], b"");
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
        &[],
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
        &[],
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
        let run = ltsv2json(&args, &[], &multi);
        assert_eq!(
            (run.code, run.stdout, run.stderr),
            (
                Some(0),
                [A2_JSON, B2_JSON, AB3_JSON].concat(),
                "ltsv2json: 3 records in, 3 converted, 0 failed; 4 lines written\n".to_owned()
            ),
            "{args:?}"
        );
        let run = ltsv2json(&args, &[], plain.as_bytes());
        assert_eq!(run.stdout, [A1_JSON, B1_JSON].concat(), "{args:?}");
        assert_eq!(run.code, Some(0), "{args:?}");
    }
    let run = ltsv2json(&["replay"], &[], b"{\"rawData\":\"c3RhdHVzOk9L\"}\n");
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
    let root = objects.dir.path().to_str().unwrap();
    let expected = [
        A1_JSON, B1_JSON, A2_JSON, B2_JSON, AB3_JSON, A4_JSON, T9_JSON,
    ]
    .concat();
    // What `failed/`, and `failed/**/*` with globstar, expand to.
    let globbed = [
        objects.dir.join("2021"),
        objects.dir.join("2021/06"),
        objects.dir.join("2021/06/28"),
        objects.dir.join("2021/06/28/08"),
        objects.single.clone(),
        objects.dir.join("2021/06/28/23"),
        objects.multi.clone(),
        objects.dir.join("2021/06/29"),
        objects.dir.join("2021/06/29/00"),
        objects.plain.clone(),
    ];
    let globbed: Vec<&str> = globbed.iter().map(String::as_str).collect();
    for files in [vec![root], globbed] {
        let run = ltsv2json(&[&FIXED[..], &["replay"], &files].concat(), &[], b"");
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
    let run = ltsv2json(&["replay", empty.path().to_str().unwrap()], &[], b"{}\n");
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            Some(0),
            "",
            "ltsv2json: 0 records in, 0 converted, 0 failed; 0 lines written\n"
        )
    );
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
        &[],
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

#[test]
fn replay_writes_parquet_for_a_parquet_table() {
    let objects = error_objects();
    let out = TempDir::new("replayed-parquet");
    let (json_dir, parquet_dir) = (out.join("json"), out.join("parquet"));
    let args = |dir: &str, format: &str| -> Vec<String> {
        let mut args: Vec<String> = FIXED.iter().map(|a| a.to_string()).collect();
        args.extend(
            [
                "replay",
                "--out-dir",
                dir,
                "--output-format",
                format,
                &objects.multi,
            ]
            .map(String::from),
        );
        args
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ltsv2json(&args, &[], b"")
    };
    let json = run(args(&json_dir, "json"));
    let parquet = run(args(&parquet_dir, "parquet"));
    assert_eq!(json.code, parquet.code);
    assert_eq!(
        parquet.stderr.replace(&parquet_dir, "DIR"),
        json.stderr.replace(&json_dir, "DIR")
    );
    // The same hours, each file of its format.
    let folders = |dir: &str, extension: &str| -> Vec<String> {
        let files = common::files_under(Path::new(dir));
        files
            .iter()
            .map(|(path, _)| {
                assert!(path.to_str().unwrap().ends_with(extension), "{path:?}");
                let folder = path.parent().unwrap().strip_prefix(dir).unwrap();
                folder.to_str().unwrap().to_owned()
            })
            .collect()
    };
    let hours = folders(&parquet_dir, ".parquet");
    assert!(!hours.is_empty());
    assert_eq!(hours, folders(&json_dir, ".json.gz"));
}
