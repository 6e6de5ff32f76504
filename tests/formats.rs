//! Real formats, as servers' configurations and tools' documentation write
//! them (`tests/data/formats/`, each naming its source on its first line):
//! each is read as `LTSV_LOG_FORMAT` into the table `schema` prints, and
//! lines it writes convert into rows of exactly that table.

use std::fs;
use std::path::{Path, PathBuf};

use firehose_ltsv::{ColumnType, Config, Converter, LineOutcome, Server, Type, columns};
use serde_json::Value;

/// What a format gives: its server, its number of columns, and its labels
/// of a type other than text, as `LTSV_TYPES` would list them; or why it
/// is refused.
type Table = Result<(Server, usize, &'static str), &'static str>;

/// Each file's [`Table`].
const EXPECTED: &[(&str, Table)] = &[
    (
        "apache-alp-readme.conf",
        Ok((
            Server::Apache,
            15,
            "time:time,status:integer,size:integer,reqtime_microsec:integer,apptime:integer",
        )),
    ),
    // httpd refuses it too: its string goes on over a line end.
    (
        "apache-dharada1-isucon-tools-wrapped.conf",
        Err("a \" quote is not closed on its line"),
    ),
    (
        "apache-fluent-bit-docs.conf",
        Ok((Server::Apache, 9, "time:time,status:integer,size:integer")),
    ),
    (
        "apache-gist-maimai-swap.conf",
        Ok((
            Server::Apache,
            14,
            "time:time,status:integer,response-size:integer",
        )),
    ),
    (
        "apache-ltsv-org.conf",
        Ok((Server::Apache, 9, "time:time,status:integer,size:integer")),
    ),
    (
        "apache-qiita-inouet.conf",
        Ok((
            Server::Apache,
            16,
            "time:time,status:integer,size:integer,response_time:integer",
        )),
    ),
    (
        "apache-trdsql-docs.conf",
        Ok((Server::Apache, 9, "time:time,status:integer,size:integer")),
    ),
    (
        "h2o-alp-dockerfile.yaml",
        Ok((
            Server::H2o,
            9,
            "time:time,status:integer,apptime:float,size:integer",
        )),
    ),
    // `%{%Y/%m/%d:%H:%M:%S}t` has no offset: a string, and `schema` says so.
    (
        "h2o-alp-readme-2018-equest-time.yaml",
        Ok((Server::H2o, 13, "time:time,status:integer,size:integer")),
    ),
    (
        "h2o-alp-readme.yaml",
        Ok((
            Server::H2o,
            9,
            "time:time,status:integer,apptime:float,size:integer",
        )),
    ),
    (
        "h2o-dharada1-isucon-tools.yaml",
        Ok((
            Server::H2o,
            9,
            "time:time,status:integer,reqtime:float,size:integer",
        )),
    ),
    (
        "h2o-karupanerura-isucon8.yaml",
        Ok((
            Server::H2o,
            14,
            "time:time,status:integer,size:integer,apptime:float,runtime:float",
        )),
    ),
    (
        "h2o-kmyk-isucon8.yaml",
        Ok((
            Server::H2o,
            9,
            "time:time,status:integer,size:integer,reqtime:float",
        )),
    ),
    (
        "nginx-alp-readme.conf",
        Ok((
            Server::Nginx,
            15,
            "time:time,status:integer,size:integer,reqtime:float",
        )),
    ),
    (
        "nginx-isucon12-qualify.conf",
        Ok((
            Server::Nginx,
            15,
            "time:time,status:integer,size:integer,reqtime:float",
        )),
    ),
    (
        "nginx-isucon6-qualify-portal.conf",
        Ok((
            Server::Nginx,
            11,
            "time:time,status:integer,size:integer,taken_sec:float",
        )),
    ),
    (
        "nginx-isucon8-final-blackbox.conf",
        Ok((
            Server::Nginx,
            11,
            "time:time,port:integer,status:integer,size:integer,reqtime:float",
        )),
    ),
    (
        "nginx-isucon9-qualify-ansible.conf",
        Ok((
            Server::Nginx,
            12,
            "time:time,status:integer,size:integer,ptime:float",
        )),
    ),
    // `escape=` is not the word after the name, so nginx takes it, and
    // `ltsv` before it, as format text: the first label is not a label.
    (
        "nginx-isutools-design-md-comments.conf",
        Err("field 1 has label \"ltsvescape=jsontime\", not of [0-9A-Za-z_.-]"),
    ),
    (
        "nginx-isutools-isucon14-escape-json.conf",
        Ok((
            Server::Nginx,
            11,
            "status:integer,reqtime:float,bytes:integer",
        )),
    ),
    (
        "nginx-isutools-proxies-escape-json.conf",
        Ok((
            Server::Nginx,
            11,
            "status:integer,reqtime:float,bytes:integer",
        )),
    ),
    (
        "nginx-ponyopoppo-isucon-tools.conf",
        Ok((
            Server::Nginx,
            16,
            "status:integer,time:time,reqtime:float,size:integer,reqsize:integer",
        )),
    ),
    (
        "nginx-private-isu-single-string.conf",
        Ok((
            Server::Nginx,
            8,
            "time:time,status:integer,size:integer,reqtime:float",
        )),
    ),
    (
        "nginx-riseshia-isucon-toolkit.conf",
        Ok((
            Server::Nginx,
            12,
            "time:time,status:integer,size:integer,reqtime:float",
        )),
    ),
    (
        "nginx-sue445-isucon12-itamae.conf",
        Ok((
            Server::Nginx,
            16,
            "time:time,status:integer,size:integer,reqtime:float",
        )),
    ),
    (
        "nginx-tokyohomesoc-openresty-conf.conf",
        Ok((
            Server::Nginx,
            29,
            "time_ngx:time,status:integer,req_bytes:integer,req_time:float,res_bytes:integer,res_body_bytes:integer",
        )),
    ),
    (
        "nginx-tokyohomesoc-openresty-docs.conf",
        Ok((
            Server::Nginx,
            28,
            "time_ngx:time,status:integer,req_bytes:integer,req_time:float,res_bytes:integer,res_body_bytes:integer",
        )),
    ),
];

fn formats() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/formats")
}

