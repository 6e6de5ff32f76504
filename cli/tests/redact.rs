//! `ltsv2json --redact` (and `LTSV_REDACT`) in every command that converts
//! lines: to stdout, into `--out-dir` as gzip JSON and as Parquet, replaying
//! Firehose error records, and invoking the handler on an event. No byte
//! of a secret lands anywhere; pseudonyms take their key from the
//! environment, and without one the command does not start.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::{Config, Converter, transform};
use serde_json::Value;

use common::{TempDir, entries, error_line, event_of, files_under, gunzip, ltsv2json};

/// Two lines of the default (Apache) format, an hour apart, with a secret
/// in each label the rules below cover: passwords, OAuth tokens, a session
/// id and a signature in request lines and referers, client addresses.
const LOG: &str = "time:[26/Nov/2026:05:54:09 +0900]\tforwardedfor:-\thost:192.0.2.77\t\
req:GET /login?user=alice&password=Hunter2Secret HTTP/1.1\tstatus:302\tsize:-\t\
referer:https://app.example.com/cb#access_token=2YotnFZFEjr1zCsicMWpAA&state=xyz\t\
ua:curl/8.5.0\treqtime_microsec:85\tcache:-\truntime:-\tvhost:www.example.com\n\
time:[26/Nov/2026:06:10:00 +0900]\tforwardedfor:-\thost:2001:db8:85a3:8d3:1319:8a2e:370:7348\t\
req:GET /cart;jsessionid=0123456789ABCDEF?X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835 HTTP/1.1\t\
status:200\tsize:12\treferer:-\tua:curl/8.5.0\treqtime_microsec:90\tcache:-\truntime:-\t\
vhost:www.example.com\n";

/// What in [`LOG`] the rules of [`REDACT`] must keep from landing.
const SECRETS: [&str; 6] = [
    "Hunter2Secret",
    "2YotnFZFEjr1zCsicMWpAA",
    "0123456789ABCDEF",
    "aeeed9bbccd4d02ee5c0109b86d86835",
    "192.0.2.77",
    "8a2e:370:7348",
];

/// What they leave of the addresses.
const NETWORKS: [&str; 2] = ["192.0.2.0", "2001:db8:85a3::"];

/// The rules, and request lines split so that the parts must be redacted
/// too.
const REDACT: [&str; 4] = [
    "--redact",
    "req:query,referer:query,host:ip",
    "--split-request",
    "req",
];

/// A pseudonym key of 39 bytes.
const KEY: &str = "pseudonym-key-for-tests-only-0123456789";

/// HMAC-SHA-256 of `curl/8.5.0` under [`KEY`], cut to 128 bits, as
/// Python's `hmac` module computes it.
const CURL_PSEUDONYM: &str = "50fa2b6914f28a8b4ebb15b91bc326b9";

/// The settings of [`REDACT`], as the library reads them.
fn library_config() -> Config {
    Config::from_vars(&[("LTSV_REDACT", REDACT[1]), ("LTSV_SPLIT_REQUEST", "req")]).unwrap()
}

/// What the library makes of [`LOG`] under `config`.
fn library_json(config: &Config) -> String {
    let mut out = Vec::new();
    let mut converter = Converter::new(config);
    for line in LOG.lines() {
        converter.convert_line(line.as_bytes(), &mut out).unwrap();
    }
    String::from_utf8(out).unwrap()
}

