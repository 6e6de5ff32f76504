//! Lines for an Apache Iceberg table (`OUTPUT_FORMAT=iceberg`): one JSON
//! object a record, keyed by column, times as microseconds since the
//! epoch, labels the log format does not declare left out, every value of
//! its column's type; and the settings such a table cannot take.

mod common;

use firehose_ltsv::{
    ColumnType, Config, Converter, ErrorKind, OutputFormat, SOURCE_LINE, columns, columns_for,
    transform,
};
use serde_json::{Value, json};

use common::{config, event_of};

const FORMAT: &str = r"time:%t\tX-Forwarded-For:%{X-Forwarded-For}i\treq:%r\tstatus:%>s\tsize:%b\tua:%{User-Agent}i\tms:%{msec}t";

fn iceberg(more: &[(&str, &str)]) -> Config {
    let mut vars = vec![
        ("OUTPUT_FORMAT", "iceberg"),
        ("LTSV_LOG_FORMAT", FORMAT),
        ("LTSV_TYPES", ""),
    ];
    vars.extend_from_slice(more);
    config(&vars)
}

fn converted(config: &Config, line: &str) -> Value {
    let mut out = Vec::new();
    Converter::new(config)
        .convert_line(line.as_bytes(), &mut out)
        .unwrap();
    assert_eq!(out.last(), Some(&b'\n'));
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn lines_are_keyed_by_column_with_times_in_microseconds() {
    let config = iceberg(&[]);
    assert_eq!(config.output_format(), OutputFormat::Iceberg);
    let line = "time:[28/Jun/2021:17:22:48 +0900]\tX-Forwarded-For:192.0.2.9\treq:GET / HTTP/1.1\t\
                status:200\tsize:-\tua:curl\tms:1624868568123\textra:left out";
    assert_eq!(
        converted(&config, line),
        json!({
            "time": 1_624_868_568_000_000_i64,
            "x_forwarded_for": "192.0.2.9",
            "req": "GET / HTTP/1.1",
            "status": 200,
            "size": null,
            "ua": "curl",
            "ms": 1_624_868_568_123_000_i64,
        })
    );
    // Keys in the line's order, each once, the undeclared one left out,
    // and request parts as columns too.
    let split = iceberg(&[("LTSV_SPLIT_REQUEST", "req")]);
    let line = "extra:1\tstatus:404\treq:GET /a?b=c HTTP/2\tstatus:200";
    let mut out = Vec::new();
    Converter::new(&split)
        .convert_line(line.as_bytes(), &mut out)
        .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"status\":200,\"req\":\"GET /a?b=c HTTP/2\",\"method\":\"GET\",\"path\":\"/a\",\"query\":\"b=c\",\"protocol\":\"HTTP/2\"}\n"
    );
    // Nothing the format declares: an empty object, with the parts after it.
    let mut out = Vec::new();
    Converter::new(&split)
        .convert_line(b"other:1", &mut out)
        .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"method\":null,\"path\":null,\"query\":null,\"protocol\":null}\n"
    );
    let mut out = Vec::new();
    Converter::new(&config)
        .convert_line(b"other:1", &mut out)
        .unwrap();
    assert_eq!(out, b"{}\n");
}

#[test]
fn the_table_is_keyed_by_column_with_a_source_line_column() {
    let table = columns(&iceberg(&[]), true).unwrap();
    let shown: Vec<(&str, &str, &str)> = table
        .iter()
        .map(|c| (c.name.as_str(), c.label.as_str(), c.ty.iceberg_name()))
        .collect();
    assert_eq!(
        shown,
        [
            ("time", "time", "timestamp"),
            ("x_forwarded_for", "x_forwarded_for", "string"),
            ("req", "req", "string"),
            ("status", "status", "long"),
            ("size", "size", "long"),
            ("ua", "ua", "string"),
            ("ms", "ms", "timestamp"),
            ("method", "method", "string"),
            ("path", "path", "string"),
            ("query", "query", "string"),
            ("protocol", "protocol", "string"),
            (SOURCE_LINE, SOURCE_LINE, "string"),
        ]
    );
    assert_eq!(ColumnType::Double.iceberg_name(), "double");
    assert_eq!(ColumnType::Boolean.iceberg_name(), "boolean");
    // Hidden partitions: a label named like one is a column like any.
    let day = config(&[("OUTPUT_FORMAT", "iceberg"), ("LTSV_LOG_FORMAT", "day:%t")]);
    assert_eq!(columns(&day, false).unwrap()[0].name, "day");
}

