//! `ltsv2json` converting logs: good lines to stdout and bad ones reported
//! by file and line, from files or stdin, plain or gzip; and, with
//! `--out-dir`, backfilled into the delivery stream's
//! `year=/month=/day=/hour=` layout.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{
    TempDir, by_hour, check_names, files_under, gzip, gzip_members, ltsv2json, project_file,
    read_tree,
};

// --- To stdout ----------------------------------------------------------------

/// Lines 2 and 4 are bad; line 3 is blank and line 6 holds only an empty
/// field, so neither writes anything; line 5 ends in CRLF and line 7 has no
/// line end at all.
const MIXED: &[u8] = b"time:[28/Jun/2021:17:22:48 +0900]\tstatus:200\tsize:-\tua:\\xe3\\x81\\x82\n\
host:192.0.2.1\tnocolon\n\
\n\
status:abc\tsize:1\n\
req:GET / HTTP/1.1\r\n\
\t\n\
a:1";

const MIXED_JSON: &str = "{\"time\":\"2021-06-28 08:22:48\",\"status\":200,\
\"size\":null,\"ua\":\"あ\"}\n\
{\"req\":\"GET / HTTP/1.1\"}\n\
{\"a\":\"1\"}\n";

const GOOD: &[u8] = b"status:304\tsize:-\treq:GET /\n\nruntime:0.5\tref:\\\"q\\\"\n";

const GOOD_JSON: &str = "{\"status\":304,\"size\":null,\"req\":\"GET /\"}\n\
{\"runtime\":0.5,\"ref\":\"\\\"q\\\"\"}\n";

/// What conversion reports for the bad lines of `MIXED`, read from `path`.
fn mixed_errors(path: &str) -> String {
    format!(
        "{path}:2: field 2 (byte 16): no ':' between label and value\n\
         {path}:4: label \"status\": value is not a valid integer\n"
    )
}

#[test]
fn convert_writes_good_lines_and_reports_bad_ones_by_file_and_line() {
    let dir = TempDir::new("convert");
    let mixed = dir.file("mixed.ltsv", MIXED);
    let run = ltsv2json(&[&mixed], &[], b"");
    assert_eq!(run.stdout, MIXED_JSON);
    assert_eq!(run.stderr, mixed_errors(&mixed));
    assert_eq!(run.code, Some(1));
}

#[test]
fn convert_exits_0_when_every_line_converts() {
    let dir = TempDir::new("convert");
    let good = dir.file("good.ltsv", GOOD);
    let run = ltsv2json(&[&good], &[], b"");
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (Some(0), GOOD_JSON, "")
    );
}

#[test]
fn convert_numbers_lines_per_file() {
    let dir = TempDir::new("convert");
    let good = dir.file("good.ltsv", GOOD);
    let mixed = dir.file("mixed.ltsv", MIXED);
    let run = ltsv2json(&[&good, &mixed], &[], b"");
    assert_eq!(run.stdout, format!("{GOOD_JSON}{MIXED_JSON}"));
    assert_eq!(run.stderr, mixed_errors(&mixed));
    assert_eq!(run.code, Some(1));
}

#[test]
fn convert_reads_stdin_without_a_file_or_for_dash() {
    for args in [&[][..], &["-"]] {
        let run = ltsv2json(args, &[], GOOD);
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr.as_str()),
            (Some(0), GOOD_JSON, "")
        );
        let run = ltsv2json(args, &[], MIXED);
        assert_eq!(run.stdout, MIXED_JSON);
        assert_eq!(
            run.stderr,
            "<stdin>:2: field 2 (byte 16): no ':' between label and value\n\
             <stdin>:4: label \"status\": value is not a valid integer\n"
        );
        assert_eq!(run.code, Some(1));
    }
}

// --- Backfill -----------------------------------------------------------------

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

    let plain = ltsv2json(&files, &[], b"");
    assert_eq!(
        plain.stderr,
        format!("{crafted}:8: label \"time\": value is not a valid time\n")
    );

    let out = TempDir::new("backfill");
    let out_dir = out.join("logs");
    let run = ltsv2json(&[&["--out-dir", &out_dir][..], &files].concat(), &[], b"");
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
        ltsv2json(&[apache.as_str(), nginx.as_str()], &[], b"").stdout
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

    let first = ltsv2json(&["--out-dir", &out_dir, &apache, &crafted], &[], b"");
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let before = files_under(Path::new(&out_dir));
    assert_eq!(before.len(), 4);

    let second = ltsv2json(&["--out-dir", &out_dir, &apache, &crafted], &[], b"");
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(
        second.stderr,
        format!(
            "ltsv2json: 104 lines in, 103 written, 0 failed, 1 blank or dropped; \
             4 files written under {out_dir}\n"
        )
    );
    let after = files_under(Path::new(&out_dir));
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
    let run = ltsv2json(&["--out-dir", &out_dir], &[], log.as_bytes());
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
    let run = ltsv2json(&["--out-dir", &out_dir], &[], log.as_bytes());
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
        &[
            "--log-format",
            "",
            "--types",
            "status:integer",
            "--out-dir",
            &out_dir,
        ],
        &[],
        b"time:1641000000\tstatus:200\n\nstatus:201\n",
    );
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr),
        (
            Some(1),
            "",
            format!(
                "<stdin>:1: no event time: no label has type time (LTSV_LOG_FORMAT, LTSV_TYPES)\n\
                 <stdin>:3: no event time: no label has type time (LTSV_LOG_FORMAT, LTSV_TYPES)\n\
                 ltsv2json: 3 lines in, 0 written, 2 failed, 1 blank or dropped; \
                 0 files written under {out_dir}\n"
            )
        )
    );
    assert!(!Path::new(&out_dir).exists());
}

