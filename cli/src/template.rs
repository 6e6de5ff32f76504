//! The parts of template.yaml the log format decides, and the template
//! rewritten to match a format: its `LogFormat` and `LtsvTypes` defaults,
//! and the blocks between `# BEGIN ltsv2json schema: NAME` and
//! `# END ltsv2json schema` lines, each written at its marker's indentation.
//! The template holds both tables, the one `json` and `parquet` write and
//! the Iceberg table, so both follow the format.

use std::fmt::Write as _;

use firehose_ltsv::{Column, ColumnType, Config};

const BEGIN: &str = "# BEGIN ltsv2json schema: ";
const END: &str = "# END ltsv2json schema";

/// The stack's tables for a log format.
#[derive(Debug)]
pub(crate) struct Tables {
    /// The Glue table's columns for `json` and `parquet`, partitioned by
    /// `year/month/day/hour` folders.
    pub(crate) hive: Vec<Column>,
    /// The Iceberg table's columns.
    pub(crate) iceberg: Vec<Column>,
    /// The event time's column, which the Iceberg table is partitioned by
    /// the day of; none for a format without a time.
    pub(crate) time: Option<String>,
}

/// The Iceberg table's partition transform of the event time: a day holds
/// enough rows to make files of a useful size at modest traffic, and a
/// year is 365 partitions.
pub(crate) const PARTITION_TRANSFORM: &str = "day";

/// Where the Iceberg schema's field IDs start: Iceberg numbers a table's
/// fields from 1, and its partition fields from 1000.
const FIRST_PARTITION_FIELD_ID: usize = 1000;

/// A block of the template the format decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// The Glue table's `SerdeInfo` and `Columns`.
    Table,
    /// The stream's JSON keys for its Parquet conversion, under its OpenX
    /// JSON deserializer.
    JsonKeys,
    /// The Iceberg table's `Schema` and `PartitionSpec`.
    Iceberg,
    /// The `Columns` of the table over backfill's staging files for the
    /// Iceberg table.
    Staging,
    /// The column lists of the statement that moves staged rows into the
    /// Iceberg table, as items of the `Fn::Join` of its lines.
    Merge,
    /// The event time's column, in the template's `Table` mapping, which
    /// the scheduled delete of old rows compares.
    EventTime,
}

impl Block {
    const ALL: [Block; 6] = [
        Block::Table,
        Block::JsonKeys,
        Block::Iceberg,
        Block::Staging,
        Block::Merge,
        Block::EventTime,
    ];

