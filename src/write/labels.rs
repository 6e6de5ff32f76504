//! What the settings say of a label, found in constant time: its type,
//! whether the log format declares it, and what `LTSV_REDACT` does to it;
//! and of every label of a line, found once for all the lines with the
//! same labels.

use std::ops::Range;

use crate::config::Config;
use crate::config::names::column_name;
use crate::config::output::OutputFormat;
use crate::parse::line::{ParsedLine, label_bit};
use crate::parse::ltsv::LabelSyntax;
use crate::parse::words;
use crate::values::redact::Redaction;
use crate::values::types::Type;
use crate::write::json;

/// A label the settings name.
#[derive(Debug)]
pub(crate) struct Entry {
    label: Vec<u8>,
    /// Its type, if it has one other than text.
    pub(crate) ty: Option<Type>,
    /// Whether the log format declares it.
    pub(crate) declared: bool,
    /// Its rule in `LTSV_REDACT`, as an index into the config's.
    redact: Option<u16>,
    /// Whether that rule drops it.
    dropped: bool,
}

impl Entry {
    /// The column it is read into.
    fn column(&self) -> String {
        column_name(&String::from_utf8_lossy(&self.label))
    }
}

/// The labels the settings name, bucketed by [`label_bit`], so that a
/// lookup compares at most the few labels that share a bit.
#[derive(Debug)]
pub(crate) struct LabelTable {
    /// Sorted by bucket.
    entries: Vec<Entry>,
    /// `entries[starts[b]..starts[b + 1]]` is bucket `b`.
    starts: [u16; 65],
    /// The bits of every entry: a label whose bit is not here has none.
    bits: u64,
    /// Whether there is a log format, so that labels can be undeclared.
    pub(crate) tracks_declared: bool,
    /// Whether lines are keyed by column, for an Iceberg table, which
    /// leaves out the labels the log format does not declare.
    pub(crate) by_column: bool,
}

impl LabelTable {
    pub(crate) fn new(config: &Config) -> LabelTable {
        let mut entries: Vec<Entry> = config
            .types()
            .iter()
            .map(|(label, ty)| Entry {
                label: label.clone(),
                ty: Some(*ty).filter(|ty| *ty != Type::String),
                declared: false,
                redact: None,
                dropped: false,
            })
            .collect();
        let declared = config.log_format().into_iter().flat_map(|f| f.fields());
        for field in declared {
            let label = field.label.as_bytes();
            entry(&mut entries, label).declared = true;
        }
        for (i, (label, redaction)) in config.redactions().iter().enumerate() {
            let entry = entry(&mut entries, label);
            entry.redact = Some(u16::try_from(i).expect("fewer rules than labels a line holds"));
            entry.dropped = *redaction == Redaction::Drop;
        }
        let bucket = |entry: &Entry| label_bit(&entry.label).trailing_zeros() as usize;
        entries.sort_by_key(bucket);
        let mut starts = [0u16; 65];
        for entry in &entries {
            starts[bucket(entry) + 1] += 1;
        }
        for b in 1..65 {
            starts[b] += starts[b - 1];
        }
        LabelTable {
            bits: entries.iter().fold(0, |bits, e| bits | label_bit(&e.label)),
            entries,
            starts,
            tracks_declared: config.log_format().is_some(),
            by_column: config.output_format() == OutputFormat::Iceberg,
        }
    }

    /// What the settings say of `label`, whose [`label_bit`] is `bit`.
    pub(crate) fn get(&self, bit: u64, label: &[u8]) -> Option<&Entry> {
        if self.bits & bit == 0 {
            return None;
        }
        let b = bit.trailing_zeros() as usize;
        let bucket = &self.entries[usize::from(self.starts[b])..usize::from(self.starts[b + 1])];
        bucket.iter().find(|entry| entry.label == label)
    }
}

/// The entry of `label`, added if there is none.
fn entry<'e>(entries: &'e mut Vec<Entry>, label: &[u8]) -> &'e mut Entry {
    match entries.iter().position(|e| e.label == label) {
        Some(at) => &mut entries[at],
        None => {
            entries.push(Entry {
                label: label.to_vec(),
                ty: None,
                declared: false,
                redact: None,
                dropped: false,
            });
            entries.last_mut().expect("just pushed")
        }
    }
}

/// What the settings say of each label of a line, in order, and each
/// label written as a JSON key: looked up again only when a line's labels
/// are not those of the line before (see `ParsedLine::shape`).
#[derive(Debug, Default)]
pub(crate) struct LineLabels {
    shape: Option<u64>,
    fields: Vec<FieldLabel>,
    /// Each key, `{"label":` for the first field and `,"label":` for the
    /// others, one after another, then room to copy the last as a block.
    keys: Vec<u8>,
    first_undeclared: Option<usize>,
    /// How many fields are written, not left out.
    written: usize,
}

