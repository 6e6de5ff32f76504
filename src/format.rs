//! A web server's own log format line (`LTSV_LOG_FORMAT`): the labels it
//! writes and, from each label's directive, the type of its values.
//!
//! It takes the line as written in the server's configuration: Apache's
//! `LogFormat "…" nickname` or its string, or nginx's
//! `log_format name [escape=…] '…' '…';` or its string.
//!
//! ```
//! use firehose_ltsv::{LogFormat, Type};
//!
//! let format = LogFormat::parse(r#"LogFormat "time:%t\tstatus:%>s\tua:%{User-Agent}i" ltsv"#).unwrap();
//! let labels: Vec<_> = format.fields().iter().map(|f| (f.label.as_str(), f.ty)).collect();
//! assert_eq!(labels, [("time", Type::Time), ("status", Type::Integer), ("ua", Type::String)]);
//! ```

use crate::ltsv::is_label_byte;
use crate::value::{Type, Unescape};

/// Which server wrote the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// Apache httpd's `LogFormat`, with `%` directives.
    Apache,
    /// nginx's `log_format`, with `$` variables.
    Nginx,
}

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
    /// Why a time directive is left a string, when it is.
    pub note: Option<String>,
}

/// A parsed log format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFormat {
    server: Server,
    fields: Vec<FormatField>,
    /// nginx's `escape=` parameter, when given.
    escape: Option<Unescape>,
}

