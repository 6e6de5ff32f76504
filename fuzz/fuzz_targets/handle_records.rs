//! Well-formed Firehose events built from arbitrary record bytes: two
//! settings bytes, a flags byte, then the records separated by `1e ff` (see
//! `batch_from_input`). Every record must come back once, in order, as the
//! rules say.
#![no_main]

use firehose_ltsv_fuzz::{batch_from_input, check_batch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Some(batch) = batch_from_input(input) {
        check_batch(&batch);
    }
});