#[test]
fn a_record_of_several_lines_fails_since_the_table_takes_one_a_record() {
    let config = iceberg(&[]);
    let (response, summary) = transform(
        &event_of(&[
            b"status:200\n",
            b"status:200\nstatus:201\n",
            b"status:200\n\n",
        ]),
        &config,
    )
    .unwrap();
    assert_eq!((summary.ok, summary.failed), (2, 1));
    assert_eq!(
        *summary.failures[0].error.kind(),
        ErrorKind::OneObjectPerRecord { lines: 2 }
    );
    let response: Value = serde_json::from_str(response.get()).unwrap();
    assert_eq!(response["records"][1]["result"], "ProcessingFailed");
    // Nothing of the failed record is in the others' data.
    assert_eq!(
        response["records"][2]["data"],
        response["records"][0]["data"]
    );
}

#[test]
fn settings_an_iceberg_table_cannot_take_stop_start_up() {
    let error = |vars: &[(&str, &str)]| Config::from_vars(vars).unwrap_err().to_string();
    assert_eq!(
        error(&[("OUTPUT_FORMAT", "iceberg"), ("LTSV_LOG_FORMAT", "")]),
        "OUTPUT_FORMAT: iceberg needs LTSV_LOG_FORMAT: the table's columns are the log format's labels"
    );
    assert_eq!(
        error(&[
            ("OUTPUT_FORMAT", "iceberg"),
            ("LTSV_ON_TYPE_ERROR", "string")
        ]),
        "OUTPUT_FORMAT: iceberg: LTSV_ON_TYPE_ERROR=string would put text in a typed column: use null or fail"
    );
    assert_eq!(
        error(&[("OUTPUT_FORMAT", "iceberg"), ("PARTITION_KEYS", "hour")]),
        "OUTPUT_FORMAT: iceberg: leave PARTITION_KEYS empty: the table's partition spec places each row"
    );
    assert_eq!(
        error(&[
            ("OUTPUT_FORMAT", "iceberg"),
            ("LTSV_LOG_FORMAT", r"a.b:%s\ta_b:%s")
        ]),
        r#"OUTPUT_FORMAT: iceberg: labels "a.b" and "a_b" would both be column "a_b""#
    );
    assert_eq!(
        error(&[("OUTPUT_FORMAT", "orc")]),
        r#"OUTPUT_FORMAT: "orc" is not an output format (json, parquet or iceberg)"#
    );
    // The default: JSON lines keyed by label, times as text.
    assert_eq!(Config::default().output_format(), OutputFormat::Json);
    let parquet = config(&[("OUTPUT_FORMAT", "parquet")]);
    assert_eq!(parquet.output_format(), OutputFormat::Parquet);
}

#[test]
fn undeclared_labels_are_counted_though_left_out() {
    let config = iceberg(&[]);
    let mut converter = Converter::new(&config);
    let mut out = Vec::new();
    let line = b"status:200\tnew_label:x\tother:y";
    let counts = converter.convert_record(line, &mut out).unwrap();
    assert_eq!((counts.written, counts.undeclared), (1, 1));
    assert_eq!(converter.undeclared_label(line), Some(&b"new_label"[..]));
    assert_eq!(out, b"{\"status\":200}\n");
}

#[test]
fn each_format_has_its_table_whatever_the_setting() {
    let split = iceberg(&[("LTSV_SPLIT_REQUEST", "req")]);
    let hive = columns_for(&split, true, OutputFormat::Json).unwrap();
    let table = columns_for(&split, true, OutputFormat::Iceberg).unwrap();
    assert_eq!(columns(&split, true).unwrap(), table);
    // The Iceberg table: the same columns keyed by name, then source_line.
    assert_eq!(table.len(), hive.len() + 1);
    for (iceberg, hive) in table.iter().zip(&hive) {
        assert_eq!((&iceberg.name, iceberg.ty), (&hive.name, hive.ty));
        assert_eq!(iceberg.label, hive.name);
    }
    assert_eq!(hive[1].label, "X-Forwarded-For");
    // A format with a label of a request part's name: that label's column,
    // once.
    let own_path = config(&[
        ("OUTPUT_FORMAT", "iceberg"),
        ("LTSV_LOG_FORMAT", r"time:%t\treq:%r\tpath:%U"),
        ("LTSV_SPLIT_REQUEST", "req"),
    ]);
    let names: Vec<String> = columns(&own_path, true)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        names,
        [
            "time",
            "req",
            "path",
            "method",
            "query",
            "protocol",
            SOURCE_LINE
        ]
    );
    // Only the folders' partition names are kept from labels, in json.
    let year = config(&[("LTSV_LOG_FORMAT", r"year:%{%Y}t")]);
    assert!(columns_for(&year, false, OutputFormat::Json).is_err());
    assert_eq!(
        columns_for(&year, false, OutputFormat::Iceberg).unwrap()[0].name,
        "year"
    );
    let taken = config(&[("LTSV_LOG_FORMAT", r"Source-Line:%h")]);
    assert_eq!(
        columns_for(&taken, false, OutputFormat::Iceberg).unwrap_err(),
        r#"label "Source-Line" would be column "source_line", which backfilled rows keep their source in"#
    );
}
