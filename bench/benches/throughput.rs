//! Throughput of each stage, and of the whole handler next to the floor:
//! the work any Firehose transformation must do (parse the event, decode
//! every record, encode the output, write the response) with the same
//! crates and no conversion. `BENCHMARKS.md` reports the figures.
//!
//! Throughput is in bytes of decoded LTSV.

use std::borrow::Cow;
use std::hint::black_box;

use base64::Engine;
use base64::engine::Simd;
use base64::engine::general_purpose::PAD;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use firehose_ltsv::{Config, Converter, LabelSyntax, fields, transform, write_json_str};
use serde::Deserialize;

const LOG: &str = include_str!("../../tests/data/apache_access.ltsv");

/// Event sizes in bytes of JSON, up to Lambda's 6 MB request limit.
const EVENT_SIZES: [(&str, usize); 3] =
    [("1MB", 1_000_000), ("3MB", 3_000_000), ("6MB", 6_000_000)];

/// A Firehose event of about `size` bytes whose records are the captured
/// Apache lines, one per record as Kinesis Agent sends them, and the number
/// of LTSV bytes it holds.
fn event(size: usize) -> (String, usize) {
    let mut out = String::from(
        r#"{"invocationId":"bench","deliveryStreamArn":"arn:aws:firehose:us-east-1:123456789012:deliverystream/bench","region":"us-east-1","records":["#,
    );
    let mut ltsv = 0;
    for (i, line) in LOG.split_inclusive('\n').cycle().enumerate() {
        let record = format!(
            r#"{{"recordId":"49546986683135544286507457936321625675700192471156{i:06}","approximateArrivalTimestamp":1795640069223,"data":"{}"}}"#,
            Simd::standard(PAD).encode(line)
        );
        if out.len() + record.len() + 3 > size {
            break;
        }
        if i > 0 {
            out.push(',');
        }
        out.push_str(&record);
        ltsv += line.len();
    }
    out.push_str("]}");
    (out, ltsv)
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    records: Vec<Record<'a>>,
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, rename = "recordId")]
    record_id: Cow<'a, str>,
    #[serde(borrow)]
    data: Cow<'a, str>,
}

/// The floor: everything but the conversion, done as directly as the same
/// crates allow, with the same vectorized base64 engine as the handler.
fn floor(event: &str, base64: &Simd) -> Vec<u8> {
    let event: Event = serde_json::from_str(event).unwrap();
    let mut decoded = Vec::new();
    let mut response = Vec::with_capacity(event.records.len() * 600);
    response.extend_from_slice(b"{\"records\":[");
    for (i, record) in event.records.iter().enumerate() {
        if i > 0 {
            response.push(b',');
        }
        decoded.clear();
        base64
            .decode_vec(record.data.as_bytes(), &mut decoded)
            .unwrap();
        response.extend_from_slice(b"{\"recordId\":");
        write_json_str(&mut response, record.record_id.as_bytes());
        response.extend_from_slice(b",\"result\":\"Ok\",\"data\":\"");
        let start = response.len();
        response.resize(start + base64::encoded_len(decoded.len(), true).unwrap(), 0);
        let written = base64
            .encode_slice(&decoded, &mut response[start..])
            .unwrap();
        response.truncate(start + written);
        response.extend_from_slice(b"\",\"metadata\":{\"partitionKeys\":{}}}");
    }
    response.extend_from_slice(b"]}");
    response
}

fn lines() -> Vec<&'static [u8]> {
    LOG.lines().map(str::as_bytes).collect()
}

fn parser(c: &mut Criterion) {
    let lines = lines();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(LOG.len() as u64));
    group.bench_function("fields", |b| {
        b.iter(|| {
            let mut count = 0;
            for line in &lines {
                for field in fields(line, LabelSyntax::Strict) {
                    count += field.unwrap().value.len();
                }
            }
            black_box(count)
        })
    });
    group.finish();
}

fn converter(c: &mut Criterion) {
    let lines = lines();
    let config = Config::default();
    let mut converter = Converter::new(&config);
    let mut out = Vec::with_capacity(LOG.len() * 2);
    let mut group = c.benchmark_group("convert");
    group.throughput(Throughput::Bytes(LOG.len() as u64));
    group.bench_function("lines", |b| {
        b.iter(|| {
            out.clear();
            for line in &lines {
                converter.convert_line(line, &mut out).unwrap();
            }
            black_box(out.len())
        })
    });
    group.finish();
}

fn handler(c: &mut Criterion) {
    let config = Config::default();
    let base64 = Simd::standard(PAD);
    let mut group = c.benchmark_group("event");
    group.sample_size(20);
    for (name, size) in EVENT_SIZES {
        let (event, ltsv) = event(size);
        let (_, summary) = transform(&event, &config).unwrap();
        eprintln!(
            "{name} event: {} bytes, {} records, {ltsv} bytes of LTSV, {} Ok, {} failed for lack of room",
            event.len(),
            summary.records,
            summary.ok,
            summary.failed
        );
        group.throughput(Throughput::Bytes(ltsv as u64));
        group.bench_with_input(BenchmarkId::new("handler", name), &event, |b, event| {
            b.iter(|| transform(event, &config).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("floor", name), &event, |b, event| {
            b.iter(|| floor(event, &base64))
        });
    }
    group.finish();
}

criterion_group!(benches, parser, converter, handler);
criterion_main!(benches);
