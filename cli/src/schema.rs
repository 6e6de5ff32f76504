//! `ltsv2json schema`: what the log format implies, in the forms it is
//! used in: the `LTSV_TYPES` value, the Glue table of template.yaml, an
//! Athena statement, JSON; and the template rewritten to match.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::process::ExitCode;

use firehose_ltsv::{Column, ColumnType, Config, columns};
use serde::Serialize;

use crate::args::{Schema, SchemaOutput};
use crate::input::Result;

/// The lines of template.yaml that `--update-template` rewrites.
const BEGIN: &str = "# BEGIN ltsv2json schema";
const END: &str = "# END ltsv2json schema";

/// Where the block sits in template.yaml: under the Glue table's
/// `StorageDescriptor`.
const INDENT: &str = "          ";

/// `--table` and `--location` when not given: the template's defaults.
const TABLE: &str = "access_logs.ltsv_access_log";
const LOCATION: &str = "s3://BUCKET/logs/";

/// The settings' own text, which `--update-template` writes as the
/// template's parameter defaults.
#[derive(Debug)]
pub(crate) struct Given {
    /// `LTSV_LOG_FORMAT`, as given.
    pub(crate) log_format: String,
    /// `LTSV_TYPES`, as given.
    pub(crate) types: String,
}

/// Prints what `config`'s log format implies, or rewrites a template.
pub(crate) fn run(schema: &Schema, config: &Config, given: &Given) -> Result<ExitCode> {
    let split = config.split_request.is_some();
    let notes = config
        .log_format
        .iter()
        .flat_map(|f| f.fields())
        .filter_map(|f| f.note.as_ref());
    for note in notes {
        eprintln!("ltsv2json: {note}");
    }
    let mut out = io::stdout().lock();
    match &schema.output {
        SchemaOutput::Json => {
            let columns = columns(config, split)?;
            let json = JsonSchema {
                columns: columns.iter().map(JsonColumn::from).collect(),
                ltsv_types: ltsv_types(config),
                unescape: config.unescape.name(),
            };
            writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        SchemaOutput::Ddl => {
            let columns = columns(config, split)?;
            write!(out, "{}", ddl(&columns, schema))?;
        }
        SchemaOutput::All => {
            let columns = columns(config, split)?;
            writeln!(
                out,
                "# LTSV_TYPES: the log format's types, with LTSV_TYPES over them"
            )?;
            writeln!(out, "{}\n", ltsv_types(config))?;
            writeln!(
                out,
                "# The Glue table's columns and SerDe, as template.yaml holds them"
            )?;
            writeln!(out, "{}", table_block(&columns))?;
            writeln!(
                out,
                "# An Athena table for a stream of your own (CreatePipeline=false)"
            )?;
            write!(out, "{}", ddl(&columns, schema))?;
        }
        SchemaOutput::UpdateTemplate(path) => {
            // The stack's table has the request parts' columns whether or
            // not the LtsvSplitRequest parameter is set.
            let columns = columns(config, true)?;
            let name = path.display();
            let text = fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
            let updated =
                update_template(&text, &columns, given).map_err(|e| format!("{name}: {e}"))?;
            fs::write(path, updated).map_err(|e| format!("{name}: {e}"))?;
            eprintln!("ltsv2json: {name}: LogFormat, LtsvTypes and the table's columns updated");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `schema --json`, in its documented order.
#[derive(Serialize)]
struct JsonSchema<'a> {
    columns: Vec<JsonColumn<'a>>,
    ltsv_types: String,
    unescape: &'static str,
}

#[derive(Serialize)]
struct JsonColumn<'a> {
    name: &'a str,
    label: &'a str,
    #[serde(rename = "type")]
    ty: &'static str,
}

impl<'a> From<&'a Column> for JsonColumn<'a> {
    fn from(column: &'a Column) -> JsonColumn<'a> {
        JsonColumn {
            name: &column.name,
            label: &column.label,
            ty: column.ty.name(),
        }
    }
}

/// The types as an `LTSV_TYPES` value.
fn ltsv_types(config: &Config) -> String {
    let types: Vec<String> = config
        .types
        .iter()
        .map(|(label, ty)| format!("{}:{ty}", String::from_utf8_lossy(label)))
        .collect();
    types.join(",")
}

/// The Glue table's `SerdeInfo` and `Columns`, at their place in the
/// template: a `mapping.COLUMN` property for each label that is not its
/// column's name.
fn table_block(columns: &[Column]) -> String {
    let mut block = format!(
        "{INDENT}SerdeInfo:\n{INDENT}  SerializationLibrary: org.openx.data.jsonserde.JsonSerDe\n"
    );
    let mapped: Vec<&Column> = columns.iter().filter(|c| c.name != c.label).collect();
    if !mapped.is_empty() {
        let _ = writeln!(block, "{INDENT}  Parameters:");
        for column in mapped {
            let _ = writeln!(
                block,
                "{INDENT}    mapping.{}: {}",
                column.name,
                yaml_quoted(&column.label)
            );
        }
    }
    let _ = writeln!(block, "{INDENT}Columns:");
    for column in columns {
        let comment = match column.ty {
            ColumnType::Timestamp => ", Comment: \"UTC\"",
            _ => "",
        };
        let _ = writeln!(
            block,
            "{INDENT}  - {{ Name: {}, Type: {}{comment} }}",
            yaml_name(&column.name),
            column.ty.name()
        );
    }
    block
}

/// A column name as a YAML scalar: plain, unless YAML would read it as
/// something other than text.
fn yaml_name(name: &str) -> String {
    const SPECIAL: [&str; 10] = [
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "_",
    ];
    let plain =
        name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') && !SPECIAL.contains(&name);
    if plain {
        name.to_owned()
    } else {
        yaml_quoted(name)
    }
}

/// `text` as a double-quoted YAML scalar.
fn yaml_quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// A standalone Athena `CREATE EXTERNAL TABLE` over the stream's
/// `year=/month=/day=/hour=` layout, with partition projection.
fn ddl(columns: &[Column], schema: &Schema) -> String {
    let table = schema.table.as_deref().unwrap_or(TABLE);
    let table: Vec<String> = table.split('.').map(backquoted).collect();
    let location = schema.location.as_deref().unwrap_or(LOCATION);
    let location = format!("{}/", location.trim_end_matches('/'));
    let mut ddl = format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS {} (\n",
        table.join(".")
    );
    let lines: Vec<String> = columns
        .iter()
        .map(|c| format!("  {} {}", backquoted(&c.name), c.ty.name()))
        .collect();
    ddl.push_str(&lines.join(",\n"));
    ddl.push_str("\n)\nPARTITIONED BY (`year` int, `month` int, `day` int, `hour` int)\n");
    ddl.push_str("ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n");
    let mappings: Vec<String> = columns
        .iter()
        .filter(|c| c.name != c.label)
        .map(|c| {
            format!(
                "  {} = {}",
                quoted(&format!("mapping.{}", c.name)),
                quoted(&c.label)
            )
        })
        .collect();
    if !mappings.is_empty() {
        let _ = write!(ddl, "WITH SERDEPROPERTIES (\n{}\n)\n", mappings.join(",\n"));
    }
    let _ = writeln!(ddl, "LOCATION {}", quoted(&location));
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

/// An identifier in backquotes, as Hive DDL takes names that are keywords.
fn backquoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A string literal in single quotes.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// `template` with the `LogFormat` and `LtsvTypes` parameters' defaults and
/// the marked table block made to match; every other byte as it was.
fn update_template(
    template: &str,
    columns: &[Column],
    given: &Given,
) -> std::result::Result<String, String> {
    let begin = template.find(BEGIN).ok_or(format!("no {BEGIN:?} line"))?;
    let begin = template[begin..]
        .find('\n')
        .map(|n| begin + n + 1)
        .ok_or("the block never ends")?;
    let end = template[begin..]
        .find(END)
        .map(|e| begin + e)
        .ok_or(format!("no {END:?} line"))?;
    // The END marker's own indentation stays.
    let end = template[..end].rfind('\n').map_or(end, |n| n + 1);
    let mut updated = format!(
        "{}{}{}",
        &template[..begin],
        table_block(columns),
        &template[end..]
    );
    // The template keeps a format on one line, with TABs written `\t`.
    let format = given
        .log_format
        .replace('\t', "\\t")
        .replace(['\n', '\r'], " ");
    updated = set_default(&updated, "LogFormat", &format)?;
    set_default(&updated, "LtsvTypes", &given.types)
}

/// `template` with parameter `name`'s `Default:` set to `value`.
fn set_default(template: &str, name: &str, value: &str) -> std::result::Result<String, String> {
    let header = format!("\n  {name}:\n");
    let start = template
        .find(&header)
        .ok_or(format!("no parameter {name}"))?
        + header.len();
    let mut at = start;
    for line in template[start..].split_inclusive('\n') {
        if !line.starts_with("    ") {
            break;
        }
        if let Some(rest) = line.strip_prefix("    Default:") {
            let quoted = format!("'{}'", value.replace('\'', "''"));
            let end = at + line.len() - usize::from(rest.ends_with('\n'));
            return Ok(format!(
                "{}    Default: {quoted}{}",
                &template[..at],
                &template[end..]
            ));
        }
        at += line.len();
    }
    Err(format!("parameter {name} has no Default"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, label: &str, ty: ColumnType) -> Column {
        Column {
            name: name.into(),
            label: label.into(),
            ty,
        }
    }

    fn columns() -> Vec<Column> {
        vec![
            column("time", "time", ColumnType::Timestamp),
            column("x_forwarded_for", "X-Forwarded-For", ColumnType::String),
            column("status", "status", ColumnType::Bigint),
        ]
    }

    #[test]
    fn the_table_block_maps_labels_that_are_not_their_column() {
        assert_eq!(
            table_block(&columns()),
            "          SerdeInfo:
            SerializationLibrary: org.openx.data.jsonserde.JsonSerDe
            Parameters:
              mapping.x_forwarded_for: \"X-Forwarded-For\"
          Columns:
            - { Name: time, Type: timestamp, Comment: \"UTC\" }
            - { Name: x_forwarded_for, Type: string }
            - { Name: status, Type: bigint }
"
        );
        let plain = table_block(&columns()[..1]);
        assert!(!plain.contains("Parameters"), "{plain}");
    }

    #[test]
    fn names_yaml_would_misread_are_quoted() {
        assert_eq!(yaml_name("status"), "status");
        assert_eq!(yaml_name("_x"), "_x");
        for special in ["true", "null", "no", "on", "1a", "404"] {
            assert_eq!(yaml_name(special), format!("\"{special}\""));
        }
    }

    #[test]
    fn the_statement_names_columns_mappings_and_projection() {
        let schema = Schema {
            table: Some("logs.web".into()),
            location: Some("s3://bucket/logs".into()),
            ..Schema::default()
        };
        let ddl = ddl(&columns(), &schema);
        assert!(ddl.starts_with(
            "CREATE EXTERNAL TABLE IF NOT EXISTS `logs`.`web` (\n  `time` timestamp,\n  `x_forwarded_for` string,\n  `status` bigint\n)\n"
        ), "{ddl}");
        assert!(ddl.contains(
            "WITH SERDEPROPERTIES (\n  'mapping.x_forwarded_for' = 'X-Forwarded-For'\n)\n"
        ));
        assert!(ddl.contains("LOCATION 's3://bucket/logs/'\n"));
        assert!(ddl.contains(
            "'storage.location.template' = 's3://bucket/logs/year=${year}/month=${month}/day=${day}/hour=${hour}/'"
        ));
        assert!(ddl.ends_with(");\n"));
        assert_eq!(quoted(r"it's \x"), r"'it\'s \\x'");
    }

    const TEMPLATE: &str = "Parameters:
  LogFormat:
    Type: String
    Default: 'old:%h'
    Description: x
  LtsvTypes:
    Default: ''
    Type: String
Resources:
        StorageDescriptor:
          # BEGIN ltsv2json schema: keep me
          Columns:
            - { Name: old, Type: string }
          # END ltsv2json schema
          Location: x
";

    #[test]
    fn the_template_is_rewritten_only_where_it_says() {
        let given = Given {
            log_format: "log_format x 'time:$time_local\tua:$http_user_agent'\n  'it''s:$status';"
                .into(),
            types: "status:integer".into(),
        };
        let updated = update_template(TEMPLATE, &columns()[..1], &given).unwrap();
        assert_eq!(
            updated,
            "Parameters:
  LogFormat:
    Type: String
    Default: 'log_format x ''time:$time_local\\tua:$http_user_agent''   ''it''''s:$status'';'
    Description: x
  LtsvTypes:
    Default: 'status:integer'
    Type: String
Resources:
        StorageDescriptor:
          # BEGIN ltsv2json schema: keep me
          SerdeInfo:
            SerializationLibrary: org.openx.data.jsonserde.JsonSerDe
          Columns:
            - { Name: time, Type: timestamp, Comment: \"UTC\" }
          # END ltsv2json schema
          Location: x
"
        );
        // Run again, nothing changes.
        assert_eq!(
            update_template(&updated, &columns()[..1], &given).unwrap(),
            updated
        );
    }

    #[test]
    fn a_template_without_its_marks_is_refused() {
        let given = Given {
            log_format: "a:%h".into(),
            types: String::new(),
        };
        assert_eq!(
            update_template("Parameters:\n", &columns(), &given).unwrap_err(),
            "no \"# BEGIN ltsv2json schema\" line"
        );
        let no_param = TEMPLATE.replace("  LogFormat:", "  Other:");
        assert_eq!(
            update_template(&no_param, &columns(), &given).unwrap_err(),
            "no parameter LogFormat"
        );
    }
}
