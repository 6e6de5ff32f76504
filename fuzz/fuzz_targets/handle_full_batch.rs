//! The batches of `handle_records` beside one large record that brings the
//! response to within 64 KiB of its 5,999,999-byte limit, so that records
//! fail for lack of room, metadata is left out, and the size reckoning is
//! checked to the byte. Flags bit 5 puts the large record first rather than
//! last, bit 6 makes it convert rather than fail. Far slower than the other
//! targets: each run moves about 6 MB.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::MAX_RESPONSE_BYTES;
use firehose_ltsv_fuzz::{InputRecord, batch_from_input, check_batch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some(mut batch) = batch_from_input(input) else {
        return;
    };
    // How far short of the limit the large record alone leaves the
    // response, where it goes, and whether it converts, picked by the input.
    let sum: usize = input.iter().map(|&b| usize::from(b)).sum();
    let margin = sum * 257 % 65_536;
    let first = input[2] & 0x20 != 0;
    let converts = input[2] & 0x40 != 0;
    // `p:`, `a` repeated, LF: converted, `{"p":"..."}` and LF, nine bytes
    // more, then base64 and about 80 bytes of entry around it. A large
    // record that fails (`p-`: no `:`) is cheaper to check: it comes back
    // as it came. Built a base64 block of three bytes at a time, since
    // encoding 4.5 MB is slow under coverage tracing.
    let blocks = ((MAX_RESPONSE_BYTES - margin) / 4 * 3 - 100) / 3;
    let mut data = BASE64.encode(if converts { b"p:a" } else { b"p-a" });
    data.reserve(4 * blocks + 4);
    for _ in 0..blocks {
        data.push_str("YWFh"); // "aaa"
    }
    data.push_str("Cg=="); // LF
    let large = InputRecord {
        id: "large".to_owned(),
        data,
    };
    if first {
        batch.records.insert(0, large);
    } else {
        batch.records.push(large);
    }
    check_batch(&batch);
});