impl LogFormat {
    /// Reads a format line as written in the server's configuration. The
    /// error says what part could not be read.
    pub fn parse(text: &str) -> Result<LogFormat, String> {
        let (server, strings, escape) = directive(without_comment_lines(text))?;
        let format = tabs(&strings);
        let server = server.unwrap_or(if format.contains('$') && !format.contains('%') {
            Server::Nginx
        } else {
            Server::Apache
        });
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

    /// How the server escapes values: nginx's `escape=`, else its default
    /// (and Apache's): `\xHH` and backslash escapes.
    pub fn unescape(&self) -> Unescape {
        self.escape.unwrap_or(Unescape::Escapes)
    }
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

/// `text` without the comment lines before it, which both servers'
/// configuration files allow, trimmed.
fn without_comment_lines(text: &str) -> &str {
    let mut text = text.trim();
    while text.starts_with('#') {
        text = text.split_once('\n').map_or("", |(_, rest)| rest).trim();
    }
    text
}

/// The server (when the line names its directive), the format's strings
/// joined, and nginx's `escape=`.
fn directive(text: &str) -> Result<(Option<Server>, String, Option<Unescape>), String> {
    let word_end = text.find(char::is_whitespace).unwrap_or(text.len());
    let (word, rest) = text.split_at(word_end);
    if word.eq_ignore_ascii_case("LogFormat") {
        let words = words(rest, Syntax::Apache)?;
        // The format, then the nickname, if any.
        return match words.as_slice() {
            [format] | [format, _] => Ok((Some(Server::Apache), format.clone(), None)),
            _ => Err("LogFormat takes a format and a nickname".to_owned()),
        };
    }
    if word == "log_format" {
        let mut words = words(rest, Syntax::Nginx)?.into_iter();
        words.next().ok_or("log_format has no name")?;
        let mut escape = None;
        let mut strings = Vec::new();
        for word in words {
            match word.strip_prefix("escape=") {
                Some(value) if strings.is_empty() && escape.is_none() => {
                    escape = Some(match value {
                        "default" => Unescape::Escapes,
                        "json" => Unescape::Json,
                        "none" => Unescape::Off,
                        other => {
                            return Err(format!("escape={other} is not default, json or none"));
                        }
                    });
                }
                _ => strings.push(word),
            }
        }
        if strings.is_empty() {
            return Err("log_format has no format string".to_owned());
        }
        return Ok((Some(Server::Nginx), strings.concat(), escape));
    }
    // Only the string: quoted (and, for nginx, several), or bare.
    if text.starts_with(['"', '\'']) {
        return Ok((None, words(text, Syntax::Nginx)?.concat(), None));
    }
    Ok((None, text.to_owned(), None))
}

/// How a server's configuration file splits a directive's arguments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// Apache's: a directive is one line, and `#` is text.
    Apache,
    /// nginx's: a `#` that starts a word starts a comment, to the end of
    /// its line, and `;` ends the directive.
    Nginx,
}

/// The whitespace-separated words of a directive's arguments, quoted ones
/// unquoted with the escapes Apache's and nginx's configuration parsers
/// decode inside quotes (`\"`, `\'`, `\\`); `\t` and the like are left for
/// [`tabs`].
fn words(text: &str, syntax: Syntax) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = text.trim().chars().peekable();
    while let Some(&first) = chars.peek() {
        if first.is_whitespace() {
            chars.next();
            continue;
        }
        if syntax == Syntax::Nginx && first == '#' {
            chars.by_ref().find(|&c| c == '\n');
            continue;
        }
        if syntax == Syntax::Nginx && first == ';' {
            chars.next();
            return match chars.find(|c| !c.is_whitespace()) {
                None | Some('#') => Ok(words),
                Some(_) => Err("text after the directive's ';'".to_owned()),
            };
        }
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(format!("a {first} quote is not closed")),
                    Some(c) if c == first => break,
                    Some('\\') => match chars.next() {
                        Some(c @ ('"' | '\'' | '\\')) => word.push(c),
                        Some(c) => {
                            word.push('\\');
                            word.push(c);
                        }
                        None => return Err(format!("a {first} quote is not closed")),
                    },
                    Some(c) => word.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || (syntax == Syntax::Nginx && c == ';') {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        words.push(word);
    }
    Ok(words)
}

/// `text` with each two-character `\t` made a TAB, as both servers do.
fn tabs(text: &str) -> String {
    text.replace("\\t", "\t")
}

/// The type of an Apache field's values, from its template: the
/// directive's type when the template is exactly one directive.
fn apache_type(template: &str) -> Result<(Type, Option<String>), String> {
    let directives = apache_directives(template)?;
    match directives.as_slice() {
        [directive] if directive.whole => Ok(directive_type(directive)),
        _ => Ok((Type::String, None)),
    }
}

/// One `%` directive: its parameter (the text in braces), its letter, and
/// whether it is the whole template.
#[derive(Debug)]
struct Directive<'a> {
    param: Option<&'a str>,
    letter: &'a str,
    whole: bool,
}

/// The directives of an Apache template, in order: `%` and optional
/// status conditions (`400,501` or `!200`), `<` or `>`, `{param}`, then
/// a letter (or `^ti` / `^to`). `%%` is a literal percent sign.
fn apache_directives(template: &str) -> Result<Vec<Directive<'_>>, String> {
    let mut directives = Vec::new();
    let mut rest = template;
    let mut literal = false;
    while let Some(at) = rest.find('%') {
        literal |= at > 0;
        let after = &rest[at + 1..];
        if let Some(after) = after.strip_prefix('%') {
            literal = true;
            rest = after;
            continue;
        }
        let after = after.trim_start_matches(|c: char| c == '!' || c == ',' || c.is_ascii_digit());
        let after = after.trim_start_matches(['<', '>']);
        let (param, after) = match after.strip_prefix('{') {
            Some(inner) => {
                let close = inner
                    .find('}')
                    .ok_or_else(|| format!("{:?} has no closing '}}'", &rest[at..]))?;
                (Some(&inner[..close]), &inner[close + 1..])
            }
            None => (None, after),
        };
        let letter_len = match after.as_bytes() {
            [b'^', b't', b'i' | b'o', ..] => 3,
            [c, ..] if c.is_ascii_alphabetic() => 1,
            _ => return Err(format!("{:?} is not a directive", &rest[at..])),
        };
        directives.push(Directive {
            param,
            letter: &after[..letter_len],
            whole: false,
        });
        rest = &after[letter_len..];
    }
    literal |= !rest.is_empty();
    if let [only] = directives.as_mut_slice() {
        only.whole = !literal;
    }
    Ok(directives)
}