/// Checks that no secret is in `bytes` (what `place` names).
fn check_no_secret(bytes: &[u8], place: &str) {
    for secret in SECRETS {
        assert!(
            !contains(bytes, secret.as_bytes()),
            "{secret} in {place}: {}",
            String::from_utf8_lossy(bytes)
        );
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Runs `ltsv2json` with `args` and the key in the environment.
fn run(args: &[&str], stdin: &[u8]) -> common::Run {
    ltsv2json(args, &[("LTSV_REDACT_KEY", KEY)], stdin)
}

// --- To stdout -----------------------------------------------------------------

#[test]
fn converted_lines_hold_no_secret() {
    let dir = TempDir::new("redact-convert");
    let log = dir.file("access.ltsv", LOG.as_bytes());
    let converted = run(&[&REDACT[..], &[&log]].concat(), b"");
    assert_eq!(
        (converted.code, converted.stderr.as_str()),
        (Some(0), ""),
        "{}",
        converted.stderr
    );
    assert_eq!(converted.stdout, library_json(&library_config()));
    check_no_secret(converted.stdout.as_bytes(), "stdout");
    for network in NETWORKS {
        assert!(converted.stdout.contains(network), "{network}");
    }
    // Three in the first line (request line, query, referer), four in the
    // second (two in the request line, one in the path, one in the query).
    assert_eq!(converted.stdout.matches("=REDACTED").count(), 7);
    // The variable does what the flag does.
    let from_env = ltsv2json(
        &["--split-request", "req", &log],
        &[("LTSV_REDACT", REDACT[1])],
        b"",
    );
    assert_eq!(from_env.stdout, converted.stdout);
    // Without the rules, every secret is there.
    let plain = run(&["--split-request", "req", &log], b"");
    for secret in SECRETS {
        assert!(plain.stdout.contains(secret), "{secret}");
    }
}

// --- Into --out-dir ------------------------------------------------------------

/// Decompresses the raw Snappy block (no framing) at the start of `data`,
/// if it is one of at most `limit` bytes.
fn snappy(data: &[u8], limit: usize) -> Option<Vec<u8>> {
    let mut at = 0;
    let mut len = 0usize;
    for shift in (0..35).step_by(7) {
        let byte = *data.get(at)?;
        at += 1;
        len |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
    }
    if len == 0 || len > limit {
        return None;
    }
    let mut out = Vec::with_capacity(len);
    let little_endian = |bytes: &[u8]| {
        bytes
            .iter()
            .rev()
            .fold(0usize, |value, &b| value << 8 | usize::from(b))
    };
    while out.len() < len {
        let tag = *data.get(at)?;
        at += 1;
        let (copy_len, offset) = match tag & 3 {
            0 => {
                let mut literal = usize::from(tag >> 2);
                if literal >= 60 {
                    let bytes = literal - 59;
                    literal = little_endian(data.get(at..at + bytes)?);
                    at += bytes;
                }
                out.extend_from_slice(data.get(at..at + literal + 1)?);
                at += literal + 1;
                continue;
            }
            1 => {
                let offset = usize::from(tag >> 5) << 8 | usize::from(*data.get(at)?);
                at += 1;
                (usize::from(tag >> 2 & 7) + 4, offset)
            }
            2 => {
                let offset = little_endian(data.get(at..at + 2)?);
                at += 2;
                (usize::from(tag >> 2) + 1, offset)
            }
            _ => {
                let offset = little_endian(data.get(at..at + 4)?);
                at += 4;
                (usize::from(tag >> 2) + 1, offset)
            }
        };
        if offset == 0 || offset > out.len() {
            return None;
        }
        for _ in 0..copy_len {
            out.push(out[out.len() - offset]);
        }
    }
    (out.len() == len).then_some(out)
}

/// A Parquet file's bytes as stored, then every Snappy block found in it
/// decompressed: its pages, where the values are.
fn parquet_bytes(file: &[u8]) -> Vec<u8> {
    let mut bytes = file.to_vec();
    for start in 0..file.len() {
        if let Some(block) = snappy(&file[start..], 1 << 16) {
            bytes.extend_from_slice(&block);
        }
    }
    bytes
}

#[test]
fn parquet_and_json_files_hold_no_secret() {
    let dir = TempDir::new("redact-out-dir");
    let log = dir.file("access.ltsv", LOG.as_bytes());
    for format in ["parquet", "json"] {
        let out = dir.join(&format!("{format}-redacted"));
        let plain_out = dir.join(&format!("{format}-plain"));
        let redacted = run(
            &[
                &REDACT[..],
                &["--out-dir", &out, "--output-format", format, &log],
            ]
            .concat(),
            b"",
        );
        assert_eq!(redacted.code, Some(0), "{}", redacted.stderr);
        let plain = run(
            &[
                "--split-request",
                "req",
                "--out-dir",
                &plain_out,
                "--output-format",
                format,
                &log,
            ],
            b"",
        );
        assert_eq!(plain.code, Some(0), "{}", plain.stderr);
        let contents = |dir: &str| -> Vec<u8> {
            let files = files_under(Path::new(dir));
            // One file for each hour of the log.
            assert_eq!(files.len(), 2, "{format}: {files:?}");
            files
                .iter()
                .flat_map(|(_, bytes)| match format {
                    "parquet" => {
                        assert!(bytes.starts_with(b"PAR1"));
                        parquet_bytes(bytes)
                    }
                    _ => gunzip(bytes).into_bytes(),
                })
                .collect()
        };
        let (redacted, plain) = (contents(&out), contents(&plain_out));
        check_no_secret(&redacted, format);
        for network in NETWORKS.iter().chain(&["password=REDACTED"]) {
            assert!(
                contains(&redacted, network.as_bytes()),
                "{format}: {network}"
            );
        }
        // What is read there would show the secrets, were they written.
        for secret in SECRETS {
            assert!(contains(&plain, secret.as_bytes()), "{format}: {secret}");
        }
    }
}

// --- replay --------------------------------------------------------------------

#[test]
fn replayed_records_hold_no_secret() {
    let dir = TempDir::new("redact-replay");
    let (first, second) = LOG.split_at(LOG.find('\n').unwrap() + 1);
    let object = dir.file(
        "failed.json",
        [error_line(first.as_bytes()), error_line(second.as_bytes())]
            .concat()
            .as_bytes(),
    );
    let replayed = run(&[&REDACT[..], &["replay", &object]].concat(), b"");
    assert_eq!(replayed.code, Some(0), "{}", replayed.stderr);
    assert_eq!(replayed.stdout, library_json(&library_config()));
    check_no_secret(replayed.stdout.as_bytes(), "stdout");
    check_no_secret(replayed.stderr.as_bytes(), "stderr");
    let out = dir.join("out");
    let replayed = run(
        &[&REDACT[..], &["replay", "--out-dir", &out, &object]].concat(),
        b"",
    );
    assert_eq!(replayed.code, Some(0), "{}", replayed.stderr);
    let written: Vec<u8> = files_under(Path::new(&out))
        .iter()
        .flat_map(|(_, bytes)| gunzip(bytes).into_bytes())
        .collect();
    assert_eq!(
        String::from_utf8(written.clone()).unwrap(),
        library_json(&library_config())
    );
    check_no_secret(&written, "replayed files");
}

// --- invoke --------------------------------------------------------------------

#[test]
fn the_handler_invoked_on_an_event_returns_no_secret() {
    let dir = TempDir::new("redact-invoke");
    let lines: Vec<String> = LOG.lines().map(|line| format!("{line}\n")).collect();
    let records: Vec<&[u8]> = lines.iter().map(|line| line.as_bytes()).collect();
    let event = event_of(&records);
    let path = dir.file("event.json", event.as_bytes());
    let invoked = run(&[&REDACT[..], &["invoke", &path]].concat(), b"");
    assert_eq!(invoked.code, Some(0), "{}", invoked.stderr);
    let (expected, _) = transform(&event, &library_config()).unwrap();
    assert_eq!(invoked.stdout, format!("{}\n", expected.get()));
    let data: Vec<u8> = entries(&invoked.stdout)
        .iter()
        .flat_map(|entry| {
            assert_eq!(entry.result, "Ok");
            BASE64.decode(&entry.data).unwrap()
        })
        .collect();
    assert_eq!(data, library_json(&library_config()).into_bytes());
    check_no_secret(&data, "records");
    let decoded = run(&[&REDACT[..], &["invoke", "--decode", &path]].concat(), b"");
    assert_eq!(decoded.code, Some(0), "{}", decoded.stderr);
    check_no_secret(decoded.stdout.as_bytes(), "decoded records");
    assert!(decoded.stdout.contains("password=REDACTED"));
}

// --- Pseudonyms and their key --------------------------------------------------

#[test]
fn pseudonyms_take_their_key_from_the_environment() {
    let dir = TempDir::new("redact-hmac");
    let log = dir.file("access.ltsv", LOG.as_bytes());
    let args = ["--redact", "ua:hmac,host:drop", &log];
    let converted = run(&args, b"");
    assert_eq!(converted.code, Some(0), "{}", converted.stderr);
    let rows: Vec<Value> = converted
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row["ua"], CURL_PSEUDONYM);
        assert!(row.get("host").is_none(), "{row}");
    }
    assert!(!converted.stdout.contains("curl"));
    // The same through the handler.
    let event = event_of(&[LOG.as_bytes()]);
    let path = dir.file("event.json", event.as_bytes());
    let invoked = run(&["--redact", "ua:hmac,host:drop", "invoke", &path], b"");
    assert_eq!(invoked.code, Some(0), "{}", invoked.stderr);
    let data = BASE64.decode(&entries(&invoked.stdout)[0].data).unwrap();
    assert_eq!(String::from_utf8(data).unwrap(), converted.stdout);
    // Another key, other pseudonyms.
    let other = ltsv2json(
        &args,
        &[("LTSV_REDACT_KEY", "another-key-of-at-least-32-bytes!")],
        b"",
    );
    assert_eq!(other.code, Some(0), "{}", other.stderr);
    assert!(!other.stdout.contains(CURL_PSEUDONYM));
}

