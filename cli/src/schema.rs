//! `ltsv2json schema`: what the log format implies, in the forms it is
//! used in: the `LTSV_TYPES` value, the Glue table of template.yaml, an
//! Athena statement, JSON; and the template rewritten to match.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use firehose_ltsv::{Column, Config, OutputFormat, columns, columns_for};
use serde::Serialize;

use crate::args::{Schema, SchemaOutput};
use crate::input::Result;
use crate::template::{self, Block, Given, PARTITION_TRANSFORM, Tables, maps};

/// `--table` when not given: the template's default.
const TABLE: &str = "access_logs.ltsv_access_log";

/// `--location` when not given: where the template's tables are.
fn default_location(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Json | OutputFormat::Parquet => "s3://BUCKET/logs/",
        OutputFormat::Iceberg => "s3://BUCKET/iceberg/",
    }
}

/// Prints what `config`'s log format implies, or rewrites a template.
pub(crate) fn run(schema: &Schema, config: &Config, given: &Given) -> Result<ExitCode> {
    let notes = config
        .log_format()
        .into_iter()
        .flat_map(|f| f.fields())
        .filter_map(|f| f.note.as_ref());
    for note in notes {
        eprintln!("ltsv2json: {note}");
    }
    let iceberg = config.output_format() == OutputFormat::Iceberg;
    // A table of your own has the request parts' columns when request
    // lines are split; the stack's tables always have them.
    let own = || columns(config, config.split_request().is_some());
    let time = time_column(config);
    let mut out = io::stdout().lock();
    match &schema.output {
        SchemaOutput::Json => {
            let columns = own()?;
            let json = JsonSchema {
                columns: columns
                    .iter()
                    .enumerate()
                    .map(|(i, column)| JsonColumn::new(column, iceberg.then_some(i + 1)))
                    .collect(),
                partitioned_by: time
                    .filter(|_| iceberg)
                    .map(|time| format!("{PARTITION_TRANSFORM}({time})")),
                ltsv_types: ltsv_types(config),
                unescape: config.unescape().name(),
            };
            writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        SchemaOutput::Ddl => write!(out, "{}", ddl(config, &own()?, schema))?,
        SchemaOutput::All => {
            write!(
                out,
                "{}",
                everything(config, &tables(config)?, &own()?, schema)
            )?;
        }
        SchemaOutput::UpdateTemplate(path) => update_template(path, &tables(config)?, given)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The stack's tables for `config`'s log format, whichever its output
/// format: the template holds them all.
fn tables(config: &Config) -> Result<Tables> {
    Ok(Tables {
        hive: columns_for(config, true, OutputFormat::Json)?,
        iceberg: columns_for(config, true, OutputFormat::Iceberg)?,
        time: time_column(config),
    })
}

/// The event time's column, if the format has a time.
fn time_column(config: &Config) -> Option<String> {
    let label = config.time_label()?;
    let column = Column::new(
        &String::from_utf8_lossy(label),
        firehose_ltsv::ColumnType::Timestamp,
    );
    Some(column.name)
}

/// `schema` for people: the `LTSV_TYPES` value, the stack's table as
/// template.yaml holds it, and a statement for a table of your own.
fn everything(config: &Config, stack: &Tables, own: &[Column], schema: &Schema) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# LTSV_TYPES: the log format's types, with LTSV_TYPES over them"
    );
    let _ = writeln!(out, "{}\n", ltsv_types(config));
    if config.output_format() == OutputFormat::Iceberg {
        let _ = writeln!(
            out,
            "# The Iceberg table's fields and partition spec, as template.yaml holds them \
             (with the request parts' columns, which LtsvSplitRequest fills)"
        );
        let _ = writeln!(out, "{}", Block::Iceberg.render(stack, "                "));
    } else {
        let _ = writeln!(
            out,
            "# The Glue table's columns and SerDe, as template.yaml holds them \
             (with the request parts' columns, which LtsvSplitRequest fills)"
        );
        let _ = writeln!(out, "{}", Block::Table.render(stack, "          "));
        let keys = Block::JsonKeys.render(stack, "                  ");
        if !keys.is_empty() {
            let _ = writeln!(out, "# The stream's JSON keys, for OutputFormat=parquet");
            let _ = writeln!(out, "{keys}");
        }
    }
    let _ = writeln!(
        out,
        "# An Athena table for a stream of your own (CreatePipeline=false)"
    );
    out.push_str(&ddl(config, own, schema));
    out
}

/// Rewrites the template at `path` for the stack's `tables`.
fn update_template(path: &Path, tables: &Tables, given: &Given) -> Result<()> {
    let name = path.display();
    let text = fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let updated = template::update(&text, tables, given).map_err(|e| format!("{name}: {e}"))?;
    fs::write(path, updated).map_err(|e| format!("{name}: {e}"))?;
    eprintln!("ltsv2json: {name}: LogFormat, LtsvTypes and the tables' columns updated");
    Ok(())
}

/// `schema --json`, in its documented order.
#[derive(Serialize)]
struct JsonSchema<'a> {
    columns: Vec<JsonColumn<'a>>,
    /// For an Iceberg table, its partition transform of the event time.
    #[serde(skip_serializing_if = "Option::is_none")]
    partitioned_by: Option<String>,
    ltsv_types: String,
    unescape: &'static str,
}

