//! A web server's own log format line (`LTSV_LOG_FORMAT`): the labels it
//! writes and, from each label's directive, the type of its values.
//!
//! It takes the line as written in the server's configuration: Apache's
//! `LogFormat "…" nickname` or its string, nginx's
//! `log_format name [escape=…] '…' '…';` or its string, or h2o's
//! `access-log:` mapping or its `format: "…"` line.
//!
//! ```
//! use firehose_ltsv::{LogFormat, Type};
//!
//! let format = LogFormat::parse(r#"LogFormat "time:%t\tstatus:%>s\tua:%{User-Agent}i" ltsv"#).unwrap();
//! let labels: Vec<_> = format.fields().iter().map(|f| (f.label.as_str(), f.ty)).collect();
//! assert_eq!(labels, [("time", Type::Time), ("status", Type::Integer), ("ua", Type::String)]);
//! ```
//!
//! | module | concern |
//! |---|---|
//! | `text` | the format as the configuration writes it: comments, strings, YAML |
//! | `types` | each directive's type: Apache's, nginx's, h2o's |

mod text;
mod types;

use crate::parse::ltsv::is_label_byte;
use crate::values::escapes::Unescape;
use crate::values::types::Type;
pub use text::Server;
use types::{apache_type, h2o_type, is_h2o_extension, nginx_type};

/// One `label:value` field of a format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatField {
    /// The label, as the log will hold it.
    pub label: String,
    /// The value's template, as written: directives and literal text.
    pub template: String,
    /// The type its directive gives the values (`String` for text, or for
    /// a directive mixed with text).
    pub ty: Type,
    /// What `schema` should say of the field: why a time directive is left
    /// a string, or which of a repeated label's directives gives its values.
    pub note: Option<String>,
}

/// A parsed log format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFormat {
    server: Server,
    fields: Vec<FormatField>,
    /// nginx's `escape=`, or h2o's `escape:`, when given.
    escape: Option<Unescape>,
}

impl LogFormat {
    /// Reads a format line as written in the server's configuration. The
    /// error says what part could not be read.
    pub fn parse(text: &str) -> Result<LogFormat, String> {
        let text::Written {
            server,
            format,
            escape,
        } = text::read(text)?;
        let server = server.unwrap_or_else(|| server_of(&format));
        let mut fields: Vec<FormatField> = Vec::new();
        for (i, field) in format.split('\t').enumerate() {
            if field.is_empty() {
                continue;
            }
            let Some((label, template)) = field.split_once(':') else {
                return Err(format!("field {} {field:?} has no ':'", i + 1));
            };
            if label.is_empty() || !label.bytes().all(is_label_byte) {
                return Err(format!(
                    "field {} has label {label:?}, not of [0-9A-Za-z_.-]",
                    i + 1
                ));
            }
            let (ty, note) = match server {
                Server::Apache => apache_type(template)?,
                Server::Nginx => (nginx_type(template), None),
                Server::H2o => h2o_type(template)?,
            };
            let field = FormatField {
                label: label.to_owned(),
                template: template.to_owned(),
                ty,
                note,
            };
            // As in a line, a repeated label keeps its first place and
            // takes its last value: the last directive gives the column.
            match fields.iter_mut().find(|f| f.label == label) {
                Some(first) => *first = repeated(field),
                None => fields.push(field),
            }
        }
        if fields.is_empty() {
            return Err("no label:value field".to_owned());
        }
        Ok(LogFormat {
            server,
            fields,
            escape,
        })
    }

    /// The server whose syntax the format is in.
    pub fn server(&self) -> Server {
        self.server
    }

    /// The fields, in the order the server writes them.
    pub fn fields(&self) -> &[FormatField] {
        &self.fields
    }

    /// How the server escapes values: nginx's `escape=` or h2o's `escape:`,
    /// else their default (and Apache's): `\xHH` and backslash escapes.
    pub fn unescape(&self) -> Unescape {
        self.escape.unwrap_or(Unescape::Escapes)
    }

    /// The labels whose values hold a query string: a request line, a
    /// request URI, a query, a referer. Their secret parameters are what
    /// the stack redacts by default (`label:query` for each).
    ///
    /// ```
    /// let apache = firehose_ltsv::LogFormat::parse(r"time:%t\treq:%r\tref:%{Referer}i\tua:%{User-Agent}i").unwrap();
    /// assert_eq!(apache.query_labels(), ["req", "ref"]);
    /// let nginx = firehose_ltsv::LogFormat::parse(r"log_format l 'uri:$request_uri\ttime:$request_time';").unwrap();
    /// assert_eq!(nginx.query_labels(), ["uri"]);
    /// ```
    pub fn query_labels(&self) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|field| holds_query(self.server, &field.template))
            .map(|field| field.label.as_str())
            .collect()
    }
}

