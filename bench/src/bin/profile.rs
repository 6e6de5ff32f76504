//! Runs the handler's `transform`, the zero-waste identity and each stage
//! of the handler's work (see the library's `Stages`) once on an event
//! file, each in a function of its own, for a profiler to tell apart:
//! `bench/profile` counts their instructions with callgrind.
//!
//! Usage: profile EVENT.json [handler|handler_redacted|identity|STAGE ...]
//! (default: all)

use std::hint::black_box;

use firehose_ltsv::{Config, transform};
use firehose_ltsv_bench::{Stage, Stages, stack_redaction, zero_waste_identity};

#[inline(never)]
fn handler(event: &str, config: &Config) {
    black_box(transform(event, config).expect("a Firehose event"));
}

/// The handler with the stack's default redaction rules.
#[inline(never)]
fn handler_redacted(event: &str, config: &Config) {
    black_box(transform(event, config).expect("a Firehose event"));
}

#[inline(never)]
fn identity(event: &str) {
    black_box(zero_waste_identity(event));
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: profile EVENT.json [handler|handler_redacted|identity|STAGE ...]")?;
    let mut what: Vec<String> = args.collect();
    if what.is_empty() {
        what.extend(["handler", "handler_redacted", "identity"].map(str::to_owned));
        what.extend(Stage::ALL.map(|stage| stage.name().to_owned()));
    }
    let event = std::fs::read_to_string(path)?;
    let config = Config::default();
    let redacted = stack_redaction();
    let mut stages = None;
    let mut buffer = Vec::new();
    for name in &what {
        match name.as_str() {
            "handler" => handler(&event, &config),
            "handler_redacted" => handler_redacted(&event, &redacted),
            "identity" => identity(&event),
            name => {
                let stage = Stage::ALL
                    .into_iter()
                    .find(|stage| stage.name() == name)
                    .ok_or_else(|| format!("no stage {name:?}"))?;
                // Made ready only when asked for: it converts the batch.
                let stages = stages.get_or_insert_with(|| Stages::new(&event));
                stages.run(stage, &mut buffer);
            }
        }
    }
    Ok(())
}
