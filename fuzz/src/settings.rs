//! Settings picked by two input bytes, so that every target's input also
//! chooses the configuration it runs under.

use firehose_ltsv::Config;

use crate::redact::{KEY, Redact};

/// An Apache `LogFormat` line with epoch times: `t` milliseconds (the time
/// label), `u` microseconds.
const EPOCH_FORMAT: &str = r#"LogFormat "t:%{msec}t\tu:%{usec}t\tstatus:%>s\tn:%D\tua:%{User-Agent}i\treq:%r\tvhost:%{Host}i" epoch"#;

/// An nginx `log_format` with `escape=json`, over two strings.
const NGINX_JSON_FORMAT: &str = r"log_format j escape=json 'time:$time_iso8601\tstatus:$status\treqtime:$request_time\t' 'ua:$http_user_agent\tup:$upstream_response_time\treq:$request\tvhost:$host';";

/// An Apache format's bare string whose time label is `u`, in
/// microseconds.
const USEC_FORMAT: &str = r"u:%{end:usec}t\ttime:%t\tstatus:%s\tsize:%B\ta:%{X}i\tua:%{User-Agent}i\treq:%r\tvhost:%{Host}i";

/// Environment variables and their values, `None` for unset.
type Vars = [(&'static str, Option<&'static str>); 10];

/// Where `PARTITION_KEYS` is in [`Vars`]: set only once the configuration
/// without it tells whether there is a time label.
const PARTITION_KEYS: usize = 6;

/// Settings picked by two input bytes. The first:
///
/// | bits | setting |
/// |---|---|
/// | 0 | `LTSV_STRICT_LABELS`: 0 `true`, 1 `false` |
/// | 1 | `LTSV_UNESCAPE`: 0 unset (as the format's `escape=` says: `true` but for nginx's `escape=json`), 1 `false` |
/// | 2–3 | `LTSV_ON_TYPE_ERROR`: `fail`, `null`, `string`, `fail` |
/// | 4–5 | `LTSV_TYPES`: unset (`runtime:float`), empty, `a:integer,b:float,c:bool`, `t:time,n:integer` |
/// | 6 | `LTSV_NULL_VALUES`: 0 `-`, 1 `-,,null` (the empty value too) |
/// | 7 | `PARTITION_KEYS`: 0 none, 1 `vhost`, with `hour` first when a label has a time type |
///
/// The second:
///
/// | bits | setting |
/// |---|---|
/// | 0 | `LTSV_SPLIT_REQUEST`: 0 none, 1 `req` |
/// | 1 | `LTSV_DROP` holds `ua^=ELB` |
/// | 2 | `LTSV_DROP` holds `status=404` |
/// | 3–4 | `LTSV_LOG_FORMAT`: 0 the default (README's Apache format) when `LTSV_TYPES` is unset and none otherwise, so that the types are `LTSV_TYPES`'s alone; 1 [`EPOCH_FORMAT`]; 2 [`NGINX_JSON_FORMAT`]; 3 [`USEC_FORMAT`] |
/// | 5 | `LTSV_UNESCAPE` set: `json` when first-byte bit 1 is 0, `true` when it is 1 |
/// | 6 | `LTSV_REDACT` holds `req:query,referer:query+q+State` |
/// | 7 | `LTSV_REDACT` holds `host:ip`, `forwardedfor:ip/V4/V6` (first-byte bits 0–1 pick the prefixes), `ua:hmac`, `cache:drop` |
///
/// A redaction rule is set only for a label the log format has (any label
/// without a format), and `LTSV_REDACT_KEY` with any rule.
///
/// So 0x00 0x00 is the function's default configuration, and bytes from
/// before formats (second byte below 8) and redaction (below 0x40) keep
/// their meaning.
pub fn settings_from_bytes(first: u8, second: u8) -> Picked {
    let mut vars = vars(first, second);
    let config = config_from_vars(&vars, "");
    let declared = |label: &str| {
        config
            .log_format()
            .is_none_or(|format| format.fields().iter().any(|field| field.label == label))
    };
    let redact = Redact::pick(first, second, declared);
    if first & 0x80 == 0 && redact.is_empty() {
        return Picked { config, redact };
    }
    if first & 0x80 != 0 {
        vars[PARTITION_KEYS].1 = Some(match config.time_label() {
            Some(_) => "hour,vhost",
            None => "vhost",
        });
    }
    Picked {
        config: config_from_vars(&vars, &redact.setting()),
        redact,
    }
}

