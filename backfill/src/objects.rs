//! The objects a task writes: the files of each hour of event time, as
//! `firehose_ltsv_output`'s [`HourFiles`] keeps them, plus one for failed
//! lines, each handed out in pieces to upload as parts of its object.
//!
//! An object gathers at most [`Limits::part_bytes`] encoded bytes before
//! they become a piece, and at most [`Limits::open_hours`] hours are open,
//! so what is held stays bounded whatever the object's size or hours.

use std::io;

use firehose_ltsv::DateHour;
use firehose_ltsv_output::{Destination, Files, HourFiles, OutputFormat, Table, TableFile};

use crate::limits::Limits;
use crate::naming::{LOGS_PREFIX, STAGING_PREFIX, SourceId};

/// Bytes of one object, to upload as its next part.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    /// The object, an index into [`Objects::key`].
    pub(crate) object: usize,
    /// The part's bytes.
    pub(crate) bytes: Vec<u8>,
}

/// The S3 objects of one source: each file's key, and the pieces of
/// every file waiting to be uploaded, in order.
#[derive(Debug)]
pub(crate) struct Parts {
    id: SourceId,
    /// `logs/`, or `backfill-staging/` for an Iceberg table.
    prefix: &'static str,
    keys: Vec<String>,
    pieces: Vec<Piece>,
}

impl Parts {
    fn start(&mut self, key: String) -> usize {
        self.keys.push(key);
        self.keys.len() - 1
    }
}

impl Destination for Parts {
    type File = usize;

    fn create(&mut self, hour: DateHour, seq: u32, extension: &str) -> io::Result<usize> {
        Ok(self.start(self.id.hour_key(self.prefix, hour, seq, extension)))
    }

    fn write(&mut self, object: &mut usize, bytes: Vec<u8>) -> io::Result<()> {
        self.pieces.push(Piece {
            object: *object,
            bytes,
        });
        Ok(())
    }

    fn close(&mut self, object: usize, last: Vec<u8>) -> io::Result<()> {
        self.write(&mut { object }, last)
    }
}

/// The failed lines' object, once a line fails.
struct FailedObject {
    file: Box<dyn TableFile>,
    object: usize,
}

/// The objects of one source, as they are written.
pub(crate) struct Objects {
    hours: HourFiles<Parts>,
    /// Gzip NDJSON, for the failed lines' records.
    records: Files,
    failed: Option<FailedObject>,
    failed_object: Option<usize>,
    part_bytes: usize,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Objects")
            .field("hours", &self.hours)
            .field("failed_object", &self.failed_object)
            .finish()
    }
}

impl Objects {
    /// The objects of the source `id`, as files of `files`.
    pub(crate) fn new(id: SourceId, files: &Files, limits: Limits) -> Objects {
        let prefix = match files.format() {
            OutputFormat::Iceberg => STAGING_PREFIX,
            OutputFormat::Json | OutputFormat::Parquet => LOGS_PREFIX,
        };
        let parts = Parts {
            id,
            prefix,
            keys: Vec::new(),
            pieces: Vec::new(),
        };
        Objects {
            hours: HourFiles::new(files.clone(), parts, limits.open_hours, limits.part_bytes),
            records: Files::new(OutputFormat::Json, Table::new(Vec::new())),
            failed: None,
            failed_object: None,
            part_bytes: limits.part_bytes,
        }
    }

    /// Adds `row` to the object of `hour`; `source` fills an Iceberg
    /// staging file's `source_line`.
    pub(crate) fn write_row(
        &mut self,
        hour: DateHour,
        row: &[u8],
        source: Option<&str>,
    ) -> io::Result<()> {
        self.hours.write_line(hour, row, source)
    }

    /// Adds a failed line's error record to the failed lines' object.
    pub(crate) fn write_failed(&mut self, record: &[u8]) -> io::Result<()> {
        let failed = match &mut self.failed {
            Some(failed) => failed,
            None => {
                let parts = self.hours.destination_mut();
                let object = parts.start(parts.id.failed_key());
                self.failed_object = Some(object);
                let file = self.records.open()?;
                self.failed.insert(FailedObject { file, object })
            }
        };
        failed.file.write_line(record, None)?;
        if failed.file.pending() >= self.part_bytes {
            let bytes = failed.file.take();
            let object = failed.object;
            self.hours
                .destination_mut()
                .pieces
                .push(Piece { object, bytes });
        }
        Ok(())
    }

