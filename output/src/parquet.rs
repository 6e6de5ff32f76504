//! Parquet with the table's column types: what Firehose's record format
//! conversion writes, for files written apart from the stream.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use firehose_ltsv::{ColumnType, SOURCE_LINE, Timestamp};
use parquet::basic::{Compression, LogicalType, Repetition, TimeUnit as Unit, Type as Physical};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use serde_json::{Map, Value};

use crate::{Table, TableFile};

/// Rows gathered before they are written as a row group.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Bytes of values gathered, at most, before they are written as a row
/// group: what bounds a file's memory.
const ROW_GROUP_BYTES: usize = 32 << 20;

/// The unit of a file's timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeUnit {
    /// Milliseconds, as Firehose's record format conversion writes them.
    Millis,
    /// Microseconds, as an Iceberg table keeps them.
    Micros,
}

/// A Parquet file being written: rows gathered by column, then written a
/// row group at a time into bytes its [`take`](TableFile::take) empties.
pub(crate) struct ParquetFile {
    table: Table,
    unit: TimeUnit,
    writer: SerializedFileWriter<Shared>,
    written: Shared,
    columns: Vec<Values>,
    rows: usize,
    bytes: usize,
    left_out: u64,
}

/// One column's gathered values, and for each row whether it has one (1)
/// or is null (0): Parquet's definition levels.
struct Values {
    present: Vec<i16>,
    data: Data,
}

enum Data {
    Int64(Vec<i64>),
    Double(Vec<f64>),
    Boolean(Vec<bool>),
    Text(Vec<ByteArray>),
}

/// One row's value of a column, checked and ready to gather.
enum Cell {
    Null,
    Int64(i64),
    Double(f64),
    Boolean(bool),
    Text(ByteArray),
}

/// Bytes the Parquet writer writes and its file takes.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn bytes(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0.lock().expect("not poisoned")
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl ParquetFile {
    pub(crate) fn new(table: &Table, unit: TimeUnit) -> io::Result<ParquetFile> {
        let fields = table.columns().iter().map(|column| {
            let (physical, logical) = match column.ty {
                ColumnType::Bigint => (Physical::INT64, None),
                ColumnType::Double => (Physical::DOUBLE, None),
                ColumnType::Boolean => (Physical::BOOLEAN, None),
                // The UTC wall time the JSON holds, as the table's
                // `timestamp` (without a zone) means it.
                ColumnType::Timestamp => (
                    Physical::INT64,
                    Some(LogicalType::timestamp(
                        false,
                        match unit {
                            TimeUnit::Millis => Unit::MILLIS,
                            TimeUnit::Micros => Unit::MICROS,
                        },
                    )),
                ),
                ColumnType::String => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
            };
            Type::primitive_type_builder(&column.name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        });
        let schema = Type::group_type_builder("schema")
            .with_fields(fields.collect::<Result<_, _>>().map_err(invalid)?)
            .build()
            .map_err(invalid)?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let written = Shared::default();
        let writer =
            SerializedFileWriter::new(written.clone(), Arc::new(schema), Arc::new(properties))
                .map_err(invalid)?;
        let columns = table
            .columns()
            .iter()
            .map(|column| Values {
                present: Vec::new(),
                data: match column.ty {
                    ColumnType::Bigint | ColumnType::Timestamp => Data::Int64(Vec::new()),
                    ColumnType::Double => Data::Double(Vec::new()),
                    ColumnType::Boolean => Data::Boolean(Vec::new()),
                    ColumnType::String => Data::Text(Vec::new()),
                },
            })
            .collect();
        Ok(ParquetFile {
            table: table.clone(),
            unit,
            writer,
            written,
            columns,
            rows: 0,
            bytes: 0,
            left_out: 0,
        })
    }

    /// Writes the gathered rows as one row group.
    fn write_row_group(&mut self) -> io::Result<()> {
        let mut row_group = self.writer.next_row_group().map_err(invalid)?;
        for values in &mut self.columns {
            let mut column = row_group
                .next_column()
                .map_err(invalid)?
                .expect("a writer for each column");
            let present = Some(&values.present[..]);
            match (column.untyped(), &mut values.data) {
                (ColumnWriter::Int64ColumnWriter(w), Data::Int64(data)) => {
                    w.write_batch(data, present, None)
                }
                (ColumnWriter::DoubleColumnWriter(w), Data::Double(data)) => {
                    w.write_batch(data, present, None)
                }
                (ColumnWriter::BoolColumnWriter(w), Data::Boolean(data)) => {
                    w.write_batch(data, present, None)
                }
                (ColumnWriter::ByteArrayColumnWriter(w), Data::Text(data)) => {
                    w.write_batch(data, present, None)
                }
                _ => unreachable!("each column's values have its physical type"),
            }
            .map_err(invalid)?;
            column.close().map_err(invalid)?;
            values.present.clear();
            values.data.clear();
        }
        row_group.close().map_err(invalid)?;
        self.rows = 0;
        self.bytes = 0;
        Ok(())
    }
}

impl TableFile for ParquetFile {
    fn write_line(&mut self, line: &[u8], source: Option<&str>) -> io::Result<()> {
        let object: Map<String, Value> = serde_json::from_slice(line)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let source = source.map(|source| Value::String(source.to_owned()));
        let mut kept = 0;
        for (column, values) in self.table.columns().iter().zip(&mut self.columns) {
            if column.name == SOURCE_LINE && source.is_some() {
                self.bytes +=
                    values.push(cell(column.ty, source.as_ref(), self.unit).expect("text"));
                continue;
            }
            let value = object.get(&column.label);
            kept += usize::from(value.is_some());
            // A value not of its column's type (as `LTSV_ON_TYPE_ERROR=string`
            // writes them) has no place in the column: null, and counted.
            let cell = cell(column.ty, value, self.unit).unwrap_or_else(|| {
                kept -= 1;
                Cell::Null
            });
            self.bytes += values.push(cell);
        }
        self.left_out += (object.len() - kept) as u64;
        self.rows += 1;
        if self.rows >= ROW_GROUP_ROWS || self.bytes >= ROW_GROUP_BYTES {
            self.write_row_group()?;
        }
        Ok(())
    }

    fn pending(&self) -> usize {
        self.written.bytes().len()
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut *self.written.bytes())
    }

    fn values_left_out(&self) -> u64 {
        self.left_out
    }

    fn finish(mut self: Box<Self>) -> io::Result<Vec<u8>> {
        if self.rows > 0 {
            self.write_row_group()?;
        }
        let written = self.writer.into_inner().map_err(invalid)?;
        Ok(std::mem::take(&mut *written.bytes()))
    }
}

