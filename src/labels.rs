//! What the settings say of a label, found in constant time: its type,
//! and whether the log format declares it.

use crate::config::Config;
use crate::line::label_bit;
use crate::value::Type;

/// A label the settings name.
#[derive(Debug)]
pub(crate) struct Entry {
    label: Vec<u8>,
    /// Its type, if it has one other than text.
    pub(crate) ty: Option<Type>,
    /// Whether the log format declares it.
    pub(crate) declared: bool,
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
}

impl LabelTable {
    pub(crate) fn new(config: &Config) -> LabelTable {
        let mut entries: Vec<Entry> = config
            .types
            .iter()
            .map(|(label, ty)| Entry {
                label: label.clone(),
                ty: Some(*ty).filter(|ty| *ty != Type::String),
                declared: false,
            })
            .collect();
        let declared = config.log_format.iter().flat_map(|f| f.fields());
        for field in declared {
            let label = field.label.as_bytes();
            match entries.iter_mut().find(|e| e.label == label) {
                Some(entry) => entry.declared = true,
                None => entries.push(Entry {
                    label: label.to_vec(),
                    ty: None,
                    declared: true,
                }),
            }
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
            tracks_declared: config.log_format.is_some(),
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