    /// The pieces ready to upload, in order; an object's first piece
    /// comes before its others.
    pub(crate) fn take_pieces(&mut self) -> Vec<Piece> {
        std::mem::take(&mut self.hours.destination_mut().pieces)
    }

    /// Where line `line` (from 1) came from, for the `source_line` of an
    /// Iceberg table's staging file; none when rows go to `logs/`.
    pub(crate) fn source_line(&self, line: u64) -> Option<String> {
        let parts = self.hours.destination();
        (parts.prefix == STAGING_PREFIX).then(|| parts.id.source_line(line))
    }

    /// The key of `object`.
    pub(crate) fn key(&self, object: usize) -> &str {
        &self.hours.destination().keys[object]
    }

    /// Finishes every object; their last pieces follow in
    /// [`take_pieces`](Self::take_pieces).
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.hours.finish()?;
        if let Some(mut failed) = self.failed.take() {
            let mut last = failed.file.take();
            last.extend(failed.file.finish()?);
            let object = failed.object;
            self.hours.destination_mut().close(object, last)?;
        }
        Ok(())
    }

    /// Objects of rows started so far.
    pub(crate) fn row_objects(&self) -> u64 {
        self.hours.written().files
    }

    /// The failed lines' object, if a line failed.
    pub(crate) fn failed_object(&self) -> Option<usize> {
        self.failed_object
    }

    /// The key the failed lines go to, whether or not any did.
    pub(crate) fn failed_key(&self) -> String {
        self.hours.destination().id.failed_key()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    use flate2::read::MultiGzDecoder;

    fn hour(hour: u8) -> DateHour {
        DateHour {
            year: 2021,
            month: 6,
            day: 28,
            hour,
        }
    }

    fn limits(open_hours: usize, part_bytes: usize) -> Limits {
        Limits {
            open_hours,
            part_bytes,
            ..Limits::default()
        }
    }

    fn json() -> Files {
        Files::new(OutputFormat::Json, Table::new(Vec::new()))
    }

    /// Each object's key and text, from its pieces in order; an object
    /// that was not finished has no gzip trailer and fails to decode.
    fn objects(objects: &mut Objects, earlier: Vec<Piece>) -> Vec<(String, String)> {
        let mut bytes = vec![Vec::new(); objects.hours.destination().keys.len()];
        for piece in earlier.into_iter().chain(objects.take_pieces()) {
            bytes[piece.object].extend(piece.bytes);
        }
        bytes
            .into_iter()
            .enumerate()
            .map(|(i, gz)| {
                let mut text = String::new();
                MultiGzDecoder::new(gz.as_slice())
                    .read_to_string(&mut text)
                    .unwrap();
                (objects.key(i).rsplit('/').next().unwrap().to_owned(), text)
            })
            .collect()
    }

    #[test]
    fn hours_past_the_bound_are_finished_and_start_their_next_object() {
        let id = SourceId::new("b", "k", "e");
        let mut writer = Objects::new(id.clone(), &json(), limits(2, 1 << 20));
        writer.write_row(hour(8), b"a1\n", None).unwrap();
        writer.write_row(hour(9), b"b1\n", None).unwrap();
        writer.write_row(hour(8), b"a2\n", None).unwrap(); // 8 is now the most recent
        writer.write_row(hour(10), b"c1\n", None).unwrap(); // finishes 9
        writer.write_row(hour(9), b"b2\n", None).unwrap(); // finishes 8: 9's second object
        writer.write_failed(b"{\"rawData\":\"x\"}\n").unwrap();
        assert_eq!(writer.failed_key(), id.failed_key());
        writer.finish().unwrap();
        assert_eq!(writer.row_objects(), 4);
        let shown = format!("{writer:?}");
        assert!(shown.starts_with("Objects { hours: HourFiles {"), "{shown}");
        assert!(shown.ends_with("failed_object: Some(4) }"), "{shown}");
        assert_eq!(writer.failed_object(), Some(4));
        let name = |seq: u32| format!("backfill-{id}-{seq:06}.json.gz");
        assert_eq!(
            objects(&mut writer, Vec::new()),
            [
                (name(1), "a1\na2\n".into()),
                (name(1), "b1\n".into()),
                (name(1), "c1\n".into()),
                (name(2), "b2\n".into()),
                (
                    format!("backfill-{id}.json.gz"),
                    "{\"rawData\":\"x\"}\n".into()
                ),
            ]
        );
        assert_eq!(
            writer.key(3),
            id.hour_key(LOGS_PREFIX, hour(9), 2, "json.gz")
        );
        assert_eq!(
            writer.key(1),
            id.hour_key(LOGS_PREFIX, hour(9), 1, "json.gz")
        );
    }

    #[test]
    fn an_object_is_cut_into_parts_and_holds_less_than_a_part() {
        let mut writer = Objects::new(SourceId::new("b", "k", "e"), &json(), limits(4, 4096));
        let mut expected = String::new();
        let mut failed = String::new();
        let mut pieces = Vec::new();
        for i in 0..40_000u64 {
            let row = format!(
                "{{\"n\":{i},\"h\":\"{:x}\"}}\n",
                i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            );
            writer.write_row(hour(1), row.as_bytes(), None).unwrap();
            expected.push_str(&row);
            if i % 2 == 0 {
                writer.write_failed(row.as_bytes()).unwrap();
                failed.push_str(&row);
            }
            pieces.extend(writer.take_pieces());
        }
        let parts = |object: usize| pieces.iter().filter(|p| p.object == object).count();
        assert!(
            parts(0) > 3 && parts(1) > 3,
            "{} and {} parts",
            parts(0),
            parts(1)
        );
        assert!(pieces.iter().all(|p| p.bytes.len() >= 4096));
        writer.finish().unwrap();
        let objects = objects(&mut writer, pieces);
        assert_eq!(objects[0].1, expected);
        assert_eq!(objects[1].1, failed);
    }

    #[test]
    fn parquet_objects_end_in_parquet() {
        use firehose_ltsv::{Column, ColumnType};

        let table = Table::new(vec![Column::new("n", ColumnType::Bigint)]);
        let files = Files::new(OutputFormat::Parquet, table);
        let id = SourceId::new("b", "k", "e");
        let mut writer = Objects::new(id.clone(), &files, limits(4, 1 << 20));
        writer.write_row(hour(3), b"{\"n\":1}\n", None).unwrap();
        writer.finish().unwrap();
        assert_eq!(
            writer.key(0),
            id.hour_key(LOGS_PREFIX, hour(3), 1, "parquet")
        );
        let pieces = writer.take_pieces();
        assert!(pieces[0].bytes.starts_with(b"PAR1"));
        assert_eq!(writer.source_line(5), None);
    }

    #[test]
    fn iceberg_rows_are_staged_with_their_source() {
        use firehose_ltsv::{Column, ColumnType, SOURCE_LINE};

        let table = Table::new(vec![
            Column::new("n", ColumnType::Bigint),
            Column::new(SOURCE_LINE, ColumnType::String),
        ]);
        let files = Files::new(OutputFormat::Iceberg, table);
        let id = SourceId::new("b", "k", "e");
        let mut writer = Objects::new(id.clone(), &files, limits(4, 1 << 20));
        let source = writer.source_line(7).unwrap();
        assert_eq!(source, id.source_line(7));
        writer
            .write_row(hour(3), b"{\"n\":1}\n", Some(&source))
            .unwrap();
        writer.finish().unwrap();
        assert_eq!(
            writer.key(0),
            id.hour_key(STAGING_PREFIX, hour(3), 1, "parquet")
        );
        let pieces = writer.take_pieces();
        let bytes = pieces
            .into_iter()
            .flat_map(|p| p.bytes)
            .collect::<Vec<u8>>();
        let reader =
            parquet::file::reader::SerializedFileReader::new(bytes::Bytes::from(bytes)).unwrap();
        let row = parquet::file::reader::FileReader::get_row_iter(&reader, None)
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(
            row.to_string(),
            format!("{{n: 1, source_line: \"{source}\"}}")
        );
    }
}
