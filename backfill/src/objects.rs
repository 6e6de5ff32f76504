//! The objects a task writes: one per hour of event time at a time, plus
//! one for failed lines, each handed out in pieces to upload as parts.
//!
//! At most [`Limits::open_hours`] hours are open. A line of another hour
//! finishes the hour written least recently; a line of that hour that
//! comes later starts its next object. An object gathers at most
//! [`Limits::part_bytes`] encoded bytes before they become a piece, so
//! what is held stays bounded whatever the object's size or hours.

use std::collections::HashMap;
use std::io;

use firehose_ltsv::DateHour;

use crate::encoding::{Encoder, Encoding, GzipJson};
use crate::limits::Limits;
use crate::naming::SourceId;

/// Bytes of one object, to upload as its next part.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    /// The object, an index into [`Objects::key`].
    pub(crate) object: usize,
    /// The part's bytes.
    pub(crate) bytes: Vec<u8>,
}

struct Open {
    encoder: Box<dyn Encoder>,
    object: usize,
    /// When it was last written to, in writes since the start.
    last_used: u64,
}

/// The objects of one source, as they are written.
pub(crate) struct Objects<'e> {
    id: SourceId,
    encoding: &'e dyn Encoding,
    limits: Limits,
    open: HashMap<DateHour, Open>,
    failed: Option<Open>,
    /// How many objects each hour has had.
    seqs: HashMap<DateHour, u32>,
    keys: Vec<String>,
    pieces: Vec<Piece>,
    writes: u64,
    failed_object: Option<usize>,
}

impl std::fmt::Debug for Objects<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Objects")
            .field("id", &self.id)
            .field("open", &self.open.len())
            .field("objects", &self.keys.len())
            .finish()
    }
}

impl<'e> Objects<'e> {
    /// The objects of the source `id`, encoded with `encoding`.
    pub(crate) fn new(id: SourceId, encoding: &'e dyn Encoding, limits: Limits) -> Objects<'e> {
        Objects {
            id,
            encoding,
            limits: Limits {
                open_hours: limits.open_hours.max(1),
                ..limits
            },
            open: HashMap::new(),
            failed: None,
            seqs: HashMap::new(),
            keys: Vec::new(),
            pieces: Vec::new(),
            writes: 0,
            failed_object: None,
        }
    }

    /// Adds `row` to the object of `hour`.
    pub(crate) fn write_row(&mut self, hour: DateHour, row: &[u8]) -> io::Result<()> {
        self.writes += 1;
        if !self.open.contains_key(&hour) {
            if self.open.len() >= self.limits.open_hours {
                self.finish_least_recently_used()?;
            }
            let seq = self.seqs.entry(hour).or_insert(0);
            *seq += 1;
            let key = self.id.hour_key(hour, *seq, self.encoding.extension());
            let open = self.start(key, self.encoding.encoder()?);
            self.open.insert(hour, open);
        }
        let open = self.open.get_mut(&hour).expect("opened above");
        open.last_used = self.writes;
        write_to(open, row, self.limits.part_bytes, &mut self.pieces)
    }

    /// Adds a failed line's error record to the failed lines' object.
    pub(crate) fn write_failed(&mut self, record: &[u8]) -> io::Result<()> {
        if self.failed.is_none() {
            let open = self.start(self.id.failed_key(), GzipJson::default().encoder()?);
            self.failed_object = Some(open.object);
            self.failed = Some(open);
        }
        let open = self.failed.as_mut().expect("opened above");
        write_to(open, record, self.limits.part_bytes, &mut self.pieces)
    }

    /// The pieces ready to upload, in order; the object's first piece
    /// comes before its others.
    pub(crate) fn take_pieces(&mut self) -> Vec<Piece> {
        std::mem::take(&mut self.pieces)
    }

    /// The key of `object`.
    pub(crate) fn key(&self, object: usize) -> &str {
        &self.keys[object]
    }

    /// Finishes every object; their last pieces follow in
    /// [`take_pieces`](Self::take_pieces).
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        let mut open: Vec<Open> = self.open.drain().map(|(_, open)| open).collect();
        open.extend(self.failed.take());
        // In the order they were started, so that the pieces are too.
        open.sort_by_key(|open| open.object);
        for open in open {
            self.pieces.push(finish(open)?);
        }
        Ok(())
    }

