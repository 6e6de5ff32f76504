//! Each setting's text read and checked: a value that is not valid is an
//! error naming its variable and the bad part.

use crate::config::format::LogFormat;
use crate::config::names::column_name;
use crate::config::rules::{DropRule, OnTypeError, PartitionKey};
use crate::config::settings::nearest;
use crate::error::Error;
use crate::parse::ltsv::{LabelSyntax, is_label_byte};
use crate::values::escapes::Unescape;
use crate::values::request::REQUEST_PARTS;
use crate::values::types::Type;

/// The names of the types, for messages.
const TYPE_NAMES: &str = "integer, float, bool, string, time, time_msec, time_usec";

/// A setting's value, as given or defaulted.
pub(super) struct Given {
    pub(super) variable: &'static str,
    pub(super) value: String,
}

impl Given {
    pub(super) fn error(&self, message: impl Into<String>) -> Error {
        Error::setting(self.variable, message)
    }

    pub(super) fn boolean(&self) -> Result<bool, Error> {
        self.choice(&[("true", true), ("false", false)])
    }

    /// `true`, `false` or `json`; when empty, as the log format says.
    pub(super) fn unescape(&self, format: Option<&LogFormat>) -> Result<Unescape, Error> {
        if self.value.trim().is_empty() {
            return Ok(format.map_or(Unescape::Escapes, LogFormat::unescape));
        }
        self.choice(&[
            ("true", Unescape::Escapes),
            ("false", Unescape::Off),
            ("json", Unescape::Json),
        ])
    }

    pub(super) fn choice<T: Copy>(&self, choices: &[(&str, T)]) -> Result<T, Error> {
        let value = self.value.trim();
        choices
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(value))
            .map(|&(_, choice)| choice)
            .ok_or_else(|| {
                let names: Vec<_> = choices.iter().map(|(name, _)| *name).collect();
                self.error(format!(
                    "expected {}, got {:?}",
                    names.join(" or "),
                    self.value
                ))
            })
    }

    fn check_entry(&self, entry: &str) -> Result<(), Error> {
        if entry.is_empty() {
            return Err(self.error("empty entry (a stray comma?)"));
        }
        Ok(())
    }

    /// Comma-separated entries, each trimmed of surrounding spaces.
    pub(super) fn list(&self) -> impl Iterator<Item = &str> {
        let value = self.value.trim();
        value
            .split(',')
            .map(str::trim)
            .filter(move |_| !value.is_empty())
    }
}

/// A CloudWatch namespace (up to 255 of `[0-9A-Za-z.-_/#:]`, not starting
/// with `:`), or none when empty.
pub(super) fn parse_namespace(setting: &Given) -> Result<Option<String>, Error> {
    match setting.value.trim() {
        "" => Ok(None),
        name if name.len() <= 255
            && !name.starts_with(':')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_/#:".contains(&b)) =>
        {
            Ok(Some(name.to_owned()))
        }
        name => Err(setting.error(format!(
            "{name:?} is not a CloudWatch namespace (up to 255 of [0-9A-Za-z.-_/#:])"
        ))),
    }
}

/// The format, or none when the setting is empty.
pub(super) fn parse_log_format(setting: &Given) -> Result<Option<LogFormat>, Error> {
    match setting.value.trim() {
        "" => Ok(None),
        text => LogFormat::parse(text)
            .map(Some)
            .map_err(|why| setting.error(why)),
    }
}

/// The log format's types, overridden and extended by `explicit`.
pub(super) fn combine_types(
    format: Option<&LogFormat>,
    mut explicit: Vec<(Vec<u8>, Type)>,
) -> Vec<(Vec<u8>, Type)> {
    let mut types = Vec::new();
    for field in format.map_or(&[][..], LogFormat::fields) {
        let label = field.label.as_bytes();
        match explicit.iter().position(|(typed, _)| typed == label) {
            Some(at) => types.push(explicit.remove(at)),
            None if field.ty != Type::String => types.push((label.to_vec(), field.ty)),
            None => {}
        }
    }
    types.extend(explicit);
    types
}

pub(super) fn parse_types(
    setting: &Given,
    syntax: LabelSyntax,
) -> Result<Vec<(Vec<u8>, Type)>, Error> {
    let mut types: Vec<(Vec<u8>, Type)> = Vec::new();
    for entry in setting.list() {
        setting.check_entry(entry)?;
        let Some((label, name)) = entry.rsplit_once(':') else {
            return Err(setting.error(format!(
                "entry {entry:?} is not label:type (types: {TYPE_NAMES})"
            )));
        };
        let (label, name) = (label.trim(), name.trim());
        check_label(setting, label, syntax)?;
        let ty = name.parse().map_err(|()| {
            setting.error(format!(
                "unknown type {name:?} for label {label:?} (types: {TYPE_NAMES})"
            ))
        })?;
        if types.iter().any(|(typed, _)| typed == label.as_bytes()) {
            return Err(setting.error(format!("label {label:?} is listed twice")));
        }
        types.push((label.as_bytes().to_vec(), ty));
    }
    Ok(types)
}