/// The type of one whole Apache directive, and why a time is a string.
fn directive_type(directive: &Directive) -> (Type, Option<String>) {
    let param = directive.param;
    let ty = match (directive.letter, param) {
        ("s" | "b" | "B" | "D" | "I" | "O" | "S" | "k", _) => Type::Integer,
        ("T", None | Some("ms" | "us" | "s")) => Type::Integer,
        ("p", _) => Type::Integer,
        ("P", None | Some("pid" | "tid")) => Type::Integer,
        ("t", None) => Type::Time,
        ("t", Some(format)) => return time_type(format),
        _ => Type::String,
    };
    (ty, None)
}

/// The type of `%{format}t`: an epoch in its unit, or a time the time
/// reader understands, or else a string, with the reason.
fn time_type(format: &str) -> (Type, Option<String>) {
    let format = format
        .strip_prefix("begin:")
        .or_else(|| format.strip_prefix("end:"))
        .unwrap_or(format);
    let ty = match format {
        "sec" | "%s" => Type::Time,
        "msec" => Type::TimeMsec,
        "usec" => Type::TimeUsec,
        _ if understood_strftime(format) => Type::Time,
        _ => {
            let note = format!(
                "%{{{format}}}t is not a time format the function reads with its UTC offset, so its values stay strings"
            );
            return (Type::String, Some(note));
        }
    };
    (ty, None)
}

/// Whether values written by strftime `format` are times the time reader
/// reads, with their UTC offset.
fn understood_strftime(format: &str) -> bool {
    let format = format.replace("%F", "%Y-%m-%d").replace("%T", "%H:%M:%S");
    let format = format
        .strip_prefix('[')
        .and_then(|f| f.strip_suffix(']'))
        .unwrap_or(&format);
    matches!(
        format,
        "%d/%b/%Y:%H:%M:%S %z"
            | "%Y-%m-%dT%H:%M:%S%z"
            | "%Y-%m-%d %H:%M:%S%z"
            | "%Y-%m-%dT%H:%M:%SZ"
            | "%Y-%m-%d %H:%M:%SZ"
    )
}

