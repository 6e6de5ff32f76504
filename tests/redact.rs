//! `LTSV_REDACT`: what each rule makes of real values, through the line
//! converter and through Firehose events (JSON and Iceberg records); the
//! settings that stop start-up; the table's columns; and, for any input,
//! that no secret parameter's value survives, that truncated addresses
//! keep only their prefix, and that pseudonyms depend on the key and the
//! value alone.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::{
    ColumnType, Config, Converter, LineOutcome, OutputFormat, SOURCE_LINE, columns, columns_for,
    transform,
};
use hmac::{Hmac, KeyInit, Mac};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;
use sha2::Sha256;

use common::{config, event_of};

/// No regression files: a failure prints its minimal case, and this suite
/// must not write into the source tree.
fn cases(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A pseudonym key of 39 bytes, over the 32 a key needs.
const KEY: &str = "pseudonym-key-for-tests-only-0123456789";

/// A line of the default (Apache) format with something to redact in each
/// label a rule suits: a proxy chain with an IPv6 hop and a port, a client
/// address, a password in the request line, an OAuth implicit-flow token
/// in the referer's fragment, a user agent, a cache's host name.
const LINE: &str = "time:[26/Nov/2026:05:54:09 +0900]\t\
    forwardedfor:2001:db8:85a3:8d3:1319:8a2e:370:7348, 203.0.113.195:5123\t\
    host:192.0.2.77\t\
    req:GET /login?user=alice&password=hunter2&next=%2Fhome HTTP/1.1\t\
    status:302\tsize:-\t\
    referer:https://app.example.com/cb#access_token=2YotnFZFEjr1zCsicMWpAA&state=xyz\t\
    ua:Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\t\
    reqtime_microsec:85\tcache:HIT from edge-01\truntime:0.000412\tvhost:www.example.com";

/// What [`LINE`] becomes with nothing redacted, each value as JSON text.
const LINE_JSON: [(&str, &str); 12] = [
    ("time", r#""2026-11-25 20:54:09""#),
    (
        "forwardedfor",
        r#""2001:db8:85a3:8d3:1319:8a2e:370:7348, 203.0.113.195:5123""#,
    ),
    ("host", r#""192.0.2.77""#),
    (
        "req",
        r#""GET /login?user=alice&password=hunter2&next=%2Fhome HTTP/1.1""#,
    ),
    ("status", "302"),
    ("size", "null"),
    (
        "referer",
        r#""https://app.example.com/cb#access_token=2YotnFZFEjr1zCsicMWpAA&state=xyz""#,
    ),
    (
        "ua",
        r#""Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0""#,
    ),
    ("reqtime_microsec", "85"),
    ("cache", r#""HIT from edge-01""#),
    ("runtime", "0.000412"),
    ("vhost", r#""www.example.com""#),
];

/// What in [`LINE`] must not land when every rule is on.
const LINE_SECRETS: [&str; 6] = [
    "hunter2",
    "2YotnFZFEjr1zCsicMWpAA",
    "192.0.2.77",
    "8a2e:370:7348",
    "Gecko",
    "edge-01",
];

/// HMAC-SHA-256 of [`LINE`]'s user agent under [`KEY`], cut to 128 bits,
/// as Python's `hmac` module computes it.
const UA_PSEUDONYM: &str = "ac5d57c0c444123b3915b3690816c576";

/// The JSON line of `members` (values as JSON text), in order.
fn json_line(members: &[(&str, &str)]) -> String {
    let body: Vec<String> = members
        .iter()
        .map(|(key, value)| format!("{key:?}:{value}"))
        .collect();
    format!("{{{}}}\n", body.join(","))
}

/// [`LINE_JSON`] with `changes` made (a value replaced, or with `None` the
/// member left out), then `more` members.
fn line_json(changes: &[(&str, Option<&str>)], more: &[(&str, &str)]) -> String {
    let mut members: Vec<(&str, &str)> = Vec::new();
    for (key, value) in LINE_JSON {
        match changes.iter().find(|(changed, _)| *changed == key) {
            Some((_, Some(new))) => members.push((key, new)),
            Some((_, None)) => {}
            None => members.push((key, value)),
        }
    }
    members.extend_from_slice(more);
    json_line(&members)
}

/// The settings of the default log format with `redact` and `more`.
fn redacting(redact: &str, more: &[(&str, &str)]) -> Config {
    let mut vars = vec![("LTSV_REDACT", redact), ("LTSV_REDACT_KEY", KEY)];
    vars.extend_from_slice(more);
    config(&vars)
}

/// What `config` makes of `line`, which must be written.
fn converted(config: &Config, line: &str) -> String {
    let mut out = Vec::new();
    let outcome = Converter::new(config)
        .convert_line(line.as_bytes(), &mut out)
        .unwrap();
    assert_eq!(outcome, LineOutcome::Written, "{line}");
    String::from_utf8(out).unwrap()
}

/// The decoded data of each record of `transform`'s response to an event
/// of `records`, each of which must be `Ok`.
fn transformed(config: &Config, records: &[&[u8]]) -> Vec<String> {
    let (response, summary) = transform(&event_of(records), config).unwrap();
    assert_eq!(summary.ok, records.len(), "{}", response.get());
    let response: Value = serde_json::from_str(response.get()).unwrap();
    response["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| {
            assert_eq!(record["result"], "Ok");
            let data = BASE64.decode(record["data"].as_str().unwrap()).unwrap();
            String::from_utf8(data).unwrap()
        })
        .collect()
}

/// Every string in `json`'s values (and keys), as JSON decodes them.
fn strings(json: &str) -> Vec<String> {
    fn collect(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(text) => out.push(text.clone()),
            Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
            Value::Object(members) => {
                for (key, value) in members {
                    out.push(key.clone());
                    collect(value, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for line in json.lines() {
        collect(&serde_json::from_str(line).unwrap(), &mut out);
    }
    out
}

/// The first 128 bits of HMAC-SHA-256(`key`, `value`), in lowercase hex.
fn pseudonym(key: &str, value: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(value);
    let digest = mac.finalize().into_bytes();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

// --- Each rule on a real line ---------------------------------------------------

/// A case of [`LINE`]: `LTSV_REDACT`, other settings, the changes to
/// [`LINE_JSON`] and the request parts after it.
type Row<'a> = (
    &'a str,
    &'a [(&'a str, &'a str)],
    &'a [(&'a str, Option<&'a str>)],
    &'a [(&'a str, &'a str)],
);

#[test]
fn each_rule_and_all_of_them_on_an_apache_line() {
    let all = "req:query,referer:query,host:ip,forwardedfor:ip,ua:hmac,cache:drop";
    let cases: &[Row] = &[
        ("", &[], &[], &[]),
        ("host:ip", &[], &[("host", Some(r#""192.0.2.0""#))], &[]),
        (
            "forwardedfor:ip",
            &[],
            &[("forwardedfor", Some(r#""2001:db8:85a3::, 203.0.113.0""#))],
            &[],
        ),
        (
            "forwardedfor:ip/16/32,host:ip/32/128",
            &[],
            &[
                ("forwardedfor", Some(r#""2001:db8::, 203.0.0.0""#)),
                ("host", Some(r#""192.0.2.77""#)),
            ],
            &[],
        ),
        (
            "host:ip/0/0,forwardedfor:ip/0/0",
            &[],
            &[
                ("forwardedfor", Some(r#""::, 0.0.0.0""#)),
                ("host", Some(r#""0.0.0.0""#)),
            ],
            &[],
        ),
        (
            "req:query,referer:query",
            &[],
            &[
                (
                    "req",
                    Some(r#""GET /login?user=alice&password=REDACTED&next=%2Fhome HTTP/1.1""#),
                ),
                (
                    "referer",
                    Some(r#""https://app.example.com/cb#access_token=REDACTED&state=xyz""#),
                ),
            ],
            &[],
        ),
        // Names added to the defaults, compared in any case.
        (
            "req:query+user+NEXT",
            &[],
            &[(
                "req",
                Some(r#""GET /login?user=REDACTED&password=REDACTED&next=REDACTED HTTP/1.1""#),
            )],
            &[],
        ),
        (
            "ua:hmac",
            &[],
            &[("ua", Some(&format!("{UA_PSEUDONYM:?}")))],
            &[],
        ),
        ("cache:drop", &[], &[("cache", None)], &[]),
        // A typed label cannot be redacted, but it can be dropped.
        (
            "status:drop,size:drop",
            &[],
            &[("status", None), ("size", None)],
            &[],
        ),
        (
            all,
            &[],
            &[
                ("forwardedfor", Some(r#""2001:db8:85a3::, 203.0.113.0""#)),
                ("host", Some(r#""192.0.2.0""#)),
                (
                    "req",
                    Some(r#""GET /login?user=alice&password=REDACTED&next=%2Fhome HTTP/1.1""#),
                ),
                (
                    "referer",
                    Some(r#""https://app.example.com/cb#access_token=REDACTED&state=xyz""#),
                ),
                ("ua", Some(&format!("{UA_PSEUDONYM:?}"))),
                ("cache", None),
            ],
            &[],
        ),
        // Split, each part redacted by the request line's rule.
        (
            all,
            &[("LTSV_SPLIT_REQUEST", "req")],
            &[
                ("forwardedfor", Some(r#""2001:db8:85a3::, 203.0.113.0""#)),
                ("host", Some(r#""192.0.2.0""#)),
                (
                    "req",
                    Some(r#""GET /login?user=alice&password=REDACTED&next=%2Fhome HTTP/1.1""#),
                ),
                (
                    "referer",
                    Some(r#""https://app.example.com/cb#access_token=REDACTED&state=xyz""#),
                ),
                ("ua", Some(&format!("{UA_PSEUDONYM:?}"))),
                ("cache", None),
            ],
            &[
                ("method", r#""GET""#),
                ("path", r#""/login""#),
                ("query", r#""user=alice&password=REDACTED&next=%2Fhome""#),
                ("protocol", r#""HTTP/1.1""#),
            ],
        ),
        // Rules on the parts themselves: the path dropped, the redacted
        // query pseudonymized (HMAC of `user=alice&password=REDACTED&next=%2Fhome`).
        (
            "req:query,path:drop,query:hmac",
            &[("LTSV_SPLIT_REQUEST", "req")],
            &[(
                "req",
                Some(r#""GET /login?user=alice&password=REDACTED&next=%2Fhome HTTP/1.1""#),
            )],
            &[
                ("method", r#""GET""#),
                ("query", r#""312ff7037b5dc60a62f2cf25892a3cdd""#),
                ("protocol", r#""HTTP/1.1""#),
            ],
        ),
    ];
    for (redact, more, changes, parts) in cases {
        let config = redacting(redact, more);
        assert_eq!(
            converted(&config, LINE),
            line_json(changes, parts),
            "LTSV_REDACT={redact} {more:?}"
        );
    }
}

#[test]
fn null_values_stay_null_under_every_rule() {
    let config = redacting(
        "req:query,referer:query,host:ip,forwardedfor:ip,ua:hmac,cache:drop",
        &[("LTSV_SPLIT_REQUEST", "req")],
    );
    assert_eq!(
        converted(
            &config,
            "forwardedfor:-\thost:-\treq:-\treferer:-\tua:-\tcache:-"
        ),
        json_line(&[
            ("forwardedfor", "null"),
            ("host", "null"),
            ("req", "null"),
            ("referer", "null"),
            ("ua", "null"),
            ("method", "null"),
            ("path", "null"),
            ("query", "null"),
            ("protocol", "null"),
        ])
    );
    // An empty value is no null value: the empty string's pseudonym, an
    // empty list of addresses.
    assert_eq!(
        converted(&config, "ua:\tforwardedfor:"),
        json_line(&[
            ("ua", &format!("{:?}", pseudonym(KEY, b""))),
            ("forwardedfor", r#""""#),
            ("method", "null"),
            ("path", "null"),
            ("query", "null"),
            ("protocol", "null"),
        ])
    );
    // A value as long as a null value is not one.
    assert_eq!(
        converted(&config, "ua:x\treferer:+"),
        json_line(&[
            ("ua", &format!("{:?}", pseudonym(KEY, b"x"))),
            ("referer", r#""+""#),
            ("method", "null"),
            ("path", "null"),
            ("query", "null"),
            ("protocol", "null"),
        ])
    );
}

#[test]
fn values_are_redacted_as_they_read_once_unescaped() {
    let config = redacting("referer:query,ua:hmac,host:ip", &[]);
    assert_eq!(
        converted(
            &config,
            r#"referer:https://e.example/cb?\x74oken=S3CR37&a=\x22b\x22	ua:curl/8.5.0 \"x\"	host:192.0.2.\x37\x37"#
        ),
        json_line(&[
            (
                "referer",
                r#""https://e.example/cb?token=REDACTED&a=\"b\"""#
            ),
            ("ua", &format!("{:?}", pseudonym(KEY, br#"curl/8.5.0 "x""#))),
            ("host", r#""192.0.2.0""#),
        ])
    );
    assert_eq!(
        pseudonym(KEY, br#"curl/8.5.0 "x""#),
        "8832102ed28b3767efb7769f3d689721"
    );
}

/// A client cannot hide a secret parameter's name or separators from the
/// rule by having them logged as escapes, which the columns show decoded:
/// the request parts are split as the line is logged, as without rules,
/// and each is decoded before the request line's rule reads it.
#[test]
fn escaped_names_and_separators_are_found_in_the_request_parts_too() {
    let config = redacting("req:query", &[("LTSV_SPLIT_REQUEST", "req")]);
    let parts = |path: &str, query: &str| {
        [
            ("method", r#""GET""#.to_owned()),
            ("path", path.to_owned()),
            ("query", query.to_owned()),
            ("protocol", r#""HTTP/1.1""#.to_owned()),
        ]
    };
    for (line, req, [method, path, query, protocol]) in [
        (
            r"req:GET /p?\x74oken=S3CR37 HTTP/1.1",
            r#""GET /p?token=REDACTED HTTP/1.1""#,
            parts(r#""/p""#, r#""token=REDACTED""#),
        ),
        (
            r"req:GET /p\x3ftoken=S3CR37 HTTP/1.1",
            r#""GET /p?token=REDACTED HTTP/1.1""#,
            parts(r#""/p?token=REDACTED""#, "null"),
        ),
        (
            r"req:GET /p\x3btoken=S3CR37 HTTP/1.1",
            r#""GET /p;token=REDACTED HTTP/1.1""#,
            parts(r#""/p;token=REDACTED""#, "null"),
        ),
        // A query is one whatever it holds or starts with.
        (
            r"req:GET /p?next=/home&token=S3CR37 HTTP/1.1",
            r#""GET /p?next=/home&token=REDACTED HTTP/1.1""#,
            parts(r#""/p""#, r#""next=/home&token=REDACTED""#),
        ),
        (
            r"req:GET /p?/next&token=S3CR37 HTTP/1.1",
            r#""GET /p?/next&token=REDACTED HTTP/1.1""#,
            parts(r#""/p""#, r#""/next&token=REDACTED""#),
        ),
        (
            r"req:GET /p?https://h/&code=S3CR37 HTTP/1.1",
            r#""GET /p?https://h/&code=REDACTED HTTP/1.1""#,
            parts(r#""/p""#, r#""https://h/&code=REDACTED""#),
        ),
    ] {
        assert_eq!(
            converted(&config, line),
            json_line(&[
                ("req", req),
                (method.0, &method.1),
                (path.0, &path.1),
                (query.0, &query.1),
                (protocol.0, &protocol.1),
            ]),
            "{line}"
        );
    }
}

/// The same in a value whose escapes decode to bytes that are not UTF-8,
/// which the rule sees decoded all the same (and JSON shows as `\xhh`).
#[test]
fn escaped_names_are_found_in_values_that_do_not_decode_to_utf8() {
    let config = redacting("req:query,ua:hmac", &[]);
    assert_eq!(
        converted(
            &config,
            r"req:GET /p?\x74oken=S3CR37&a=\xff HTTP/1.1	ua:\x41\xff"
        ),
        json_line(&[
            ("req", r#""GET /p?token=REDACTED&a=\\xff HTTP/1.1""#),
            ("ua", &format!("{:?}", pseudonym(KEY, b"A\xff"))),
        ])
    );
}

// --- Firehose events -----------------------------------------------------------

#[test]
fn a_firehose_record_lands_without_its_secrets() {
    let config = redacting(
        "req:query,referer:query,host:ip,forwardedfor:ip,ua:hmac,cache:drop",
        &[("LTSV_SPLIT_REQUEST", "req")],
    );
    let record = format!("{LINE}\n{LINE}\n");
    let data = transformed(&config, &[record.as_bytes()]);
    let line = converted(&config, LINE);
    assert_eq!(data, [format!("{line}{line}")]);
    for secret in LINE_SECRETS {
        assert!(!data[0].contains(secret), "{secret} in {}", data[0]);
        assert!(
            strings(&data[0]).iter().all(|s| !s.contains(secret)),
            "{secret}"
        );
    }
    // Without the rules, the same record holds every one of them.
    let plain = transformed(
        &common::config(&[("LTSV_SPLIT_REQUEST", "req")]),
        &[record.as_bytes()],
    );
    for secret in LINE_SECRETS {
        assert!(plain[0].contains(secret), "{secret}");
    }
}

#[test]
fn an_iceberg_record_is_keyed_by_column_and_redacted_the_same() {
    let format = r"time:%t\tX-Forwarded-For:%{X-Forwarded-For}i\thost:%h\treq:%r\tstatus:%>s\treferer:%{Referer}i\tua:%{User-Agent}i\tX-Cache:%{X-Cache}o";
    let config = config(&[
        ("OUTPUT_FORMAT", "iceberg"),
        ("LTSV_LOG_FORMAT", format),
        ("LTSV_SPLIT_REQUEST", "req"),
        (
            "LTSV_REDACT",
            "X-Forwarded-For:ip,host:ip/16/32,req:query,referer:query,ua:hmac,X-Cache:drop",
        ),
        ("LTSV_REDACT_KEY", KEY),
    ]);
    assert_eq!(config.output_format(), OutputFormat::Iceberg);
    let line = "time:[26/Nov/2026:05:54:09 +0900]\t\
        X-Forwarded-For:[2001:db8:85a3:8d3:1319:8a2e:370:7348]:443 , 203.0.113.195\t\
        host:192.0.2.77\treq:GET /cart;jsessionid=0123456789ABCDEF?item=1 HTTP/1.1\t\
        status:200\treferer:https://app.example.com/p?q=shoes&sig=abc%2Bdef%3D\t\
        ua:Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\t\
        X-Cache:HIT from edge-01\textra:not declared";
    let expected = json_line(&[
        ("time", "1795640049000000"),
        ("x_forwarded_for", r#""2001:db8:85a3:: , 203.0.113.0""#),
        ("host", r#""192.0.0.0""#),
        ("req", r#""GET /cart;jsessionid=REDACTED?item=1 HTTP/1.1""#),
        ("status", "200"),
        (
            "referer",
            r#""https://app.example.com/p?q=shoes&sig=REDACTED""#,
        ),
        ("ua", &format!("{UA_PSEUDONYM:?}")),
        ("method", r#""GET""#),
        ("path", r#""/cart;jsessionid=REDACTED""#),
        ("query", r#""item=1""#),
        ("protocol", r#""HTTP/1.1""#),
    ]);
    assert_eq!(converted(&config, line), expected);
    let data = transformed(&config, &[format!("{line}\n").as_bytes()]);
    assert_eq!(data, [expected]);
    for secret in [
        "0123456789ABCDEF",
        "abc%2Bdef",
        "7348",
        "192.0.2",
        "Gecko",
        "edge-01",
    ] {
        assert!(!data[0].contains(secret), "{secret}");
    }
}

// --- Settings ------------------------------------------------------------------

#[test]
fn rules_that_cannot_hold_stop_start_up_with_what_is_wrong() {
    let labels = "time, forwardedfor, host, req, status, size, referer, ua, reqtime_microsec, \
                  cache, runtime, vhost";
    let rules = "ip, ip/V4/V6, query, query+NAME+..., hmac, drop";
    let cases: Vec<(Vec<(&str, &str)>, String)> = vec![
        (
            vec![("LTSV_REDACT", "nosuch:ip")],
            format!(r#"LTSV_REDACT: the log format has no label "nosuch" (its labels: {labels})"#),
        ),
        (
            vec![("LTSV_REDACT", "hots:ip")],
            r#"LTSV_REDACT: the log format has no label "hots"; did you mean "host"?"#.into(),
        ),
        (
            vec![("LTSV_REDACT", "status:query")],
            r#"LTSV_REDACT: label "status" is of type integer: only text is redacted (make it string in LTSV_TYPES, or drop it)"#.into(),
        ),
        (
            vec![("LTSV_REDACT", "runtime:hmac"), ("LTSV_REDACT_KEY", KEY)],
            r#"LTSV_REDACT: label "runtime" is of type float: only text is redacted (make it string in LTSV_TYPES, or drop it)"#.into(),
        ),
        (
            vec![("LTSV_REDACT", "time:drop")],
            r#"LTSV_REDACT: label "time" is the event time, which files each line: it cannot be redacted"#.into(),
        ),
        (
            vec![("LTSV_REDACT", "vhost:query"), ("PARTITION_KEYS", "hour,vhost")],
            r#"LTSV_REDACT: label "vhost" is a partition key (PARTITION_KEYS): its values would be in the S3 keys as logged"#.into(),
        ),
        (
            vec![("LTSV_REDACT", "req:ip"), ("LTSV_SPLIT_REQUEST", "req")],
            r#"LTSV_REDACT: label "req" is the request line LTSV_SPLIT_REQUEST splits: only its query can be redacted (req:query)"#.into(),
        ),
        (
            vec![("LTSV_REDACT", "req:drop"), ("LTSV_SPLIT_REQUEST", "req")],
            r#"LTSV_REDACT: label "req" is the request line LTSV_SPLIT_REQUEST splits: only its query can be redacted (req:query)"#.into(),
        ),
        (
            vec![
                ("LTSV_REDACT", "req:hmac"),
                ("LTSV_SPLIT_REQUEST", "req"),
                ("LTSV_REDACT_KEY", KEY),
            ],
            r#"LTSV_REDACT: label "req" is the request line LTSV_SPLIT_REQUEST splits: only its query can be redacted (req:query)"#.into(),
        ),
        (
            vec![("LTSV_REDACT", "ua:hmac")],
            r#"LTSV_REDACT: label "ua" is pseudonymized (hmac), which needs a key of at least 32 bytes in LTSV_REDACT_KEY"#.into(),
        ),
        (
            vec![("LTSV_REDACT", "ua:hmac"), ("LTSV_REDACT_KEY", "short")],
            "LTSV_REDACT_KEY: a key of 5 bytes is too short: at least 32".into(),
        ),
        (
            vec![
                ("LTSV_REDACT", "ua:hmac"),
                ("LTSV_REDACT_KEY", "0123456789abcdef0123456789abcde"),
            ],
            "LTSV_REDACT_KEY: a key of 31 bytes is too short: at least 32".into(),
        ),
        (
            vec![("LTSV_REDACT", "ua:ip,ua:query")],
            r#"LTSV_REDACT: label "ua" has two rules"#.into(),
        ),
        (
            vec![("LTSV_REDACT", "host:ip/33")],
            "LTSV_REDACT: ip/33: an IPv4 prefix is 0 to 32 bits".into(),
        ),
        (
            vec![("LTSV_REDACT", "host:ip/-1")],
            "LTSV_REDACT: ip/-1: an IPv4 prefix is 0 to 32 bits".into(),
        ),
        (
            vec![("LTSV_REDACT", "host:ip/")],
            "LTSV_REDACT: ip/: an IPv4 prefix is 0 to 32 bits".into(),
        ),
        (
            vec![("LTSV_REDACT", "host:ip/24/129")],
            "LTSV_REDACT: ip/24/129: an IPv6 prefix is 0 to 128 bits".into(),
        ),
        (
            vec![("LTSV_REDACT", "host:ip/24/48/1")],
            "LTSV_REDACT: ip/24/48/1: an ip rule takes an IPv4 and an IPv6 prefix, as ip/24/48"
                .into(),
        ),
        (
            vec![("LTSV_REDACT", "ua:mask")],
            format!(r#"LTSV_REDACT: "mask" is not a rule for label "ua" (rules: {rules})"#),
        ),
        (
            vec![("LTSV_REDACT", "ua:IP")],
            format!(r#"LTSV_REDACT: "IP" is not a rule for label "ua" (rules: {rules})"#),
        ),
        (
            vec![("LTSV_REDACT", "ua:hmac+x")],
            format!(r#"LTSV_REDACT: "hmac+x" is not a rule for label "ua" (rules: {rules})"#),
        ),
        (
            vec![("LTSV_REDACT", "host:ip+x")],
            format!(r#"LTSV_REDACT: "ip+x" is not a rule for label "host" (rules: {rules})"#),
        ),
        (
            vec![("LTSV_REDACT", "req:query/24")],
            format!(r#"LTSV_REDACT: "query/24" is not a rule for label "req" (rules: {rules})"#),
        ),
        (
            vec![("LTSV_REDACT", "req:query+a++b")],
            "LTSV_REDACT: query+a++b: an empty parameter name".into(),
        ),
        (
            vec![("LTSV_REDACT", "ua")],
            format!(r#"LTSV_REDACT: entry "ua" is not label:rule (rules: {rules})"#),
        ),
        (
            vec![("LTSV_REDACT", "ua:ip,")],
            "LTSV_REDACT: empty entry (a stray comma?)".into(),
        ),
        (
            vec![("LTSV_REDACT", "ua ua:ip"), ("LTSV_LOG_FORMAT", "")],
            r#"LTSV_REDACT: label "ua ua" has characters outside [0-9A-Za-z_.-]"#.into(),
        ),
        // A request part is a label only when request lines are split.
        (
            vec![("LTSV_REDACT", "path:drop")],
            format!(r#"LTSV_REDACT: the log format has no label "path" (its labels: {labels})"#),
        ),
    ];
    for (vars, message) in &cases {
        assert_eq!(
            Config::from_vars(vars).unwrap_err().to_string(),
            *message,
            "{vars:?}"
        );
    }
    // What those rules would take instead is accepted.
    for vars in [
        &[("LTSV_REDACT", "status:drop,runtime:drop")][..],
        &[("LTSV_REDACT", "vhost:query"), ("PARTITION_KEYS", "hour")],
        &[("LTSV_REDACT", "req:query"), ("LTSV_SPLIT_REQUEST", "req")],
        &[
            ("LTSV_REDACT", "path:drop,query:hmac"),
            ("LTSV_SPLIT_REQUEST", "req"),
            ("LTSV_REDACT_KEY", "0123456789abcdef0123456789abcdef"),
        ],
        &[("LTSV_REDACT", "nosuch:ip"), ("LTSV_LOG_FORMAT", "")],
        &[("LTSV_REDACT", " ua : ip/8/16 , req : query+Code ")],
    ] {
        assert!(Config::from_vars(vars).is_ok(), "{vars:?}");
    }
}

/// What the type error says to do: a label LTSV_TYPES makes text is text,
/// and can be redacted.
#[test]
fn a_label_made_string_in_ltsv_types_can_be_redacted() {
    let config = Config::from_vars(&[
        ("LTSV_TYPES", "status:string"),
        ("LTSV_REDACT", "status:hmac"),
        ("LTSV_REDACT_KEY", KEY),
    ])
    .unwrap();
    assert_eq!(
        converted(&config, "status:404"),
        json_line(&[("status", &format!("{:?}", pseudonym(KEY, b"404")))])
    );
}

// --- The table -----------------------------------------------------------------

#[test]
fn columns_leave_dropped_labels_out_and_describe_redacted_ones() {
    let config = redacting(
        "host:ip,forwardedfor:ip/16/32,req:query,referer:query+q,ua:hmac,cache:drop,path:drop,query:hmac",
        &[("LTSV_SPLIT_REQUEST", "req")],
    );
    let shown = |split: bool, format: OutputFormat| -> Vec<(String, String, Option<String>)> {
        columns_for(&config, split, format)
            .unwrap()
            .into_iter()
            .map(|c| (c.name, c.label, c.redacted))
            .collect()
    };
    let ip = |v4: u8, v6: u8| {
        Some(format!(
            "redacted: addresses truncated to IPv4 /{v4}, IPv6 /{v6}"
        ))
    };
    let query = Some("redacted: secret parameters' values replaced by REDACTED".to_owned());
    let hmac = Some("redacted: keyed pseudonyms (HMAC-SHA-256)".to_owned());
    let column = |name: &str, redacted: &Option<String>| {
        (name.to_owned(), name.to_owned(), redacted.clone())
    };
    let labels = vec![
        column("time", &None),
        column("forwardedfor", &ip(16, 32)),
        column("host", &ip(24, 48)),
        column("req", &query),
        column("status", &None),
        column("size", &None),
        column("referer", &query),
        column("ua", &hmac),
        column("reqtime_microsec", &None),
        column("runtime", &None),
        column("vhost", &None),
    ];
    assert_eq!(shown(false, OutputFormat::Json), labels);
    let mut split = labels.clone();
    split.extend([
        column("method", &None),
        column("query", &hmac),
        column("protocol", &None),
    ]);
    assert_eq!(shown(true, OutputFormat::Json), split);
    assert_eq!(
        columns(&config, true).unwrap(),
        columns_for(&config, true, OutputFormat::Json).unwrap()
    );
    let mut iceberg = split.clone();
    iceberg.push(column(SOURCE_LINE, &None));
    assert_eq!(shown(true, OutputFormat::Iceberg), iceberg);
    // Types are those of the labels: a pseudonym of text is text.
    let types: Vec<ColumnType> = columns(&config, false)
        .unwrap()
        .iter()
        .map(|c| c.ty)
        .collect();
    assert_eq!(types[7], ColumnType::String);
    // Nothing redacted: every label a column, none described.
    let plain = columns(&common::config(&[("LTSV_SPLIT_REQUEST", "req")]), true).unwrap();
    assert_eq!(plain.len(), 16);
    assert!(plain.iter().all(|c| c.redacted.is_none()));
}

#[test]
fn a_dropped_label_with_a_column_name_of_its_own_is_left_out_of_iceberg_tables_too() {
    let config = config(&[
        ("OUTPUT_FORMAT", "iceberg"),
        (
            "LTSV_LOG_FORMAT",
            r"time:%t\tX-Forwarded-For:%{X-Forwarded-For}i\tua:%{User-Agent}i",
        ),
        ("LTSV_REDACT", "X-Forwarded-For:drop,ua:ip"),
    ]);
    let table: Vec<(String, String, bool)> = columns(&config, false)
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.label, c.redacted.is_some()))
        .collect();
    assert_eq!(
        table,
        [
            ("time".into(), "time".into(), false),
            ("ua".into(), "ua".into(), true),
            (SOURCE_LINE.into(), SOURCE_LINE.into(), false),
        ]
    );
    assert_eq!(
        converted(
            &config,
            "time:[26/Nov/2026:05:54:09 +0900]\tX-Forwarded-For:192.0.2.1\tua:192.0.2.77:80"
        ),
        json_line(&[("time", "1795640049000000"), ("ua", r#""192.0.2.0""#)])
    );
}

// --- Secrets in URLs, for any spelling ------------------------------------------

/// Secret names: some of the defaults, and names holding a secret part.
const SECRET_NAMES: &[&str] = &[
    "token",
    "access_token",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "jsessionid",
    "code",
    "password",
    "api_key",
    "sig",
    "client_secret",
    "SAMLResponse",
    "sessionid",
    "user_password",
    "accessToken",
    "x-refresh-token",
    "MyCredentials",
];

/// A name or value as a URL may spell it: each byte with `case` flipped
/// (letters) and, when `escape`, as `%XX` in upper or lower hex.
fn spelled(text: &str, spelling: &[(bool, bool, bool)]) -> String {
    text.bytes()
        .zip(spelling.iter().cycle())
        .map(|(byte, &(flip, escape, lower_hex))| {
            let byte = if flip && byte.is_ascii_alphabetic() {
                byte ^ 0x20
            } else {
                byte
            };
            match (escape, lower_hex) {
                (false, _) => char::from(byte).to_string(),
                (true, false) => format!("%{byte:02X}"),
                (true, true) => format!("%{byte:02x}"),
            }
        })
        .collect()
}

/// Where a secret parameter is put in a URL.
#[derive(Clone, Copy, Debug)]
enum Place {
    /// In the query, after `&`.
    Query,
    /// In the query, after `;`.
    QuerySemicolon,
    /// In the fragment.
    Fragment,
    /// As a `;name=value` path parameter.
    Path,
}

/// One secret parameter: its name as spelled, its value (a unique token)
/// as written and as it reads decoded, and where it goes.
#[derive(Clone, Debug)]
struct Secret {
    name: String,
    written: String,
    token: String,
    place: Place,
}

/// How each byte of a name or value is spelled: case flipped, escaped (a
/// quarter of them), in lowercase hex.
fn spelling() -> impl Strategy<Value = Vec<(bool, bool, bool)>> {
    vec(
        (any::<bool>(), proptest::bool::weighted(0.25), any::<bool>()),
        1..8,
    )
}

fn secret(index: usize) -> impl Strategy<Value = Secret> {
    (
        select(SECRET_NAMES),
        spelling(),
        "[A-Za-z0-9]{12}",
        prop_oneof![Just(false), Just(false), Just(true)],
        spelling(),
        select(vec![
            Place::Query,
            Place::QuerySemicolon,
            Place::Fragment,
            Place::Path,
        ]),
    )
        .prop_map(
            move |(name, name_spelling, random, escape_value, value_spelling, place)| {
                // Unique in the line, and never a substring of another.
                let token = format!("S3CR37{index:02}{random}");
                // A value's case is its own: only escapes change its text.
                let value_spelling: Vec<(bool, bool, bool)> = value_spelling
                    .into_iter()
                    .map(|(_, escape, lower)| (false, escape, lower))
                    .collect();
                Secret {
                    name: spelled(name, &name_spelling),
                    written: if escape_value {
                        spelled(&token, &value_spelling)
                    } else {
                        token.clone()
                    },
                    token,
                    place,
                }
            },
        )
}

/// A URL's path, query and fragment holding secret parameters (some names
/// twice, with values of their own), a `q` that is no secret, and perhaps a
/// secret name without a value at the very end.
#[derive(Clone, Debug)]
struct Target {
    text: String,
    secrets: Vec<Secret>,
    keep: String,
}

fn target(first: usize) -> impl Strategy<Value = Target> {
    (
        vec(any::<u8>(), 1..6),
        "[a-z0-9]{1,10}",
        any::<usize>(),
        any::<bool>(),
        select(vec!["token", "Password", "%73ig"]),
    )
        .prop_flat_map(move |(picks, keep, at, bare, bare_name)| {
            let secrets: Vec<_> = (0..picks.len()).map(|i| secret(first + 2 * i)).collect();
            let repeats: Vec<_> = (0..picks.len())
                .map(|i| secret(first + 2 * i + 1))
                .collect();
            (
                secrets,
                repeats,
                Just(picks),
                Just(keep),
                Just(at),
                Just(bare),
                Just(bare_name),
            )
        })
        .prop_map(|(secrets, repeats, picks, keep, at, bare, bare_name)| {
            let mut all = Vec::new();
            for ((secret, repeat), pick) in secrets.into_iter().zip(repeats).zip(picks) {
                // Every other pick repeats the name, with another value.
                if pick % 2 == 1 {
                    all.push(Secret {
                        name: secret.name.clone(),
                        ..repeat
                    });
                }
                all.push(secret);
            }
            let keep = format!("Q{keep}");
            let param = |s: &Secret| format!("{}={}", s.name, s.written);
            let mut path = String::from("/app");
            let mut query: Vec<String> = Vec::new();
            let mut fragment: Vec<String> = Vec::new();
            for secret in &all {
                match secret.place {
                    Place::Path => path.push_str(&format!(";{}", param(secret))),
                    Place::Query => query.push(format!("&{}", param(secret))),
                    Place::QuerySemicolon => query.push(format!(";{}", param(secret))),
                    Place::Fragment => fragment.push(format!("&{}", param(secret))),
                }
            }
            path.push_str("/page");
            query.insert(at % (query.len() + 1), format!("&q={keep}"));
            if bare {
                query.push(format!("&{bare_name}"));
            }
            let mut text = format!("{path}?{}", &query.concat()[1..]);
            if !fragment.is_empty() {
                text.push('#');
                text.push_str(&fragment.concat()[1..]);
            }
            Target {
                text,
                secrets: all,
                keep,
            }
        })
}

/// Checks that no secret of `secrets`, as written or decoded, is in
/// `json`'s text or in its strings once decoded.
fn check_no_secret(json: &str, secrets: &[Secret]) -> Result<(), TestCaseError> {
    let strings = strings(json);
    for secret in secrets {
        for form in [&secret.token, &secret.written] {
            prop_assert!(!json.contains(form.as_str()), "{form} in {json}");
            prop_assert!(
                strings.iter().all(|s| !s.contains(form.as_str())),
                "{form} in {strings:?}"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn no_secret_parameter_value_survives_however_it_is_spelled(
        method in select(vec!["GET", "POST", "HEAD"]),
        protocol in select(vec!["HTTP/1.1", "HTTP/2.0", "http/1.0"]),
        req in target(0),
        referer in target(40),
    ) {
        let config = config(&[
            ("LTSV_REDACT", "req:query,referer:query"),
            ("LTSV_SPLIT_REQUEST", "req"),
        ]);
        let line = format!(
            "time:[26/Nov/2026:05:54:09 +0900]\thost:192.0.2.1\treq:{method} {} {protocol}\t\
             status:200\treferer:https://www.example.com{}\tvhost:www.example.com",
            req.text, referer.text
        );
        let json = converted(&config, &line);
        let secrets: Vec<Secret> = req.secrets.iter().chain(&referer.secrets).cloned().collect();
        check_no_secret(&json, &secrets)?;
        // What is no secret survives, and each secret value is replaced
        // where it was.
        let object: Value = serde_json::from_str(&json).unwrap();
        for (label, target) in [("req", &req), ("referer", &referer)] {
            let value = object[label].as_str().unwrap();
            prop_assert!(value.contains(&format!("q={}", target.keep)), "{value}");
            prop_assert_eq!(value.matches("=REDACTED").count(), target.secrets.len(), "{}", value);
        }
        let query = object["query"].as_str().unwrap();
        prop_assert!(query.contains(&format!("q={}", req.keep)), "{query}");
        prop_assert_eq!(object["path"].as_str().unwrap().matches("=REDACTED").count(),
            req.secrets.iter().filter(|s| matches!(s.place, Place::Path)).count());
        // A Firehose record of the line lands the same.
        let data = transformed(&config, &[format!("{line}\n").as_bytes()]);
        prop_assert_eq!(&data[0], &json);
        check_no_secret(&data[0], &secrets)?;
    }
}

// --- Truncated addresses --------------------------------------------------------

/// An address as a proxy or server may log it.
#[derive(Clone, Debug)]
enum Logged {
    V4(Ipv4Addr, Option<u16>),
    /// Bracketed or not; a port only when bracketed.
    V6(Ipv6Addr, bool, Option<u16>),
    /// An IPv4-mapped IPv6 address, bracketed or not.
    Mapped(Ipv4Addr, bool),
}

impl Logged {
    fn text(&self) -> String {
        match self {
            Logged::V4(address, None) => address.to_string(),
            Logged::V4(address, Some(port)) => format!("{address}:{port}"),
            Logged::V6(address, false, _) => address.to_string(),
            Logged::V6(address, true, None) => format!("[{address}]"),
            Logged::V6(address, true, Some(port)) => format!("[{address}]:{port}"),
            Logged::Mapped(address, false) => format!("::ffff:{address}"),
            Logged::Mapped(address, true) => format!("[::ffff:{address}]"),
        }
    }

    /// The network of the address at the prefix lengths given.
    fn network(&self, v4: u8, v6: u8) -> IpAddr {
        let v4_network = |address: &Ipv4Addr| {
            let mask = u32::MAX.checked_shl(32 - u32::from(v4)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from_bits(address.to_bits() & mask))
        };
        match self {
            Logged::V4(address, _) | Logged::Mapped(address, _) => v4_network(address),
            Logged::V6(address, ..) => match address.to_ipv4_mapped() {
                Some(mapped) => v4_network(&mapped),
                None => {
                    let mask = u128::MAX.checked_shl(128 - u32::from(v6)).unwrap_or(0);
                    IpAddr::V6(Ipv6Addr::from_bits(address.to_bits() & mask))
                }
            },
        }
    }
}

fn logged() -> impl Strategy<Value = Logged> {
    prop_oneof![
        (any::<u32>(), proptest::option::of(any::<u16>()))
            .prop_map(|(bits, port)| Logged::V4(Ipv4Addr::from_bits(bits), port)),
        // Addresses with runs of zeros too, which RFC 5952 text shortens.
        (
            any::<u128>(),
            any::<u128>(),
            any::<bool>(),
            proptest::option::of(any::<u16>())
        )
            .prop_map(|(bits, zeros, bracket, port)| {
                Logged::V6(
                    Ipv6Addr::from_bits(bits & zeros),
                    bracket,
                    port.filter(|_| bracket),
                )
            }),
        (any::<u32>(), any::<bool>())
            .prop_map(|(bits, bracket)| Logged::Mapped(Ipv4Addr::from_bits(bits), bracket)),
    ]
}

/// Blanks around a list item, as logged (`\t` an escaped TAB) and as they
/// read once unescaped.
fn blank() -> impl Strategy<Value = (&'static str, &'static str)> {
    select(vec![("", ""), (" ", " "), ("  ", "  "), ("\\t", "\t")])
}

/// The items of a list of addresses, each with its blanks.
type Items = Vec<(
    (&'static str, &'static str),
    Logged,
    (&'static str, &'static str),
)>;

/// Checks `written`, the list `items` truncated at /`v4` and /`v6`: as
/// many items, each with its blanks, each the network of its address.
fn check_truncated(written: &str, items: &Items, v4: u8, v6: u8) -> Result<(), TestCaseError> {
    let written: Vec<&str> = written.split(',').collect();
    prop_assert_eq!(written.len(), items.len(), "{:?}", written);
    for (text, (before, address, after)) in written.iter().zip(items) {
        let blanks = [' ', '\t'];
        let element = text.trim_matches(blanks);
        let leading = &text[..text.len() - text.trim_start_matches(blanks).len()];
        let trailing = &text[text.trim_end_matches(blanks).len()..];
        prop_assert_eq!(
            (leading, trailing),
            (before.1, after.1),
            "blanks kept in {:?}",
            text
        );
        let network: IpAddr = element
            .parse()
            .unwrap_or_else(|_| panic!("{text:?} is no address"));
        let expected = address.network(v4, v6);
        prop_assert_eq!(network, expected, "{} at /{} /{}", address.text(), v4, v6);
        // No bit past the prefix, whatever the address was.
        let kept = match network {
            IpAddr::V4(network) => u128::from(network.to_bits()) << 96,
            IpAddr::V6(network) => network.to_bits(),
        };
        let bits = if network.is_ipv4() {
            u32::from(v4)
        } else {
            u32::from(v6)
        };
        prop_assert_eq!(kept.checked_shl(bits).unwrap_or(0), 0);
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn a_truncated_address_reveals_no_more_than_its_prefix(
        prefixes in proptest::option::of((0..=32u8, 0..=128u8)),
        host in logged(),
        forwarded in vec((blank(), logged(), blank()), 1..5),
    ) {
        let rule = match prefixes {
            Some((v4, v6)) => format!("ip/{v4}/{v6}"),
            None => "ip".to_owned(),
        };
        let (v4, v6) = prefixes.unwrap_or((24, 48));
        let config = config(&[(
            "LTSV_REDACT",
            &format!("host:{rule},forwardedfor:{rule}"),
        )]);
        let list: Vec<String> = forwarded
            .iter()
            .map(|(before, address, after)| format!("{}{}{}", before.0, address.text(), after.0))
            .collect();
        let line = format!("host:{}\tforwardedfor:{}", host.text(), list.join(","));
        let object: Value = serde_json::from_str(&converted(&config, &line)).unwrap();
        let host_item = vec![(("", ""), host.clone(), ("", ""))];
        check_truncated(object["host"].as_str().unwrap(), &host_item, v4, v6)?;
        check_truncated(object["forwardedfor"].as_str().unwrap(), &forwarded, v4, v6)?;
    }
}

// --- Pseudonyms ------------------------------------------------------------------

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn pseudonyms_depend_on_the_key_and_the_value_alone(
        value in "user-[ -\\[\\]-~]{0,30}",
        key in "[ -~]{32,48}",
        other_key in "[ -~]{32,48}",
    ) {
        prop_assume!(key != other_key);
        let with = |key: &str| {
            config(&[
                ("LTSV_REDACT", "ua:hmac"),
                ("LTSV_REDACT_KEY", key),
                ("LTSV_LOG_FORMAT", ""),
            ])
        };
        let line = format!("ua:{value}\tstatus:200");
        let ua = |json: &str| -> String {
            let object: Value = serde_json::from_str(json).unwrap();
            object["ua"].as_str().unwrap().to_owned()
        };
        let first = converted(&with(&key), &line);
        // Another instance of the same settings, and a Firehose record.
        prop_assert_eq!(&converted(&with(&key), &line), &first);
        let data = transformed(&with(&key), &[format!("{line}\n").as_bytes()]);
        prop_assert_eq!(&data[0], &first);
        let pseudonym_of = ua(&first);
        prop_assert_eq!(&pseudonym_of, &pseudonym(&key, value.as_bytes()));
        prop_assert!(pseudonym_of.len() == 32 && pseudonym_of.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        prop_assert!(!pseudonym_of.contains(value.as_str()));
        prop_assert_ne!(ua(&converted(&with(&other_key), &line)), pseudonym_of);
    }
}
