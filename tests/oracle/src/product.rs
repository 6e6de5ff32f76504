//! The product's settings and errors in the oracle's terms, for the tests
//! that hold `firehose-ltsv` to the rules. Only this module knows the
//! product's types (feature `product`); the rules themselves never see them.

use firehose_ltsv::{Config, Error, ErrorKind, LabelSyntax, PartitionKey};

use crate::ltsv::{Problem, Rejection};
use crate::settings::{DropRule, Key, OnTypeError, Settings, Type, Unescape};

/// The product's `config`, described as the oracle describes settings.
pub fn settings(config: &Config) -> Settings {
    Settings {
        any_labels: config.label_syntax() == LabelSyntax::Any,
        unescape: match config.unescape() {
            firehose_ltsv::Unescape::Off => Unescape::Off,
            firehose_ltsv::Unescape::Escapes => Unescape::Escapes,
            firehose_ltsv::Unescape::Json => Unescape::Json,
        },
        null_values: config.null_values().to_vec(),
        types: config
            .types()
            .iter()
            .map(|(label, ty)| (label.clone(), oracle_type(*ty)))
            .collect(),
        declared: config.log_format().as_ref().map(|format| {
            format
                .fields()
                .iter()
                .map(|field| field.label.as_bytes().to_vec())
                .collect()
        }),
        on_type_error: match config.on_type_error() {
            firehose_ltsv::OnTypeError::Fail => OnTypeError::Fail,
            firehose_ltsv::OnTypeError::Null => OnTypeError::Null,
            firehose_ltsv::OnTypeError::String => OnTypeError::String,
        },
        split_request: config.split_request().map(<[u8]>::to_vec),
        drop: config
            .drop_rules()
            .iter()
            .map(|rule| DropRule {
                label: rule.label.clone(),
                prefix: rule.prefix,
                value: rule.value.clone(),
            })
            .collect(),
        partition_keys: config.partition_keys().iter().map(key).collect(),
    }
}

fn key(key: &PartitionKey) -> Key {
    match key {
        PartitionKey::Year => Key::Year,
        PartitionKey::Month => Key::Month,
        PartitionKey::Day => Key::Day,
        PartitionKey::Hour => Key::Hour,
        PartitionKey::Label(label) => Key::Label(label.as_bytes().to_vec()),
    }
}

fn oracle_type(ty: firehose_ltsv::Type) -> Type {
    match ty {
        firehose_ltsv::Type::Integer => Type::Integer,
        firehose_ltsv::Type::Float => Type::Float,
        firehose_ltsv::Type::Bool => Type::Bool,
        firehose_ltsv::Type::String => Type::String,
        firehose_ltsv::Type::Time => Type::Time,
        firehose_ltsv::Type::TimeMsec => Type::TimeMsec,
        firehose_ltsv::Type::TimeUsec => Type::TimeUsec,
    }
}

/// The product's error about a line, as the rule that refuses the line
/// would write it; `None` for an error about something other than a line
/// (a record that is not base64, a full response, a panic).
pub fn rejection(error: &Error) -> Option<Rejection> {
    let problem = match error.kind() {
        ErrorKind::MissingColon => Problem::MissingColon,
        ErrorKind::EmptyLabel => Problem::EmptyLabel,
        ErrorKind::InvalidLabelByte(byte) => Problem::InvalidLabelByte(*byte),
        ErrorKind::LabelNotUtf8 => Problem::LabelNotUtf8,
        ErrorKind::FoldedLabels { first, second } => Problem::FoldedLabels {
            first: first.clone(),
            second: second.clone(),
        },
        ErrorKind::Type { label, expected } => Problem::Type {
            label: label.clone(),
            expected: oracle_type(*expected),
        },
        ErrorKind::NoEventTime { label } => Problem::NoEventTime {
            label: label.clone(),
        },
        ErrorKind::BadEventTime { label } => Problem::BadEventTime {
            label: label.clone(),
        },
        ErrorKind::NoPartitionValue { label } => Problem::NoPartitionValue {
            label: label.clone(),
        },
        _ => return None,
    };
    let position = error.position();
    Some(Rejection {
        problem,
        line: position.line,
        field: position.field.zip(position.byte),
    })
}