/// The type of an nginx field's values, from its template: the variable's
/// type when the template is exactly one variable.
fn nginx_type(template: &str) -> Type {
    let name = template
        .strip_prefix("${")
        .and_then(|t| t.strip_suffix('}'))
        .or_else(|| template.strip_prefix('$'));
    match name {
        Some(
            "status"
            | "body_bytes_sent"
            | "bytes_sent"
            | "request_length"
            | "connection"
            | "connection_requests"
            | "server_port"
            | "remote_port"
            | "pid",
        ) => Type::Integer,
        Some("request_time") => Type::Float,
        Some("time_local" | "time_iso8601" | "msec") => Type::Time,
        _ => Type::String,
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

    fn type_of(template: &str) -> Type {
        let format = LogFormat::parse(&format!("x:{template}")).unwrap();
        format.fields()[0].ty
    }

    fn error(text: &str) -> String {
        LogFormat::parse(text).unwrap_err()
    }

    #[test]
    fn every_apache_directive_has_its_type() {
        for integer in [
            "%>s",
            "%s",
            "%<s",
            "%b",
            "%B",
            "%D",
            "%T",
            "%{ms}T",
            "%{us}T",
            "%{s}T",
            "%I",
            "%O",
            "%S",
            "%k",
            "%p",
            "%{canonical}p",
            "%{local}p",
            "%{remote}p",
            "%P",
            "%{pid}P",
            "%{tid}P",
        ] {
            assert_eq!(type_of(integer), Type::Integer, "{integer}");
        }
        for (time, ty) in [
            ("%t", Type::Time),
            ("%{sec}t", Type::Time),
            ("%{msec}t", Type::TimeMsec),
            ("%{usec}t", Type::TimeUsec),
            ("%{begin:msec}t", Type::TimeMsec),
            ("%{end:usec}t", Type::TimeUsec),
            ("%{%d/%b/%Y:%H:%M:%S %z}t", Type::Time),
            ("%{[%d/%b/%Y:%H:%M:%S %z]}t", Type::Time),
            ("%{%Y-%m-%dT%H:%M:%S%z}t", Type::Time),
            ("%{%FT%T%z}t", Type::Time),
            ("%{%F %T%z}t", Type::Time),
            ("%{%s}t", Type::Time),
        ] {
            assert_eq!(type_of(time), ty, "{time}");
        }
        for string in [
            "%h",
            "%a",
            "%{c}a",
            "%A",
            "%r",
            "%U",
            "%q",
            "%H",
            "%m",
            "%u",
            "%l",
            "%v",
            "%V",
            "%f",
            "%{Referer}i",
            "%{X-Runtime}o",
            "%{cookie}C",
            "%{VAR}e",
            "%{note}n",
            "%{hextid}P",
            "%{ms}X",
            "%X",
            "%L",
            "%R",
            "%^ti",
            "%{x}^to",
            "%400,501{User-agent}i",
            "%!200,304{Referer}i",
            "%{%d/%b/%Y %T}t",
            "%{msec_frac}t",
            "%{X}i-%{Y}i",
            "[%t]",
            "#%>s",
            "%Ds",
            "%%",
            "100%%",
            "literal",
        ] {
            assert_eq!(type_of(string), Type::String, "{string}");
        }
        // Status conditions do not change an integer directive's type.
        assert_eq!(type_of("%!200b"), Type::Integer);
    }

    #[test]
    fn a_time_format_the_reader_cannot_read_says_so() {
        let format = LogFormat::parse("t:%{%d/%b/%Y %H:%M:%S}t").unwrap();
        let field = &format.fields()[0];
        assert_eq!(field.ty, Type::String);
        assert_eq!(
            field.note.as_deref(),
            Some(
                "%{%d/%b/%Y %H:%M:%S}t is not a time format the function reads with its UTC offset, so its values stay strings"
            )
        );
        assert_eq!(LogFormat::parse("t:%t").unwrap().fields()[0].note, None);
    }

    #[test]
    fn every_nginx_variable_has_its_type() {
        for integer in [
            "$status",
            "$body_bytes_sent",
            "$bytes_sent",
            "$request_length",
            "$connection",
            "$connection_requests",
            "$server_port",
            "$remote_port",
            "$pid",
            "${status}",
        ] {
            assert_eq!(type_of(integer), Type::Integer, "{integer}");
        }
        assert_eq!(type_of("$request_time"), Type::Float);
        for time in ["$time_local", "$time_iso8601", "$msec"] {
            assert_eq!(type_of(time), Type::Time, "{time}");
        }
        for string in [
            "$remote_addr",
            "$request",
            "$http_user_agent",
            "$upstream_response_time",
            "$upstream_status",
            "$upstream_connect_time",
            "$status$status",
            "$status ms",
            "${status}x",
            "$",
        ] {
            assert_eq!(type_of(string), Type::String, "{string}");
        }
    }

    #[test]
    fn apache_lines_strings_and_bare_formats_read_alike() {
        let expected = vec![
            ("time".to_owned(), Type::Time),
            ("status".to_owned(), Type::Integer),
        ];
        for text in [
            r#"LogFormat "time:%t\tstatus:%>s" ltsv"#,
            r#"logformat "time:%t\tstatus:%>s""#,
            r#""time:%t\tstatus:%>s""#,
            r"time:%t\tstatus:%>s",
            "time:%t\tstatus:%>s",
            "  time:%t\t\tstatus:%>s\t ",
        ] {
            let format = LogFormat::parse(text).unwrap();
            assert_eq!(format.server(), Server::Apache, "{text}");
            assert_eq!(types(text), expected, "{text}");
        }
        // A bare string is nginx's only with a `$` and no `%`.
        for text in ["price:$5\tstatus:%>s", "a:b"] {
            let format = LogFormat::parse(text).unwrap();
            assert_eq!(format.server(), Server::Apache, "{text}");
        }
        let quoted = LogFormat::parse(r#"LogFormat "ua:\"%{User-Agent}i\"" x"#).unwrap();
        assert_eq!(quoted.fields()[0].template, "\"%{User-Agent}i\"");
    }

    #[test]
    fn nginx_directives_join_their_strings_and_set_the_escaping() {
        let text = "log_format ltsv escape=json 'time:$time_local\\t'\n    'status:$status\\t'\n    \"reqtime:$request_time\";";
        let format = LogFormat::parse(text).unwrap();
        assert_eq!(format.server(), Server::Nginx);
        assert_eq!(format.unescape(), Unescape::Json);
        assert_eq!(
            types(text),
            [
                ("time".to_owned(), Type::Time),
                ("status".to_owned(), Type::Integer),
                ("reqtime".to_owned(), Type::Float)
            ]
        );
        let none = LogFormat::parse("log_format x escape=none 'a:$status';").unwrap();
        assert_eq!(none.unescape(), Unescape::Off);
        let default = LogFormat::parse("log_format x 'a:$status';").unwrap();
        assert_eq!(default.unescape(), Unescape::Escapes);
        // As in nginx, only the word after the name can set the escaping;
        // later, `escape=` is part of the format.
        let late = LogFormat::parse("log_format x 'a:$status\\tb:' escape=json;").unwrap();
        assert_eq!(late.unescape(), Unescape::Escapes);
        assert_eq!(late.fields()[1].template, "escape=json");
        // Its string alone, or several, is nginx's too.
        let strings = LogFormat::parse("'a:$status\\t' 'b:$msec'").unwrap();
        assert_eq!(strings.server(), Server::Nginx);
        assert_eq!(strings.fields().len(), 2);
        assert_eq!(
            LogFormat::parse("a:$status").unwrap().server(),
            Server::Nginx
        );
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
    fn nginx_comments_between_strings_are_left_out() {
        // As nginx reads its configuration: a `#` that starts a word starts
        // a comment, to the end of its line; inside a string it is text.
        let text = "log_format ltsv 'time:$time_local'\n                # '\\thost:$remote_addr'\n                '\\tstatus:$status' # trailing\n   '\\turi:$uri#frag' ; # after\n";
        let format = LogFormat::parse(text).unwrap();
        let fields: Vec<_> = format
            .fields()
            .iter()
            .map(|f| (f.label.as_str(), f.template.as_str(), f.ty))
            .collect();
        assert_eq!(
            fields,
            [
                ("time", "$time_local", Type::Time),
                ("status", "$status", Type::Integer),
                ("uri", "$uri#frag", Type::String)
            ]
        );
        // A `#` inside a word is text; after the `;` only a comment may follow.
        let inner = LogFormat::parse("log_format x a:$status#1;").unwrap();
        assert_eq!(inner.fields()[0].template, "$status#1");
        assert_eq!(
            error("log_format x 'a:$status';\naccess_log /var/log/x.log x;"),
            "text after the directive's ';'"
        );
        // Comment lines before the directive, as pasted from a file.
        let commented = "# LTSV, for alp\n#\nlog_format x 'a:$status';";
        assert_eq!(LogFormat::parse(commented).unwrap().fields().len(), 1);
        // Apache has no comments inside a directive: a `#` there is text.
        let apache = LogFormat::parse(r#"LogFormat "a:%s\tb:#%s" x"#).unwrap();
        assert_eq!(apache.fields()[1].template, "#%s");
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