/// The cell of a column of `ty` for `value`, or `None` when the value is
/// not of that type (null and absent values are nulls). A time is the text
/// the function writes, or for an Iceberg table an integer of
/// microseconds; it is kept in `unit`.
fn cell(ty: ColumnType, value: Option<&Value>, unit: TimeUnit) -> Option<Cell> {
    let time = |micros: i64| match unit {
        TimeUnit::Millis => micros.div_euclid(1000),
        TimeUnit::Micros => micros,
    };
    Some(match (ty, value) {
        (_, None | Some(Value::Null)) => Cell::Null,
        (ColumnType::Bigint, Some(Value::Number(n))) => Cell::Int64(n.as_i64()?),
        (ColumnType::Double, Some(Value::Number(n))) => Cell::Double(n.as_f64()?),
        (ColumnType::Boolean, Some(Value::Bool(b))) => Cell::Boolean(*b),
        (ColumnType::Timestamp, Some(Value::String(s))) => {
            Cell::Int64(time(Timestamp::parse_written(s.as_bytes())?.unix_micros()))
        }
        (ColumnType::Timestamp, Some(Value::Number(n))) => Cell::Int64(time(n.as_i64()?)),
        (ColumnType::String, Some(Value::String(s))) => Cell::Text(s.as_bytes().to_vec().into()),
        _ => return None,
    })
}

impl Values {
    /// Gathers one row's cell and gives about how many bytes it holds.
    fn push(&mut self, cell: Cell) -> usize {
        self.present.push(i16::from(!matches!(cell, Cell::Null)));
        match (&mut self.data, cell) {
            (_, Cell::Null) => 2,
            (Data::Int64(data), Cell::Int64(n)) => {
                data.push(n);
                10
            }
            (Data::Double(data), Cell::Double(x)) => {
                data.push(x);
                10
            }
            (Data::Boolean(data), Cell::Boolean(b)) => {
                data.push(b);
                3
            }
            (Data::Text(data), Cell::Text(text)) => {
                let len = text.len();
                data.push(text);
                len + 26
            }
            _ => unreachable!("cells are made for their column's type"),
        }
    }
}