/// The settings a target runs under: the configuration, and what its
/// `LTSV_REDACT` does, which the checks need and the configuration does
/// not show.
pub struct Picked {
    /// The configuration, as the function reads it.
    pub config: Config,
    /// Its `LTSV_REDACT` rules.
    pub redact: Redact,
}

/// The environment the two bytes pick (see [`settings_from_bytes`]), with
/// `PARTITION_KEYS` unset.
fn vars(first: u8, second: u8) -> Vars {
    let types_choice = usize::from(first >> 4 & 3);
    let types = [
        None,
        Some(""),
        Some("a:integer,b:float,c:bool"),
        Some("t:time,n:integer"),
    ][types_choice];
    let drop = ["", "ua^=ELB", "status=404", "ua^=ELB,status=404"][usize::from(second >> 1 & 3)];
    [
        (
            "LTSV_STRICT_LABELS",
            Some(if first & 1 == 0 { "true" } else { "false" }),
        ),
        ("LTSV_UNESCAPE", unescape(first, second)),
        (
            "LTSV_ON_TYPE_ERROR",
            Some(["fail", "null", "string", "fail"][usize::from(first >> 2 & 3)]),
        ),
        ("LTSV_LOG_FORMAT", log_format(second, types_choice)),
        ("LTSV_TYPES", types),
        (
            "LTSV_NULL_VALUES",
            Some(if first & 0x40 == 0 { "-" } else { "-,,null" }),
        ),
        ("PARTITION_KEYS", None),
        (
            "LTSV_SPLIT_REQUEST",
            Some(if second & 1 == 0 { "" } else { "req" }),
        ),
        ("LTSV_DROP", Some(drop)),
        ("METRICS_NAMESPACE", None),
    ]
}

/// `LTSV_LOG_FORMAT`. With no format picked, the default one would add its
/// own types to those `LTSV_TYPES` sets, so it stays only while
/// `LTSV_TYPES` is unset.
fn log_format(second: u8, types_choice: usize) -> Option<&'static str> {
    match (second >> 3 & 3, types_choice) {
        (0, 0) => None,
        (0, _) => Some(""),
        (1, _) => Some(EPOCH_FORMAT),
        (2, _) => Some(NGINX_JSON_FORMAT),
        _ => Some(USEC_FORMAT),
    }
}

/// `LTSV_UNESCAPE`. Unset unless second-byte bit 5 says so, so that
/// bytes from before that bit keep their meaning.
fn unescape(first: u8, second: u8) -> Option<&'static str> {
    match (second & 0x20 != 0, first & 2 != 0) {
        (false, false) => None,
        (false, true) => Some("false"),
        (true, false) => Some("json"),
        (true, true) => Some("true"),
    }
}

/// The configuration read from `vars` and `LTSV_REDACT=redact` (with
/// [`KEY`] when it is not empty) as from the environment.
fn config_from_vars(vars: &[(&str, Option<&str>)], redact: &str) -> Config {
    Config::from_lookup(|name| match name {
        "LTSV_REDACT" | "LTSV_REDACT_KEY" if redact.is_empty() => None,
        "LTSV_REDACT" => Some(redact.to_owned()),
        "LTSV_REDACT_KEY" => Some(KEY.to_owned()),
        _ => vars
            .iter()
            .find(|(var, _)| *var == name)
            .and_then(|(_, value)| value.map(str::to_owned)),
    })
    .expect("every settings byte gives valid settings")
}
