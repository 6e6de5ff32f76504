//! `ltsv2json schema`: the table a log format implies, held against what
//! the function really writes for the sample events, and the template it
//! rewrites.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::fs;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use common::{Run, TempDir, entries, ltsv2json, project_file};

/// The format line of the README's code block in `language`.
fn readme_format(language: &str, directive: &str) -> String {
    let readme = fs::read_to_string(project_file("docs/configuration.md")).unwrap();
    let block = readme
        .split(&format!("```{language}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("a {language} block in the README"));
    block
        .lines()
        .find(|line| line.starts_with(directive))
        .unwrap_or_else(|| panic!("{directive} in the README's {language} block"))
        .to_owned()
}

/// The README's settings for nginx: its whole `log_format` directive, no
/// other types, request lines split.
fn nginx_settings() -> Vec<String> {
    vec![
        "--log-format".into(),
        readme_format("nginx", "log_format "),
        "--types".into(),
        String::new(),
        "--split-request".into(),
        "req".into(),
    ]
}

fn run(args: &[String], stdin: &[u8]) -> Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ltsv2json(&args, &[], stdin)
}

/// `schema --json` under `settings`: (column, label, type) in order.
fn columns(settings: &[String]) -> Vec<(String, String, String)> {
    let mut args = settings.to_vec();
    args.extend(["schema".into(), "--json".into()]);
    let run = run(&args, b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let schema: Value = serde_json::from_str(&run.stdout).unwrap();
    schema["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |key: &str| c[key].as_str().unwrap().to_owned();
            (text("name"), text("label"), text("type"))
        })
        .collect()
}

/// The JSON lines the function writes for `event` under `settings`.
fn converted(event: &str, settings: &[String]) -> Vec<serde_json::Map<String, Value>> {
    let mut args = settings.to_vec();
    args.extend(["invoke".into(), project_file(event)]);
    let run = run(&args, b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let entries = entries(&run.stdout);
    assert!(entries.iter().all(|e| e.result == "Ok"), "{event}");
    entries
        .iter()
        .flat_map(|e| {
            let data = String::from_utf8(BASE64.decode(&e.data).unwrap()).unwrap();
            data.lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whether a JSON value is what a column of Glue type `ty` reads.
fn fits(value: &Value, ty: &str) -> bool {
    let timestamp = |text: &str| {
        let bytes = text.as_bytes();
        text.len() >= 19 && bytes[4] == b'-' && bytes[10] == b' ' && bytes[13] == b':'
    };
    match (value, ty) {
        (Value::Null, _) => true,
        (Value::Number(n), "bigint") => n.is_i64(),
        (Value::Number(_), "double") => true,
        (Value::Bool(_), "boolean") => true,
        (Value::String(s), "timestamp") => timestamp(s),
        (Value::String(_), "string") => true,
        _ => false,
    }
}

/// Every key of every line is a column, and every value fits its type.
fn check_lines_fit(lines: &[serde_json::Map<String, Value>], table: &[(String, String, String)]) {
    assert!(lines.len() > 90, "{} lines", lines.len());
    for line in lines {
        for (key, value) in line {
            let column = table.iter().find(|(_, label, _)| label == key);
            let (_, _, ty) = column.unwrap_or_else(|| panic!("{key} is not a column: {line:?}"));
            assert!(fits(value, ty), "{key}={value} is not a {ty}");
        }
    }
}

#[test]
fn the_apache_format_is_the_default_and_its_table_holds_the_apache_sample() {
    let readme = vec!["--log-format".into(), readme_format("apache", "LogFormat ")];
    let table = columns(&[]);
    assert_eq!(
        columns(&readme),
        table,
        "the default is the README's format"
    );
    let typed: Vec<(&str, &str)> = table
        .iter()
        .filter(|(_, _, ty)| ty != "string")
        .map(|(name, _, ty)| (name.as_str(), ty.as_str()))
        .collect();
    assert_eq!(
        typed,
        [
            ("time", "timestamp"),
            ("status", "bigint"),
            ("size", "bigint"),
            ("reqtime_microsec", "bigint"),
            ("runtime", "double"),
        ]
    );
    let names: Vec<&str> = table.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "time",
            "forwardedfor",
            "host",
            "req",
            "status",
            "size",
            "referer",
            "ua",
            "reqtime_microsec",
            "cache",
            "runtime",
            "vhost"
        ]
    );
    check_lines_fit(&converted("events/apache.json", &[]), &table);
}

#[test]
fn the_nginx_format_gives_a_table_with_every_column_of_the_nginx_sample() {
    let settings = nginx_settings();
    let table = columns(&settings);
    let typed: Vec<(&str, &str)> = table
        .iter()
        .filter(|(_, _, ty)| ty != "string")
        .map(|(name, _, ty)| (name.as_str(), ty.as_str()))
        .collect();
    assert_eq!(
        typed,
        [
            ("time", "timestamp"),
            ("status", "bigint"),
            ("size", "bigint"),
            ("reqtime", "double"),
            ("time_iso8601", "timestamp"),
            ("msec", "timestamp"),
        ]
    );
    // The split request adds only the parts nginx's labels do not have.
    let last: Vec<&str> = table[table.len() - 2..]
        .iter()
        .map(|c| c.0.as_str())
        .collect();
    assert_eq!(last, ["path", "query"]);
    let lines = converted("events/nginx.json", &settings);
    check_lines_fit(&lines, &table);
    for (name, label, _) in &table {
        assert!(
            lines.iter().any(|line| line.contains_key(label)),
            "no line fills column {name}"
        );
    }
    // The capture script logged with this very format.
    let capture = fs::read_to_string(project_file("scripts/capture-logs")).unwrap();
    let readme = readme_format("nginx", "log_format ");
    assert!(
        capture.contains(&readme.replace('$', "\\$")),
        "scripts/capture-logs"
    );
}

#[test]
fn the_readme_h2o_format_types_its_timings_and_the_commands_paste_it() {
    let readme_yaml = readme_format("yaml", "  format: ");
    let readme = fs::read_to_string(project_file("docs/configuration.md")).unwrap();
    // The command pastes the very line the configuration shows.
    let pasted = format!("format='{}'", readme_yaml.trim_start());
    assert!(readme.lines().any(|line| line == pasted), "{pasted}");
    let settings = vec![
        "--log-format".into(),
        readme_yaml,
        "--types".into(),
        String::new(),
        "--split-request".into(),
        "req".into(),
    ];
    let typed: Vec<(String, String)> = columns(&settings)
        .into_iter()
        .filter(|(_, _, ty)| ty != "string")
        .map(|(name, _, ty)| (name, ty))
        .collect();
    let expected = [
        ("time", "timestamp"),
        ("status", "bigint"),
        ("apptime", "double"),
        ("size", "bigint"),
    ];
    assert_eq!(typed, expected.map(|(n, t)| (n.to_owned(), t.to_owned())));
    // A line h2o writes with it: the `-` of a timing that does not apply,
    // quotes YAML put around the user agent, and h2o's lower-case escapes.
    let line = "time:[28/Jun/2021:17:22:48 +0900]\thost:192.0.2.1\tua:\"curl/8.5.0\"\tstatus:200\treq:GET /\\xe3\\x81\\x82?q=1 HTTP/2\turi:/\\xe3\\x81\\x82\tapptime:0.000250\tsize:0\tmethod:GET\n\
                time:[28/Jun/2021:17:22:49 +0900]\thost:192.0.2.1\tua:-\tstatus:408\treq:-\turi:-\tapptime:-\tsize:0\tmethod:-\n";
    let run = run(&settings, line.as_bytes());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let rows: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            serde_json::json!({"time": "2021-06-28 08:22:48", "host": "192.0.2.1", "ua": "\"curl/8.5.0\"", "status": 200, "req": "GET /あ?q=1 HTTP/2", "uri": "/あ", "apptime": 0.00025, "size": 0, "method": "GET", "path": "/あ", "query": "q=1", "protocol": "HTTP/2"}),
            serde_json::json!({"time": "2021-06-28 08:22:49", "host": "192.0.2.1", "ua": null, "status": 408, "req": null, "uri": null, "apptime": null, "size": 0, "method": null, "path": null, "query": null, "protocol": null}),
        ]
    );
}

#[test]
fn nginx_escape_json_decodes_json_escapes_across_joined_strings() {
    let format = "log_format j escape=json 'ua:$http_user_agent\\t'\n  'status:$status';";
    let run = run(
        &["--log-format".into(), format.into()],
        b"ua:say \\\"hi\\\" \\u00e9\\\\x41\tstatus:200\n",
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "{\"ua\":\"say \\\"hi\\\" é\\\\x41\",\"status\":200}\n"
    );
}

#[test]
fn labels_with_dashes_dots_and_capitals_get_mapped_columns() {
    let settings = vec![
        "--log-format".into(),
        r"X-Forwarded-For:%{X-Forwarded-For}i\ta.b:%>s\tUA:%{User-Agent}i".into(),
    ];
    assert_eq!(
        columns(&settings),
        [
            (
                "x_forwarded_for".into(),
                "X-Forwarded-For".into(),
                "string".into()
            ),
            ("a_b".into(), "a.b".into(), "bigint".into()),
            ("ua".into(), "UA".into(), "string".into()),
        ]
    );
    let mut args = settings.clone();
    args.extend(["schema".into(), "--ddl".into()]);
    let ddl = run(&args, b"").stdout;
    // Keys as the case-insensitive SerDe reads them: lowercase; a label
    // that differs from its column only in case needs no mapping.
    assert!(
        ddl.contains("'mapping.x_forwarded_for' = 'x-forwarded-for'"),
        "{ddl}"
    );
    assert!(ddl.contains("'mapping.a_b' = 'a.b'"), "{ddl}");
    assert!(!ddl.contains("'mapping.ua'"), "{ddl}");
}

#[test]
fn a_format_that_cannot_be_read_or_tabled_is_refused_with_the_reason() {
    let bad = run(
        &[
            "--log-format".into(),
            r"time:%t\tstatus".into(),
            "schema".into(),
        ],
        b"",
    );
    assert_eq!(
        (bad.code, bad.stderr.as_str()),
        (
            Some(2),
            // The flag the format was given by, not its variable.
            "ltsv2json: --log-format: field 2 \"status\" has no ':'\n"
        )
    );
    let folded = run(
        &[
            "--log-format".into(),
            r"ua:%u\tUA:%{User-Agent}i".into(),
            "schema".into(),
        ],
        b"",
    );
    assert_eq!(
        (folded.code, folded.stderr.as_str()),
        (
            Some(2),
            "ltsv2json: labels \"ua\" and \"UA\" would both be column \"ua\"\n"
        )
    );
    // A time the reader cannot read stays a string, and schema says so.
    let note = run(
        &[
            "--log-format".into(),
            r"t:%{%d/%m/%Y}t".into(),
            "schema".into(),
            "--json".into(),
        ],
        b"",
    );
    assert_eq!(note.code, Some(0));
    assert!(
        note.stderr.contains("%{%d/%m/%Y}t is not a time format"),
        "{}",
        note.stderr
    );
    assert!(note.stdout.contains("\"type\": \"string\""));
}

#[test]
fn the_template_rewritten_from_its_own_defaults_is_unchanged() {
    let dir = TempDir::new("template");
    let original = fs::read(project_file("template.yaml")).unwrap();
    let copy = dir.file("template.yaml", &original);
    let run = ltsv2json(&["schema", "--update-template", &copy], &[], b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(fs::read(&copy).unwrap(), original);

    // Another format changes the defaults and the block, and nothing else.
    let mut args = nginx_settings();
    args.extend(["schema".into(), "--update-template".into(), copy.clone()]);
    let run = self::run(&args, b"");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let updated = fs::read_to_string(&copy).unwrap();
    let original = String::from_utf8(original).unwrap();
    // Outside the blocks, only the three derived parameters' defaults differ.
    let outside = |text: &str| {
        let mut kept = String::new();
        let mut rest = text;
        while let Some((before, block)) = rest.split_once("# BEGIN ltsv2json schema") {
            kept.push_str(before);
            rest = block.split_once("# END ltsv2json schema").unwrap().1;
        }
        kept.push_str(rest);
        kept.lines().map(str::to_owned).collect::<Vec<String>>()
    };
    let (was, now) = (outside(&original), outside(&updated));
    assert_eq!(was.len(), now.len());
    let changed: Vec<(&String, &String)> = was.iter().zip(&now).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 3, "{changed:#?}");
    assert!(
        changed[0]
            .1
            .starts_with("    Default: 'log_format ltsv ''time:$time_local\\t")
    );
    assert_eq!(changed[1].1, "    Default: ''", "LtsvTypes");
    // nginx's format adds `uri`, a path with a query, to the labels redacted.
    assert_eq!(
        changed[2].1, "    Default: 'req:query,uri:query,referer:query'",
        "LtsvRedact"
    );
    assert!(updated.contains("            - { Name: reqtime, Type: double }\n"));
    assert!(updated.contains("            - { Name: msec, Type: timestamp, Comment: \"UTC\" }\n"));
}

#[test]
fn every_real_format_gives_a_schema_or_a_reason() {
    let folder = project_file("tests/data/formats");
    let mut seen = 0;
    let mut paths: Vec<_> = fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".sample.ltsv") {
            continue;
        }
        let format = fs::read_to_string(&path).unwrap();
        let settings = vec![
            "--log-format".into(),
            format.clone(),
            "--types".into(),
            String::new(),
        ];
        let mut args = settings.clone();
        args.extend(["schema".into(), "--ddl".into()]);
        let run = run(&args, b"");
        // tests/formats.rs says which formats are refused, and why; here,
        // that the command line says the same.
        let config =
            firehose_ltsv::Config::from_vars(&[("LTSV_LOG_FORMAT", &format), ("LTSV_TYPES", "")]);
        match config {
            Ok(config) => {
                assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
                let labels = config.log_format().unwrap().fields().len();
                assert_eq!(columns(&settings).len(), labels, "{name}");
                assert!(run.stdout.starts_with("CREATE EXTERNAL TABLE"), "{name}");
            }
            Err(error) => {
                assert_eq!(run.code, Some(2), "{name}");
                // The same reason, named by the flag it was given by.
                let reason = error
                    .to_string()
                    .replacen("LTSV_LOG_FORMAT: ", "--log-format: ", 1);
                assert!(run.stderr.contains(&reason), "{name}: {}", run.stderr);
            }
        }
        seen += 1;
    }
    assert!(seen >= 20, "{seen}");
}
