//! A format as its server's configuration file writes it: Apache's
//! `LogFormat` line, nginx's `log_format` directive (comments and all), or
//! the string alone; what is left is the format's text, with its TABs.

use crate::values::escapes::Unescape;

/// Which server wrote the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// Apache httpd's `LogFormat`, with `%` directives.
    Apache,
    /// nginx's `log_format`, with `$` variables.
    Nginx,
    /// h2o's `access-log` `format`: Apache's `%` directives, less some,
    /// and its own `%{…}x` extensions.
    H2o,
}

/// A format as its configuration writes it, read.
#[derive(Debug)]
pub(super) struct Written {
    /// The server, when the text names its directive.
    pub(super) server: Option<Server>,
    /// The format's text: strings joined, with TABs where the
    /// configuration means them.
    pub(super) format: String,
    /// How the server escapes values, when the text says.
    pub(super) escape: Option<Unescape>,
}

/// Reads `text`: comment lines before it are skipped, as both servers'
/// configuration files allow.
pub(super) fn read(text: &str) -> Result<Written, String> {
    let text = without_comment_lines(text);
    let word_end = text
        .find(|c: char| c.is_whitespace() || c == ':')
        .unwrap_or(text.len());
    let (word, rest) = text.split_at(word_end);
    let written = |server, strings: String, escape| Written {
        server,
        format: tabs(&strings),
        escape,
    };
    if word.eq_ignore_ascii_case("LogFormat") {
        // A line that ends in `\` goes on on the next.
        let words = words(&rest.replace("\\\n", ""), Syntax::Apache)?;
        // The format, then the nickname, if any.
        return match words.as_slice() {
            [format] | [format, _] => Ok(written(Some(Server::Apache), format.clone(), None)),
            _ => Err("LogFormat takes a format and a nickname".to_owned()),
        };
    }
    if word == "log_format" {
        let (strings, escape) = log_format(rest)?;
        return Ok(written(Some(Server::Nginx), strings, escape));
    }
    if matches!(word, "access-log" | "format" | "escape") && rest.starts_with(':') {
        return h2o(text);
    }
    // Only the string: quoted (and, for nginx, several), or bare.
    if text.starts_with(['"', '\'']) {
        return Ok(written(None, words(text, Syntax::Nginx)?.concat(), None));
    }
    Ok(written(None, text.to_owned(), None))
}

fn without_comment_lines(text: &str) -> &str {
    let mut text = text.trim();
    while text.starts_with('#') {
        text = text.split_once('\n').map_or("", |(_, rest)| rest).trim();
    }
    text
}

/// The arguments of nginx's `log_format` after its name: the strings
/// joined, and `escape=`.
fn log_format(arguments: &str) -> Result<(String, Option<Unescape>), String> {
    let mut words = words(arguments, Syntax::Nginx)?.into_iter();
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
                    other => return Err(format!("escape={other} is not default, json or none")),
                });
            }
            _ => strings.push(word),
        }
    }
    if strings.is_empty() {
        return Err("log_format has no format string".to_owned());
    }
    Ok((strings.concat(), escape))
}

/// h2o's `access-log:` mapping (YAML), or its `format:` line: the format
/// is the `format:` value, and `escape:` says how values are escaped.
/// h2o reads no escapes in the format itself: its TABs are YAML's.
fn h2o(text: &str) -> Result<Written, String> {
    let (mut format, mut escape) = (None, None);
    for line in text.lines() {
        let line = line.trim_start().trim_start_matches("- ");
        if let Some(value) = line.strip_prefix("format:") {
            format = Some(yaml_scalar(value).map_err(|why| format!("h2o's format: {why}"))?);
        } else if let Some(value) = line.strip_prefix("escape:") {
            escape = Some(match yaml_scalar(value)?.as_str() {
                "apache" => Unescape::Escapes,
                // h2o writes each byte above 0x7e as its own \u00NN, so
                // UTF-8 text would be read back as Latin-1: refused, rather
                // than turned into other characters.
                "json" => {
                    return Err(
                        "h2o's escape: json writes each byte of UTF-8 text as its own \\u00NN, \
                         which no LTSV_UNESCAPE mode reads back; use escape: apache, h2o's default"
                            .to_owned(),
                    );
                }
                other => return Err(format!("h2o's escape: {other} is not apache or json")),
            });
        }
    }
    let format = format.ok_or("h2o's access-log has no format:")?;
    Ok(Written {
        server: Some(Server::H2o),
        format,
        escape,
    })
}