#[test]
fn pseudonyms_without_a_key_stop_every_command_before_it_reads() {
    let dir = TempDir::new("redact-no-key");
    let log = dir.file("access.ltsv", LOG.as_bytes());
    let event = dir.file("event.json", event_of(&[LOG.as_bytes()]).as_bytes());
    let out = dir.join("out");
    let missing = "ltsv2json: --redact: label \"ua\" is pseudonymized (hmac), which needs a \
                   key of at least 32 bytes in LTSV_REDACT_KEY\n";
    for args in [
        &["--redact", "ua:hmac", &log][..],
        &["--redact", "ua:hmac", "--out-dir", &out, &log],
        &["--redact", "ua:hmac", "replay", &log],
        &["--redact", "ua:hmac", "invoke", &event],
    ] {
        let run = ltsv2json(args, &[], LOG.as_bytes());
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr.as_str()),
            (Some(2), "", missing),
            "{args:?}"
        );
        let short = ltsv2json(args, &[("LTSV_REDACT_KEY", "short")], LOG.as_bytes());
        assert_eq!(
            (short.code, short.stdout.as_str(), short.stderr.as_str()),
            (
                Some(2),
                "",
                "ltsv2json: LTSV_REDACT_KEY: a key of 5 bytes is too short: at least 32\n"
            ),
            "{args:?}"
        );
    }
    let from_env = ltsv2json(&[&log], &[("LTSV_REDACT", "ua:hmac")], b"");
    assert_eq!(
        (from_env.code, from_env.stderr.as_str()),
        (
            Some(2),
            "ltsv2json: LTSV_REDACT: label \"ua\" is pseudonymized (hmac), which needs a \
             key of at least 32 bytes in LTSV_REDACT_KEY\n"
        )
    );
    assert!(!Path::new(&out).exists());
}
