//! The type of a field's values, from the directive that writes them:
//! Apache's `%` directives, nginx's `$` variables, h2o's `%` directives
//! and `%{…}x` extensions.

use crate::values::types::Type;

/// The type of an Apache field's values, from its template: the
/// directive's type when the template is exactly one directive.
pub(super) fn apache_type(template: &str) -> Result<(Type, Option<String>), String> {
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
    strftime_type(format)
}

/// The type of `%{format}t` without Apache's `begin:` and `end:`, which
/// h2o does not have.
fn strftime_type(format: &str) -> (Type, Option<String>) {
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
            | "%Y-%m-%dT%H:%M:%S %z"
            | "%Y-%m-%d %H:%M:%S %z"
            | "%Y-%m-%dT%H:%M:%SZ"
            | "%Y-%m-%d %H:%M:%SZ"
    )
}

/// The type of an h2o field's values, from its template: the directive's
/// type when the template is exactly one directive. h2o refuses a format
/// with a directive it does not have (Apache's `%D`, `%T`, `%B`, …), and
/// so does this.
pub(super) fn h2o_type(template: &str) -> Result<(Type, Option<String>), String> {
    let directives = apache_directives(template)?;
    for directive in &directives {
        let known = match directive.param {
            None => "AbHhlmpqrstUuVv".contains(directive.letter),
            Some(_) => "eiopxt".contains(directive.letter),
        };
        if !known || directive.letter.len() != 1 {
            let hint = match directive.letter {
                "D" | "T" => " (%{duration}x is the time taken, in seconds)",
                _ => "",
            };
            return Err(format!(
                "%{}{} is not an h2o directive{hint}",
                directive
                    .param
                    .map_or(String::new(), |p| format!("{{{p}}}")),
                directive.letter
            ));
        }
    }
    let [directive] = directives.as_slice() else {
        return Ok((Type::String, None));
    };
    if !directive.whole {
        return Ok((Type::String, None));
    }
    Ok(match (directive.letter, directive.param) {
        ("s" | "b" | "p", _) => (Type::Integer, None),
        ("t", None) => (Type::Time, None),
        ("t", Some(format)) => strftime_type(format),
        ("x", Some(name)) => (h2o_extension(name).unwrap_or(Type::String), None),
        _ => (Type::String, None),
    })
}

/// Whether `name` is one of h2o's `%{name}x` extensions.
pub(super) fn is_h2o_extension(name: &str) -> bool {
    h2o_extension(name).is_some()
}

/// h2o's durations: seconds, with a fraction.
const SECONDS: [&str; 14] = [
    "connect-time",
    "request-header-time",
    "request-body-time",
    "request-total-time",
    "process-time",
    "response-time",
    "duration",
    "total-time",
    "proxy.idle-time",
    "proxy.connect-time",
    "proxy.request-time",
    "proxy.process-time",
    "proxy.response-time",
    "proxy.total-time",
];
/// h2o's counts, and its `1`-or-`0` flags.
const COUNTS: [&str; 28] = [
    "connection-id",
    "request-id",
    "request-header-bytes",
    "request-header-text-bytes",
    "request-header-count",
    "request-body-bytes",
    "response-header-bytes",
    "response-header-text-bytes",
    "response-header-count",
    "proxy.request-bytes",
    "proxy.request-bytes-header",
    "proxy.request-bytes-body",
    "proxy.response-bytes",
    "proxy.response-bytes-header",
    "proxy.response-bytes-body",
    "ssl.session-reused",
    "ssl.cipher-bits",
    "ssl.ech.cipher-bits",
    "proxy.ssl.session-reused",
    "proxy.ssl.cipher-bits",
    "http1.request-index",
    "http2.stream-id",
    "http2.priority.received.exclusive",
    "http2.priority.received.parent",
    "http2.priority.received.weight",
    "http2.priority.actual.parent",
    "http2.priority.actual.weight",
    "http3.stream-id",
];
/// h2o's extensions of text.
const TEXT: [&str; 17] = [
    "error",
    "ssl.protocol-version",
    "ssl.session-id",
    "ssl.cipher",
    "ssl.server-name",
    "ssl.negotiated-protocol",
    "ssl.backend",
    "ssl.ech.config-id",
    "ssl.ech.kem",
    "ssl.ech.cipher",
    "proxy.ssl.protocol-version",
    "proxy.ssl.cipher",
    "http2.priority.received",
    "http2.priority.actual",
    "http3.quic-stats",
    "http3.quic-version",
    "cc.name",
];

/// The type of h2o's `%{name}x`, if h2o has it: durations are seconds
/// with a fraction (`0.000123`, or `2` when whole), counts are integers,
/// `ssl.session-reused` is `1` or `0`; the rest is text. Each is `-` when
/// it does not apply.
fn h2o_extension(name: &str) -> Option<Type> {
    if SECONDS.contains(&name) {
        Some(Type::Float)
    } else if COUNTS.contains(&name) {
        Some(Type::Integer)
    } else if TEXT.contains(&name) {
        Some(Type::String)
    } else {
        None
    }
}