/// Whether a field's template has a directive whose value holds a query
/// string.
fn holds_query(server: Server, template: &str) -> bool {
    let lower = template.to_ascii_lowercase();
    match server {
        // The request line, the query, the Referer header.
        Server::Apache | Server::H2o => ["%r", "%>r", "%<r", "%q", "%{referer}i"]
            .iter()
            .any(|directive| lower.contains(directive)),
        Server::Nginx => {
            const VARIABLES: [&str; 5] = [
                "request",
                "request_uri",
                "args",
                "query_string",
                "http_referer",
            ];
            // `$request` but not `$request_time`: a variable's name ends
            // where its letters do (or at `}` in `${request}`).
            lower.match_indices('$').any(|(at, _)| {
                let rest = lower[at + 1..].trim_start_matches('{');
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                VARIABLES.contains(&name.as_str())
            })
        }
    }
}

/// The server of a format given without its directive: nginx's when it
/// has `$` variables and no `%`, h2o's when it uses an extension only h2o
/// has (`%{duration}x`; Apache's mod_ssl has `%{SSL_PROTOCOL}x`), and
/// otherwise Apache's.
fn server_of(format: &str) -> Server {
    if format.contains('$') && !format.contains('%') {
        return Server::Nginx;
    }
    let h2o = format.split("%{").skip(1).any(|rest| {
        rest.split_once("}x")
            .is_some_and(|(name, _)| is_h2o_extension(name))
    });
    if h2o { Server::H2o } else { Server::Apache }
}

/// `later`, a field whose label an earlier field has, to take that field's
/// place, with a note that says which directive the values come from.
fn repeated(later: FormatField) -> FormatField {
    let repeat = format!(
        "label {:?} appears more than once: its values are the last one's, {:?}",
        later.label, later.template
    );
    FormatField {
        note: Some(match later.note {
            Some(note) => format!("{repeat}; {note}"),
            None => repeat,
        }),
        ..later
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(text: &str) -> Vec<(String, Type)> {
        LogFormat::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .fields()
            .iter()
            .map(|f| (f.label.clone(), f.ty))
            .collect()
    }

    fn error(text: &str) -> String {
        LogFormat::parse(text).unwrap_err()
    }

    #[test]
    fn a_repeated_label_keeps_its_first_place_and_takes_the_last_directive() {
        // As a line's repeated label does: one column, where it first
        // appears, of the type of the value that wins, the last.
        let format = LogFormat::parse(r"runtime:%D\tstatus:%>s\truntime:%{X-Runtime}o").unwrap();
        let fields: Vec<_> = format
            .fields()
            .iter()
            .map(|f| (f.label.as_str(), f.template.as_str(), f.ty))
            .collect();
        assert_eq!(
            fields,
            [
                ("runtime", "%{X-Runtime}o", Type::String),
                ("status", "%>s", Type::Integer)
            ]
        );
        assert_eq!(
            format.fields()[0].note.as_deref(),
            Some(
                r#"label "runtime" appears more than once: its values are the last one's, "%{X-Runtime}o""#
            )
        );
        assert_eq!(format.fields()[1].note, None);
        // Three times, the last a time the reader cannot read: both said.
        let format = LogFormat::parse(r"t:%s\tt:%t\tt:%{%d/%b/%Y %T}t").unwrap();
        assert_eq!(format.fields().len(), 1);
        assert_eq!(format.fields()[0].ty, Type::String);
        assert_eq!(
            format.fields()[0].note.as_deref(),
            Some(
                r#"label "t" appears more than once: its values are the last one's, "%{%d/%b/%Y %T}t"; %{%d/%b/%Y %T}t is not a time format the function reads with its UTC offset, so its values stay strings"#
            )
        );
    }

    #[test]
    fn labels_keep_their_case_dashes_and_dots() {
        assert_eq!(
            types(r"X-Forwarded-For:%{X-Forwarded-For}i\ta.b:%>s"),
            [
                ("X-Forwarded-For".to_owned(), Type::String),
                ("a.b".to_owned(), Type::Integer)
            ]
        );
    }

    #[test]
    fn formats_that_cannot_be_read_say_where() {
        assert_eq!(error(r"time:%t\tstatus"), r#"field 2 "status" has no ':'"#);
        assert_eq!(
            error(r"time:%t\tst atus:%s"),
            r#"field 2 has label "st atus", not of [0-9A-Za-z_.-]"#
        );
        assert_eq!(
            error(r"a:%{User-Agent"),
            r#""%{User-Agent" has no closing '}'"#
        );
        assert_eq!(error("a:%"), r#""%" is not a directive"#);
        assert_eq!(error("a:%-"), r#""%-" is not a directive"#);
        assert_eq!(error(r#"LogFormat "a:%s"#), "a \" quote is not closed");
        assert_eq!(
            error(r#"LogFormat "a:%s" ltsv extra"#),
            "LogFormat takes a format and a nickname"
        );
        assert_eq!(error("log_format ltsv;"), "log_format has no format string");
        assert_eq!(
            error("log_format x escape=html 'a:$status';"),
            "escape=html is not default, json or none"
        );
        assert_eq!(error(""), "no label:value field");
        assert_eq!(error(r"\t\t"), "no label:value field");
    }
}
