//! One LTSV line through `Converter::convert_line`, under settings picked by
//! the first two input bytes (see `settings_from_bytes`): the result must be
//! what the conversion rules say, and the crate's own parser must find the
//! fields the rules define.
#![no_main]

use firehose_ltsv_fuzz::{check_line, check_parser, settings_from_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let [first, second, line @ ..] = input else {
        return;
    };
    let settings = settings_from_bytes(*first, *second);
    check_line(&settings, line);
    check_parser(&settings.config, line);
});