/// The type of an nginx field's values, from its template: the variable's
/// type when the template is exactly one variable.
pub(super) fn nginx_type(template: &str) -> Type {
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
    use super::super::*;

    fn type_of(template: &str) -> Type {
        let format = LogFormat::parse(&format!("x:{template}")).unwrap();
        format.fields()[0].ty
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
            ("%{%Y-%m-%d %H:%M:%S %z}t", Type::Time),
            ("%{%FT%T %z}t", Type::Time),
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
    fn every_h2o_directive_has_its_type() {
        let h2o = |template: &str| {
            let format =
                LogFormat::parse(&format!("format: \"x:{template}\\tt:%{{duration}}x\"")).unwrap();
            assert_eq!(format.server(), Server::H2o);
            (format.fields()[0].ty, format.fields()[0].note.clone())
        };
        for seconds in [
            "connect-time",
            "request-header-time",
            "request-body-time",
            "request-total-time",
            "process-time",
            "response-time",
            "duration",
            "total-time",
            "proxy.idle-time",
            "proxy.connect-time",
            "proxy.request-time",
            "proxy.process-time",
            "proxy.response-time",
            "proxy.total-time",
        ] {
            assert_eq!(
                h2o(&format!("%{{{seconds}}}x")),
                (Type::Float, None),
                "{seconds}"
            );
        }
        for integer in [
            "%s",
            "%>s",
            "%<s",
            "%b",
            "%p",
            "%{local}p",
            "%{remote}p",
            "%{connection-id}x",
            "%{request-body-bytes}x",
            "%{response-header-bytes}x",
            "%{proxy.response-bytes-body}x",
            "%{ssl.session-reused}x",
            "%{ssl.cipher-bits}x",
            "%{http2.stream-id}x",
            "%{http2.priority.received.weight}x",
        ] {
            assert_eq!(h2o(integer), (Type::Integer, None), "{integer}");
        }
        for (time, ty) in [
            ("%t", Type::Time),
            ("%{sec}t", Type::Time),
            ("%{msec}t", Type::TimeMsec),
            ("%{usec}t", Type::TimeUsec),
            ("%{%Y-%m-%dT%H:%M:%S%z}t", Type::Time),
        ] {
            assert_eq!(h2o(time), (ty, None), "{time}");
        }
        for string in [
            "%A",
            "%H",
            "%h",
            "%l",
            "%m",
            "%q",
            "%r",
            "%U",
            "%u",
            "%V",
            "%v",
            "%{HOME}e",
            "%{user-agent}i",
            "%{x-runtime}o",
            "%<{x-runtime}o",
            "%{ssl.protocol-version}x",
            "%{ssl.cipher}x",
            "%{http2.priority.received}x",
            "%{error}x",
            "%{not-an-extension}x",
            "%{msec_frac}t",
            "%{duration}x s",
        ] {
            assert_eq!(h2o(string).0, Type::String, "{string}");
        }
        // h2o has no `begin:`: the whole text goes to strftime, and the
        // values are not times.
        let (ty, note) = h2o("%{begin:msec}t");
        assert_eq!(ty, Type::String);
        assert!(
            note.unwrap()
                .starts_with("%{begin:msec}t is not a time format")
        );
    }

    #[test]
    fn a_directive_h2o_refuses_is_refused() {
        let error =
            |template: &str| LogFormat::parse(&format!("format: 'x:{template}'")).unwrap_err();
        assert_eq!(
            error("%D"),
            "%D is not an h2o directive (%{duration}x is the time taken, in seconds)"
        );
        assert_eq!(
            error("%{ms}T"),
            "%{ms}T is not an h2o directive (%{duration}x is the time taken, in seconds)"
        );
        assert_eq!(error("%B"), "%B is not an h2o directive");
        assert_eq!(error("%{c}a"), "%{c}a is not an h2o directive");
        assert_eq!(error("%{X}^ti"), "%{X}^ti is not an h2o directive");
        assert_eq!(error("a%Ib"), "%I is not an h2o directive");
    }

    #[test]
    fn an_h2o_extension_makes_a_bare_format_h2o() {
        let server = |text: &str| LogFormat::parse(text).unwrap().server();
        assert_eq!(server(r"time:%t\tapptime:%{duration}x"), Server::H2o);
        assert_eq!(server(r"a:%{error}x-%s"), Server::H2o);
        // Apache's mod_ssl has `%{VAR}x` too, for its variables.
        assert_eq!(server(r"time:%t\tproto:%{SSL_PROTOCOL}x"), Server::Apache);
        assert_eq!(server(r"time:%t\tapptime:%D"), Server::Apache);
        // Named by its directive, a format is that server's whatever it uses.
        let apache = LogFormat::parse(r#"LogFormat "a:%{duration}x" x"#).unwrap();
        assert_eq!(apache.server(), Server::Apache);
        assert_eq!(apache.fields()[0].ty, Type::String);
    }
}
