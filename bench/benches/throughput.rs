//! The handler beside the zero-waste identity (the work any Firehose
//! transformation must do, and nothing else) on realistic batches, and the
//! stages of the handler's work one at a time on the same batches, so that
//! each stage's share shows where the time goes. `bench/report` turns the
//! medians into the tables of BENCHMARKS.md.
//!
//! Throughput is in bytes of decoded LTSV.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use firehose_ltsv::{Config, transform};
use firehose_ltsv_bench::{
    EVENT_SIZES, Stage, Stages, batch, stack_redaction, zero_waste_identity,
};

fn event(c: &mut Criterion) {
    let config = Config::default();
    let redacted = stack_redaction();
    let mut group = c.benchmark_group("event");
    group.sample_size(20);
    for (name, size) in EVENT_SIZES {
        let batch = batch(size);
        let (_, summary) = transform(&batch.json, &config).unwrap();
        eprintln!(
            "{name} event: {} bytes, {} records, {} bytes of LTSV, {} Ok, {} failed for lack of room",
            batch.json.len(),
            batch.records,
            batch.ltsv_bytes,
            summary.ok,
            summary.failed
        );
        group.throughput(Throughput::Bytes(batch.ltsv_bytes as u64));
        group.bench_with_input(BenchmarkId::new("handler", name), &batch.json, |b, json| {
            b.iter(|| transform(json, &config).unwrap())
        });
        // With the stack's default redaction rules.
        group.bench_with_input(
            BenchmarkId::new("handler-redacted", name),
            &batch.json,
            |b, json| b.iter(|| transform(json, &redacted).unwrap()),
        );
        group.bench_with_input(
            BenchmarkId::new("identity", name),
            &batch.json,
            |b, json| b.iter(|| zero_waste_identity(json)),
        );
    }
    group.finish();
}

/// Each stage alone over every record of the 1 MB and 3 MB batches. What
/// `event/handler` takes beyond `parse`, `decode`, `convert` and `encode`
/// is response assembly: the room budget and the response itself.
fn stages(c: &mut Criterion) {
    let mut group = c.benchmark_group("stages");
    group.sample_size(20);
    for (name, size) in &EVENT_SIZES[..2] {
        let batch = batch(*size);
        let stages = Stages::new(&batch.json);
        let mut buffer = Vec::new();
        group.throughput(Throughput::Bytes(batch.ltsv_bytes as u64));
        for stage in Stage::ALL {
            group.bench_function(BenchmarkId::new(stage.name(), name), |b| {
                b.iter(|| stages.run(stage, &mut buffer))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, event, stages);
criterion_main!(benches);
