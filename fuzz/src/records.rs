//! What each record of a request must come back as, by the rules, with
//! the crate's parser and converter checked on its data on the way.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::{Config, Converter};
use ltsv_oracle::product::settings;
use ltsv_oracle::{RecordExpectation, expect_record};

use crate::line::check_parser;

/// One record of a request: its id and its `data` text.
#[derive(Clone, Debug)]
pub struct InputRecord {
    /// Its `recordId`.
    pub id: String,
    /// Its `data`: base64, or any text the request carries.
    pub data: String,
}

/// What one record must come back as.
#[derive(Debug)]
pub(crate) enum Expected {
    /// `data` is not base64: `ProcessingFailed`, the text base64-encoded.
    NotBase64,
    /// What the rules say its decoded data becomes.
    Decoded {
        decoded_len: usize,
        record: RecordExpectation,
        /// For a record that converts, the crate's output, needed to size
        /// its entry (checked against the rules' objects).
        converted: Vec<u8>,
    },
}

impl Expected {
    /// Its decoded length and what the rules say, `None` for data that is
    /// not base64, and the crate's output (empty unless it converts).
    pub(crate) fn parts(&self) -> (Option<usize>, Option<&RecordExpectation>, &[u8]) {
        match self {
            Expected::NotBase64 => (None, None, &[][..]),
            Expected::Decoded {
                decoded_len,
                record,
                converted,
            } => (Some(*decoded_len), Some(record), &converted[..]),
        }
    }
}

/// What a record must come back as; checks the crate's parser and
/// converter on it too.
pub(crate) fn expect(config: &Config, converter: &mut Converter, data: &str) -> Expected {
    let Ok(decoded) = BASE64.decode(data) else {
        return Expected::NotBase64;
    };
    check_parser(config, &decoded);
    let record = expect_record(&settings(config), &decoded);
    let mut converted = Vec::new();
    if let RecordExpectation::Ok {
        objects,
        excluded,
        undeclared,
        first_undeclared,
        ..
    } = &record
    {
        let counts = converter.convert_record(&decoded, &mut converted);
        assert_eq!(
            counts
                .as_ref()
                .ok()
                .map(|c| (c.written, c.excluded, c.undeclared)),
            Some((objects.len(), *excluded, *undeclared)),
            "convert_record disagrees with the rules: {counts:?}"
        );
        assert_eq!(
            converter
                .undeclared_label(&decoded)
                .map(ltsv_oracle::shown_label),
            first_undeclared.clone(),
            "the record's first undeclared label"
        );
    }
    Expected::Decoded {
        decoded_len: decoded.len(),
        record,
        converted,
    }
}