/// The formats, by file name; samples of what they write are beside them.
fn format_files() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(formats())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| !name.ends_with(".sample.ltsv"))
        .collect();
    names.sort();
    names
}

/// The settings of a stack that pastes the file's text as its format.
fn config(name: &str) -> Result<Config, String> {
    let text = fs::read_to_string(formats().join(name)).unwrap();
    Config::from_vars(&[("LTSV_LOG_FORMAT", &text), ("LTSV_TYPES", "")]).map_err(|e| e.to_string())
}

#[test]
fn every_format_names_its_source_and_is_expected() {
    let names = format_files();
    assert!(names.len() >= 20, "{} formats", names.len());
    let listed: Vec<&str> = EXPECTED.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, listed, "EXPECTED lists every file, in order");
    for name in &names {
        let text = fs::read_to_string(formats().join(name)).unwrap();
        let source = text.lines().next().unwrap();
        assert!(
            source.starts_with("# source: https://") || source.starts_with("# source: http://"),
            "{name}: {source}"
        );
    }
    for server in ["apache", "nginx", "h2o"] {
        let count = names.iter().filter(|n| n.starts_with(server)).count();
        assert!(count >= 5, "{server}: {count}");
    }
}

#[test]
fn each_format_gives_its_table() {
    for (name, expected) in EXPECTED {
        match (config(name), expected) {
            (Ok(config), Ok((server, count, typed))) => {
                let format = config.log_format().unwrap();
                assert_eq!(format.server(), *server, "{name}");
                let columns = columns(&config, false).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(columns.len(), *count, "{name}");
                let types: Vec<String> = config
                    .types()
                    .iter()
                    .map(|(label, ty)| format!("{}:{ty}", String::from_utf8_lossy(label)))
                    .collect();
                assert_eq!(types.join(","), *typed, "{name}");
            }
            (Err(error), Err(why)) => {
                assert!(error.starts_with("LTSV_LOG_FORMAT: "), "{name}: {error}");
                assert!(error.contains(why), "{name}: {error}");
            }
            (got, _) => panic!("{name}: {:?}", got.map(|_| "a format")),
        }
    }
}

