//! The batches of `handle_records` beside one large record that brings the
//! response to within 64 KiB of its 5,999,999-byte limit, so that records
//! fail for lack of room, metadata is left out, and the size reckoning is
//! checked to the byte. Slower than the other targets: each run moves
//! about 6 MB.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use firehose_ltsv::firehose::MAX_RESPONSE_BYTES;
use firehose_ltsv_fuzz::{InputRecord, batch_from_input, check_batch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some(mut batch) = batch_from_input(input) else {
        return;
    };
    // How far short of the limit the large record alone leaves the
    // response, and where it goes, picked by the input.
    let sum: usize = input.iter().map(|&b| usize::from(b)).sum();
    let margin = sum * 257 % 65_536;
    let first = input[2] & 0x20 != 0;
    // `p:` and the value, then LF; converted, `{"p":"..."}` and LF: nine
    // bytes more, then base64 and about 80 bytes of entry around it.
    let value_len = (MAX_RESPONSE_BYTES - margin) / 4 * 3 - 100;
    let mut data = Vec::with_capacity(value_len + 3);
    data.extend_from_slice(b"p:");
    data.resize(value_len + 2, b'a');
    data.push(b'\n');
    let large = InputRecord {
        id: "large".to_owned(),
        data: BASE64.encode(&data),
    };
    if first {
        batch.records.insert(0, large);
    } else {
        batch.records.push(large);
    }
    check_batch(&batch);
});