    /// Objects of rows started so far.
    pub(crate) fn row_objects(&self) -> u64 {
        (self.keys.len() - usize::from(self.failed_object.is_some())) as u64
    }

    /// The failed lines' object, if a line failed.
    pub(crate) fn failed_object(&self) -> Option<usize> {
        self.failed_object
    }

    /// The key the failed lines go to, whether or not any did.
    pub(crate) fn failed_key(&self) -> String {
        self.id.failed_key()
    }

    fn start(&mut self, key: String, encoder: Box<dyn Encoder>) -> Open {
        self.keys.push(key);
        Open {
            encoder,
            object: self.keys.len() - 1,
            last_used: self.writes,
        }
    }

    fn finish_least_recently_used(&mut self) -> io::Result<()> {
        let oldest = self
            .open
            .iter()
            .min_by_key(|(_, open)| open.last_used)
            .map(|(&hour, _)| hour);
        if let Some(open) = oldest.and_then(|hour| self.open.remove(&hour)) {
            self.pieces.push(finish(open)?);
        }
        Ok(())
    }
}

/// Writes `bytes` to `open`, cutting a piece when it has gathered a part.
fn write_to(open: &mut Open, bytes: &[u8], part: usize, pieces: &mut Vec<Piece>) -> io::Result<()> {
    open.encoder.write_row(bytes)?;
    if open.encoder.pending() >= part {
        pieces.push(Piece {
            object: open.object,
            bytes: open.encoder.take(),
        });
    }
    Ok(())
}

/// The last piece of `open`: what it gathered and the encoder's end.
fn finish(mut open: Open) -> io::Result<Piece> {
    let mut bytes = open.encoder.take();
    bytes.extend(open.encoder.finish()?);
    Ok(Piece {
        object: open.object,
        bytes,
    })
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

    /// Each object's key and text, from its pieces in order; an object
    /// that was not finished has no gzip trailer and fails to decode.
    fn objects(objects: &mut Objects) -> Vec<(String, String)> {
        let mut bytes = vec![Vec::new(); objects.keys.len()];
        for piece in objects.take_pieces() {
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
        let encoding = GzipJson::default();
        let id = SourceId::new("b", "k", "e");
        let mut writer = Objects::new(id.clone(), &encoding, limits(2, 1 << 20));
        writer.write_row(hour(8), b"a1\n").unwrap();
        writer.write_row(hour(9), b"b1\n").unwrap();
        writer.write_row(hour(8), b"a2\n").unwrap(); // 8 is now the most recent
        writer.write_row(hour(10), b"c1\n").unwrap(); // finishes 9
        writer.write_row(hour(9), b"b2\n").unwrap(); // finishes 8: 9's second object
        writer.write_failed(b"{\"rawData\":\"x\"}\n").unwrap();
        writer.finish().unwrap();
        assert_eq!(writer.row_objects(), 4);
        assert_eq!(writer.failed_object(), Some(4));
        let name = |seq: u32| format!("backfill-{id}-{seq:06}.json.gz");
        assert_eq!(
            objects(&mut writer),
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
        assert_eq!(writer.key(3), id.hour_key(hour(9), 2, ".json.gz"));
        assert_eq!(writer.key(1), id.hour_key(hour(9), 1, ".json.gz"));
    }

    #[test]
    fn an_object_is_cut_into_parts_and_holds_less_than_a_part() {
        let encoding = GzipJson::new(1);
        let mut writer = Objects::new(SourceId::new("b", "k", "e"), &encoding, limits(4, 4096));
        let mut expected = String::new();
        let mut pieces = Vec::new();
        for i in 0..20_000u64 {
            let row = format!(
                "{{\"n\":{i},\"h\":\"{:x}\"}}\n",
                i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            );
            writer.write_row(hour(1), row.as_bytes()).unwrap();
            expected.push_str(&row);
            let open = writer.open.get_mut(&hour(1)).unwrap();
            assert!(open.encoder.pending() < 4096);
            pieces.extend(writer.take_pieces());
        }
        assert!(pieces.len() > 3, "{} parts", pieces.len());
        assert!(pieces.iter().all(|p| p.bytes.len() >= 4096));
        writer.finish().unwrap();
        writer.pieces.splice(0..0, pieces);
        assert_eq!(objects(&mut writer)[0].1, expected);
    }
}