/// A value of `ty` as servers write it, and its JSON.
fn value_of(ty: ColumnType, label: &str) -> (String, Value) {
    match ty {
        ColumnType::Bigint => ("200".into(), Value::from(200)),
        ColumnType::Double => ("0.125".into(), Value::from(0.125)),
        ColumnType::Boolean => ("true".into(), Value::from(true)),
        ColumnType::Timestamp => (
            "[28/Jun/2021:17:22:48 +0900]".into(),
            Value::from("2021-06-28 08:22:48"),
        ),
        ColumnType::String => (
            format!("{label} value"),
            Value::from(format!("{label} value")),
        ),
    }
}

#[test]
fn a_line_each_format_writes_converts_into_its_table() {
    for (name, expected) in EXPECTED {
        if expected.is_err() {
            continue;
        }
        let config = config(name).unwrap();
        let columns = columns(&config, false).unwrap();
        // Time values as each directive writes them.
        let mut line = Vec::new();
        let mut row = serde_json::Map::new();
        for (field, column) in config
            .log_format()
            .as_ref()
            .unwrap()
            .fields()
            .iter()
            .zip(&columns)
        {
            let (logged, json) = match field.ty {
                Type::TimeMsec => (
                    "1624868568123".into(),
                    Value::from("2021-06-28 08:22:48.123"),
                ),
                Type::TimeUsec => (
                    "1624868568123456".into(),
                    Value::from("2021-06-28 08:22:48.123"),
                ),
                _ => value_of(column.ty, &column.label),
            };
            line.push(format!("{}:{logged}", field.label));
            row.insert(column.label.clone(), json);
        }
        let mut out = Vec::new();
        let outcome = Converter::new(&config).convert_line(line.join("\t").as_bytes(), &mut out);
        assert_eq!(outcome, Ok(LineOutcome::Written), "{name}");
        let written: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(written, Value::Object(row), "{name}");
    }
}

#[test]
fn the_sample_lines_of_a_format_are_rows_of_its_table() {
    let mut samples = 0;
    for (name, _) in EXPECTED {
        let stem = name.rsplit_once('.').unwrap().0;
        let Ok(sample) = fs::read(formats().join(format!("{stem}.sample.ltsv"))) else {
            continue;
        };
        let config = config(name).unwrap();
        let columns = columns(&config, false).unwrap();
        let mut converter = Converter::new(&config);
        let mut out = Vec::new();
        let counts = converter.convert_record(&sample, &mut out).unwrap();
        assert!(
            counts.written > 0 && counts.undeclared == 0,
            "{name}: {counts:?}"
        );
        for row in out.split(|&b| b == b'\n').filter(|row| !row.is_empty()) {
            let row: serde_json::Map<String, Value> = serde_json::from_slice(row).unwrap();
            for (label, value) in &row {
                let column = columns.iter().find(|c| c.label == *label).unwrap();
                let fits = match (column.ty, value) {
                    (_, Value::Null) => true,
                    (ColumnType::Bigint, Value::Number(n)) => n.is_i64(),
                    (ColumnType::Double, Value::Number(_)) => true,
                    (ColumnType::Timestamp | ColumnType::String, Value::String(_)) => true,
                    _ => false,
                };
                assert!(fits, "{name}: {label} {value} in a {:?} column", column.ty);
            }
        }
        samples += 1;
    }
    assert!(samples >= 3, "{samples} samples");
}