impl Data {
    fn clear(&mut self) {
        match self {
            Data::Int64(data) => data.clear(),
            Data::Double(data) => data.clear(),
            Data::Boolean(data) => data.clear(),
            Data::Text(data) => data.clear(),
        }
    }
}

fn invalid(error: ParquetError) -> io::Error {
    io::Error::other(error)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use firehose_ltsv::{Column, ColumnType};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    use super::*;

    fn table() -> Table {
        Table::new(vec![
            Column::new("time", ColumnType::Timestamp),
            Column::new("status", ColumnType::Bigint),
            Column::new("reqtime", ColumnType::Double),
            Column::new("ok", ColumnType::Boolean),
            Column::new("X-Forwarded-For", ColumnType::String),
        ])
    }

    fn written(lines: &[&str]) -> (SerializedFileReader<Bytes>, u64) {
        let mut file: Box<dyn TableFile> =
            Box::new(ParquetFile::new(&table(), TimeUnit::Millis).unwrap());
        for line in lines {
            file.write_line(line.as_bytes(), None).unwrap();
        }
        let left_out = file.values_left_out();
        let bytes = Bytes::from(file.finish().unwrap());
        (SerializedFileReader::new(bytes).unwrap(), left_out)
    }

    #[test]
    fn columns_have_the_tables_types_and_nulls_are_nulls() {
        let (reader, left_out) = written(&[
            r#"{"time":"2021-06-28 08:22:48.123","status":200,"reqtime":0.5,"ok":true,"X-Forwarded-For":"a","extra":1}"#,
            r#"{"status":null,"reqtime":3,"other":"x","more":null}"#,
        ]);
        assert_eq!(left_out, 3, "extra, other and more have no column");
        let schema = reader.metadata().file_metadata().schema_descr();
        let types: Vec<String> = schema
            .columns()
            .iter()
            .map(|c| {
                format!(
                    "{} {} {:?}",
                    c.name(),
                    c.physical_type(),
                    c.logical_type_ref()
                )
            })
            .collect();
        assert_eq!(
            types,
            [
                "time INT64 Some(Timestamp(TimestampType { is_adjusted_to_u_t_c: false, unit: MILLIS }))",
                "status INT64 None",
                "reqtime DOUBLE None",
                "ok BOOLEAN None",
                "x_forwarded_for BYTE_ARRAY Some(String)",
            ]
        );
        let rows: Vec<Vec<(String, Field)>> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|row| {
                row.unwrap()
                    .get_column_iter()
                    .map(|(n, f)| (n.clone(), f.clone()))
                    .collect()
            })
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][0].1, Field::TimestampMillis(1_624_868_568_123));
        assert_eq!(rows[0][1].1, Field::Long(200));
        assert_eq!(rows[0][2].1, Field::Double(0.5));
        assert_eq!(rows[0][3].1, Field::Bool(true));
        assert_eq!(rows[0][4].1, Field::Str("a".into()));
        assert_eq!(rows[1][2].1, Field::Double(3.0));
        for null in [0, 1, 3, 4] {
            assert_eq!(rows[1][null].1, Field::Null, "{}", rows[1][null].0);
        }
    }

    #[test]
    fn a_value_not_of_its_columns_type_is_null_and_counted() {
        let (reader, left_out) = written(&[
            r#"{"status":"200","time":"2021-06-28T08:22:48Z","ok":"true"}"#,
            r#"{"status":1.5,"X-Forwarded-For":1,"reqtime":"x"}"#,
        ]);
        assert_eq!(left_out, 6);
        for row in reader.get_row_iter(None).unwrap() {
            let row = row.unwrap();
            assert!(
                row.get_column_iter().all(|(_, f)| *f == Field::Null),
                "{row}"
            );
        }
        let mut file = ParquetFile::new(&table(), TimeUnit::Millis).unwrap();
        assert!(file.write_line(b"not json", None).is_err());
        assert_eq!(file.rows, 0);
    }

    #[test]
    fn large_files_are_written_a_row_group_at_a_time() {
        let line = r#"{"status":200}"#;
        let lines = vec![line; ROW_GROUP_ROWS + 5];
        let (reader, _) = written(&lines);
        assert_eq!(reader.metadata().num_row_groups(), 2);
        assert_eq!(
            reader.metadata().file_metadata().num_rows(),
            ROW_GROUP_ROWS as i64 + 5
        );
    }

    /// The rows of each row group, in order.
    fn row_groups(reader: &SerializedFileReader<Bytes>) -> Vec<i64> {
        reader
            .metadata()
            .row_groups()
            .iter()
            .map(|group| group.num_rows())
            .collect()
    }

    #[test]
    fn a_row_group_ends_at_its_row_limit_exactly() {
        // The limits docs/deploy.md gives.
        assert_eq!(
            (ROW_GROUP_ROWS, ROW_GROUP_BYTES),
            (131_072, 32 * 1024 * 1024)
        );
        let line = r#"{"status":200}"#;
        let (reader, _) = written(&vec![line; ROW_GROUP_ROWS]);
        assert_eq!(row_groups(&reader), [ROW_GROUP_ROWS as i64]);
        let (reader, _) = written(&vec![line; ROW_GROUP_ROWS + 1]);
        assert_eq!(row_groups(&reader), [ROW_GROUP_ROWS as i64, 1]);
    }

    #[test]
    fn a_row_group_ends_at_its_byte_limit() {
        // Each row holds a 1 MiB string: 32 of them reach 32 MiB.
        let value = "x".repeat(1 << 20);
        let line = format!(r#"{{"X-Forwarded-For":"{value}"}}"#);
        let lines: Vec<&str> = vec![&line; 40];
        let (reader, _) = written(&lines);
        assert_eq!(row_groups(&reader), [32, 8]);
        assert_eq!(
            (ROW_GROUP_BYTES / ((1 << 20) + 26 + 4 * 2)) + 1,
            32,
            "the 32nd row is the first past the limit"
        );
    }

    #[test]
    fn each_row_group_holds_only_its_own_rows() {
        // Different values in every row, nulls among them, across three
        // row groups: nothing of one group is left in the next.
        let lines: Vec<String> = (0..2 * ROW_GROUP_ROWS + 7)
            .map(|n| match n % 3 {
                0 => format!(
                    r#"{{"status":{n},"reqtime":{n}.5,"ok":true,"X-Forwarded-For":"a{n}"}}"#
                ),
                1 => format!(r#"{{"status":{n},"ok":false}}"#),
                _ => r#"{"time":"2021-06-28 08:22:48"}"#.to_owned(),
            })
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (reader, _) = written(&lines);
        assert_eq!(row_groups(&reader).len(), 3);
        for (n, row) in reader.get_row_iter(None).unwrap().enumerate() {
            let fields: Vec<Field> = row
                .unwrap()
                .get_column_iter()
                .map(|(_, f)| f.clone())
                .collect();
            let expected = match n % 3 {
                0 => vec![
                    Field::Null,
                    Field::Long(n as i64),
                    Field::Double(n as f64 + 0.5),
                    Field::Bool(true),
                    Field::Str(format!("a{n}")),
                ],
                1 => vec![
                    Field::Null,
                    Field::Long(n as i64),
                    Field::Null,
                    Field::Bool(false),
                    Field::Null,
                ],
                _ => vec![
                    Field::TimestampMillis(1_624_868_568_000),
                    Field::Null,
                    Field::Null,
                    Field::Null,
                    Field::Null,
                ],
            };
            assert_eq!(fields, expected, "row {n}");
        }
    }

    #[test]
    fn a_file_of_no_rows_has_the_schema_and_no_row_group() {
        let (reader, left_out) = written(&[]);
        assert_eq!(left_out, 0);
        assert_eq!(row_groups(&reader), Vec::<i64>::new());
        assert_eq!(
            reader
                .metadata()
                .file_metadata()
                .schema_descr()
                .num_columns(),
            5
        );
    }

    #[test]
    fn pieces_taken_and_the_end_make_the_same_file() {
        let rows: Vec<String> = (0..140_000)
            .map(|i| {
                format!(
                    "{{\"status\":{i},\"X-Forwarded-For\":\"agent {}\"}}\n",
                    i % 7
                )
            })
            .collect();
        let mut file: Box<dyn TableFile> =
            Box::new(ParquetFile::new(&table(), TimeUnit::Millis).unwrap());
        let mut bytes = Vec::new();
        for row in &rows {
            file.write_line(row.as_bytes(), None).unwrap();
            if file.pending() > 1000 {
                bytes.extend(file.take());
            }
        }
        // More rows than one row group holds: the first was taken early.
        assert!(bytes.len() > 1000, "pieces were taken along the way");
        assert_eq!(file.pending(), 0);
        bytes.extend(file.finish().unwrap());
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let (reader, _) = written(&rows);
        let whole = reader.metadata().file_metadata().num_rows();
        let pieces = SerializedFileReader::new(Bytes::from(bytes)).unwrap();
        assert_eq!(pieces.metadata().file_metadata().num_rows(), whole);
        assert_eq!(row_groups(&pieces), row_groups(&reader));
    }

    #[test]
    fn an_iceberg_file_keeps_times_in_microseconds() {
        let mut file = ParquetFile::new(&table(), TimeUnit::Micros).unwrap();
        file.write_line(br#"{"time":1624868568123000,"status":200}"#, None)
            .unwrap();
        file.write_line(br#"{"time":"2021-06-28 08:22:48.5"}"#, None)
            .unwrap();
        file.write_line(br#"{"time":"2021-06-28 08:22:48.500"}"#, None)
            .unwrap();
        let bytes = Bytes::from(Box::new(file).finish().unwrap());
        let reader = SerializedFileReader::new(bytes).unwrap();
        let column = &reader.metadata().file_metadata().schema_descr().columns()[0];
        assert_eq!(
            format!("{:?}", column.logical_type_ref()),
            "Some(Timestamp(TimestampType { is_adjusted_to_u_t_c: false, unit: MICROS }))"
        );
        let times: Vec<Field> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|row| row.unwrap().get_column_iter().next().unwrap().1.clone())
            .collect();
        assert_eq!(
            times,
            [
                Field::TimestampMicros(1_624_868_568_123_000),
                Field::Null,
                Field::TimestampMicros(1_624_868_568_500_000)
            ]
        );
        // In milliseconds, an Iceberg record's integer is cut to them.
        let (reader, _) = written(&[r#"{"time":1624868568123999}"#]);
        let row = reader.get_row_iter(None).unwrap().next().unwrap().unwrap();
        assert_eq!(
            row.get_column_iter().next().unwrap().1,
            &Field::TimestampMillis(1_624_868_568_123)
        );
    }

    #[test]
    fn a_staging_row_says_where_it_came_from() {
        let table = Table::new(vec![
            Column::new("status", ColumnType::Bigint),
            Column::new(SOURCE_LINE, ColumnType::String),
        ]);
        let mut file = ParquetFile::new(&table, TimeUnit::Micros).unwrap();
        file.write_line(br#"{"status":200}"#, Some("access.log:7"))
            .unwrap();
        file.write_line(br#"{"status":201}"#, None).unwrap();
        assert_eq!(file.values_left_out(), 0);
        let bytes = Bytes::from(Box::new(file).finish().unwrap());
        let reader = SerializedFileReader::new(bytes).unwrap();
        let rows: Vec<Vec<Field>> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|row| {
                row.unwrap()
                    .get_column_iter()
                    .map(|(_, f)| f.clone())
                    .collect()
            })
            .collect();
        assert_eq!(
            rows,
            [
                vec![Field::Long(200), Field::Str("access.log:7".into())],
                vec![Field::Long(201), Field::Null],
            ]
        );
    }

    #[test]
    fn source_lines_count_toward_the_byte_limit() {
        let table = Table::new(vec![
            Column::new(SOURCE_LINE, ColumnType::String),
            Column::new("status", ColumnType::Bigint),
        ]);
        let mut file = ParquetFile::new(&table, TimeUnit::Micros).unwrap();
        let source = "x".repeat(1 << 20);
        for _ in 0..40 {
            file.write_line(br#"{"status":200}"#, Some(&source))
                .unwrap();
        }
        let bytes = Bytes::from(Box::new(file).finish().unwrap());
        let reader = SerializedFileReader::new(bytes).unwrap();
        assert_eq!(row_groups(&reader), [32, 8]);
    }
}