// --- Compressed input ---------------------------------------------------------

#[test]
fn compressed_logs_convert_as_the_plain_ones() {
    let apache = project_file("tests/data/apache_access.ltsv");
    let log = fs::read(&apache).unwrap();
    let (head, tail) = log.split_at(log.len() / 3);
    let inputs = TempDir::new("gz");
    let rotated = inputs.file("access.ltsv.2.gz", &gzip_members(&[head, tail]));
    let plain = ltsv2json(&[&apache], &[], b"");
    assert_eq!((plain.code, plain.stderr.as_str()), (Some(0), ""));
    let run = ltsv2json(&[&rotated], &[], b"");
    assert_eq!(
        (run.code, run.stdout, run.stderr),
        (Some(0), plain.stdout.clone(), String::new())
    );
    let run = ltsv2json(&[], &[], &gzip(&log));
    assert_eq!(run.stdout, plain.stdout);
}

// --- Parquet ------------------------------------------------------------------

#[test]
fn parquet_files_go_where_json_files_go_one_for_each() {
    let out = TempDir::new("parquet");
    let (json_dir, parquet_dir) = (out.join("json"), out.join("parquet"));
    let log = project_file("tests/data/apache_access.ltsv");
    let json = ltsv2json(&["--out-dir", &json_dir, &log], &[], b"");
    let parquet = ltsv2json(
        &[
            "--out-dir",
            &parquet_dir,
            "--output-format",
            "parquet",
            &log,
        ],
        &[],
        b"",
    );
    assert_eq!(
        (json.code, parquet.code),
        (Some(0), Some(0)),
        "{}",
        parquet.stderr
    );
    let folders = |dir: &str, extension: &str| -> Vec<String> {
        files_under(Path::new(dir))
            .into_iter()
            .map(|(path, bytes)| {
                assert!(path.to_str().unwrap().ends_with(extension), "{path:?}");
                if extension == ".parquet" {
                    assert_eq!(&bytes[..4], b"PAR1");
                    assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
                }
                let folder = path.parent().unwrap().strip_prefix(dir).unwrap();
                folder.to_str().unwrap().to_owned()
            })
            .collect()
    };
    assert_eq!(
        folders(&parquet_dir, ".parquet"),
        folders(&json_dir, ".json.gz")
    );
    // The same summary, with nothing left out: every label is a column.
    assert_eq!(
        parquet.stderr.replace(&parquet_dir, "DIR"),
        json.stderr.replace(&json_dir, "DIR")
    );
}

#[test]
fn parquet_counts_the_values_the_table_cannot_hold() {
    let out = TempDir::new("parquet-left-out");
    let dir = out.join("out");
    let run = ltsv2json(
        &[
            "--out-dir",
            &dir,
            "--output-format",
            "parquet",
            "--on-type-error",
            "string",
        ],
        &[],
        b"time:1624868568\tstatus:OK\textra:1\tother:2\n",
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.ends_with(
            "ltsv2json: 3 values left out of the Parquet files: of labels the table has no \
             column for, or not of their column's type (see ltsv2json schema)\n"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn parquet_needs_the_columns_of_a_log_format() {
    let out = TempDir::new("parquet-no-format");
    let dir = out.join("out");
    let run = ltsv2json(
        &[
            "--log-format",
            "",
            "--out-dir",
            &dir,
            "--output-format",
            "parquet",
        ],
        &[],
        b"time:1624868568\n",
    );
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            Some(2),
            "ltsv2json: --output-format parquet needs the table's columns: \
             LTSV_LOG_FORMAT is empty: the labels, and so the columns, are unknown\n"
        )
    );
    assert!(!Path::new(&dir).exists());
}

#[test]
fn a_log_that_is_not_ltsv_is_named_once_and_its_errors_counted() {
    let combined = "192.0.2.1 - - [28/Jun/2021:17:22:48 +0900] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8.5.0\"\n";
    let run = ltsv2json(&[], &[], combined.repeat(200).as_bytes());
    assert_eq!((run.code, run.stdout.as_str()), (Some(1), ""));
    let reason = "field 1 (byte 1): label holds ' ', outside [0-9A-Za-z_.-]";
    let mut expected: Vec<String> = (1..=10).map(|n| format!("<stdin>:{n}: {reason}")).collect();
    expected.push(
        "ltsv2json: <stdin> does not look like LTSV: it looks like Apache's or nginx's common or \
         combined log format, which has no labels: have the server write LTSV (see \
         docs/configuration.md)"
            .to_owned(),
    );
    expected.push(format!(
        "ltsv2json: 190 others failed the same way: {reason}"
    ));
    assert_eq!(run.stderr.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn ltsv_with_spaces_for_tabs_is_named_as_such() {
    let spaced = "time:[28/Jun/2021:17:22:48 +0900] host:192.0.2.1 status:200\n";
    let run = ltsv2json(&[], &[], spaced.repeat(3).as_bytes());
    assert_eq!(run.code, Some(1));
    let reason = "label \"time\": value is not a valid time \
                  (the line has no TAB: are its fields separated by spaces?)";
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            format!("<stdin>:1: {reason}"),
            format!("<stdin>:2: {reason}"),
            format!("<stdin>:3: {reason}"),
            "ltsv2json: <stdin> does not look like LTSV: its fields seem to be separated by \
             spaces, where LTSV has TABs"
                .to_owned(),
        ]
    );
}
