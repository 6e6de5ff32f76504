//! Realistic batches: the Apache access log captured in `tests/data`, with
//! a hostile line after every tenth captured one, cycled one line per
//! record (as Kinesis Agent sends lines when it does not pack them) until
//! the event holds as much JSON as asked. The same sizes give the same
//! bytes on every run and every machine.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const LOG: &str = include_str!("../../tests/data/apache_access.ltsv");

/// Event sizes in bytes of JSON: a 1 MB and a 3 MB batch, and a request
/// near Lambda's 6 MB limit whose converted records cannot all fit in the
/// response.
pub const EVENT_SIZES: [(&str, usize); 3] =
    [("1MB", 1_000_000), ("3MB", 3_000_000), ("6MB", 6_000_000)];

/// A hostile line follows every this many captured lines.
const HOSTILE_EVERY: usize = 10;

/// A user agent of about 1.3 KB, as in-app browsers write them.
fn long_user_agent() -> Vec<u8> {
    let mut ua = b"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 \
                   (KHTML, like Gecko) Mobile/15E148"
        .to_vec();
    for build in 0..8 {
        ua.extend_from_slice(
            format!(
                " [FBAN/FBIOS;FBAV/460.0.0.35.{build};FBBV/58721454{build};FBDV/iPhone15,3;\
                 FBMD/iPhone;FBSN/iOS;FBSV/17.4.1;FBSS/3;FBID/phone;FBLC/ja_JP;FBOP/5]"
            )
            .as_bytes(),
        );
    }
    ua
}

/// The `n`th hostile line: `line` with some of its values replaced by a
/// long user agent, by escapes of every kind Apache writes, by `-`, or by
/// raw bytes that are not UTF-8 and control bytes.
fn hostile(n: usize, line: &[u8]) -> Vec<u8> {
    let escapes: [(&str, &[u8]); 3] = [
        (
            "req",
            br"GET /search?q=\xe3\x81\x82\xe3\x81\x84&from=\x22top\x22 HTTP/1.1",
        ),
        (
            "referer",
            br"https://example.jp/\xe3\x83\x9a?path=C:\\logs\\x41",
        ),
        (
            "ua",
            br#"Mozilla/5.0 (compatible; \"quoted\" bot/1.0; \xff\xfe; tab\tin)"#,
        ),
    ];
    let dashes: [(&str, &[u8]); 7] = [
        ("forwardedfor", b"-"),
        ("size", b"-"),
        ("referer", b"-"),
        ("ua", b"-"),
        ("reqtime_microsec", b"-"),
        ("cache", b"-"),
        ("runtime", b"-"),
    ];
    let raw: [(&str, &[u8]); 2] = [
        ("req", "GET /日本語/ページ HTTP/1.1".as_bytes()),
        ("ua", b"Mozilla/5.0 (\xe6\x97\xa5\xff\xfe; \x01\x7f\"x\"\\)"),
    ];
    let long_ua = long_user_agent();
    match n % 4 {
        0 => with_values(line, &[("ua", &long_ua)]),
        1 => with_values(line, &escapes),
        2 => with_values(line, &dashes),
        _ => with_values(line, &raw),
    }
}

/// `line` with the values of the labels in `values` replaced.
fn with_values(line: &[u8], values: &[(&str, &[u8])]) -> Vec<u8> {
    let body = line.strip_suffix(b"\n").unwrap_or(line);
    let fields: Vec<Vec<u8>> = body
        .split(|&b| b == b'\t')
        .map(|field| {
            let colon = field.iter().position(|&b| b == b':').unwrap_or(field.len());
            let label = &field[..colon];
            match values.iter().find(|(l, _)| l.as_bytes() == label) {
                Some((_, value)) => [label, b":", value].concat(),
                None => field.to_vec(),
            }
        })
        .collect();
    let mut out = fields.join(&b'\t');
    out.push(b'\n');
    out
}

/// The lines records are made of, in order, each with its newline.
pub fn lines() -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for (i, line) in LOG.as_bytes().split_inclusive(|&b| b == b'\n').enumerate() {
        lines.push(line.to_vec());
        if i % HOSTILE_EVERY == HOSTILE_EVERY - 1 {
            lines.push(hostile(i / HOSTILE_EVERY, line));
        }
    }
    lines
}

/// A Firehose event and what it holds.
#[derive(Debug)]
pub struct Batch {
    /// The event's JSON text.
    pub json: String,
    /// Its records.
    pub records: usize,
    /// The bytes of LTSV in its records, decoded.
    pub ltsv_bytes: usize,
}

/// A Firehose event of at most `size` bytes of JSON whose records are
/// [`lines`], one each, cycled.
pub fn batch(size: usize) -> Batch {
    let mut json = String::from(
        r#"{"invocationId":"bench","deliveryStreamArn":"arn:aws:firehose:us-east-1:123456789012:deliverystream/bench","region":"us-east-1","records":["#,
    );
    let (mut records, mut ltsv_bytes) = (0, 0);
    for (i, line) in lines().iter().cycle().enumerate() {
        let record = format!(
            r#"{{"recordId":"49546986683135544286507457936321625675700192471156{i:06}","approximateArrivalTimestamp":1795640069223,"data":"{}"}}"#,
            STANDARD.encode(line)
        );
        if json.len() + usize::from(i > 0) + record.len() + 2 > size {
            break;
        }
        if i > 0 {
            json.push(',');
        }
        json.push_str(&record);
        records += 1;
        ltsv_bytes += line.len();
    }
    json.push_str("]}");
    Batch {
        json,
        records,
        ltsv_bytes,
    }
}