pub(super) fn check_label(setting: &Given, label: &str, syntax: LabelSyntax) -> Result<(), Error> {
    if label.is_empty() {
        return Err(setting.error("empty label"));
    }
    if syntax == LabelSyntax::Strict && !label.bytes().all(is_label_byte) {
        return Err(setting.error(format!(
            "label {label:?} has characters outside [0-9A-Za-z_.-]"
        )));
    }
    if label.contains(['\t', ':']) {
        return Err(setting.error(format!("label {label:?} holds a TAB or ':'")));
    }
    Ok(())
}

pub(super) fn parse_drop_rules(
    setting: &Given,
    syntax: LabelSyntax,
) -> Result<Vec<DropRule>, Error> {
    let mut rules = Vec::new();
    for entry in setting.list() {
        setting.check_entry(entry)?;
        let Some((label, value)) = entry.split_once('=') else {
            return Err(setting.error(format!(
                "rule {entry:?} is not label=value or label^=prefix"
            )));
        };
        let (label, prefix) = match label.strip_suffix('^') {
            Some(label) => (label, true),
            None => (label, false),
        };
        let label = label.trim();
        check_label(setting, label, syntax)?;
        rules.push(DropRule {
            label: label.as_bytes().to_vec(),
            prefix,
            value: value.as_bytes().to_vec(),
        });
    }
    Ok(rules)
}

pub(super) fn parse_partition_keys(
    setting: &Given,
    types: &[(Vec<u8>, Type)],
) -> Result<Vec<PartitionKey>, Error> {
    let mut keys: Vec<PartitionKey> = Vec::new();
    for entry in setting.list() {
        setting.check_entry(entry)?;
        let key = match entry {
            "year" => PartitionKey::Year,
            "month" => PartitionKey::Month,
            "day" => PartitionKey::Day,
            "hour" => PartitionKey::Hour,
            label => {
                check_label(setting, label, LabelSyntax::Any)?;
                PartitionKey::Label(label.to_owned())
            }
        };
        if keys.iter().any(|k| k.name() == key.name()) {
            return Err(setting.error(format!("key {entry:?} is listed twice")));
        }
        if !matches!(key, PartitionKey::Label(_)) && time_label(types).is_none() {
            return Err(setting.error(format!(
                "key {entry:?} needs a label of type time (LTSV_LOG_FORMAT, LTSV_TYPES)"
            )));
        }
        keys.push(key);
    }
    Ok(keys)
}

/// Checks that `label`, which `setting` names, is one the log format
/// writes: a setting naming a label the server never logs would do
/// nothing, in silence.
pub(super) fn check_declared(
    setting: &Given,
    label: &str,
    format: Option<&LogFormat>,
) -> Result<(), Error> {
    let Some(format) = format else {
        return Ok(());
    };
    let labels: Vec<&str> = format.fields().iter().map(|f| f.label.as_str()).collect();
    if labels.contains(&label) {
        return Ok(());
    }
    let hint = match nearest(label, &labels) {
        Some(near) => format!("; did you mean {near:?}?"),
        None => format!(" (its labels: {})", labels.join(", ")),
    };
    Err(setting.error(format!("the log format has no label {label:?}{hint}")))
}

/// Checks what an Iceberg table needs of the other settings: a log format,
/// whose labels are the columns, none two of them one column, values that
/// fit their column's type, and no partition keys, since the table's own
/// partition spec places each row.
pub(super) fn check_iceberg(
    setting: &Given,
    format: Option<&LogFormat>,
    split_request: bool,
    on_type_error: OnTypeError,
    partition_keys: &[PartitionKey],
) -> Result<(), Error> {
    let Some(format) = format else {
        return Err(setting.error(
            "iceberg needs LTSV_LOG_FORMAT: the table's columns are the log format's labels",
        ));
    };
    let labels = format.fields().iter().map(|f| f.label.as_str());
    // Request parts the format has as labels are those labels' columns.
    let parts = REQUEST_PARTS
        .into_iter()
        .filter(|part| split_request && !format.fields().iter().any(|f| f.label == *part));
    let mut seen: Vec<(String, &str)> = Vec::new();
    for label in labels.chain(parts) {
        let name = column_name(label);
        if let Some((_, other)) = seen.iter().find(|(n, _)| *n == name) {
            return Err(setting.error(format!(
                "iceberg: labels {other:?} and {label:?} would both be column {name:?}"
            )));
        }
        seen.push((name, label));
    }
    if on_type_error == OnTypeError::String {
        return Err(setting.error(
            "iceberg: LTSV_ON_TYPE_ERROR=string would put text in a typed column: use null or fail",
        ));
    }
    if !partition_keys.is_empty() {
        return Err(setting.error(
            "iceberg: leave PARTITION_KEYS empty: the table's partition spec places each row",
        ));
    }
    Ok(())
}

pub(super) fn time_label(types: &[(Vec<u8>, Type)]) -> Option<&[u8]> {
    types
        .iter()
        .find(|(_, ty)| ty.is_time())
        .map(|(label, _)| label.as_slice())
}