/// What the settings say of one label of a line.
#[derive(Clone, Debug)]
pub(crate) struct FieldLabel {
    /// Its type, if it has one other than text.
    pub(crate) ty: Option<Type>,
    /// Whether it is left out: dropped by `LTSV_REDACT`, or keyed by
    /// column, a label the log format does not declare, which has none.
    pub(crate) left_out: bool,
    /// Its rule in `LTSV_REDACT`, as an index into the config's.
    pub(crate) redact: Option<u16>,
    /// Where its key is in [`LineLabels::keys`].
    key: Range<usize>,
}

impl LineLabels {
    /// Looks up the labels of `line` in `table`, unless they are those
    /// looked up last.
    pub(crate) fn learn(&mut self, table: &LabelTable, line: &ParsedLine, syntax: LabelSyntax) {
        if line.shape().is_some() && line.shape() == self.shape {
            return;
        }
        self.shape = line.shape();
        self.fields.clear();
        self.keys.clear();
        self.first_undeclared = None;
        let mut written = 0;
        for (i, span) in line.spans().enumerate() {
            let label = line.label(span);
            let entry = table.get(span.bit, label);
            let declared = entry.is_some_and(|entry| entry.declared);
            if table.tracks_declared && !declared && self.first_undeclared.is_none() {
                self.first_undeclared = Some(i);
            }
            let start = self.keys.len();
            let dropped = entry.is_some_and(|entry| entry.dropped);
            let left_out = dropped || (table.by_column && !declared);
            if !left_out {
                self.keys.push(if written == 0 { b'{' } else { b',' });
                written += 1;
                match (entry.filter(|_| table.by_column), syntax) {
                    (Some(entry), _) => {
                        // Column names are `[a-z0-9_]`: nothing to escape.
                        self.keys.push(b'"');
                        self.keys.extend_from_slice(entry.column().as_bytes());
                        self.keys.push(b'"');
                    }
                    // Strict labels hold nothing JSON would escape.
                    (None, LabelSyntax::Strict) => {
                        self.keys.push(b'"');
                        self.keys.extend_from_slice(label);
                        self.keys.push(b'"');
                    }
                    (None, LabelSyntax::Any) => json::write_str(&mut self.keys, label),
                }
                self.keys.push(b':');
            }
            self.fields.push(FieldLabel {
                ty: entry.and_then(|entry| entry.ty),
                left_out,
                redact: entry.and_then(|entry| entry.redact),
                key: start..self.keys.len(),
            });
        }
        self.written = written;
        self.keys.extend_from_slice(&[0; 16]);
    }

    /// How many of the fields are written, not left out.
    pub(crate) fn written(&self) -> usize {
        self.written
    }

    /// Each field's label, in order, as looked up last.
    pub(crate) fn fields(&self) -> &[FieldLabel] {
        &self.fields
    }

    /// Which field is the first whose label the log format does not
    /// declare, when there is a format.
    pub(crate) fn first_undeclared(&self) -> Option<usize> {
        self.first_undeclared
    }

    /// Appends the key of `field`, with the `{` or `,` before it.
    pub(crate) fn append_key(&self, field: &FieldLabel, out: &mut Vec<u8>) {
        words::append(out, &self.keys, field.key.start, field.key.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(vars: &[(&str, &str)]) -> LabelTable {
        LabelTable::new(&Config::from_vars(vars).unwrap())
    }

    fn lookup(table: &LabelTable, label: &str) -> Option<(Option<Type>, bool)> {
        let label = label.as_bytes();
        table
            .get(label_bit(label), label)
            .map(|entry| (entry.ty, entry.declared))
    }

    #[test]
    fn labels_have_their_type_and_declaration() {
        let table = table(&[
            ("LTSV_LOG_FORMAT", r"time:%t\tua:%{User-Agent}i\tn:%D"),
            ("LTSV_TYPES", "n:float,extra:bool,ua:string"),
        ]);
        assert!(table.tracks_declared);
        assert_eq!(lookup(&table, "time"), Some((Some(Type::Time), true)));
        assert_eq!(lookup(&table, "ua"), Some((None, true)));
        assert_eq!(lookup(&table, "n"), Some((Some(Type::Float), true)));
        assert_eq!(lookup(&table, "extra"), Some((Some(Type::Bool), false)));
        assert_eq!(lookup(&table, "other"), None);
        assert_eq!(lookup(&table, "Time"), None);
    }

    #[test]
    fn without_a_format_nothing_is_declared() {
        let table = table(&[("LTSV_LOG_FORMAT", ""), ("LTSV_TYPES", "a:integer")]);
        assert!(!table.tracks_declared);
        assert_eq!(lookup(&table, "a"), Some((Some(Type::Integer), false)));
    }

    #[test]
    fn labels_sharing_a_bucket_are_told_apart() {
        // Same length and end bytes: the same bit.
        let table = table(&[
            ("LTSV_LOG_FORMAT", ""),
            ("LTSV_TYPES", "axb:integer,ayb:float"),
        ]);
        assert_eq!(lookup(&table, "axb"), Some((Some(Type::Integer), false)));
        assert_eq!(lookup(&table, "ayb"), Some((Some(Type::Float), false)));
        assert_eq!(lookup(&table, "azb"), None);
    }
}