    /// The name its BEGIN line gives it.
    fn name(self) -> &'static str {
        match self {
            Block::Table => "the table's columns",
            Block::JsonKeys => "the stream's JSON keys",
            Block::Iceberg => "the Iceberg table's fields",
            Block::Staging => "the staging table's columns",
            Block::Merge => "the merge's columns",
            Block::EventTime => "the event time's column",
        }
    }

    /// The block's lines for `tables`, each starting with `indent`.
    pub(crate) fn render(self, tables: &Tables, indent: &str) -> String {
        let mut block = String::new();
        let columns = &tables.hive;
        let mapped: Vec<&Column> = columns.iter().filter(|c| maps(c)).collect();
        match self {
            Block::Table => {
                let _ = writeln!(block, "{indent}SerdeInfo:");
                let _ = writeln!(
                    block,
                    "{indent}  SerializationLibrary: !If [IsParquet, {PARQUET_SERDE}, {JSON_SERDE}]"
                );
                if !mapped.is_empty() {
                    let _ = writeln!(block, "{indent}  Parameters:");
                    for column in &mapped {
                        let key = key(column);
                        let _ = writeln!(block, "{indent}    mapping.{}: {key}", column.name);
                    }
                }
                column_list(&mut block, columns, indent);
            }
            Block::Staging => column_list(&mut block, &tables.iceberg, indent),
            Block::JsonKeys if mapped.is_empty() => {}
            Block::JsonKeys => {
                let _ = writeln!(block, "{indent}ColumnToJsonKeyMappings:");
                for column in &mapped {
                    let _ = writeln!(block, "{indent}  {}: {}", column.name, key(column));
                }
            }
            Block::Iceberg => {
                let _ = writeln!(block, "{indent}Schema:");
                let _ = writeln!(block, "{indent}  Fields:");
                for (id, column) in field_ids(&tables.iceberg) {
                    let name = yaml_name(&column.name);
                    let ty = column.ty.iceberg_name();
                    let doc = match comment(column) {
                        Some(comment) => format!(", Doc: {}", yaml_quoted(&comment)),
                        None => String::new(),
                    };
                    let _ = writeln!(
                        block,
                        "{indent}    - {{ Id: {id}, Name: {name}, Type: {ty}, Required: false{doc} }}"
                    );
                }
                if let Some((source, name)) = partition_field(tables) {
                    let _ = writeln!(block, "{indent}PartitionSpec:");
                    let _ = writeln!(block, "{indent}  Fields:");
                    let _ = writeln!(
                        block,
                        "{indent}    - {{ SourceId: {source}, Transform: {PARTITION_TRANSFORM}, \
                         Name: {name}, FieldId: {FIRST_PARTITION_FIELD_ID} }}"
                    );
                }
            }
            Block::Merge => {
                let names = |prefix: &str| -> Vec<String> {
                    let quoted = tables.iceberg.iter().map(|c| sql_name(&c.name));
                    quoted.map(|name| format!("{prefix}{name}")).collect()
                };
                let insert = format!("WHEN NOT MATCHED THEN INSERT ({})", names("").join(", "));
                let values = format!("VALUES ({})", names("s.").join(", "));
                for line in [insert, values] {
                    let _ = writeln!(block, "{indent}- {}", yaml_single_quoted(&line));
                }
            }
            Block::EventTime => {
                let time = tables.time.as_deref().unwrap_or_default();
                let _ = writeln!(
                    block,
                    "{indent}EventTime: {{ Column: {} }}",
                    yaml_quoted(time)
                );
            }
        }
        block
    }
}

/// A Glue table's `Columns:` list of `columns`, timestamps commented as UTC.
fn column_list(block: &mut String, columns: &[Column], indent: &str) {
    let _ = writeln!(block, "{indent}Columns:");
    for column in columns {
        let comment = match comment(column) {
            Some(comment) => format!(", Comment: {}", yaml_quoted(&comment)),
            None => String::new(),
        };
        let name = yaml_name(&column.name);
        let ty = column.ty.name();
        let _ = writeln!(block, "{indent}  - {{ Name: {name}, Type: {ty}{comment} }}");
    }
}

/// What a column's comment says: that a timestamp is UTC, and what is
/// redacted of its values.
fn comment(column: &Column) -> Option<String> {
    match (column.ty, &column.redacted) {
        (ColumnType::Timestamp, _) => Some("UTC".to_owned()),
        (_, Some(redacted)) => Some(redacted.clone()),
        _ => None,
    }
}

