//! The parts of template.yaml the log format decides, and the template
//! rewritten to match a format: its `LogFormat` and `LtsvTypes` defaults,
//! and the blocks between `# BEGIN ltsv2json schema: NAME` and
//! `# END ltsv2json schema` lines, each written at its marker's indentation.

use std::fmt::Write as _;

use firehose_ltsv::{Column, ColumnType};

const BEGIN: &str = "# BEGIN ltsv2json schema: ";
const END: &str = "# END ltsv2json schema";

/// A block of the template the format decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// The Glue table's `SerdeInfo` and `Columns`.
    Table,
    /// The stream's JSON keys for its Parquet conversion, under its OpenX
    /// JSON deserializer.
    JsonKeys,
}

impl Block {
    const ALL: [Block; 2] = [Block::Table, Block::JsonKeys];

    /// The name its BEGIN line gives it.
    fn name(self) -> &'static str {
        match self {
            Block::Table => "the table's columns",
            Block::JsonKeys => "the stream's JSON keys",
        }
    }

    /// The block's lines for `columns`, each starting with `indent`.
    pub(crate) fn render(self, columns: &[Column], indent: &str) -> String {
        let mut block = String::new();
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
                let _ = writeln!(block, "{indent}Columns:");
                for column in columns {
                    let comment = match column.ty {
                        ColumnType::Timestamp => ", Comment: \"UTC\"",
                        _ => "",
                    };
                    let name = yaml_name(&column.name);
                    let ty = column.ty.name();
                    let _ = writeln!(block, "{indent}  - {{ Name: {name}, Type: {ty}{comment} }}");
                }
            }
            Block::JsonKeys if mapped.is_empty() => {}
            Block::JsonKeys => {
                let _ = writeln!(block, "{indent}ColumnToJsonKeyMappings:");
                for column in &mapped {
                    let _ = writeln!(block, "{indent}  {}: {}", column.name, key(column));
                }
            }
        }
        block
    }
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
}

/// `template` with its `LogFormat` and `LtsvTypes` defaults and every block
/// made to match; every other byte as it was.
pub(crate) fn update(template: &str, columns: &[Column], given: &Given) -> Result<String, String> {
    let mut updated = template.to_owned();
    for block in Block::ALL {
        updated = replace_block(&updated, block, columns)?;
    }
    // The template keeps a format on one line, with TABs written `\t`.
    let format = given
        .log_format
        .replace('\t', "\\t")
        .replace(['\n', '\r'], " ");
    updated = set_default(&updated, "LogFormat", &format)?;
    set_default(&updated, "LtsvTypes", &given.types)
}

/// `template` with the lines between `block`'s BEGIN line and the next END
/// line rendered anew at the BEGIN line's indentation.
fn replace_block(template: &str, block: Block, columns: &[Column]) -> Result<String, String> {
    let marker = format!("{BEGIN}{}\n", block.name());
    let at = template
        .find(&marker)
        .ok_or(format!("no {:?} line", marker.trim_end()))?;
    let line_start = template[..at].rfind('\n').map_or(0, |n| n + 1);
    let indent = &template[line_start..at];
    let begin = at + marker.len();
    let end = template[begin..]
        .find(END)
        .map(|e| begin + e)
        .ok_or(format!("no {END:?} line after {:?}", marker.trim_end()))?;
    // The END line's own indentation stays.
    let end = template[..end].rfind('\n').map_or(end, |n| n + 1);
    let rendered = block.render(columns, indent);
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

    #[test]
    fn the_table_block_maps_labels_that_are_not_their_column_but_for_case() {
        assert_eq!(
            Block::Table.render(&columns(), "  "),
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
        let plain = Block::Table.render(&columns()[..1], "");
        assert!(!plain.contains("Parameters"), "{plain}");
    }

    #[test]
    fn the_json_keys_block_is_the_same_mappings_for_the_stream() {
        assert_eq!(
            Block::JsonKeys.render(&columns(), " "),
            " ColumnToJsonKeyMappings:\n   x_forwarded_for: \"x-forwarded-for\"\n"
        );
        assert_eq!(Block::JsonKeys.render(&columns()[2..], " "), "");
    }

    #[test]
    fn names_yaml_would_misread_are_quoted() {
        assert_eq!(yaml_name("status"), "status");
        assert_eq!(yaml_name("_x"), "_x");
        for special in ["true", "null", "no", "on", "1a", "404"] {
            assert_eq!(yaml_name(special), format!("\"{special}\""));
        }
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
";

    #[test]
    fn the_template_is_rewritten_only_where_it_says() {
        let given = Given {
            log_format: "log_format x 'time:$time_local\tua:$http_user_agent'\n  'it''s:$status';"
                .into(),
            types: "status:integer".into(),
        };
        let columns = [columns()[1].clone()];
        let updated = update(TEMPLATE, &columns, &given).unwrap();
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
"
        );
        // Run again, nothing changes.
        assert_eq!(update(&updated, &columns, &given).unwrap(), updated);
    }

    #[test]
    fn a_template_without_its_marks_is_refused() {
        let given = Given {
            log_format: "a:%h".into(),
            types: String::new(),
        };
        assert_eq!(
            update("Parameters:\n", &columns(), &given).unwrap_err(),
            "no \"# BEGIN ltsv2json schema: the table's columns\" line"
        );
        let no_param = TEMPLATE.replace("  LogFormat:", "  Other:");
        assert_eq!(
            update(&no_param, &columns(), &given).unwrap_err(),
            "no parameter LogFormat"
        );
        let no_end = TEMPLATE.replace("          # END ltsv2json schema\n", "");
        assert!(
            update(&no_end, &columns(), &given)
                .unwrap_err()
                .starts_with("no \"# END")
        );
    }
}