/// A YAML scalar on one line: double-quoted with YAML's escapes,
/// single-quoted with `''` for a quote, or plain, up to a ` #` comment.
fn yaml_scalar(text: &str) -> Result<String, String> {
    let text = text.trim();
    let mut chars = text.chars();
    let (value, rest) = match chars.next() {
        Some('"') => {
            let mut value = String::new();
            loop {
                match chars.next() {
                    None => return Err("the \" string is not closed on its line".to_owned()),
                    Some('"') => break,
                    Some('\\') => value.push(yaml_escape(&mut chars)?),
                    Some(c) => value.push(c),
                }
            }
            (value, chars.as_str())
        }
        Some('\'') => {
            let mut value = String::new();
            loop {
                match chars.next() {
                    None => return Err("the ' string is not closed on its line".to_owned()),
                    Some('\'') if chars.as_str().starts_with('\'') => {
                        chars.next();
                        value.push('\'');
                    }
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
            (value, chars.as_str())
        }
        _ => {
            let end = text.find(" #").unwrap_or(text.len());
            (text[..end].trim_end().to_owned(), "")
        }
    };
    match rest.trim_start() {
        "" => Ok(value),
        rest if rest.starts_with('#') => Ok(value),
        rest => Err(format!("text after the string: {rest:?}")),
    }
}

/// The character a YAML double-quoted escape stands for, its backslash
/// taken.
fn yaml_escape(chars: &mut std::str::Chars) -> Result<char, String> {
    let hex = |chars: &mut std::str::Chars, digits: usize| {
        let code: String = chars.take(digits).collect();
        u32::from_str_radix(&code, 16)
            .ok()
            .filter(|_| code.len() == digits)
            .and_then(char::from_u32)
            .ok_or_else(|| format!("a YAML escape has bad hex digits {code:?}"))
    };
    Ok(match chars.next() {
        Some('t' | '\t') => '\t',
        Some('n') => '\n',
        Some('r') => '\r',
        Some('0') => '\0',
        Some('"') => '"',
        Some('\\') => '\\',
        Some('/') => '/',
        Some(' ') => ' ',
        Some('x') => hex(chars, 2)?,
        Some('u') => hex(chars, 4)?,
        Some('U') => hex(chars, 8)?,
        Some(other) => {
            return Err(format!(
                "the YAML escape \\{other} is not one h2o formats use"
            ));
        }
        None => return Err("the \" string is not closed on its line".to_owned()),
    })
}

/// How a server's configuration file splits a directive's arguments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// Apache's: a directive is one line (lines that end in `\` joined),
    /// and `#` is text.
    Apache,
    /// nginx's: a `#` that starts a word starts a comment, to the end of
    /// its line, and `;` ends the directive (what follows it is left out).
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
        // The directive ends here; what follows is other directives.
        if syntax == Syntax::Nginx && first == ';' {
            return Ok(words);
        }
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(format!("a {first} quote is not closed")),
                    Some('\n') if syntax == Syntax::Apache => {
                        return Err(format!(
                            "a {first} quote is not closed on its line: Apache reads a \
                             directive from one line (end a line with \\ to go on)"
                        ));
                    }
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

#[cfg(test)]
mod tests {
    use super::super::*;

    fn types(text: &str) -> Vec<(String, Type)> {
        LogFormat::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .fields()
            .iter()
            .map(|f| (f.label.clone(), f.ty))
            .collect()
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
        let continued = "LogFormat \"time:%t\\tstatus:\\\n%>s\" \\\n ltsv";
        assert_eq!(types(continued), expected);
        assert_eq!(
            LogFormat::parse("LogFormat \"time:%t\\tstatus:\n%>s\" ltsv").unwrap_err(),
            "a \" quote is not closed on its line: Apache reads a directive from one line (end a line with \\ to go on)"
        );
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
        // A `#` inside a word is text; the directive ends at its `;`, and
        // the directives after it, pasted along, are left out.
        let inner = LogFormat::parse("log_format x a:$status#1;").unwrap();
        assert_eq!(inner.fields()[0].template, "$status#1");
        let pasted = "log_format x 'a:$status'\n;\naccess_log /var/log/x.log x;";
        assert_eq!(LogFormat::parse(pasted).unwrap().fields().len(), 1);
        // Comment lines before the directive, as pasted from a file.
        let commented = "# LTSV, for alp\n#\nlog_format x 'a:$status';";
        assert_eq!(LogFormat::parse(commented).unwrap().fields().len(), 1);
        // nginx's strings may go on over lines, where Apache's may not.
        let spanning = LogFormat::parse("log_format x 'a:$status\tb:\n$uri';").unwrap();
        assert_eq!(spanning.fields()[1].template, "\n$uri");
        // Apache has no comments inside a directive: a `#` there is text.
        let apache = LogFormat::parse(r#"LogFormat "a:%s\tb:#%s" x"#).unwrap();
        assert_eq!(apache.fields()[1].template, "#%s");
    }

    #[test]
    fn h2o_mappings_and_format_lines_read_as_yaml_does() {
        let fields = |text: &str| {
            let format = LogFormat::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(format.server(), Server::H2o, "{text}");
            format
                .fields()
                .iter()
                .map(|f| (f.label.clone(), f.template.clone()))
                .collect::<Vec<_>>()
        };
        let expected = vec![
            ("time".to_owned(), "%t".to_owned()),
            ("ua".to_owned(), "\"%{User-agent}i\"".to_owned()),
            ("apptime".to_owned(), "%{duration}x".to_owned()),
        ];
        for text in [
            // A double-quoted YAML string: its `\t` is a TAB, its `\"` a quote.
            "access-log:\n  path: /var/log/h2o/access.log\n  format: \"time:%t\\tua:\\\"%{User-agent}i\\\"\\tapptime:%{duration}x\" # ltsv\n",
            "format: \"time:%t\\tua:\\\"%{User-agent}i\\\"\\x09apptime:%{duration}x\"",
            "# h2o\naccess-log:\n  - path: /x\n    format: \"time:%t\\u0009ua:\\\"%{User-agent}i\\\"\\tapptime:%{duration}x\"",
            // Single-quoted and plain strings take no escapes: real TABs.
            "format: 'time:%t\tua:\"%{User-agent}i\"\tapptime:%{duration}x'",
            "format: time:%t\tua:\"%{User-agent}i\"\tapptime:%{duration}x",
        ] {
            assert_eq!(fields(text), expected, "{text}");
        }
        // h2o reads no `\t` of its own: in single quotes it stays text, and
        // here is one field.
        assert_eq!(fields(r"format: 'a:%s\tb:%b'").len(), 1);
        assert_eq!(fields("format: 'a:it''s %s'")[0].1, "it's %s");
        let escape = |text: &str| LogFormat::parse(text).unwrap().unescape();
        assert_eq!(escape("format: 'a:%s'\nescape: apache"), Unescape::Escapes);
        assert_eq!(escape("format: 'a:%s'"), Unescape::Escapes);
    }

    #[test]
    fn h2o_text_that_cannot_be_read_says_why() {
        let error = |text: &str| LogFormat::parse(text).unwrap_err();
        assert_eq!(
            error("access-log:\n  path: /x"),
            "h2o's access-log has no format:"
        );
        assert_eq!(
            error("format: \"a:%s"),
            "h2o's format: the \" string is not closed on its line"
        );
        assert_eq!(
            error("format: \"a:%s\" x"),
            "h2o's format: text after the string: \"x\""
        );
        assert_eq!(
            error(r#"format: "a:\q""#),
            r"h2o's format: the YAML escape \q is not one h2o formats use"
        );
        assert_eq!(
            error(r#"format: "a:\xZZ""#),
            r#"h2o's format: a YAML escape has bad hex digits "ZZ""#
        );
        assert_eq!(
            error("format: 'a:%s'\nescape: html"),
            "h2o's escape: html is not apache or json"
        );
        assert!(
            error("format: 'a:%s'\nescape: json").starts_with(
                "h2o's escape: json writes each byte of UTF-8 text as its own \\u00NN"
            )
        );
    }
}