/// A column name in double quotes, as Athena's SQL takes names that are
/// keywords (`time`).
fn sql_name(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as a single-quoted YAML scalar.
fn yaml_single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Each Iceberg column with its field ID, from 1 in order.
pub(crate) fn field_ids(columns: &[Column]) -> impl Iterator<Item = (usize, &Column)> {
    columns
        .iter()
        .enumerate()
        .map(|(i, column)| (i + 1, column))
}

/// The Iceberg table's partition field: the event time column's field ID
/// and the partition's name (`time_day`).
pub(crate) fn partition_field(tables: &Tables) -> Option<(usize, String)> {
    let time = tables.time.as_deref()?;
    let (id, column) = field_ids(&tables.iceberg).find(|(_, c)| c.name == time)?;
    Some((id, format!("{}_{PARTITION_TRANSFORM}", column.name)))
}

/// The SerDe of the Glue table in each output format.
const JSON_SERDE: &str = "org.openx.data.jsonserde.JsonSerDe";
const PARQUET_SERDE: &str = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";

/// Whether a column needs mapping to its JSON key: the SerDe, ignoring
/// case, lowercases keys, so only labels that differ from their column
/// other than in case do.
pub(crate) fn maps(column: &Column) -> bool {
    column.label.to_lowercase() != column.name
}

/// The JSON key a column is read from, as a YAML scalar: the label,
/// lowercased as the SerDe lowercases the keys it reads.
fn key(column: &Column) -> String {
    yaml_quoted(&column.label.to_lowercase())
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

/// The settings' own text, which the template keeps as its parameters'
/// defaults.
#[derive(Debug)]
pub(crate) struct Given {
    /// `LTSV_LOG_FORMAT`, as given.
    pub(crate) log_format: String,
    /// `LTSV_TYPES`, as given.
    pub(crate) types: String,
    /// `LTSV_REDACT`, as given, or the stack's default for the format.
    pub(crate) redact: String,
}

/// The stack's `LtsvRedact` for `config`'s log format: the secret
/// parameters of every label that holds a query string.
pub(crate) fn default_redact(config: &Config) -> String {
    let labels = config
        .log_format()
        .map(|f| f.query_labels())
        .unwrap_or_default();
    let rules: Vec<String> = labels
        .iter()
        .map(|label| format!("{label}:query"))
        .collect();
    rules.join(",")
}

/// `template` with its `LogFormat` and `LtsvTypes` defaults and every block
/// made to match; every other byte as it was.
pub(crate) fn update(template: &str, tables: &Tables, given: &Given) -> Result<String, String> {
    let mut updated = template.to_owned();
    for block in Block::ALL {
        updated = replace_block(&updated, block, tables)?;
    }
    // The template keeps a format on one line, with TABs written `\t`.
    let format = given
        .log_format
        .replace('\t', "\\t")
        .replace(['\n', '\r'], " ");
    updated = set_default(&updated, "LogFormat", &format)?;
    updated = set_default(&updated, "LtsvRedact", &given.redact)?;
    set_default(&updated, "LtsvTypes", &given.types)
}

/// `template` with the lines between `block`'s BEGIN line and the next END
/// line rendered anew at the BEGIN line's indentation.
fn replace_block(template: &str, block: Block, tables: &Tables) -> Result<String, String> {
    let marker = format!("{BEGIN}{}\n", block.name());
    let at = template
        .find(&marker)
        .ok_or(format!("no {:?} line", marker.trim_end()))?;
    let line_start = template[..at].rfind('\n').map_or(0, |n| n + 1);
    let indent = &template[line_start..at];
    let begin = at + marker.len();
    // The END line before any other block's BEGIN line.
    let end = template[begin..]
        .find(END)
        .map(|e| begin + e)
        .filter(|&end| !template[begin..end].contains(BEGIN))
        .ok_or(format!("no {END:?} line after {:?}", marker.trim_end()))?;
    // The END line's own indentation stays.
    let end = template[..end].rfind('\n').map_or(end, |n| n + 1);
    let rendered = block.render(tables, indent);
    Ok(format!(
        "{}{rendered}{}",
        &template[..begin],
        &template[end..]
    ))
}

/// `template` with parameter `name`'s `Default:` set to `value`.
fn set_default(template: &str, name: &str, value: &str) -> Result<String, String> {
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

    fn columns() -> Vec<Column> {
        vec![
            Column::new("time", ColumnType::Timestamp),
            Column::new("X-Forwarded-For", ColumnType::String),
            Column::new("UA", ColumnType::String),
            Column::new("status", ColumnType::Bigint),
        ]
    }

    /// The tables of `hive`'s columns, the Iceberg one keyed by name.
    fn tables(hive: &[Column]) -> Tables {
        let iceberg = hive.iter().map(|c| Column::new(&c.name, c.ty)).collect();
        Tables {
            hive: hive.to_vec(),
            iceberg,
            time: hive
                .iter()
                .find(|c| c.name == "time")
                .map(|c| c.name.clone()),
        }
    }

    #[test]
    fn the_table_block_maps_labels_that_are_not_their_column_but_for_case() {
        assert_eq!(
            Block::Table.render(&tables(&columns()), "  "),
            "  SerdeInfo:
    SerializationLibrary: !If [IsParquet, org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe, org.openx.data.jsonserde.JsonSerDe]
    Parameters:
      mapping.x_forwarded_for: \"x-forwarded-for\"
  Columns:
    - { Name: time, Type: timestamp, Comment: \"UTC\" }
    - { Name: x_forwarded_for, Type: string }
    - { Name: ua, Type: string }
    - { Name: status, Type: bigint }
"
        );
        let plain = Block::Table.render(&tables(&columns()[..1]), "");
        assert!(!plain.contains("Parameters"), "{plain}");
    }

    #[test]
    fn the_json_keys_block_is_the_same_mappings_for_the_stream() {
        assert_eq!(
            Block::JsonKeys.render(&tables(&columns()), " "),
            " ColumnToJsonKeyMappings:\n   x_forwarded_for: \"x-forwarded-for\"\n"
        );
        assert_eq!(Block::JsonKeys.render(&tables(&columns()[2..]), " "), "");
    }

    #[test]
    fn the_iceberg_block_numbers_fields_and_partitions_by_the_day_of_the_time() {
        assert_eq!(
            Block::Iceberg.render(&tables(&columns()), "  "),
            "  Schema:
    Fields:
      - { Id: 1, Name: time, Type: timestamp, Required: false, Doc: \"UTC\" }
      - { Id: 2, Name: x_forwarded_for, Type: string, Required: false }
      - { Id: 3, Name: ua, Type: string, Required: false }
      - { Id: 4, Name: status, Type: long, Required: false }
  PartitionSpec:
    Fields:
      - { SourceId: 1, Transform: day, Name: time_day, FieldId: 1000 }
"
        );
        assert_eq!(
            Block::Staging.render(&tables(&columns()[..2]), ""),
            "Columns:\n  - { Name: time, Type: timestamp, Comment: \"UTC\" }\n  - { Name: x_forwarded_for, Type: string }\n"
        );
        assert_eq!(
            Block::Merge.render(&tables(&columns()[..2]), "  "),
            "  - 'WHEN NOT MATCHED THEN INSERT (\"time\", \"x_forwarded_for\")'\n  - 'VALUES (s.\"time\", s.\"x_forwarded_for\")'\n"
        );
        assert_eq!(
            Block::EventTime.render(&tables(&columns()), ""),
            "EventTime: { Column: \"time\" }\n"
        );
        assert_eq!(sql_name("a\"b"), "\"a\"\"b\"");
        assert_eq!(yaml_single_quoted("it's"), "'it''s'");
        // A redacted column says so, in both tables.
        let mut redacted = tables(&columns()[1..2]);
        let says = "redacted: addresses truncated to IPv4 /24, IPv6 /48";
        redacted.hive[0].redacted = Some(says.into());
        redacted.iceberg[0].redacted = Some(says.into());
        assert!(
            Block::Table
                .render(&redacted, "")
                .contains(&format!("Type: string, Comment: \"{says}\" }}"))
        );
        assert!(
            Block::Iceberg
                .render(&redacted, "")
                .contains(&format!("Required: false, Doc: \"{says}\" }}"))
        );
        // A format without a time: an unpartitioned table.
        let untimed = Block::Iceberg.render(&tables(&columns()[1..]), "");
        assert!(!untimed.contains("PartitionSpec"), "{untimed}");
        let mut later = tables(&columns()[1..]);
        later.iceberg.push(Column::new("ts", ColumnType::Timestamp));
        later.time = Some("ts".into());
        assert_eq!(partition_field(&later), Some((4, "ts_day".into())));
    }

    #[test]
    fn names_yaml_would_misread_are_quoted() {
        assert_eq!(yaml_name("status"), "status");
        assert_eq!(yaml_name("_x"), "_x");
        for special in ["true", "null", "no", "on", "1a", "404"] {
            assert_eq!(yaml_name(special), format!("\"{special}\""));
        }
    }

    const TEMPLATE: &str = "Mappings:
  Table:
    # BEGIN ltsv2json schema: the event time's column
    EventTime: { Column: old }
    # END ltsv2json schema
Parameters:
  LogFormat:
    Type: String
    Default: 'old:%h'
    Description: x
  LtsvTypes:
    Default: ''
    Type: String
  LtsvRedact:
    Default: ''
Resources:
        StorageDescriptor:
          # BEGIN ltsv2json schema: the table's columns
          Columns:
            - { Name: old, Type: string }
          # END ltsv2json schema
          Location: x
      Deserializer:
        OpenXJsonSerDe:
          CaseInsensitive: true
          # BEGIN ltsv2json schema: the stream's JSON keys
          # END ltsv2json schema
          IcebergTableInput:
            # BEGIN ltsv2json schema: the Iceberg table's fields
            # END ltsv2json schema
        Staging:
          # BEGIN ltsv2json schema: the staging table's columns
          # END ltsv2json schema
      QueryString: !Join
        - - MERGE INTO t
          # BEGIN ltsv2json schema: the merge's columns
          # END ltsv2json schema
";

    #[test]
    fn the_template_is_rewritten_only_where_it_says() {
        let given = Given {
            log_format: "log_format x 'time:$time_local\tua:$http_user_agent'\n  'it''s:$status';"
                .into(),
            types: "status:integer".into(),
            redact: "req:query".into(),
        };
        let tables = tables(&[columns()[1].clone()]);
        let updated = update(TEMPLATE, &tables, &given).unwrap();
        assert_eq!(
            updated,
            "Mappings:
  Table:
    # BEGIN ltsv2json schema: the event time's column
    EventTime: { Column: \"\" }
    # END ltsv2json schema
Parameters:
  LogFormat:
    Type: String
    Default: 'log_format x ''time:$time_local\\tua:$http_user_agent''   ''it''''s:$status'';'
    Description: x
  LtsvTypes:
    Default: 'status:integer'
    Type: String
  LtsvRedact:
    Default: 'req:query'
Resources:
        StorageDescriptor:
          # BEGIN ltsv2json schema: the table's columns
          SerdeInfo:
            SerializationLibrary: !If [IsParquet, org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe, org.openx.data.jsonserde.JsonSerDe]
            Parameters:
              mapping.x_forwarded_for: \"x-forwarded-for\"
          Columns:
            - { Name: x_forwarded_for, Type: string }
          # END ltsv2json schema
          Location: x
      Deserializer:
        OpenXJsonSerDe:
          CaseInsensitive: true
          # BEGIN ltsv2json schema: the stream's JSON keys
          ColumnToJsonKeyMappings:
            x_forwarded_for: \"x-forwarded-for\"
          # END ltsv2json schema
          IcebergTableInput:
            # BEGIN ltsv2json schema: the Iceberg table's fields
            Schema:
              Fields:
                - { Id: 1, Name: x_forwarded_for, Type: string, Required: false }
            # END ltsv2json schema
        Staging:
          # BEGIN ltsv2json schema: the staging table's columns
          Columns:
            - { Name: x_forwarded_for, Type: string }
          # END ltsv2json schema
      QueryString: !Join
        - - MERGE INTO t
          # BEGIN ltsv2json schema: the merge's columns
          - 'WHEN NOT MATCHED THEN INSERT (\"x_forwarded_for\")'
          - 'VALUES (s.\"x_forwarded_for\")'
          # END ltsv2json schema
"
        );
        // Run again, nothing changes.
        assert_eq!(update(&updated, &tables, &given).unwrap(), updated);
    }

    #[test]
    fn a_template_without_its_marks_is_refused() {
        let given = Given {
            log_format: "a:%h".into(),
            types: String::new(),
            redact: String::new(),
        };
        assert_eq!(
            update("Parameters:\n", &tables(&columns()), &given).unwrap_err(),
            "no \"# BEGIN ltsv2json schema: the table's columns\" line"
        );
        let no_param = TEMPLATE.replace("  LogFormat:", "  Other:");
        assert_eq!(
            update(&no_param, &tables(&columns()), &given).unwrap_err(),
            "no parameter LogFormat"
        );
        let no_end = TEMPLATE.replace("          # END ltsv2json schema\n", "");
        assert!(
            update(&no_end, &tables(&columns()), &given)
                .unwrap_err()
                .starts_with("no \"# END")
        );
    }
}