#[derive(Serialize)]
struct JsonColumn<'a> {
    name: &'a str,
    label: &'a str,
    #[serde(rename = "type")]
    ty: &'static str,
    /// For an Iceberg table, the field's ID and Iceberg type.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iceberg_type: Option<&'static str>,
}

impl<'a> JsonColumn<'a> {
    /// `column`, with its Iceberg field `id` if it is an Iceberg table's.
    fn new(column: &'a Column, id: Option<usize>) -> JsonColumn<'a> {
        JsonColumn {
            name: &column.name,
            label: &column.label,
            ty: column.ty.name(),
            id,
            iceberg_type: id.map(|_| column.ty.iceberg_name()),
        }
    }
}

/// The types as an `LTSV_TYPES` value.
fn ltsv_types(config: &Config) -> String {
    let types: Vec<String> = config
        .types()
        .iter()
        .map(|(label, ty)| format!("{}:{ty}", String::from_utf8_lossy(label)))
        .collect();
    types.join(",")
}

/// A standalone Athena statement for the table of `config`'s output
/// format: see [`hive_ddl`] and [`iceberg_ddl`].
fn ddl(config: &Config, columns: &[Column], schema: &Schema) -> String {
    let format = config.output_format();
    let table = schema.table.as_deref().unwrap_or(TABLE);
    let table: Vec<String> = table.split('.').map(backquoted).collect();
    let location = schema
        .location
        .as_deref()
        .unwrap_or(default_location(format));
    let location = format!("{}/", location.trim_end_matches('/'));
    let lines: Vec<String> = columns
        .iter()
        .map(|c| format!("  {} {}", backquoted(&c.name), c.ty.name()))
        .collect();
    match format {
        OutputFormat::Json | OutputFormat::Parquet => {
            hive_ddl(&table.join("."), &lines, columns, &location)
        }
        OutputFormat::Iceberg => {
            iceberg_ddl(&table.join("."), &lines, time_column(config), &location)
        }
    }
}

/// A `CREATE EXTERNAL TABLE` over the stream's `year=/month=/day=/hour=`
/// layout of gzip NDJSON, with partition projection.
fn hive_ddl(table: &str, lines: &[String], columns: &[Column], location: &str) -> String {
    let mut ddl = format!("CREATE EXTERNAL TABLE IF NOT EXISTS {table} (\n");
    ddl.push_str(&lines.join(",\n"));
    ddl.push_str("\n)\nPARTITIONED BY (`year` int, `month` int, `day` int, `hour` int)\n");
    ddl.push_str("ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n");
    let mappings: Vec<String> = columns
        .iter()
        .filter(|c| maps(c))
        .map(|c| {
            format!(
                "  {} = {}",
                quoted(&format!("mapping.{}", c.name)),
                quoted(&c.label.to_lowercase())
            )
        })
        .collect();
    if !mappings.is_empty() {
        let _ = write!(ddl, "WITH SERDEPROPERTIES (\n{}\n)\n", mappings.join(",\n"));
    }
    let _ = writeln!(ddl, "LOCATION {}", quoted(location));
    let properties = [
        ("projection.enabled", "true"),
        ("projection.year.type", "integer"),
        ("projection.year.range", "2024,2040"),
        ("projection.month.type", "integer"),
        ("projection.month.range", "1,12"),
        ("projection.month.digits", "2"),
        ("projection.day.type", "integer"),
        ("projection.day.range", "1,31"),
        ("projection.day.digits", "2"),
        ("projection.hour.type", "integer"),
        ("projection.hour.range", "0,23"),
        ("projection.hour.digits", "2"),
    ];
    let mut properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("  {} = {}", quoted(key), quoted(value)))
        .collect();
    let template =
        format!("{location}year=${{year}}/month=${{month}}/day=${{day}}/hour=${{hour}}/");
    properties.push(format!(
        "  'storage.location.template' = {}",
        quoted(&template)
    ));
    let _ = write!(ddl, "TBLPROPERTIES (\n{}\n);\n", properties.join(",\n"));
    ddl
}

