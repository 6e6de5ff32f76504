//! Writes to stdout the Firehose event the benchmarks use, of at most
//! SIZE bytes of JSON (see the library's `batch`), for `bench/compare` and
//! `bench/lambda-process`. Usage: make_event SIZE_BYTES

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let size: usize = std::env::args()
        .nth(1)
        .ok_or("usage: make_event SIZE_BYTES")?
        .parse()?;
    let batch = firehose_ltsv_bench::batch(size);
    std::io::stdout().lock().write_all(batch.json.as_bytes())?;
    Ok(())
}