/// A `CREATE TABLE` of an Iceberg table (Athena makes them format version
/// 2, which Firehose needs), partitioned by the day of the event time.
fn iceberg_ddl(table: &str, lines: &[String], time: Option<String>, location: &str) -> String {
    let mut ddl = format!("CREATE TABLE IF NOT EXISTS {table} (\n");
    ddl.push_str(&lines.join(",\n"));
    ddl.push_str("\n)\n");
    if let Some(time) = time {
        let _ = writeln!(
            ddl,
            "PARTITIONED BY ({PARTITION_TRANSFORM}({}))",
            backquoted(&time)
        );
    }
    let _ = writeln!(ddl, "LOCATION {}", quoted(location));
    let properties = [
        ("table_type", "ICEBERG"),
        ("format", "parquet"),
        ("write_compression", "zstd"),
    ];
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("  {} = {}", quoted(key), quoted(value)))
        .collect();
    let _ = write!(ddl, "TBLPROPERTIES (\n{}\n);\n", properties.join(",\n"));
    ddl
}

/// An identifier in backquotes, as Hive DDL takes names that are keywords.
fn backquoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A string literal in single quotes.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use firehose_ltsv::ColumnType;

    fn columns() -> Vec<Column> {
        vec![
            Column::new("time", ColumnType::Timestamp),
            Column::new("X-Forwarded-For", ColumnType::String),
            Column::new("status", ColumnType::Bigint),
        ]
    }

    #[test]
    fn the_statement_names_columns_mappings_and_projection() {
        let schema = Schema {
            table: Some("logs.web".into()),
            location: Some("s3://bucket/logs".into()),
            ..Schema::default()
        };
        let config = Config::from_vars(&[(
            "LTSV_LOG_FORMAT",
            r"time:%t\tX-Forwarded-For:%{X-Forwarded-For}i\tstatus:%>s",
        )])
        .unwrap();
        let ddl = ddl(&config, &columns(), &schema);
        assert!(ddl.starts_with(
            "CREATE EXTERNAL TABLE IF NOT EXISTS `logs`.`web` (\n  `time` timestamp,\n  `x_forwarded_for` string,\n  `status` bigint\n)\n"
        ), "{ddl}");
        assert!(ddl.contains(
            "WITH SERDEPROPERTIES (\n  'mapping.x_forwarded_for' = 'x-forwarded-for'\n)\n"
        ));
        assert!(ddl.contains("LOCATION 's3://bucket/logs/'\n"));
        assert!(ddl.contains(
            "'storage.location.template' = 's3://bucket/logs/year=${year}/month=${month}/day=${day}/hour=${hour}/'"
        ));
        assert!(ddl.ends_with(");\n"));
        assert_eq!(quoted(r"it's \x"), r"'it\'s \\x'");
    }

    #[test]
    fn the_iceberg_statement_partitions_by_the_day_of_the_time() {
        let config = Config::from_vars(&[
            ("OUTPUT_FORMAT", "iceberg"),
            ("LTSV_LOG_FORMAT", r"status:%>s\tat:%t"),
        ])
        .unwrap();
        let own = columns_for(&config, false, OutputFormat::Iceberg).unwrap();
        assert_eq!(
            ddl(&config, &own, &Schema::default()),
            "CREATE TABLE IF NOT EXISTS `access_logs`.`ltsv_access_log` (
  `status` bigint,
  `at` timestamp,
  `source_line` string
)
PARTITIONED BY (day(`at`))
LOCATION 's3://BUCKET/iceberg/'
TBLPROPERTIES (
  'table_type' = 'ICEBERG',
  'format' = 'parquet',
  'write_compression' = 'zstd'
);
"
        );
        let untimed = Config::from_vars(&[
            ("OUTPUT_FORMAT", "iceberg"),
            ("LTSV_LOG_FORMAT", r"status:%>s"),
        ])
        .unwrap();
        let own = columns_for(&untimed, false, OutputFormat::Iceberg).unwrap();
        assert!(!ddl(&untimed, &own, &Schema::default()).contains("PARTITIONED"));
    }
}
